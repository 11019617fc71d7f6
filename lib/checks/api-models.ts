// The API-model check: every string the plan sends to an AWS API as a name, name prefix,
// description, tag or other constrained field is validated against the service's own model
// (botocore's JSON, lib/checks/botocore.ts) before `pulumi up` ever reaches AWS. Resources the
// provider auto-names are checked with the name it would generate (logical name + "-" + 7 random
// characters) against the model and the provider's own limits. The mapping below is explicit and
// reviewed: a resource type the plan registers and this file does not map is itself a finding.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Evaluation, RecordedResource } from "../plan/evaluate";
import { BotocoreModels, StringConstraint, violations } from "./botocore";
import { AUTONAME_SUFFIX } from "../names";
import { MAPPING, type Documented, type FieldRule, type TagRule } from "./api-mapping";

export { MAPPING } from "./api-mapping";
export type { Documented, FieldRule, ProviderLimit, TagRule, TypeRule } from "./api-mapping";

/** Types that make no AWS API call of their own (providers, components, local commands). */
export function isAwsResource(r: RecordedResource): boolean {
  return r.custom && r.type.startsWith("aws:");
}

export interface Finding {
  stack: string;
  type: string;
  /** The logical name. */
  resource: string;
  /** Input path with concrete indexes/keys, or `name (auto-named)`. */
  path: string;
  value: string;
  problems: string[];
  /** Which model member or provider rule says so. */
  source: string;
}

/** Every string at `spec` in `inputs`, with the concrete path it was found at. */
export function valuesAt(inputs: unknown, spec: string): [string, unknown][] {
  let cur: [string, unknown][] = [["", inputs]];
  for (const seg of spec.split(".")) {
    const m = /^([^[{]+)(\[\]|\{\}|\{keys\})?$/.exec(seg);
    if (!m) throw new Error(`bad input path segment ${seg} in ${spec}`);
    const [, key, op] = m;
    const next: [string, unknown][] = [];
    for (const [p, v] of cur) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) continue;
      const x = (v as Record<string, unknown>)[key];
      const at = p ? `${p}.${key}` : key;
      if (x === undefined || x === null) continue;
      if (op === "[]") {
        if (Array.isArray(x)) x.forEach((e, i) => next.push([`${at}[${i}]`, e]));
      } else if (op === "{}" || op === "{keys}") {
        if (typeof x === "object" && !Array.isArray(x)) {
          for (const [k, e] of Object.entries(x as Record<string, unknown>)) {
            next.push(op === "{}" ? [`${at}.${k}`, e] : [`${at}{${k}}`, k]);
          }
        }
      } else {
        next.push([at, x]);
      }
    }
    cur = next;
  }
  return cur;
}

function documentedConstraint(
  models: BotocoreModels,
  service: string,
  member: string,
  d: Documented,
): StringConstraint {
  const [structure, name] = member.split(".");
  const doc = models.service(service).member(structure, name).documentation;
  if (!doc.includes(d.quote)) {
    throw new Error(
      `${service} ${member}: the model's documentation no longer says "${d.quote}"; review the documented constraint in lib/checks/api-models.ts`,
    );
  }
  return {
    min: d.min,
    max: d.max,
    pattern: d.pattern,
    forbiddenPrefixes: d.forbiddenPrefixes,
    source: `${service} ${member} (documented)`,
  };
}

/** The constraints one rule imposes: the model's, the documented ones, the provider's. */
export function constraintsOf(
  models: BotocoreModels,
  service: string,
  rule: Omit<FieldRule, "path">,
  mapKey = false,
): StringConstraint[] {
  const model = models.service(service);
  const [structure, name] = rule.member.split(".");
  const shapeName = model.member(structure, name).shape;
  const out: StringConstraint[] = [];
  const shape = model.shape(shapeName);
  if (shape.type === "map" && shape.key && shape.value) {
    const s = mapKey ? shape.key.shape : shape.value.shape;
    out.push(model.stringConstraint(s, `${rule.member} ${mapKey ? "key" : "value"}`));
  } else {
    out.push(model.stringConstraint(shapeName, rule.member));
  }
  if (rule.documented)
    out.push(documentedConstraint(models, service, rule.member, rule.documented));
  if (rule.provider) {
    const p = rule.provider;
    out.push({
      max: p.max,
      pattern: p.noEdgeHyphen ? `(?!-)(?:${p.pattern ?? ".*"})(?<!-)` : p.pattern,
      forbiddenPrefixes: p.forbiddenPrefixes,
      source: p.source,
    });
  }
  return out;
}

