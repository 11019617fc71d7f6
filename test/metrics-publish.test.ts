// The health agent's CloudWatch publishing (--publish), for real: the agent runs against a local
// EVM chain (ganache), a local STAND-IN for go-livepeer's -monitor /metrics, and STAND-INS for
// IMDSv2 and CloudWatch (helpers/aws-stand-ins.ts: the query protocol botocore's model names for
// CloudWatch, every request's SigV4 signature verified with the AWS SDK's own signer). The
// tests decode PutMetricData's parameters and assert namespace, names, values, units and
// dimensions, every one of them given on the command line. A CloudWatch that is down, slow or
// refusing must never change what /healthz answers. Waits count the agent's own publish rounds
// (GET /state), not a clock. Also: the instance roles' IAM grant under the mock monitor, and
// the launch templates' agent arguments.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import {
  ROLE_METRIC_NAMESPACES,
  NODE_METRICS,
  ORCHESTRATOR_DIMENSION,
  UNIT_DIMENSION,
} from "../lib/runtime-contract";
import {
  AwsCall,
  AwsStandIn,
  ImdsStandIn,
  SYSTEM_PYTHON,
  awsEnv,
  requireBoto3,
} from "./helpers/aws-stand-ins";
import { LivepeerStandIn } from "./helpers/livepeer-stand-in";
import { TEST_CREDS } from "./helpers/sigv4";
import { requireTools } from "./helpers/tools";
import {
  Chain,
  NODE_DIR,
  Proc,
  freePort,
  startAgent,
  startChain,
  waitFor,
} from "./helpers/node-runtime";
import { ofType, one, policyOf } from "./helpers/program";
import { buildUnit } from "./helpers/components";
import { fixtureDesign } from "./fixtures/region";
import type { Evaluation } from "../lib/plan/evaluate";

const CHAIN_NS = ROLE_METRIC_NAMESPACES["chain-node"];
const ORCH_NS = ROLE_METRIC_NAMESPACES.orchestrator;

interface Datum {
  name: string;
  value: number;
  unit: string;
  dimensions: [string, string][];
}

/** The MetricData members of a PutMetricData query body. */
function metricData(p: URLSearchParams): Datum[] {
  const out: Datum[] = [];
  for (let i = 1; p.has(`MetricData.member.${i}.MetricName`); i++) {
    const m = `MetricData.member.${i}.`;
    const dimensions: [string, string][] = [];
    for (let j = 1; p.has(`${m}Dimensions.member.${j}.Name`); j++) {
      dimensions.push([
        String(p.get(`${m}Dimensions.member.${j}.Name`)),
        String(p.get(`${m}Dimensions.member.${j}.Value`)),
      ]);
    }
    out.push({
      name: String(p.get(`${m}MetricName`)),
      value: Number(p.get(`${m}Value`)),
      unit: String(p.get(`${m}Unit`)),
      dimensions,
    });
  }
  return out;
}

interface PublishState {
  rounds: number;
  failures: number;
  last_error: string | null;
}

async function health(url: string): Promise<{ code: number; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(10000) });
  await res.arrayBuffer();
  return { code: res.status, ms: Date.now() - t0 };
}

