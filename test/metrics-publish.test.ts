// The health agent's CloudWatch publishing (--publish), for real: the agent runs against a local
// EVM chain (ganache), a local STAND-IN for go-livepeer (/healthz, CLI /status and the -monitor
// /metrics endpoint), a local STAND-IN for IMDSv2, and a local CLOUDWATCH STAND-IN that also
// answers Auto Scaling's DescribeAutoScalingInstances. The CloudWatch stand-in re-signs every
// request with the AWS SDK's own SigV4 signer and refuses one whose signature differs, then
// decodes the query body so the tests assert namespace, names, values, units and dimensions.
// A CloudWatch that is down, slow or refusing must never change what /healthz answers.
// Also: the instance roles' IAM grant under the mock monitor, and the rendered agent arguments.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { METRIC_NAMESPACE, NODE_METRICS, UNIT_DIMENSION } from "../lib/runtime-contract";
import { TEST_CREDS, sigV4Matches } from "./helpers/sigv4";
import { requireTools } from "./helpers/tools";
import {
  Chain,
  NODE_DIR,
  Proc,
  freePort,
  sleep,
  startAgent,
  startChain,
  waitFor,
} from "./helpers/node-runtime";
import { evaluate, one, policyOf } from "./helpers/program";
import { listen, readBody } from "./helpers/net";

const REGION = "eu-west-1";
const INSTANCE = "i-0123456789abcdef0";
const GROUP = "prod-test-nodes-asg-4f2a9c1";

interface Datum {
  name: string;
  value: number;
  unit: string;
  dimensions: [string, string][];
}

interface Call {
  action: string;
  /** Service and region of the request's credential scope. */
  scope: string;
  signatureOk: boolean;
  params: URLSearchParams;
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

/** IMDSv2 stand-in: token first, then role credentials, instance id and region. */
class ImdsStandIn {
  /** A wrong secret makes every signature wrong: the CloudWatch stand-in must notice. */
  secret = TEST_CREDS.secretAccessKey;
  port = 0;
  private server?: http.Server;
  async start(): Promise<void> {
    const s = await listen((req, res) => {
      const paths: Record<string, string> = {
        "/latest/meta-data/iam/security-credentials/": "test-role",
        "/latest/meta-data/iam/security-credentials/test-role": JSON.stringify({
          AccessKeyId: TEST_CREDS.accessKeyId,
          SecretAccessKey: this.secret,
          Token: TEST_CREDS.sessionToken,
        }),
        "/latest/meta-data/instance-id": INSTANCE,
        "/latest/meta-data/placement/region": REGION,
      };
      if (req.method === "PUT" && req.url === "/latest/api/token") res.end("imds-token");
      else if (req.headers["x-aws-ec2-metadata-token"] !== "imds-token") res.writeHead(401).end();
      else if (req.url && req.url in paths) res.end(paths[req.url]);
      else res.writeHead(404).end();
    });
    this.server = s.server;
    this.port = s.port;
  }
  stop(): Promise<unknown> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}

/** CloudWatch stand-in (PutMetricData), also answering DescribeAutoScalingInstances. */
class CloudWatchStandIn {
  calls: Call[] = [];
  /** slow: PutMetricData answers only after 10 s (the agent's publish timeout is 1 s). */
  behaviour: "ok" | "slow" = "ok";
  port = 0;
  private server?: http.Server;

  puts(): Call[] {
    return this.calls.filter((c) => c.action === "PutMetricData" && c.signatureOk);
  }

