// `npm run demand:sync -- --prometheus URL --stack NAME [--days N] [--write]` reads the region's
// demand from Prometheus, shows the change against the stack file and the plan it gives, and
// with --write rewrites only the demand block of Pulumi.<stack>.yaml. Any doubtful answer
// (HTTP error, empty or partial series, NaN) or a result the config would reject: a message,
// exit 1 or 2, and the file untouched.
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
import { exitAfterFlush } from "../lib/cli";

const USAGE =
  "usage: npm run demand:sync -- --prometheus URL --stack NAME [--days N] [--write] " +
  "[--selector MATCHERS] [--end ISO] [--min-coverage F] [--keep-ladder] [--project-dir DIR]";

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

class UsageError extends Error {}

function parseArgs(argv: string[]): Args {
  const out: Partial<Args> = {
    days: 14,
    write: false,
    end: new Date(),
    minCoverage: 1,
    keepLadder: false,
    projectDir: path.resolve(__dirname, ".."),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--prometheus") out.prometheus = value();
    else if (a === "--stack") out.stack = value();
    else if (a === "--days") out.days = Number(value());
    else if (a === "--write") out.write = true;
    else if (a === "--selector") out.selector = value();
    else if (a === "--end") out.end = new Date(value());
    else if (a === "--min-coverage") out.minCoverage = Number(value());
    else if (a === "--keep-ladder") out.keepLadder = true;
    else if (a === "--project-dir") out.projectDir = path.resolve(value());
    else throw new UsageError(`unknown argument ${a}`);
  }
  if (!out.prometheus || !/^https?:\/\//.test(out.prometheus)) {
    throw new UsageError("--prometheus needs an http(s) URL");
  }
  if (!out.stack) throw new UsageError("--stack needs a region stack name");
  if (!Number.isInteger(out.days) || out.days! < 1 || out.days! > 90) {
    throw new UsageError("--days must be a whole number of days, 1-90");
  }
  if (Number.isNaN(out.end!.getTime())) throw new UsageError("--end must be an ISO-8601 time");
  if (!(out.minCoverage! > 0 && out.minCoverage! <= 1)) {
    throw new UsageError("--min-coverage must be in (0, 1]");
  }
  return out as Args;
}

function regionConfig(projectDir: string, stack: string, stackValues: Record<string, unknown>) {
  const role = parseStackName(stack);
  if (role.role !== "region") throw new UsageError(`${stack} is not a region stack`);
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
  if (!fs.existsSync(file)) throw new UsageError(`no stack file ${file}`);
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
    throw new UsageError(`fix ${stackFileName(args.stack)} before syncing it:\n${err.message}`);
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
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n${USAGE}\n`);
      process.exit(64);
    }
    if (e instanceof ConfigError) {
      process.stderr.write(
        `the synced demand does not fit the stack's config; file left as is:\n${e.message}\n`,
      );
      process.exit(2);
    }
    if (e instanceof DemandSyncError || e instanceof StackFileError) {
      process.stderr.write(`demand:sync: ${e.message}\nfile left as is\n`);
      process.exit(1);
    }
    process.stderr.write(`${e.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
