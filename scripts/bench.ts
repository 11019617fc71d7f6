// `npm run bench -- [--json] [--seed N] [--stack NAME] [--train-days N] [--held-out-days N]
//   [--spot-interruptions X] [--spot-price-fraction X] [--metric-delay N] [--orchestrators N]`
// Plans from past days and replays new ones (lib/sizing/bench.ts says how), then prints the
// policies side by side per kind of day and where the design meets or misses each target.
// The region is the stack's (default prod-us-east-1): its demand profile, ladder, instance type
// and capacity model. Exit 0 whatever the targets say: a missed target is a finding, printed.
import * as path from "node:path";
import { loadRegionConfig } from "../lib/config/load";
import { readProjectConfig, readStackConfig } from "../lib/config/sources";
import { UsageError, helpText, parseFlags, runMain } from "../lib/cli";
import {
  GP3_GIB_MONTH,
  SPOT_PRICE_FRACTION_ESTIMATE,
  priceIn,
  type RegionalPrice,
} from "../lib/sizing/prices";
import { BenchConfig, BenchResult, BenchType, checkTargets, runBench } from "../lib/sizing/bench";
import { DAY_KINDS } from "../lib/sizing/demand-model";
import { parseStackName } from "../lib/stack";
import { MEAN_SESSION_MINUTES } from "../lib/demand/metrics";

const USAGE =
  "npm run bench -- [--json] [--seed N] [--stack NAME] [--train-days N] [--held-out-days N] " +
  "[--spot-interruptions PER_INSTANCE_DAY] [--spot-price-fraction F] [--metric-delay MINUTES] " +
  "[--orchestrators N] [--routing room|any] [--metric-period 10|60] [--gateway-retry-minutes N] " +
  "[--ablation] [--stack-max-size]";

const HELP = helpText({
  usage: USAGE,
  about:
    "Scaling policies replayed minute by minute on held-out days (docs/sizing.md, Bench): cost " +
    "against the fractional lower bound, session-minutes lost, targets met or missed.",
  flags: [
    ["--json", "print the results as JSON on stdout"],
    ["--seed N", "the random days' seed (default 1)"],
    ["--stack NAME", "region stack whose demand profile and capacity model to use"],
    ["--ablation", "also run the new design without predictive scaling, without the warm pool"],
    [
      "--stack-max-size",
      "bound the design by the stack's nodeGroup.minSize/maxSize, as the stack deploys it",
    ],
  ],
});

const FLAGS = {
  json: "boolean",
  seed: "integer",
  stack: "string",
  "train-days": "integer",
  "held-out-days": "integer",
  "spot-interruptions": "string",
  "spot-price-fraction": "string",
  "metric-delay": "integer",
  orchestrators: "integer",
  routing: "string",
  "metric-period": "integer",
  "gateway-retry-minutes": "integer",
  ablation: "boolean",
  "stack-max-size": "boolean",
} as const;

/** GPU types a spot pool may mix with g4dn.xlarge: comparable single-GPU NVENC instances. */
const SPOT_TYPES = ["g4dn.xlarge", "g5.xlarge", "g6.xlarge"];

function fraction(name: string, v: string | undefined, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0 || x > max) {
    throw new UsageError(`--${name} expects a number in [0, ${max}], got "${v}"\nusage: ${USAGE}`);
  }
  return x;
}

function metricPeriod(v: number | undefined): 60 | 10 {
  if (v === undefined || v === 10) return 10;
  if (v === 60) return 60;
  throw new UsageError(`--metric-period expects 60 or 10 (seconds), got ${v}\nusage: ${USAGE}`);
}

function routing(v: string | undefined): "any" | "room" {
  if (v === undefined || v === "room") return "room";
  if (v === "any") return v;
  throw new UsageError(`--routing expects room or any, got "${v}"\nusage: ${USAGE}`);
}

function range(name: string, v: number | undefined, dflt: number, lo: number, hi: number) {
  const x = v ?? dflt;
  if (x < lo || x > hi) throw new UsageError(`--${name} must be ${lo}-${hi}\nusage: ${USAGE}`);
  return x;
}

