// The capacity planner: from a region's demand profile, one instance type's capacity and the
// sizing policy, the node count for every UTC hour and everything derived from it (ASG bounds,
// scheduled actions, the target-tracking value, -maxSessions, the maintenance hour).
// Pure: no Pulumi imports, no I/O, so the program, the plan, demand:sync and the bench share it.
//
// Work is counted in pixels per second over the whole ladder, the source's own rendition
// included: one 1080p30 stream with a 720p/480p/360p/240p ladder is ~112 Mpx/s, four 480p30
// streams with a 240p rendition are ~62 Mpx/s. A node carries whole streams (a session never
// spans nodes), so per-node capacity is counted in whole streams of the region's ladder.

/** One rendition of the ladder: the source's own (name "source") or a transcoded output. */
export interface Rendition {
  name: string;
  width: number;
  height: number;
  fps: number;
  /** Encoded bitrate in kbit/s, when known: what the plan prices data transfer from. */
  bitrateKbps?: number;
}

export interface SizingPolicy {
  /** Spare capacity above demand as a fraction (0.25 = plan for 125% of the peak). */
  headroom: number;
  /** Whole nodes on top of the headroom (N+1: losing one node never drops streams). */
  spareNodes: number;
  /** Lower bound for every hour (nodeGroup.minSize). */
  minSize: number;
  /** Upper bound for every hour and the ASG maximum (nodeGroup.maxSize). */
  maxSize: number;
  /** Scale-ups fire this many minutes before their hour so GPU nodes have booted in time. */
  scaleUpLeadMinutes: number;
}

export interface PlannerInput {
  /** Peak concurrent source streams for UTC hours 00..23. */
  peakStreams: readonly number[];
  ladder: readonly Rendition[];
  /** Transcoded pixels per second one node sustains (its capacity model). */
  nodePixelsPerSecond: number;
  /**
   * Sessions one node is configured for (nodeGroup.maxSessions), overriding the whole streams
   * its pixel capacity gives: what go-livepeer admits is what the plan must size with.
   */
  sessionsPerNode?: number;
  policy: SizingPolicy;
}

export interface HourPlan {
  hour: number;
  demandStreams: number;
  demandPixelsPerSecond: number;
  /** Nodes the schedule keeps in service for this hour (the ASG minimum then). */
  instances: number;
  capacityPixelsPerSecond: number;
  /** demand / capacity, 0..1. */
  utilisation: number;
}

/** A recurring (daily, UTC) scheduled action that sets the ASG minimum. */
export interface ScheduledAction {
  /** Stable id: the UTC hour whose capacity it sets ("h07"), never a list position. */
  id: string;
  hour: number;
  /** Cron (UTC): scale-ups run scaleUpLeadMinutes before their hour, scale-downs on it. */
  recurrence: string;
  minSize: number;
  direction: "up" | "down" | "steady";
}

export interface CapacityPlan {
  streamPixelsPerSecond: number;
  /** Whole streams of this ladder one node carries: the node's -maxSessions. */
  sessionsPerNode: number;
  /** Target-tracking value for average sessions per node: keeps the headroom at runtime. */
  targetSessionsPerNode: number;
  /** Lowest hourly node count: the ASG's floor outside the scheduled ramps. */
  minSize: number;
  /** The policy's maximum: target tracking may scale above the schedule up to here. */
  maxSize: number;
  hourly: HourPlan[];
  scheduledActions: ScheduledAction[];
  maintenanceHourUtc: number;
}

/** A plan that cannot be met; `field` says which input to change. */
export class SizingError extends Error {
  override name = "SizingError";
  constructor(
    message: string,
    readonly field: "maxSize" | "pixelsPerSecond" | "peakStreams",
  ) {
    super(message);
  }
}

export const HOURS = 24;

// Ceil of a ratio that should be integral up to floating-point noise (10 * 1.1 / 11 = 1.0000001).
const EPSILON = 1e-9;
function ceilRatio(x: number): number {
  return Math.ceil(x - EPSILON);
}

/** Pixels per second of one stream: the sum over every rendition, the source included. */
export function streamPixelsPerSecond(ladder: readonly Rendition[]): number {
  return ladder.reduce((sum, r) => sum + r.width * r.height * r.fps, 0);
}

/** Whole streams of `ladder` one node carries; this is the node's -maxSessions. */
export function sessionsPerNode(nodePixelsPerSecond: number, ladder: readonly Rendition[]): number {
  return Math.floor(nodePixelsPerSecond / streamPixelsPerSecond(ladder) + EPSILON);
}

/**
 * The region's lowest-demand UTC hour: an argmin of the profile. Among equal minima it picks the
 * one whose neighbours are quietest too (a restart that overruns lands in a quiet hour), then
 * the earliest. Snapshots and the chain-node restart run at this hour.
 */
