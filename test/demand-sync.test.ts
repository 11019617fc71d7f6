import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import {
  ListMetricsCommand,
  type GetMetricDataCommandOutput,
  type ListMetricsCommandOutput,
} from "@aws-sdk/client-cloudwatch";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import { parse } from "yaml";
import { demandSync, type SyncDeps } from "../scripts/demand-sync";
import type { CloudWatchLike } from "../lib/demand/cloudwatch";
import { DEMAND_METRICS, DEMAND_NAMESPACE } from "../lib/demand/metrics";
import { PROJECT_DIR } from "./helpers/program";
import { requireTools } from "./helpers/tools";
import { listen } from "./helpers/net";
import { RunningPrometheus, startPrometheus } from "./helpers/prometheus";
import { TEST_CREDS } from "./helpers/sigv4";

const STACK = "prod-us-east-1";
const FILE = `Pulumi.${STACK}.yaml`;
const DAYS = 3;
// A fixed window in the past, whole UTC hours: the answer does not depend on when tests run.
const END = Date.UTC(2026, 9, 12, 0, 0, 0) / 1000;
const START = END - DAYS * 86_400;
const PEAKS = [
  44, 50, 52, 47, 38, 30, 21, 15, 11, 9, 10, 12, 16, 20, 24, 27, 30, 32, 35, 37, 39, 40, 41, 42,
];
const HD = "240p0,360p0,480p0,720p0";
const LOW = "P144p30fps16x9,P240p30fps16x9";
const REGION = 'region="us-east-1"';
/** A test-only bearer token, passed through the environment the way an operator would. */
const TOKEN_ENV = "LF_TEST_PROMETHEUS_TOKEN";
const TOKEN = "lf-test-only-bearer-0123456789abcdef";

const copies: string[] = [];
after(() => copies.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A copy of the project's stack files in a temp dir: the test edits the copy, never the repo. */
function projectCopy(edit?: (text: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-sync-"));
  copies.push(dir);
  for (const f of ["Pulumi.yaml", "Pulumi.prod.yaml", FILE]) {
    fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
  }
  if (edit)
    fs.writeFileSync(path.join(dir, FILE), edit(fs.readFileSync(path.join(dir, FILE), "utf8")));
  return dir;
}

interface Run {
  code: number;
  out: string;
  err: string;
}

const WINDOW = ["--days", String(DAYS), "--end", new Date(END * 1000).toISOString()];

/** The script as a user runs it, against Prometheus at `url`, with the bearer token in env. */
function sync(
  dir: string,
  url: string,
  extra: string[] = [],
  env: Record<string, string> = { [TOKEN_ENV]: TOKEN },
  auth: string[] = ["--bearer-token-env", TOKEN_ENV],
): Promise<Run> {
  const args = [
    "--import",
    "tsx",
    path.join(PROJECT_DIR, "scripts", "demand-sync.ts"),
    "--stack",
    STACK,
    "--prometheus",
    url,
    "--region-selector",
    REGION,
    ...auth,
    ...WINDOW,
    "--project-dir",
    dir,
    ...extra,
  ];
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, {
      cwd: PROJECT_DIR,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: "true", ...env },
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("close", (code) => resolve({ code: code ?? 1, out, err }));
  });
}

const demandOf = (dir: string) =>
  (
    parse(fs.readFileSync(path.join(dir, FILE), "utf8")) as {
      config: Record<string, { peakStreams: number[]; ladder: { name: string }[] }>;
    }
  ).config["livepeer-fleet:demand"];

/** Re-signs a request with the AWS SDK's signer at its own x-amz-date; true when it matches. */
async function sigV4Valid(req: http.IncomingMessage): Promise<boolean> {
  const date = String(req.headers["x-amz-date"]).replace(
    /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/,
    "$1-$2-$3T$4:$5:$6Z",
  );
  const when = new Date(date);
  if (Number.isNaN(when.getTime())) return false;
  const u = new URL(req.url ?? "/", "http://127.0.0.1");
  const signer = new SignatureV4({
    service: "aps",
    region: "us-east-1",
    credentials: TEST_CREDS,
    sha256: Sha256,
  });
  const expected = await signer.sign(
    {
      method: "GET",
      protocol: "http:",
      hostname: "127.0.0.1",
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: { host: String(req.headers.host) },
    },
    { signingDate: when },
  );
  return expected.headers.authorization === req.headers.authorization;
}

