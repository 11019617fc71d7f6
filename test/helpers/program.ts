// Runs the real program for a stack under the mock monitor, in a child process (the Pulumi
// runtime is one per process), and returns every recorded registration. Results are memoised
// per (stack, config) so a suite evaluates each distinct setup once.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Evaluation, RecordedResource } from "../../lib/plan/evaluate";
import { effectiveConfig } from "../../lib/config/sources";
import { deepMerge } from "../../lib/config/load";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");
const cache = new Map<string, Outcome>();

export interface Outcome {
  code: number;
  stderr: string;
  evaluation?: Evaluation;
}

/** Evaluates `stack` with its files' config, deep-merged with `overrides` (full keys). */
export function runProgram(stack: string, overrides?: Record<string, unknown>): Outcome {
  const key = JSON.stringify([stack, overrides ?? null]);
  const hit = cache.get(key);
  if (hit) return hit;
  const args = [
    "--import",
    "tsx",
    path.join(PROJECT_DIR, "scripts", "plan-stack.ts"),
    stack,
    "--evaluation",
  ];
  if (overrides) {
    const base = effectiveConfig(PROJECT_DIR, stack) as Record<string, unknown>;
    const merged: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base)) {
      merged[k] = typeof v === "string" && /^[[{]/.test(v) ? JSON.parse(v) : v;
    }
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete merged[k];
      else merged[k] = deepMerge(merged[k], v);
    }
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lf-config-")), "config.json");
    fs.writeFileSync(file, JSON.stringify(merged));
    args.push("--config-file", file);
  }
  const r = spawnSync(process.execPath, args, { cwd: PROJECT_DIR, encoding: "utf8" });
  const outcome: Outcome = { code: r.status ?? 1, stderr: r.stderr };
  if (r.status === 0) outcome.evaluation = JSON.parse(r.stdout) as Evaluation;
  cache.set(key, outcome);
  return outcome;
}

/** Like runProgram but fails loudly unless the program succeeded. */
export function evaluate(stack: string, overrides?: Record<string, unknown>): Evaluation {
  const o = runProgram(stack, overrides);
  if (!o.evaluation) throw new Error(`program failed for ${stack} (exit ${o.code}):\n${o.stderr}`);
  return o.evaluation;
}

export function ofType(e: Evaluation, type: string): RecordedResource[] {
  return e.resources.filter((r) => r.type === type);
}

/** The one resource of `type` whose logical name ends with `suffix`. */
export function one(e: Evaluation, type: string, suffix: string): RecordedResource {
  const found = ofType(e, type).filter((r) => r.name.endsWith(suffix));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type} named *${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`,
    );
  }
  return found[0];
}

/** A JSON-string input (IAM and key policies) parsed. */
export function policyOf(
  r: RecordedResource,
  input = "policy",
): { Statement: Record<string, unknown>[] } {
  return JSON.parse(String(r.inputs[input])) as { Statement: Record<string, unknown>[] };
}