export function maintenanceHourUtc(peakStreams: readonly number[]): number {
  if (peakStreams.length !== HOURS) {
    throw new SizingError(
      `expected ${HOURS} hourly values, got ${peakStreams.length}`,
      "peakStreams",
    );
  }
  const low = Math.min(...peakStreams);
  let best = -1;
  let bestAround = Infinity;
  for (let h = 0; h < HOURS; h++) {
    if (peakStreams[h] !== low) continue;
    const around = peakStreams[(h + HOURS - 1) % HOURS] + peakStreams[(h + 1) % HOURS];
    if (around < bestAround) {
      best = h;
      bestAround = around;
    }
  }
  return best;
}

/** Nodes needed for `streams` concurrent streams under the policy, before the min/max bounds. */
export function nodesFor(streams: number, perNode: number, policy: SizingPolicy): number {
  return ceilRatio((streams * (1 + policy.headroom)) / perNode) + policy.spareNodes;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * Scheduled actions for an hourly node plan: one per change of the count (the day wraps), so
 * the same capacity with as few actions as possible. A flat plan still gets one action, so the
 * schedule alone owns the ASG minimum and a deploy never has to reset it.
 */
export function scheduledActions(
  instances: readonly number[],
  scaleUpLeadMinutes: number,
): ScheduledAction[] {
  const changes = instances
    .map((n, h) => ({ n, h, prev: instances[(h + HOURS - 1) % HOURS] }))
    .filter((x) => x.n !== x.prev);
  if (changes.length === 0) {
    return [
      { id: "h00", hour: 0, recurrence: "0 0 * * *", minSize: instances[0], direction: "steady" },
    ];
  }
  return changes.map(({ n, h, prev }) => {
    const up = n > prev;
    // A scale-up must have booted (GPU driver, go-livepeer, health grace) when the hour starts.
    const at = up ? (h * 60 - scaleUpLeadMinutes + 24 * 60) % (24 * 60) : h * 60;
    return {
      id: `h${pad2(h)}`,
      hour: h,
      recurrence: `${at % 60} ${Math.floor(at / 60)} * * *`,
      minSize: n,
      direction: up ? "up" : "down",
    };
  });
}

/** Plans one region. Throws SizingError when the bounds or the instance type cannot serve it. */
export function planCapacity(input: PlannerInput): CapacityPlan {
  const { peakStreams, ladder, nodePixelsPerSecond, policy } = input;
  if (peakStreams.length !== HOURS) {
    throw new SizingError(
      `expected ${HOURS} hourly values, got ${peakStreams.length}`,
      "peakStreams",
    );
  }
  const streamPx = streamPixelsPerSecond(ladder);
  const perNode = input.sessionsPerNode ?? sessionsPerNode(nodePixelsPerSecond, ladder);
  if (perNode < 1) {
    throw new SizingError(
      `one node sustains ${fmtPx(nodePixelsPerSecond)}, less than one stream of this ladder ` +
        `(${fmtPx(streamPx)}); choose a larger instance type or a lighter ladder`,
      "pixelsPerSecond",
    );
  }
  const short: string[] = [];
  const hourly: HourPlan[] = peakStreams.map((streams, hour) => {
    const need = nodesFor(streams, perNode, policy);
    if (need > policy.maxSize) {
      short.push(`${pad2(hour)}:00 UTC needs ${need} (${streams} streams)`);
    }
    const instances = Math.min(policy.maxSize, Math.max(policy.minSize, need));
    const demandPx = streams * streamPx;
    const capacityPx = instances * nodePixelsPerSecond;
    return {
      hour,
      demandStreams: streams,
      demandPixelsPerSecond: demandPx,
      instances,
      capacityPixelsPerSecond: capacityPx,
      utilisation: capacityPx > 0 ? demandPx / capacityPx : 0,
    };
  });
  if (short.length > 0) {
    const worst = Math.max(...peakStreams.map((s) => nodesFor(s, perNode, policy)));
    throw new SizingError(
      `maxSize ${policy.maxSize} cannot cover the demand: ${short.join("; ")} at ` +
        `${perNode} streams per node, headroom ${policy.headroom} and ${policy.spareNodes} ` +
        `spare; raise maxSize to at least ${worst}, choose a larger instance type, or lower the headroom`,
      "maxSize",
    );
  }
  const instances = hourly.map((h) => h.instances);
  return {
    streamPixelsPerSecond: streamPx,
    sessionsPerNode: perNode,
    targetSessionsPerNode: targetSessionsPerNode(perNode, policy.headroom),
    minSize: Math.min(...instances),
    maxSize: policy.maxSize,
    hourly,
    scheduledActions: scheduledActions(instances, policy.scaleUpLeadMinutes),
    maintenanceHourUtc: maintenanceHourUtc(peakStreams),
  };
}

/**
 * Target-tracking value for average sessions per node: the node's capacity over (1 + headroom),
 * so runtime scaling keeps the planned headroom. Rounded down to 2 decimals (never less headroom).
 */
export function targetSessionsPerNode(perNode: number, headroom: number): number {
  return Math.floor((perNode / (1 + headroom)) * 100 + EPSILON) / 100;
}

/** "2.00 Gpx/s" */
export function fmtPx(pxPerSecond: number): string {
  if (pxPerSecond >= 1e9) return `${(pxPerSecond / 1e9).toFixed(2)} Gpx/s`;
  return `${(pxPerSecond / 1e6).toFixed(1)} Mpx/s`;
}
