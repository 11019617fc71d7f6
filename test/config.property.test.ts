// Property tests for the validator: valid configs always pass; a valid config with one field
// corrupted never passes; arbitrary junk never escapes as anything but a ConfigError.
import { expect } from "chai";
import fc from "fast-check";
import { ConfigError, loadRegionConfig } from "../lib/config/load";
import { parseStackName } from "../lib/stack";
import { cidrSubnet, cidrsOverlap, formatCidr, parseCidr, subnetCidrs } from "../lib/cidr";

const role = parseStackName("prod-us-east-1") as Extract<
  ReturnType<typeof parseStackName>,
  { role: "region" }
>;
const ADDRESS = "0x11D12AfEF50b1FeE02146020533857d35936035D";
const REDEEMER = "0x00000000000000000000000000000000000000C3";

const validCidr = fc
  .tuple(
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 16, max: 22 }),
    fc.integer({ min: 0, max: 63 }),
  )
  .map(([b, prefix, n]) => {
    const base = 10 * 2 ** 24 + b * 2 ** 16 + ((n * 2 ** (32 - prefix)) % 2 ** 16);
    return formatCidr(base - (base % 2 ** (32 - prefix)), prefix);
  });

const validVolume = fc.integer({ min: 8, max: 16384 }).chain((sizeGiB) =>
  fc.integer({ min: 3000, max: Math.min(16000, sizeGiB * 500) }).chain((iops) =>
    fc.record({
      sizeGiB: fc.constant(sizeGiB),
      iops: fc.constant(iops),
      throughputMiBps: fc.integer({ min: 125, max: Math.min(1000, Math.floor(iops / 4)) }),
    }),
  ),
);

const validRegion = fc
  .record({
    cidr: validCidr,
    azs: fc.shuffledSubarray(["a", "b", "c", "d", "e", "f"], { minLength: 2 }),
    nat: fc.constantFrom("single", "perAz"),
    min: fc.integer({ min: 0, max: 50 }),
    extra: fc.integer({ min: 0, max: 50 }),
    instanceType: fc.constantFrom("g4dn.xlarge", "g5.2xlarge", "g6.xlarge", "c7i.4xlarge"),
    volume: validVolume,
    healthPort: fc.integer({ min: 1024, max: 65535 }).filter((p) => p !== 8935),
  })
  .map((v) => ({
    "livepeer-fleet:network": { cidr: v.cidr, availabilityZones: v.azs, natStrategy: v.nat },
    "livepeer-fleet:livepeer": {
      orchestratorAddress: ADDRESS,
      redeemerAddress: REDEEMER,
      healthPort: v.healthPort,
    },
    "livepeer-fleet:nodeGroup": {
      instanceType: v.instanceType,
      minSize: Math.max(v.min, 0),
      maxSize: Math.max(1, v.min + v.extra),
    },
    "livepeer-fleet:chainNode": { availabilityZone: v.azs[0], dataVolume: v.volume },
  }));

function load(stackValues: Record<string, unknown>) {
  return loadRegionConfig(role, { projectValues: {}, stackValues });
}

/** Invalid values for specific fields: [key, path, generator]. */
const corruptions: [string, string[], fc.Arbitrary<unknown>][] = [
  [
    "livepeer-fleet:network",
    ["cidr"],
    fc.oneof(fc.string(), fc.integer(), fc.constant("10.0.0.0/8"), fc.constant(null)),
  ],
  [
    "livepeer-fleet:network",
    ["natStrategy"],
    fc.string().filter((s) => s !== "single" && s !== "perAz"),
  ],
  [
    "livepeer-fleet:network",
    ["availabilityZones"],
    fc.oneof(
      fc.constant([]),
      fc.constant(["a"]),
      fc.array(fc.string({ minLength: 2 }), { minLength: 2 }),
    ),
  ],
  [
    "livepeer-fleet:livepeer",
    ["orchestratorAddress"],
    fc.oneof(
      fc.string(),
      fc
        .string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 1, maxLength: 39 })
        .map((h) => `0x${h}`),
    ),
  ],
  [
    "livepeer-fleet:livepeer",
    ["healthPort"],
    fc.oneof(
      fc.integer({ max: 1023 }),
      fc.integer({ min: 65536 }),
      fc.double({ noInteger: true }),
      fc.string(),
    ),
  ],
  [
    "livepeer-fleet:nodeGroup",
    ["minSize"],
    fc.oneof(fc.integer({ max: -1 }), fc.double({ noInteger: true }), fc.boolean()),
  ],
  [
    "livepeer-fleet:nodeGroup",
    ["instanceType"],
    fc.string().filter((s) => !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(s)),
  ],
  [
    "livepeer-fleet:chainNode",
    ["dataVolume", "iops"],
    fc.oneof(fc.integer({ max: 2999 }), fc.integer({ min: 16001 })),
  ],
];

