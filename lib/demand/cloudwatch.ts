// Reads a region's demand from the metrics its orchestrators publish to CloudWatch
// (lib/demand/metrics.ts): served + refused sessions every minute, and pixels per rendition.
// The client is injected and must be for the stack's own region: the demand of one region never
// sizes another. Like the Prometheus reader, it refuses any answer it cannot trust (an empty or
// partial series, a NaN or negative value).
//
// GetMetricData (CloudWatch API reference): up to 500 queries, results paged with NextToken;
// Sum over a 60-second period; 1-minute datapoints are kept for 15 days.
import {
  GetMetricDataCommand,
  ListMetricsCommand,
  type GetMetricDataCommandOutput,
  type ListMetricsCommandOutput,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import type { Rendition } from "../sizing/planner";
import {
  DEMAND_METRICS,
  DEMAND_NAMESPACE,
  ONE_MINUTE_RETENTION_DAYS,
  RENDITION_DIMENSION,
  UNIT_DIMENSION,
  regionTotal,
} from "./metrics";
import { parseProfileName } from "./profiles";
import { DemandSyncError, peaksByHourOfDay, typicalByHourOfDay } from "./prometheus";

/** What the reader needs of a CloudWatchClient (a stand-in in tests). */
export interface CloudWatchLike {
  send(
    command: GetMetricDataCommand | ListMetricsCommand,
  ): Promise<GetMetricDataCommandOutput | ListMetricsCommandOutput>;
  config: { region: string | (() => Promise<string>) };
}

export interface CloudWatchDemandQuery {
  /** The stack name (the metrics' Unit dimension) and its region. */
  stack: string;
  region: string;
  days: number;
  /** End of the window; aligned down to a whole UTC hour. */
  end: Date;
  minCoverage: number;
}

const PERIOD = 60;

function windowOf(q: CloudWatchDemandQuery): { start: number; end: number } {
  const end = Math.floor(q.end.getTime() / 3_600_000) * 3600;
  return { start: end - q.days * 86_400, end };
}

async function checkRegion(client: CloudWatchLike, q: CloudWatchDemandQuery): Promise<void> {
  const r = client.config.region;
  const region = typeof r === "function" ? await r() : r;
  if (region !== q.region) {
    throw new DemandSyncError(
      `the CloudWatch client is for ${region}, the stack ${q.stack} is in ${q.region}: ` +
        `a region's demand is read in that region only`,
    );
  }
  if (q.days > ONE_MINUTE_RETENTION_DAYS) {
    throw new DemandSyncError(
      `--days ${q.days}: CloudWatch keeps 1-minute datapoints for ${ONE_MINUTE_RETENTION_DAYS} days; ` +
        `ask for ${ONE_MINUTE_RETENTION_DAYS} or fewer`,
    );
  }
}

function stat(
  id: string,
  metricName: string,
  dims: { Name: string; Value: string }[],
  period: number,
): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: DEMAND_NAMESPACE, MetricName: metricName, Dimensions: dims },
      Period: period,
      Stat: "Sum",
    },
    ReturnData: true,
  };
}

/** Every page of a GetMetricData call, values keyed by query id and epoch second. */
async function getMetricData(
  client: CloudWatchLike,
  queries: MetricDataQuery[],
  w: { start: number; end: number },
): Promise<Map<string, Map<number, number>>> {
  const out = new Map<string, Map<number, number>>(queries.map((x) => [x.Id!, new Map()]));
  let token: string | undefined;
  do {
    let page: GetMetricDataCommandOutput;
    try {
      page = await client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(w.start * 1000),
          EndTime: new Date(w.end * 1000),
          ScanBy: "TimestampAscending",
          NextToken: token,
        }),
      );
    } catch (err) {
      // The SDK's messages name the API error, never the caller's credentials.
      throw new DemandSyncError(`CloudWatch GetMetricData: ${(err as Error).message}`);
    }
    for (const r of page.MetricDataResults ?? []) {
      const series = out.get(r.Id ?? "");
      if (!series) continue;
      (r.Timestamps ?? []).forEach((ts, i) => {
        const v = r.Values?.[i];
        const at = Math.floor(new Date(ts).getTime() / 1000);
        if (v === undefined || !Number.isFinite(v) || v < 0) {
          throw new DemandSyncError(
            `CloudWatch ${r.Label ?? r.Id}: value ${String(v)} at ${new Date(at * 1000).toISOString()}; refusing to size from it`,
          );
        }
        series.set(at, (series.get(at) ?? 0) + v);
      });
    }
    token = page.NextToken;
  } while (token);
  return out;
}

export interface CloudWatchDemand {
  /** Peak concurrent sessions (served + refused) per UTC hour of day: the maximum over days. */
  peakStreams: number[];
  /** The median over days of each hour's peak (a past spike does not move it). */
  typicalStreams: number[];
}

