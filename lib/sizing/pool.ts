// The transcoder pool as it is deployed: the scaling design (lib/sizing/design.ts) turned into
// the numbers the Auto Scaling group, its policies, its warm pool, its lifecycle hooks and its
// mixed instances policy get, within the stack's own bounds (nodeGroup.minSize/maxSize). Computed
// once here (lib/design.ts keeps it in the region design) and read by components/transcoders.ts,
// components/node-scaling.ts, the node runtime's env (each type's -maxSessions) and the plan.
// Pure: no Pulumi, no I/O.
//
// Units: without spot the group counts instances. With spot it counts sessions: each type's
// weight is its -maxSessions (AWS: "if you configure a mixed instances policy that defines
// weights for the instance types, you must specify these sizes with the same units that you use
// for weighting instances", botocore autoscaling LaunchTemplateOverrides.WeightedCapacity), so
// nodeGroup.minSize/maxSize (instances of nodeGroup.instanceType) are multiplied by that type's
// sessions.
import type { CapacityModel } from "../config/sizing-schema";
import { isArmInstanceType, isGpuInstanceType } from "../instance-types";
import { DesignError, ScalingDesign, designScaling, type PoolType } from "./design";
import { HOURS, Rendition, SizingPolicy, sessionsPerNode, streamPixelsPerSecond } from "./planner";

/** AWS's range for a mixed instances override's WeightedCapacity (botocore, its documentation). */
export const WEIGHT_RANGE = { min: 1, max: 999 } as const;
/** PutLifecycleHook HeartbeatTimeout: 30 to 7200 seconds (user guide, "Add lifecycle hooks"). */
export const HEARTBEAT_RANGE = { min: 30, max: 7200 } as const;

/**
 * The design within a group's bounds (capacity units): maxSize, the spot base and the warm pool
 * clipped to them. The group never has more than maxSize in service and at least minSize, so no
 * more than maxSize - minSize warm instances can ever be used. The bench replays a capped stack
 * with the same clipping (`npm run bench -- --stack-max-size`).
 */
export function withinBounds(
  design: ScalingDesign,
  minSize: number,
  maxSize: number,
): ScalingDesign {
  const clamp = (x: number) => Math.min(maxSize, Math.max(minSize, x));
  const out: ScalingDesign = {
    ...design,
    minSize: clamp(design.minSize),
    maxSize,
    forecastFloor: clamp(design.forecastFloor),
  };
  if (design.warmPool) {
    const max = Math.min(design.warmPool.maxGroupPreparedCapacity, maxSize);
    out.warmPool = {
      ...design.warmPool,
      maxGroupPreparedCapacity: max,
      minSize: Math.max(0, Math.min(design.warmPool.minSize, max - minSize)),
    };
  }
  if (design.mixedInstancesPolicy) {
    out.mixedInstancesPolicy = {
      ...design.mixedInstancesPolicy,
      instancesDistribution: {
        ...design.mixedInstancesPolicy.instancesDistribution,
        onDemandBaseCapacity: out.forecastFloor,
      },
    };
  }
  return out;
}

export interface SpotCandidate {
  instanceType: string;
  pixelsPerSecond: number;
  sessions: number;
}

/**
 * The types a spot pool mixes: nodeGroup.instanceType first, then every other type of the
 * capacity model of the same kind (GPU or CPU: one launch template, one AMI, one -nvidia flag)
 * on x86_64, that carries at least one whole stream of the ladder. Ordered by sessions per
 * instance, largest first after the primary, then by name (a stable order: the overrides'
 * order is part of the group's config).
 */
export function spotCandidates(
  primary: string,
  model: Readonly<Record<string, { pixelsPerSecond: number }>>,
  ladder: readonly Rendition[],
): { types: SpotCandidate[]; left: { instanceType: string; why: string }[] } {
  const gpu = isGpuInstanceType(primary);
  const left: { instanceType: string; why: string }[] = [];
  const types: SpotCandidate[] = [];
  for (const [instanceType, m] of Object.entries(model)) {
    const sessions = sessionsPerNode(m.pixelsPerSecond, ladder);
    const c = { instanceType, pixelsPerSecond: m.pixelsPerSecond, sessions };
    if (instanceType === primary) continue;
    if (isGpuInstanceType(instanceType) !== gpu) continue;
    if (isArmInstanceType(instanceType)) {
      left.push({ instanceType, why: "arm64: the pool's AMI is x86_64" });
    } else if (sessions < 1) {
      left.push({ instanceType, why: "carries no whole stream of the ladder" });
    } else types.push(c);
  }
  types.sort((a, b) => b.sessions - a.sessions || a.instanceType.localeCompare(b.instanceType));
  const p = model[primary];
  if (p) {
    types.unshift({
      instanceType: primary,
      pixelsPerSecond: p.pixelsPerSecond,
      sessions: sessionsPerNode(p.pixelsPerSecond, ladder),
    });
  }
  return { types, left };
}

export interface PoolInput {
  stack: string;
  instanceType: string;
  model: CapacityModel;
  ladder: readonly Rendition[];
  /** demand.peakStreams; absent: the design's policies without a profile to size bounds from. */
  peakStreams?: readonly number[];
  /** nodeGroup.maxSessions: the primary's -maxSessions when set (no spot then). */
  maxSessions?: number;
  spot: boolean;
  /** nodeGroup.minSize / maxSize, in instances of instanceType. */
  minSize: number;
  maxSize: number;
  /** The hourly planner's busiest hour, in instances: the group's desired count at creation. */
  initialInstances: number;
  sizing: Omit<SizingPolicy, "minSize" | "maxSize">;
}

