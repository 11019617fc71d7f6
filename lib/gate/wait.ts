// The deploy gate's waiting logic. With rollouts (waitForRollout): polls Auto Scaling until each
// group's instance refresh is done and every InService instance runs the launch template version
// just deployed, failing at once on a failed, cancelled or rolled-back refresh with its reasons;
// then polls ELBv2 DescribeTargetHealth until enough of those new instances are healthy targets.
// Without (waitForHealthy): target health alone. Bounded by a deadline, not a number of tries.
// The clients, the clock and sleep are injected for tests.
import {
  DescribeTargetHealthCommand,
  type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type DescribeAutoScalingGroupsCommandOutput,
  type DescribeInstanceRefreshesCommandOutput,
  type InstanceRefresh,
} from "@aws-sdk/client-auto-scaling";

/** The subset of the AWS SDK v3 ElasticLoadBalancingV2Client this uses. */
export interface ElbSender {
  send(command: DescribeTargetHealthCommand): Promise<{
    TargetHealthDescriptions?: TargetHealthDescription[];
  }>;
}

export interface GateOptions {
  targetGroupArn: string;
  expectedHealthy: number;
  timeoutMs: number;
  intervalMs: number;
  /** Count only these targets (the instances a rollout put in service); default: all. */
  only?: ReadonlySet<string>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
}

export interface TargetState {
  id: string;
  port?: number;
  state: string;
  reason?: string;
  description?: string;
}

export type GateResult =
  | { ok: true; healthy: number; targets: TargetState[] }
  | { ok: false; healthy: number; expected: number; targets: TargetState[]; why: string };

/** Errors no amount of waiting fixes: fail at once instead of at the deadline. */
const PERMANENT = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "TargetGroupNotFound",
  "TargetGroupNotFoundException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "ExpiredToken",
  "ExpiredTokenException",
  "ValidationError",
]);

function toState(d: TargetHealthDescription): TargetState {
  return {
    id: d.Target?.Id ?? "?",
    port: d.Target?.Port,
    state: d.TargetHealth?.State ?? "unknown",
    reason: d.TargetHealth?.Reason,
    description: d.TargetHealth?.Description,
  };
}

export function describeTarget(t: TargetState): string {
  const where = t.port === undefined ? t.id : `${t.id}:${t.port}`;
  const why = [t.reason, t.description].filter(Boolean).join(": ");
  return `${where} ${t.state}${why ? ` (${why})` : ""}`;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitForHealthy(elb: ElbSender, o: GateOptions): Promise<GateResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? realSleep;
  const log = o.log ?? (() => undefined);
  if (o.expectedHealthy <= 0) {
    log("expected healthy targets: 0; nothing to wait for");
    return { ok: true, healthy: 0, targets: [] };
  }
  const deadline = now() + o.timeoutMs;
  let targets: TargetState[] = [];
  let lastError: string | undefined;
  let lastLine = "";
  for (;;) {
    try {
      const out = await elb.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: o.targetGroupArn }),
      );
      targets = (out.TargetHealthDescriptions ?? [])
        .map(toState)
        .filter((t) => o.only === undefined || o.only.has(t.id));
      lastError = undefined;
    } catch (err) {
      const e = err as { name?: string; message?: string };
      lastError = `${e.name ?? "Error"}: ${e.message ?? String(err)}`;
      if (e.name !== undefined && PERMANENT.has(e.name)) {
        return { ok: false, healthy: 0, expected: o.expectedHealthy, targets, why: lastError };
      }
    }
    const healthy = targets.filter((t) => t.state === "healthy").length;
    // "initial": registration or the first health checks are still in progress (a node the
    // rollout just launched): wait for it to settle either way.
    const settling = targets.filter((t) => t.state === "initial").length;
    const line = `healthy ${healthy}/${o.expectedHealthy}, registering ${settling}, total ${targets.length}`;
    if (line !== lastLine) log(line);
    lastLine = line;
    if (lastError === undefined && healthy >= o.expectedHealthy && settling === 0) {
      for (const t of targets.filter((x) => x.state !== "healthy")) {
        log(`warning: ${describeTarget(t)}`);
      }
      return { ok: true, healthy, targets };
    }
    const left = deadline - now();
    if (left <= 0) {
      const why =
        lastError ??
        (targets.length === 0
          ? o.only
            ? `none of the ${o.only.size} new instance(s) is registered in the target group`
            : "no targets are registered in the target group"
          : `${healthy} of ${o.expectedHealthy} expected targets healthy`);
      return { ok: false, healthy, expected: o.expectedHealthy, targets, why };
    }
    await sleep(Math.min(o.intervalMs, left));
  }
}

