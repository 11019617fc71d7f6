// The sizing bench: plan from past days, replay days the plan has not seen.
//
// For each scenario (ordinary days, days with a step spike, days with a 15-minute ramp spike) a
// seeded trace holds `trainDays` of history (a couple of them with spikes, as history has) and
// `heldOutDays` new days. The hourly planner and the forecast learn from the history only; every
// policy is then replayed minute by minute over the new days (lib/sizing/pool-sim.ts), after one
// warm-up day that is not scored. Each policy sees the same sessions.
//
// Policies:
//  - static peak: the planner's busiest hour, all day (the pooled design, no scaling);
//  - target tracking: alone, on utilisation that sees refused demand, cold boots;
//  - previous planner: today's lib/sizing/planner.ts scheduled actions + target tracking on
//    CurrentSessions per node, every node its own orchestrator (the metric is capped at
//    -maxSessions and a node taken away takes its sessions);
//  - new design: predictive + target tracking + warm pool + draining scale-in (design.ts);
//  - new design + spot: the same on a mixed spot pool above an on-demand base, no warm pool;
// and the fractional lower bound: on-demand instances exactly covering the offered sessions
// every minute.
import {
  DAY_KINDS,
  DayKind,
  DemandSpec,
  DemandTrace,
  MINUTES_PER_DAY,
  generateDemand,
  hourOfDayPeaks,
  hourlyMeans,
  typicalHourlyPeaks,
} from "./demand-model";
import { DesignPolicy, ScalingDesign, designScaling } from "./design";
import { Rendition, SizingPolicy, nodesFor, planCapacity, sessionsPerNode } from "./planner";
import { AlarmSpec, BootMinutes, InstanceTypeSpec, PolicySpec, simulate } from "./pool-sim";
import { stream } from "./rng";
import { withinBounds } from "./pool";

export interface BenchType {
  instanceType: string;
  pixelsPerSecond: number;
  hourlyUsd: number;
}

export interface BenchConfig {
  seed: number;
  trainDays: number;
  heldOutDays: number;
  /** Training days that carry a spike (history is not spotless). */
  trainSpikeDays: number;
  demand: DemandSpec;
  ladder: Rendition[];
  /** The on-demand type (the warm pool's, the lower bound's). */
  primary: BenchType;
  /** The spot pool's types (comparable GPUs, each with its own capacity model). */
  spotTypes: BenchType[];
  /** Spot price as a fraction of on-demand (an estimate: spot prices move). */
  spotPriceFraction: number;
  spotInterruptionsPerInstanceDay: number;
  orchestrators: number;
  /** Discovery routing of the pooled policies (pool-sim.ts). */
  routing: "any" | "room";
  boot: BootMinutes;
  alarms: AlarmSpec;
  /** Minutes after a minute ends until its datapoint is evaluated (1-minute metrics). */
  metricDelayMinutes: number;
  /** The same for high-resolution (10 s) metrics. */
  highResolutionDelayMinutes: number;
  /** The hourly planner's policy (headroom, spare, lead; bounds are the bench's). */
  sizing: SizingPolicy;
  design: Partial<DesignPolicy>;
  /** Root volume per transcoder, paid running or stopped (gp3, USD per GiB-month). */
  rootVolumeGiB: number;
  gp3GiBMonthUsd: number;
  /** Minutes a refused session keeps asking before it goes elsewhere (pool-sim.ts). */
  retryMinutes: number;
  /** Also replay the new design without predictive scaling, and without its warm pool. */
  ablation: boolean;
  /** The previous design's target-tracking warm-up: its health-check grace period. */
  previousWarmupMinutes: number;
  /**
   * The stack's nodeGroup.minSize/maxSize (instances), to replay the design as the stack deploys
   * it (lib/sizing/pool.ts withinBounds); absent: the design's own bounds.
   */
  bounds?: { minSize: number; maxSize: number };
}

export const POLICY_NAMES = [
  "static peak",
  "target tracking",
  "previous planner",
  "new design",
  "new design + spot",
] as const;
/** With `ablation`: the new design without one of its parts, to show what each part buys. */
export const ABLATION_NAMES = ["new design, no predictive", "new design, no warm pool"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number] | (typeof ABLATION_NAMES)[number];

