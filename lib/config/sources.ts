// Reads config sources from disk (Pulumi.yaml, Pulumi.<stack>.yaml) and from the Pulumi
// runtime's config map. YAML errors become ConfigErrors that name the file.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigError, ConfigSources, PROJECT_FILE, RawConfig, SECRET_PLACEHOLDER } from "./load";
import { stackFileName } from "../stack";

export { SECRET_PLACEHOLDER };

/**
 * The keys whose values are secrets in a program the Pulumi engine runs: the nodejs language host
 * passes them as JSON in PULUMI_CONFIG_SECRET_KEYS next to the decrypted values in PULUMI_CONFIG
 * (sdk/nodejs/cmd/pulumi-language-nodejs/main.go, constructConfigSecretKeys; the SDK reads the
 * same variable in runtime/state.ts and answers isConfigSecret from it). Empty offline: there a
 * secret reads as "[secret]" and is never decrypted.
 */
export function secretKeysFromEnvironment(env: NodeJS.ProcessEnv = process.env): string[] {
  try {
    const keys = JSON.parse(env.PULUMI_CONFIG_SECRET_KEYS ?? "[]") as unknown;
    // The engine may still spell keys the old way, <ns>:config:<key> (runtime/config.ts cleanKey).
    return Array.isArray(keys)
      ? keys.filter((k) => typeof k === "string").map((k) => k.replace(/^([^:]+):config:/, "$1:"))
      : [];
  } catch {
    return [];
  }
}

function parseYamlFile(file: string, label: string): unknown {
  try {
    return parse(fs.readFileSync(file, "utf8")) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError([
      { file: label, keyPath: "(file)", message: `not valid YAML: ${reason}` },
    ]);
  }
}

function configSection(doc: unknown, label: string): Record<string, unknown> {
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError([{ file: label, keyPath: "(file)", message: "expected a YAML mapping" }]);
  }
  const config = (doc as Record<string, unknown>).config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError([
      { file: label, keyPath: "config", message: "expected a mapping of keys" },
    ]);
  }
  return config as Record<string, unknown>;
}

function replaceSecure(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(replaceSecure);
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && typeof o.secure === "string") return SECRET_PLACEHOLDER;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, replaceSecure(x)]));
  }
  return v;
}

/** Project-level config values from Pulumi.yaml (`value:` unwrapped; schema-only keys skipped). */
export function readProjectConfig(projectDir: string): RawConfig {
  const doc = parseYamlFile(path.join(projectDir, PROJECT_FILE), PROJECT_FILE);
  const out: RawConfig = {};
  for (const [key, v] of Object.entries(configSection(doc, PROJECT_FILE))) {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if ("value" in o) out[key] = o.value;
      else if ("default" in o) out[key] = o.default;
    } else {
      out[key] = v;
    }
  }
  return out;
}

/** A stack file's config (secure values as "[secret]"), or undefined when there is no file. */
export function readStackConfig(projectDir: string, stack: string): RawConfig | undefined {
  const file = path.join(projectDir, stackFileName(stack));
  if (!fs.existsSync(file)) return undefined;
  return replaceSecure(
    configSection(parseYamlFile(file, stackFileName(stack)), stackFileName(stack)),
  ) as RawConfig;
}

/** Stack names that have a Pulumi.<stack>.yaml in projectDir, sorted. */
export function listStacks(projectDir: string): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Decodes the runtime's string map: structured values arrive as JSON text. */
export function decodeRuntimeConfig(all: Record<string, string>): RawConfig {
  const out: RawConfig = {};
  for (const [k, v] of Object.entries(all)) {
    const t = v.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
      try {
        out[k] = JSON.parse(t);
        continue;
      } catch {
        // not JSON after all: keep the string, the schema says what it expected
      }
    }
    out[k] = v;
  }
  return out;
}

/**
 * Config sources for a program run by the Pulumi engine. The engine hands the effective config
 * (stack values over project values, per key); the project defaults come from Pulumi.yaml so
 * objects can be deep-merged, and the stack file (when on disk) tells which keys the stack set.
 */
export function runtimeSources(
  projectDir: string,
  stack: string,
  all: Record<string, string>,
  stackDir = projectDir,
  secretKeys: readonly string[] = secretKeysFromEnvironment(),
): ConfigSources {
  const effective = decodeRuntimeConfig(all);
  const projectValues = readProjectConfig(projectDir);
  const onDisk = readStackConfig(stackDir, stack);
  const stackValues: RawConfig = {};
  for (const [k, v] of Object.entries(effective)) {
    // Set by the stack when its file has it, or when the engine's value is not the project
    // default (values from an ESC environment or the CLI arrive without a file entry).
    const setByStack =
      (onDisk !== undefined && k in onDisk) ||
      !(k in projectValues) ||
      JSON.stringify(projectValues[k]) !== JSON.stringify(v);
    if (setByStack) stackValues[k] = v;
  }
  return { stackValues, projectValues, secretKeys };
}

/**
 * Where the stack files are: the project directory, unless LIVEPEER_FLEET_STACK_DIR names another
 * (tests evaluate fixture stacks with the project's code and Pulumi.yaml; the offline plan can
 * evaluate generated stacks). Never set by a deployment.
 */
export const STACK_DIR_ENV = "LIVEPEER_FLEET_STACK_DIR";
export function stackDir(projectDir: string): string {
  return process.env[STACK_DIR_ENV] || projectDir;
}

/** The config map the engine would hand a stack's program: project values, then stack values. */
export function effectiveConfig(
  projectDir: string,
  stack: string,
  fromDir = projectDir,
): Record<string, string> {
  const merged = {
    ...readProjectConfig(projectDir),
    ...(readStackConfig(fromDir, stack) ?? {}),
  };
  return Object.fromEntries(
    Object.entries(merged).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}
