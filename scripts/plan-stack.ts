// The plan's evaluation child: evaluates stacks under the mock monitor.
// Usage: plan-stack.ts STACK [--evaluation] [--config-file FILE]
//        plan-stack.ts --serve
//   STACK          evaluate one stack and print its report as JSON on stdout. Invalid config: the
//                  message on stderr (first line names the stack file and key path), exit 2.
//   --evaluation   print the raw evaluation (every registration with provider, protect,
//                  ignoreChanges, dependsOn) instead of the report: what the tests assert on
//   --config-file  a JSON object of config keys to values used instead of the stack's files
//   --as-deploy    evaluate as `pulumi up` would: an undeployable stack is refused (exit 2)
//   --serve        what `npm run plan` runs: read stack names from stdin, one a line, and answer
//                  each with one JSON line on stdout, {stack, report} or {stack, error}. One
//                  process plans many stacks, so the SDK and the program load once per worker
//                  instead of once per stack. After anything but a config error it exits: the
//                  next stack gets a fresh process.
// Not a command for people. Exit codes as every command (docs/cli.md).
import "../lib/plan/child-init";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { evaluateStack } from "../lib/plan/evaluate";
import { stackReport, type StackError, type StackReport } from "../lib/plan/report";
import { capacityReport } from "../lib/plan/capacity";
import { problemsOf } from "../lib/plan/problems";
import { loadProgramConfig } from "../lib/config/program";
import { effectiveConfig, stackDir } from "../lib/config/sources";
import { designRegion } from "../lib/design";

const EXIT_INVALID_CONFIG = 2;
const USAGE =
  "usage: plan-stack.ts STACK [--evaluation] [--config-file FILE] | plan-stack.ts --serve\n";
const projectDir = path.resolve(__dirname, "..");

/**
 * ConfigError, StackNameError and the RunError index.ts wraps them in, and the policy guard's
 * refusal of a resource (policy/guard.ts): a user's mistake, told without a stack trace.
 */
function isConfigMistake(e: Error): boolean {
  return (
    ["ConfigError", "StackNameError", "RunError", "PolicyGuardError"].includes(e.name) ||
    e.constructor?.name === "RunError"
  );
}

async function report(stack: string, config?: Record<string, string>): Promise<StackReport> {
  const evaluation = await evaluateStack({ projectDir, stack, config });
  const r = stackReport(evaluation);
  if (r.role === "region") {
    // The same config and the same design function the program just built from: the numbers
    // here are exactly the ones the scheduled actions, the policy and the user data carry.
    const p = loadProgramConfig(
      projectDir,
      stack,
      config ?? effectiveConfig(projectDir, stack, stackDir(projectDir)),
    );
    if ("region" in p) {
      r.capacity = capacityReport(
        evaluation,
        designRegion(stack, p.role.region, p.region, p.fleet),
      );
    }
  }
  return r;
}

async function serve(): Promise<void> {
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    const stack = line.trim();
    if (stack === "") continue;
    try {
      const r = await report(stack);
      process.stdout.write(`${JSON.stringify({ stack, report: r })}\n`);
    } catch (err) {
      const e = err as Error;
      const mistake = isConfigMistake(e);
      const error: StackError = mistake
        ? { kind: "invalid-config", problems: problemsOf(e.message) }
        : { kind: "failed", problems: [{ message: e.stack ?? String(e) }] };
      process.stdout.write(`${JSON.stringify({ stack, error })}\n`, () => {
        // A crash may leave the runtime half-used: the next stack gets a fresh process.
        if (!mistake) process.exit(1);
      });
      if (!mistake) return;
    }
  }
}

async function main(): Promise<void> {
  const [stack, ...rest] = process.argv.slice(2);
  if (stack === "--help") {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (stack === "--serve") return serve();
  if (!stack) {
    process.stderr.write(USAGE);
    process.exit(64);
  }
  const raw = rest.includes("--evaluation");
  // tsx turns source maps on; the program's modules load below, so this still saves their maps.
  if (rest.includes("--no-source-maps")) process.setSourceMapsEnabled(false);
  const fileAt = rest.indexOf("--config-file");
  let config: Record<string, string> | undefined;
  if (fileAt >= 0) {
    const values = JSON.parse(fs.readFileSync(rest[fileAt + 1], "utf8")) as Record<string, unknown>;
    config = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
  }
  try {
    const out = raw
      ? await evaluateStack({ projectDir, stack, config, asDeploy: rest.includes("--as-deploy") })
      : await report(stack, config);
    process.stdout.write(JSON.stringify(out) + "\n");
  } catch (err) {
    const e = err as Error;
    if (isConfigMistake(e)) {
      process.stderr.write(`${e.message}\n`);
      if (raw) {
        const n = (e as { registeredBeforeError?: number }).registeredBeforeError;
        process.stderr.write(`resources registered before the error: ${n ?? "unknown"}\n`);
      }
      process.exit(EXIT_INVALID_CONFIG);
    }
    process.stderr.write(`${e.stack ?? String(e)}\n`);
    process.exit(1);
  }
}

void main();
