// `npm run demand:sync -- --stack NAME [--days N] [--write] ...` reads the region's demand as the
// fleet measures it, shows the change against the stack file and the plan it gives, and with
// --write rewrites only the demand block of Pulumi.<stack>.yaml. Any doubtful answer (empty or
// partial series, NaN, an HTTP or API error): a message, exit 2 and the file untouched; a result
// the config would reject: the config problem, exit 1 and the file untouched.
//
// Source: CloudWatch in the stack's own region by default (the orchestrators' metrics in their
// namespace, lib/demand/metrics.ts), with the AWS SDK's default credentials. Or Prometheus with
// --prometheus URL, which then needs --region-selector (label matchers naming the stack's
// region) and one way to authenticate: --bearer-token-file PATH, --bearer-token-env NAME, or
// --sigv4 (Amazon Managed Service for Prometheus; region from the URL or --sigv4-region).
// Other options: --selector (extra matchers, Prometheus), --end ISO-8601 (window end, default
// now), --min-coverage 0.9 (accept gaps), --keep-ladder (stream counts only), --project-dir DIR.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import {
  EXIT_COULD_NOT_RUN,
  EXIT_FINDING,
  EXIT_USAGE,
  HelpRequested,
  UsageError,
  exitAfterFlush,
  helpText,
  parseFlags,
} from "../lib/cli";
import { ConfigError, loadRegionConfig } from "../lib/config/load";
import type { RegionConfig } from "../lib/config/schema";
import { readProjectConfig, readStackConfig } from "../lib/config/sources";
import { SOURCE_RENDITION } from "../lib/config/sizing-schema";
import {
  CloudWatchLike,
  fetchLadderCloudWatch,
  fetchPeakStreamsCloudWatch,
} from "../lib/demand/cloudwatch";
import {
  DemandQuery,
  DemandSyncError,
  PrometheusAuth,
  checkRegionSelector,
  checkSelector,
  fetchLadder,
  fetchPeakStreams,
} from "../lib/demand/prometheus";
import { StackFileError, updateDemandBlock, type DemandBlock } from "../lib/demand/stack-file";
import { fmtPx, streamPixelsPerSecond, type Rendition } from "../lib/sizing/planner";
import { regionSizing } from "../lib/sizing/region";
import { regionPool } from "../lib/design";
import { parseStackName, stackFileName } from "../lib/stack";

const USAGE =
  "npm run demand:sync -- --stack NAME [--days N] [--write] [--end ISO] [--min-coverage F] " +
  "[--keep-ladder] [--project-dir DIR] [--prometheus URL --region-selector MATCHERS " +
  "(--bearer-token-file PATH | --bearer-token-env NAME | --sigv4 [--sigv4-region REGION]) " +
  "[--selector MATCHERS]]";
const HELP = helpText({
  usage: USAGE,
  about:
    "Reads a region's hourly demand as its orchestrators publish it to CloudWatch (or from " +
    "Prometheus), shows the change against its stack file and the plan it gives; with --write " +
    "rewrites only the stack file's demand block (docs/sizing.md).",
  flags: [
    ["--stack NAME", "the region stack (required)"],
    ["--days N", "days of history (CloudWatch keeps 1-minute data 15 days)"],
    ["--write", "update the stack file (default: a dry run)"],
    ["--prometheus URL", "read Prometheus instead (needs --region-selector and an auth flag)"],
    ["--region-selector MATCHERS", "Prometheus label matchers naming the stack's region"],
    ["--bearer-token-file PATH | --bearer-token-env NAME | --sigv4", "Prometheus authentication"],
    ["--end ISO", "end of the window, ISO-8601 (default now)"],
    ["--min-coverage F", "fraction of the days that must have data, (0, 1] (default 1)"],
    ["--keep-ladder", "sync stream counts only, keep the file's ladder"],
    ["--project-dir DIR", "where the stack files are (default this repository)"],
  ],
  finding: "the measured demand does not fit the stack's config (file left as is)",
});

const FLAGS = {
  stack: "string",
  days: "integer",
  write: "boolean",
  end: "string",
  "min-coverage": "string",
  "keep-ladder": "boolean",
  "project-dir": "string",
  prometheus: "string",
  "region-selector": "string",
  selector: "string",
  "bearer-token-file": "string",
  "bearer-token-env": "string",
  sigv4: "boolean",
  "sigv4-region": "string",
} as const;

/** What the sync reaches outside itself; tests pass stand-ins. */
export interface SyncDeps {
  cloudWatch(region: string): CloudWatchLike;
  awsCredentials(): AwsCredentialIdentityProvider;
  env: Record<string, string | undefined>;
  now(): Date;
  out(text: string): void;
  err(text: string): void;
}

const usage = (msg: string) => new UsageError(`${msg}\nusage: ${USAGE}`);

interface Source {
  describe: string;
  peaks(): Promise<{ peakStreams: number[]; typicalStreams: number[] }>;
  ladder(source: Rendition): Promise<{ ladder: Rendition[]; shares: string[] }>;
}

