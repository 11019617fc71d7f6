// Turns raw config (project defaults + one stack's values) into a validated fleet or region
// config, or one ConfigError listing every problem, each naming the file, the key path and what
// is expected. Pure: the caller supplies the values (from the Pulumi runtime or from files).
import { z } from "zod";
import {
  FLEET_KEYS,
  FleetConfig,
  FleetConfigSchema,
  NAMESPACE,
  REGION_KEYS,
  RegionConfig,
  RegionConfigSchema,
  resolveDerived,
} from "./schema";
import { StackRole, stackFileName } from "../stack";
import { regionOperationsIssues } from "./operations";
import { DERIVED_FROM } from "./derived";

/** What a `secure:` value reads as offline: never the ciphertext, never a decrypted value. */
export const SECRET_PLACEHOLDER = "[secret]";

export const PROJECT_FILE = "Pulumi.yaml";

export interface ConfigProblem {
  file: string;
  /** e.g. `livepeer-fleet:nodeGroup.maxSize` */
  keyPath: string;
  message: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.file}: ${p.keyPath}: ${p.message}`).join("\n"));
  }
}

/** Raw config values keyed by full config key (`livepeer-fleet:network`, `aws:region`, ...). */
export type RawConfig = Record<string, unknown>;

export interface ConfigSources {
  /** Keys the stack itself sets (its Pulumi.<stack>.yaml). */
  stackValues: RawConfig;
  /** Project-level defaults from Pulumi.yaml (already unwrapped from `value:`). */
  projectValues: RawConfig;
  /** File name to blame for stack values; defaults to Pulumi.<stack>.yaml. */
  stackFile?: string;
  /**
   * Full keys whose values are secrets (`pulumi config set --secret`): a problem under one never
   * echoes the value. Default none.
   */
  secretKeys?: readonly string[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep-merges `over` onto `under`: objects merge key by key; arrays and scalars replace. */
export function deepMerge(under: unknown, over: unknown): unknown {
  if (over === undefined) return under;
  if (isPlainObject(under) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...under };
    for (const [k, v] of Object.entries(over)) out[k] = deepMerge(under[k], v);
    return out;
  }
  return over;
}

function hasPath(value: unknown, path: readonly PropertyKey[]): boolean {
  let cur: unknown = value;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === "number") cur = cur[seg];
    else if (isPlainObject(cur) && typeof seg === "string" && seg in cur) cur = cur[seg];
    else return false;
  }
  return true;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = value;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === "number") cur = cur[seg];
    else if (isPlainObject(cur) && typeof seg === "string") cur = cur[seg];
    else return undefined;
  }
  return cur;
}

function formatPath(key: string, path: readonly PropertyKey[]): string {
  let out = `${NAMESPACE}:${key}`;
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : `.${String(seg)}`;
  return out;
}

/** zod's words, made to say what is expected in this project's terms. */
function friendly(issue: z.core.$ZodIssue): string {
  // A record key failed its own schema: its message is the useful one.
  if (issue.code === "invalid_key" && issue.issues.length > 0) return friendly(issue.issues[0]);
  return issue.message
    .replace(/^Invalid input: /, "")
    .replace("expected int, received number", "expected a whole number")
    .replace(/^Too small: expected number to be >=(\d+)$/, "expected a number >= $1")
    .replace(/^Too big: expected number to be <=(\d+)$/, "expected a number <= $1")
    .replace(/^expected (number|string|boolean), received \w+$/, "expected a $1");
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * How `pulumi config set --path` stores a value: "true"/"false" as booleans, integers without a
 * leading zero as numbers, everything else (0.25 included) as a string; a top-level key always as
 * a string (pkg/cmd/pulumi/config/config.go configSetCmd, sdk/go/common/resource/config
 * value.go coerceObject and object.go coerce). So a field accepts the other spelling of the same
 * value: a number field a numeric string, a string field an integer, a boolean field
 * "true"/"false". Only where zod reported that exact type mismatch, so nothing else changes.
 */
function coerceAt(issue: z.core.$ZodIssue, given: unknown): { value: unknown } | undefined {
  if (issue.code !== "invalid_type") return undefined;
  if (issue.expected === "number" && typeof given === "string") {
    const t = given.trim();
    if (/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return { value: Number(t) };
  }
  if (issue.expected === "string" && typeof given === "number" && Number.isSafeInteger(given)) {
    return { value: String(given) };
  }
  if (issue.expected === "boolean" && (given === "true" || given === "false")) {
    return { value: given === "true" };
  }
  return undefined;
}

function setAt(root: Record<string, unknown>, path: readonly PropertyKey[], value: unknown): void {
  let cur: unknown = root;
  for (const seg of path.slice(0, -1)) cur = (cur as Record<PropertyKey, unknown>)[seg];
  (cur as Record<PropertyKey, unknown>)[path[path.length - 1]] = value;
}

/** Parses, coercing the other spelling of a value where zod reports a type mismatch. */
function parseCoercing<T>(schema: z.ZodType<T>, merged: Record<string, unknown>) {
  let value: Record<string, unknown> = merged;
  // Each round fixes at least one mismatch for good (the value then has the expected type), so
  // this ends; the bound only guards against a schema that would keep asking for another type.
  for (let round = 0; ; round++) {
    const result = schema.safeParse(value);
    if (result.success || round === 8) return { result, value };
    const fixes = result.error.issues
      .map((issue) => ({ path: issue.path, fix: coerceAt(issue, valueAt(value, issue.path)) }))
      .filter((f) => f.fix !== undefined && f.path.length > 0);
    if (fixes.length === 0) return { result, value };
    value = structuredClone(value);
    for (const f of fixes) setAt(value, f.path, f.fix!.value);
  }
}

const dotted = (path: readonly PropertyKey[]) => path.map(String).join(".");

/**
 * Cross-field checks (DERIVED_FROM in their params) compute from other fields. When one of those
 * already failed on its own, the derived problem only repeats it in other words: drop it.
 */
function withoutDerived(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const from = (i: z.core.$ZodIssue) =>
    i.code === "custom" ? (i.params?.[DERIVED_FROM] as string[] | undefined) : undefined;
  const failed = issues.filter((i) => from(i) === undefined).map((i) => dotted(i.path));
  const related = (a: string, b: string) =>
    a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
  return issues.filter((i) => {
    const deps = from(i);
    return deps === undefined || !deps.some((d) => failed.some((f) => related(f, d)));
  });
}

interface Validated<T> {
  value?: T;
  problems: ConfigProblem[];
}

function validate<T>(
  schema: z.ZodType<T>,
  keys: Record<string, unknown>,
  otherRoleKeys: Record<string, unknown>,
  role: StackRole,
  sources: ConfigSources,
): Validated<T> {
  const stackFile = sources.stackFile ?? stackFileName(role.stack);
  const problems: ConfigProblem[] = [];
  const merged: Record<string, unknown> = {};
  const stackOwn: Record<string, unknown> = {};
  const projectOwn: Record<string, unknown> = {};

  const consider = (values: RawConfig, file: string, fromStack: boolean) => {
    for (const [fullKey, v] of Object.entries(values)) {
      const sep = fullKey.indexOf(":");
      if (sep < 0 || fullKey.slice(0, sep) !== NAMESPACE) continue; // aws:, pulumi: keys
      const key = fullKey.slice(sep + 1);
      if (key in keys) {
        (fromStack ? stackOwn : projectOwn)[key] = v;
      } else if (key in otherRoleKeys) {
        // Project defaults apply to every stack; a region-only default is simply not ours.
        if (fromStack) {
          problems.push({
            file,
            keyPath: fullKey,
            message: `belongs in ${role.role === "fleet" ? "a region" : "the fleet"} stack, not a ${role.role} stack; move it there`,
          });
        }
      } else {
        problems.push({
          file,
          keyPath: fullKey,
          message: `unknown key; expected one of: ${Object.keys(keys)
            .map((k) => `${NAMESPACE}:${k}`)
            .join(", ")}`,
        });
      }
    }
  };
  consider(sources.projectValues, PROJECT_FILE, false);
  consider(sources.stackValues, stackFile, true);

  for (const key of new Set([...Object.keys(projectOwn), ...Object.keys(stackOwn)])) {
    merged[key] = deepMerge(projectOwn[key], stackOwn[key]);
  }

  const { result, value: parsedFrom } = parseCoercing(schema, merged);
  const secret = (key: string) => sources.secretKeys?.includes(`${NAMESPACE}:${key}`) === true;
  if (!result.success) {
    for (const issue of withoutDerived(result.error.issues)) {
      const [key, ...rest] = issue.path;
      if (key === undefined) {
        // Root-level issues are unknown keys, already reported above with their file.
        continue;
      }
      const path = rest;
      if (issue.code === "unrecognized_keys") {
        // Report each unknown nested key at its own path so the user finds it.
        for (const extra of issue.keys) {
          const p = [...path, extra];
          problems.push({
            file: hasPath(stackOwn[String(key)], p) ? stackFile : PROJECT_FILE,
            keyPath: formatPath(String(key), p),
            message: "unknown key; check the spelling against docs/config.md",
          });
        }
        continue;
      }
      const given = valueAt(parsedFrom[String(key)], path);
      const detail = friendly(issue);
      const message =
        given === SECRET_PLACEHOLDER
          ? `a secret (secure:) value cannot be checked offline: the plan sees ` +
            `"${SECRET_PLACEHOLDER}" where this key expects: ${detail}. pulumi preview checks ` +
            `the real value; a value that is not sensitive can stay plain so the plan checks it`
          : given === undefined
            ? `required: ${detail}`
            : `${detail} (got ${secret(String(key)) ? "a secret value" : describe(given)})`;
      // Blame the stack file unless the value came only from the project defaults.
      const inStack =
        hasPath(stackOwn[String(key)], path) || !hasPath(projectOwn[String(key)], path);
      problems.push({
        file: inStack ? stackFile : PROJECT_FILE,
        keyPath: formatPath(String(key), path),
        message,
      });
    }
  }
  if (problems.length > 0) return { problems };
  return { value: result.data, problems };
}

export function loadRegionConfig(
  role: Extract<StackRole, { role: "region" }>,
  sources: ConfigSources,
): RegionConfig {
  const v = validate(RegionConfigSchema, REGION_KEYS, FLEET_KEYS, role, sources);
  if (!v.value) throw new ConfigError(v.problems);
  // Checks that need the region from the stack name, which the schema does not see.
  const regional = regionOperationsIssues(v.value, role.region).map(({ path, message }) => {
    const [key, ...rest] = path;
    return {
      file: sources.stackFile ?? stackFileName(role.stack),
      keyPath: formatPath(String(key), rest),
      message,
    };
  });
  if (regional.length > 0) throw new ConfigError(regional);
  return resolveDerived(v.value, role.stack);
}

export function loadFleetConfig(
  role: Extract<StackRole, { role: "fleet" }>,
  sources: ConfigSources,
): FleetConfig {
  const v = validate(FleetConfigSchema, FLEET_KEYS, REGION_KEYS, role, sources);
  if (!v.value) throw new ConfigError(v.problems);
  return v.value;
}

/**
 * A region stack must be listed by its fleet: `fleetValues` is the fleet stack file's config.
 * Returns the problems (empty when the region is listed).
 */
export function checkFleetMembership(
  role: Extract<StackRole, { role: "region" }>,
  fleetValues: RawConfig | undefined,
): ConfigProblem[] {
  const fleetFile = stackFileName(role.fleet);
  const key = `${NAMESPACE}:regions`;
  if (fleetValues === undefined) {
    return [
      {
        file: fleetFile,
        keyPath: key,
        message: `fleet stack file not found; create it with ${key} listing ${role.region} (see docs/config.md)`,
      },
    ];
  }
  const regions = fleetValues[key];
  if (!Array.isArray(regions) || !regions.includes(role.region)) {
    return [
      {
        file: fleetFile,
        keyPath: key,
        message: `does not list ${role.region}, so stack ${role.stack} is not part of fleet ${role.fleet}; add the region there (npm run add-region) or use a stack of a listed region`,
      },
    ];
  }
  return [];
}
