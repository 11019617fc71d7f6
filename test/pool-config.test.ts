// nodeGroup.spot, the one key that turns the transcoder pool's spot on: what the config refuses
// (what AWS would refuse, or what cannot work), each on the key to change and before any resource
// is registered; which types a spot pool mixes; and that spot off needs none of it.
import { expect } from "chai";
import { ConfigError, ConfigSources, loadRegionConfig } from "../lib/config/load";
import { readProjectConfig } from "../lib/config/sources";
import { parseStackName } from "../lib/stack";
import { spotCandidates } from "../lib/sizing/pool";
import { isArmInstanceType } from "../lib/instance-types";
import { COMMON_LADDER } from "../lib/config/sizing-schema";
import { streamPixelsPerSecond } from "../lib/sizing/planner";
import { PROJECT_DIR, runProgram } from "./helpers/program";
import { requireBotocore } from "./helpers/tools";
import { BotocoreModels } from "../lib/checks/botocore";
import { checkEvaluation, formatFinding } from "../lib/checks/api-models";

const region = parseStackName("test-us-east-1") as Extract<
  ReturnType<typeof parseStackName>,
  { role: "region" }
>;
const STREAM = streamPixelsPerSecond(COMMON_LADDER);
const model = (streams: number) => ({
  pixelsPerSecond: streams * STREAM,
  pixelsSource: "test: a number of streams of the common ladder",
  hourlyUsd: { default: 1 },
  priceSource: "test: a round number",
});

