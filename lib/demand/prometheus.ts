// Reads a region's demand from Prometheus' HTTP API (/api/v1/query_range, /api/v1/query) and
// refuses any answer it cannot trust: an HTTP error, a status other than "success", an empty or
// partial series, a NaN, infinite or negative value. Metric names and labels are go-livepeer's
// (monitor/census.go): livepeer_current_sessions_total is a per-node gauge of streams being
// transcoded (labels node_id, node_type; "orch" for an orchestrator, also with -transcoder);
// livepeer_segment_transcoded_total counts segments per `profiles` ladder.
import type { Rendition } from "../sizing/planner";
import { HOURS, streamPixelsPerSecond } from "../sizing/planner";
import { parseProfilesLabel } from "./profiles";

export class DemandSyncError extends Error {
  override name = "DemandSyncError";
}

export interface DemandQuery {
  /** Prometheus base URL, e.g. http://127.0.0.1:9090 */
  url: string;
  days: number;
  /** End of the window; aligned down to a whole UTC hour. */
  end: Date;
  /** Extra label matchers for both metrics, e.g. job="livepeer",region="eu-west-1". */
  selector?: string;
  /** Fraction of the window's days each UTC hour must have data for (1 = no gaps). */
  minCoverage: number;
  timeoutMs?: number;
}

/** A ladder must carry at least this share of segments to be sized for. */
export const LADDER_MIN_SHARE = 0.1;

const MATCHERS =
  /^[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)"[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)"[^"\\]*")*$/;

export function checkSelector(selector: string | undefined): void {
  if (selector !== undefined && !MATCHERS.test(selector)) {
    throw new DemandSyncError(
      `--selector ${JSON.stringify(selector)}: expected label matchers like job="livepeer",region="eu-west-1"`,
    );
  }
}

function matchers(q: DemandQuery): string {
  return `node_type="orch"${q.selector ? `,${q.selector}` : ""}`;
}

/**
 * Per hour: the highest concurrent total over the fleet within that hour, from 1-minute steps.
 * Evaluated at t, `offset 1s` makes the steps hh:00..hh:59 of the hour before t: without it the
 * step at t itself (the next hour's first minute) would count for the hour that just ended.
 */
export function sessionsQuery(q: DemandQuery): string {
  return `max_over_time(sum(livepeer_current_sessions_total{${matchers(q)}})[1h:1m] offset 1s)`;
}

/** Segments transcoded per ladder over the window. */
export function ladderQuery(q: DemandQuery): string {
  return `sum by (profiles) (increase(livepeer_segment_transcoded_total{${matchers(q)}}[${q.days}d]))`;
}

export function windowOf(q: DemandQuery): { start: number; end: number } {
  const end = Math.floor(q.end.getTime() / 3_600_000) * 3600;
  return { start: end - q.days * 86_400, end };
}

interface ApiAnswer {
  resultType: string;
  result: {
    metric: Record<string, string>;
    values?: [number, string][];
    value?: [number, string];
  }[];
}

async function api(
  q: DemandQuery,
  path: string,
  params: Record<string, string>,
): Promise<ApiAnswer> {
  const url = `${q.url.replace(/\/+$/, "")}${path}?${new URLSearchParams(params).toString()}`;
  const what = `Prometheus ${path} (${params.query})`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(q.timeoutMs ?? 30_000) });
  } catch (err) {
    throw new DemandSyncError(`${what}: cannot reach ${q.url}: ${(err as Error).message}`);
  }
  const body = await res.text();
  let json: { status?: string; data?: ApiAnswer; errorType?: string; error?: string };
  try {
    json = JSON.parse(body) as typeof json;
  } catch {
    throw new DemandSyncError(
      `${what}: HTTP ${res.status}, not a JSON answer: ${body.slice(0, 200)}`,
    );
  }
  if (!res.ok || json.status !== "success" || !json.data) {
    const why = json.error
      ? `${json.errorType ?? "error"}: ${json.error}`
      : `status ${String(json.status)}`;
    throw new DemandSyncError(`${what}: HTTP ${res.status}, ${why}`);
  }
  return json.data;
}

/** A sample value Prometheus sent as a string; anything but a finite number >= 0 is refused. */
function sampleValue(raw: string, at: number, what: string): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) {
    throw new DemandSyncError(
      `${what}: value ${raw} at ${new Date(at * 1000).toISOString()}; refusing to size from it`,
    );
  }
  return v;
}

/**
 * Peak concurrent streams per UTC hour of day: the maximum over the window's days. Each point
 * at time t covers the hour before t. Refuses a window where an hour has data on fewer than
 * minCoverage of the days.
 */