/** Demand per UTC hour of day from ServedSessions + RefusedSessions, every minute. */
export async function fetchPeakStreamsCloudWatch(
  client: CloudWatchLike,
  q: CloudWatchDemandQuery,
): Promise<CloudWatchDemand> {
  await checkRegion(client, q);
  const w = windowOf(q);
  const dims = [{ Name: UNIT_DIMENSION, Value: q.stack }];
  const data = await getMetricData(
    client,
    [
      stat("served", DEMAND_METRICS.servedSessions, dims, PERIOD),
      stat("refused", DEMAND_METRICS.refusedSessions, dims, PERIOD),
    ],
    w,
  );
  const served = data.get("served")!;
  const refused = data.get("refused")!;
  if (served.size === 0) {
    throw new DemandSyncError(
      `empty answer: no ${DEMAND_NAMESPACE} ${DEMAND_METRICS.servedSessions} for ` +
        `${UNIT_DIMENSION}=${q.stack} in ${q.region} between ${new Date(w.start * 1000).toISOString()} ` +
        `and ${new Date(w.end * 1000).toISOString()}; the orchestrators publish it once they serve`,
    );
  }
  // The hour's peak of the region's total, per hour of the window (keyed by the hour's end).
  const hourly = new Map<number, number>();
  for (const [at, s] of served) {
    const demand = regionTotal(s + (refused.get(at) ?? 0), PERIOD);
    const hourEnd = Math.floor(at / 3600) * 3600 + 3600;
    hourly.set(hourEnd, Math.max(hourly.get(hourEnd) ?? 0, demand));
  }
  const points = [...hourly.entries()].sort((a, b) => a[0] - b[0]);
  return {
    peakStreams: peaksByHourOfDay(points, w, q.minCoverage),
    typicalStreams: typicalByHourOfDay(points, w),
  };
}

export interface RenditionShare {
  rendition: string;
  share: number;
}

/**
 * The ladder: the source's rendition as the stack file has it, plus every output rendition that
 * carried pixels in the window (their union: sizing for it never leaves a ladder short).
 */
export async function fetchLadderCloudWatch(
  client: CloudWatchLike,
  q: CloudWatchDemandQuery,
  source: Rendition,
): Promise<{ ladder: Rendition[]; shares: RenditionShare[] }> {
  await checkRegion(client, q);
  const names: string[] = [];
  let token: string | undefined;
  do {
    let page: ListMetricsCommandOutput;
    try {
      page = await client.send(
        new ListMetricsCommand({
          Namespace: DEMAND_NAMESPACE,
          MetricName: DEMAND_METRICS.pixelsPerSecond,
          Dimensions: [{ Name: UNIT_DIMENSION, Value: q.stack }],
          NextToken: token,
        }),
      );
    } catch (err) {
      throw new DemandSyncError(`CloudWatch ListMetrics: ${(err as Error).message}`);
    }
    for (const m of page.Metrics ?? []) {
      const r = m.Dimensions?.find((d) => d.Name === RENDITION_DIMENSION)?.Value;
      if (r && !names.includes(r)) names.push(r);
    }
    token = page.NextToken;
  } while (token);
  const w = windowOf(q);
  const day = 86_400;
  const data = await getMetricData(
    client,
    names.map((r, i) =>
      stat(
        `r${i}`,
        DEMAND_METRICS.pixelsPerSecond,
        [
          { Name: UNIT_DIMENSION, Value: q.stack },
          { Name: RENDITION_DIMENSION, Value: r },
        ],
        day,
      ),
    ),
    w,
  );
  const totals = names.map((r, i) => ({
    rendition: r,
    px: [...data.get(`r${i}`)!.values()].reduce((a, b) => a + b, 0),
  }));
  const all = totals.reduce((a, b) => a + b.px, 0);
  if (all <= 0) {
    throw new DemandSyncError(
      `empty answer: no ${DEMAND_METRICS.pixelsPerSecond} for ${UNIT_DIMENSION}=${q.stack} in the ` +
        `window, so the ladder is unknown; pass --keep-ladder to sync the stream counts only`,
    );
  }
  const outputs: Rendition[] = [];
  for (const t of totals.filter((x) => x.px > 0 && x.rendition !== source.name)) {
    const r = parseProfileName(t.rendition, source);
    if (!r) {
      throw new DemandSyncError(
        `rendition "${t.rendition}" does not say its resolution; write the ladder into the ` +
          `stack file by hand and sync with --keep-ladder`,
      );
    }
    outputs.push(r);
  }
  outputs.sort((a, b) => b.width * b.height * b.fps - a.width * a.height * a.fps);
  return {
    ladder: [source, ...outputs],
    shares: totals
      .map((t) => ({ rendition: t.rendition, share: t.px / all }))
      .sort((a, b) => b.share - a.share),
  };
}