// ---------- rollouts: the instance refresh a deploy starts, then health among the new instances ----------

/**
 * A group whose launch template this deploy may have changed. The provider starts the group's
 * instance refresh and returns at once (it does not wait for it), so old instances can still be
 * the healthy ones when the update "succeeds": the gate waits for the new version itself.
 */
export interface Rollout {
  /** Auto Scaling group name. */
  group: string;
  /** The launch template the group runs and the version this deploy made it run. */
  launchTemplateId: string;
  launchTemplateVersion: string;
  /** InService instances on that version to wait for (groups outside the target group). */
  expectedInService: number;
  /** Whether the group's instances are targets of the target group the gate checks. */
  inTargetGroup: boolean;
}

/** The subset of the AWS SDK v3 AutoScalingClient the gate uses. */
export interface AutoScalingSender {
  send(
    command: DescribeInstanceRefreshesCommand | DescribeAutoScalingGroupsCommand,
  ): Promise<unknown>;
}

export interface RolloutOptions extends Omit<GateOptions, "targetGroupArn" | "expectedHealthy"> {
  targetGroupArn: string;
  /** Healthy targets among the new instances. */
  expectedHealthy: number;
  rollouts: Rollout[];
}

/** Refresh states that end a rollout without the new version in service: the deploy failed. */
export const FAILED_REFRESH = new Set([
  "Failed",
  "Cancelling",
  "Cancelled",
  "RollbackInProgress",
  "RollbackSuccessful",
  "RollbackFailed",
]);

function refreshWhy(r: InstanceRefresh): string {
  const parts = [`instance refresh ${r.InstanceRefreshId ?? "?"} ${r.Status ?? "?"}`];
  if (r.StatusReason) parts.push(r.StatusReason);
  if (r.RollbackDetails?.RollbackReason)
    parts.push(`rolled back: ${r.RollbackDetails.RollbackReason}`);
  return parts.join(": ");
}

interface GroupState {
  /** InService instances on the rollout's version. */
  current: string[];
  /** InService instances on anything else. */
  stale: string[];
  refresh?: InstanceRefresh;
}

async function groupState(asg: AutoScalingSender, r: Rollout): Promise<GroupState> {
  const refreshes = (await asg.send(
    new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: r.group, MaxRecords: 1 }),
  )) as DescribeInstanceRefreshesCommandOutput;
  const groups = (await asg.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [r.group] }),
  )) as DescribeAutoScalingGroupsCommandOutput;
  const group = groups.AutoScalingGroups?.[0];
  if (!group) {
    throw Object.assign(new Error(`Auto Scaling group ${r.group} not found`), {
      name: "ValidationError",
    });
  }
  const state: GroupState = { current: [], stale: [], refresh: refreshes.InstanceRefreshes?.[0] };
  for (const i of group.Instances ?? []) {
    if (i.LifecycleState !== "InService") continue;
    const lt = i.LaunchTemplate;
    const onVersion =
      lt?.LaunchTemplateId === r.launchTemplateId && lt?.Version === r.launchTemplateVersion;
    (onVersion ? state.current : state.stale).push(i.InstanceId ?? "?");
  }
  return state;
}