/**
 * A reverse proxy in front of the real Prometheus that lets a request through only with the
 * right credentials, as a hosted Prometheus does (401 for a wrong bearer token, 403 for a bad
 * signature). It records what it saw.
 */
async function authProxy(
  target: string,
  mode: "bearer" | "sigv4",
): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const { server, port } = await listen((req, res) => {
    void (async () => {
      const ok =
        mode === "bearer" ? req.headers.authorization === `Bearer ${TOKEN}` : await sigV4Valid(req);
      seen.push(`${ok ? "ok" : "refused"} ${req.url}`);
      if (!ok) {
        res.writeHead(mode === "bearer" ? 401 : 403, { "content-type": "text/plain" });
        res.end(`unauthorized: ${String(req.headers.authorization)}`);
        return;
      }
      const r = await fetch(`${target}${req.url}`);
      res.writeHead(r.status, { "content-type": "application/json" });
      res.end(await r.text());
    })();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe("demand:sync against a real Prometheus behind authentication", function () {
  let prom: RunningPrometheus | undefined;
  before(async function () {
    requireTools(this, "prometheus", "promtool");
    prom = await startPrometheus({
      start: START,
      end: END,
      peaks: PEAKS,
      nodes: 3,
      ladders: { [HD]: 40, [LOW]: 8 },
      labels: { region: "us-east-1" },
    });
  });
  after(async () => prom?.stop());

  it("writes the generated profile and the heaviest common ladder, nothing else (bearer token)", async () => {
    const proxy = await authProxy(prom!.url, "bearer");
    // Start from a different ladder so the sync has to rewrite it.
    const dir = projectCopy((t) => t.replace(/ {6}- \{ name: "(720|480|360)p0".*\n/g, ""));
    const before = fs.readFileSync(path.join(dir, FILE), "utf8");
    const r = await sync(dir, proxy.url, ["--write"]);
    await proxy.close();
    expect(r.code, r.err).to.equal(0);
    expect(proxy.seen.length).to.be.greaterThan(0);
    expect(proxy.seen.every((s) => s.startsWith("ok "))).to.equal(true);
    // Every query carries the region selector.
    expect(proxy.seen.every((s) => decodeURIComponent(s).includes(REGION))).to.equal(true);
    const demand = demandOf(dir);
    expect(demand.peakStreams).to.deep.equal(PEAKS);
    expect(demand.ladder.map((l) => l.name)).to.deep.equal([
      "source",
      "720p0",
      "480p0",
      "360p0",
      "240p0",
    ]);
    const after = fs.readFileSync(path.join(dir, FILE), "utf8");
    // Every line outside the demand values (comments included) is byte-identical.
    const keep = (t: string) =>
      t.split("\n").filter((l) => !/^ {4}peakStreams: |^ {6}- \{ name: /.test(l));
    expect(keep(after)).to.deep.equal(keep(before));
    expect(r.out).to.match(/ladder 83% of segments: 240p0,360p0,480p0,720p0/);
    expect(r.out).to.include("typical peak per hour");
  });

  it("signs every request with SigV4 for Amazon Managed Service for Prometheus", async () => {
    const proxy = await authProxy(prom!.url, "sigv4");
    const dir = projectCopy();
    const creds = {
      AWS_ACCESS_KEY_ID: TEST_CREDS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDS.secretAccessKey,
      AWS_SESSION_TOKEN: TEST_CREDS.sessionToken,
    };
    const r = await sync(dir, proxy.url, [], creds, ["--sigv4", "--sigv4-region", "us-east-1"]);
    expect(r.code, r.err).to.equal(0);
    expect(proxy.seen.every((s) => s.startsWith("ok "))).to.equal(true);
    // Wrong credentials: the workspace refuses, the message says so and echoes no secret.
    const wrong = { ...creds, AWS_SECRET_ACCESS_KEY: "not-the-secret-key" };
    const bad = await sync(dir, proxy.url, [], wrong, ["--sigv4", "--sigv4-region", "us-east-1"]);
    await proxy.close();
    expect(bad.code).to.equal(2);
    expect(bad.err).to.include("HTTP 403").and.include("SigV4");
    expect(bad.out + bad.err).to.not.include("not-the-secret-key");
    expect(bad.out + bad.err).to.not.include(TEST_CREDS.sessionToken);
  });

  it("refuses a wrong bearer token without echoing it", async () => {
    const proxy = await authProxy(prom!.url, "bearer");
    const dir = projectCopy();
    const before = fs.readFileSync(path.join(dir, FILE));
    const r = await sync(dir, proxy.url, ["--write"], { [TOKEN_ENV]: "lf-test-wrong-token-42" });
    await proxy.close();
    expect(r.code).to.equal(2);
    expect(r.err).to.include("HTTP 401").and.include("bearer token");
    expect(r.out + r.err).to.not.include("lf-test-wrong-token-42");
    expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
  });

  it("shows the change without --write and leaves the file alone", async () => {
    const proxy = await authProxy(prom!.url, "bearer");
    const dir = projectCopy();
    const before = fs.readFileSync(path.join(dir, FILE));
    const r = await sync(dir, proxy.url);
    await proxy.close();
    expect(r.code, r.err).to.equal(0);
    expect(r.out)
      .to.match(/^\* 01:00 +80 -> 50 /m)
      .and.include("dry run: add --write");
    expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
  });

  it("refuses a window longer than the history (partial series)", async () => {
    const proxy = await authProxy(prom!.url, "bearer");
    const dir = projectCopy();
    const before = fs.readFileSync(path.join(dir, FILE));
    const r = await sync(dir, proxy.url, ["--write", "--days", "5"]);
    await proxy.close();
    expect(r.code).to.equal(2);
    expect(r.err).to.include("partial series").and.include("file left as is");
    expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
  });

  it("refuses an empty answer (another region's selector matches nothing here)", async () => {
    const proxy = await authProxy(prom!.url, "bearer");
    const dir = projectCopy();
    const r = await sync(dir, proxy.url, ["--selector", 'job="elsewhere"']);
    await proxy.close();
    expect(r.code).to.equal(2);
    expect(r.err).to.include("empty answer").and.include('job="elsewhere"');
  });
});

describe("demand:sync command line", () => {
  const dir = projectCopy();
  const usage = async (extra: string[], env: Record<string, string> = {}, auth?: string[]) => {
    const r = await sync(dir, "http://127.0.0.1:9", extra, env, auth);
    expect(r.code, r.err).to.equal(64);
    return r.err;
  };

  it("needs a region selector that names the stack's region", async () => {
    const run = (...selector: string[]) =>
      new Promise<Run>((resolve) => {
        const args = [
          "--import",
          "tsx",
          path.join(PROJECT_DIR, "scripts", "demand-sync.ts"),
          "--stack",
          STACK,
          "--prometheus",
          "http://127.0.0.1:9",
          "--bearer-token-env",
          TOKEN_ENV,
          ...selector,
        ];
        const p = spawn(process.execPath, args, {
          cwd: PROJECT_DIR,
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, [TOKEN_ENV]: TOKEN },
        });
        let err = "";
        p.stderr.on("data", (d: Buffer) => (err += d.toString()));
        p.on("close", (code) => resolve({ code: code ?? 1, out: "", err }));
      });
    const none = await run();
    expect(none.code).to.equal(64);
    expect(none.err).to.include("--region-selector is required");
    const other = await run("--region-selector", 'region="eu-west-1"');
    expect(other.code).to.equal(64);
    expect(other.err).to.include("select us-east-1 only");
  });

  it("needs exactly one way to authenticate to Prometheus", async () => {
    expect(await usage([], {}, [])).to.include("exactly one of");
    expect(
      await usage([], { [TOKEN_ENV]: TOKEN }, ["--bearer-token-env", TOKEN_ENV, "--sigv4"]),
    ).to.include("exactly one of");
    expect(await usage([], {}, ["--bearer-token-env", "LF_TEST_UNSET_VARIABLE"])).to.include(
      "LF_TEST_UNSET_VARIABLE is not set",
    );
    const missing = path.join(dir, "no-such-token");
    expect(await usage([], {}, ["--bearer-token-file", missing])).to.include("ENOENT");
    expect(await usage([], {}, ["--sigv4"])).to.include("--sigv4-region");
  });

  it("reads a bearer token from a file, trimmed, and never prints it", async () => {
    const tokenFile = path.join(dir, "token");
    fs.writeFileSync(tokenFile, `${TOKEN}\n`);
    // Nothing listens on port 9: the failure names the URL, not the token.
    const r = await sync(dir, "http://127.0.0.1:9", [], {}, ["--bearer-token-file", tokenFile]);
    expect(r.code).to.equal(2);
    expect(r.err).to.include("cannot reach http://127.0.0.1:9");
    expect(r.out + r.err).to.not.include(TOKEN);
  });

  it("rejects unknown flags", async () => {
    expect(await usage(["--prometheus-url", "x"], { [TOKEN_ENV]: TOKEN })).to.include(
      "unknown flag --prometheus-url",
    );
  });
});

type Handler = (url: URL, req: http.IncomingMessage) => { status: number; body: string };

/** A fake Prometheus answering each request with `handler`. */
async function fakePrometheus(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const { server, port } = await listen((req, res) => {
    const a = handler(new URL(req.url ?? "/", "http://x"), req);
    res.writeHead(a.status, { "content-type": "application/json" });
    res.end(a.body);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const ok = (data: unknown) => ({ status: 200, body: JSON.stringify({ status: "success", data }) });
const hourly = (value: (i: number) => string, count = DAYS * 24) =>
  Array.from({ length: count }, (_, i) => [START + 3600 * (i + 1), value(i)]);
const sessions = (values: unknown[][]) =>
  ok({ resultType: "matrix", result: [{ metric: {}, values }] });
const ladders = ok({
  resultType: "vector",
  result: [{ metric: { profiles: HD }, value: [END, "100"] }],
});

const BROKEN: Record<string, { handler: Handler; message: RegExp }> = {
  "an HTTP error": {
    handler: () => ({ status: 503, body: "Service Unavailable" }),
    message: /HTTP 503/,
  },
  "a Prometheus error": {
    handler: () => ({
      status: 422,
      body: JSON.stringify({ status: "error", errorType: "execution", error: "query timed out" }),
    }),
    message: /HTTP 422, execution: query timed out/,
  },
  "an empty series": {
    handler: () => ok({ resultType: "matrix", result: [] }),
    message: /empty answer/,
  },
  "a partial series": { handler: () => sessions(hourly(() => "5", 40)), message: /partial series/ },
  "a NaN value": {
    handler: () => sessions(hourly((i) => (i === 30 ? "NaN" : "5"))),
    message: /value NaN at/,
  },
  "an infinite value": {
    handler: () => sessions(hourly((i) => (i === 2 ? "+Inf" : "5"))),
    message: /value \+Inf at/,
  },
  "two series where one sum was asked": {
    handler: () =>
      ok({
        resultType: "matrix",
        result: [
          { metric: {}, values: hourly(() => "1") },
          { metric: { a: "b" }, values: hourly(() => "1") },
        ],
      }),
    message: /expected one summed series, got 2/,
  },
  "a NaN in the ladder counts": {
    handler: (u) =>
      u.pathname.endsWith("query_range")
        ? sessions(hourly(() => "5"))
        : ok({ resultType: "vector", result: [{ metric: { profiles: HD }, value: [END, "NaN"] }] }),
    message: /livepeer_segment_transcoded_total: value NaN/,
  },
  "a ladder of unknown profiles": {
    handler: (u) =>
      u.pathname.endsWith("query_range")
        ? sessions(hourly(() => "5"))
        : ok({
            resultType: "vector",
            result: [{ metric: { profiles: "fancy,hd" }, value: [END, "9"] }],
          }),
    message: /profile "fancy" does not say its resolution.*--keep-ladder/,
  },
  "an error body that quotes the request's token": {
    handler: (_u, req) => ({
      status: 500,
      body: JSON.stringify({
        status: "error",
        errorType: "internal",
        error: `bad request with ${String(req.headers.authorization)}`,
      }),
    }),
    message: /internal: bad request with Bearer \[redacted\]/,
  },
};

describe("demand:sync with broken Prometheus answers", () => {
  for (const [kind, { handler, message }] of Object.entries(BROKEN)) {
    it(`leaves the stack file byte-identical on ${kind}`, async () => {
      const fake = await fakePrometheus(handler);
      const dir = projectCopy();
      const before = fs.readFileSync(path.join(dir, FILE));
      try {
        const r = await sync(dir, fake.url, ["--write"]);
        expect(r.code, r.out).to.equal(2);
        expect(r.err).to.match(message).and.include("file left as is");
        expect(r.out + r.err).to.not.include(TOKEN);
      } finally {
        await fake.close();
      }
      expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
    });
  }

  it("refuses a profile the stack's maxSize cannot serve, naming the key (exit 1, a finding)", async () => {
    const fake = await fakePrometheus((u) =>
      u.pathname.endsWith("query_range")
        ? sessions(hourly((i) => (i % 24 === 20 ? "600" : "5")))
        : ladders,
    );
    const dir = projectCopy();
    const before = fs.readFileSync(path.join(dir, FILE));
    try {
      const r = await sync(dir, fake.url, ["--write"]);
      expect(r.code, r.out + r.err).to.equal(1);
      expect(r.err)
        .to.include("livepeer-fleet:nodeGroup.maxSize")
        .and.include("maxSize 35 cannot cover");
    } finally {
      await fake.close();
    }
    expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
  });
});

// ---- CloudWatch, the default source -------------------------------------------------------

interface Datum {
  served: number;
  refused: number;
}

/** Per-minute region totals: each hour of day reaches PEAKS[h] in one minute of one day. */
function minuteTotals(): Map<number, Datum> {
  const out = new Map<number, Datum>();
  for (let t = START; t < END; t += 60) {
    const hour = Math.floor(t / 3600) % 24;
    const day = Math.floor((t - START) / 86_400);
    const minute = Math.floor(t / 60) % 60;
    const peak = PEAKS[hour];
    const total = day === hour % DAYS && minute === 17 ? peak : Math.max(0, peak - 2);
    // A refused share that only the sum of both metrics shows.
    const refused = Math.min(total, hour === 1 ? 5 : 0);
    out.set(t, { served: total - refused, refused });
  }
  return out;
}

/**
 * A stand-in for CloudWatch's GetMetricData and ListMetrics where it matters here: it answers
 * only the orchestrators' (LivepeerFleet/Orchestrator) metrics of this stack's Unit in its own region, Sum per period over
 * datapoints published every 10 s (6 per orchestrator-minute), paged with NextToken.
 */
function cloudWatchStandIn(opts: {
  region?: string;
  data?: Map<number, Datum>;
  value?: (t: number, v: number) => number;
}): CloudWatchLike & { calls: string[] } {
  const data = opts.data ?? minuteTotals();
  const calls: string[] = [];
  const PAGE = 1000;
  return {
    calls,
    config: { region: () => Promise.resolve(opts.region ?? "us-east-1") },
    send(command) {
      if (command instanceof ListMetricsCommand) {
        calls.push("ListMetrics");
        expect(command.input.Namespace).to.equal(DEMAND_NAMESPACE);
        const out: ListMetricsCommandOutput = {
          $metadata: {},
          Metrics: ["720p0", "360p0", "source"].map((r) => ({
            Namespace: DEMAND_NAMESPACE,
            MetricName: DEMAND_METRICS.pixelsPerSecond,
            Dimensions: [
              { Name: "Unit", Value: STACK },
              { Name: "Rendition", Value: r },
            ],
          })),
        };
        return Promise.resolve(out);
      }
      const input = command.input;
      calls.push(`GetMetricData ${input.NextToken ?? ""}`);
      const offset = Number(input.NextToken ?? 0);
      const results = (input.MetricDataQueries ?? []).map((q) => {
        const stat = q.MetricStat!;
        expect(stat.Metric!.Namespace).to.equal(DEMAND_NAMESPACE);
        expect(stat.Stat).to.equal("Sum");
        expect(stat.Metric!.Dimensions![0]).to.deep.equal({ Name: "Unit", Value: STACK });
        const name = stat.Metric!.MetricName!;
        const ts: Date[] = [];
        const vs: number[] = [];
        if (name === DEMAND_METRICS.pixelsPerSecond) {
          const r = stat.Metric!.Dimensions![1].Value!;
          ts.push(new Date(START * 1000));
          vs.push(r === "720p0" ? 9e9 : r === "360p0" ? 2e9 : 0);
        } else {
          const keys = [...data.keys()].slice(offset, offset + PAGE);
          for (const t of keys) {
            const d = data.get(t)!;
            const v = 6 * (name === DEMAND_METRICS.servedSessions ? d.served : d.refused);
            ts.push(new Date(t * 1000));
            vs.push(opts.value ? opts.value(t, v) : v);
          }
        }
        return {
          Id: q.Id,
          Label: name,
          Timestamps: ts,
          Values: vs,
          StatusCode: "Complete" as const,
        };
      });
      const more =
        offset + PAGE < data.size &&
        results.some((r) => r.Label !== DEMAND_METRICS.pixelsPerSecond);
      const out: GetMetricDataCommandOutput = {
        $metadata: {},
        MetricDataResults: results,
        NextToken: more ? String(offset + PAGE) : undefined,
      };
      return Promise.resolve(out);
    },
  };
}

async function syncCloudWatch(
  dir: string,
  client: CloudWatchLike,
  extra: string[] = [],
): Promise<Run & { regions: string[] }> {
  const run: Run & { regions: string[] } = { code: 0, out: "", err: "", regions: [] };
  const deps: SyncDeps = {
    cloudWatch: (region) => {
      run.regions.push(region);
      return client;
    },
    awsCredentials: () => () => Promise.reject(new Error("no AWS credentials in tests")),
    env: {},
    now: () => new Date(END * 1000),
    out: (t) => (run.out += t),
    err: (t) => (run.err += t),
  };
  run.code = await demandSync(["--stack", STACK, ...WINDOW, "--project-dir", dir, ...extra], deps);
  return run;
}

describe("demand:sync from CloudWatch (stand-in client)", () => {
  it("reads served + refused sessions in the stack's region and writes the profile and ladder", async () => {
    const dir = projectCopy();
    const cw = cloudWatchStandIn({});
    const r = await syncCloudWatch(dir, cw, ["--write"]);
    expect(r.code, r.err).to.equal(0);
    expect(r.regions).to.deep.equal(["us-east-1"]);
    expect(r.out).to.include("reading demand from CloudWatch in us-east-1");
    // Several pages were read (NextToken followed).
    expect(cw.calls.filter((c) => c.startsWith("GetMetricData")).length).to.be.greaterThan(2);
    const demand = demandOf(dir);
    expect(demand.peakStreams).to.deep.equal(PEAKS);
    expect(demand.ladder.map((l) => l.name)).to.deep.equal(["source", "720p0", "360p0"]);
    expect(r.out).to.include("rendition 720p0: 82% of pixels");
  });

  it("refuses a client for another region", async () => {
    const r = await syncCloudWatch(projectCopy(), cloudWatchStandIn({ region: "eu-west-1" }));
    expect(r.code).to.equal(2);
    expect(r.err).to.include("the CloudWatch client is for eu-west-1").and.include("us-east-1");
  });

  it("refuses a window longer than CloudWatch keeps 1-minute data", async () => {
    const r = await syncCloudWatch(projectCopy(), cloudWatchStandIn({}), ["--days", "16"]);
    expect(r.code).to.equal(2);
    expect(r.err).to.include("keeps 1-minute datapoints for 15 days");
  });

  it("refuses an empty answer, a partial series and a negative value, file untouched", async () => {
    const cases: [
      Map<number, Datum> | undefined,
      ((t: number, v: number) => number) | undefined,
      RegExp,
    ][] = [
      [new Map(), undefined, /empty answer: no LivepeerFleet\/Orchestrator ServedSessions/],
      [
        new Map([...minuteTotals()].filter(([t]) => t < START + 86_400)),
        undefined,
        /partial series/,
      ],
      [undefined, (t, v) => (t === START + 600 ? -1 : v), /value -1 at/],
    ];
    for (const [data, value, message] of cases) {
      const dir = projectCopy();
      const before = fs.readFileSync(path.join(dir, FILE));
      const r = await syncCloudWatch(dir, cloudWatchStandIn({ data, value }), ["--write"]);
      expect(r.code, String(message)).to.equal(2);
      expect(r.err).to.match(message).and.include("file left as is");
      expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
    }
  });

  it("rejects a Prometheus option without --prometheus", async () => {
    const r = await syncCloudWatch(projectCopy(), cloudWatchStandIn({}), [
      "--region-selector",
      REGION,
    ]);
    expect(r.code).to.equal(64);
    expect(r.err).to.include("is a Prometheus option");
  });
});
