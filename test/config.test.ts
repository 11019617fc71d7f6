import { expect } from "chai";
import {
  ConfigError,
  ConfigSources,
  checkFleetMembership,
  deepMerge,
  loadFleetConfig,
  loadRegionConfig,
} from "../lib/config/load";
import {
  readProjectConfig,
  readStackConfig,
  secretKeysFromEnvironment,
} from "../lib/config/sources";
import { parseStackName, StackNameError } from "../lib/stack";
import { AMI_PARAMETERS } from "../lib/config/schema";
import { PROJECT_DIR } from "./helpers/program";

const region = parseStackName("prod-us-east-1") as Extract<
  ReturnType<typeof parseStackName>,
  { role: "region" }
>;
const fleet = parseStackName("prod") as Extract<
  ReturnType<typeof parseStackName>,
  { role: "fleet" }
>;
const ADDRESS = "0x11D12AfEF50b1FeE02146020533857d35936035D";
/** The region's own redeemer account (required, never the orchestrator's). */
const REDEEMER = "0x00000000000000000000000000000000000000C3";
/** The fleet's required drift-check settings. */
const DRIFT = { "livepeer-fleet:driftCheck": { githubRepository: "example-org/livepeer-fleet" } };

/** A demand profile, so sizing rules apply. */
const PEAKS = { "livepeer-fleet:demand": { peakStreams: new Array<number>(24).fill(10) } };

/** A minimal valid region stack, with overrides per full key. */
function regionSources(
  stackValues: Record<string, unknown> = {},
  projectValues?: Record<string, unknown>,
): ConfigSources {
  return {
    projectValues: projectValues ?? readProjectConfig(PROJECT_DIR),
    stackValues: {
      "livepeer-fleet:network": { cidr: "10.20.0.0/16" },
      "livepeer-fleet:livepeer": {
        orchestratorAddress: ADDRESS,
        redeemerAddress: REDEEMER,
      },
      ...stackValues,
    },
  };
}

function problemsOf(fn: () => unknown): ConfigError["problems"] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

function regionProblems(stackValues: Record<string, unknown>) {
  return problemsOf(() => loadRegionConfig(region, regionSources(stackValues)));
}

describe("stack names", () => {
  it("reads fleet and region roles", () => {
    expect(parseStackName("prod")).to.deep.equal({ role: "fleet", stack: "prod", fleet: "prod" });
    expect(parseStackName("prod-eu-west-1")).to.deep.equal({
      role: "region",
      stack: "prod-eu-west-1",
      fleet: "prod",
      region: "eu-west-1",
    });
    expect(parseStackName("staging-us-gov-west-1")).to.include({ region: "us-gov-west-1" });
  });

  it("rejects an unknown AWS region with what to do", () => {
    expect(() => parseStackName("prod-us-east-9")).to.throw(
      StackNameError,
      /not an AWS region.*Rename the stack/,
    );
  });

  it("rejects a name that fits neither role", () => {
    for (const bad of ["Prod", "prod_us", "prod-", "-prod", "prod-useast1", ""]) {
      expect(() => parseStackName(bad), bad).to.throw(StackNameError, /fits neither role/);
    }
  });

  it("names the stack file first, like every config problem", () => {
    expect(() => parseStackName("Prod_Test")).to.throw(
      StackNameError,
      /^Pulumi\.Prod_Test\.yaml: \(stack name\): stack "Prod_Test" fits neither role/,
    );
    expect(() => parseStackName("prod-us-east-9")).to.throw(
      /^Pulumi\.prod-us-east-9\.yaml: \(stack name\): "us-east-9" in stack "prod-us-east-9"/,
    );
  });
});

