import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { main } from "../scripts/add-region";
import { nextFreeCidr } from "../lib/ops/cidr-pick";
import { cidrsOverlap } from "../lib/cidr";
import { applyAll } from "../lib/ops/files";
import { appendToSequence } from "../lib/ops/yaml-edit";
import { loadRegionConfig } from "../lib/config/load";
import { readProjectConfig, readStackConfig } from "../lib/config/sources";
import { evaluate, PROJECT_DIR } from "./helpers/program";
import { unitKeyUrns } from "../lib/ops/add-region";

/** A valid demand profile: 24 hourly peaks (the sizing schema checks the shape). */
const HOURS_OF_DEMAND = Array.from({ length: 24 }, (_, h) => 2 + (h % 6));

const STACK_FILES = [
  "Pulumi.yaml",
  "Pulumi.prod.yaml",
  "Pulumi.prod-us-east-1.yaml",
  "Pulumi.prod-eu-west-1.yaml",
];

/** A temporary copy of the repository's project and stack files. */
function tempRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-add-region-"));
  for (const f of STACK_FILES) fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
  return dir;
}

/** Every file name and its bytes: what "left nothing behind" is checked against. */
function snapshot(dir: string): Record<string, unknown> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => {
        const p = path.join(dir, f);
        return [f, fs.statSync(p).isDirectory() ? snapshot(p) : fs.readFileSync(p, "utf8")];
      }),
  );
}

/** The new region's own redeemer account, as every run passes it (unless the test gives one). */
const NEW_REDEEMER = "0x00000000000000000000000000000000000000D4";

