// The reward watcher Lambda, the alarms with their SNS topic, and the dashboard, built in-process
// from the fixture config under the mock monitor.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { PROJECT_DIR, one, ofType, policyOf } from "./helpers/program";
import { buildUnit } from "./helpers/components";
import { FIXTURE_ORCHESTRATOR, FIXTURE_REDEEMER, fixtureDesign } from "./fixtures/region";
import type { Evaluation, RecordedResource } from "../lib/plan/evaluate";
import { NODE_METRICS, ROLE_METRIC_NAMESPACES, WATCHER_METRICS } from "../lib/runtime-contract";
import { knownMetrics } from "../lib/monitoring/aws-metrics";
import { MetricRow, metricRows } from "../lib/monitoring/dashboard";
import { bundleWatcher, WATCHER_NODE_TARGET, WATCHER_RUNTIME } from "../lib/watcher/bundle";
import { Runtime } from "@pulumi/aws/types/enums/lambda";

const STACK = "test-us-east-1";
const ACCOUNT = "123456789012";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${STACK}-keys-key-key-id`;
const PARAM = `/livepeer-fleet/${STACK}/watcher/rpc-url`;

const CHAIN_NS = ROLE_METRIC_NAMESPACES["chain-node"];
const ORCH_NS = ROLE_METRIC_NAMESPACES.orchestrator;
const WATCHER_NS = ROLE_METRIC_NAMESPACES["reward-watcher"];

/** Our metrics, each in the namespace of the role that publishes it. */
const OURS = new Map<string, string[]>([
  [CHAIN_NS, [NODE_METRICS.chainSynced, NODE_METRICS.chainHeadAgeSeconds]],
  [
    ORCH_NS,
    [
      NODE_METRICS.currentSessions,
      NODE_METRICS.maxSessions,
      NODE_METRICS.transcoders,
      NODE_METRICS.transcoderCapacity,
    ],
  ],
  [WATCHER_NS, Object.values(WATCHER_METRICS)],
]);

/** Is a (namespace, metric) pair something that exists: ours or AWS's catalogued ones? */
function isRealMetric(namespace: string, metric: string): boolean {
  const ours = OURS.get(namespace);
  if (ours) return ours.includes(metric);
  return knownMetrics().get(namespace)?.has(metric) ?? false;
}

function alarms(e: Evaluation): Record<string, RecordedResource> {
  return Object.fromEntries(
    ofType(e, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => [
      String(a.inputs.name).replace(`${e.stack}-`, ""),
      a,
    ]),
  );
}

describe("reward watcher Lambda under the mock monitor", () => {
  let e: Evaluation;
  let fn: RecordedResource;
  let policy: RecordedResource;
  let logs: RecordedResource;
  before(async () => {
    e = await buildUnit(fixtureDesign());
    fn = one(e, "aws:lambda/function:Function", "-ops-watcher-fn");
    policy = one(e, "aws:iam/rolePolicy:RolePolicy", "-ops-watcher-policy");
    logs = one(e, "aws:cloudwatch/logGroup:LogGroup", "-ops-watcher-logs");
  });

  it("gets its settings from the environment: the parameter's name, never an RPC URL", () => {
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    expect(env).to.deep.equal({
      RPC_URL_PARAMETER: PARAM,
      CONTROLLER_ADDRESS: "0xD8E8328501E9645d16Cf49539efC04f734606ee4",
      ORCHESTRATOR_ADDRESS: FIXTURE_ORCHESTRATOR,
      // The region's redeemer (redemption gas), then the orchestrator (reward gas).
      GAS_ACCOUNTS: `${FIXTURE_REDEEMER},${FIXTURE_ORCHESTRATOR}`,
      CHAIN_ID: "42161",
      LOG_CHUNK_BLOCKS: "50000",
      UNIT: STACK,
      METRIC_NAMESPACE: "LivepeerFleet/Watcher",
      REWARD_NOT_CALLED_ROUND_FRACTION: "0.25",
      ROUND_NOT_INITIALIZED_BLOCKS: "300",
      MIN_GAS_BALANCE_ETH: "0.05",
    });
    for (const v of Object.values(env)) expect(v).not.to.match(/^https?:/);
  });

  it("deploys the bundle this checkout builds, on the runtime it targets", () => {
    expect(fn.inputs).to.include({ runtime: WATCHER_RUNTIME, handler: "index.handler" });
    const tags = fn.inputs.tags as Record<string, string>;
    expect(tags["livepeer-fleet:bundle-sha256"]).to.equal(bundleWatcher().sha256);
  });

  it("runs on the newest Node.js runtime @pulumi/aws offers, never one AWS has deprecated", () => {
    const node = Object.values(Runtime)
      .filter((r) => /^nodejs\d+\.x$/.test(r))
      .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
    expect(WATCHER_RUNTIME).to.equal(node[node.length - 1]);
    // docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html: nodejs20.x deprecated 2026-04-30,
    // creating functions blocked from 2026-08-31; earlier ones long since.
    for (const old of ["nodejs16.x", "nodejs18.x", "nodejs20.x"]) {
      expect(fn.inputs.runtime).to.not.equal(old);
    }
    // The bundle targets the same Node.js major the function runs.
    expect(WATCHER_NODE_TARGET).to.equal(`node${/\d+/.exec(WATCHER_RUNTIME)![0]}`);
  });

  it("may read only its parameter, decrypt only it through SSM, publish only to its namespace", () => {
    const s = policyOf(policy).Statement;
    expect(s.map((x) => x.Sid)).to.deep.equal([
      "ReadRpcUrl",
      "DecryptRpcUrlThroughSsm",
      "PublishOwnNamespace",
      "WriteOwnLogs",
      "NeverReadSecretParameters",
      "NoParameterPathReads",
      "NeverDecryptSecretParameters",
    ]);
    const arn = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${PARAM}`;
    expect(s[0]).to.deep.include({ Action: "ssm:GetParameter", Resource: [arn] });
    expect(s[1]).to.deep.include({
      Action: "kms:Decrypt",
      Resource: KEY_ARN,
      Condition: {
        StringEquals: {
          "kms:ViaService": "ssm.us-east-1.amazonaws.com",
          "kms:EncryptionContext:PARAMETER_ARN": [arn],
        },
      },
    });
    expect(s[2]).to.deep.include({
      Action: "cloudwatch:PutMetricData",
      Condition: { StringEquals: { "cloudwatch:namespace": "LivepeerFleet/Watcher" } },
    });
    // Key material of any unit, the orchestrator secret and the chain's hosted RPC URLs: denied.
    expect(s[4].Effect).to.equal("Deny");
    expect(s[4].Resource).to.include.members([
      `arn:aws:ssm:*:${ACCOUNT}:parameter/*/orchestrator/keystore`,
      `arn:aws:ssm:*:${ACCOUNT}:parameter/*/redeemer/passphrase`,
      `arn:aws:ssm:*:${ACCOUNT}:parameter/*/orch-secret`,
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/livepeer-fleet/${STACK}/chain/rpc-endpoints`,
    ]);
    expect(s[4].Resource).not.to.include(arn);
    expect(s[3].Resource).to.equal(
      `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${String(logs.inputs.name)}:*`,
    );
    expect(logs.inputs.kmsKeyId).to.equal(KEY_ARN);
    // No managed policies (AWSLambdaBasicExecutionRole would allow any log group).
    const attached = ofType(e, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
    expect(attached.filter((a) => String(a.inputs.role).includes("watcher"))).to.have.length(0);
  });

  it("runs on its EventBridge schedule, which alone may invoke it", () => {
    const rule = one(e, "aws:cloudwatch/eventRule:EventRule", "-ops-watcher-schedule");
    expect(rule.inputs.scheduleExpression).to.equal("rate(10 minutes)");
    const target = one(e, "aws:cloudwatch/eventTarget:EventTarget", "-ops-watcher-target");
    expect(target.inputs.arn).to.match(/ops-watcher-fn$/);
    const perm = one(e, "aws:lambda/permission:Permission", "-ops-watcher-invoke");
    expect(perm.inputs).to.include({ principal: "events.amazonaws.com" });
    expect(perm.inputs.sourceArn).to.match(/ops-watcher-schedule$/);
  });
});

/** key -> [namespace, metric, statistic, comparison, threshold, missing data, dimensions]. */
const EXPECTED: Record<
  string,
  [string, string, string, string, number, string, Record<string, string>]
> = {
  "reward-not-called": [
    "LivepeerFleet/Watcher",
    "RewardPendingRoundFraction",
    "Maximum",
    "GreaterThanOrEqualToThreshold",
    0.25,
    "missing",
    { Unit: STACK },
  ],
  "round-not-initialized": [
    "LivepeerFleet/Watcher",
    "BlocksIntoUninitializedRound",
    "Maximum",
    "GreaterThanOrEqualToThreshold",
    300,
    "missing",
    { Unit: STACK },
  ],
  "gas-balance-low": [
    "LivepeerFleet/Watcher",
    "GasBalanceEth",
    "Minimum",
    "LessThanThreshold",
    0.05,
    "missing",
    { Unit: STACK },
  ],
  "orchestrator-inactive": [
    "LivepeerFleet/Watcher",
    "OrchestratorActive",
    "Maximum",
    "LessThanThreshold",
    1,
    "missing",
    { Unit: STACK },
  ],
  "watcher-silent": [
    "LivepeerFleet/Watcher",
    "WatcherHeartbeat",
    "Sum",
    "LessThanThreshold",
    1,
    "breaching",
    { Unit: STACK },
  ],
  "no-healthy-targets": [
    "AWS/NetworkELB",
    "HealthyHostCount",
    "Minimum",
    "LessThanThreshold",
    1,
    "breaching",
    {
      LoadBalancer: `net/${STACK}-disc/0123456789abcdef`,
      TargetGroup: `targetgroup/${STACK}-orch/0123456789abcdef`,
    },
  ],
  "healthy-targets-low": [
    "AWS/NetworkELB",
    "HealthyHostCount",
    "Minimum",
    "LessThanThreshold",
    2,
    "missing",
    {
      LoadBalancer: `net/${STACK}-disc/0123456789abcdef`,
      TargetGroup: `targetgroup/${STACK}-orch/0123456789abcdef`,
    },
  ],
  "chain-lagging": [
    "LivepeerFleet/Chain",
    "ChainHeadAgeSeconds",
    "Maximum",
    "GreaterThanThreshold",
    120,
    "missing",
    { Unit: STACK },
  ],
  "chain-down": [
    "LivepeerFleet/Chain",
    "ChainSynced",
    "Maximum",
    "LessThanThreshold",
    1,
    "breaching",
    { Unit: STACK },
  ],
  "chain-restart-failed": [
    "AWS/Events",
    "TriggeredRules",
    "Sum",
    "GreaterThanOrEqualToThreshold",
    1,
    "notBreaching",
    { RuleName: `${STACK}-chain-restart-failed` },
  ],
  "snapshot-failed": [
    "AWS/EBS",
    "SnapshotsCreateFailed",
    "Sum",
    "GreaterThanOrEqualToThreshold",
    1,
    "notBreaching",
    { DLMPolicyId: `${STACK}-ops-snapshots-policy-id` },
  ],
  "snapshot-policy-error": [
    "AWS/Events",
    "TriggeredRules",
    "Sum",
    "GreaterThanOrEqualToThreshold",
    1,
    "notBreaching",
    { RuleName: `${STACK}-snapshot-policy-error` },
  ],
  "node-group-at-max": [
    "AWS/AutoScaling",
    "GroupDesiredCapacity",
    "Minimum",
    "GreaterThanOrEqualToThreshold",
    6,
    "missing",
    { AutoScalingGroupName: `${STACK}-tc-asg-physical` },
  ],
};

describe("alarms and their SNS topic under the mock monitor", () => {
  let e: Evaluation;
  let a: Record<string, RecordedResource>;
  let topic: RecordedResource;
  let topicArn: string;
  before(async () => {
    e = await buildUnit(fixtureDesign());
    a = alarms(e);
    topic = one(e, "aws:sns/topic:Topic", "-ops-alarms-topic");
    topicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:${topic.name}`;
  });

  it("has exactly the issue's alarms (plus inactive orchestrator), nothing unaccounted for", () => {
    expect(Object.keys(a)).to.have.members(Object.keys(EXPECTED));
  });

  for (const [key, [ns, metric, stat, cmp, threshold, missing, dims]] of Object.entries(EXPECTED)) {
    it(`${key}: ${ns} ${metric} ${stat} ${cmp} ${threshold}, missing data ${missing}, notifies the unit topic`, () => {
      const i = a[key].inputs;
      expect(i).to.include({
        namespace: ns,
        metricName: metric,
        statistic: stat,
        comparisonOperator: cmp,
        threshold,
        treatMissingData: missing,
      });
      expect(i.dimensions).to.deep.equal(dims);
      expect(i.alarmActions).to.deep.equal([topicArn]);
      expect(isRealMetric(ns, metric), `${ns}/${metric}`).to.equal(true);
      expect(String(i.alarmDescription).length).to.be.within(80, 1024);
      expect(Number(i.period) * Number(i.evaluationPeriods)).to.be.at.most(86400);
    });
  }

  it("pages on the watcher's silence over three of its periods", () => {
    expect(a["watcher-silent"].inputs).to.include({ period: 600, evaluationPeriods: 3 });
    expect(a["chain-lagging"].inputs).to.include({ period: 60, evaluationPeriods: 30 });
    expect(a["node-group-at-max"].inputs).to.include({ period: 300, evaluationPeriods: 12 });
  });

  it("sends no recovery notice for event counts (restart, snapshot), one for state alarms", () => {
    expect(a["chain-restart-failed"].inputs.okActions).to.deep.equal([]);
    expect(a["snapshot-failed"].inputs.okActions).to.deep.equal([]);
    expect(a["reward-not-called"].inputs.okActions).to.deep.equal([topicArn]);
  });

  it("lists every alarm in docs/monitoring.md", () => {
    const doc = fs.readFileSync(path.join(PROJECT_DIR, "docs", "monitoring.md"), "utf8");
    for (const key of [...Object.keys(EXPECTED), "snapshot-copy-failed"]) {
      expect(doc, key).to.include(`| \`${key}\``);
    }
  });

  it("encrypts the topic with the unit key, whose policy lets CloudWatch use it", () => {
    expect(topic.inputs.kmsMasterKeyId).to.equal(KEY_ARN);
    const key = one(e, "aws:kms/key:Key", "-keys-key");
    const sids = policyOf(key).Statement.map((s) => s.Sid);
    expect(sids).to.include("CloudWatchAlarmsToEncryptedSns");
  });
});

