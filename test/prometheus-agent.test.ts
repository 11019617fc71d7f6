// The nodes' metrics agent with real Prometheus: the config render-prometheus.py writes from a
// node's env file runs in a real agent (Debian's prometheus, agent mode) that scrapes a stand-in
// go-livepeer /metrics, a real prometheus-node-exporter and the real gpu-metrics.py (over a
// stand-in nvidia-smi), and remote-writes to real receiving Prometheus servers
// (--web.enable-remote-write-receiver): one for the fleet's store, one for the community demand
// share. Then: the store has the series with the right labels, every query of the shipped
// dashboard returns data from it, and the community receiver got only the allowed series and
// labels. SigV4 cannot be tested without AWS: the AMP rendering is checked with promtool and by
// shape.
import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { requireTools } from "./helpers/tools";
import { freePort } from "./helpers/net";
import {
  allSeries,
  instantQuery,
  spawnPrometheus,
  startReceiver,
  type RunningPrometheus,
} from "./helpers/prometheus";
import {
  BAIT_CLIENT_IP,
  BAIT_MANIFEST_ID,
  CUSTOM_LADDER,
  JSON_LADDER,
  LivepeerMetricsStandIn,
  ORCH_NODE_ID,
  STANDARD_LADDER,
  TRANSCODER_NODE_ID,
} from "./helpers/livepeer-metrics";
import { fixtureDesign } from "./fixtures/region";
import { orchestratorEnv, transcoderEnv } from "../lib/runtime/values";
import { MetricsSchema } from "../lib/config/metrics-schema";
import { ROLE_METRIC_NAMESPACES, WATCHER_METRICS } from "../lib/runtime-contract";
import { NODE_DIR } from "../lib/node-bundle";
import type { Env } from "../lib/userdata";

const PY = "/usr/bin/python3";
const RENDER = path.join(NODE_DIR, "render-prometheus.py");
const GPU = path.join(NODE_DIR, "gpu-metrics.py");
const DASHBOARD = path.resolve(__dirname, "..", "docs", "dashboards", "livepeer-fleet.json");
const NVIDIA_XML = path.resolve(__dirname, "fixtures", "nvidia-smi-q-x.xml");
const ORCH_INSTANCE = "i-0a1b2c3d4e5f60718";
const TC_INSTANCE = "i-0f1e2d3c4b5a69788";
const WORKSPACE = "ws-1234abcd-56ef-78ab-90cd-1234567890ab";
const SHARE_URL = "https://demand.livepeer-operators.org/api/v1/write";

/** Orchestrator and transcoder env files as the fleet renders them, from a fixture design. */
function nodeEnvs(metrics: unknown): { orch: Env; tc: Env } {
  const d = fixtureDesign({}, { metrics: MetricsSchema.parse(metrics) });
  const bundle = { bucket: "b", key: "k", versionId: "v", sha256: "0".repeat(64) };
  return {
    orch: orchestratorEnv(d, d.orchestrators[0].az, {
      bundle,
      allocationId: "eipalloc-1",
      publicDns: "ec2-1-2-3-4.compute-1.amazonaws.com",
      zoneId: "Z1",
      orchSecretParameter: "/p",
    }),
    tc: transcoderEnv(d, { bundle, orchSecretParameter: "/p" }),
  };
}

function envMap(env: Env, over: Record<string, string> = {}): Record<string, string> {
  return { ...Object.fromEntries(env.map(([k, v]) => [k, String(v)])), ...over };
}

function render(env: Record<string, string>, instance: string, out: string) {
  return spawnSync(PY, [RENDER, "--instance", instance, "--out", out], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
  });
}

interface RemoteWrite {
  name: string;
  url: string;
  sigv4?: { region: string };
  metadata_config?: { send: boolean };
  write_relabel_configs: Record<string, unknown>[];
}
interface Rendered {
  global: { scrape_interval: string; external_labels: Record<string, string> };
  scrape_configs: {
    job_name: string;
    scrape_interval?: string;
    static_configs: { targets: string[]; labels: Record<string, string> }[];
  }[];
  remote_write: RemoteWrite[];
}

