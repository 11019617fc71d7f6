// The orchestrators' demand publisher (scripts/node/demand-publisher.py) for real, under Debian's
// python3-boto3, against STAND-INS: go-livepeer's -monitor /metrics (gauges, the per-ladder
// segment counter and the source-duration histogram as its exporter writes them), journalctl
// (a script that follows a file and records how it was called), IMDSv2 and CloudWatch (the query
// protocol, SigV4 verified; every PutMetricData is also checked member by member against
// botocore's own CloudWatch model: the datum's fields, units, dimensions, storage resolution).
// Waits count the stand-in's PutMetricData calls, never a clock. The arithmetic (pixels per
// rendition, the refused-sessions decay, profile names) is compared with the TypeScript that
// reads it back and sizes from it (lib/demand/metrics.ts, lib/demand/profiles.ts).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  DEMAND_METRICS,
  DEMAND_NAMESPACE,
  DEMAND_PUBLISH_SECONDS,
  RENDITION_DIMENSION,
  UNIT_DIMENSION,
  nextRefusedSessions,
} from "../lib/demand/metrics";
import { LPMS_PROFILES, parseProfileName } from "../lib/demand/profiles";
import { COMMON_LADDER } from "../lib/config/sizing-schema";
import { BotocoreModels, violations } from "../lib/checks/botocore";
import {
  AwsCall,
  AwsStandIn,
  ImdsStandIn,
  SYSTEM_PYTHON,
  awsEnv,
  requireBoto3,
} from "./helpers/aws-stand-ins";
import { LivepeerStandIn } from "./helpers/livepeer-stand-in";
import { NODE_DIR, Proc, waitFor } from "./helpers/node-runtime";
import { requireBotocore, requireTools } from "./helpers/tools";
import { buildUnit, byName } from "./helpers/components";
import { fixtureDesign } from "./fixtures/region";
import { parseEnv } from "../lib/userdata";
import { demandPublisherArgs } from "../lib/runtime/values";

interface Datum {
  name: string;
  value: number;
  unit: string;
  resolution: number;
  dimensions: [string, string][];
}

const SOURCE = COMMON_LADDER[0];
const LADDER = "P240p30fps16x9,P360p30fps16x9";
const CAPPED = (session: string) =>
  `E0302 08:22:01.123456   4242 segment_rpc.go:447] manifestID=m1 seqNo=0 orchSessionID=${session} clientIP=203.0.113.9 sender=0xabc Cannot process manifest err="OrchestratorCapped"`;

