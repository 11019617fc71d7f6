// Child process of `npm run plan`: evaluates one stack under the mock monitor and prints its
// report as JSON on stdout. Invalid config: the message on stderr (first line names the stack
// file and key path) and exit code 2; so is a resource the policy guard refuses (policy/guard.ts).
// Usage: plan-stack.ts STACK [--evaluation] [--config-file FILE]
//   --evaluation   print the raw evaluation (every registration with provider, protect,
//                  ignoreChanges, dependsOn) instead of the report: what the tests assert on
//   --config-file  a JSON object of config keys to values used instead of the stack's files
import * as fs from "node:fs";
import * as path from "node:path";
import { evaluateStack } from "../lib/plan/evaluate";
import { stackReport } from "../lib/plan/report";
import { capacityReport } from "../lib/plan/capacity";
import { loadProgramConfig } from "../lib/config/program";
import { effectiveConfig, stackDir } from "../lib/config/sources";
import { designRegion } from "../lib/design";

const EXIT_INVALID_CONFIG = 2;

async function main(): Promise<void> {
  const [stack, ...rest] = process.argv.slice(2);
  if (!stack) {
    process.stderr.write("usage: plan-stack.ts STACK [--evaluation] [--config-file FILE]\n");
    process.exit(64);
  }
  const raw = rest.includes("--evaluation");
  const fileAt = rest.indexOf("--config-file");
  let config: Record<string, string> | undefined;
  if (fileAt >= 0) {
    const values = JSON.parse(fs.readFileSync(rest[fileAt + 1], "utf8")) as Record<string, unknown>;
    config = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
  }
  const projectDir = path.resolve(__dirname, "..");
  try {
    const evaluation = await evaluateStack({ projectDir, stack, config });
    const report = stackReport(evaluation);
    if (!raw && report.role === "region") {
      // The same config and the same design function the program just built from: the numbers
      // here are exactly the ones the scheduled actions, the policy and the user data carry.
      const p = loadProgramConfig(
        projectDir,
        stack,
        config ?? effectiveConfig(projectDir, stack, stackDir(projectDir)),
      );
      if ("region" in p) {
        report.capacity = capacityReport(
          evaluation,
          designRegion(stack, p.role.region, p.region, p.fleet),
        );
      }
    }
    process.stdout.write(JSON.stringify(raw ? evaluation : report) + "\n");
  } catch (err) {
    const e = err as Error;
    // ConfigError, StackNameError and the RunError index.ts wraps them in, and the policy guard's
    // refusal of a resource (policy/guard.ts): a user's mistake, told without a stack trace.
    if (
      ["ConfigError", "StackNameError", "RunError", "PolicyGuardError"].includes(e.name) ||
      e.constructor?.name === "RunError"
    ) {
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