  async start(): Promise<void> {
    const s = await listen((req, res) => {
      void readBody(req).then(async (body) => {
        const params = new URLSearchParams(body);
        const action = String(params.get("Action"));
        const service = action === "PutMetricData" ? "monitoring" : "autoscaling";
        const signatureOk = await sigV4Matches(req, body, {
          service,
          region: REGION,
          headers: ["content-type"],
        });
        const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(
          String(req.headers.authorization),
        );
        this.calls.push({
          action,
          scope: scope ? `${scope[2]}/${scope[1]}` : "none",
          signatureOk,
          params,
        });
        const xml = (inner: string) =>
          res.writeHead(200, { "content-type": "text/xml" }).end(`<?xml version="1.0"?>\n${inner}`);
        if (!signatureOk) {
          res
            .writeHead(403, { "content-type": "text/xml" })
            .end(
              "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>",
            );
        } else if (action === "PutMetricData") {
          const answer = () =>
            xml(
              '<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">' +
                "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>" +
                "</PutMetricDataResponse>",
            );
          if (this.behaviour === "slow") setTimeout(answer, 10_000).unref();
          else answer();
        } else if (
          action === "DescribeAutoScalingInstances" &&
          params.get("InstanceIds.member.1") === INSTANCE
        ) {
          xml(
            '<DescribeAutoScalingInstancesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">' +
              "<DescribeAutoScalingInstancesResult><AutoScalingInstances><member>" +
              `<InstanceId>${INSTANCE}</InstanceId><AutoScalingGroupName>${GROUP}</AutoScalingGroupName>` +
              "<AvailabilityZone>eu-west-1a</AvailabilityZone><LifecycleState>InService</LifecycleState>" +
              "</member></AutoScalingInstances></DescribeAutoScalingInstancesResult>" +
              "</DescribeAutoScalingInstancesResponse>",
          );
        } else res.writeHead(400).end("<ErrorResponse/>");
      });
    });
    this.server = s.server;
    this.port = s.port;
  }
  stop(): Promise<unknown> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}

/** go-livepeer stand-in on the CLI port: /healthz, /status and -monitor's /metrics. */
class LivepeerStandIn {
  /** livepeer_current_sessions_total; undefined: the endpoint does not expose it. */
  sessions: number | undefined = 7;
  /** false: the sample without labels, as an exporter without node tags would write it. */
  labelled = true;
  port = 0;
  private server?: http.Server;
  async start(): Promise<void> {
    const s = await listen((req, res) => {
      if (req.url === "/healthz") res.end();
      else if (req.url === "/status") res.end('{"Version":"0.9.1"}');
      else if (req.url === "/metrics") {
        // As go-livepeer's Prometheus exporter writes it (monitor/census.go, namespace livepeer),
        // with neighbours whose names share a prefix or a suffix.
        const tags = '{node_id="ip-10-10-3-7",node_type="orch"}';
        const labels = this.labelled ? tags : "";
        const lines = [
          "# HELP go_goroutines Number of goroutines that currently exist.",
          "# TYPE go_goroutines gauge",
          "go_goroutines 212",
          "# HELP livepeer_current_sessions_total Number of streams currently transcoding",
          "# TYPE livepeer_current_sessions_total gauge",
          ...(this.sessions === undefined
            ? []
            : [`livepeer_current_sessions_total${labels} ${this.sessions}`]),
          "# TYPE livepeer_fast_verification_enabled_current_sessions_total gauge",
          `livepeer_fast_verification_enabled_current_sessions_total${tags} 99`,
          "# TYPE livepeer_max_sessions_total gauge",
          `livepeer_max_sessions_total${tags} 12`,
        ];
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end(`${lines.join("\n")}\n`);
      } else res.writeHead(404).end();
    });
    this.server = s.server;
    this.port = s.port;
  }
  stop(): Promise<unknown> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}

async function health(url: string): Promise<{ code: number; ms: number }> {
  const t0 = Date.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(10000) });
  await res.arrayBuffer();
  return { code: res.status, ms: Date.now() - t0 };
}

const logLines = (p: Proc, re: RegExp) => p.out.split("\n").filter((l) => re.test(l));

