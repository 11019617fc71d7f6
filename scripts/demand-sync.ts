// `npm run demand:sync -- --prometheus URL --stack NAME [--days N] [--write]` reads the region's
// demand from Prometheus, shows the change against the stack file and the plan it gives, and
// with --write rewrites only the demand block of Pulumi.<stack>.yaml. Any doubtful answer
// (HTTP error, empty or partial series, NaN): a message, exit 2 and the file untouched; demand
// the config cannot serve: the config problem, exit 1 and the file untouched.
// Other options: --selector 'job="livepeer"' (extra label matchers), --end ISO-8601 (window end,
// default now), --min-coverage 0.9 (accept gaps), --keep-ladder (sync stream counts only),
// --project-dir DIR (where the stack files are; default this repository).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, loadRegionConfig } from "../lib/config/load";
import type { RegionConfig } from "../lib/config/schema";
import { readProjectConfig, readStackConfig } from "../lib/config/sources";
import { SOURCE_RENDITION } from "../lib/config/sizing-schema";
import {
  DemandQuery,
  DemandSyncError,
  checkSelector,
  fetchLadder,
  fetchPeakStreams,
} from "../lib/demand/prometheus";
import { StackFileError, updateDemandBlock, type DemandBlock } from "../lib/demand/stack-file";
import { fmtPx, streamPixelsPerSecond } from "../lib/sizing/planner";
import { regionSizing } from "../lib/sizing/region";
import { parseStackName, stackFileName } from "../lib/stack";
import {
  exitAfterFlush,
  helpText,
  HelpRequested,
  parseFlags,
  UsageError,
  EXIT_COULD_NOT_RUN,
  EXIT_FINDING,
  EXIT_USAGE,
} from "../lib/cli";

const USAGE =
  "npm run demand:sync -- --prometheus URL --stack NAME [--days N] [--write] " +
  "[--selector MATCHERS] [--end ISO] [--min-coverage F] [--keep-ladder] [--project-dir DIR]";
const HELP = helpText({
  usage: USAGE,
  about:
    "Reads a region's hourly demand from Prometheus, shows the change against its stack file " +
    "and the plan it gives; with --write rewrites only the stack file's demand block.",
  flags: [
    ["--prometheus URL", "the Prometheus that scrapes the region's orchestrators (required)"],
    ["--stack NAME", "the region stack (required)"],
    ["--days N", "days of history, 1-90 (default 14)"],
    ["--write", "update the stack file (default: a dry run)"],
    ["--selector MATCHERS", "extra label matchers, e.g. 'job=\"livepeer\"'"],
    ["--end ISO", "end of the window, ISO-8601 (default now)"],
    ["--min-coverage F", "fraction of the window that must have data, (0, 1] (default 1)"],
    ["--keep-ladder", "sync stream counts only, keep the file's ladder"],
    ["--project-dir DIR", "where the stack files are (default this repository)"],
  ],
  finding: "the measured demand does not fit the stack's config (file left as is)",
});

interface Args {
  prometheus: string;
  stack: string;
  days: number;
  write: boolean;
  selector?: string;
  end: Date;
  minCoverage: number;
  keepLadder: boolean;
  projectDir: string;
}

const usage = (msg: string) => new UsageError(`${msg}\nusage: ${USAGE}`);

function parseArgs(argv: string[]): Args {
  const f = parseFlags(
    argv,
    {
      prometheus: "string",
      stack: "string",
      days: "integer",
      write: "boolean",
      selector: "string",
      end: "string",
      "min-coverage": "string",
      "keep-ladder": "boolean",
      "project-dir": "string",
    },
    USAGE,
    HELP,
  );
  if (!f.prometheus || !/^https?:\/\//.test(f.prometheus)) {
    throw usage("--prometheus needs an http(s) URL");
  }
  if (!f.stack) throw usage("--stack needs a region stack name");
  const days = f.days ?? 14;
  if (days < 1 || days > 90) throw usage("--days must be a whole number of days, 1-90");
  const end = f.end === undefined ? new Date() : new Date(f.end);
  if (Number.isNaN(end.getTime())) throw usage("--end must be an ISO-8601 time");
  const minCoverage = f["min-coverage"] === undefined ? 1 : Number(f["min-coverage"]);
  if (!(minCoverage > 0 && minCoverage <= 1)) throw usage("--min-coverage must be in (0, 1]");
  return {
    prometheus: f.prometheus,
    stack: f.stack,
    days,
    write: f.write,
    selector: f.selector,
    end,
    minCoverage,
    keepLadder: f["keep-ladder"],
    projectDir: path.resolve(f["project-dir"] ?? path.resolve(__dirname, "..")),
  };
}

function regionConfig(projectDir: string, stack: string, stackValues: Record<string, unknown>) {
  const role = parseStackName(stack);
  if (role.role !== "region") throw usage(`${stack} is not a region stack`);
  return loadRegionConfig(role, { stackValues, projectValues: readProjectConfig(projectDir) });
}

