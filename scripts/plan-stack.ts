// Child process of `npm run plan`: evaluates one stack under the mock monitor and prints its
// report as JSON on stdout. Invalid config: the message on stderr (first line names the stack
// file and key path) and exit code 2.
// Usage: plan-stack.ts STACK [--evaluation] [--config-file FILE] [--no-source-maps]
//   --evaluation      print the raw evaluation (every registration with provider, protect,
//                     ignoreChanges, dependsOn) instead of the report: what the tests assert on
//   --config-file     a JSON object of config keys to values used instead of the stack's files
//   --no-source-maps  skip loading the program's source maps (a fifth of the run's CPU): for
//                     batch checks that print findings, not stack traces
//   --as-deploy       evaluate as `pulumi up` would: an undeployable stack is refused (exit 2)
import * as fs from "node:fs";
import * as path from "node:path";
import { evaluateStack } from "../lib/plan/evaluate";
import { stackReport } from "../lib/plan/report";
import { capacityReport } from "../lib/plan/capacity";
import { loadRegionConfig } from "../lib/config/load";
import { effectiveConfig, runtimeSources } from "../lib/config/sources";
import { regionSizing } from "../lib/sizing/region";
import { parseStackName } from "../lib/stack";

const EXIT_INVALID_CONFIG = 2;

async function main(): Promise<void> {
  const [stack, ...rest] = process.argv.slice(2);
  if (!stack) {
    process.stderr.write("usage: plan-stack.ts STACK [--evaluation] [--config-file FILE]\n");
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
  const projectDir = path.resolve(__dirname, "..");
  try {
    const evaluation = await evaluateStack({
      projectDir,
      stack,
      config,
      asDeploy: rest.includes("--as-deploy"),
    });
    const report = stackReport(evaluation);
    const role = parseStackName(stack);
    if (!raw && role.role === "region") {
      // The same config the program just validated: the planner is pure, so re-running it here
      // gives exactly the numbers the scheduled actions and the policy carry.
      const c = loadRegionConfig(
        role,
        runtimeSources(projectDir, stack, config ?? effectiveConfig(projectDir, stack)),
      );
      report.capacity = capacityReport(evaluation, regionSizing(c), c, role.region);
    }
    process.stdout.write(JSON.stringify(raw ? evaluation : report) + "\n");
  } catch (err) {
    const e = err as Error;
    // ConfigError, StackNameError and the RunError index.ts wraps them in: a user's mistake.
    if (
      ["ConfigError", "StackNameError", "RunError"].includes(e.name) ||
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