export function benchConfig(argv: string[], projectDir: string): BenchConfig & { stack: string } {
  const f = parseFlags(argv, FLAGS, USAGE, HELP);
  const stack = f.stack ?? "prod-us-east-1";
  const role = parseStackName(stack);
  if (role.role !== "region") throw new UsageError(`--stack ${stack} is not a region stack`);
  const stackValues = readStackConfig(projectDir, stack);
  if (!stackValues) throw new UsageError(`no stack file for ${stack} in ${projectDir}`);
  const c = loadRegionConfig(role, { stackValues, projectValues: readProjectConfig(projectDir) });
  const profile = c.demand.peakStreams;
  if (!profile) throw new UsageError(`${stack} has no demand.peakStreams to size a region from`);
  const region = role.region;
  const typeOf = (t: string): BenchType => {
    const m = c.capacityModel[t];
    if (!m) throw new UsageError(`no capacity model for ${t} (Pulumi.yaml capacityModel)`);
    return {
      instanceType: t,
      pixelsPerSecond: m.pixelsPerSecond,
      hourlyUsd: priceIn(m.hourlyUsd as RegionalPrice, region).usd,
    };
  };
  const primary = typeOf(c.nodeGroup.instanceType);
  return {
    stack,
    seed: f.seed ?? 1,
    trainDays: range("train-days", f["train-days"], 14, 2, 60),
    heldOutDays: range("held-out-days", f["held-out-days"], 7, 1, 60),
    trainSpikeDays: 2,
    demand: {
      // The stack's hourly peaks, read as the mean of an ordinary weekday: the replayed days
      // peak above them with noise, growth and spikes.
      profile,
      weekendFactor: 0.85,
      dayLevelSigma: 0.08,
      growthPerDay: 0.003,
      // The same estimate the orchestrators' refused-sessions gauge decays with.
      meanSessionMinutes: MEAN_SESSION_MINUTES,
      spike: {
        minFactor: 3,
        maxFactor: 5,
        minHoldMinutes: 30,
        maxHoldMinutes: 90,
        rampMinutes: 15,
      },
    },
    ladder: c.demand.ladder,
    primary,
    spotTypes: [primary, ...SPOT_TYPES.filter((t) => t !== primary.instanceType).map(typeOf)],
    spotPriceFraction: fraction(
      "spot-price-fraction",
      f["spot-price-fraction"],
      SPOT_PRICE_FRACTION_ESTIMATE,
      1,
    ),
    spotInterruptionsPerInstanceDay: fraction(
      "spot-interruptions",
      f["spot-interruptions"],
      0.05,
      24,
    ),
    orchestrators: range(
      "orchestrators",
      f.orchestrators,
      c.network.availabilityZones.length,
      1,
      6,
    ),
    routing: routing(f.routing),
    boot: { coldMin: 3, coldMax: 6, warmMin: 1, warmMax: 2 },
    metricDelayMinutes: range("metric-delay", f["metric-delay"], 2, 0, 10),
    highResolutionDelayMinutes: 1,
    alarms: {
      highDatapoints: 3,
      lowDatapoints: 15,
      lowFraction: 0.7,
    },
    sizing: { ...c.sizing, minSize: 1, maxSize: 100_000 },
    design: { metricPeriodSeconds: metricPeriod(f["metric-period"]) },
    rootVolumeGiB: c.nodeGroup.rootVolumeGiB,
    gp3GiBMonthUsd: priceIn(GP3_GIB_MONTH, region).usd,
    previousWarmupMinutes: 10,
    retryMinutes: range("gateway-retry-minutes", f["gateway-retry-minutes"], 0, 0, 60),
    ablation: f.ablation,
    ...(f["stack-max-size"]
      ? { bounds: { minSize: c.nodeGroup.minSize, maxSize: c.nodeGroup.maxSize } }
      : {}),
  };
}

const pad = (s: string, n: number) => s.padEnd(n);
const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");