describe("health agent publishes CloudWatch metrics (IMDS, CloudWatch and go-livepeer stand-ins)", function () {
  let fresh: Chain;
  let stale: Chain;
  const imds = new ImdsStandIn();
  const cw = new CloudWatchStandIn();
  const livepeer = new LivepeerStandIn();
  let agent: Proc | undefined;

  before(async function () {
    requireTools(this, "python3");
    fresh = await startChain(await freePort(), 1337, { blockTime: 1 });
    // Genesis an hour ago and no mining: the head is an hour old.
    stale = await startChain(await freePort(), 1338, {
      blockTime: 0,
      genesisTime: new Date(Date.now() - 3600_000),
    });
    await Promise.all([imds.start(), cw.start(), livepeer.start()]);
  });

  beforeEach(function () {
    cw.calls = [];
    cw.behaviour = "ok";
    imds.secret = TEST_CREDS.secretAccessKey;
    livepeer.sessions = 7;
    livepeer.labelled = true;
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
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LF_IMDS_ENDPOINT: `http://127.0.0.1:${imds.port}`,
      LF_AWS_ENDPOINT_MONITORING: opts.monitoring ?? `http://127.0.0.1:${cw.port}`,
      LF_AWS_ENDPOINT_AUTOSCALING: `http://127.0.0.1:${cw.port}`,
    };
    delete env.LF_AWS_REGION; // the region comes from IMDS, as on an instance
    const a = await startAgent(
      [...args, "--publish", "--publish-interval", String(opts.interval ?? 0.5)].concat([
        "--publish-timeout",
        "1",
      ]),
      env,
    );
    agent = a.proc;
    return a.url;
  }

  const chainArgs = (ethUrl: string) => [
    ...["--mode", "chain", "--eth-url", ethUrl, "--max-head-age", "30", "--unit", "prod-test"],
  ];
  const nodeArgs = (ethUrl: string) => [
    ...["--mode", "node", "--eth-url", ethUrl, "--max-head-age", "30"],
    ...["--livepeer-url", `http://127.0.0.1:${livepeer.port}/healthz`],
    ...["--status-url", `http://127.0.0.1:${livepeer.port}/status`],
    ...["--metrics-url", `http://127.0.0.1:${livepeer.port}/metrics`],
  ];
  const waitPuts = (n: number, maxMs = 10000) =>
    waitFor(`${n} PutMetricData call(s)`, () => Promise.resolve(cw.puts().length >= n), maxMs, 50);
  const unitDims = [[UNIT_DIMENSION, "prod-test"]];

  it("chain node, synced and fresh: ChainSynced 1 and ChainHeadAgeSeconds, Unit=<stack>, every interval", async function () {
    const url = await start(chainArgs(fresh.url));
    const t0 = Date.now();
    await waitPuts(3);
    // Three rounds at 0.5 s: a steady cadence, neither a burst nor a stall.
    expect(Date.now() - t0).to.be.within(700, 6000);
    for (const c of cw.puts()) {
      expect(c.scope).to.equal(`monitoring/${REGION}`);
      expect(c.params.get("Version")).to.equal("2010-08-01");
      expect(c.params.get("Namespace")).to.equal(METRIC_NAMESPACE);
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
    expect(cw.calls.every((c) => c.signatureOk)).to.equal(true);
    expect((await health(url)).code).to.equal(200);
  });

  it("chain node, stale head: ChainSynced 0 and the head's age", async function () {
    await start(chainArgs(stale.url));
    await waitPuts(1);
    const data = metricData(cw.puts()[0].params);
    const byName = Object.fromEntries(data.map((d) => [d.name, d]));
    expect(byName[NODE_METRICS.chainSynced].value).to.equal(0);
    expect(byName[NODE_METRICS.chainHeadAgeSeconds].value).to.be.within(3500, 3700);
    for (const d of data) expect(d.dimensions).to.deep.equal(unitDims);
  });

  it("chain node, client down: ChainSynced 0 and no age (unknown, not zero)", async function () {
    const url = await start(chainArgs(`http://127.0.0.1:${await freePort()}`));
    await waitPuts(1);
    expect(metricData(cw.puts()[0].params)).to.deep.equal([
      { name: NODE_METRICS.chainSynced, value: 0, unit: "None", dimensions: unitDims },
    ]);
    expect((await health(url)).code).to.equal(503);
  });

  it("orchestrator node: CurrentSessions from go-livepeer's /metrics, only AutoScalingGroupName (looked up once)", async function () {
    const url = await start(nodeArgs(fresh.url));
    await waitPuts(1);
    for (const [sessions, labelled] of [
      [3, true],
      [5, false],
    ] as const) {
      livepeer.sessions = sessions;
      livepeer.labelled = labelled;
      await waitFor(
        `a datapoint of ${sessions} sessions`,
        () => Promise.resolve(cw.puts().some((c) => metricData(c.params)[0]?.value === sessions)),
        10000,
        50,
      );
    }
    for (const c of cw.puts()) {
      expect(c.scope).to.equal(`monitoring/${REGION}`);
      expect(c.params.get("Namespace")).to.equal(METRIC_NAMESPACE);
      const data = metricData(c.params);
      expect(data).to.have.length(1);
      expect(data[0]).to.deep.include({ name: NODE_METRICS.currentSessions, unit: "Count" });
      // Exactly the one dimension the target-tracking policy averages by (node-scaling.ts).
      expect(data[0].dimensions).to.deep.equal([["AutoScalingGroupName", GROUP]]);
    }
    expect(metricData(cw.puts()[0].params)[0].value).to.equal(7);
    const lookups = cw.calls.filter((c) => c.action === "DescribeAutoScalingInstances");
    expect(lookups).to.have.length(1);
    expect(lookups[0]).to.deep.include({ scope: `autoscaling/${REGION}`, signatureOk: true });
    expect(lookups[0].params.get("InstanceIds.member.1")).to.equal(INSTANCE);
    expect((await health(url)).code).to.equal(200);
  });

  it("orchestrator node: no datapoint while go-livepeer does not expose the sessions gauge", async function () {
    livepeer.sessions = undefined;
    const url = await start(nodeArgs(fresh.url), { interval: 0.3 });
    await waitFor(
      "the agent to log the missing gauge",
      () => Promise.resolve(/no livepeer_current_sessions_total/.test(agent?.out ?? "")),
      10000,
      50,
    );
    await sleep(1000);
    expect(cw.puts()).to.deep.equal([]);
    expect((await health(url)).code).to.equal(200);
  });

  it("CloudWatch down: /healthz keeps answering within 2 s; one bounded log line per failure streak", async function () {
    const url = await start(chainArgs(fresh.url), {
      interval: 0.2,
      monitoring: `http://127.0.0.1:${await freePort()}`,
    });
    for (let i = 0; i < 5; i++) {
      const r = await health(url);
      expect(r.code).to.equal(200);
      expect(r.ms).to.be.below(2000);
      await sleep(300);
    }
    expect(agent?.exited).to.equal(false);
    const lines = logLines(agent!, /metrics: publish failed/);
    // ~10 failed rounds in 2 s; the agent logs the first of a streak and then every 15th.
    expect(lines).to.have.length(1);
    expect(lines[0].length).to.be.at.most(300);
    expect(lines[0]).to.match(/Connection refused|unreachable|Errno/i);
  });

  it("CloudWatch slow: /healthz answers within 2 s while a publish hangs; publishing resumes after", async function () {
    cw.behaviour = "slow";
    const url = await start(chainArgs(fresh.url));
    await waitFor("a PutMetricData to hang", () => Promise.resolve(cw.calls.length > 0), 10000, 50);
    for (let i = 0; i < 3; i++) {
      const r = await health(url);
      expect(r.code).to.equal(200);
      expect(r.ms).to.be.below(2000);
    }
    await waitFor(
      "the publish timeout to be logged",
      () => Promise.resolve(/metrics: publish failed.*timed out/i.test(agent?.out ?? "")),
      10000,
      50,
    );
    cw.behaviour = "ok";
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
    await waitFor("a refused call", () => Promise.resolve(cw.calls.length > 0), 10000, 50);
    expect(cw.calls[0].signatureOk).to.equal(false);
    await waitFor(
      "the refusal to be logged",
      () => Promise.resolve(/publish failed.*HTTP 403/.test(agent?.out ?? "")),
      10000,
      50,
    );
    expect(agent?.out).not.to.include("not-the-secret");
    expect((await health(url)).code).to.equal(200);
  });

  it("refuses --publish in chain mode without --unit", function () {
    const r = spawnSync(
      "python3",
      [path.join(NODE_DIR, "health-agent.py"), ...["--mode", "chain", "--port", "0"]].concat([
        "--eth-url",
        "http://127.0.0.1:1",
        "--publish",
      ]),
      { encoding: "utf8", timeout: 10000 },
    );
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--unit/);
  });
});

