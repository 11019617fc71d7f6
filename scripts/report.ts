// `npm run report -- [--out FILE]`: the offline plan as one self-contained HTML page
// (lib/report/html.ts) with, per region, demand against capacity by hour, the cost breakdown,
// exposure and deploy blockers, and the fleet overview. Plans every stack as `npm run plan` does.
import * as fs from "node:fs";
import * as path from "node:path";
import { helpText, parseFlags, runMain, EXIT_COULD_NOT_RUN, EXIT_OK } from "../lib/cli";
import { listStacks } from "../lib/config/sources";
import { isFailed, problemLine } from "../lib/plan/report";
import { planStacks } from "../lib/plan/run";
import { renderReport } from "../lib/report/html";

const USAGE = "npm run report -- [--out FILE]";
const HELP = helpText({
  usage: USAGE,
  about:
    "Plans every stack offline (as npm run plan) and writes one self-contained HTML page: per " +
    "region demand against capacity by hour (streams and Gpx/s), the monthly cost by line, what " +
    "the internet reaches and what blocks a deploy; the fleet overview on top. Opens without a " +
    "network.",
  flags: [["--out FILE", "where to write the page (default report.html)"]],
});

export async function main(argv: string[], projectDir: string): Promise<number> {
  const f = parseFlags(argv, { out: "string" }, USAGE, HELP);
  const out = path.resolve(f.out ?? "report.html");
  const stacks = listStacks(projectDir);
  const run = await planStacks({
    projectDir,
    stacks,
    onDone: (e, done, total, seconds) =>
      process.stderr.write(
        `report: [${done}/${total}] ${e.stack} ${isFailed(e) ? "NOT PLANNED" : "ok"} (${seconds.toFixed(1)} s)\n`,
      ),
  });
  fs.writeFileSync(out, renderReport(run, new Date()));
  const failed = run.stacks.filter(isFailed);
  for (const e of failed) {
    for (const p of e.error.problems) process.stderr.write(`${problemLine(p)}\n`);
  }
  process.stdout.write(`wrote ${out}\n`);
  return failed.length > 0 ? EXIT_COULD_NOT_RUN : EXIT_OK;
}

if (require.main === module) {
  runMain(() => main(process.argv.slice(2), path.resolve(__dirname, "..")));
}
