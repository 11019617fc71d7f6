// `npm run drift -- --fleet prod [--stack NAME]... [--concurrency N] [--timeout SECONDS]
//   [--json FILE] [--markdown FILE] [--stack-prefix ORG/PROJECT/]`
// Refresh-previews every stack of the fleet (the fleet stack and each region stack) through the
// Pulumi Automation API, prints one line per stack, and writes the JSON / Markdown report.
// Exit 0 all in sync, 1 drift found, 2 a check could not run, 64 wrong usage.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseFlags, runMain, UsageError } from "../lib/cli";
import { checkStacks, RefreshPreviewer } from "../lib/drift/check";
import { buildReport, renderLine, renderMarkdown } from "../lib/drift/report";
import { fleetStacks } from "../lib/drift/stacks";
import { automationPreviewer } from "../lib/drift/automation";

const USAGE =
  "npm run drift -- --fleet prod [--stack NAME]... [--concurrency N] [--timeout SECONDS] " +
  "[--json FILE] [--markdown FILE] [--stack-prefix ORG/PROJECT/]";

/** A region refresh reads a few hundred resources; 15 minutes is generous but bounded. */
export const DEFAULT_TIMEOUT_SECONDS = 900;
export const DEFAULT_CONCURRENCY = 2;

export interface DriftDeps {
  projectDir: string;
  engine: (stackPrefix: string | undefined) => RefreshPreviewer;
  log: (line: string) => void;
}

export async function main(argv: string[], deps: DriftDeps): Promise<number> {
  const f = parseFlags(
    argv,
    {
      fleet: "string",
      stack: "strings",
      concurrency: "integer",
      timeout: "integer",
      json: "string",
      markdown: "string",
      "stack-prefix": "string",
    },
    USAGE,
  );
  if (!f.fleet) throw new UsageError(`--fleet is required\nusage: ${USAGE}`);
  const all = fleetStacks(deps.projectDir, f.fleet);
  const unknown = f.stack.filter((s) => !all.includes(s));
  if (unknown.length > 0) {
    throw new UsageError(
      `not a stack of fleet ${f.fleet}: ${unknown.join(", ")} (its stacks: ${all.join(", ")})`,
    );
  }
  const stacks = f.stack.length > 0 ? f.stack : all;
  const concurrency = f.concurrency ?? DEFAULT_CONCURRENCY;
  if (concurrency < 1) throw new UsageError(`--concurrency must be at least 1\nusage: ${USAGE}`);
  const timeout = f.timeout ?? DEFAULT_TIMEOUT_SECONDS;
  if (timeout < 1) throw new UsageError(`--timeout must be at least 1 second\nusage: ${USAGE}`);

  const startedAt = new Date();
  deps.log(
    `drift check of ${stacks.length} stack(s) of fleet ${f.fleet}, ${concurrency} at a time`,
  );
  const results = await checkStacks(stacks, deps.engine(f["stack-prefix"]), {
    concurrency,
    timeoutMs: timeout * 1000,
    onResult: (r) => deps.log(renderLine(r)),
  });
  const report = buildReport(f.fleet, results, startedAt, new Date());
  if (f.json) fs.writeFileSync(f.json, `${JSON.stringify(report, null, 2)}\n`);
  if (f.markdown) fs.writeFileSync(f.markdown, renderMarkdown(report));
  return report.exitCode;
}

if (require.main === module) {
  runMain(() => {
    const projectDir = path.resolve(__dirname, "..");
    return main(process.argv.slice(2), {
      projectDir,
      engine: (stackPrefix) => automationPreviewer({ workDir: projectDir, stackPrefix }),
      log: (line) => process.stderr.write(`${line}\n`),
    });
  });
}