function describeChange(before: RegionConfig, after: RegionConfig): string {
  const lines: string[] = [];
  const a = regionSizing(before);
  const b = regionSizing(after);
  const oldPeaks = before.demand.peakStreams;
  lines.push("hour UTC   streams (file -> Prometheus)   nodes");
  for (let h = 0; h < 24; h++) {
    const was = oldPeaks?.[h];
    const now = after.demand.peakStreams![h];
    const nodes = `${a.plan?.hourly[h].instances ?? a.minSize} -> ${b.plan!.hourly[h].instances}`;
    const mark = was === now ? " " : "*";
    lines.push(
      `${mark} ${String(h).padStart(2, "0")}:00   ${String(was ?? "-").padStart(6)} -> ${String(now).padEnd(6)}              ${nodes}`,
    );
  }
  const ladder = (c: RegionConfig) =>
    c.demand.ladder.map((r) => `${r.name} ${r.width}x${r.height}@${r.fps}`).join(", ");
  lines.push(`ladder: ${ladder(before)}`);
  lines.push(
    `     -> ${ladder(after)} (${fmtPx(streamPixelsPerSecond(after.demand.ladder))} per stream)`,
  );
  lines.push(
    `min/max ${a.minSize}/${a.maxSize} -> ${b.minSize}/${b.maxSize}, -maxSessions ${a.maxSessions ?? "-"} -> ${b.maxSessions}, ` +
      `maintenance ${a.maintenanceHourUtc}:00 -> ${b.maintenanceHourUtc}:00 UTC, ` +
      `scheduled actions ${a.scheduledActions.length} -> ${b.scheduledActions.length}`,
  );
  return lines.join("\n");
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  checkSelector(args.selector);
  const file = path.join(args.projectDir, stackFileName(args.stack));
  if (!fs.existsSync(file)) throw usage(`no stack file ${file}`);
  const text = fs.readFileSync(file, "utf8");
  let current: RegionConfig;
  try {
    current = regionConfig(
      args.projectDir,
      args.stack,
      readStackConfig(args.projectDir, args.stack)!,
    );
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw usage(`fix ${stackFileName(args.stack)} before syncing it:\n${err.message}`);
  }
  const source = current.demand.ladder.find((r) => r.name === SOURCE_RENDITION)!;

  const q: DemandQuery = {
    url: args.prometheus,
    days: args.days,
    end: args.end,
    selector: args.selector,
    minCoverage: args.minCoverage,
  };
  const peakStreams = await fetchPeakStreams(q);
  let ladder = current.demand.ladder;
  if (!args.keepLadder) {
    const found = await fetchLadder(q, source);
    for (const s of found.shares) {
      process.stdout.write(`ladder ${Math.round(s.share * 100)}% of segments: ${s.profiles}\n`);
    }
    ladder = found.ladder;
  }
  const demand: DemandBlock = { peakStreams, ladder: ladder.map((r) => ({ ...r })) };

  // The new file, read back through the same code the program uses: never write what it rejects.
  const newText = updateDemandBlock(text, demand, stackFileName(args.stack));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "demand-sync-"));
  let next: RegionConfig;
  try {
    fs.writeFileSync(path.join(scratch, stackFileName(args.stack)), newText);
    next = regionConfig(args.projectDir, args.stack, readStackConfig(scratch, args.stack)!);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(`${describeChange(current, next)}\n`);
  if (newText === text) {
    process.stdout.write(`${stackFileName(args.stack)} already matches Prometheus\n`);
  } else if (args.write) {
    // Same directory, then rename: a crash never leaves a half-written stack file.
    const tmp = `${file}.demand-sync-${process.pid}`;
    fs.writeFileSync(tmp, newText);
    fs.renameSync(tmp, file);
    process.stdout.write(`updated the demand block of ${stackFileName(args.stack)}\n`);
  } else {
    process.stdout.write(`dry run: add --write to update ${stackFileName(args.stack)}\n`);
  }
  return 0;
}

main().then(
  (code) => exitAfterFlush(code),
  (err: unknown) => {
    const e = err as Error;
    if (e instanceof HelpRequested) {
      process.stdout.write(e.text);
      return exitAfterFlush(0);
    }
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return exitAfterFlush(EXIT_USAGE);
    }
    // A finding: the region's measured demand is more than its config can serve.
    if (e instanceof ConfigError) {
      process.stderr.write(
        `the synced demand does not fit the stack's config; file left as is:\n${e.message}\n`,
      );
      return exitAfterFlush(EXIT_FINDING);
    }
    // Could not run: no trustworthy answer to sync from.
    if (e instanceof DemandSyncError || e instanceof StackFileError) {
      process.stderr.write(`demand:sync: ${e.message}\nfile left as is\n`);
      return exitAfterFlush(EXIT_COULD_NOT_RUN);
    }
    process.stderr.write(`${e.stack ?? String(e)}\n`);
    return exitAfterFlush(EXIT_COULD_NOT_RUN);
  },
);