/** Runs a Python snippet with demand-publisher.py importable as `dp`; returns its JSON output. */
function py(code: string): unknown {
  const r = spawnSync(
    SYSTEM_PYTHON,
    [
      "-c",
      `import importlib.util, json, sys\nsys.path.insert(0, ${JSON.stringify(NODE_DIR)})\n` +
        `spec = importlib.util.spec_from_file_location("dp", ${JSON.stringify(path.join(NODE_DIR, "demand-publisher.py"))})\n` +
        `dp = importlib.util.module_from_spec(spec); spec.loader.exec_module(dp)\n${code}`,
    ],
    { encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as unknown;
}

describe("demand publisher arithmetic, against the TypeScript that reads it", function () {
  before(function () {
    requireTools(this, "python3");
    requireBoto3(this);
  });

  it("reads every profile name as lib/demand/profiles.ts does (lpms table, P<h>p<fps>fps<a>x<b>, <h>p<n>)", function () {
    const known = Object.fromEntries(
      Object.entries(LPMS_PROFILES).map(([k, [w, h, f]]) => [k, [w, h, f]]),
    );
    const names = [
      ...Object.keys(LPMS_PROFILES),
      "P1080p60fps16x9",
      "P480p30fps4x3",
      "P144p25fps16x9",
      "720p0",
      "480p0",
      "1080p",
      "240p30",
      "source-ish",
      "Pfoo",
    ];
    const got = py(
      `known = {k: tuple(v) for k, v in json.loads(${JSON.stringify(JSON.stringify(known))}).items()}\n` +
        `print(json.dumps({n: dp.rendition_size(n, known, (1920, 1080, 30.0)) for n in ${JSON.stringify(names)}}))`,
    ) as Record<string, [number, number, number] | null>;
    for (const n of names) {
      const ts = parseProfileName(n, SOURCE);
      expect(got[n], n).to.deep.equal(ts ? [ts.width, ts.height, ts.fps] : null);
    }
  });

  it("prices each rendition from segments x mean source duration, the source at the stack's size", function () {
    // 10 segments of LADDER and 5 of 720p0 in 20 s, 2 s each: 20 s and 10 s of video.
    const got = py(
      `px, unknown = dp.rendition_pixels({${JSON.stringify(LADDER)}: 10, "720p0,mystery": 5}, 30.0, 15, 20.0, {}, (1920, 1080, 30.0))\n` +
        `print(json.dumps({"px": px, "unknown": unknown}))`,
    ) as { px: Record<string, number>; unknown: string[] };
    const rate = (videoSeconds: number, w: number, h: number, fps: number) =>
      (videoSeconds * w * h * fps) / 20;
    expect(got.px.source).to.be.closeTo(rate(30, 1920, 1080, 30), 1e-3);
    expect(got.px.P240p30fps16x9).to.be.closeTo(rate(20, 426, 240, 30), 1e-3);
    expect(got.px.P360p30fps16x9).to.be.closeTo(rate(20, 640, 360, 30), 1e-3);
    expect(got.px["720p0"]).to.be.closeTo(rate(10, 1280, 720, 30), 1e-3);
    expect(got.unknown).to.deep.equal(["mystery"]);
  });

  it("decays refused sessions exactly as nextRefusedSessions (the bench's and the policies' gauge)", function () {
    const minutes = [3, 0, 0, 1, 0, 5, 0, 0, 0, 0];
    const got = py(
      `g = 0.0\nout = []\nfor n in ${JSON.stringify(minutes)}:\n    g = dp.next_refused_sessions(g, n, 40)\n    out.append(g)\nprint(json.dumps(out))`,
    ) as number[];
    let g = 0;
    const want = minutes.map((n) => (g = nextRefusedSessions(g, n, 40)));
    expect(got).to.deep.equal(want);
  });
});

describe("demand publisher (go-livepeer, journalctl, IMDS and CloudWatch stand-ins)", function () {
  const imds = new ImdsStandIn();
  const cw = new AwsStandIn("monitoring", "query");
  const livepeer = new LivepeerStandIn("orchestrator");
  let models: BotocoreModels;
  let dir: string;
  let journal: string;
  let argvFile: string;
  let proc: Proc | undefined;

  const puts = (): AwsCall[] => cw.signed("PutMetricData");

  /** The MetricData of a PutMetricData query body, each checked against botocore's model. */
  function data(call: AwsCall): Datum[] {
    const p = call.params;
    const model = models.service("cloudwatch");
    const datum = model.shape("MetricDatum").members!;
    const units = model.shape("StandardUnit").enum!;
    const out: Datum[] = [];
    for (let i = 1; p.has(`MetricData.member.${i}.MetricName`); i++) {
      const m = `MetricData.member.${i}.`;
      for (const key of [...p.keys()].filter((k) => k.startsWith(m))) {
        const field = key.slice(m.length).split(".")[0];
        expect(datum, `${key}: a MetricDatum member`).to.have.property(field);
      }
      const dimensions: [string, string][] = [];
      for (let j = 1; p.has(`${m}Dimensions.member.${j}.Name`); j++) {
        const [n, v] = [
          p.get(`${m}Dimensions.member.${j}.Name`)!,
          p.get(`${m}Dimensions.member.${j}.Value`)!,
        ];
        expect(
          violations(n, model.stringConstraint("DimensionName", "Dimension.Name")),
        ).to.deep.equal([]);
        expect(
          violations(v, model.stringConstraint("DimensionValue", "Dimension.Value")),
        ).to.deep.equal([]);
        dimensions.push([n, v]);
      }
      expect(dimensions.length).to.be.at.most(model.shape("Dimensions").max!);
      const name = p.get(`${m}MetricName`)!;
      expect(
        violations(name, model.stringConstraint("MetricName", "MetricDatum.MetricName")),
      ).to.deep.equal([]);
      const unit = p.get(`${m}Unit`)!;
      expect(units, `${name} unit`).to.include(unit);
      const resolution = Number(p.get(`${m}StorageResolution`));
      // "Valid values are 1 and 60" (MetricDatum.StorageResolution's documentation).
      expect(model.member("MetricDatum", "StorageResolution").documentation).to.include(
        "Valid values are 1 and 60",
      );
      expect([1, 60]).to.include(resolution);
      const value = Number(p.get(`${m}Value`));
      expect(Number.isFinite(value), `${name} value`).to.equal(true);
      out.push({ name, value, unit, resolution, dimensions });
    }
    expect(p.get("Namespace")).to.equal(DEMAND_NAMESPACE);
    expect(
      violations(DEMAND_NAMESPACE, model.stringConstraint("Namespace", "Namespace")),
    ).to.deep.equal([]);
    return out;
  }
  const all = () => puts().flatMap(data);
  const named = (n: string) => all().filter((d) => d.name === n);

  before(async function () {
    requireTools(this, "python3", "tail");
    requireBoto3(this);
    requireBotocore(this);
    models = new BotocoreModels();
    await Promise.all([imds.start(), cw.start(), livepeer.start()]);
    cw.on("PutMetricData", () => "");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-demand-"));
  });

  beforeEach(function () {
    cw.calls = [];
    journal = path.join(fs.mkdtempSync(path.join(dir, "j-")), "journal");
    fs.writeFileSync(journal, "");
    argvFile = path.join(path.dirname(journal), "argv");
    fs.writeFileSync(
      path.join(path.dirname(journal), "journalctl"),
      `#!/bin/bash\nset -euo pipefail\nprintf '%s\\n' "$@" >${JSON.stringify(argvFile)}\nexec tail -n +1 -f ${JSON.stringify(journal)}\n`,
      { mode: 0o755 },
    );
    livepeer.labelled = true;
    livepeer.gauges = { livepeer_current_sessions_total: 7, livepeer_max_sessions_total: 27 };
    livepeer.series = [];
  });

  afterEach(async function () {
    await proc?.stop();
    proc = undefined;
  });

  after(async function () {
    await proc?.stop();
    await Promise.all([imds.stop(), cw.stop(), livepeer.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The publisher with the names and sizes the user data renders, faster and shorter. */
  function start(opts: { journalctl?: string } = {}) {
    const rendered = demandPublisherArgs(fixtureDesign())
      .split(" ")
      .map((a) => a.replace("http://127.0.0.1:7935/metrics", livepeer.metricsUrl));
    const set = (args: string[], flag: string, value: string) => {
      const i = args.indexOf(flag);
      args[i + 1] = value;
      return args;
    };
    let args = set(rendered, "--interval", "0.2");
    args = set(args, "--mean-session-minutes", "2");
    args.push("--decay-seconds", "0.4", "--aws-timeout", "2");
    args.push("--journalctl", opts.journalctl ?? path.join(path.dirname(journal), "journalctl"));
    proc = new Proc(SYSTEM_PYTHON, [path.join(NODE_DIR, "demand-publisher.py"), ...args], {
      ...awsEnv(imds, { MONITORING: cw }),
      PYTHONDONTWRITEBYTECODE: "1",
    });
    return proc;
  }
  const afterPuts = (n: number) =>
    waitFor(`${n} PutMetricData calls`, () => Promise.resolve(puts().length >= n), 30000, 50);

  it("sessions and pool capacity from go-livepeer's gauges, high resolution, Unit=<stack> only", async function () {
    start();
    await afterPuts(2);
    const first = data(puts()[0]);
    const byName = Object.fromEntries(first.map((d) => [d.name, d]));
    expect(byName[DEMAND_METRICS.servedSessions]).to.deep.equal({
      name: DEMAND_METRICS.servedSessions,
      value: 7,
      unit: "Count",
      resolution: 1,
      dimensions: [[UNIT_DIMENSION, "test-us-east-1"]],
    });
    expect(byName[DEMAND_METRICS.poolCapacitySessions]).to.include({ value: 27, resolution: 1 });
    // Every datapoint of the unit-level metrics has exactly the Unit dimension: all orchestrators
    // of the unit land in one metric whose Sum the policies read.
    for (const d of all().filter((x) => x.name !== DEMAND_METRICS.pixelsPerSecond))
      expect(d.dimensions).to.deep.equal([[UNIT_DIMENSION, "test-us-east-1"]]);
    expect(puts().every((c) => c.signatureOk)).to.equal(true);
    // The journal is followed from now on, from the orchestrator's unit, as plain messages.
    expect(fs.readFileSync(argvFile, "utf8").trim().split("\n")).to.deep.equal([
      "--unit",
      "livepeer-orchestrator.service",
      "--follow",
      "--lines",
      "0",
      "--output",
      "cat",
    ]);
  });

  it("counts each refused session once from go-livepeer's OrchestratorCapped lines, and the refused-sessions gauge decays", async function () {
    const p = start();
    await afterPuts(2);
    fs.appendFileSync(
      journal,
      [
        CAPPED("s1"),
        CAPPED("s2"),
        // The same session's next segment, and go-livepeer's second line for the first one.
        CAPPED("s1"),
        'E0302 08:22:01.123500   4242 segment_rpc.go:307] Could not verify segment creds err="OrchestratorCapped"',
        "I0302 08:22:02.000000   4242 orchestrator.go:1] an unrelated line",
        "",
      ].join("\n"),
    );
    const refusedTotal = () =>
      named(DEMAND_METRICS.refusedRequests).reduce((s, d) => s + d.value, 0);
    await waitFor("2 refusals", () => Promise.resolve(refusedTotal() >= 2), 30000, 50);
    const seen = puts().length;
    await afterPuts(seen + 10);
    expect(refusedTotal()).to.equal(2);
    const gauge = named(DEMAND_METRICS.refusedSessions).map((d) => d.value);
    const peak = Math.max(...gauge);
    // Both refusals are in it: 2, or 1.5 if a decay step (x 0.5) fell between their reads.
    expect(peak).to.be.at.least(1.5);
    // Mean session 2 "minutes" of 0.4 s: halved every 0.4 s after the refusals.
    expect(gauge[gauge.length - 1]).to.be.below(peak);
    expect(p.exited).to.equal(false);
  });

  it("pixels per rendition from the segment counter and the source durations, per interval", async function () {
    const counters = (segments: number, seconds: number) => [
      `livepeer_segment_transcoded_total{node_id="o-a",node_type="orch",profiles="${LADDER}",trusted="trusted",verified="verified"} ${segments}`,
      `livepeer_source_segment_duration_seconds_bucket{node_id="o-a",node_type="orch",le="+Inf"} ${segments}`,
      `livepeer_source_segment_duration_seconds_sum{node_id="o-a",node_type="orch"} ${seconds}`,
      `livepeer_source_segment_duration_seconds_count{node_id="o-a",node_type="orch"} ${segments}`,
    ];
    livepeer.series = counters(100, 200);
    start();
    await afterPuts(2);
    // No increase yet: nothing transcoded, no pixels.
    expect(named(DEMAND_METRICS.pixelsPerSecond).every((d) => d.value === 0)).to.equal(true);
    livepeer.series = counters(110, 220);
    await waitFor(
      "pixels",
      () => Promise.resolve(named(DEMAND_METRICS.pixelsPerSecond).some((d) => d.value > 0)),
      30000,
      50,
    );
    const call = puts().find((c) =>
      data(c).some((d) => d.name === DEMAND_METRICS.pixelsPerSecond && d.value > 0),
    )!;
    const px = Object.fromEntries(
      data(call)
        .filter((d) => d.name === DEMAND_METRICS.pixelsPerSecond)
        .map((d) => {
          expect(d.unit).to.equal("Count/Second");
          expect(d.dimensions[0]).to.deep.equal([UNIT_DIMENSION, "test-us-east-1"]);
          expect(d.dimensions[1][0]).to.equal(RENDITION_DIMENSION);
          return [d.dimensions[1][1], d.value];
        }),
    );
    expect(Object.keys(px).sort()).to.deep.equal(["P240p30fps16x9", "P360p30fps16x9", "source"]);
    // The same seconds of video in every rendition of the ladder: the ratios are the sizes'.
    expect(px.P360p30fps16x9 / px.P240p30fps16x9).to.be.closeTo((640 * 360) / (426 * 240), 1e-9);
    expect(px.source / px.P240p30fps16x9).to.be.closeTo((1920 * 1080) / (426 * 240), 1e-9);
    // A counter that goes back (go-livepeer restarted): that interval gives no pixels.
    livepeer.series = counters(3, 6);
    const before = puts().length;
    await afterPuts(before + 3);
    const later = puts().slice(before).map(data);
    const pixels = (ds: Datum[]) => ds.filter((d) => d.name === DEMAND_METRICS.pixelsPerSecond);
    expect(later.flatMap(pixels).filter((d) => d.value > 0)).to.deep.equal([]);
    expect(
      later.some((ds) => pixels(ds).length === 0),
      "the reset interval has none",
    ).to.equal(true);
  });

  it("before go-livepeer's first session (no current-sessions series yet): 0 served while its capacity is known, nothing without it", async function () {
    // go-livepeer records livepeer_current_sessions_total only when a session starts or ends
    // (core/orchestrator.go, monitor.CurrentSessions): a quiet new region must still give the
    // utilisation a datapoint, or target tracking never scales in.
    livepeer.gauges = { livepeer_max_sessions_total: 27 };
    start();
    await afterPuts(2);
    expect(named(DEMAND_METRICS.servedSessions).map((d) => d.value)).to.include(0);
    expect(named(DEMAND_METRICS.servedSessions).every((d) => d.value === 0)).to.equal(true);
    expect(named(DEMAND_METRICS.poolCapacitySessions).map((d) => d.value)).to.include(27);
    await proc?.stop();
    proc = undefined;
    cw.calls = [];
    // No transcoder registered and no gauge at all: unknown stays unknown.
    livepeer.gauges = {};
    start();
    await afterPuts(2);
    expect(named(DEMAND_METRICS.servedSessions)).to.deep.equal([]);
    expect(named(DEMAND_METRICS.poolCapacitySessions)).to.deep.equal([]);
  });

  it("with the journal unreadable: sessions and capacity still, no refusal datapoint (unknown is not zero)", async function () {
    const p = start({ journalctl: path.join(dir, "no-such-journalctl") });
    await afterPuts(3);
    expect(named(DEMAND_METRICS.servedSessions).length).to.be.at.least(3);
    expect(named(DEMAND_METRICS.refusedRequests)).to.deep.equal([]);
    expect(named(DEMAND_METRICS.refusedSessions)).to.deep.equal([]);
    expect(p.out).to.match(/refusals: journal unreadable: cannot run .*no-such-journalctl/);
  });

  it("publishes every DEMAND_PUBLISH_SECONDS on an instance (the rendered command line)", function () {
    const args = demandPublisherArgs(fixtureDesign()).split(" ");
    expect(args[args.indexOf("--interval") + 1]).to.equal(String(DEMAND_PUBLISH_SECONDS));
  });
});

describe("orchestrators run the demand publisher and may publish its namespace (fixture unit)", function () {
  it("LF_DEMAND_ARGS in every orchestrator's env; PutMetricData allowed in DEMAND_NAMESPACE", async function () {
    const d = fixtureDesign();
    const e = await buildUnit(d);
    for (const slot of ["a", "b"]) {
      const lt = byName(e, "aws:ec2/launchTemplate:LaunchTemplate", `-orch-${slot}-lt`);
      const env = parseEnv(Buffer.from(String(lt.inputs.userData), "base64").toString());
      expect(env.LF_DEMAND_ARGS).to.equal(demandPublisherArgs(d));
      const policy = JSON.parse(
        String(byName(e, "aws:iam/rolePolicy:RolePolicy", `-orch-${slot}-self`).inputs.policy),
      ) as { Statement: { Action: string; Condition?: Record<string, Record<string, string>> }[] };
      const put = policy.Statement.filter((s) => s.Action === "cloudwatch:PutMetricData");
      expect(put.map((s) => s.Condition?.StringEquals["cloudwatch:namespace"])).to.include(
        DEMAND_NAMESPACE,
      );
    }
  });
});
