// The sizing bench: plans a trace's hour-of-day peaks (what demand:sync would write) and replays
// the trace against the resulting schedule. Reports the monthly node cost against
//  - the lower bound: fractional instances exactly covering the demand at every sample;
//  - static peak sizing: the policy's node count for the week's peak, all day;
//  - the policy bound: fractional instances covering demand x (1 + headroom) plus the spare
//    nodes at every sample, i.e. what perfect elasticity would cost under the same policy (the
//    gap to it is what hourly steps and whole nodes cost; the rest is the policy's safety);
// and the hours with any sample above what the nodes in service can carry (must be 0).
import {
  HOURS,
  Rendition,
  SizingPolicy,
  planCapacity,
  sessionsPerNode,
  streamPixelsPerSecond,
} from "./planner";
import { HOURS_PER_MONTH } from "./prices";
import type { Trace } from "./traces";

export interface BenchSetup {
  ladder: Rendition[];
  nodePixelsPerSecond: number;
  hourlyUsd: number;
  policy: SizingPolicy;
  /** Minutes from a scale-up action to the node serving (must be <= the lead to be on time). */
  bootMinutes: number;
}

export interface BenchRow {
  trace: string;
  peakStreams: number;
  minNodes: number;
  maxNodes: number;
  scheduledActions: number;
  plannerUsdMonth: number;
  lowerBoundUsdMonth: number;
  policyBoundUsdMonth: number;
  staticPeakUsdMonth: number;
  ratioToLowerBound: number;
  ratioToPolicyBound: number;
  ratioToStaticPeak: number;
  underCapacityHours: number;
  /** Median wall time of one planCapacity call. */
  planMs: number;
}

/** Peak streams per UTC hour of day over all the trace's days. */
export function hourOfDayPeaks(trace: Trace): number[] {
  const peaks = new Array<number>(HOURS).fill(0);
  trace.t.forEach((t, i) => {
    const h = Math.floor((t % 86_400) / 3600);
    peaks[h] = Math.max(peaks[h], trace.streams[i]);
  });
  return peaks;
}

/** The ASG minimum in force at minute-of-day `m`, replaying the daily actions. */
function minAt(actions: { recurrence: string; minSize: number }[], m: number): number {
  const at = actions.map((a) => {
    const [min, hour] = a.recurrence.split(" ").map(Number);
    return { m: hour * 60 + min, n: a.minSize };
  });
  at.sort((a, b) => a.m - b.m);
  const last = at.filter((a) => a.m <= m).pop() ?? at[at.length - 1];
  return last.n;
}

export function benchTrace(trace: Trace, s: BenchSetup): BenchRow {
  const peaks = hourOfDayPeaks(trace);
  const input = {
    peakStreams: peaks,
    ladder: s.ladder,
    nodePixelsPerSecond: s.nodePixelsPerSecond,
    policy: s.policy,
  };
  const times: number[] = [];
  let plan = planCapacity(input);
  for (let i = 0; i < 21; i++) {
    const t0 = process.hrtime.bigint();
    plan = planCapacity(input);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const nodes = plan.hourly.map((h) => h.instances);
  const perMonth = HOURS_PER_MONTH / 24;
  const plannerUsd = nodes.reduce((a, b) => a + b, 0) * perMonth * s.hourlyUsd;

  const streamPx = streamPixelsPerSecond(s.ladder);
  const meanNodes =
    trace.streams.reduce((a, n) => a + (n * streamPx) / s.nodePixelsPerSecond, 0) /
    trace.streams.length;
  const lowerUsd = meanNodes * HOURS_PER_MONTH * s.hourlyUsd;
  const policyUsd =
    (meanNodes * (1 + s.policy.headroom) + s.policy.spareNodes) * HOURS_PER_MONTH * s.hourlyUsd;

  // Static sizing: the same policy for the single busiest hour, all day (the seed guide's box).
  const flat = planCapacity({
    ...input,
    peakStreams: new Array<number>(HOURS).fill(Math.max(...peaks)),
  });
  const staticUsd = flat.hourly[0].instances * HOURS_PER_MONTH * s.hourlyUsd;

  // Replay: an action raising the minimum serves after bootMinutes; lowering it acts at once.
  const perNode = sessionsPerNode(s.nodePixelsPerSecond, s.ladder);
  const short = new Set<number>();
  trace.t.forEach((t, i) => {
    const m = Math.floor((t % 86_400) / 60);
    let inService = Infinity;
    for (let back = 0; back <= s.bootMinutes; back++) {
      inService = Math.min(inService, minAt(plan.scheduledActions, (m - back + 1440) % 1440));
    }
    if (trace.streams[i] > inService * perNode) short.add(Math.floor(t / 3600));
  });

  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    trace: trace.name,
    peakStreams: Math.max(...peaks),
    minNodes: Math.min(...nodes),
    maxNodes: Math.max(...nodes),
    scheduledActions: plan.scheduledActions.length,
    plannerUsdMonth: r2(plannerUsd),
    lowerBoundUsdMonth: r2(lowerUsd),
    policyBoundUsdMonth: r2(policyUsd),
    staticPeakUsdMonth: r2(staticUsd),
    ratioToLowerBound: r2(plannerUsd / lowerUsd),
    ratioToPolicyBound: r2(plannerUsd / policyUsd),
    ratioToStaticPeak: r2(plannerUsd / staticUsd),
    underCapacityHours: short.size,
    planMs: Math.round(times[Math.floor(times.length / 2)] * 1000) / 1000,
  };
}
