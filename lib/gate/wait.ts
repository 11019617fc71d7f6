// The deploy gate's waiting logic: polls ELBv2 DescribeTargetHealth for the node group's target
// group until at least the expected number of targets is healthy and none is still registering,
// or the time is up; then it fails with each non-healthy target's state and reason. Bounded by
// a deadline, not a number of tries. The client, the clock and sleep are injected for tests.
import {
  DescribeTargetHealthCommand,
  type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";

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
      targets = (out.TargetHealthDescriptions ?? []).map(toState);
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
          ? "no targets are registered in the target group"
          : `${healthy} of ${o.expectedHealthy} expected targets healthy`);
      return { ok: false, healthy, expected: o.expectedHealthy, targets, why };
    }
    await sleep(Math.min(o.intervalMs, left));
  }
}
