// Preflight with injected AWS clients: stand-ins for SSM, EC2, Service Quotas and Route 53 that
// answer the read-only calls the way the real APIs shape them, over the real program's plan of
// prod-us-east-1 (the fleet's home region; 3 AZs, one NAT gateway and 3 orchestrator slots: 4
// Elastic IPs) made deployable by config overrides.
import { expect } from "chai";
import { RegionConfigSchema, resolveDerived, FleetConfigSchema } from "../lib/config/schema";
import type { Evaluation } from "../lib/plan/evaluate";
import { BotocoreModels } from "../lib/checks/botocore";
import { exitCode, preflight, QUOTAS, render, type CheckResult } from "../lib/preflight/run";
import { requiredParameters } from "../lib/preflight/parameters";
import { stackNeeds } from "../lib/preflight/needs";
import { deployContext } from "../lib/ops/deploy-order";
import { main } from "../scripts/preflight";
import { evaluate, PROJECT_DIR } from "./helpers/program";
import { requireBotocore } from "./helpers/tools";
import {
  clients,
  config,
  DEPLOYABLE,
  readyAccount,
  STACK,
  type Account,
} from "./helpers/aws-account";

const blockers = (r: CheckResult[]) => r.filter((x) => x.level === "blocker");

describe("preflight with injected AWS clients (stand-ins), over the real plan of prod-us-east-1", function () {
  let e: Evaluation;
  before(function () {
    e = evaluate(STACK, DEPLOYABLE);
  });

  const run = (a: Account, c = config(), evaluation = e, models?: BotocoreModels) =>
    preflight({
      stack: STACK,
      region: "us-east-1",
      regionConfig: c,
      homeRegion: true,
      evaluation,
      clients: clients(a),
      models,
    });

  it("reads what the plan asks of the account: 4 Elastic IPs, every group with its type and AZs", function () {
    const n = stackNeeds(e);
    expect(n.eips).to.equal(4);
    expect(
      n.groups.map((g) => [g.name, g.instanceType, g.maxSize, g.azs.join()]),
    ).to.have.deep.members([
      ["prod-us-east-1-tc-asg", "g4dn.xlarge", 35, "us-east-1a,us-east-1b,us-east-1c"],
      ["prod-us-east-1-chain-asg", "r7i.2xlarge", 1, "us-east-1a"],
      ["prod-us-east-1-orch-a-asg", "c6in.large", 1, "us-east-1a"],
      ["prod-us-east-1-orch-b-asg", "c6in.large", 1, "us-east-1b"],
      ["prod-us-east-1-orch-c-asg", "c6in.large", 1, "us-east-1c"],
    ]);
    expect(n.hostedZones).to.deep.equal([]);
  });

  it("ready: exit 0 when every check passes", async function () {
    const r = await run(readyAccount());
    expect(blockers(r), render(r)).to.deep.equal([]);
    expect(exitCode(r)).to.equal(0);
    expect(render(r)).to.include("ready: every check passed");
    expect(render(r)).to.include("quota 10");
  });

  it("blocks on each missing parameter, a plain String and the default key, naming the step that puts it", async function () {
    const c = config();
    const a = readyAccount(c);
    const [keystore, passphrase, , , endpoints, watcher] = requiredParameters(c, true).map(
      (p) => p.name,
    );
    delete a.parameters[keystore];
    a.parameters[passphrase] = ["String", ""];
    a.parameters[endpoints] = ["SecureString", "alias/aws/ssm"];
    delete a.parameters[watcher];
    const r = await run(a, c);
    expect(exitCode(r)).to.equal(1);
    expect(blockers(r).map((b) => [b.step, b.message.split(" ")[0]])).to.deep.equal([
      ["identity", keystore],
      ["identity", passphrase],
      ["rpcEndpoints", endpoints],
      ["watcherUrl", watcher],
    ]);
    const text = render(r, deployContext(STACK, "prod", "us-east-1", c, "us-east-1"));
    expect(text).to.include(`fix: npm run identity:import -- --stack ${STACK} --role orchestrator`);
    expect(text).to.include(`--name ${watcher} --value file:///dev/stdin`);
  });

  it("blocks when the Elastic IPs would pass the quota (5 by default; other addresses count, the stack's own not)", async function () {
    const a = readyAccount();
    a.quotas = { [QUOTAS.gAndVtVcpus.code]: 160 };
    a.defaults = { [QUOTAS.elasticIps.code]: 5 };
    a.addresses = [{ unit: STACK }, { unit: "prod-eu-west-1" }, {}];
    const r = await run(a);
    const b = blockers(r);
    expect(b.map((x) => x.check)).to.deep.equal(["quotas"]);
    expect(b[0].message).to.include(
      "the stack allocates 4, 2 other address(es) are allocated, quota 5",
    );
    expect(b[0].fix).to.equal(
      "aws service-quotas request-service-quota-increase --region us-east-1 --service-code ec2 --quota-code L-0263D0A3 --desired-value 6",
    );
  });

  it("blocks when the GPU group's maximum needs more G and VT vCPUs than the quota (a new account's 0)", async function () {
    const a = readyAccount();
    a.quotas[QUOTAS.gAndVtVcpus.code] = 0;
    const b = blockers(await run(a));
    expect(b).to.have.length(1);
    expect(b[0].message).to.include("max 35 x g4dn.xlarge (4 vCPUs) = 140 vCPUs, quota 0");
    expect(b[0].fix).to.include("--quota-code L-DB2E81BA --desired-value 140");
  });

  it("blocks on an instance type not offered in one of the AZs it would launch in", async function () {
    const a = readyAccount();
    a.offered = a.offered.filter((o) => o !== "g4dn.xlarge@us-east-1c");
    const b = blockers(await run(a));
    expect(b.map((x) => x.message)).to.deep.equal([
      "g4dn.xlarge is not offered in us-east-1c for this account (prod-us-east-1-tc-asg)",
    ]);
  });

  it("checks a hosted zone the plan looks up, and blocks when it does not exist", async function () {
    const withZone: Evaluation = {
      ...e,
      invokes: [
        ...e.invokes,
        {
          token: "aws:route53/getZone:getZone",
          inputs: { name: "livepeer.example.net" },
          provider: "",
        },
      ],
    };
    const missing = blockers(await run(readyAccount(), config(), withZone));
    expect(missing.map((b) => b.message)).to.deep.equal([
      "hosted zone livepeer.example.net (aws:route53/getZone:getZone) does not exist in this account",
    ]);
    const a = readyAccount();
    a.zones = ["livepeer.example.net."];
    const r = await run(a, config(), withZone);
    expect(blockers(r)).to.deep.equal([]);
    expect(render(r)).to.include("hosted zone livepeer.example.net exists");
  });

  it("warns about a Nitro chain node below Arbitrum's published minimum", async function () {
    const c = config({ chainNode: { instanceType: "m7i.xlarge" } });
    const a = readyAccount(c);
    a.offered.push("m7i.xlarge@us-east-1a");
    const e2 = evaluate(STACK, {
      ...DEPLOYABLE,
      "livepeer-fleet:chainNode": { instanceType: "m7i.xlarge" },
    });
    const r = await run(a, c, e2);
    expect(exitCode(r)).to.equal(0);
    expect(
      r
        .filter((x) => x.level === "warning")
        .map((x) => x.message)
        .join(),
    ).to.include(
      "m7i.xlarge: 4 vCPUs, 16 GiB; Arbitrum's minimum for a full node is 8 cores and 64 GB",
    );
  });

  it("could not check: exit 2 without credentials, and offline, while nothing blocks", async function () {
    const a = readyAccount();
    a.fail = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    const r = await run(a);
    expect(exitCode(r)).to.equal(2);
    expect(render(r)).to.include("?        ssm: could not check: CredentialsProviderError");
    const offline = await preflight({
      stack: STACK,
      region: "us-east-1",
      regionConfig: config(),
      homeRegion: true,
      evaluation: e,
    });
    expect(exitCode(offline)).to.equal(2);
    expect(render(offline)).to.include("offline: SSM parameters, quotas");
  });

  it("blocks on unset pins and shipped examples before anything else, each with its fix", async function () {
    const c = resolveDerived(
      RegionConfigSchema.parse({
        network: { cidr: "10.10.0.0/16" },
        livepeer: {
          orchestratorAddress: "0x11D12AfEF50b1FeE02146020533857d35936035D",
          redeemerAddress: "0x1000000000000000000000000000000000000001",
        },
      }),
      STACK,
    );
    const r = await preflight({
      stack: STACK,
      region: "us-east-1",
      regionConfig: c,
      homeRegion: true,
      evaluation: e,
    });
    expect(exitCode(r)).to.equal(1);
    const text = render(r);
    expect(text.indexOf("amis.ubuntu")).to.be.below(text.indexOf("offline"));
    expect(text).to.include(`fix: npm run amis -- --stack ${STACK} --write`);
    expect(text).to.include(
      `fix: set livepeer-fleet:livepeer.orchestratorAddress in Pulumi.${STACK}.yaml`,
    );
    expect(text).to.include(
      `fix: set livepeer-fleet:livepeer.redeemerAddress in Pulumi.${STACK}.yaml`,
    );
  });

  it("turns AWS API-model findings into blockers (an apostrophe in a rule description)", async function () {
    requireBotocore(this);
    const clean = await run(readyAccount(), config(), e, new BotocoreModels());
    expect(blockers(clean)).to.deep.equal([]);
    const bad = JSON.parse(JSON.stringify(e)) as Evaluation;
    const rule = bad.resources.find((r) => r.name.endsWith("-orch-health-in"))!;
    rule.inputs.description = "Health agent, from the NLB's addresses";
    const r = await run(readyAccount(), config(), bad, new BotocoreModels());
    expect(blockers(r).map((b) => b.check)).to.deep.equal(["api-models"]);
    expect(blockers(r)[0].message).to.include("-orch-health-in description");
  });

  it("a fleet stack: blocked by the example repository until it is replaced", async function () {
    const fleet = (repo: string) =>
      preflight({
        stack: "prod",
        fleetConfig: FleetConfigSchema.parse({
          regions: ["us-east-1"],
          driftCheck: { githubRepository: repo },
        }),
      });
    expect(exitCode(await fleet("example-org/livepeer-fleet"))).to.equal(1);
    expect(exitCode(await fleet("my-org/livepeer-fleet"))).to.equal(0);
  });

  it("npm run preflight: the shipped stack is blocked, the plan evaluated once, the clients in its region", async function () {
    let out = "";
    const regions: string[] = [];
    const code = await main(["--stack", STACK], {
      projectDir: PROJECT_DIR,
      evaluate: (stack) => Promise.resolve(evaluate(stack)),
      clients: (region) => {
        regions.push(region);
        return clients(readyAccount());
      },
      models: new BotocoreModels("/nonexistent"),
      out: (t) => (out += t),
      err: (t) => (out += t),
    });
    expect(code).to.equal(1);
    expect(regions).to.deep.equal(["us-east-1"]);
    expect(out).to.include("preflight prod-us-east-1 (us-east-1)");
    expect(out).to.include("api-models: skipped: AWS's API models are not installed");
  });
});