export interface BenchRow {
  scenario: DayKind;
  policy: PolicyName | "lower bound";
  usdPerDay: number;
  costXLowerBound: number;
  offeredSessionMinutes: number;
  servedSessionMinutes: number;
  sessionMinutesLostPct: number;
  refusedPerDay: number;
  interruptedByScaleInPerDay: number;
  interruptedBySpotPerDay: number;
  activitiesPerDay: number;
  /** longestRefusalRun: the longest wait of sustained demand above capacity for capacity. */
  timeToCapacityMinutes: number;
}

export interface BenchResult {
  config: BenchConfig;
  design: ScalingDesign;
  spotDesign: ScalingDesign;
  rows: BenchRow[];
}

const HOURS_PER_MONTH = 730;

function trainKinds(c: BenchConfig): DayKind[] {
  const kinds: DayKind[] = new Array<DayKind>(c.trainDays).fill("ordinary");
  const r = stream(c.seed, "train/kinds");
  for (let placed = 0; placed < Math.min(c.trainSpikeDays, c.trainDays);) {
    const d = Math.floor(r() * c.trainDays);
    if (kinds[d] !== "ordinary") continue;
    kinds[d] = r() < 0.5 ? "step" : "ramp";
    placed++;
  }
  return kinds;
}

export function scenarioTrace(c: BenchConfig, scenario: DayKind): DemandTrace {
  return generateDemand(
    c.demand,
    [
      { label: "train", kinds: trainKinds(c) },
      { label: `heldout/${scenario}`, kinds: new Array<DayKind>(c.heldOutDays).fill(scenario) },
    ],
    c.seed,
  );
}

function instanceType(
  c: BenchConfig,
  t: BenchType,
  weighted: boolean,
  spot: boolean,
): InstanceTypeSpec {
  const sessions = sessionsPerNode(t.pixelsPerSecond, c.ladder);
  return {
    name: t.instanceType,
    sessions,
    hourlyUsd: t.hourlyUsd,
    spotHourlyUsd: spot ? t.hourlyUsd * c.spotPriceFraction : t.hourlyUsd,
    weight: weighted ? sessions : 1,
    volumeHourlyUsd: (c.rootVolumeGiB * c.gp3GiBMonthUsd) / HOURS_PER_MONTH,
  };
}

/**
 * The longest stretch of demand above capacity: consecutive minutes in which the pool turned
 * sessions away (a single quiet minute inside a stretch does not end it, as arrivals are
 * random). A stretch ends when capacity has caught up: that is the wait for capacity.
 */
export function longestRefusalRun(refused: Int32Array): number {
  let longest = 0;
  let start = -1;
  let last = -10;
  for (let i = 0; i < refused.length; i++) {
    if (refused[i] === 0) continue;
    if (i - last > 2) start = i;
    last = i;
    longest = Math.max(longest, i - start + 1);
  }
  return longest;
}