describe("config: values as `pulumi config set --path` stores them", () => {
  // --path stores integers and true/false as YAML numbers and booleans, everything else (0.25,
  // a price) as strings; a top-level key always as a string (pulumi/pulumi config.go, object.go
  // coerce). Each field takes the other spelling of the same value.
  it("numeric strings for number fields, including fractions --path leaves as strings", () => {
    const c = loadRegionConfig(
      region,
      regionSources({
        "livepeer-fleet:nodeGroup": { minSize: "2", maxSize: "6" },
        "livepeer-fleet:sizing": { headroom: "0.3" },
        "livepeer-fleet:capacityModel": { "g4dn.xlarge": { hourlyUsd: { "us-east-1": "0.6" } } },
      }),
    );
    expect(c.nodeGroup).to.include({ minSize: 2, maxSize: 6 });
    expect(c.sizing.headroom).to.equal(0.3);
    expect(c.capacityModel["g4dn.xlarge"].hourlyUsd["us-east-1"]).to.equal(0.6);
  });

  it("integers for string fields, and true/false strings for booleans", () => {
    const c = loadRegionConfig(
      region,
      regionSources({
        "livepeer-fleet:nodeRuntime": {
          pixelsPerUnit: 1000,
          pricePerUnit: 1200,
          autoAdjustPrice: "false",
        },
        "livepeer-fleet:deployGate": { enabled: "true" },
        "livepeer-fleet:tags": { CostCenter: 4711 },
      }),
    );
    expect(c.nodeRuntime).to.include({
      pixelsPerUnit: "1000",
      pricePerUnit: "1200",
      autoAdjustPrice: false,
    });
    expect(c.deployGate.enabled).to.equal(true);
    expect(c.tags.CostCenter).to.equal("4711");
  });

  it("nothing ambiguous: words stay wrong, fractions are no string's integer", () => {
    const problems = regionProblems({
      "livepeer-fleet:nodeGroup": { minSize: "two" },
      "livepeer-fleet:nodeRuntime": { pixelsPerUnit: 1.5, autoAdjustPrice: "yes" },
    });
    expect(problems.map((p) => `${p.keyPath}: ${p.message}`)).to.deep.equal([
      'livepeer-fleet:nodeGroup.minSize: expected a number (got "two")',
      "livepeer-fleet:nodeRuntime.pixelsPerUnit: expected a string (got 1.5)",
      'livepeer-fleet:nodeRuntime.autoAdjustPrice: expected a boolean (got "yes")',
    ]);
  });
});

describe("config: a problem derived from an already invalid value is not repeated", () => {
  const lines = (stackValues: Record<string, unknown>) =>
    regionProblems(stackValues).map((p) => `${p.keyPath}: ${p.message}`);

  it("an invalid instance type: no 'no capacity model' on top", () => {
    expect(lines({ "livepeer-fleet:nodeGroup": { instanceType: "g4dn" }, ...PEAKS })).to.deep.equal(
      [
        'livepeer-fleet:nodeGroup.instanceType: expected an EC2 instance type such as g4dn.xlarge (got "g4dn")',
      ],
    );
  });

  it("a negative maxSize: no 'maxSize >= minSize' on top", () => {
    expect(lines({ "livepeer-fleet:nodeGroup": { maxSize: -1 } })).to.deep.equal([
      "livepeer-fleet:nodeGroup.maxSize: expected a number >= 1 (got -1)",
    ]);
  });

  it("a short demand profile: no planner error on top", () => {
    expect(lines({ "livepeer-fleet:demand": { peakStreams: [1, 2, 3] } })).to.deep.equal([
      "livepeer-fleet:demand.peakStreams: expected 24 values, one per UTC hour 00..23 (got [1,2,3])",
    ]);
  });

  it("an unknown network: no missing Controller and chain id on top", () => {
    expect(
      lines({
        "livepeer-fleet:livepeer": {
          orchestratorAddress: ADDRESS,
          redeemerAddress: REDEEMER,
          network: "arbitrum",
        },
      }),
    ).to.deep.equal([
      "livepeer-fleet:livepeer.network: expected a go-livepeer -network: arbitrum-one-mainnet, " +
        'mainnet, arbitrum-one-rinkeby, rinkeby, offchain (got "arbitrum")',
    ]);
  });

  it("independent problems are all still reported", () => {
    expect(
      lines({
        "livepeer-fleet:nodeGroup": { minSize: 3, maxSize: 2 },
        "livepeer-fleet:livepeer": {
          orchestratorAddress: ADDRESS,
          redeemerAddress: REDEEMER,
          servicePort: 80,
        },
      }).map((l) => l.split(":")[1]),
    ).to.have.members(["livepeer.servicePort", "nodeGroup.maxSize"]);
  });
});

