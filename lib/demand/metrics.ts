// The region's demand as the fleet measures it: what every orchestrator publishes to CloudWatch
// every 10 seconds, what the scaling policies read (lib/sizing/design.ts) and what
// `npm run demand:sync` reads back (lib/demand/cloudwatch.ts). One home for the names, so the
// node runtime that publishes them, the policies and the sync cannot drift apart.
//
// Every metric carries the dimension Unit = the stack name (UNIT_DIMENSION, as the unit's other
// metrics do) and nothing else, so every orchestrator's datapoints land in the same metric.
// Each orchestrator publishes one datapoint every DEMAND_PUBLISH_SECONDS (high resolution,
// StorageResolution 1), so the Sum over a period P is the region's total times
// P / DEMAND_PUBLISH_SECONDS: the Sum over 10 s is the total itself, and a ratio of two such
// Sums (utilisation) is the same whatever the period. PixelsPerSecond also carries Rendition.
// CloudWatch keeps 10-second datapoints for 3 hours, 1-minute aggregates for 15 days
// (CloudWatch user guide, "Metrics retention").
//
// Where each value comes from on an orchestrator (go-livepeer's Prometheus metrics on its
// -monitor endpoint, names as in monitor/census.go):
//  - ServedSessions: livepeer_current_sessions_total, the sessions it is transcoding
//    (core/orchestrator.go getSegmentChan -> lpmon.CurrentSessions(len(SegmentChans))).
//  - PoolCapacitySessions: livepeer_max_sessions_total; with -maxSessions auto that is the sum of
//    the connected transcoders' capacities (serveTranscoder -> SetMaxSessions ->
//    lpmon.MaxSessions). livepeer_transcoders_capacity is the same sum.
//  - RefusedRequests: session starts refused because the orchestrator is full, counted per
//    publish interval (so the Sum over any period is the count in it; regionTotal does not
//    apply). go-livepeer has no counter for this: GetOrchestrator returns ErrOrchCap without a
//    metric or a log line (server/rpc.go getOrchestrator -> verifyOrchestratorReq ->
//    CheckCapacity); a refused first segment logs "Cannot process manifest
//    err=\"OrchestratorCapped\"" (server/segment_rpc.go verifySegCreds). The publisher
//    (scripts/node/demand-publisher.py) counts those log lines, each session once: a lower
//    bound, since refusals at discovery leave no trace.
//  - RefusedSessions: the refused sessions that would still be running had they been admitted:
//    every refused request counts 1 and decays by 1/meanSessionMinutes per minute (for
//    exponential session lengths that is exactly the expected number still alive). Added to
//    ServedSessions it is the demand in sessions, which the capped ServedSessions never shows.
//  - PixelsPerSecond by Rendition: the increase of livepeer_segment_transcoded_total per
//    `profiles` ladder times the mean source segment duration (livepeer_source_segment_duration_
//    seconds _sum / _count) is seconds of video per ladder; times each rendition's width x height
//    x fps (lpms VideoProfileLookup, lib/demand/profiles.ts) over the interval. The source's own
//    rendition is "source", sized as the stack's configured source (go-livepeer exports none).
import { ROLE_METRIC_NAMESPACES, UNIT_DIMENSION } from "../runtime-contract";

export { UNIT_DIMENSION };

/**
 * Demand is published by the orchestrators' health agents, so it lives in their namespace: no
 * other role may put into it (IAM), so no other role can fake the region's demand.
 */
export const DEMAND_NAMESPACE = ROLE_METRIC_NAMESPACES.orchestrator;

export const DEMAND_METRICS = {
  servedSessions: "ServedSessions",
  poolCapacitySessions: "PoolCapacitySessions",
  refusedRequests: "RefusedRequests",
  refusedSessions: "RefusedSessions",
  pixelsPerSecond: "PixelsPerSecond",
} as const;

/** The second dimension of PixelsPerSecond: a go-livepeer profile name, or "source". */
export const RENDITION_DIMENSION = "Rendition";

/** Every orchestrator publishes every metric once per this many seconds. */
export const DEMAND_PUBLISH_SECONDS = 10;

/**
 * The mean session length RefusedSessions decays with, in minutes: an estimate (the bench's
 * demand model uses the same; go-livepeer exports no session durations to measure it from).
 */
export const MEAN_SESSION_MINUTES = 40;

/** CloudWatch keeps 1-minute datapoints for 15 days: the longest window demand:sync reads. */
export const ONE_MINUTE_RETENTION_DAYS = 15;

/** The region's total from a Sum over `periodSeconds` of every orchestrator's datapoints. */
export function regionTotal(sum: number, periodSeconds: number): number {
  return (sum * DEMAND_PUBLISH_SECONDS) / periodSeconds;
}

/** The dimensions of a unit-level demand metric. */
export function unitDimensions(stack: string): { Name: string; Value: string }[] {
  return [{ Name: UNIT_DIMENSION, Value: stack }];
}

/**
 * The refused-sessions gauge, one minute on: the previous minute's value decayed by one minute of the mean
 * session length, plus this minute's refused requests. Pure, so the publisher and the bench
 * (lib/sizing/pool-sim.ts) compute the same thing.
 */
export function nextRefusedSessions(
  previous: number,
  refusedThisMinute: number,
  meanSessionMinutes: number,
): number {
  return previous * (1 - 1 / meanSessionMinutes) + refusedThisMinute;
}