export type RolloutResult =
  | { ok: true; healthy: number; newInstances: string[] }
  | { ok: false; phase: "refresh" | "health"; why: string; details: string[] };

/**
 * Waits, within one deadline, until (1) every rollout group has its latest instance refresh done
 * (or none running) and every InService instance on the deployed launch template version, then
 * (2) at least `expectedHealthy` of those new instances healthy in the target group. A refresh
 * that failed, was cancelled or rolled back fails at once with AWS's reasons: an old healthy fleet
 * never passes for a new one.
 */
export async function waitForRollout(
  asg: AutoScalingSender,
  elb: ElbSender,
  o: RolloutOptions,
): Promise<RolloutResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? realSleep;
  const log = o.log ?? (() => undefined);
  const deadline = now() + o.timeoutMs;
  let lastLine = "";
  let states = new Map<string, GroupState>();
  let lastError: string | undefined;
  for (;;) {
    try {
      states = new Map();
      for (const r of o.rollouts) states.set(r.group, await groupState(asg, r));
      lastError = undefined;
    } catch (err) {
      const e = err as { name?: string; message?: string };
      lastError = `${e.name ?? "Error"}: ${e.message ?? String(err)}`;
      if (e.name !== undefined && PERMANENT.has(e.name)) {
        return { ok: false, phase: "refresh", why: lastError, details: [] };
      }
    }
    if (lastError === undefined) {
      for (const r of o.rollouts) {
        const s = states.get(r.group)!;
        if (s.refresh?.Status && FAILED_REFRESH.has(s.refresh.Status)) {
          return {
            ok: false,
            phase: "refresh",
            why: `${r.group}: ${refreshWhy(s.refresh)}`,
            details: s.stale.map((id) => `${id} still on an older launch template version`),
          };
        }
      }
      const waiting = o.rollouts.filter((r) => {
        const s = states.get(r.group)!;
        const refreshRunning = s.refresh?.Status !== undefined && s.refresh.Status !== "Successful";
        return refreshRunning || s.stale.length > 0 || s.current.length < r.expectedInService;
      });
      const line = o.rollouts
        .map((r) => {
          const s = states.get(r.group)!;
          const refresh = s.refresh
            ? `${s.refresh.Status}${s.refresh.PercentageComplete !== undefined ? ` ${s.refresh.PercentageComplete}%` : ""}`
            : "none";
          return `${r.group}: refresh ${refresh}, version ${r.launchTemplateVersion} on ${s.current.length}, older ${s.stale.length}`;
        })
        .join("; ");
      if (line !== lastLine) log(line);
      lastLine = line;
      if (waiting.length === 0) break;
    }
    const left = deadline - now();
    if (left <= 0) {
      const details = o.rollouts.flatMap((r) => {
        const s = states.get(r.group);
        if (!s) return [];
        return [
          ...(s.refresh ? [`${r.group}: ${refreshWhy(s.refresh)}`] : []),
          ...s.stale.map((id) => `${r.group}: ${id} still on an older launch template version`),
        ];
      });
      return {
        ok: false,
        phase: "refresh",
        why: lastError ?? "the new launch template version is not in service everywhere yet",
        details,
      };
    }
    await sleep(Math.min(o.intervalMs, left));
  }

  // Phase 2: health among the instances the rollout put in service.
  const fresh = new Set(
    o.rollouts.filter((r) => r.inTargetGroup).flatMap((r) => states.get(r.group)!.current),
  );
  const health = await waitForHealthy(elb, {
    ...o,
    timeoutMs: Math.max(0, deadline - now()),
    targetGroupArn: o.targetGroupArn,
    expectedHealthy: o.expectedHealthy,
    only: fresh,
  });
  if (health.ok) return { ok: true, healthy: health.healthy, newInstances: [...fresh] };
  return {
    ok: false,
    phase: "health",
    why: health.why,
    details: health.targets.filter((t) => t.state !== "healthy").map(describeTarget),
  };
}