describe("config: secrets", () => {
  it("offline, a secret a rule cannot check says so instead of quoting [secret]", () => {
    const [p, ...rest] = regionProblems({
      "livepeer-fleet:nodeRuntime": { pricePerUnit: "[secret]" },
    });
    expect(rest).to.deep.equal([]);
    expect(p.keyPath).to.equal("livepeer-fleet:nodeRuntime.pricePerUnit");
    expect(p.message).to.match(
      /^a secret \(secure:\) value cannot be checked offline: the plan sees "\[secret\]" where this key expects: expected a price/,
    );
  });

  it("offline, a secret any string fits passes (a tag value, an alarm endpoint)", () => {
    const c = loadRegionConfig(
      region,
      regionSources({
        "livepeer-fleet:tags": { Owner: "[secret]" },
        "livepeer-fleet:alarms": { subscriptions: [{ protocol: "email", endpoint: "[secret]" }] },
      }),
    );
    expect(c.tags.Owner).to.equal("[secret]");
  });

  it("under pulumi up, a problem under a secret key never echoes the decrypted value", () => {
    const sources = regionSources({ "livepeer-fleet:nodeRuntime": { pricePerUnit: "hunter2!" } });
    const problems = problemsOf(() =>
      loadRegionConfig(region, { ...sources, secretKeys: ["livepeer-fleet:nodeRuntime"] }),
    );
    expect(problems.map((p) => p.message)).to.deep.equal([
      "expected a price such as 1200 or 0.5USD (got a secret value)",
    ]);
    expect(JSON.stringify(problems)).not.to.include("hunter2");
  });

  it("reads the secret keys the language host passes in PULUMI_CONFIG_SECRET_KEYS", () => {
    expect(
      secretKeysFromEnvironment({
        PULUMI_CONFIG_SECRET_KEYS: '["livepeer-fleet:nodeRuntime","aws:config:secretKey"]',
      }),
    ).to.deep.equal(["livepeer-fleet:nodeRuntime", "aws:secretKey"]);
    expect(secretKeysFromEnvironment({})).to.deep.equal([]);
  });
});

describe("config: the shipped files", () => {
  it("validates every shipped stack file", () => {
    const projectValues = readProjectConfig(PROJECT_DIR);
    const f = loadFleetConfig(fleet, {
      projectValues,
      stackValues: readStackConfig(PROJECT_DIR, "prod")!,
    });
    expect(f.regions).to.deep.equal(["us-east-1", "eu-west-1"]);
    for (const r of f.regions) {
      const role = parseStackName(`prod-${r}`) as typeof region;
      const c = loadRegionConfig(role, {
        projectValues,
        stackValues: readStackConfig(PROJECT_DIR, role.stack)!,
      });
      expect(c.tags).to.include({ Project: "livepeer-fleet" });
    }
  });
});

