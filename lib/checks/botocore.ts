// Reads AWS's own API models (the botocore JSON models Debian ships in python3-botocore) and turns
// a structure member's string shape into the constraints the service enforces: length, pattern,
// enum. Pure apart from reading the model files; lib/checks/api-models.ts maps Pulumi inputs to the
// members checked here.
import * as fs from "node:fs";
import * as path from "node:path";

/** Where Debian's python3-botocore keeps the models (one directory per service, then per API version). */
export const DEFAULT_BOTOCORE_DATA = "/usr/lib/python3/dist-packages/botocore/data";

export function botocoreDataDir(): string {
  return process.env.BOTOCORE_DATA ?? DEFAULT_BOTOCORE_DATA;
}

/** The constraints a string must meet, with where each came from (for messages). */
export interface StringConstraint {
  min?: number;
  max?: number;
  /** The model's pattern as written (Java regex syntax), full-match. */
  pattern?: string;
  enum?: string[];
  /** Prefixes the value may not start with (documented, e.g. EC2 tag keys may not begin with aws:). */
  forbiddenPrefixes?: string[];
  /** e.g. `dlm PolicyDescription (CreateLifecyclePolicyRequest.Description)`. */
  source: string;
}

interface Shape {
  type: string;
  members?: Record<string, { shape: string; documentation?: string }>;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
}

interface ServiceJson {
  metadata: { apiVersion: string };
  shapes: Record<string, Shape>;
}

export class ModelError extends Error {
  override name = "ModelError";
}

/** One service's model: shapes by name. */
export class ServiceModel {
  constructor(
    readonly service: string,
    readonly apiVersion: string,
    private readonly shapes: Record<string, Shape>,
  ) {}

  shape(name: string): Shape {
    const s = this.shapes[name];
    if (!s) throw new ModelError(`${this.service}: no shape ${name}`);
    return s;
  }

  /** The shape name a structure member points at, and the member's documentation. */
  member(structure: string, member: string): { shape: string; documentation: string } {
    const s = this.shape(structure);
    const m = s.members?.[member];
    if (!m) throw new ModelError(`${this.service}: ${structure} has no member ${member}`);
    return { shape: m.shape, documentation: m.documentation ?? "" };
  }

  /** Constraints of a string shape (a list's member shape when the shape is a list of strings). */
  stringConstraint(shapeName: string, via: string): StringConstraint {
    let s = this.shape(shapeName);
    let name = shapeName;
    if (s.type === "list" && s.member) {
      name = s.member.shape;
      s = this.shape(name);
    }
    if (s.type !== "string") {
      throw new ModelError(`${this.service}: ${via} is a ${s.type} (${name}), not a string`);
    }
    const c: StringConstraint = { source: `${this.service} ${name} (${via})` };
    if (s.min !== undefined) c.min = s.min;
    if (s.max !== undefined) c.max = s.max;
    if (s.pattern !== undefined) c.pattern = s.pattern;
    if (s.enum !== undefined) c.enum = s.enum;
    return c;
  }

  /**
   * Key and value constraints of a tag collection member: a list of structures with a key and a
   * value member (Key/Value, or KMS's TagKey/TagValue), or a map.
   */
  tagConstraints(
    structure: string,
    member: string,
  ): {
    key: StringConstraint;
    value: StringConstraint;
    tagStructure: string;
    keyMember: string;
    valueMember: string;
  } {
    const via = `${structure}.${member}`;
    const t = this.shape(this.member(structure, member).shape);
    if (t.type === "map" && t.key && t.value) {
      return {
        key: this.stringConstraint(t.key.shape, `${via} key`),
        value: this.stringConstraint(t.value.shape, `${via} value`),
        tagStructure: structure,
        keyMember: "key",
        valueMember: "value",
      };
    }
    if (t.type === "list" && t.member) {
      const tagStruct = t.member.shape;
      const members = Object.keys(this.shape(tagStruct).members ?? {});
      const keyMember = members.find((m) => m === "Key" || m === "TagKey");
      const valueMember = members.find((m) => m === "Value" || m === "TagValue");
      if (!keyMember || !valueMember) {
        throw new ModelError(`${this.service}: ${tagStruct} has no key/value members`);
      }
      return {
        key: this.stringConstraint(
          this.member(tagStruct, keyMember).shape,
          `${tagStruct}.${keyMember}`,
        ),
        value: this.stringConstraint(
          this.member(tagStruct, valueMember).shape,
          `${tagStruct}.${valueMember}`,
        ),
        tagStructure: tagStruct,
        keyMember,
        valueMember,
      };
    }
    throw new ModelError(`${this.service}: ${via} is neither a tag list nor a map`);
  }
}