export function renderBench(r: BenchResult, stack: string): string {
  const c = r.config;
  const out: string[] = [];
  out.push(
    `sizing bench: ${stack}, seed ${c.seed}; plan from ${c.trainDays} days, replay ${c.heldOutDays} ` +
      `new days per kind at 1-minute resolution` +
      (c.bounds
        ? `; bounded by the stack's nodeGroup.minSize/maxSize ${c.bounds.minSize}/${c.bounds.maxSize}`
        : ""),
  );
  const period =
    r.design.targetTracking.customizedMetricSpecification.metrics[0].metricStat!.period;
  out.push(
    `${c.primary.instanceType} $${c.primary.hourlyUsd}/h on demand; spot at ${c.spotPriceFraction} ` +
      `of on-demand, ${c.spotInterruptionsPerInstanceDay} interruptions per spot instance-day; ` +
      `${c.orchestrators} orchestrators, discovery routes to ${c.routing === "room" ? "those with room" : "any"}; ` +
      `boot ${c.boot.coldMin}-${c.boot.coldMax} min (warm pool ${c.boot.warmMin}-${c.boot.warmMax}); ` +
      `new design's metrics every ${period} s, seen ${period < 60 ? c.highResolutionDelayMinutes : c.metricDelayMinutes} min later ` +
      `(previous planner: 60 s, ${c.metricDelayMinutes} min); refused sessions ` +
      `${c.retryMinutes > 0 ? `ask again for ${c.retryMinutes} min` : "go elsewhere for good"}`,
  );
  out.push("cost: the transcoder pool (instance-minutes incl. boot, root volumes incl. stopped");
  out.push("warm-pool instances); orchestrators and the rest of the unit are the same for all.");
  const head = [
    "policy",
    "$/day",
    "x lower bound",
    "% session-min lost",
    "refused/day",
    "interrupted/day (scale-in + spot)",
    "scale activities/day",
    "wait for capacity (min)",
  ];
  for (const scenario of DAY_KINDS) {
    out.push("");
    out.push(`${scenario} days`);
    out.push(`| ${head.join(" | ")} |`);
    out.push(`|${head.map(() => "---").join("|")}|`);
    for (const row of r.rows.filter((x) => x.scenario === scenario)) {
      out.push(
        `| ${[
          row.policy,
          num(row.usdPerDay),
          num(row.costXLowerBound),
          num(row.sessionMinutesLostPct, 3),
          num(row.refusedPerDay, 1),
          `${num(row.interruptedByScaleInPerDay, 1)} + ${num(row.interruptedBySpotPerDay, 1)}`,
          num(row.activitiesPerDay, 1),
          String(row.timeToCapacityMinutes),
        ].join(" | ")} |`,
      );
    }
  }
  out.push("");
  out.push("targets (new design):");
  for (const t of checkTargets(r)) {
    out.push(`  ${t.met ? "MET   " : "MISSED"} ${pad(t.target, 66)} ${t.measured}`);
  }
  const d = r.design;
  out.push("");
  out.push(
    `new design: -maxSessions ${JSON.stringify(d.maxSessions)}, min ${d.minSize}, max ${d.maxSize} ` +
      `instances; predictive target ${d.predictive.metricSpecification.targetValue}, buffer ` +
      `${d.predictive.schedulingBufferTime} s; target tracking ${d.targetTracking.targetValue}, ` +
      `warm-up ${d.targetTracking.estimatedInstanceWarmup} s; warm pool ` +
      `${d.warmPool ? `min ${d.warmPool.minSize}, max prepared ${d.warmPool.maxGroupPreparedCapacity}, stopped` : "none"}`,
  );
  const s = r.spotDesign;
  out.push(
    `with spot: capacity in sessions, on-demand base ${s.mixedInstancesPolicy?.instancesDistribution.onDemandBaseCapacity}, ` +
      `max ${s.maxSize}, types ${s.mixedInstancesPolicy?.overrides.map((o) => `${o.instanceType}=${o.weightedCapacity}`).join(" ")}; ${s.notes.join("; ")}`,
  );
  return out.join("\n");
}

function main(): number {
  const projectDir = path.resolve(__dirname, "..");
  const c = benchConfig(process.argv.slice(2), projectDir);
  const json = process.argv.includes("--json");
  const r = runBench(c);
  if (json) {
    process.stdout.write(
      JSON.stringify(
        {
          stack: c.stack,
          config: r.config,
          design: r.design,
          spotDesign: r.spotDesign,
          rows: r.rows,
          targets: checkTargets(r),
        },
        null,
        2,
      ) + "\n",
    );
  } else {
    process.stdout.write(renderBench(r, c.stack) + "\n");
  }
  return 0;
}

if (require.main === module) runMain(main);