describe("config: defaults and merging", () => {
  it("fills documented defaults and derived values", () => {
    const c = loadRegionConfig(region, regionSources());
    expect(c.network).to.deep.equal({
      cidr: "10.20.0.0/16",
      availabilityZones: ["a", "b"],
      natStrategy: "single",
    });
    expect(c.livepeer).to.include({
      network: "arbitrum-one-mainnet",
      servicePort: 8935,
      healthPort: 8936,
    });
    expect(c.chainNode).to.include({
      client: "nitro",
      availabilityZone: "a",
      rpcPort: 8545,
      redeemerPort: 8935,
    });
    expect(c.nodeGroup).to.include({
      instanceType: "g4dn.xlarge",
      gpu: true,
      amiParameter: AMI_PARAMETERS.gpu,
    });
    expect(c.identity.parameterPrefix).to.equal("/livepeer-fleet/prod-us-east-1");
  });

  it("derives geth for non-Arbitrum networks and the Ubuntu AMI for CPU types", () => {
    const c = loadRegionConfig(
      region,
      regionSources({
        "livepeer-fleet:livepeer": {
          orchestratorAddress: ADDRESS,
          redeemerAddress: REDEEMER,
          network: "mainnet",
        },
        "livepeer-fleet:rewardWatcher": {
          controllerAddress: "0xF96D54E490317c557A967ABfA5d6e33006BE69b3",
          chainId: 1,
        },
        "livepeer-fleet:nodeGroup": { instanceType: "c7i.4xlarge" },
      }),
    );
    expect(c.chainNode.client).to.equal("geth");
    expect(c.nodeGroup).to.include({ gpu: false, amiParameter: AMI_PARAMETERS.ubuntu });
  });

  it("deep-merges a stack object over the project's, arrays replaced", () => {
    expect(deepMerge({ a: 1, b: { c: 2, d: [1, 2] } }, { b: { d: [3] }, e: 4 })).to.deep.equal({
      a: 1,
      b: { c: 2, d: [3] },
      e: 4,
    });
    const c = loadRegionConfig(
      region,
      regionSources(
        { "livepeer-fleet:nodeGroup": { maxSize: 9 } },
        {
          "livepeer-fleet:nodeGroup": { instanceType: "g5.xlarge", minSize: 2 },
        },
      ),
    );
    expect(c.nodeGroup).to.include({ instanceType: "g5.xlarge", minSize: 2, maxSize: 9 });
  });

  it("normalises the orchestrator address to its checksum form", () => {
    const c = loadRegionConfig(
      region,
      regionSources({
        "livepeer-fleet:livepeer": {
          orchestratorAddress: ADDRESS.toLowerCase(),
          redeemerAddress: REDEEMER,
        },
      }),
    );
    expect(c.livepeer.orchestratorAddress).to.equal(ADDRESS);
  });
});

