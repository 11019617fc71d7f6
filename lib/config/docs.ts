// docs/config.md's "default" column, generated from the schema: every key with a zod default gets
// that default rendered into its row, so the reference cannot drift from the code. Keys without a
// schema default (required ones, defaults derived from other keys) keep their written text.
// `npm run docs:config` rewrites the column; test/docs.test.ts fails when it is out of date.
import { isDeepStrictEqual } from "node:util";
import type { z } from "zod";
import { FLEET_KEYS, REGION_KEYS } from "./schema";
import { COMMON_LADDER } from "./sizing-schema";

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  defaultValue?: unknown;
}

const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Leaf key paths of a schema (through optional/default/pipe wrappers) and their defaults. */
export function schemaLeaves(
  schema: z.ZodType,
  prefix: string,
  inherited?: { value: unknown },
): { keyPath: string; default?: { value: unknown } }[] {
  const def = defOf(schema);
  if (def.type === "default") {
    return schemaLeaves(def.innerType!, prefix, inherited ?? { value: def.defaultValue });
  }
  if (def.innerType) return schemaLeaves(def.innerType, prefix, inherited);
  if (def.type === "pipe" && def.in) {
    // A preprocess/transform pipe: the shape is on its output side.
    const inDef = defOf(def.in);
    const side = inDef.type === "transform" ? (def as { out?: z.ZodType }).out! : def.in;
    return schemaLeaves(side, prefix, inherited);
  }
  if (def.type === "object" && def.shape) {
    // An object's own default ({} and the like) only says "its fields' defaults apply".
    return Object.entries(def.shape).flatMap(([k, v]) =>
      schemaLeaves(v, prefix ? `${prefix}.${k}` : k),
    );
  }
  return [{ keyPath: prefix, default: inherited }];
}

/** Every documented key path of both roles, with its schema default when it has one. */
export function configLeaves(): { keyPath: string; default?: { value: unknown } }[] {
  return [...Object.entries(REGION_KEYS), ...Object.entries(FLEET_KEYS)].flatMap(([k, s]) =>
    schemaLeaves(s as z.ZodType, k),
  );
}

/** A default as the docs show it: YAML-like, in backticks. */
export function renderDefault(value: unknown): string {
  if (isDeepStrictEqual(value, COMMON_LADDER)) {
    return "the common 1080p30 ladder (`COMMON_LADDER`, lib/config/sizing-schema.ts)";
  }
  const plain = (v: unknown): string => {
    if (typeof v === "string") {
      // Quote what YAML would read as another type, so "1" is not mistaken for 1.
      return /^(-?\d+(\.\d+)?|true|false|null|)$/.test(v) ? JSON.stringify(v) : v;
    }
    if (Array.isArray(v)) return `[${v.map(plain).join(", ")}]`;
    if (typeof v === "object" && v !== null) {
      const entries = Object.entries(v);
      return entries.length === 0
        ? "{}"
        : `{ ${entries.map(([k, x]) => `${k}: ${plain(x)}`).join(", ")} }`;
    }
    return String(v);
  };
  return `\`${plain(value)}\``;
}

const ROW = /^\| `([^`]+)` \| ([^|]*) \|/;

/**
 * The markdown with each table row's default cell set from the schema, for every key that has a
 * schema default. Returns the text and the documented keys it found.
 */
export function syncDefaultsColumn(markdown: string): string {
  const defaults = new Map<string, unknown>();
  for (const leaf of configLeaves())
    if (leaf.default) defaults.set(leaf.keyPath, leaf.default.value);
  return markdown
    .split("\n")
    .map((line) => {
      const m = ROW.exec(line);
      if (!m || !defaults.has(m[1])) return line;
      return line.replace(ROW, `| \`${m[1]}\` | ${renderDefault(defaults.get(m[1]))} |`);
    })
    .join("\n");
}