/** Loads service models from a botocore data directory (the newest API version of each service). */
export class BotocoreModels {
  private readonly cache = new Map<string, ServiceModel>();

  constructor(readonly dataDir: string = botocoreDataDir()) {}

  /** True when the directory holds botocore models at all (python3-botocore installed). */
  available(): boolean {
    return fs.existsSync(path.join(this.dataDir, "ec2"));
  }

  service(name: string): ServiceModel {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const dir = path.join(this.dataDir, name);
    if (!fs.existsSync(dir))
      throw new ModelError(`no botocore model for service ${name} in ${this.dataDir}`);
    // API versions are dates (YYYY-MM-DD): the lexically last is the newest, which is what the SDKs use.
    const versions = fs
      .readdirSync(dir)
      .filter((v) => fs.existsSync(path.join(dir, v, "service-2.json")))
      .sort();
    const newest = versions[versions.length - 1];
    if (!newest) throw new ModelError(`no service-2.json under ${dir}`);
    const json = JSON.parse(
      fs.readFileSync(path.join(dir, newest, "service-2.json"), "utf8"),
    ) as ServiceJson;
    const model = new ServiceModel(name, json.metadata.apiVersion, json.shapes);
    this.cache.set(name, model);
    return model;
  }
}

export class UntranslatablePattern extends Error {
  override name = "UntranslatablePattern";
}

// POSIX and Java-only classes in the models, as the character ranges Java defines them
// (java.util.regex.Pattern, "POSIX character classes (US-ASCII only)").
const JAVA_CLASSES: Record<string, string> = {
  all: "\\s\\S",
  Print: "\\x20-\\x7E",
  ASCII: "\\x00-\\x7F",
  Alnum: "A-Za-z0-9",
  Alpha: "A-Za-z",
  Upper: "A-Z",
  Lower: "a-z",
  Digit: "0-9",
  XDigit: "0-9A-Fa-f",
  Graph: "\\x21-\\x7E",
  Punct: "!-\\/:-@\\[-`{-~",
  Blank: " \\t",
  Cntrl: "\\x00-\\x1F\\x7F",
  Space: " \\t\\n\\x0B\\f\\r",
  IsLetter: "\\p{L}",
};
// Characters that may follow a backslash in a JavaScript `u` regex as an identity escape.
const JS_SYNTAX = new Set("^$\\.*+?()[]{}|/-".split(""));

/**
 * A model pattern (Java regex syntax) as a JavaScript RegExp that must match the whole value: the
 * services apply patterns to the entire value (a DLM description with one apostrophe is rejected
 * although the rest matches `[0-9A-Za-z _-]+`). Throws UntranslatablePattern for constructs with no
 * faithful JavaScript equivalent, so nothing is silently left unchecked.
 */