function prometheusAuth(f: ReturnType<typeof flags>, url: URL, deps: SyncDeps): PrometheusAuth {
  const chosen = [f["bearer-token-file"], f["bearer-token-env"], f.sigv4 || undefined].filter(
    (x) => x !== undefined,
  );
  if (chosen.length !== 1) {
    throw usage(
      "--prometheus needs exactly one of --bearer-token-file, --bearer-token-env or --sigv4",
    );
  }
  if (f["bearer-token-file"] !== undefined) {
    let token: string;
    try {
      token = fs.readFileSync(f["bearer-token-file"], "utf8").trim();
    } catch (err) {
      throw usage(
        `--bearer-token-file ${f["bearer-token-file"]}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`,
      );
    }
    if (!token) throw usage(`--bearer-token-file ${f["bearer-token-file"]} is empty`);
    return { kind: "bearer", token };
  }
  if (f["bearer-token-env"] !== undefined) {
    const token = deps.env[f["bearer-token-env"]]?.trim();
    if (!token) throw usage(`--bearer-token-env: ${f["bearer-token-env"]} is not set or empty`);
    return { kind: "bearer", token };
  }
  // Amazon Managed Service for Prometheus: https://aps-workspaces.<region>.amazonaws.com/...
  const region =
    f["sigv4-region"] ?? /^aps-workspaces\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1];
  if (!region)
    throw usage("--sigv4 needs --sigv4-region when the URL is not an aps-workspaces one");
  return { kind: "sigv4", region, credentials: deps.awsCredentials() };
}

function flags(argv: string[]) {
  return parseFlags(argv, FLAGS, USAGE, HELP);
}

function sourceFor(
  f: ReturnType<typeof flags>,
  q: { stack: string; region: string; days: number; end: Date; minCoverage: number },
  deps: SyncDeps,
): Source {
  const promOnly = [
    "region-selector",
    "selector",
    "bearer-token-file",
    "bearer-token-env",
    "sigv4-region",
  ] as const;
  if (f.prometheus === undefined) {
    const stray = promOnly
      .filter((k) => f[k] !== undefined)
      .concat(f.sigv4 ? ["sigv4" as never] : []);
    if (stray.length > 0) throw usage(`--${stray[0]} is a Prometheus option: add --prometheus URL`);
    const client = deps.cloudWatch(q.region);
    const cq = {
      stack: q.stack,
      region: q.region,
      days: q.days,
      end: q.end,
      minCoverage: q.minCoverage,
    };
    return {
      describe: `CloudWatch in ${q.region}`,
      peaks: () => fetchPeakStreamsCloudWatch(client, cq),
      ladder: async (source) => {
        const r = await fetchLadderCloudWatch(client, cq, source);
        return {
          ladder: r.ladder,
          shares: r.shares.map(
            (s) => `rendition ${s.rendition}: ${Math.round(s.share * 100)}% of pixels`,
          ),
        };
      },
    };
  }
  let url: URL;
  try {
    url = new URL(f.prometheus);
    if (!/^https?:$/.test(url.protocol)) throw new Error();
  } catch {
    throw usage("--prometheus needs an http(s) URL");
  }
  let regionSelector: string;
  try {
    regionSelector = checkRegionSelector(f["region-selector"], q.region);
    checkSelector(f.selector);
  } catch (err) {
    throw usage((err as Error).message);
  }
  const pq: DemandQuery = {
    url: f.prometheus,
    days: q.days,
    end: q.end,
    regionSelector,
    selector: f.selector,
    minCoverage: q.minCoverage,
    auth: prometheusAuth(f, url, deps),
  };
  return {
    describe: `Prometheus ${url.origin}`,
    peaks: () => fetchPeakStreams(pq),
    ladder: async (source) => {
      const r = await fetchLadder(pq, source);
      return {
        ladder: r.ladder,
        shares: r.shares.map(
          (s) => `ladder ${Math.round(s.share * 100)}% of segments: ${s.profiles}`,
        ),
      };
    },
  };
}

function regionConfig(projectDir: string, stack: string, stackValues: Record<string, unknown>) {
  const role = parseStackName(stack);
  if (role.role !== "region") throw usage(`${stack} is not a region stack`);
  return loadRegionConfig(role, { stackValues, projectValues: readProjectConfig(projectDir) });
}