function problems(stackValues: Record<string, unknown>): string[] {
  const sources: ConfigSources = {
    projectValues: readProjectConfig(PROJECT_DIR),
    stackValues: {
      "livepeer-fleet:network": { cidr: "10.20.0.0/16" },
      "livepeer-fleet:livepeer": {
        orchestratorAddress: "0x00000000000000000000000000000000000000b2",
        redeemerAddress: "0x00000000000000000000000000000000000000c3",
      },
      "livepeer-fleet:demand": { peakStreams: new Array<number>(24).fill(10) },
      ...stackValues,
    },
  };
  try {
    loadRegionConfig(region, sources);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.keyPath}: ${p.message}`);
  }
}

describe("nodeGroup.spot: what the config refuses", function () {
  it("is off by default, and on with the project's capacity model it is accepted", function () {
    expect(problems({})).to.deep.equal([]);
    expect(problems({ "livepeer-fleet:nodeGroup": { spot: true } })).to.deep.equal([]);
  });

  it("refuses nodeGroup.maxSessions with spot: each type's weight is its own -maxSessions", function () {
    expect(problems({ "livepeer-fleet:nodeGroup": { spot: true, maxSessions: 10 } })).to.deep.equal(
      [
        "livepeer-fleet:nodeGroup.maxSessions: with nodeGroup.spot each type's -maxSessions (and weight) comes from its own capacity model: remove nodeGroup.maxSessions, or set nodeGroup.spot to false (got 10)",
      ],
    );
    // The same override without spot is fine.
    expect(problems({ "livepeer-fleet:nodeGroup": { maxSessions: 10, maxSize: 8 } })).to.deep.equal(
      [],
    );
  });

  it("refuses spot for a type without a capacity model, on nodeGroup.spot", function () {
    const got = problems({
      "livepeer-fleet:nodeGroup": { spot: true, instanceType: "g6e.xlarge" },
      "livepeer-fleet:demand": { peakStreams: undefined },
    });
    expect(got).to.deep.equal([
      "livepeer-fleet:nodeGroup.spot: spot weights each type by its own sessions: add livepeer-fleet:capacityModel.g6e.xlarge (docs/sizing.md) or set nodeGroup.spot to false (got true)",
    ]);
  });

  it("refuses a spot type AWS could not weigh (WeightedCapacity 1-999), on that type's pixelsPerSecond", function () {
    const huge = { "livepeer-fleet:capacityModel": { "p5.48xlarge": model(1000) } };
    expect(problems({ ...huge, "livepeer-fleet:nodeGroup": { spot: true } })).to.deep.equal([
      "livepeer-fleet:capacityModel.p5.48xlarge.pixelsPerSecond: p5.48xlarge carries 1000 streams of the ladder, and a spot pool weights it by them: AWS takes weights of 1-999 only (got 112132800000)",
    ]);
    // Without spot nothing weighs it: accepted.
    expect(problems(huge)).to.deep.equal([]);
  });

  it("refuses before any resource is registered (the program, on a shipped stack)", function () {
    const r = runProgram("prod-us-east-1", {
      "livepeer-fleet:nodeGroup": { spot: true, maxSessions: 10 },
    });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include(
      "Pulumi.prod-us-east-1.yaml: livepeer-fleet:nodeGroup.maxSessions:",
    );
    expect(r.stderr).to.include("resources registered before the error: 0");
  });
});

describe("the types a spot pool mixes", function () {
  const m = {
    "g4dn.xlarge": model(13),
    "g5.xlarge": model(14),
    "g6.xlarge": model(23),
    "g5g.xlarge": model(12),
    "c7i.4xlarge": model(3),
    "g4ad.xlarge": model(0.5),
  };

  it("the stack's type first, then same-kind x86_64 types by sessions; arm64 and sub-stream types left out, said why", function () {
    const c = spotCandidates("g4dn.xlarge", m, COMMON_LADDER);
    expect(c.types.map((t) => [t.instanceType, t.sessions])).to.deep.equal([
      ["g4dn.xlarge", 13],
      ["g6.xlarge", 23],
      ["g5.xlarge", 14],
    ]);
    expect(c.left).to.deep.equal([
      { instanceType: "g5g.xlarge", why: "arm64: the pool's AMI is x86_64" },
      { instanceType: "g4ad.xlarge", why: "carries no whole stream of the ladder" },
    ]);
    // A CPU pool mixes CPU types only.
    expect(
      spotCandidates("c7i.4xlarge", m, COMMON_LADDER).types.map((t) => t.instanceType),
    ).to.deep.equal(["c7i.4xlarge"]);
  });

  it("knows Graviton families by name", function () {
    for (const t of [
      "c7g.large",
      "m6gd.xlarge",
      "g5g.xlarge",
      "im4gn.large",
      "a1.medium",
      "t4g.nano",
    ])
      expect(isArmInstanceType(t), t).to.equal(true);
    for (const t of [
      "g4dn.xlarge",
      "g6e.xlarge",
      "c7i.4xlarge",
      "m7a.large",
      "p4d.24xlarge",
      "inf2.xlarge",
    ])
      expect(isArmInstanceType(t), t).to.equal(false);
  });
});

describe("a spot stack against AWS's API models (botocore)", function () {
  it("passes the API-model check, and the check would catch a weight AWS refuses", function () {
    requireBotocore(this);
    const r = runProgram("prod-us-east-1", { "livepeer-fleet:nodeGroup": { spot: true } });
    expect(r.code, r.stderr).to.equal(0);
    const e = r.evaluation!;
    const models = new BotocoreModels();
    expect(checkEvaluation(e, models).map(formatFinding)).to.deep.equal([]);
    const group = e.resources.find((x) => x.name.endsWith("-tc-asg"))!;
    const mixed = group.inputs.mixedInstancesPolicy as {
      launchTemplate: { overrides: { instanceType: string; weightedCapacity: string }[] };
    };
    expect(mixed.launchTemplate.overrides.map((o) => o.instanceType)).to.deep.equal([
      "g4dn.xlarge",
      "g6.xlarge",
      "g5.xlarge",
    ]);
    const bad = JSON.parse(JSON.stringify(e)) as typeof e;
    const badGroup = bad.resources.find((x) => x.name.endsWith("-tc-asg"))!;
    (
      badGroup.inputs.mixedInstancesPolicy as typeof mixed
    ).launchTemplate.overrides[0].weightedCapacity = "1000";
    const findings = checkEvaluation(bad, models);
    expect(findings.map((f) => f.path)).to.deep.equal([
      "mixedInstancesPolicy.launchTemplate.overrides[0].weightedCapacity",
    ]);
    expect(findings[0].source).to.include("LaunchTemplateOverrides.WeightedCapacity (documented)");
  });
});
