// `npm run drift -- --fleet prod [--stack NAME]... [--concurrency N] [--timeout SECONDS]
//   [--json] [--out FILE] [--markdown FILE] [--stack-prefix ORG/PROJECT/]`
// Refresh-previews every stack of the fleet (the fleet stack and each region stack) through the
// Pulumi Automation API, prints one line per stack, and writes the JSON / Markdown report.
// Exit 0 all in sync, 1 drift found, 2 a check could not run, 64 wrong usage.
import * as fs from "node:fs";
import * as path from "node:path";
import { helpText, parseFlags, runMain, UsageError } from "../lib/cli";
import { checkStacks, RefreshPreviewer } from "../lib/drift/check";
import { buildReport, renderLine, renderMarkdown } from "../lib/drift/report";
import { fleetStacks } from "../lib/drift/stacks";
import { automationPreviewer } from "../lib/drift/automation";

const USAGE =
  "npm run drift -- --fleet prod [--stack NAME]... [--concurrency N] [--timeout SECONDS] " +
  "[--json] [--out FILE] [--markdown FILE] [--stack-prefix ORG/PROJECT/]";

/** A region refresh reads a few hundred resources; 15 minutes is generous but bounded. */
export const DEFAULT_TIMEOUT_SECONDS = 900;
export const DEFAULT_CONCURRENCY = 2;

const HELP = helpText({
  usage: USAGE,
  about:
    "Refresh-previews every stack of the fleet (pulumi refresh --preview-only through the " +
    "Automation API: needs the Pulumi CLI, its backend login and AWS credentials) and says " +
    "which stacks no longer match AWS. One line per stack on stderr.",
  flags: [
    ["--fleet NAME", "the fleet stack (required); its region stacks come from its regions"],
    ["--stack NAME", "check only this stack of the fleet (repeatable)"],
    ["--concurrency N", `stacks checked at a time (default ${DEFAULT_CONCURRENCY})`],
    ["--timeout SECONDS", "per stack (default 900)"],
    ["--json", "print the report as JSON on stdout"],
    ["--out FILE", "write the JSON report to FILE"],
    ["--markdown FILE", "write the report as Markdown (the workflow's job summary)"],
    ["--stack-prefix P", "prepended to stack names, e.g. my-org/livepeer-fleet/"],
  ],
  finding: "a stack drifted",
});

export interface DriftDeps {
  projectDir: string;
  engine: (stackPrefix: string | undefined) => RefreshPreviewer;
  log: (line: string) => void;
  /** Where --json writes (stdout). */
  out: (text: string) => void;
}

export async function main(argv: string[], deps: DriftDeps): Promise<number> {
  const f = parseFlags(
    argv,
    {
      fleet: "string",
      stack: "strings",
      concurrency: "integer",
      timeout: "integer",
      json: "boolean",
      out: "string",
      markdown: "string",
      "stack-prefix": "string",
    },
    USAGE,
    HELP,
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
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (f.out) fs.writeFileSync(f.out, json);
  if (f.json) deps.out(json);
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
      out: (text) => process.stdout.write(text),
    });
  });
}