export function javaPatternToRegExp(pattern: string): RegExp {
  let flags = "u";
  let src = pattern;
  // Leading inline flags apply to the whole pattern.
  for (let m = /^\(\?([ims]+)\)/.exec(src); m; m = /^\(\?([ims]+)\)/.exec(src)) {
    for (const f of m[1]) if (!flags.includes(f)) flags += f;
    src = src.slice(m[0].length);
  }
  let out = "";
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (ch === "\\") {
      const next = src[i + 1];
      if (next === undefined) throw new UntranslatablePattern(`trailing backslash in ${pattern}`);
      if (next === "p" || next === "P") {
        const m = /^\{([A-Za-z]+)\}/.exec(src.slice(i + 2));
        if (!m) throw new UntranslatablePattern(`\\${next} without {name} in ${pattern}`);
        const java = JAVA_CLASSES[m[1]];
        if (java !== undefined) {
          if (next === "P") throw new UntranslatablePattern(`\\P{${m[1]}} in ${pattern}`);
          out += inClass ? java : `[${java}]`;
        } else {
          out += `\\${next}{${m[1]}}`; // Unicode general categories: the same in JavaScript with `u`
        }
        i += 1 + m[0].length;
        continue;
      }
      if (next === "A" && !inClass) {
        out += "^";
        i++;
        continue;
      }
      if (next === "z" && !inClass) {
        out += "$";
        i++;
        continue;
      }
      if (/[A-Za-z0-9]/.test(next)) {
        if (
          "QEGZhHvVRX".includes(next) ||
          (next === "0" && !inClass) ||
          (inClass && /[0-9]/.test(next))
        ) {
          throw new UntranslatablePattern(`\\${next} in ${pattern}`);
        }
        out += `\\${next}`;
      } else if (next === "-") {
        // A `u` RegExp accepts `\-` only inside a class; outside it is a plain hyphen anyway.
        out += inClass ? "\\-" : "-";
      } else {
        // Java allows escaping any punctuation; a `u` RegExp only syntax characters.
        out += JS_SYNTAX.has(next) ? `\\${next}` : next;
      }
      i++;
      continue;
    }
    if (
      inClass &&
      ch === "-" &&
      (/\\[wdsWDS]$|\\[pP]\{[A-Za-z]+\}$/.test(out) || /^\\[wdsWDSpP]/.test(src.slice(i + 1)))
    ) {
      // Java reads a hyphen next to a class escape (`[\w-.]`) as a literal; a `u` RegExp refuses it.
      out += "\\-";
      continue;
    }
    if (ch === "[") {
      if (inClass) {
        if (src.startsWith("[:", i)) throw new UntranslatablePattern(`[[ in ${pattern}`);
        out += "\\[";
        continue;
      }
      inClass = true;
      out += ch;
      if (src[i + 1] === "^") {
        out += "^";
        i++;
      }
      // A `]` right after `[` or `[^` is a literal in Java.
      if (src[i + 1] === "]") {
        out += "\\]";
        i++;
      }
      continue;
    }
    if (ch === "]" && inClass) {
      inClass = false;
      out += ch;
      continue;
    }
    if (inClass && ch === "&" && src[i + 1] === "&") {
      throw new UntranslatablePattern(`class intersection in ${pattern}`);
    }
    if (!inClass && ch === "(" && src.startsWith("(?i)", i)) {
      // An inline case-insensitive flag inside the pattern (SSM's tag key guard `(?i)aws:`): spell
      // the literal that follows with both cases.
      const lit = /^[A-Za-z0-9:_-]+/.exec(src.slice(i + 4));
      if (!lit) throw new UntranslatablePattern(`(?i) before a non-literal in ${pattern}`);
      out += lit[0].replace(/[A-Za-z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
      i += 3 + lit[0].length;
      continue;
    }
    if (!inClass && /[*+?}]/.test(ch) && src[i + 1] === "+") {
      // Possessive quantifier: for a yes/no match of a whole value, the greedy one decides the same.
      out += ch;
      i++;
      continue;
    }
    out += ch;
  }
  try {
    return new RegExp(`^(?:${out})$`, flags);
  } catch (err) {
    throw new UntranslatablePattern(`${pattern}: ${(err as Error).message}`);
  }
}

const compiled = new Map<string, RegExp>();

function regexpOf(pattern: string): RegExp {
  let r = compiled.get(pattern);
  if (!r) {
    r = javaPatternToRegExp(pattern);
    compiled.set(pattern, r);
  }
  return r;
}

/** Length in characters as the services count them (code points). */
function lengthOf(v: string): number {
  return [...v].length;
}

/** What is wrong with `value` under `c`, one phrase each; empty when it is valid. */
export function violations(value: string, c: StringConstraint): string[] {
  const out: string[] = [];
  const n = lengthOf(value);
  if (c.min !== undefined && n < c.min) out.push(`shorter than ${c.min} characters (${n})`);
  if (c.max !== undefined && n > c.max) out.push(`longer than ${c.max} characters (${n})`);
  if (c.pattern !== undefined && !regexpOf(c.pattern).test(value)) {
    out.push(`does not match ${c.pattern}`);
  }
  if (c.enum !== undefined && !c.enum.includes(value)) {
    out.push(`not one of ${c.enum.join(", ")}`);
  }
  for (const p of c.forbiddenPrefixes ?? []) {
    if (value.toLowerCase().startsWith(p.toLowerCase())) out.push(`may not begin with ${p}`);
  }
  return out;
}