/** The policies of one scenario, each built from what the training days show. */
export function policies(
  c: BenchConfig,
  trace: DemandTrace,
): { specs: PolicySpec[]; design: ScalingDesign; spotDesign: ScalingDesign } {
  const peaks = hourOfDayPeaks(trace, 0, c.trainDays);
  const primarySessions = sessionsPerNode(c.primary.pixelsPerSecond, c.ladder);
  const bounds = { minSize: 1, maxSize: 100_000 };
  const plan = planCapacity({
    peakStreams: peaks,
    ladder: c.ladder,
    nodePixelsPerSecond: c.primary.pixelsPerSecond,
    policy: { ...c.sizing, ...bounds },
  });
  const designInput = {
    stack: "bench",
    peakStreams: peaks,
    typicalPeakStreams: typicalHourlyPeaks(trace, 0, c.trainDays),
    ladder: c.ladder,
    sizing: { ...c.sizing, ...bounds },
  };
  let design = designScaling({ ...designInput, types: [c.primary], policy: c.design });
  let spotDesign = designScaling({
    ...designInput,
    types: c.spotTypes,
    policy: { ...c.design, spot: true },
  });
  if (c.bounds) {
    const { minSize, maxSize } = c.bounds;
    design = withinBounds(design, minSize, maxSize);
    const u = spotDesign.maxSessions[c.spotTypes[0].instanceType];
    spotDesign = withinBounds(spotDesign, minSize * u, maxSize * u);
  }
  const startHour = ((c.trainDays - 1) * MINUTES_PER_DAY) / 60;
  const startInstances = plan.hourly[startHour % 24].instances;
  const od = [instanceType(c, c.primary, false, false)];
  const pooled = {
    kind: "pooled" as const,
    orchestrators: c.orchestrators,
    routing: c.routing,
    protectUnabsorbable: false,
  };
  // The new design's scale-in only takes transcoders whose sessions can move.
  const drained = { ...pooled, protectUnabsorbable: true };
  const minutes = (seconds: number) => Math.ceil(seconds / 60);
  const period = (d: ScalingDesign) =>
    d.targetTracking.customizedMetricSpecification.metrics[0].metricStat!.period;
  const tt = (d: ScalingDesign) => ({
    metric: "utilisation" as const,
    target: d.targetTracking.targetValue,
    warmupMinutes: minutes(d.targetTracking.estimatedInstanceWarmup),
    periodSeconds: period(d),
    delayMinutes: period(d) < 60 ? c.highResolutionDelayMinutes : c.metricDelayMinutes,
  });
  const predictive = (d: ScalingDesign) => ({
    targetUtilisation: d.predictive.metricSpecification.targetValue,
    bufferMinutes: minutes(Number(d.predictive.schedulingBufferTime)),
  });
  const staticSize = nodesFor(Math.max(...peaks), primarySessions, { ...c.sizing, ...bounds });
  const specs: PolicySpec[] = [
    {
      name: "static peak",
      architecture: pooled,
      types: od,
      minSize: staticSize,
      maxSize: staticSize,
      initialDesired: staticSize,
    },
    {
      name: "target tracking",
      architecture: pooled,
      types: od,
      minSize: 1,
      maxSize: design.maxSize,
      initialDesired: startInstances,
      targetTracking: tt(design),
    },
    {
      name: "previous planner",
      architecture: { kind: "combined" },
      types: od,
      minSize: plan.minSize,
      maxSize: design.maxSize,
      initialDesired: startInstances,
      targetTracking: {
        metric: "sessionsPerNode",
        target: plan.targetSessionsPerNode,
        warmupMinutes: c.previousWarmupMinutes,
        // Today's CurrentSessions: one datapoint per node per minute.
        periodSeconds: 60,
        delayMinutes: c.metricDelayMinutes,
      },
      schedule: plan.scheduledActions.map((a) => {
        const [m, h] = a.recurrence.split(" ").map(Number);
        return { minuteOfDay: h * 60 + m, minSize: a.minSize };
      }),
    },
    {
      name: "new design",
      architecture: drained,
      types: od,
      minSize: design.minSize,
      maxSize: design.maxSize,
      initialDesired: startInstances,
      targetTracking: tt(design),
      predictive: predictive(design),
      warmPool: design.warmPool && {
        minSize: design.warmPool.minSize,
        maxPrepared: design.warmPool.maxGroupPreparedCapacity,
        reuseOnScaleIn: design.warmPool.instanceReusePolicy.reuseOnScaleIn,
      },
    },
    {
      name: "new design + spot",
      architecture: drained,
      types: c.spotTypes.map((t) => instanceType(c, t, true, true)),
      minSize: spotDesign.minSize,
      maxSize: spotDesign.maxSize,
      initialDesired: startInstances * primarySessions,
      targetTracking: tt(spotDesign),
      predictive: predictive(spotDesign),
      spot: {
        onDemandBase: spotDesign.forecastFloor,
        interruptionsPerInstanceDay: c.spotInterruptionsPerInstanceDay,
        noticeMinutes: 2,
      },
    },
  ];
  if (c.ablation) {
    const nd = specs[3];
    specs.push(
      { ...nd, name: ABLATION_NAMES[0], predictive: undefined },
      { ...nd, name: ABLATION_NAMES[1], warmPool: undefined },
    );
  }
  return { specs, design, spotDesign };
}