/** Polls `check` until it returns a value, for at most `seconds`; the last error explains. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, seconds = 90) {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${seconds} s (${String(last)})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function startNodeExporter(): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(
    "prometheus-node-exporter",
    [`--web.listen-address=127.0.0.1:${port}`, "--collector.disable-defaults", "--collector.cpu"],
    { stdio: "ignore" },
  );
  await eventually("node exporter up", async () =>
    (await fetch(`http://127.0.0.1:${port}/metrics`)).ok ? true : undefined,
  );
  return { port, proc };
}

async function startGpuExporter(dir: string): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const smi = path.join(dir, "nvidia-smi");
  fs.writeFileSync(smi, `#!/bin/sh\n[ "$1 $2" = "-q -x" ] || exit 2\ncat '${NVIDIA_XML}'\n`, {
    mode: 0o755,
  });
  const proc = spawn(PY, [GPU, "--port", String(port), "--nvidia-smi", smi], { stdio: "ignore" });
  await eventually("gpu exporter up", async () =>
    (await fetch(`http://127.0.0.1:${port}/metrics`)).ok ? true : undefined,
  );
  return { port, proc };
}

function stopProc(p?: ChildProcess): Promise<void> {
  if (!p || p.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => p.once("exit", () => r()));
  p.kill("SIGTERM");
  return exited;
}

describe("metrics agent config (render-prometheus.py)", function () {
  let dir: string;
  before(function () {
    requireTools(this, "promtool");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-promcfg-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("renders AMP with SigV4 in the home region, valid for an agent (promtool check config --agent)", function () {
    const { orch, tc } = nodeEnvs({ ampWorkspaceId: WORKSPACE });
    for (const [env, instance] of [
      [orch, ORCH_INSTANCE],
      [tc, TC_INSTANCE],
    ] as const) {
      const out = path.join(dir, `${instance}.yml`);
      const r = render(envMap(env), instance, out);
      expect(r.status, r.stderr).to.equal(0);
      const check = spawnSync("promtool", ["check", "config", "--agent", out], {
        encoding: "utf8",
      });
      expect(check.status, `${check.stdout}${check.stderr}`).to.equal(0);
      const c = parseYaml(fs.readFileSync(out, "utf8")) as Rendered;
      expect(c.remote_write).to.have.length(1);
      const fleet = c.remote_write[0];
      expect(fleet.url).to.equal(
        `https://aps-workspaces.us-east-1.amazonaws.com/workspaces/${WORKSPACE}/api/v1/remote_write`,
      );
      expect(fleet.sigv4).to.deep.equal({ region: "us-east-1" });
      expect(Object.keys(fleet)).to.not.include("headers");
      expect(c.global.scrape_interval).to.equal("30s");
      // Every target is on loopback.
      for (const j of c.scrape_configs)
        for (const s of j.static_configs)
          for (const t of s.targets) expect(t).to.match(/^127\.0\.0\.1:/);
    }
  });

  it("renders a configured store's URL without SigV4, and the community share on orchestrators only, every 5 minutes", function () {
    const { orch, tc } = nodeEnvs({
      store: "remoteWrite",
      remoteWriteUrl: "https://prometheus.ops.example.net/api/v1/write",
      communityDemand: { enabled: true, remoteWriteUrl: SHARE_URL },
    });
    const o = path.join(dir, "share-orch.yml");
    expect(render(envMap(orch), ORCH_INSTANCE, o).status).to.equal(0);
    const c = parseYaml(fs.readFileSync(o, "utf8")) as Rendered;
    expect(c.remote_write.map((w) => w.name)).to.deep.equal(["fleet", "community"]);
    expect(c.remote_write[0].sigv4).to.equal(undefined);
    const share = c.remote_write[1];
    expect(share.url).to.equal(SHARE_URL);
    expect(share.metadata_config).to.deep.equal({ send: false });
    expect(share.write_relabel_configs.at(-1)).to.deep.equal({
      regex: "__name__|region|shard|profiles",
      action: "labelkeep",
    });
    const job = c.scrape_configs.find((j) => j.job_name === "demand-share")!;
    expect(job.scrape_interval).to.equal("300s");
    expect(job.static_configs[0].labels).to.deep.equal({ shard: "a" });
    expect(spawnSync("promtool", ["check", "config", "--agent", o]).status).to.equal(0);

    const t = path.join(dir, "share-tc.yml");
    expect(render(envMap(tc), TC_INSTANCE, t).status).to.equal(0);
    const ct = parseYaml(fs.readFileSync(t, "utf8")) as Rendered;
    expect(ct.remote_write.map((w) => w.name)).to.deep.equal(["fleet"]);
    expect(ct.scrape_configs.map((j) => j.job_name)).to.not.include("demand-share");
  });

  it("refuses values it cannot render safely, naming them", function () {
    const { orch } = nodeEnvs({ ampWorkspaceId: WORKSPACE });
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ LF_PROM_REMOTE_WRITE_URL: "" }, ORCH_INSTANCE, /no metrics store/],
      [
        { LF_PROM_REMOTE_WRITE_URL: "https://x/'; rm -rf /" },
        ORCH_INSTANCE,
        /LF_PROM_REMOTE_WRITE_URL/,
      ],
      [{ LF_REGION: "us-east-1\nfoo" }, ORCH_INSTANCE, /LF_REGION/],
      [{ LF_KIND: "chain" }, ORCH_INSTANCE, /LF_KIND/],
      [{}, "i-1;x", /instance id/],
    ];
    for (const [over, instance, why] of cases) {
      const r = render(envMap(orch, over), instance, path.join(dir, "bad.yml"));
      expect(r.status, JSON.stringify(over)).to.equal(1);
      expect(r.stderr).to.match(why);
    }
  });

  it("picks agent mode from 2.32 (feature flag) and 3.x (--agent), a loopback server before (Ubuntu 22.04's 2.31)", function () {
    const mode = (line: string) =>
      spawnSync("bash", [path.join(NODE_DIR, "metrics-setup.sh"), "--mode-args", line], {
        encoding: "utf8",
      });
    const s = "/var/lib/livepeer-prometheus";
    expect(mode("prometheus, version 2.45.3+ds (branch: debian/sid)").stdout.trim()).to.equal(
      `--enable-feature=agent --storage.agent.path=${s}`,
    );
    expect(mode(`prometheus, version ${prometheusVersion()} (x)`).stdout.trim()).to.match(
      /^--enable-feature=agent /,
    );
    expect(mode("prometheus, version 3.5.0 (branch: HEAD)").stdout.trim()).to.equal(
      `--agent --storage.agent.path=${s}`,
    );
    expect(mode("prometheus, version 2.31.2+ds1 (branch: debian/sid)").stdout.trim()).to.equal(
      `--storage.tsdb.path=${s} --storage.tsdb.retention.time=2h`,
    );
    expect(mode("not a version").status).to.equal(1);
  });
});

function prometheusVersion(): string {
  const v = spawnSync("prometheus", ["--version"], { encoding: "utf8" });
  return /version (\d+\.\d+\.\d+)/.exec(`${v.stdout}${v.stderr}`)?.[1] ?? "0.0.0";
}

describe("metrics agent with real Prometheus: agents -> receivers (stand-in go-livepeer)", function () {
  this.timeout(240_000);
  let dir: string;
  let fleet: RunningPrometheus;
  let community: RunningPrometheus;
  const agents: RunningPrometheus[] = [];
  const procs: ChildProcess[] = [];
  const orch = new LivepeerMetricsStandIn("orchestrator");
  const tc = new LivepeerMetricsStandIn("transcoder");

  async function startAgent(env: Record<string, string>, instance: string, port: number) {
    const d = fs.mkdtempSync(path.join(dir, "agent-"));
    const cfg = path.join(d, "prometheus.yml");
    const r = render(env, instance, cfg);
    if (r.status !== 0) throw new Error(r.stderr);
    const args = spawnSync("bash", [
      path.join(NODE_DIR, "metrics-setup.sh"),
      "--mode-args",
      `prometheus, version ${prometheusVersion()} (test)`,
    ]).stdout.toString();
    expect(args).to.match(/--enable-feature=agent/);
    agents.push(
      await spawnPrometheus(
        [`--config.file=${cfg}`, "--enable-feature=agent", `--storage.agent.path=${d}/wal`],
        d,
        port,
      ),
    );
  }

  before(async function () {
    requireTools(this, "prometheus", "promtool", "prometheus-node-exporter");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-agent-"));
    fleet = await startReceiver();
    community = await startReceiver();
    await orch.start();
    await tc.start();
    const node = await startNodeExporter();
    const gpu = await startGpuExporter(dir);
    procs.push(node.proc, gpu.proc);

    // The env files as the fleet renders them (a configured store, the share on), pointed at
    // the local receivers and servers, scraping every second (the share every 2 s, not 300 s,
    // so the test need not wait 10 minutes for two samples).
    const { orch: oEnv, tc: tEnv } = nodeEnvs({
      store: "remoteWrite",
      remoteWriteUrl: "https://prometheus.ops.example.net/api/v1/write",
      communityDemand: { enabled: true, remoteWriteUrl: SHARE_URL },
    });
    const local = async (
      env: Env,
      target: LivepeerMetricsStandIn,
      extra: Record<string, string>,
    ) => {
      const port = await freePort();
      return {
        port,
        env: envMap(env, {
          LF_PROM_REMOTE_WRITE_URL: `${fleet.url}/api/v1/write`,
          LF_PROM_SCRAPE_INTERVAL: "1s",
          LF_PROM_PORT: String(port),
          LF_CLI_PORT: String(target.port),
          LF_NODE_EXPORTER_PORT: String(node.port),
          ...extra,
        }),
      };
    };
    const o = await local(oEnv, orch, {
      LF_PROM_SHARE_URL: `${community.url}/api/v1/write`,
      LF_PROM_SHARE_INTERVAL: "2s",
    });
    const t = await local(tEnv, tc, { LF_GPU_EXPORTER_PORT: String(gpu.port) });
    expect(o.env.LF_PROM_SHARE_URL).to.not.equal("");
    expect(t.env.LF_PROM_SHARE_URL).to.equal("");
    await startAgent(o.env, ORCH_INSTANCE, o.port);
    await startAgent(t.env, TC_INSTANCE, t.port);
  });

  after(async function () {
    for (const a of agents) await a.stop();
    for (const p of procs) await stopProc(p);
    await orch.stop();
    await tc.stop();
    await fleet?.stop();
    await community?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the store gets go-livepeer's series labelled with region, stack, role and the node's instance", async function () {
    const [s] = await eventually("orchestrator sessions in the store", async () => {
      const r = await instantQuery(fleet.url, "livepeer_current_sessions_total");
      return r.length ? r : undefined;
    });
    expect(s.metric).to.include({
      region: "us-east-1",
      stack: "test-us-east-1",
      role: "orchestrator",
      instance: ORCH_INSTANCE,
      slot: "a",
      job: "livepeer",
      node_id: ORCH_NODE_ID,
    });
    const t = await eventually("transcoder segments in the store", async () => {
      const r = await instantQuery(
        fleet.url,
        'livepeer_segment_transcoded_total{role="transcoder"}',
      );
      return r.length ? r : undefined;
    });
    expect(t[0].metric).to.include({ instance: TC_INSTANCE, node_id: TRANSCODER_NODE_ID });
    const gpu = await eventually("GPU readings", async () => {
      const r = await instantQuery(fleet.url, "lpfleet_gpu_encoder_utilization_percent");
      return r.length ? r : undefined;
    });
    expect(gpu.map((g) => [g.metric.role, g.metric.gpu, g.value[1]])).to.deep.equal([
      ["transcoder", "0", "64"],
    ]);
    const host = await eventually("host CPU", async () => {
      const r = await instantQuery(
        fleet.url,
        'count by (role) (node_cpu_seconds_total{mode="idle"})',
      );
      return r.length === 2 ? r : undefined;
    });
    expect(host.map((h) => h.metric.role).sort()).to.deep.equal(["orchestrator", "transcoder"]);
  });

  it("the store gets only what the fleet keeps: no Go runtime noise, nothing of the demand share's job", async function () {
    await eventually("agent self-metrics in the store", async () => {
      const r = await instantQuery(fleet.url, "prometheus_remote_storage_samples_failed_total");
      return r.length ? r : undefined;
    });
    const names = new Set((await allSeries(fleet.url)).map((s) => s.__name__));
    expect(names).to.include("livepeer_transcode_time_seconds_bucket");
    expect(names).to.not.include("go_goroutines");
    expect(names).to.not.include("node_scrape_collector_duration_seconds");
    expect(await instantQuery(fleet.url, '{job="demand-share"}')).to.deep.equal([]);
  });

  it("every Prometheus query of the shipped Grafana dashboard returns data from the store", async function () {
    const dash = JSON.parse(fs.readFileSync(DASHBOARD, "utf8")) as {
      panels: {
        type: string;
        title: string;
        datasource?: { type: string };
        targets?: { expr?: string }[];
      }[];
    };
    const queries = dash.panels
      .filter((p) => p.type !== "row" && p.datasource?.type === "prometheus")
      .flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr! })));
    expect(queries.length).to.be.greaterThan(15);
    for (const q of queries) {
      const expr = q.expr.replaceAll('"$region"', '".*"').replaceAll("$__rate_interval", "30s");
      expect(expr, q.title).to.not.include("$");
      const r = await eventually(`${q.title}: ${q.expr}`, async () => {
        const v = await instantQuery(fleet.url, expr);
        return v.length && v.every((s) => Number.isFinite(Number(s.value[1]))) ? v : undefined;
      });
      expect(r.length, q.title).to.be.greaterThan(0);
    }
  });

  it("the dashboard's CloudWatch panels read the reward watcher's own metrics", function () {
    const dash = JSON.parse(fs.readFileSync(DASHBOARD, "utf8")) as {
      panels: {
        title: string;
        datasource?: { type: string };
        targets?: Record<string, unknown>[];
      }[];
    };
    const cw = dash.panels.filter((p) => p.datasource?.type === "cloudwatch");
    expect(cw.map((p) => p.title)).to.have.length(3);
    const watcher = new Set<string>(Object.values(WATCHER_METRICS));
    for (const p of cw) {
      for (const t of p.targets ?? []) {
        expect(t.namespace, p.title).to.equal(ROLE_METRIC_NAMESPACES["reward-watcher"]);
        expect(watcher.has(String(t.metricName)), `${p.title}: ${String(t.metricName)}`).to.equal(
          true,
        );
      }
    }
  });

  it("the community receiver gets only the allowed series, with region, shard and a standard ladder as the only labels", async function () {
    const allowed = new Set([
      "livepeer_source_segment_duration_seconds_sum",
      "livepeer_source_segment_duration_seconds_count",
      "livepeer_mil_pixels_processed",
      "livepeer_segment_transcoded_total",
    ]);
    for (const name of allowed) {
      await eventually(`two samples of ${name}`, async () => {
        const r = await instantQuery(community.url, `count_over_time(${name}[1m]) >= 2`);
        return r.length ? r : undefined;
      });
    }
    const series = await allSeries(community.url);
    expect(new Set(series.map((s) => s.__name__))).to.deep.equal(allowed);
    for (const s of series) {
      expect(
        Object.keys(s).every((k) => ["__name__", "region", "shard", "profiles"].includes(k)),
        JSON.stringify(s),
      ).to.equal(true);
      expect(s).to.include({ region: "us-east-1", shard: "a" });
    }
    const ladders = series
      .filter((s) => s.profiles)
      .map((s) => s.profiles)
      .sort();
    expect(ladders).to.deep.equal([JSON_LADDER, STANDARD_LADDER].sort());
    // One series per name and ladder: the per-stream bait was dropped whole, not merged.
    expect(series).to.have.length(5);
    // Control: the stand-in did serve the bait; the fleet's store (no such rules) has it.
    expect(
      await instantQuery(fleet.url, `livepeer_mil_pixels_processed{client_ip="${BAIT_CLIENT_IP}"}`),
    ).to.have.length(1);
    expect(
      await instantQuery(
        fleet.url,
        `livepeer_segment_transcoded_total{profiles="${CUSTOM_LADDER}"}`,
      ),
    ).to.have.length(1);
    const text = JSON.stringify(series);
    for (const secret of [
      ORCH_NODE_ID,
      TRANSCODER_NODE_ID,
      ORCH_INSTANCE,
      TC_INSTANCE,
      BAIT_CLIENT_IP,
      BAIT_MANIFEST_ID,
      CUSTOM_LADDER,
      "test-us-east-1",
      "127.0.0.1",
    ]) {
      expect(text).to.not.include(secret);
    }
    // The pixels are the plain series' own: the bait's (per-stream) value never added to them.
    const [pix] = await instantQuery(community.url, "livepeer_mil_pixels_processed");
    const scrapes = Number(pix.value[1]) / 55.3;
    expect(scrapes - Math.round(scrapes)).to.be.closeTo(0, 1e-6);
  });

  it("the documented community queries return data: average streams, pixels/s and segments per ladder per region", async function () {
    const queries = [
      "sum by (region) (rate(livepeer_source_segment_duration_seconds_sum[1m]))",
      "sum by (region) (rate(livepeer_mil_pixels_processed[1m])) * 1e6",
      "sum by (region, profiles) (rate(livepeer_segment_transcoded_total[1m]))",
    ];
    const doc = fs.readFileSync(path.resolve(__dirname, "..", "docs", "monitoring.md"), "utf8");
    for (const q of queries) {
      expect(doc, q).to.include(q.replace("[1m]", "[10m]"));
      const r = await instantQuery(community.url, q);
      expect(r.length, q).to.be.greaterThan(0);
      for (const s of r)
        expect(Object.keys(s.metric).every((k) => ["region", "profiles"].includes(k))).to.equal(
          true,
        );
    }
  });
});

describe("gpu-metrics.py (stand-in nvidia-smi)", function () {
  let dir: string;
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-gpu-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function scrapeWith(smiScript: string): Promise<string> {
    const smi = path.join(dir, `smi-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(smi, smiScript, { mode: 0o755 });
    const port = await freePort();
    const proc = spawn(PY, [GPU, "--port", String(port), "--nvidia-smi", smi], { stdio: "ignore" });
    try {
      return await eventually("gpu exporter answers", async () => {
        const r = await fetch(`http://127.0.0.1:${port}/metrics`);
        return r.ok ? r.text() : undefined;
      });
    } finally {
      await stopProc(proc);
    }
  }

  it("reads each GPU from `nvidia-smi -q -x`, in recent and older drivers' layouts, leaving out what a GPU does not report", async function () {
    const text = await scrapeWith(`#!/bin/sh\ncat '${NVIDIA_XML}'\n`);
    const lines = text.split("\n");
    expect(lines).to.include("lpfleet_gpu_up 1");
    expect(lines).to.include(
      'lpfleet_gpu_encoder_utilization_percent{gpu="0",name="Tesla T4"} 64.0',
    );
    expect(text).to.not.include('lpfleet_gpu_encoder_utilization_percent{gpu="1"');
    expect(lines).to.include('lpfleet_gpu_power_draw_watts{gpu="0",name="Tesla T4"} 43.87');
    expect(lines).to.include('lpfleet_gpu_power_draw_watts{gpu="1",name="Tesla T4"} 9.62');
    expect(lines).to.include(
      'lpfleet_gpu_memory_total_bytes{gpu="1",name="Tesla T4"} 16106127360.0',
    );
    expect(lines).to.include('lpfleet_gpu_encoder_sessions{gpu="0",name="Tesla T4"} 14.0');
  });

  it("answers lpfleet_gpu_up 0 when nvidia-smi fails (a GPU gone from the instance)", async function () {
    const text = await scrapeWith("#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n");
    expect(text.split("\n")).to.include("lpfleet_gpu_up 0");
    expect(text).to.not.include("lpfleet_gpu_utilization_percent");
  });
});
