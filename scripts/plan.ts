// `npm run plan -- [--stack NAME]... [--json] [--out FILE]`: the offline main job. Evaluates the
// real program for every stack (each in its own process under the SDK's mock monitor), prints what
// each would build and what the internet could reach, then the fleet summary. A stack that cannot
// be planned shows its errors in place and the others still print; then the exit code is 2.
import * as fs from "node:fs";
import * as path from "node:path";
import { helpText, parseFlags, runMain, EXIT_COULD_NOT_RUN, EXIT_OK } from "../lib/cli";
import { listStacks } from "../lib/config/sources";
import { isFailed, problemLine, renderEntry } from "../lib/plan/report";
import { renderFleetSummary } from "../lib/plan/fleet";
import { planStacks } from "../lib/plan/run";

const USAGE = "npm run plan -- [--stack NAME]... [--json] [--out FILE]";
const HELP = helpText({
  usage: USAGE,
  about:
    "Offline: what every stack would build, what the internet could reach, the capacity plan and " +
    "monthly cost per region stack, then the fleet summary. No credentials, no Pulumi CLI, no AWS.",
  flags: [
    ["--stack NAME", "plan only this stack (repeatable); the summary still checks every file"],
    ["--json", "print the plan as JSON on stdout: { stacks: [...], fleet: {...} }"],
    ["--out FILE", "also write the JSON plan to FILE"],
  ],
});

/** Progress on stderr only when there are enough stacks to wait for. */
const PROGRESS_ABOVE = 3;

export async function main(argv: string[], projectDir: string): Promise<number> {
  const f = parseFlags(argv, { stack: "strings", json: "boolean", out: "string" }, USAGE, HELP);
  const known = listStacks(projectDir);
  const stacks = f.stack.length > 0 ? f.stack : known;
  const missing = stacks.filter((s) => !known.includes(s));
  if (missing.length > 0) {
    process.stderr.write(
      `no stack file for ${missing.map((s) => `Pulumi.${s}.yaml`).join(", ")}; stacks here: ${known.join(", ")}\n`,
    );
    return EXIT_COULD_NOT_RUN;
  }
  const progress = stacks.length > PROGRESS_ABOVE;
  const started = Date.now();
  const run = await planStacks({
    projectDir,
    stacks,
    onDone: progress
      ? (e, done, total, seconds) =>
          process.stderr.write(
            `plan: [${done}/${total}] ${e.stack} ${isFailed(e) ? "NOT PLANNED" : "ok"} (${seconds.toFixed(1)} s)\n`,
          )
      : undefined,
  });
  if (progress) {
    process.stderr.write(
      `plan: ${stacks.length} stacks in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  }
  const failed = run.stacks.filter(isFailed);
  // The failures' problems also go to stderr, invalid config first: its first line names the
  // stack file and the key path, as every config error does.
  failed.sort(
    (a, b) => Number(b.error.kind === "invalid-config") - Number(a.error.kind === "invalid-config"),
  );
  for (const e of failed) {
    for (const p of e.error.problems) process.stderr.write(`${problemLine(p)}\n`);
  }
  const json = `${JSON.stringify(run, null, 2)}\n`;
  if (f.out) fs.writeFileSync(f.out, json);
  if (f.json) process.stdout.write(json);
  else {
    const text = [...run.stacks.map(renderEntry), renderFleetSummary(run.fleet)].join("\n\n");
    process.stdout.write(`${text}\n`);
  }
  return failed.length > 0 ? EXIT_COULD_NOT_RUN : EXIT_OK;
}

if (require.main === module) {
  runMain(() => main(process.argv.slice(2), path.resolve(__dirname, "..")));
}
