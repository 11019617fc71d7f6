// The fleet's metrics store from config to resources: the `metrics` key of the fleet file, what a
// region's nodes are told (their env file), what blocks a region's deploy, and what the real
// program builds for it (the fleet's AMP workspace; each region's remote-write grants and, in the
// home region, AMP's VPC endpoint), with the grants decided by an IAM evaluation engine.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { ConfigError, loadFleetConfig } from "../lib/config/load";
import { readProjectConfig } from "../lib/config/sources";
import { MetricsSchema, type MetricsConfig } from "../lib/config/metrics-schema";
import { parseStackName, stackFileName } from "../lib/stack";
import {
  COMMUNITY_SHARE_INTERVAL_SECONDS,
  METRICS_PORTS,
  UNPINNED_WORKSPACE,
  ampRemoteWriteUrl,
  metricsDeployBlockers,
  metricsEnv,
  metricsTarget,
} from "../lib/runtime/metrics";
import { remoteWriteStatement } from "../lib/iam/policies";
import { Simulator } from "../lib/iam/access";
import type { RoleModel } from "../lib/iam/extract";
import { envLine } from "../lib/userdata";
import { evaluateStacks, scratchProject } from "../lib/checks/stacks";
import { MOCK_ACCOUNT_ID, type Evaluation, type RecordedResource } from "../lib/plan/evaluate";
import { fixtureDesign } from "./fixtures/region";
import { PROJECT_DIR } from "./helpers/program";

const fleetRole = parseStackName("prod") as Extract<
  ReturnType<typeof parseStackName>,
  { role: "fleet" }
>;
const DRIFT = { "livepeer-fleet:driftCheck": { githubRepository: "example-org/livepeer-fleet" } };
const WS = "ws-1234abcd-56ef-78ab-90cd-1234567890ab";
const ACCOUNT = MOCK_ACCOUNT_ID;

function fleetWith(metrics: unknown) {
  return loadFleetConfig(fleetRole, {
    projectValues: readProjectConfig(PROJECT_DIR),
    stackValues: {
      "livepeer-fleet:regions": ["us-east-1", "eu-west-1"],
      ...DRIFT,
      ...(metrics === undefined ? {} : { "livepeer-fleet:metrics": metrics }),
    },
  });
}

