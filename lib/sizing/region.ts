// One region's sizing, from its validated config: what RegionUnit wires into the node group and
// passes on (maxSessions to the node runtime, the maintenance hour to snapshots and the nightly
// restart), and what the plan reports. Pure.
//
// How the planner relates to nodeGroup.minSize/maxSize: they are the policy's bounds. Every
// planned hour is >= minSize; an hour that needs more than maxSize is a config error (raise
// maxSize). The plan is the offline table and the bounds check; the deployed group is moved by
// its predictive and target-tracking policies within these bounds (lib/sizing/design.ts).
import type { RegionConfig } from "../config/schema";
import { SIZING_DEFAULTS, type InstanceCapacity } from "../config/sizing-schema";
import {
  CapacityPlan,
  HOURS,
  planCapacity,
  sessionsPerNode,
  streamPixelsPerSecond,
  targetSessionsPerNode,
} from "./planner";

export interface RegionSizing {
  instanceType: string;
  /** The instance type's capacity model; absent when Pulumi.yaml has none for it. */
  capacity?: InstanceCapacity;
  /** The hourly plan; absent until the stack has a demand profile (demand.peakStreams). */
  plan?: CapacityPlan;
  streamPixelsPerSecond: number;
  /** go-livepeer -maxSessions for every node; absent without a capacity model. */
  maxSessions?: number;
  /** Target-tracking value (average CurrentSessions per node); absent without a capacity model. */
  targetSessionsPerNode?: number;
  /** The ASG's min/max as created (the scaling policies move the desired count within them). */
  minSize: number;
  maxSize: number;
  /** The ASG's desired count at creation: the plan's busiest hour, so day one is never short. */
  initialDesired: number;
  /** UTC hour for snapshots and the chain-node restart: the quietest hour of the profile. */
  maintenanceHourUtc: number;
}

/** Sizing for a validated region config (the schema already rejected infeasible plans). */
export function regionSizing(c: RegionConfig): RegionSizing {
  const instanceType = c.nodeGroup.instanceType;
  const capacity = c.capacityModel[instanceType];
  const ladder = c.demand.ladder;
  const base: RegionSizing = {
    instanceType,
    capacity,
    streamPixelsPerSecond: streamPixelsPerSecond(ladder),
    minSize: c.nodeGroup.minSize,
    maxSize: c.nodeGroup.maxSize,
    initialDesired: c.nodeGroup.minSize,
    // An explicit maintenance.hourUtc wins; else the plan's quietest hour (below); else 4.
    maintenanceHourUtc: c.maintenance.hourUtc ?? SIZING_DEFAULTS.maintenanceHourUtc,
    // An explicit nodeGroup.maxSessions wins over the capacity model's.
    maxSessions: c.nodeGroup.maxSessions,
  };
  if (!capacity) return base;
  // An explicit nodeGroup.maxSessions is what go-livepeer admits, so the plan sizes with it too.
  const perNode = c.nodeGroup.maxSessions ?? sessionsPerNode(capacity.pixelsPerSecond, ladder);
  const withCapacity: RegionSizing = {
    ...base,
    maxSessions: perNode,
    targetSessionsPerNode: targetSessionsPerNode(perNode, c.sizing.headroom),
  };
  const peakStreams = c.demand.peakStreams;
  if (!peakStreams || peakStreams.length !== HOURS) return withCapacity;
  const plan = planCapacity({
    peakStreams,
    ladder,
    nodePixelsPerSecond: capacity.pixelsPerSecond,
    sessionsPerNode: c.nodeGroup.maxSessions,
    policy: { ...c.sizing, minSize: c.nodeGroup.minSize, maxSize: c.nodeGroup.maxSize },
  });
  return {
    ...withCapacity,
    plan,
    maxSessions: plan.sessionsPerNode,
    targetSessionsPerNode: plan.targetSessionsPerNode,
    minSize: plan.minSize,
    maxSize: plan.maxSize,
    initialDesired: Math.max(...plan.hourly.map((h) => h.instances)),
    maintenanceHourUtc: c.maintenance.hourUtc ?? plan.maintenanceHourUtc,
  };
}
