// A real Prometheus for tests: a generated go-livepeer metric history turned into TSDB blocks with
// `promtool tsdb create-blocks-from openmetrics`, served by `prometheus` on a free loopback port
// from a temporary data directory. stop() kills it and removes the directory.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./net";

export { freePort };

export interface History {
  /** First and last sample time (seconds, whole hours). */
  start: number;
  end: number;
  /** Fleet-wide peak per UTC hour of day the history reaches. */
  peaks: number[];
  /** profiles label -> segments per 5 minutes. */
  ladders: Record<string, number>;
  nodes: number;
  /** Extra labels on every series, e.g. { region: "us-east-1" } as a federating Prometheus adds. */
  labels?: Record<string, string>;
}

/**
 * OpenMetrics text for `history`: per-node livepeer_current_sessions_total every minute whose
 * fleet total reaches the hour's peak for one minute on one day only (a different day for
 * different hours) and sits below it otherwise, so only a maximum over the days finds it; and
 * livepeer_segment_transcoded_total counters per ladder.
 */
export function openMetrics(h: History): string {
  const extra = Object.entries(h.labels ?? {})
    .map(([k, v]) => `,${k}="${v}"`)
    .join("");
  const out: string[] = ["# TYPE livepeer_current_sessions_total gauge"];
  const series: string[][] = Array.from({ length: h.nodes }, () => []);
  for (let t = h.start; t <= h.end; t += 60) {
    const hour = Math.floor(t / 3600) % 24;
    const days = Math.round((h.end - h.start) / 86_400);
    const day = Math.floor((t - h.start) / 86_400);
    const minute = Math.floor(t / 60) % 60;
    const peak = h.peaks[hour];
    const atPeak = day === hour % days && minute === 17;
    const total = atPeak ? peak : Math.max(0, peak - 1 - (minute % 3));
    for (let n = 0; n < h.nodes; n++) {
      const share = Math.floor(total / h.nodes) + (n < total % h.nodes ? 1 : 0);
      series[n].push(
        `livepeer_current_sessions_total{node_id="node-${n}",node_type="orch"${extra}} ${share} ${t}`,
      );
    }
  }
  for (const s of series) out.push(...s);
  out.push("# TYPE livepeer_segment_transcoded counter");
  for (const [profiles, perStep] of Object.entries(h.ladders)) {
    let count = 0;
    for (let t = h.start; t <= h.end; t += 300) {
      out.push(
        `livepeer_segment_transcoded_total{node_id="node-0",node_type="orch",profiles="${profiles}",trusted="trusted",verified="verified"${extra}} ${count} ${t}`,
      );
      count += perStep;
    }
  }
  out.push("# EOF");
  return out.join("\n") + "\n";
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

async function waitReady(url: string, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited ${proc.exitCode}:\n${log()}`);
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`prometheus not ready after 60 s:\n${log()}`);
}

export async function startPrometheus(history: History): Promise<RunningPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-prom-"));
  const data = path.join(dir, "data");
  const input = path.join(dir, "history.om");
  fs.writeFileSync(input, openMetrics(history));
  const made = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", input, data], {
    encoding: "utf8",
  });
  if (made.status !== 0) throw new Error(`promtool failed:\n${made.stderr}${made.stdout}`);
  const config = path.join(dir, "prometheus.yml");
  fs.writeFileSync(config, "global:\n  scrape_interval: 1m\nscrape_configs: []\n");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = "";
  const proc = spawn(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${data}`,
      // The generated history lies in the past: keep it however old it is.
      "--storage.tsdb.retention.time=100y",
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  proc.stdout.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, proc, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

/**
 * Any Prometheus with `flags` (config, storage, mode) on a free loopback port, or on `port` when
 * the caller had to know it first (a config that scrapes the process itself). `dir` is removed on
 * stop.
 */
export async function spawnPrometheus(
  flags: string[],
  dir: string,
  port?: number,
): Promise<RunningPrometheus> {
  const p = port ?? (await freePort());
  const url = `http://127.0.0.1:${p}`;
  let log = "";
  const proc = spawn("prometheus", [...flags, `--web.listen-address=127.0.0.1:${p}`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (log += d.toString()));
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, proc, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

/** A Prometheus that accepts remote writes (what AMP or a community receiver stands in for). */
export async function startReceiver(): Promise<RunningPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-recv-"));
  const config = path.join(dir, "prometheus.yml");
  fs.writeFileSync(config, "global:\n  scrape_interval: 1m\nscrape_configs: []\n");
  return spawnPrometheus(
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      "--web.enable-remote-write-receiver",
    ],
    dir,
  );
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query's vector through the HTTP API; throws on anything but success. */
export async function instantQuery(url: string, expr: string): Promise<Sample[]> {
  const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await r.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Sample[] };
  };
  if (body.status !== "success" || !body.data)
    throw new Error(`${expr}: ${body.error ?? r.status}`);
  if (body.data.resultType !== "vector") throw new Error(`${expr}: ${body.data.resultType}`);
  return body.data.result;
}

/** Every series the receiver holds (/api/v1/series), as label sets. */
export async function allSeries(url: string): Promise<Record<string, string>[]> {
  const r = await fetch(`${url}/api/v1/series?match[]=${encodeURIComponent('{__name__=~".+"}')}`);
  const body = (await r.json()) as { status: string; data: Record<string, string>[] };
  if (body.status !== "success") throw new Error(`series: ${JSON.stringify(body)}`);
  return body.data;
}