export function peaksByHourOfDay(
  points: readonly (readonly [number, number])[],
  window: { start: number; end: number },
  minCoverage: number,
): number[] {
  const days = (window.end - window.start) / 86_400;
  const peaks = new Array<number>(HOURS).fill(0);
  const seen = new Array<number>(HOURS).fill(0);
  for (const [t, v] of points) {
    if (t <= window.start || t > window.end) continue;
    const hour = Math.floor((t - 3600) / 3600) % HOURS;
    peaks[hour] = Math.max(peaks[hour], v);
    seen[hour]++;
  }
  const short = seen
    .map((n, hour) => ({ hour, n }))
    .filter(({ n }) => n < Math.ceil(days * minCoverage - 1e-9));
  if (short.length > 0) {
    const missing = days * HOURS - seen.reduce((a, b) => a + b, 0);
    const list = short.map((s) => `${String(s.hour).padStart(2, "0")} (${s.n}/${days} days)`);
    throw new DemandSyncError(
      `partial series: ${missing} of ${days * HOURS} hourly points missing; UTC hours with ` +
        `too little data: ${list.join(", ")}. Shorten --days to a window Prometheus covers, or ` +
        `accept gaps with --min-coverage (now ${minCoverage})`,
    );
  }
  return peaks.map((p) => Math.ceil(p - 1e-9));
}

export async function fetchPeakStreams(q: DemandQuery): Promise<number[]> {
  const w = windowOf(q);
  const query = sessionsQuery(q);
  const data = await api(q, "/api/v1/query_range", {
    query,
    start: String(w.start + 3600),
    end: String(w.end),
    step: "3600",
  });
  if (data.resultType !== "matrix") {
    throw new DemandSyncError(`${query}: expected a matrix, got ${data.resultType}`);
  }
  if (data.result.length === 0) {
    throw new DemandSyncError(
      `empty answer: no livepeer_current_sessions_total{${matchers(q)}} between ` +
        `${new Date(w.start * 1000).toISOString()} and ${new Date(w.end * 1000).toISOString()}; ` +
        `check --selector and that Prometheus scrapes the nodes' -monitor metrics`,
    );
  }
  if (data.result.length > 1) {
    throw new DemandSyncError(`${query}: expected one summed series, got ${data.result.length}`);
  }
  const points = (data.result[0].values ?? []).map(
    ([t, raw]) => [t, sampleValue(raw, t, "livepeer_current_sessions_total")] as const,
  );
  return peaksByHourOfDay(points, w, q.minCoverage);
}

export interface LadderShare {
  profiles: string;
  share: number;
  streamPixelsPerSecond?: number;
}

/**
 * The ladder to size for: of the ladders carrying at least LADDER_MIN_SHARE of the segments,
 * the heaviest in pixels (sizing for a lighter one would leave its streams short).
 */
export async function fetchLadder(
  q: DemandQuery,
  source: Rendition,
): Promise<{ ladder: Rendition[]; shares: LadderShare[] }> {
  const w = windowOf(q);
  const query = ladderQuery(q);
  const data = await api(q, "/api/v1/query", { query, time: String(w.end) });
  if (data.resultType !== "vector") {
    throw new DemandSyncError(`${query}: expected a vector, got ${data.resultType}`);
  }
  const counts = data.result.map((r) => ({
    profiles: r.metric.profiles ?? "",
    n: sampleValue(
      r.value?.[1] ?? "NaN",
      r.value?.[0] ?? w.end,
      "livepeer_segment_transcoded_total",
    ),
  }));
  const total = counts.reduce((s, c) => s + c.n, 0);
  if (total <= 0) {
    throw new DemandSyncError(
      `empty answer: no livepeer_segment_transcoded_total{${matchers(q)}} in the window, so ` +
        `the ladder is unknown; pass --keep-ladder to sync the stream counts only`,
    );
  }
  const shares: LadderShare[] = counts.map((c) => ({ profiles: c.profiles, share: c.n / total }));
  let best: { ladder: Rendition[]; px: number } | undefined;
  for (const s of shares.filter((x) => x.share >= LADDER_MIN_SHARE)) {
    let outputs: Rendition[];
    try {
      outputs = parseProfilesLabel(s.profiles, source);
    } catch (err) {
      throw new DemandSyncError(
        `ladder "${s.profiles}" (${Math.round(s.share * 100)}% of segments): ${(err as Error).message}; ` +
          `write that ladder into the stack file by hand and sync with --keep-ladder`,
      );
    }
    const ladder = [
      source,
      ...outputs.sort((a, b) => b.width * b.height * b.fps - a.width * a.height * a.fps),
    ];
    const px = streamPixelsPerSecond(ladder);
    s.streamPixelsPerSecond = px;
    if (!best || px > best.px) best = { ladder, px };
  }
  return { ladder: best!.ladder, shares: shares.sort((a, b) => b.share - a.share) };
}
