// AMI pins: the config key, which pin each instance kind boots, the deploy blockers for unset
// pins, and `npm run amis` against an SSM stand-in (public parameters answered like GetParameters
// does) on a temporary copy of the stack files.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetParametersCommand } from "@aws-sdk/client-ssm";
import { parse } from "yaml";
import { AMI_PARAMETERS, RegionConfigSchema, resolveDerived } from "../lib/config/schema";
import { ConfigError, loadRegionConfig } from "../lib/config/load";
import { amiParameter, pinnedAmi, requiredAmiKinds } from "../lib/config/amis";
import { deployBlockers } from "../lib/runtime/releases";
import { main } from "../scripts/amis";
import type { SsmParameterReader } from "../lib/ops/amis";
import { PROJECT_DIR } from "./helpers/program";

const BASE = {
  network: { cidr: "10.10.0.0/16" },
  livepeer: {
    orchestratorAddress: "0x00000000000000000000000000000000000000A1",
    redeemerAddress: "0x00000000000000000000000000000000000000C3",
  },
};
const config = (extra: Record<string, unknown> = {}) =>
  resolveDerived(RegionConfigSchema.parse({ ...BASE, ...extra }), "prod-us-east-1");

const UBUNTU = "ami-0aaaaaaaaaaaaaaa1";
const GPU = "ami-0bbbbbbbbbbbbbbb2";

/** SSM stand-in: answers GetParameters for the public AMI parameters it holds, per region. */
class FakeSsm implements SsmParameterReader {
  calls: { region: string; names: string[] }[] = [];
  constructor(
    private readonly region: string,
    private readonly values: Record<string, string>,
    private readonly fail?: Error,
  ) {}
  send(command: GetParametersCommand) {
    const names = command.input.Names ?? [];
    this.calls.push({ region: this.region, names });
    if (this.fail) return Promise.reject(this.fail);
    return Promise.resolve({
      Parameters: names
        .filter((n) => n in this.values)
        .map((n) => ({ Name: n, Value: this.values[n] })),
      InvalidParameters: names.filter((n) => !(n in this.values)),
    });
  }
}

function tempProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-amis-"));
  for (const f of fs
    .readdirSync(PROJECT_DIR)
    .filter((f) => /^Pulumi\..*yaml$|^Pulumi\.yaml$/.test(f))) {
    fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
  }
  return dir;
}