function problems(metrics: unknown): string[] {
  try {
    fleetWith(metrics);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.file}: ${p.keyPath}: ${p.message}`);
  }
  return [];
}

const parse = (m: unknown): MetricsConfig => MetricsSchema.parse(m);

describe("metrics config (livepeer-fleet:metrics in the fleet file)", function () {
  it("defaults to the fleet's AMP workspace, 30 s scrapes, no community share", function () {
    expect(fleetWith(undefined).metrics).to.deep.equal({
      store: "amp",
      scrapeIntervalSeconds: 30,
      communityDemand: { enabled: false },
    });
  });

  it("names the file, the key and what to do for each problem, all at once", function () {
    expect(problems({ store: "remoteWrite", communityDemand: { enabled: true } })).to.deep.equal([
      'Pulumi.prod.yaml: livepeer-fleet:metrics.remoteWriteUrl: required: expected the store\'s remote-write URL when store is "remoteWrite"',
      "Pulumi.prod.yaml: livepeer-fleet:metrics.communityDemand.remoteWriteUrl: required: expected the community receiver's remote-write URL when enabled is true",
    ]);
    expect(problems({ remoteWriteUrl: "https://m.example.net/w" })[0]).to.match(
      /metrics\.remoteWriteUrl: expected no remoteWriteUrl while store is "amp"/,
    );
    for (const url of [
      "http://m.example.net/w",
      "https://user:secret@m.example.net/w",
      "https://m.example.net/w?token=x",
      "https://m.example.net/w'$(x)",
    ]) {
      expect(problems({ store: "remoteWrite", remoteWriteUrl: url })[0], url).to.match(
        /metrics\.remoteWriteUrl: expected an https:\/\/ URL without credentials or query/,
      );
    }
    expect(problems({ ampWorkspaceId: "ws 1" })[0]).to.match(/expected an AMP workspace id/);
    expect(problems({ scrapeIntervalSeconds: 5 })[0]).to.match(/scrapeIntervalSeconds/);
  });
});

describe("metrics target and env (lib/runtime/metrics.ts)", function () {
  const amp = parse({ ampWorkspaceId: WS });

  it("writes to AMP in the home region with SigV4, through the VPC endpoint only there", function () {
    expect(metricsTarget(amp, "us-east-1", "us-east-1")).to.deep.include({
      url: `https://aps-workspaces.us-east-1.amazonaws.com/workspaces/${WS}/api/v1/remote_write`,
      sigv4Region: "us-east-1",
      vpcEndpoint: true,
    });
    expect(metricsTarget(amp, "us-east-1", "eu-west-1")).to.deep.include({
      url: ampRemoteWriteUrl("us-east-1", WS),
      sigv4Region: "us-east-1",
      vpcEndpoint: false,
    });
    // No pinned id yet: the plan shows a placeholder (and the deploy is blocked); no metrics
    // settings at all (component fixtures): no agent.
    expect(metricsTarget(parse({}), "us-east-1", "us-east-1")).to.deep.include({
      url: ampRemoteWriteUrl("us-east-1", UNPINNED_WORKSPACE),
      vpcEndpoint: true,
    });
    expect(metricsTarget(undefined, "us-east-1", "us-east-1").url).to.equal(undefined);
  });

  it("tells orchestrators and transcoders their store, ports and (orchestrators only) the share", function () {
    const m = parse({
      store: "remoteWrite",
      remoteWriteUrl: "https://m.example.net/api/v1/write",
      communityDemand: { enabled: true, remoteWriteUrl: "https://share.example.org/w" },
    });
    const d = fixtureDesign({}, { metrics: m });
    const orch = Object.fromEntries(metricsEnv(d, "orchestrator"));
    const tc = Object.fromEntries(metricsEnv(d, "transcoder"));
    expect(orch).to.deep.equal({
      LF_PROM_REMOTE_WRITE_URL: "https://m.example.net/api/v1/write",
      LF_PROM_SIGV4_REGION: "",
      LF_PROM_SCRAPE_INTERVAL: "30s",
      LF_PROM_PORT: METRICS_PORTS.prometheus,
      LF_NODE_EXPORTER_PORT: METRICS_PORTS.nodeExporter,
      LF_GPU_EXPORTER_PORT: "",
      LF_PROM_SHARE_URL: "https://share.example.org/w",
      LF_PROM_SHARE_INTERVAL: `${COMMUNITY_SHARE_INTERVAL_SECONDS}s`,
    });
    expect(tc.LF_PROM_SHARE_URL).to.equal("");
    expect(tc.LF_GPU_EXPORTER_PORT).to.equal(
      d.config.nodeGroup.gpu ? METRICS_PORTS.gpuExporter : "",
    );
    // Every value survives the env file's quoting rules.
    for (const [k, v] of [...metricsEnv(d, "orchestrator"), ...metricsEnv(d, "transcoder")])
      expect(() => envLine(k, v)).to.not.throw();
    const none = Object.fromEntries(metricsEnv(fixtureDesign(), "orchestrator"));
    expect(none.LF_PROM_REMOTE_WRITE_URL).to.equal("");
  });

  it("blocks a region's deploy until the fleet file names the workspace, blaming the fleet file", function () {
    const [b] = metricsDeployBlockers(parse({}), "prod");
    expect(b.file).to.equal(stackFileName("prod"));
    expect(b.keyPath).to.equal("livepeer-fleet:metrics.ampWorkspaceId");
    expect(b.message).to.include("pulumi stack output --stack prod metricsWorkspaceId");
    expect(metricsDeployBlockers(amp, "prod")).to.deep.equal([]);
    expect(
      metricsDeployBlockers(
        parse({ store: "remoteWrite", remoteWriteUrl: "https://m.x/w" }),
        "prod",
      ),
    ).to.deep.equal([]);
    expect(metricsDeployBlockers(undefined, "prod")).to.deep.equal([]);
  });
});

describe("remote-write grant (IAM evaluation engine)", function () {
  const sim = new Simulator();
  const arn = `arn:aws:aps:us-east-1:${ACCOUNT}:workspace/${WS}`;
  const role: RoleModel = {
    stack: "prod-us-east-1",
    logicalName: "orch-a",
    roleName: "orch-a",
    arn: `arn:aws:iam::${ACCOUNT}:role/orch-a`,
    componentType: "livepeer-fleet:nodes:Orchestrators",
    trustedBy: ["ec2.amazonaws.com"],
    policies: [
      {
        name: "remote-write",
        source: "inline",
        document: { Version: "2012-10-17", Statement: [remoteWriteStatement(arn)] },
      },
    ],
  };
  const decide = (action: string, resource: string) =>
    sim.decide({ role, accountId: ACCOUNT, action, resource, context: {} });

  it("lets a node write into the fleet's workspace and nothing else", async function () {
    expect(await decide("aps:RemoteWrite", arn)).to.equal("Allowed");
    expect(await decide("aps:RemoteWrite", arn.replace(WS, "ws-other"))).to.equal(
      "ImplicitlyDenied",
    );
    expect(await decide("aps:QueryMetrics", arn)).to.equal("ImplicitlyDenied");
    expect(await decide("aps:DeleteWorkspace", arn)).to.equal("ImplicitlyDenied");
  });
});

