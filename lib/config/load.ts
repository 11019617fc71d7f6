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
    .replace(/^Too big: expected number to be <=(\d+)$/, "expected a number <= $1");
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
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

  const result = schema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
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
      const given = valueAt(merged[String(key)], path);
      const detail = friendly(issue);
      const message =
        given === undefined ? `required: ${detail}` : `${detail} (got ${describe(given)})`;
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