describe("instance roles may publish the fleet's metrics only (prod-us-east-1 under the mock monitor)", function () {
  const e = evaluate("prod-us-east-1");
  const publish = {
    Sid: "PublishFleetMetrics",
    Effect: "Allow",
    Action: "cloudwatch:PutMetricData",
    // PutMetricData has no resource-level permissions: the namespace condition is the scope.
    Resource: "*",
    Condition: { StringEquals: { "cloudwatch:namespace": METRIC_NAMESPACE } },
  };

  it("orchestrator nodes: PutMetricData in LivepeerFleet, and finding their own group", function () {
    const p = one(e, "aws:iam/rolePolicy:RolePolicy", "-nodes-metrics");
    expect(p.inputs.role).to.equal("prod-us-east-1-nodes-role-id");
    expect(policyOf(p).Statement).to.deep.equal([
      publish,
      {
        Sid: "FindOwnAutoScalingGroup",
        Effect: "Allow",
        Action: "autoscaling:DescribeAutoScalingInstances",
        Resource: "*",
      },
    ]);
  });

  it("chain node: PutMetricData in LivepeerFleet, nothing else", function () {
    const p = one(e, "aws:iam/rolePolicy:RolePolicy", "-chain-metrics");
    expect(p.inputs.role).to.equal("prod-us-east-1-chain-role-id");
    expect(policyOf(p).Statement).to.deep.equal([publish]);
  });

  it("the launch templates run the agent with --publish (chain: Unit=<stack>; node: go-livepeer's /metrics)", function () {
    const env = (suffix: string) => {
      const lt = one(e, "aws:ec2/launchTemplate:LaunchTemplate", suffix);
      const script = gunzipSync(Buffer.from(String(lt.inputs.userData), "base64")).toString();
      expect(script).to.include("/opt/livepeer-fleet/bin/awsapi.py <<'LF_FILE_EOF'");
      return /^LF_HEALTH_ARGS='(.*)'$/m.exec(script)?.[1] ?? "";
    };
    expect(env("-chain-lt")).to.match(/ --publish --unit prod-us-east-1$/);
    expect(env("-nodes-lt")).to.match(
      / --publish --metrics-url http:\/\/127\.0\.0\.1:7935\/metrics$/,
    );
  });
});
