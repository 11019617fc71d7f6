// Reads a region's demand from Prometheus' HTTP API (/api/v1/query_range, /api/v1/query) and
// refuses any answer it cannot trust: an HTTP error, a status other than "success", an empty or
// partial series, a NaN, infinite or negative value. Metric names and labels are go-livepeer's
// (monitor/census.go): livepeer_current_sessions_total is a per-node gauge of streams being
// transcoded (labels node_id, node_type; "orch" for an orchestrator, also with -transcoder);
// livepeer_segment_transcoded_total counts segments per `profiles` ladder.
//
// Every query is scoped by a required region selector (label matchers naming the stack's
// region) and authenticated: a bearer token, or SigV4 for Amazon Managed Service for Prometheus
// (service "aps"), signed by the AWS SDK's own signer (@smithy/signature-v4). Credentials go in
// request headers only and never into an error message.
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { Rendition } from "../sizing/planner";
import { HOURS, streamPixelsPerSecond } from "../sizing/planner";
import { parseProfilesLabel } from "./profiles";

export class DemandSyncError extends Error {
  override name = "DemandSyncError";
}

/** How demand:sync proves who it is to Prometheus. */
export type PrometheusAuth =
  | { kind: "bearer"; token: string }
  | {
      kind: "sigv4";
      /** The workspace's region (signed into the request). */
      region: string;
      credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
    };

export interface DemandQuery {
  /** Prometheus base URL, e.g. https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-1 */
  url: string;
  days: number;
  /** End of the window; aligned down to a whole UTC hour. */
  end: Date;
  /** Label matchers that select the stack's region only, e.g. region="eu-west-1". */
  regionSelector: string;
  /** Extra label matchers for both metrics, e.g. job="livepeer". */
  selector?: string;
  auth: PrometheusAuth;
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

/**
 * The region selector: label matchers that name the stack's region, so a Prometheus that
 * scrapes several regions never sizes one from another's demand.
 */
export function checkRegionSelector(selector: string | undefined, region: string): string {
  if (selector === undefined || !MATCHERS.test(selector) || !selector.includes(region)) {
    throw new DemandSyncError(
      `--region-selector ${selector === undefined ? "is required" : JSON.stringify(selector)}: ` +
        `expected label matchers that select ${region} only, e.g. region="${region}"`,
    );
  }
  return selector;
}

function matchers(q: DemandQuery): string {
  return `node_type="orch",${q.regionSelector}${q.selector ? `,${q.selector}` : ""}`;
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

/** RFC 3986 query encoding, as SigV4 canonicalises it (URLSearchParams writes "+" for " "). */
function encode(v: string): string {
  return encodeURIComponent(v).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The request headers that authenticate a GET of `url`. */
export async function authHeaders(auth: PrometheusAuth, url: URL): Promise<Record<string, string>> {
  if (auth.kind === "bearer") return { authorization: `Bearer ${auth.token}` };
  const signer = new SignatureV4({
    service: "aps",
    region: auth.region,
    credentials: auth.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: "GET",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host },
  });
  // fetch sets Host itself (to the same url.host the signature covers).
  const { host: _host, ...headers } = signed.headers;
  void _host;
  return headers;
}

/** A message with every credential in it replaced: errors may quote what a server sent back. */
function redact(message: string, auth: PrometheusAuth): string {
  const secret = auth.kind === "bearer" ? auth.token : undefined;
  return secret ? message.split(secret).join("[redacted]") : message;
}

async function api(
  q: DemandQuery,
  path: string,
  params: Record<string, string>,
): Promise<ApiAnswer> {
  try {
    return await apiCall(q, path, params);
  } catch (err) {
    if (err instanceof DemandSyncError) throw new DemandSyncError(redact(err.message, q.auth));
    throw new DemandSyncError(redact((err as Error).message, q.auth));
  }
}

async function apiCall(
  q: DemandQuery,
  path: string,
  params: Record<string, string>,
): Promise<ApiAnswer> {
  const query = Object.entries(params)
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .join("&");
  const url = new URL(`${q.url.replace(/\/+$/, "")}${path}?${query}`);
  const what = `Prometheus ${path} (${params.query})`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: await authHeaders(q.auth, url),
      signal: AbortSignal.timeout(q.timeoutMs ?? 30_000),
    });
  } catch (err) {
    throw new DemandSyncError(`${what}: cannot reach ${q.url}: ${(err as Error).message}`);
  }
  if (res.status === 401 || res.status === 403) {
    throw new DemandSyncError(
      `${what}: HTTP ${res.status}: Prometheus refused the ${q.auth.kind === "bearer" ? "bearer token" : "SigV4 signature (check the AWS credentials, their aps:QueryMetrics permission and the region)"}`,
    );
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

/** The median over the window's days of each UTC hour's value (points as peaksByHourOfDay). */
export function typicalByHourOfDay(
  points: readonly (readonly [number, number])[],
  window: { start: number; end: number },
): number[] {
  const byHour: number[][] = Array.from({ length: HOURS }, () => []);
  for (const [t, v] of points) {
    if (t <= window.start || t > window.end) continue;
    byHour[Math.floor((t - 3600) / 3600) % HOURS].push(v);
  }
  return byHour.map((vs) => {
    if (vs.length === 0) return 0;
    const s = [...vs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return Math.ceil((s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2) - 1e-9);
  });
}

export async function fetchPeakStreams(
  q: DemandQuery,
): Promise<{ peakStreams: number[]; typicalStreams: number[] }> {
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
  return {
    peakStreams: peaksByHourOfDay(points, w, q.minCoverage),
    typicalStreams: typicalByHourOfDay(points, w),
  };
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