describe("alarm thresholds and subscriptions from config (fixture with overrides)", () => {
  let e: Evaluation;
  let a: Record<string, RecordedResource>;
  before(async () => {
    e = await buildUnit(
      fixtureDesign({
        orchestrators: { count: 1 },
        nodeGroup: { maxSize: 4 },
        demand: {
          peakStreams: [
            20, 22, 20, 15, 10, 5, 4, 3, 3, 4, 5, 6, 8, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 20,
          ],
        },
        alarms: {
          rewardNotCalledRoundFraction: 0.4,
          minGasBalanceEth: 0.2,
          chainLagMinutes: 15,
          subscriptions: [
            { protocol: "email", endpoint: "ops@example.com" },
            { protocol: "https", endpoint: "https://pager.example.com/hook" },
          ],
        },
        rewardWatcher: { scheduleMinutes: 5 },
      }),
    );
    a = alarms(e);
  });

  it("takes every threshold from config", () => {
    expect(a["reward-not-called"].inputs).to.include({ threshold: 0.4, period: 300 });
    expect(a["gas-balance-low"].inputs.threshold).to.equal(0.2);
    expect(a["chain-down"].inputs.evaluationPeriods).to.equal(15);
    // One orchestrator: "fewer than N healthy" would duplicate "no healthy targets".
    expect(a["healthy-targets-low"]).to.equal(undefined);
    expect(a["node-group-at-max"].inputs.threshold).to.equal(4);
  });

  it("subscribes each configured endpoint to the unit topic and the key-change topic, keyed by endpoint", () => {
    const subs = ofType(e, "aws:sns/topicSubscription:TopicSubscription");
    const endpoints = [
      ["email", "ops@example.com"],
      ["https", "https://pager.example.com/hook"],
    ];
    for (const [topic, pattern] of [
      ["-ops-alarms-topic", /-ops-alarms-sub-[0-9a-f]{10}$/],
      ["-ops-alarms-key-change", /-ops-alarms-key-change-sub-[0-9a-f]{10}$/],
    ] as const) {
      const arn = one(e, "aws:sns/topic:Topic", topic).outputs?.arn;
      const mine = subs.filter((s) => s.inputs.topic === arn);
      expect(mine.map((s) => [s.inputs.protocol, s.inputs.endpoint])).to.have.deep.members(
        endpoints,
      );
      for (const s of mine) expect(s.name).to.match(pattern);
    }
    expect(subs).to.have.length(4);
  });
});