describe("config: each rule names the file, the key path and what is expected", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["missing CIDR", { "livepeer-fleet:network": {} }, "livepeer-fleet:network.cidr", /required/],
    [
      "not a CIDR",
      { "livepeer-fleet:network": { cidr: "10.0.0/16" } },
      "livepeer-fleet:network.cidr",
      /IPv4 CIDR/,
    ],
    [
      "CIDR too large",
      { "livepeer-fleet:network": { cidr: "10.0.0.0/8" } },
      "livepeer-fleet:network.cidr",
      /\/16 and \/22/,
    ],
    [
      "host bits set",
      { "livepeer-fleet:network": { cidr: "10.0.1.0/16" } },
      "livepeer-fleet:network.cidr",
      /network address/,
    ],
    [
      "one AZ",
      { "livepeer-fleet:network": { cidr: "10.0.0.0/16", availabilityZones: ["a"] } },
      "livepeer-fleet:network.availabilityZones",
      /at least 2/,
    ],
    [
      "AZ repeated",
      { "livepeer-fleet:network": { cidr: "10.0.0.0/16", availabilityZones: ["a", "a"] } },
      "livepeer-fleet:network.availabilityZones",
      /distinct/,
    ],
    [
      "AZ not a letter",
      { "livepeer-fleet:network": { cidr: "10.0.0.0/16", availabilityZones: ["a", "us-east-1b"] } },
      "livepeer-fleet:network.availabilityZones[1]",
      /letter a-f/,
    ],
    [
      "NAT strategy",
      { "livepeer-fleet:network": { cidr: "10.0.0.0/16", natStrategy: "none" } },
      "livepeer-fleet:network.natStrategy",
      /single|perAz/,
    ],
    [
      "no orchestrator",
      { "livepeer-fleet:livepeer": {} },
      "livepeer-fleet:livepeer.orchestratorAddress",
      /required/,
    ],
    [
      "no redeemer account",
      { "livepeer-fleet:livepeer": { orchestratorAddress: ADDRESS } },
      "livepeer-fleet:livepeer.redeemerAddress",
      /required/,
    ],
    [
      // One account, one sender: the reward service sends from the orchestrator's account.
      "the redeemer is the orchestrator (whatever the case)",
      {
        "livepeer-fleet:livepeer": {
          orchestratorAddress: ADDRESS,
          redeemerAddress: ADDRESS.toLowerCase(),
        },
      },
      "livepeer-fleet:livepeer.redeemerAddress",
      /other than orchestratorAddress/,
    ],
    [
      "bad address",
      { "livepeer-fleet:livepeer": { orchestratorAddress: "0x1234" } },
      "livepeer-fleet:livepeer.orchestratorAddress",
      /Ethereum address/,
    ],
    [
      "zero address",
      {
        "livepeer-fleet:livepeer": {
          orchestratorAddress: "0x0000000000000000000000000000000000000000",
        },
      },
      "livepeer-fleet:livepeer.orchestratorAddress",
      /non-zero/,
    ],
    [
      "bad checksum",
      { "livepeer-fleet:livepeer": { orchestratorAddress: ADDRESS.replace("D12A", "d12a") } },
      "livepeer-fleet:livepeer.orchestratorAddress",
      /Ethereum address/,
    ],
    [
      "privileged port",
      {
        "livepeer-fleet:livepeer": {
          orchestratorAddress: ADDRESS,
          redeemerAddress: REDEEMER,
          healthPort: 80,
        },
      },
      "livepeer-fleet:livepeer.healthPort",
      /1024-65535/,
    ],
    [
      "health on service port",
      {
        "livepeer-fleet:livepeer": {
          orchestratorAddress: ADDRESS,
          redeemerAddress: REDEEMER,
          healthPort: 8935,
        },
      },
      "livepeer-fleet:livepeer.healthPort",
      /other than servicePort/,
    ],
    [
      "min > max",
      { "livepeer-fleet:nodeGroup": { minSize: 5, maxSize: 2 } },
      "livepeer-fleet:nodeGroup.maxSize",
      /maxSize >= minSize/,
    ],
    [
      "fractional size",
      { "livepeer-fleet:nodeGroup": { minSize: 1.5 } },
      "livepeer-fleet:nodeGroup.minSize",
      /whole number/,
    ],
    [
      "instance type",
      { "livepeer-fleet:nodeGroup": { instanceType: "big" } },
      "livepeer-fleet:nodeGroup.instanceType",
      /instance type/,
    ],
    [
      "chain AZ outside network",
      { "livepeer-fleet:chainNode": { availabilityZone: "c" } },
      "livepeer-fleet:chainNode.availabilityZone",
      /one of the network's/,
    ],
    [
      "IOPS per GiB",
      {
        "livepeer-fleet:chainNode": {
          dataVolume: { sizeGiB: 10, iops: 6000, throughputMiBps: 125 },
        },
      },
      "livepeer-fleet:chainNode.dataVolume.iops",
      /500 IOPS per GiB/,
    ],
    [
      "throughput per IOPS",
      { "livepeer-fleet:chainNode": { dataVolume: { iops: 3000, throughputMiBps: 1000 } } },
      "livepeer-fleet:chainNode.dataVolume.throughputMiBps",
      /0.25 MiB\/s per IOPS/,
    ],
    [
      "rpc = redeemer port",
      { "livepeer-fleet:chainNode": { rpcPort: 9000, redeemerPort: 9000 } },
      "livepeer-fleet:chainNode.redeemerPort",
      /other than rpcPort/,
    ],
    [
      "reserved tag",
      { "livepeer-fleet:tags": { "aws:owner": "x" } },
      "livepeer-fleet:tags.aws:owner",
      /reserved/,
    ],
    [
      "unknown nested key",
      { "livepeer-fleet:nodeGroup": { maxsize: 3 } },
      "livepeer-fleet:nodeGroup.maxsize",
      /unknown key/,
    ],
    ["unknown top key", { "livepeer-fleet:netwrok": {} }, "livepeer-fleet:netwrok", /unknown key/],
    [
      "fleet key in a region stack",
      { "livepeer-fleet:regions": ["us-east-1"] },
      "livepeer-fleet:regions",
      /belongs in the fleet stack/,
    ],
  ];
  for (const [title, values, keyPath, message] of cases) {
    it(title, () => {
      const problems = regionProblems(values);
      const p = problems.find((x) => x.keyPath === keyPath);
      expect(p, `problems: ${JSON.stringify(problems)}`).to.exist;
      expect(p!.file).to.equal("Pulumi.prod-us-east-1.yaml");
      expect(p!.message).to.match(message);
    });
  }

  it("reports every problem at once, one line each, file first", () => {
    const err = (() => {
      try {
        loadRegionConfig(
          region,
          regionSources({
            "livepeer-fleet:network": { cidr: "nope", natStrategy: "x" },
            "livepeer-fleet:nodeGroup": { minSize: -1 },
            "livepeer-fleet:bogus": 1,
          }),
        );
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error("expected failure");
    })();
    expect(err.problems.map((p) => p.keyPath)).to.include.members([
      "livepeer-fleet:network.cidr",
      "livepeer-fleet:network.natStrategy",
      "livepeer-fleet:nodeGroup.minSize",
      "livepeer-fleet:bogus",
    ]);
    for (const line of err.message.split("\n"))
      expect(line).to.match(/^Pulumi\.prod-us-east-1\.yaml: livepeer-fleet:/);
  });

  it("blames Pulumi.yaml for a bad project default", () => {
    const problems = problemsOf(() =>
      loadRegionConfig(
        region,
        regionSources({}, { "livepeer-fleet:nodeGroup": { instanceType: "nope" } }),
      ),
    );
    expect(problems[0]).to.include({
      file: "Pulumi.yaml",
      keyPath: "livepeer-fleet:nodeGroup.instanceType",
    });
  });

  it("ignores region defaults in Pulumi.yaml for the fleet stack but rejects them in its own file", () => {
    const projectValues = readProjectConfig(PROJECT_DIR);
    expect(() =>
      loadFleetConfig(fleet, {
        projectValues,
        stackValues: { "livepeer-fleet:regions": ["us-east-1"], ...DRIFT },
      }),
    ).not.to.throw();
    const problems = problemsOf(() =>
      loadFleetConfig(fleet, {
        projectValues,
        stackValues: {
          "livepeer-fleet:regions": ["us-east-1"],
          ...DRIFT,
          "livepeer-fleet:nodeGroup": { minSize: 1 },
        },
      }),
    );
    expect(problems[0]).to.include({
      file: "Pulumi.prod.yaml",
      keyPath: "livepeer-fleet:nodeGroup",
    });
    expect(problems[0].message).to.match(/belongs in a region stack/);
  });

  it("fleet: regions required, known, unique", () => {
    const projectValues = readProjectConfig(PROJECT_DIR);
    const check = (regions: unknown, re: RegExp) => {
      const problems = problemsOf(() =>
        loadFleetConfig(fleet, {
          projectValues,
          stackValues: { "livepeer-fleet:regions": regions },
        }),
      );
      expect(problems.map((p) => p.message).join("\n")).to.match(re);
    };
    check([], /at least one region/);
    check(["us-east-1", "mars-north-1"], /AWS region name/);
    check(["us-east-1", "us-east-1"], /each region once/);
    expect(() => loadFleetConfig(fleet, { projectValues, stackValues: {} })).to.throw(
      ConfigError,
      /Pulumi\.prod\.yaml: livepeer-fleet:regions: required/,
    );
  });

  it("a region stack its fleet does not list is an error naming the fleet file", () => {
    const role = parseStackName("prod-ap-south-1") as typeof region;
    const problems = checkFleetMembership(role, readStackConfig(PROJECT_DIR, "prod"));
    expect(problems[0]).to.include({ file: "Pulumi.prod.yaml", keyPath: "livepeer-fleet:regions" });
    expect(problems[0].message).to.match(/does not list ap-south-1.*add-region/);
    const missing = checkFleetMembership(
      parseStackName("staging-us-east-1") as typeof region,
      undefined,
    );
    expect(missing[0].file).to.equal("Pulumi.staging.yaml");
    expect(checkFleetMembership(region, readStackConfig(PROJECT_DIR, "prod"))).to.deep.equal([]);
  });
});