function describeChange(stack: string, before: RegionConfig, after: RegionConfig): string {
  const lines: string[] = [];
  const a = regionSizing(before);
  const b = regionSizing(after);
  // The deployed pool's warm pool and the design's own maximum, which the profile sizes.
  const pool = (c: RegionConfig) => {
    const p = regionPool(stack, c);
    if (!p) return "-";
    const w = p.warmPool;
    return `${w ? `warm ${w.minSize}-${w.maxGroupPreparedCapacity}` : "no warm pool"}, design max ${p.designMaxSize}`;
  };
  const oldPeaks = before.demand.peakStreams;
  lines.push("hour UTC   streams (file -> measured)   nodes");
  for (let h = 0; h < 24; h++) {
    const was = oldPeaks?.[h];
    const now = after.demand.peakStreams![h];
    const nodes = `${a.plan?.hourly[h].instances ?? a.minSize} -> ${b.plan!.hourly[h].instances}`;
    const mark = was === now ? " " : "*";
    lines.push(
      `${mark} ${String(h).padStart(2, "0")}:00   ${String(was ?? "-").padStart(6)} -> ${String(now).padEnd(6)}             ${nodes}`,
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
      `pool ${pool(before)} -> ${pool(after)}`,
  );
  return lines.join("\n");
}

async function sync(argv: string[], deps: SyncDeps): Promise<number> {
  const f = flags(argv);
  if (!f.stack) throw usage("--stack needs a region stack name");
  const role = parseStackName(f.stack);
  if (role.role !== "region") throw usage(`${f.stack} is not a region stack`);
  const days = f.days ?? 14;
  if (days < 1 || days > 90) throw usage("--days must be a whole number of days, 1-90");
  const end = f.end === undefined ? deps.now() : new Date(f.end);
  if (Number.isNaN(end.getTime())) throw usage("--end must be an ISO-8601 time");
  const minCoverage = f["min-coverage"] === undefined ? 1 : Number(f["min-coverage"]);
  if (!(minCoverage > 0 && minCoverage <= 1)) throw usage("--min-coverage must be in (0, 1]");
  const projectDir = path.resolve(f["project-dir"] ?? path.resolve(__dirname, ".."));
  const source = sourceFor(
    f,
    { stack: f.stack, region: role.region, days, end, minCoverage },
    deps,
  );

  const file = path.join(projectDir, stackFileName(f.stack));
  if (!fs.existsSync(file)) throw usage(`no stack file ${file}`);
  const text = fs.readFileSync(file, "utf8");
  let current: RegionConfig;
  try {
    current = regionConfig(projectDir, f.stack, readStackConfig(projectDir, f.stack)!);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw usage(`fix ${stackFileName(f.stack)} before syncing it:\n${err.message}`);
  }
  const sourceRendition = current.demand.ladder.find((r) => r.name === SOURCE_RENDITION)!;

  deps.out(`reading demand from ${source.describe}\n`);
  const { peakStreams, typicalStreams } = await source.peaks();
  let ladder = current.demand.ladder;
  if (!f["keep-ladder"]) {
    const found = await source.ladder(sourceRendition);
    for (const s of found.shares) deps.out(`${s}\n`);
    ladder = found.ladder;
  }
  const demand: DemandBlock = { peakStreams, ladder: ladder.map((r) => ({ ...r })) };

  // The new file, read back through the same code the program uses: never write what it rejects.
  const newText = updateDemandBlock(text, demand, stackFileName(f.stack));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "demand-sync-"));
  let next: RegionConfig;
  try {
    fs.writeFileSync(path.join(scratch, stackFileName(f.stack)), newText);
    next = regionConfig(projectDir, f.stack, readStackConfig(scratch, f.stack)!);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  deps.out(`${describeChange(f.stack, current, next)}\n`);
  deps.out(
    `typical peak per hour (median over the days; the scaling design sizes spikes and the warm ` +
      `pool from it): [${typicalStreams.join(", ")}]\n`,
  );
  if (newText === text) {
    deps.out(`${stackFileName(f.stack)} already matches the measured demand\n`);
  } else if (f.write) {
    // Same directory, then rename: a crash never leaves a half-written stack file.
    const tmp = `${file}.demand-sync-${process.pid}`;
    fs.writeFileSync(tmp, newText);
    fs.renameSync(tmp, file);
    deps.out(`updated the demand block of ${stackFileName(f.stack)}\n`);
  } else {
    deps.out(`dry run: add --write to update ${stackFileName(f.stack)}\n`);
  }
  return 0;
}

/**
 * The whole command, with the exit codes every command uses (docs/cli.md): 0 done, 1 a finding
 * (the measured demand is more than the stack's config can serve), 2 could not run (no
 * trustworthy answer to sync from), 64 usage; --help prints the help and exits 0.
 */
export async function demandSync(argv: string[], deps: SyncDeps): Promise<number> {
  try {
    return await sync(argv, deps);
  } catch (e) {
    if (e instanceof HelpRequested) {
      deps.out(`${e.message}\n`);
      return 0;
    }
    if (e instanceof UsageError) {
      deps.err(`${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof ConfigError) {
      deps.err(
        `the synced demand does not fit the stack's config; file left as is:\n${e.message}\n`,
      );
      return EXIT_FINDING;
    }
    if (e instanceof DemandSyncError || e instanceof StackFileError) {
      deps.err(`demand:sync: ${e.message}\nfile left as is\n`);
      return EXIT_COULD_NOT_RUN;
    }
    deps.err(`${(e as Error).stack ?? String(e)}\n`);
    return EXIT_COULD_NOT_RUN;
  }
}

if (require.main === module) {
  void demandSync(process.argv.slice(2), {
    cloudWatch: (region) => new CloudWatchClient({ region }),
    awsCredentials: () => defaultProvider(),
    env: process.env,
    now: () => new Date(),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  }).then(exitAfterFlush);
}