export interface PoolScaling {
  design: ScalingDesign;
  spot: boolean;
  /** "instances", or "sessions" with spot (weights). */
  capacityUnit: ScalingDesign["capacityUnit"];
  /** Capacity units one instance of the primary type counts for. */
  unitsPerInstance: number;
  /** The pool's types, the launch template's first: each one's -maxSessions (and spot weight). */
  types: { instanceType: string; sessions: number }[];
  /** The group's bounds and its desired count at creation, in capacity units. */
  minSize: number;
  maxSize: number;
  initialDesired: number;
  /**
   * Instances the group holds at its minimum at least: minSize, or with weights minSize over the
   * largest weight (what the deploy gate may wait for).
   */
  minInstances: number;
  /** What the design would allow as maxSize (capacity units); above maxSize when the stack caps it. */
  designMaxSize: number;
  warmPool?: NonNullable<ScalingDesign["warmPool"]>;
  /** With spot: on-demand capacity units below the spot ones (the forecast's floor). */
  onDemandBase?: number;
  notes: string[];
}

/** Types the spot pool cannot use, said once in the plan. */
function leftOut(left: { instanceType: string; why: string }[]): string[] {
  return left.length === 0
    ? []
    : [`spot pool leaves out ${left.map((l) => `${l.instanceType} (${l.why})`).join(", ")}`];
}

/** The deployed pool for a region, or undefined without a capacity model for its type. */
export function poolScaling(input: PoolInput): PoolScaling | undefined {
  const primaryModel = input.model[input.instanceType];
  if (!primaryModel) return undefined;
  const stream = streamPixelsPerSecond(input.ladder);
  const notes: string[] = [];
  let types: PoolType[];
  if (input.spot) {
    const c = spotCandidates(input.instanceType, input.model, input.ladder);
    notes.push(...leftOut(c.left));
    types = c.types.map((t) => ({
      instanceType: t.instanceType,
      pixelsPerSecond: t.pixelsPerSecond,
    }));
  } else {
    // An explicit nodeGroup.maxSessions is what go-livepeer admits, so the design counts with it:
    // exactly that many streams of the ladder (sessionsPerNode rounds with an epsilon).
    const px =
      input.maxSessions !== undefined ? input.maxSessions * stream : primaryModel.pixelsPerSecond;
    types = [{ instanceType: input.instanceType, pixelsPerSecond: px }];
  }
  const profile = input.peakStreams?.length === HOURS;
  const design = designScaling({
    stack: input.stack,
    // Without a profile the design still gives the policies (they learn from the metrics, not
    // from config); the bounds and the warm pool then come from the stack alone.
    peakStreams: profile ? input.peakStreams! : new Array<number>(HOURS).fill(0),
    ladder: input.ladder,
    types,
    sizing: { ...input.sizing, minSize: input.minSize, maxSize: input.maxSize },
    policy: { spot: input.spot },
  });
  const unitsPerInstance = input.spot ? design.maxSessions[input.instanceType] : 1;
  const minSize = input.minSize * unitsPerInstance;
  const maxSize = input.maxSize * unitsPerInstance;
  const clamp = (x: number) => Math.min(maxSize, Math.max(minSize, x));
  const hooks = design.lifecycleHooks;
  for (const h of hooks) {
    if (h.heartbeatTimeout < HEARTBEAT_RANGE.min || h.heartbeatTimeout > HEARTBEAT_RANGE.max) {
      throw new DesignError(
        `lifecycle hook ${h.id}: heartbeat ${h.heartbeatTimeout} s is outside AWS's ${HEARTBEAT_RANGE.min}-${HEARTBEAT_RANGE.max} s`,
      );
    }
  }
  if (profile && design.maxSize > maxSize) {
    notes.push(
      `nodeGroup.maxSize ${input.maxSize} caps the pool below the design's ` +
        `${Math.ceil(design.maxSize / unitsPerInstance)} (room for 5x the busiest hour): demand ` +
        `above ${maxSize} ${design.capacityUnit} is refused; raise nodeGroup.maxSize to let spikes through`,
    );
  }
  const out: PoolScaling = {
    design,
    spot: input.spot,
    capacityUnit: design.capacityUnit,
    unitsPerInstance,
    types: types.map((t) => ({
      instanceType: t.instanceType,
      sessions: design.maxSessions[t.instanceType],
    })),
    minSize,
    maxSize,
    initialDesired: clamp(input.initialInstances * unitsPerInstance),
    minInstances: input.spot
      ? Math.ceil(minSize / Math.max(...types.map((t) => design.maxSessions[t.instanceType])))
      : minSize,
    designMaxSize: profile ? design.maxSize : maxSize,
    notes,
  };
  const within = withinBounds(design, minSize, maxSize);
  if (input.spot) {
    // The forecast's floor is carried on demand; without a profile, the stack's minimum is.
    out.onDemandBase = profile ? within.forecastFloor : minSize;
  } else if (within.warmPool && profile) {
    out.warmPool = within.warmPool;
  } else if (!profile) {
    notes.push("no demand profile: no warm pool (nothing to size it from)");
  }
  for (const t of out.types) {
    if (input.spot && (t.sessions < WEIGHT_RANGE.min || t.sessions > WEIGHT_RANGE.max)) {
      // The config schema rejects this first (lib/config/sizing-schema.ts); a guard for callers.
      throw new DesignError(`${t.instanceType}: weight ${t.sessions} outside AWS's 1-999`);
    }
  }
  return out;
}