async function run(dir: string, ssm: FakeSsm, ...argv: string[]) {
  let out = "";
  let err = "";
  const regions: string[] = [];
  const code = await main(argv, {
    projectDir: dir,
    ssm: (region) => {
      regions.push(region);
      return ssm;
    },
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  return { code, out, err, regions };
}

describe("AMI pins (livepeer-fleet:amis)", function () {
  it("accepts AMI ids and rejects anything else, naming the key", function () {
    expect(config({ amis: { ubuntu: UBUNTU, gpu: "ami-12345678" } }).amis).to.deep.equal({
      ubuntu: UBUNTU,
      gpu: "ami-12345678",
    });
    const role = {
      role: "region",
      stack: "prod-us-east-1",
      fleet: "prod",
      region: "us-east-1",
    } as const;
    const load = () =>
      loadRegionConfig(role, {
        stackValues: {
          "livepeer-fleet:network": BASE.network,
          "livepeer-fleet:livepeer": BASE.livepeer,
          "livepeer-fleet:amis": { ubuntu: "ami-XYZ", arm: UBUNTU },
        },
        projectValues: {},
      });
    expect(load).to.throw(ConfigError);
    try {
      load();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).to.include("livepeer-fleet:amis.ubuntu: expected an AMI id");
      expect(msg).to.include("livepeer-fleet:amis.arm: unknown key");
    }
  });

  it("boots the chain node on Ubuntu and GPU nodes on the GPU image, each from its pin", function () {
    const c = config({ amis: { ubuntu: UBUNTU, gpu: GPU } });
    expect(pinnedAmi(c, c.chainNode.instanceType)).to.deep.equal({ kind: "ubuntu", id: UBUNTU });
    expect(pinnedAmi(c, "g4dn.xlarge")).to.deep.equal({ kind: "gpu", id: GPU });
    expect(pinnedAmi(c, "c7i.4xlarge")).to.deep.equal({ kind: "ubuntu", id: UBUNTU });
    expect(requiredAmiKinds(c).map((k) => k.kind)).to.deep.equal(["ubuntu", "gpu"]);
    expect(
      requiredAmiKinds(config({ nodeGroup: { instanceType: "c7i.4xlarge" } })).map((k) => k.kind),
    ).to.deep.equal(["ubuntu"]);
  });

  it("blocks a deploy until each kind the stack boots is pinned, saying which command pins it", function () {
    const keys = (c: ReturnType<typeof config>) =>
      deployBlockers(c, "prod-us-east-1")
        .map((b) => b.keyPath)
        .filter((k) => k.includes(":amis."));
    expect(keys(config())).to.deep.equal(["livepeer-fleet:amis.ubuntu", "livepeer-fleet:amis.gpu"]);
    expect(keys(config({ amis: { ubuntu: UBUNTU } }))).to.deep.equal(["livepeer-fleet:amis.gpu"]);
    expect(keys(config({ amis: { ubuntu: UBUNTU, gpu: GPU } }))).to.deep.equal([]);
    const msg = deployBlockers(config(), "prod-us-east-1").find((b) =>
      b.keyPath.endsWith("amis.gpu"),
    )!;
    expect(msg.message).to.include("npm run amis -- --stack prod-us-east-1 --write");
  });

  it("reads a custom nodes parameter for the GPU kind, and refuses one the chain node's kind shares", function () {
    expect(amiParameter(config({ nodeGroup: { amiParameter: "/my/gpu/ami" } }), "gpu")).to.equal(
      "/my/gpu/ami",
    );
    expect(() =>
      amiParameter(
        config({ nodeGroup: { instanceType: "c7i.4xlarge", amiParameter: "/my/ami" } }),
        "ubuntu",
      ),
    ).to.throw(/share the pin livepeer-fleet:amis\.ubuntu/);
  });
});

describe("npm run amis (SSM stand-in, temporary project copy)", function () {
  const ssmValues = { [AMI_PARAMETERS.ubuntu]: UBUNTU, [AMI_PARAMETERS.gpu]: GPU };

  it("dry run: prints the current ids from the stack's region and writes nothing", async function () {
    const dir = tempProject();
    const before = fs.readFileSync(path.join(dir, "Pulumi.prod-eu-west-1.yaml"), "utf8");
    const ssm = new FakeSsm("eu-west-1", ssmValues);
    const r = await run(dir, ssm, "--stack", "prod-eu-west-1");
    expect(r.code, r.err).to.equal(0);
    expect(r.regions).to.deep.equal(["eu-west-1"]);
    expect(ssm.calls[0].names).to.have.members([AMI_PARAMETERS.ubuntu, AMI_PARAMETERS.gpu]);
    expect(r.out).to.include(`livepeer-fleet:amis.ubuntu: ${UBUNTU} (not pinned yet`);
    expect(r.out).to.include(`livepeer-fleet:amis.gpu: ${GPU} (not pinned yet`);
    expect(r.out).to.include("dry run");
    expect(fs.readFileSync(path.join(dir, "Pulumi.prod-eu-west-1.yaml"), "utf8")).to.equal(before);
  });

  it("--write pins them, keeping every other line, and updates a pin in place later", async function () {
    const dir = tempProject();
    const file = path.join(dir, "Pulumi.prod-us-east-1.yaml");
    const before = fs.readFileSync(file, "utf8");
    const r = await run(
      dir,
      new FakeSsm("us-east-1", ssmValues),
      "--stack",
      "prod-us-east-1",
      "--write",
    );
    expect(r.code, r.err).to.equal(0);
    const after = fs.readFileSync(file, "utf8");
    expect(after.startsWith(before.trimEnd())).to.equal(true);
    expect(
      (parse(after) as { config: Record<string, unknown> }).config["livepeer-fleet:amis"],
    ).to.deep.equal({
      ubuntu: UBUNTU,
      gpu: GPU,
    });
    // A newer GPU image: the pin changes in place and nothing else does.
    const newer = "ami-0ccccccccccccccc3";
    const r2 = await run(
      dir,
      new FakeSsm("us-east-1", { ...ssmValues, [AMI_PARAMETERS.gpu]: newer }),
      "--stack",
      "prod-us-east-1",
      "--write",
    );
    expect(r2.code, r2.err).to.equal(0);
    expect(r2.out).to.include(`pinned ${GPU}: a newer image is out`);
    expect(fs.readFileSync(file, "utf8")).to.equal(after.replace(GPU, newer));
  });

  it("refuses, writing nothing, when a parameter is missing, not an AMI, or SSM fails", async function () {
    const dir = tempProject();
    const file = path.join(dir, "Pulumi.prod-us-east-1.yaml");
    const before = fs.readFileSync(file, "utf8");
    const missing = await run(
      dir,
      new FakeSsm("us-east-1", { [AMI_PARAMETERS.ubuntu]: UBUNTU }),
      "--stack",
      "prod-us-east-1",
      "--write",
    );
    expect(missing.code).to.equal(2);
    expect(missing.err).to.include(
      `no such public parameter in this region: ${AMI_PARAMETERS.gpu}`,
    );
    const bad = await run(
      dir,
      new FakeSsm("us-east-1", { ...ssmValues, [AMI_PARAMETERS.gpu]: "not-an-ami" }),
      "--stack",
      "prod-us-east-1",
      "--write",
    );
    expect(bad.code).to.equal(2);
    expect(bad.err).to.include("did not return an AMI id");
    const denied = Object.assign(new Error("not authorized"), { name: "AccessDeniedException" });
    const aws = await run(
      dir,
      new FakeSsm("us-east-1", ssmValues, denied),
      "--stack",
      "prod-us-east-1",
      "--write",
    );
    expect(aws.code).to.equal(2);
    expect(aws.err).to.include("AccessDeniedException: not authorized");
    expect(fs.readFileSync(file, "utf8")).to.equal(before);
  });

  it("refuses a fleet stack and wrong usage", async function () {
    const dir = tempProject();
    const fleet = await run(dir, new FakeSsm("us-east-1", ssmValues), "--stack", "prod");
    expect(fleet.code).to.equal(2);
    expect(fleet.err).to.include("fleet stack");
    let usage: unknown;
    try {
      await run(dir, new FakeSsm("us-east-1", ssmValues));
    } catch (e) {
      usage = e;
    }
    expect((usage as Error).name).to.equal("UsageError");
  });
});