describe("dashboard under the mock monitor", () => {
  let d: RecordedResource;
  let body: Parameters<typeof metricRows>[0];
  let rows: MetricRow[];
  before(async () => {
    const e = await buildUnit(fixtureDesign());
    d = one(e, "aws:cloudwatch/dashboard:Dashboard", "-ops-dashboard-dashboard");
    body = JSON.parse(String(d.inputs.dashboardBody)) as Parameters<typeof metricRows>[0];
    rows = metricRows(body);
  });

  it("is named for the stack", () => {
    expect(d.inputs.dashboardName).to.equal(`livepeer-fleet-${STACK}`);
  });

  it("references only real metric names (and the check rejects a misspelt one)", () => {
    expect(isRealMetric("AWS/EBS", "SnapshotCreateFailed")).to.equal(false);
    expect(isRealMetric(CHAIN_NS, "ChainHeadAge")).to.equal(false);
    // A metric in another role's namespace is no metric at all.
    expect(isRealMetric(WATCHER_NS, NODE_METRICS.chainSynced)).to.equal(false);
    expect(rows.length).to.be.greaterThan(15);
    for (const [ns, metric] of rows) {
      expect(ns).to.be.a("string");
      expect(metric).to.be.a("string");
      const [n, m] = [ns as string, metric as string];
      expect(isRealMetric(n, m), `${n}/${m}`).to.equal(true);
    }
  });

  it("points its dimensions at this unit's resources", () => {
    const dims = rows.flatMap((r) => r.slice(2).filter((x) => typeof x === "string"));
    expect(dims).to.include.members([
      `${STACK}-tc-asg-physical`,
      `targetgroup/${STACK}-orch/0123456789abcdef`,
      `${STACK}-ops-snapshots-policy-id`,
      `${STACK}-chain-restart-succeeded`,
      `${STACK}-chain-restart-failed`,
      `${STACK}-reward-watcher`,
      STACK,
    ]);
    const log = body.widgets.find((w) => w.type === "log")!;
    expect(String(log.properties.query)).to.include(
      `SOURCE '/aws/events/livepeer-fleet/${STACK}/maintenance'`,
    );
    const alarmWidget = body.widgets.find((w) => w.type === "alarm")!;
    expect(alarmWidget.properties.alarms).to.have.length(Object.keys(EXPECTED).length);
  });

  it("has the issue's panels", () => {
    const titles = body.widgets.map((w) => String(w.properties.title));
    for (const t of [
      "Sessions",
      "Healthy targets",
      "Transcoder count vs schedule",
      "Chain head lag",
      "Reward status",
      "ETH balance",
      "Restart and snapshot history",
    ]) {
      expect(
        titles.some((x) => x.startsWith(t)),
        t,
      ).to.equal(true);
    }
  });
});
