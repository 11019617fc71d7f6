import { expect } from "chai";
import { ConfigError, deepMerge, loadRegionConfig } from "../lib/config/load";
import { readProjectConfig, readStackConfig } from "../lib/config/sources";
import { parseStackName } from "../lib/stack";
import { regionSizing } from "../lib/sizing/region";
import { PROJECT_DIR } from "./helpers/program";
import { ARBITRUM_NODE_MINIMUM, DEFAULTS } from "../lib/config/schema";
import { INSTANCE_HOURLY, INSTANCE_SPECS } from "../lib/sizing/prices";

const STACK = "prod-us-east-1";
const role = parseStackName(STACK) as Extract<
  ReturnType<typeof parseStackName>,
  { role: "region" }
>;

/** The shipped stack's config with `overrides` (full keys) deep-merged into its own values. */
function load(overrides: Record<string, unknown> = {}) {
  const stackValues = { ...readStackConfig(PROJECT_DIR, STACK)! };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete stackValues[k];
    else stackValues[k] = deepMerge(stackValues[k], v);
  }
  return loadRegionConfig(role, { stackValues, projectValues: readProjectConfig(PROJECT_DIR) });
}

function problems(overrides: Record<string, unknown>): string[] {
  try {
    load(overrides);
  } catch (err) {
    if (err instanceof ConfigError)
      return err.problems.map((p) => `${p.file}: ${p.keyPath}: ${p.message}`);
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("sizing config", () => {
  it("loads the shipped profile and plans it within the stack's bounds", () => {
    const s = regionSizing(load());
    expect(s.plan!.hourly).to.have.length(24);
    expect(s.maxSize).to.equal(35);
    expect(s.maxSessions).to.equal(13);
    expect(s.maintenanceHourUtc).to.equal(9);
  });

  it("names the stack file and nodeGroup.maxSize when max cannot cover the demand", () => {
    const [p] = problems({ "livepeer-fleet:nodeGroup": { maxSize: 4 } });
    expect(p).to.match(/^Pulumi\.prod-us-east-1\.yaml: livepeer-fleet:nodeGroup\.maxSize: /);
    expect(p).to.include("maxSize 4 cannot cover the demand").and.include("at least 9");
  });

  it("asks for a capacity model when the instance type has none", () => {
    const [p] = problems({ "livepeer-fleet:nodeGroup": { instanceType: "p5.48xlarge" } });
    expect(p).to.include("livepeer-fleet:nodeGroup.instanceType").and.include("no capacity model");
  });

  it("rejects a profile that is not 24 hourly values", () => {
    const [p] = problems({ "livepeer-fleet:demand": { peakStreams: [1, 2, 3] } });
    expect(p).to.include("livepeer-fleet:demand.peakStreams").and.include("24 values");
  });

  it("rejects a ladder without the source's own rendition", () => {
    const [p] = problems({
      "livepeer-fleet:demand": {
        ladder: [
          { name: "720p0", width: 1280, height: 720, fps: 30 },
          { name: "240p0", width: 426, height: 240, fps: 30 },
        ],
      },
    });
    expect(p).to.include("livepeer-fleet:demand.ladder").and.include('named "source"');
  });

  it("blames the stack file for its own capacity override, at the full key path", () => {
    const [p] = problems({
      "livepeer-fleet:capacityModel": { "g4dn.xlarge": { pixelsPerSecond: -1 } },
    });
    expect(p).to.match(
      /^Pulumi\.prod-us-east-1\.yaml: livepeer-fleet:capacityModel\.g4dn\.xlarge\.pixelsPerSecond: /,
    );
  });

  it("requires a default price and a source for every number", () => {
    const ps = problems({
      "livepeer-fleet:capacityModel": {
        "g9.xlarge": {
          pixelsPerSecond: 1e9,
          pixelsSource: "x",
          hourlyUsd: { "us-east-1": 1 },
          priceSource: "https://aws.amazon.com/ec2/pricing/",
        },
      },
    });
    expect(ps.join("\n"))
      .to.include("capacityModel.g9.xlarge.pixelsSource")
      .and.include("capacityModel.g9.xlarge.hourlyUsd");
  });

  it("marks the measured T4 as measured and any number without a basis as estimated", () => {
    const c = load({
      "livepeer-fleet:capacityModel": {
        "g9.xlarge": {
          pixelsPerSecond: 1e9,
          pixelsSource: "estimate: a new GPU type, not measured yet",
          hourlyUsd: { default: 1 },
          priceSource: "https://aws.amazon.com/ec2/pricing/",
        },
      },
    });
    expect(c.capacityModel["g4dn.xlarge"].pixelsBasis).to.equal("measured");
    expect(c.capacityModel["g4dn.xlarge"].pixelsSource).to.include("BENCHMARKING.md");
    expect(c.capacityModel["g9.xlarge"].pixelsBasis).to.equal("estimated");
    for (const t of ["g5.xlarge", "g6.xlarge", "c7i.4xlarge"]) {
      expect(c.capacityModel[t].pixelsBasis, t).to.equal("estimated");
    }
  });

  it("rejects a pixelsBasis other than measured or estimated", () => {
    const [p] = problems({
      "livepeer-fleet:capacityModel": { "g4dn.xlarge": { pixelsBasis: "vendor" } },
    });
    expect(p).to.include("capacityModel.g4dn.xlarge.pixelsBasis");
  });

  it("rejects a node type that cannot carry one stream of the ladder", () => {
    const [p] = problems({
      "livepeer-fleet:capacityModel": { "g4dn.xlarge": { pixelsPerSecond: 1e6 } },
    });
    expect(p)
      .to.include("capacityModel.g4dn.xlarge.pixelsPerSecond")
      .and.include("less than one stream");
  });

  it("without a profile: a static group at minSize, target tracking and -maxSessions still set", () => {
    const s = regionSizing(load({ "livepeer-fleet:demand": undefined }));
    expect(s.plan).to.equal(undefined);
    expect(s.minSize).to.equal(2);
    expect(s.maxSessions).to.equal(13); // the common ladder on g4dn.xlarge (measured T4)
    expect(s.maintenanceHourUtc).to.equal(4);
  });
});

describe("chain node default against Arbitrum's published requirements", () => {
  it("meets the minimum of docs.arbitrum.io 'Prepare to run a node' (8 cores, 64 GB) and is priced", () => {
    const spec = INSTANCE_SPECS[DEFAULTS.chainInstanceType];
    expect(spec, `specs of ${DEFAULTS.chainInstanceType}`).to.exist;
    expect(spec.vcpus).to.be.at.least(ARBITRUM_NODE_MINIMUM.vcpus);
    expect(spec.memoryGiB).to.be.at.least(ARBITRUM_NODE_MINIMUM.memoryGiB);
    expect(INSTANCE_HOURLY[DEFAULTS.chainInstanceType]?.default).to.be.a("number");
    // The old default, for the record: half the cores and a quarter of the memory.
    expect(INSTANCE_SPECS["m7i.xlarge"].memoryGiB).to.be.below(ARBITRUM_NODE_MINIMUM.memoryGiB);
  });
});