function setPath(obj: Record<string, unknown>, key: string, path: string[], value: unknown) {
  const copy = structuredClone(obj);
  let cur = copy[key] as Record<string, unknown>;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string, unknown>;
  cur[path[path.length - 1]] = value;
  return copy;
}

describe("config validator properties (fast-check)", () => {
  it("every generated valid config passes", () => {
    fc.assert(
      fc.property(validRegion, (values) => {
        const c = load(values);
        expect(c.nodeGroup.minSize).to.be.at.most(c.nodeGroup.maxSize);
      }),
      { numRuns: 300 },
    );
  });

  it("a valid config with one field corrupted never passes, and the error names that field", () => {
    fc.assert(
      fc.property(
        validRegion,
        fc.integer({ min: 0, max: corruptions.length - 1 }),
        fc.context(),
        (values, i, ctx) => {
          const [key, path, gen] = corruptions[i];
          const bad = fc.sample(gen, {
            numRuns: 1,
            seed: values["livepeer-fleet:livepeer"].healthPort,
          })[0];
          ctx.log(`${key}.${path.join(".")} = ${JSON.stringify(bad)}`);
          let err: unknown;
          try {
            load(setPath(values, key, path, bad));
          } catch (e) {
            err = e;
          }
          expect(err).to.be.instanceOf(ConfigError);
          const keyPaths = (err as ConfigError).problems.map((p) => p.keyPath);
          expect(keyPaths.some((k) => k.startsWith(`${key}.${path[0]}`))).to.equal(
            true,
            keyPaths.join(", "),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("arbitrary junk in any key only ever produces a ConfigError with file and key", () => {
    const keys = ["network", "livepeer", "chainNode", "nodeGroup", "identity", "tags", "whatever"];
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...keys).map((k) => `livepeer-fleet:${k}`),
          fc.anything(),
        ),
        (values) => {
          try {
            load(values);
          } catch (e) {
            expect(e).to.be.instanceOf(ConfigError);
            for (const p of (e as ConfigError).problems) {
              expect(p.file).to.equal("Pulumi.prod-us-east-1.yaml");
              expect(p.keyPath).to.match(/^livepeer-fleet:/);
              expect(p.message).to.be.a("string").and.not.match(/\n/);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("CIDR layout properties", () => {
  it("subnets of distinct AZ letters never overlap and stay inside the VPC", () => {
    fc.assert(
      fc.property(
        validCidr,
        fc.shuffledSubarray(["a", "b", "c", "d", "e", "f"], { minLength: 2 }),
        (vpc, azs) => {
          const blocks = azs.flatMap((az) => Object.values(subnetCidrs(vpc, az)));
          const v = parseCidr(vpc)!;
          for (const [i, b] of blocks.entries()) {
            const p = parseCidr(b)!;
            expect(p.prefix).to.equal(v.prefix + 4);
            expect(cidrsOverlap(vpc, b)).to.equal(true);
            for (const other of blocks.slice(i + 1))
              expect(cidrsOverlap(b, other), `${b} ~ ${other}`).to.equal(false);
          }
        },
      ),
    );
  });

  it("cidrSubnet matches Terraform's cidrsubnet on known values", () => {
    expect(cidrSubnet("10.10.0.0/16", 4, 0)).to.equal("10.10.0.0/20");
    expect(cidrSubnet("10.10.0.0/16", 4, 9)).to.equal("10.10.144.0/20");
    expect(cidrSubnet("172.16.0.0/22", 4, 15)).to.equal("172.16.3.192/26");
    expect(() => cidrSubnet("10.0.0.0/30", 4, 0)).to.throw(/cannot be split/);
  });
});