function tagConstraints(
  models: BotocoreModels,
  service: string,
  rule: TagRule,
): { key: StringConstraint[]; value: StringConstraint[] } {
  const [structure, name] = rule.member.split(".");
  const t = models.service(service).tagConstraints(structure, name);
  const key = [t.key];
  const value = [t.value];
  if (rule.documented) {
    // The documentation sits on the tag structure's members (EC2: Tag.Key, Tag.Value).
    key.push(
      documentedConstraint(
        models,
        service,
        `${t.tagStructure}.${t.keyMember}`,
        rule.documented.key,
      ),
    );
    value.push(
      documentedConstraint(
        models,
        service,
        `${t.tagStructure}.${t.valueMember}`,
        rule.documented.value,
      ),
    );
  }
  return { key, value };
}

function check(
  out: Finding[],
  base: Omit<Finding, "path" | "value" | "problems" | "source">,
  at: string,
  value: unknown,
  constraints: StringConstraint[],
): void {
  // Secrets are redacted in the evaluation and unknowns are not strings: nothing to check.
  if (typeof value !== "string" || value === "[secret]") return;
  for (const c of constraints) {
    const problems = violations(value, c);
    if (problems.length > 0) out.push({ ...base, path: at, value, problems, source: c.source });
  }
}

/** Checks every mapped input of every AWS resource of one evaluated stack. */
export function checkEvaluation(e: Evaluation, models: BotocoreModels): Finding[] {
  const out: Finding[] = [];
  for (const r of e.resources.filter(isAwsResource)) {
    const base = { stack: e.stack, type: r.type, resource: r.name };
    const rule = MAPPING[r.type];
    if (!rule) {
      out.push({
        ...base,
        path: "(type)",
        value: r.type,
        problems: ["no API-model mapping for this resource type: add it to MAPPING"],
        source: "lib/checks/api-models.ts",
      });
      continue;
    }
    const nameInput = rule.nameInput ?? { name: "name", prefix: "namePrefix" };
    if (rule.name) {
      const cs = constraintsOf(models, rule.service, rule.name);
      if (typeof r.inputs[nameInput.name] === "string") {
        check(out, base, nameInput.name, r.inputs[nameInput.name], cs);
      } else if (r.inputs[nameInput.prefix] === undefined) {
        const auto = `${r.name}${AUTONAME_SUFFIX}`;
        const generated = nameInput.autoNameLowercase ? auto.toLowerCase() : auto;
        check(out, base, `${nameInput.name} (auto-named)`, generated, cs);
      }
    }
    if (rule.namePrefix && typeof r.inputs[nameInput.prefix] === "string") {
      check(
        out,
        base,
        nameInput.prefix,
        r.inputs[nameInput.prefix],
        constraintsOf(models, rule.service, rule.namePrefix),
      );
    }
    for (const f of rule.fields) {
      const mapKey = f.path.endsWith("{keys}");
      const cs = constraintsOf(models, rule.service, f, mapKey);
      for (const [at, v] of valuesAt(r.inputs, f.path)) check(out, base, at, v, cs);
    }
    for (const t of rule.tags ?? []) {
      const cs = tagConstraints(models, rule.service, t);
      if (t.form === "map") {
        for (const [at, map] of valuesAt(r.inputs, t.path)) {
          if (typeof map !== "object" || map === null || Array.isArray(map)) continue;
          for (const [k, v] of Object.entries(map as Record<string, unknown>)) {
            check(out, base, `${at}{${k}}`, k, cs.key);
            check(out, base, `${at}.${k}`, v, cs.value);
          }
        }
      } else {
        for (const [at, tag] of valuesAt(r.inputs, t.path)) {
          const o = tag as { key?: unknown; value?: unknown };
          check(out, base, `${at}.key`, o.key, cs.key);
          check(out, base, `${at}.value`, o.value, cs.value);
        }
      }
    }
  }
  return out;
}

/** The @pulumi/aws typings of a resource type's Args interface. */
function argsOf(type: string, awsPackageDir: string): string | undefined {
  const m = /^aws:([a-zA-Z0-9]+)\/([a-zA-Z0-9]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m) return undefined;
  const file = path.join(awsPackageDir, m[1], `${m[2]}.d.ts`);
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, "utf8");
  const start = text.indexOf(`export interface ${m[3]}Args {`);
  if (start < 0) return undefined;
  return text.slice(start, text.indexOf("\n}", start));
}

/**
 * Whether @pulumi/aws gives the type a `name` input, which pulumi-aws auto-names when the program
 * leaves it out (provider/autonaming.go: every resource whose schema has an optional or required
 * `name`).
 */
export function hasNameInput(type: string, awsPackageDir: string): boolean {
  const args = argsOf(type, awsPackageDir);
  return args !== undefined && /\n {4}name\??: /.test(args);
}

export function formatFinding(f: Finding): string {
  const v = f.value.length > 80 ? `${f.value.slice(0, 77)}...` : f.value;
  return `${f.stack}: ${f.type} ${f.resource} ${f.path} = ${JSON.stringify(v)}: ${f.problems.join("; ")} [${f.source}]`;
}