describe("metrics resources in the plan (the real program, offline)", function () {
  this.timeout(600_000);
  const FILES = ["Pulumi.prod.yaml", "Pulumi.prod-us-east-1.yaml", "Pulumi.prod-eu-west-1.yaml"];
  const byStack = new Map<string, Evaluation>();
  const scratches: string[] = [];

  function project(metrics: unknown): string {
    const dir = scratchProject(PROJECT_DIR, FILES, "lf-metrics-");
    scratches.push(dir);
    const file = path.join(dir, "Pulumi.prod.yaml");
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    doc.setIn(["config", "livepeer-fleet:metrics"], doc.createNode(metrics));
    fs.writeFileSync(file, doc.toString());
    return dir;
  }

  before(async function () {
    const amp = project({ ampWorkspaceId: WS });
    const url = project({ store: "remoteWrite", remoteWriteUrl: "https://m.example.net/w" });
    const runs: [string, string, string][] = [
      [amp, "prod", "amp prod"],
      [amp, "prod-us-east-1", "amp prod-us-east-1"],
      [amp, "prod-eu-west-1", "amp prod-eu-west-1"],
      [url, "prod", "url prod"],
      [url, "prod-us-east-1", "url prod-us-east-1"],
    ];
    for (const [dir, stack, key] of runs) {
      const [o] = await evaluateStacks(dir, [stack]);
      if (!o.evaluation) throw new Error(`${key}: ${o.error}`);
      byStack.set(key, o.evaluation);
    }
  });
  after(() => scratches.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  const ofType = (e: Evaluation, t: string) => e.resources.filter((r) => r.type === t);
  const remoteWritePolicies = (e: Evaluation): RecordedResource[] =>
    ofType(e, "aws:iam/rolePolicy:RolePolicy").filter((r) => r.name.endsWith("-remote-write"));

  it("the fleet stack owns a protected AMP workspace in the home region and outputs its id", function () {
    const e = byStack.get("amp prod")!;
    const [ws] = ofType(e, "aws:amp/workspace:Workspace");
    expect(ws.name).to.equal("prod-metrics");
    expect(ws.protect).to.equal(true);
    expect(ws.inputs.alias).to.equal("livepeer-fleet-prod");
    expect(ws.provider).to.include("prod-aws");
    expect(e.outputs.metricsWorkspaceId).to.be.a("string");
    expect(ofType(byStack.get("url prod")!, "aws:amp/workspace:Workspace")).to.have.length(0);
  });

  it("each orchestrator slot and the transcoders may remote-write into exactly that workspace", function () {
    for (const key of ["amp prod-us-east-1", "amp prod-eu-west-1"]) {
      const e = byStack.get(key)!;
      const stack = key.split(" ")[1];
      const policies = remoteWritePolicies(e);
      expect(policies.map((p) => p.name).sort(), key).to.deep.equal(
        [
          ...ofType(e, "aws:iam/role:Role")
            .filter((r) => /-orch-[a-f]-role$/.test(r.name))
            .map((r) => `${stack}-metrics-orch-${r.name.split("-orch-")[1][0]}-remote-write`),
          `${stack}-metrics-transcoders-remote-write`,
        ].sort(),
      );
      for (const p of policies) {
        const doc = JSON.parse(String(p.inputs.policy)) as { Statement: unknown[] };
        expect(doc.Statement).to.deep.equal([
          {
            Sid: "RemoteWriteFleetMetrics",
            Effect: "Allow",
            Action: "aps:RemoteWrite",
            Resource: `arn:aws:aps:us-east-1:${ACCOUNT}:workspace/${WS}`,
          },
        ]);
      }
    }
    expect(remoteWritePolicies(byStack.get("url prod-us-east-1")!)).to.have.length(0);
  });

  it("the home region reaches AMP through its interface endpoint; other regions use the public one", function () {
    const home = byStack.get("amp prod-us-east-1")!;
    const eps = ofType(home, "aws:ec2/vpcEndpoint:VpcEndpoint").filter((r) =>
      String(r.inputs.serviceName).endsWith(".aps-workspaces"),
    );
    expect(eps).to.have.length(1);
    expect(eps[0].inputs).to.deep.include({
      serviceName: "com.amazonaws.us-east-1.aps-workspaces",
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
    });
    for (const key of ["amp prod-eu-west-1", "url prod-us-east-1"]) {
      const other = ofType(byStack.get(key)!, "aws:ec2/vpcEndpoint:VpcEndpoint").filter((r) =>
        String(r.inputs.serviceName).includes("aps"),
      );
      expect(other, key).to.have.length(0);
    }
  });

  it("the workspace id from the fleet file reaches every node's env file", function () {
    const e = byStack.get("amp prod-eu-west-1")!;
    const templates = ofType(e, "aws:ec2/launchTemplate:LaunchTemplate").filter(
      (r) => !r.name.includes("chain"),
    );
    expect(templates.length).to.be.greaterThan(1);
    for (const t of templates) {
      const userData = Buffer.from(String(t.inputs.userData), "base64").toString();
      expect(userData, t.name).to.include(
        `LF_PROM_REMOTE_WRITE_URL='${ampRemoteWriteUrl("us-east-1", WS)}'`,
      );
      expect(userData, t.name).to.include("LF_PROM_SIGV4_REGION='us-east-1'");
    }
  });
});