async function publishState(url: string): Promise<PublishState> {
  const res = await fetch(url.replace("/healthz", "/state"), { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as { publish: PublishState }).publish;
}

/** Waits until the publisher has completed `n` rounds (its own count, not a clock). */
async function afterRounds(url: string, n: number): Promise<PublishState> {
  let last: PublishState | undefined;
  await waitFor(
    `${n} publish rounds`,
    async () => (last = await publishState(url)).rounds >= n,
    30000,
    50,
  );
  return last!;
}

const logLines = (p: Proc, re: RegExp) => p.out.split("\n").filter((l) => re.test(l));

/** The orchestrator's CloudWatch names, as the user data renders them (flags). */
const ORCH_NAMES = {
  sessions: NODE_METRICS.currentSessions,
  maxSessions: NODE_METRICS.maxSessions,
  transcoders: NODE_METRICS.transcoders,
  transcoderCapacity: NODE_METRICS.transcoderCapacity,
};

describe("health agent publishes CloudWatch metrics (IMDS, CloudWatch and go-livepeer stand-ins)", function () {
  let fresh: Chain;
  let stale: Chain;
  const imds = new ImdsStandIn();
  const cw = new AwsStandIn("monitoring", "query");
  const livepeer = new LivepeerStandIn("orchestrator");
  /** slow: PutMetricData answers only after 10 s (the agent's AWS timeout is 1 s). */
  let slow = false;
  let agent: Proc | undefined;

  const puts = (): AwsCall[] => cw.signed("PutMetricData");

  before(async function () {
    requireTools(this, "python3", "openssl");
    requireBoto3(this);
    fresh = await startChain(await freePort(), 1337, { blockTime: 1 });
    // Genesis an hour ago and no mining: the head is an hour old.
    stale = await startChain(await freePort(), 1338, {
      blockTime: 0,
      genesisTime: new Date(Date.now() - 3600_000),
    });
    await Promise.all([imds.start(), cw.start(), livepeer.start()]);
    cw.on("PutMetricData", () =>
      slow ? new Promise<string>((r) => setTimeout(() => r(""), 10_000).unref()) : "",
    );
  });

  beforeEach(function () {
    cw.calls = [];
    slow = false;
    imds.secret = TEST_CREDS.secretAccessKey;
    livepeer.labelled = true;
    livepeer.gauges = {
      livepeer_current_sessions_total: 7,
      livepeer_max_sessions_total: 27,
      livepeer_transcoders_number: 2,
      livepeer_transcoders_capacity: 27,
    };
  });

  afterEach(async function () {
    await agent?.stop();
    agent = undefined;
  });

  after(async function () {
    await agent?.stop();
    await Promise.all([imds.stop(), cw.stop(), livepeer.stop(), fresh?.stop(), stale?.stop()]);
  });

  /** Starts an agent that publishes every `interval` s, with a 1 s timeout per AWS call. */
  async function start(
    args: string[],
    opts: { interval?: number; monitoring?: string } = {},
  ): Promise<string> {
    const env = awsEnv(imds, { MONITORING: cw });
    if (opts.monitoring) env.LF_AWS_ENDPOINT_MONITORING = opts.monitoring;
    const a = await startAgent(
      [...args, "--publish", "--publish-interval", String(opts.interval ?? 0.3)].concat([
        "--aws-timeout",
        "1",
      ]),
      env,
    );
    agent = a.proc;
    return a.url;
  }

  const chainArgs = (ethUrl: string) => [
    ...["--mode", "chain", "--eth-url", ethUrl, "--max-head-age", "30"],
    ...["--namespace", CHAIN_NS, "--dimension", `${UNIT_DIMENSION}=prod-test`],
    ...["--metric-chain-synced", NODE_METRICS.chainSynced],
    ...["--metric-chain-head-age", NODE_METRICS.chainHeadAgeSeconds],
  ];
  const orchArgs = () => [
    ...["--mode", "orchestrator", "--eth-url", fresh.url, "--max-head-age", "30"],
    ...["--livepeer-url", livepeer.healthzUrl, "--status-url", livepeer.statusUrl],
    ...["--min-transcoders", "1", "--fault-interval", "3600", "--fault-checks", "3"],
    ...["--namespace", ORCH_NS, "--metrics-url", livepeer.metricsUrl],
    ...["--dimension", `${UNIT_DIMENSION}=prod-test`, "--dimension", "Orchestrator=a"],
    ...["--metric-sessions", ORCH_NAMES.sessions, "--metric-max-sessions", ORCH_NAMES.maxSessions],
    ...["--metric-transcoders", ORCH_NAMES.transcoders],
    ...["--metric-transcoder-capacity", ORCH_NAMES.transcoderCapacity],
  ];
  const unitDims = [[UNIT_DIMENSION, "prod-test"]];

  it("chain node, synced and fresh: ChainSynced 1 and ChainHeadAgeSeconds, Unit=<stack>, one put per round", async function () {
    const url = await start(chainArgs(fresh.url));
    const state = await afterRounds(url, 3);
    expect(state.failures).to.equal(0);
    expect(puts().length).to.be.at.least(3);
    for (const c of puts()) {
      expect(c.params.get("Version")).to.equal("2010-08-01");
      expect(c.params.get("Namespace")).to.equal(CHAIN_NS);
      const data = metricData(c.params);
      expect(data.map((d) => d.name)).to.deep.equal([
        NODE_METRICS.chainHeadAgeSeconds,
        NODE_METRICS.chainSynced,
      ]);
      const [age, synced] = data;
      expect(age.unit).to.equal("Seconds");
      expect(age.value).to.be.within(0, 30);
      expect(synced).to.deep.include({ value: 1, unit: "None" });
      for (const d of data) expect(d.dimensions).to.deep.equal(unitDims);
    }
    // Signed for CloudWatch in the instance's region (from IMDS), with the role's credentials.
    expect(cw.calls.every((c) => c.signatureOk)).to.equal(true);
    expect((await health(url)).code).to.equal(200);
  });

  it("chain node, stale head: ChainSynced 0 and the head's age", async function () {
    const url = await start(chainArgs(stale.url));
    await afterRounds(url, 1);
    const data = metricData(puts()[0].params);
    const byName = Object.fromEntries(data.map((d) => [d.name, d]));
    expect(byName[NODE_METRICS.chainSynced].value).to.equal(0);
    expect(byName[NODE_METRICS.chainHeadAgeSeconds].value).to.be.within(3500, 3700);
    for (const d of data) expect(d.dimensions).to.deep.equal(unitDims);
  });

  it("chain node, client down: ChainSynced 0 and no age (unknown, not zero)", async function () {
    const url = await start(chainArgs(`http://127.0.0.1:${await freePort()}`));
    await afterRounds(url, 1);
    expect(metricData(puts()[0].params)).to.deep.equal([
      { name: NODE_METRICS.chainSynced, value: 0, unit: "None", dimensions: unitDims },
    ]);
    expect((await health(url)).code).to.equal(503);
  });

  it("orchestrator: sessions and pool capacity from go-livepeer's /metrics, Unit and Orchestrator dimensions", async function () {
    const url = await start(orchArgs());
    await afterRounds(url, 1);
    const first = metricData(puts()[0].params);
    expect(puts()[0].params.get("Namespace")).to.equal(ORCH_NS);
    expect(first).to.deep.equal(
      [
        [ORCH_NAMES.sessions, 7],
        [ORCH_NAMES.maxSessions, 27],
        [ORCH_NAMES.transcoders, 2],
        [ORCH_NAMES.transcoderCapacity, 27],
      ].map(([name, value]) => ({
        name,
        value,
        unit: "Count",
        dimensions: [
          [UNIT_DIMENSION, "prod-test"],
          [ORCHESTRATOR_DIMENSION, "a"],
        ],
      })),
    );
    // Samples are summed over label sets, with or without labels.
    livepeer.labelled = false;
    livepeer.gauges.livepeer_current_sessions_total = 5;
    await waitFor(
      "a datapoint of 5 sessions",
      () => Promise.resolve(puts().some((c) => metricData(c.params)[0]?.value === 5)),
      10000,
      50,
    );
    expect((await health(url)).code).to.equal(200);
  });

  it("orchestrator: a gauge go-livepeer does not expose yet gives no datapoint; none at all, no put", async function () {
    delete livepeer.gauges.livepeer_max_sessions_total;
    delete livepeer.gauges.livepeer_transcoders_capacity;
    const url = await start(orchArgs());
    await afterRounds(url, 1);
    expect(metricData(puts()[0].params).map((d) => d.name)).to.deep.equal([
      ORCH_NAMES.sessions,
      ORCH_NAMES.transcoders,
    ]);
    livepeer.gauges = {};
    const before = puts().length;
    const now = (await publishState(url)).rounds;
    const state = await afterRounds(url, now + 3);
    // At most one put was already under way when the gauges went away.
    expect(puts().length).to.be.at.most(before + 1);
    expect(state.last_error).to.match(/none of livepeer_current_sessions_total, .* at http/);
    expect((await health(url)).code).to.equal(200);
  });

  it("CloudWatch down: /healthz keeps answering within 2 s; one bounded log line per failure streak", async function () {
    const url = await start(chainArgs(fresh.url), {
      interval: 0.1,
      monitoring: `http://127.0.0.1:${await freePort()}`,
    });
    for (let i = 0; i < 3; i++) {
      const r = await health(url);
      expect(r.code).to.equal(200);
      expect(r.ms).to.be.below(2000);
    }
    const state = await afterRounds(url, 10);
    expect(state.failures).to.equal(state.rounds);
    expect(agent?.exited).to.equal(false);
    // The agent logs the first failure of a streak and then every 15th: 1 line for rounds 1-15,
    // 2 for 16-30... Rounds go on while the log is read, so bracket it by the count before and
    // after (plus the round under way, which logs before it counts itself).
    const lines = logLines(agent!, /metrics: publish failed/);
    const after = (await publishState(url)).rounds;
    const logged = (rounds: number) => 1 + Math.floor((rounds - 1) / 15);
    expect(lines.length).to.be.within(logged(state.rounds), logged(after + 1));
    expect(lines.length).to.be.below(state.rounds);
    expect(lines[0].length).to.be.at.most(300);
    expect(lines[0]).to.match(/PutMetricData: Could not connect to the endpoint URL/);
  });

  it("CloudWatch slow: /healthz answers within 2 s while a publish hangs; publishing resumes after", async function () {
    slow = true;
    const url = await start(chainArgs(fresh.url));
    await waitFor("a PutMetricData to hang", () => Promise.resolve(cw.calls.length > 0), 10000, 50);
    for (let i = 0; i < 3; i++) {
      const r = await health(url);
      expect(r.code).to.equal(200);
      expect(r.ms).to.be.below(2000);
    }
    const state = await afterRounds(url, 1);
    expect(state.last_error).to.match(/PutMetricData: Read timeout/);
    slow = false;
    await waitFor(
      "publishing to resume",
      () => Promise.resolve(/metrics: published again/.test(agent?.out ?? "")),
      10000,
      50,
    );
    expect(agent?.exited).to.equal(false);
  });

  it("a wrong signature is refused by the stand-in (its check bites), and only logged by the agent", async function () {
    imds.secret = "not-the-secret";
    const url = await start(chainArgs(fresh.url));
    const state = await afterRounds(url, 1);
    expect(cw.calls[0].signatureOk).to.equal(false);
    expect(state.last_error).to.match(/PutMetricData: SignatureDoesNotMatch/);
    expect(agent?.out).to.match(/publish failed.*SignatureDoesNotMatch/);
    expect(agent?.out).not.to.include("not-the-secret");
    expect((await health(url)).code).to.equal(200);
  });

  it("refuses --publish without namespace, dimensions and metric names, naming each", function () {
    const r = spawnSync(
      SYSTEM_PYTHON,
      [path.join(NODE_DIR, "health-agent.py"), ...["--mode", "chain", "--port", "0"]].concat([
        ...["--eth-url", "http://127.0.0.1:1", "--max-head-age", "30", "--publish"],
      ]),
      { encoding: "utf8", timeout: 10000 },
    );
    expect(r.status).to.equal(2);
    for (const flag of ["namespace", "dimension", "metric-chain-synced", "metric-chain-head-age"])
      expect(r.stderr).to.include(`--publish in chain mode needs --${flag}`);
  });
});

describe("instance roles may publish into their own namespace only (fixture unit under the mock monitor)", function () {
  let e: Evaluation;
  before(async function () {
    e = await buildUnit(fixtureDesign());
  });
  const publish = (namespace: string) => ({
    Sid: "PublishFleetMetrics",
    Effect: "Allow",
    Action: "cloudwatch:PutMetricData",
    // PutMetricData has no resource-level permissions: the namespace condition is the scope.
    Resource: "*",
    Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
  });
  const statements = (suffix: string) =>
    policyOf(one(e, "aws:iam/rolePolicy:RolePolicy", suffix)).Statement;

  it("orchestrators: PutMetricData in their namespace, and reporting their own instance's health", function () {
    for (const slot of ["a", "b"]) {
      const s = statements(`-orch-${slot}-self`);
      expect(s).to.deep.include(publish(ORCH_NS));
      expect(s.find((x) => x.Sid === "ReportOwnInstanceHealth")).to.deep.include({
        Action: "autoscaling:SetInstanceHealth",
        // Scoped to this unit's orchestrator groups: an orchestrator cannot mark a transcoder or
        // the chain node unhealthy.
        Condition: {
          StringEquals: {
            "aws:ResourceTag/livepeer-fleet:unit": "test-us-east-1",
            "aws:ResourceTag/livepeer-fleet:role": "orchestrator",
          },
        },
      });
    }
  });

  it("transcoders publish nothing; the chain node: PutMetricData in its namespace, nothing else", function () {
    expect(statements("-tc-self").map((x) => x.Action)).not.to.include("cloudwatch:PutMetricData");
    const p = one(e, "aws:iam/rolePolicy:RolePolicy", "-chain-metrics");
    expect(p.inputs.role).to.equal("test-us-east-1-chain-role-id");
    expect(policyOf(p).Statement).to.deep.equal([publish(CHAIN_NS)]);
  });

  /** LF_HEALTH_ARGS as each launch template's user data renders it. */
  const healthArgs = () =>
    ofType(e, "aws:ec2/launchTemplate:LaunchTemplate").map((lt) => {
      const script = Buffer.from(String(lt.inputs.userData), "base64").toString();
      return { name: lt.name, args: /^LF_HEALTH_ARGS='(.*)'$/m.exec(script)?.[1] ?? "" };
    });

  it("every launch template runs the agent with arguments it accepts (--check-args)", function () {
    requireBoto3(this);
    for (const { name, args } of healthArgs()) {
      expect(args, `${name}: LF_HEALTH_ARGS`).not.to.equal("");
      // A transcoder's orchestrator comes from boot.env (boot-transcoder.sh picks it at boot).
      const extra = name.endsWith("-tc-lt") ? ["--orch-addr", "o-a.example.internal:8935"] : [];
      // Rendered values are checked against [A-Za-z0-9 ._:/@=+,-] (lib/userdata.ts): words split on spaces.
      const r = spawnSync(
        SYSTEM_PYTHON,
        [path.join(NODE_DIR, "health-agent.py"), ...args.split(" "), ...extra, "--check-args"],
        { encoding: "utf8", timeout: 10000 },
      );
      expect(r.status, `${name}: ${r.stderr.slice(r.stderr.indexOf("error:"))}`).to.equal(0);
    }
  });

  it("publishes under the runtime contract's namespace, dimensions and names", function () {
    const args = (suffix: string) =>
      healthArgs()
        .find((h) => h.name.endsWith(suffix))!
        .args.split(" ");
    expect(args("-chain-lt")).to.include.members([
      "--publish",
      CHAIN_NS,
      `${UNIT_DIMENSION}=test-us-east-1`,
      NODE_METRICS.chainSynced,
      NODE_METRICS.chainHeadAgeSeconds,
    ]);
    expect(args("-orch-b-lt")).to.include.members([
      "--publish",
      ORCH_NS,
      `${UNIT_DIMENSION}=test-us-east-1`,
      `${ORCHESTRATOR_DIMENSION}=b`,
      NODE_METRICS.currentSessions,
      NODE_METRICS.maxSessions,
      NODE_METRICS.transcoders,
      NODE_METRICS.transcoderCapacity,
    ]);
    expect(args("-tc-lt")).not.to.include("--publish");
  });
});