function run(dir: string, ...argv: string[]): { code: number; out: string; err: string } {
  let out = "";
  let err = "";
  const args = argv.includes("--redeemer") ? argv : [...argv, "--redeemer", NEW_REDEEMER];
  const code = main(args, dir, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe("add-region", () => {
  it("writes the region stack from the project defaults and appends to the fleet list", () => {
    const dir = tempRepo();
    const fleetBefore = fs.readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8");
    const r = run(dir, "--fleet", "prod", "--region", "eu-central-1");
    expect(r.code, r.err).to.equal(0);

    const fleetAfter = fs.readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8");
    // Exactly one line more; every comment and blank line of the author's file untouched.
    expect(fleetAfter).to.equal(
      fleetBefore.replace("    - eu-west-1\n", "    - eu-west-1\n    - eu-central-1\n"),
    );

    const config = readStackConfig(dir, "prod-eu-central-1")!;
    expect(config["livepeer-fleet:network"]).to.deep.equal({ cidr: "10.12.0.0/16" });
    expect(config["livepeer-fleet:livepeer"]).to.deep.equal({
      orchestratorAddress: "0x11D12AfEF50b1FeE02146020533857d35936035D",
      redeemerAddress: NEW_REDEEMER,
    });
    // Written out, so a later edit of the AZ list can never move the protected data volume.
    expect(config["livepeer-fleet:chainNode"]).to.deep.equal({ availabilityZone: "a" });
    const loaded = loadRegionConfig(
      { role: "region", stack: "prod-eu-central-1", fleet: "prod", region: "eu-central-1" },
      { stackValues: config, projectValues: readProjectConfig(dir) },
    );
    expect(loaded.nodeGroup.instanceType).to.equal("g4dn.xlarge");

    for (const cmd of [
      "pulumi stack init prod-eu-central-1",
      "npm run identity:import -- --stack prod-eu-central-1",
      "--target 'urn:pulumi:prod-eu-central-1::livepeer-fleet::livepeer-fleet:region:RegionUnit$livepeer-fleet:keys:Keys$aws:kms/key:Key::prod-eu-central-1-keys-key'",
      "pulumi up --stack prod-eu-central-1 --policy-pack policy",
    ]) {
      expect(r.out).to.include(cmd);
    }
  });

  it("copies --from a stack with its comments, a fresh CIDR and without region-only values", () => {
    const dir = tempRepo();
    const from = path.join(dir, "Pulumi.prod-us-east-1.yaml");
    fs.appendFileSync(
      from,
      [
        "  livepeer-fleet:identity:",
        "    parameterPrefix: /livepeer-fleet/prod-us-east-1",
        "  livepeer-fleet:apiToken:",
        "    secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBB",
        "",
      ].join("\n"),
    );
    const r = run(dir, "--fleet", "prod", "--region", "ap-southeast-1", "--from", "prod-us-east-1");
    expect(r.code, r.err).to.equal(0);
    const text = fs.readFileSync(path.join(dir, "Pulumi.prod-ap-southeast-1.yaml"), "utf8");
    expect(text).to.include("# One NAT gateway: only transcoders' boots and AWS API calls use it");
    expect(text).to.include("in ap-southeast-1");
    expect(text).not.to.include("in us-east-1");
    expect(text).to.include("availabilityZones: [a, b, c]");
    const config = parse(text) as { config: Record<string, Record<string, unknown>> };
    expect(config.config["livepeer-fleet:network"].cidr).to.equal("10.12.0.0/16");
    expect(config.config["livepeer-fleet:network"].natStrategy).to.equal("single");
    expect(config.config["livepeer-fleet:chainNode"].dataVolume).to.deep.equal({
      sizeGiB: 2000,
      iops: 6000,
      throughputMiBps: 500,
    });
    expect(config.config).not.to.have.property("livepeer-fleet:apiToken");
    expect(config.config["livepeer-fleet:identity"]).to.deep.equal({});
    expect(r.out).to.include("not copied from prod-us-east-1: livepeer-fleet:apiToken");
    expect(r.out).to.include("identity.parameterPrefix");
    // The template's redeemer account stays the template's: the new region gets --redeemer.
    expect(config.config["livepeer-fleet:livepeer"]).to.deep.equal({
      orchestratorAddress: "0x11D12AfEF50b1FeE02146020533857d35936035D",
      redeemerAddress: NEW_REDEEMER,
    });
    expect(r.out).to.include("livepeer.redeemerAddress (each region has its own redeemer account");
  });

  it("writes the chain node's AZ from the template's AZs, keeping one the template pins", () => {
    const dir = tempRepo();
    const from = path.join(dir, "Pulumi.prod-eu-west-1.yaml");
    fs.writeFileSync(
      from,
      fs
        .readFileSync(from, "utf8")
        .replace("availabilityZones: [a, b]", "availabilityZones: [c, b]"),
    );
    expect(
      run(dir, "--fleet", "prod", "--region", "eu-north-1", "--from", "prod-eu-west-1").code,
    ).to.equal(0);
    const written = parse(
      fs.readFileSync(path.join(dir, "Pulumi.prod-eu-north-1.yaml"), "utf8"),
    ) as {
      config: Record<string, Record<string, unknown>>;
    };
    expect(written.config["livepeer-fleet:chainNode"].availabilityZone).to.equal("b");
    fs.appendFileSync(from, "  livepeer-fleet:chainNode:\n    availabilityZone: c\n");
    expect(
      run(
        dir,
        ...["--fleet", "prod", "--region", "eu-south-1", "--from", "prod-eu-west-1"],
        // A second new region: its own redeemer account (the first one's is taken now).
        ...["--redeemer", "0x00000000000000000000000000000000000000d5"],
      ).code,
    ).to.equal(0);
    const pinned = parse(
      fs.readFileSync(path.join(dir, "Pulumi.prod-eu-south-1.yaml"), "utf8"),
    ) as {
      config: Record<string, Record<string, unknown>>;
    };
    expect(pinned.config["livepeer-fleet:chainNode"]).to.deep.equal({ availabilityZone: "c" });
  });

  it("puts --demand content under livepeer-fleet:demand verbatim, comments included", () => {
    const dir = tempRepo();
    const demand = path.join(dir, "demand.yaml");
    fs.writeFileSync(
      demand,
      "# measured 2024-05\npeakStreams: [" +
        HOURS_OF_DEMAND.join(", ") +
        "]\nladder:\n  - { name: source, width: 1920, height: 1080, fps: 30 }\n" +
        "  - { name: 720p30, width: 1280, height: 720, fps: 30 }\n",
    );
    const r = run(dir, "--fleet", "prod", "--region", "eu-central-1", "--demand", demand);
    expect(r.code, r.err).to.equal(0);
    const text = fs.readFileSync(path.join(dir, "Pulumi.prod-eu-central-1.yaml"), "utf8");
    expect(text).to.include("measured 2024-05");
    const doc = parse(text) as { config: Record<string, unknown> };
    expect(doc.config["livepeer-fleet:demand"]).to.deep.equal({
      peakStreams: HOURS_OF_DEMAND,
      ladder: [
        { name: "source", width: 1920, height: 1080, fps: 30 },
        { name: "720p30", width: 1280, height: 720, fps: 30 },
      ],
    });
  });

  it("accepts a JSON demand file wrapped in its config key", () => {
    const dir = tempRepo();
    const demand = path.join(dir, "demand.json");
    fs.writeFileSync(
      demand,
      JSON.stringify({ "livepeer-fleet:demand": { peakStreams: HOURS_OF_DEMAND } }),
    );
    const r = run(dir, "--fleet", "prod", "--region", "eu-central-1", "--demand", demand);
    expect(r.code, r.err).to.equal(0);
    const config = readStackConfig(dir, "prod-eu-central-1")!;
    expect(config["livepeer-fleet:demand"]).to.deep.equal({ peakStreams: HOURS_OF_DEMAND });
  });

  describe("refusals leave the directory byte-identical", () => {
    const cases: [string, string[], RegExp, ((dir: string) => void)?][] = [
      ["a region already in the fleet", ["--region", "eu-west-1"], /already in fleet prod/],
      ["an unknown region", ["--region", "mars-north-1"], /not an AWS region/],
      [
        "an existing stack file",
        ["--region", "eu-central-1"],
        /already exists; refusing to overwrite/,
        (dir) => fs.writeFileSync(path.join(dir, "Pulumi.prod-eu-central-1.yaml"), "# mine\n"),
      ],
      ["a missing template", ["--region", "eu-central-1", "--from", "prod-xx"], /not found/],
      [
        "a demand file that is not a mapping",
        ["--region", "eu-central-1", "--demand", "DEMAND"],
        /expected a non-empty mapping/,
        (dir) => fs.writeFileSync(path.join(dir, "demand.yaml"), "- 1\n- 2\n"),
      ],
      [
        "config the region stack would reject",
        [
          "--region",
          "eu-central-1",
          "--orchestrator",
          "0x0000000000000000000000000000000000000000",
        ],
        /orchestratorAddress/,
      ],
      ["an unknown fleet", ["--region", "eu-central-1", "--fleet", "staging"], /not found/],
      [
        "a redeemer that is not an address",
        ["--region", "eu-central-1", "--redeemer", "0x1234"],
        /--redeemer 0x1234: not an Ethereum address/,
      ],
      [
        "another region's redeemer account (one account, one sender)",
        ["--region", "eu-central-1", "--redeemer", "0x1000000000000000000000000000000000000002"],
        /is prod-eu-west-1's redeemer account already/,
      ],
      [
        "the orchestrator's account as the redeemer",
        ["--region", "eu-central-1", "--redeemer", "0x11D12AfEF50b1FeE02146020533857d35936035D"],
        /redeemerAddress: expected an account other than orchestratorAddress/,
      ],
    ];
    for (const [what, args, message, prepare] of cases) {
      it(`refuses ${what}`, () => {
        const dir = tempRepo();
        prepare?.(dir);
        const before = snapshot(dir);
        const argv = args.map((a) => (a === "DEMAND" ? path.join(dir, "demand.yaml") : a));
        const full = argv.includes("--fleet") ? argv : ["--fleet", "prod", ...argv];
        const r = run(dir, ...full);
        expect(r.code).to.equal(2);
        expect(r.err).to.match(message);
        expect(r.err).to.include("nothing written");
        expect(snapshot(dir)).to.deep.equal(before);
      });
    }
  });

  it("refuses without --redeemer: no template or other region can supply the new one's account", () => {
    const dir = tempRepo();
    const before = snapshot(dir);
    let err = "";
    const code = main(["--fleet", "prod", "--region", "eu-central-1"], dir, {
      out: () => undefined,
      err: (t) => (err += t),
    });
    expect(code).to.equal(2);
    expect(err).to.match(/pass --redeemer 0x\.\.\.: eu-central-1's own redeemer account/);
    expect(snapshot(dir)).to.deep.equal(before);
  });

  it("undoes the new file when replacing the fleet file fails", () => {
    const dir = tempRepo();
    fs.mkdirSync(path.join(dir, "blocked"));
    fs.writeFileSync(path.join(dir, "blocked", "x"), "occupied");
    const before = snapshot(dir);
    expect(() =>
      applyAll([
        { file: path.join(dir, "new.yaml"), content: "a: 1\n", mode: "create" },
        // Renaming a file over a non-empty directory fails: the first change must be undone.
        { file: path.join(dir, "blocked"), content: "b: 2\n", mode: "replace" },
      ]),
    ).to.throw();
    expect(snapshot(dir)).to.deep.equal(before);
  });

  it("appends to flow-style and commented lists without touching the rest", () => {
    expect(appendToSequence("config:\n  r: [a-1, b-2]  # x\n", ["config", "r"], "c-3")).to.equal(
      "config:\n  r: [a-1, b-2, c-3]  # x\n",
    );
    expect(
      appendToSequence("c:\n  r:\n  - a-1 # first\n# tail\nz: 1\n", ["c", "r"], "b-2"),
    ).to.equal("c:\n  r:\n  - a-1 # first\n  - b-2\n# tail\nz: 1\n");
  });

  it("prints --target URNs that name the unit key and alias the program registers", () => {
    // The engine's URN carries every ancestor's type (Parent$Child$Type); the mock monitor's only
    // the parent's, so the full chain is rebuilt from the recorded parents.
    const e = evaluate("prod-us-east-1");
    const byUrn = new Map(e.resources.map((r) => [r.urn, r]));
    const engineUrn = (r: (typeof e.resources)[number]) => {
      const types: string[] = [];
      for (let cur: typeof r | undefined = r; cur; cur = byUrn.get(cur.parent)) {
        if (cur.type !== "pulumi:pulumi:Stack") types.unshift(cur.type);
      }
      return `urn:pulumi:prod-us-east-1::livepeer-fleet::${types.join("$")}::${r.name}`;
    };
    expect(e.resources.map(engineUrn)).to.include.members(unitKeyUrns("prod-us-east-1"));
  });

  it("picks a CIDR that overlaps no existing block (property)", () => {
    const block = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 22 }))
      .map(([second, prefix]) => `10.${second}.0.0/${prefix}`);
    fc.assert(
      fc.property(
        fc.array(block, { maxLength: 40 }),
        fc.integer({ min: 16, max: 22 }),
        (used, p) => {
          const picked = nextFreeCidr(used, p);
          expect(picked).to.be.a("string");
          for (const u of used)
            expect(cidrsOverlap(u, picked!), `${picked} vs ${u}`).to.equal(false);
        },
      ),
    );
    expect(nextFreeCidr(["10.10.0.0/16", "10.11.0.0/16"])).to.equal("10.12.0.0/16");
  });
});