export function runBench(c: BenchConfig): BenchResult {
  const rows: BenchRow[] = [];
  let designs: { design: ScalingDesign; spotDesign: ScalingDesign } | undefined;
  for (const scenario of DAY_KINDS) {
    const trace = scenarioTrace(c, scenario);
    const built = policies(c, trace);
    designs ??= built;
    const start = (c.trainDays - 1) * MINUTES_PER_DAY;
    const measureFrom = c.trainDays * MINUTES_PER_DAY;
    const end = (c.trainDays + c.heldOutDays) * MINUTES_PER_DAY;
    const history = hourlyMeans(trace.offered, 0, start);
    const primary = instanceType(c, c.primary, false, false);
    let offeredMinutes = 0;
    for (let t = measureFrom; t < end; t++) offeredMinutes += trace.offered[t];
    const lowerUsd =
      ((offeredMinutes / primary.sessions) * (primary.hourlyUsd + primary.volumeHourlyUsd)) / 60;
    const perDay = (x: number) => x / c.heldOutDays;
    rows.push({
      scenario,
      policy: "lower bound",
      usdPerDay: perDay(lowerUsd),
      costXLowerBound: 1,
      offeredSessionMinutes: offeredMinutes,
      servedSessionMinutes: offeredMinutes,
      sessionMinutesLostPct: 0,
      refusedPerDay: 0,
      interruptedByScaleInPerDay: 0,
      interruptedBySpotPerDay: 0,
      activitiesPerDay: 0,
      timeToCapacityMinutes: 0,
    });
    for (const spec of built.specs) {
      const r = simulate(spec, {
        trace,
        start,
        measureFrom,
        end,
        history,
        boot: c.boot,
        alarms: c.alarms,
        meanSessionMinutes: c.demand.meanSessionMinutes,
        retryMinutes: c.retryMinutes,
        seed: c.seed,
      });
      rows.push({
        scenario,
        policy: spec.name as PolicyName,
        usdPerDay: perDay(r.costUsd),
        costXLowerBound: r.costUsd / lowerUsd,
        offeredSessionMinutes: r.offeredSessionMinutes,
        servedSessionMinutes: r.servedSessionMinutes,
        sessionMinutesLostPct:
          (100 * (r.offeredSessionMinutes - r.servedSessionMinutes)) / r.offeredSessionMinutes,
        refusedPerDay: perDay(r.refused),
        interruptedByScaleInPerDay: perDay(r.interruptedByScaleIn),
        interruptedBySpotPerDay: perDay(r.interruptedBySpot),
        activitiesPerDay: perDay(r.activities),
        timeToCapacityMinutes: longestRefusalRun(r.refusedPerMinute),
      });
    }
  }
  return { config: c, design: designs!.design, spotDesign: designs!.spotDesign, rows };
}

export interface TargetCheck {
  target: string;
  met: boolean;
  measured: string;
}

const row = (rows: BenchRow[], scenario: DayKind, policy: BenchRow["policy"]) =>
  rows.find((r) => r.scenario === scenario && r.policy === policy)!;

/** The region's targets, on the new design's rows: each met or missed, with the number. */
export function checkTargets(result: Pick<BenchResult, "rows" | "config">): TargetCheck[] {
  const rows = result.rows;
  const nd = (s: DayKind) => row(rows, s, "new design");
  const spot = row(rows, "ordinary", "new design + spot");
  const f = (x: number, d = 2) => x.toFixed(d);
  const scaleIn = DAY_KINDS.map((s) => nd(s).interruptedByScaleInPerDay);
  const wait = Math.max(...DAY_KINDS.map((s) => nd(s).timeToCapacityMinutes));
  return [
    {
      target: "ordinary days: cost <= 1.5x the on-demand lower bound",
      met: nd("ordinary").costXLowerBound <= 1.5,
      measured: `${f(nd("ordinary").costXLowerBound)}x`,
    },
    {
      target: "ordinary days: <= 0.05% of session-minutes lost",
      met: nd("ordinary").sessionMinutesLostPct <= 0.05,
      measured: `${f(nd("ordinary").sessionMinutesLostPct, 3)}%`,
    },
    {
      target: "ordinary days, spot on: cost <= 1.0x the on-demand lower bound",
      met: spot.costXLowerBound <= 1.0,
      measured: `${f(spot.costXLowerBound)}x (spot at ${result.config.spotPriceFraction} x on-demand, an estimate)`,
    },
    {
      target: "step-spike days: <= 1% of session-minutes lost",
      met: nd("step").sessionMinutesLostPct <= 1,
      measured: `${f(nd("step").sessionMinutesLostPct, 3)}%`,
    },
    {
      target: "sessions interrupted by scale-in: 0 beyond in-flight segments",
      met: scaleIn.every((x) => x === 0),
      measured: `${scaleIn.map((x) => f(x)).join(" / ")} per day (ordinary / step / ramp)`,
    },
    {
      target: "sustained demand above capacity gets capacity within 5 minutes",
      met: wait <= 5,
      measured: `longest wait for capacity ${wait} min`,
    },
  ];
}
