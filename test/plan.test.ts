// The offline main job, run as a user runs it: `npm run plan` (tsx scripts/plan.ts).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "./helpers/program";
import { scratchProject } from "../lib/checks/stacks";
import type { FailedStack, PlanEntry, StackReport } from "../lib/plan/report";
import type { FleetSummary } from "../lib/plan/fleet";
import { sumCosts } from "../lib/plan/fleet";
import { costLines } from "../lib/plan/capacity";
import { LAZY_SDK_MODULES, SDK_DIR } from "../lib/plan/lazy-sdk";
import { bundleWatcher, PREBUILT_BUNDLE_ENV, writePrebuiltBundle } from "../lib/watcher/bundle";
import { OFFLINE_PLAN_ENV } from "../lib/runtime/releases";

function plan(args: string[], cwd = PROJECT_DIR) {
  return spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(cwd, "scripts", "plan.ts"), ...args],
    {
      cwd,
      encoding: "utf8",
    },
  );
}

/** A scratch copy of the program (stack files included) to break on purpose. */
function scratchCopy(): string {
  const stackFiles = fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
  return scratchProject(PROJECT_DIR, stackFiles, "lf-plan-");
}

interface PlanDoc {
  stacks: PlanEntry[];
  fleet: FleetSummary;
}

describe("npm run plan", () => {
  it("--json lists every shipped stack with its role, resources and public ingress", () => {
    const r = plan(["--json"]);
    expect(r.status, r.stderr).to.equal(0);
    const doc = JSON.parse(r.stdout) as { stacks: StackReport[]; fleet: FleetSummary };
    expect(doc.stacks.map((s) => [s.stack, s.role, s.region])).to.deep.equal([
      ["prod", "fleet", null],
      ["prod-eu-west-1", "region", "eu-west-1"],
      ["prod-us-east-1", "region", "us-east-1"],
    ]);
    const use1 = doc.stacks[2];
    expect(use1.resources.find((x) => x.type === "aws:kms/key:Key")).to.include({
      parent: "prod-us-east-1-keys",
    });
    expect(use1.publicIngress.map((p) => `${p.port}/${p.protocol}`)).to.have.members([
      "8935/tcp",
      "8935/tcp",
      "8935/tcp",
    ]);
    expect(use1.nodeGroup).to.include({ instanceType: "g4dn.xlarge", maxSize: 35 });
    expect(use1.nodeGroup!.minSize).to.be.within(2, 9);

    // The fleet summary: every region's cost summed, line by line, and the shipped examples.
    const cost = doc.fleet.monthlyCostUsd;
    const totals = doc.stacks.filter((s) => s.capacity).map((s) => s.capacity!.monthlyCostUsd);
    expect(totals).to.have.length(2);
    expect(cost.total).to.be.closeTo(totals[0].total + totals[1].total, 0.011);
    const transcoders = cost.lines.find((l) => l.key === "transcoders")!;
    expect(transcoders.usd).to.be.closeTo(totals[0].transcoders! + totals[1].transcoders!, 0.011);
    const egress = cost.lines.find((l) => l.key === "internetEgress")!;
    expect(egress.usd).to.be.closeTo(totals[0].internetEgress! + totals[1].internetEgress!, 0.011);
    expect(doc.fleet.cidrOverlaps).to.deep.equal([]);
    expect(doc.fleet.sharedRedeemers).to.deep.equal([]);
    expect(doc.fleet.fleets).to.deep.equal([
      {
        fleet: "prod",
        fleetStackFile: true,
        regions: ["us-east-1", "eu-west-1"],
        missingStackFiles: [],
        unlistedStacks: [],
      },
    ]);
    expect(doc.fleet.exampleValues.map((e) => `${e.file}: ${e.keyPath}`)).to.deep.equal([
      "Pulumi.prod.yaml: livepeer-fleet:driftCheck.githubRepository",
      "Pulumi.prod-eu-west-1.yaml: livepeer-fleet:livepeer.orchestratorAddress",
      "Pulumi.prod-eu-west-1.yaml: livepeer-fleet:livepeer.redeemerAddress",
      "Pulumi.prod-us-east-1.yaml: livepeer-fleet:livepeer.orchestratorAddress",
      "Pulumi.prod-us-east-1.yaml: livepeer-fleet:livepeer.redeemerAddress",
    ]);
  });

  it("prints a readable report per stack, and --stack limits it; the summary comes last", () => {
    const r = plan(["--stack", "prod-eu-west-1"]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^prod-eu-west-1 {2}\(region unit, eu-west-1\)/);
    expect(r.stdout).to.match(/reachable from the internet:\n {4}8935\/tcp/);
    expect(r.stdout).to.match(/transcoders: g5\.xlarge, \d+ sessions each .*, min \d+, max 17/);
    expect(r.stdout).not.to.include("prod-us-east-1  (");
    const summary = r.stdout.slice(r.stdout.indexOf("\nfleet summary\n"));
    expect(summary).to.match(
      /monthly cost of 1 region stack\(s\), USD:\n {4}prod-eu-west-1 +\$\d+\.\d\d\n/,
    );
    expect(summary).to.match(/^ {4}total +\$\d+\.\d\d$/m);
    expect(summary).to.include(
      'Pulumi.prod.yaml: livepeer-fleet:driftCheck.githubRepository: "example-org/livepeer-fleet" is the shipped example repository',
    );
    // Fewer than four stacks: no progress lines.
    expect(r.stderr).not.to.match(/^plan: \[/m);
  });

  it("an unknown stack is exit 2 with the stacks that exist", () => {
    const r = plan(["--stack", "prod-ap-south-1"]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(
      /no stack file for Pulumi\.prod-ap-south-1\.yaml; stacks here: prod, prod-eu-west-1, prod-us-east-1/,
    );
  });

  describe("on a scratch copy with broken config", () => {
    let dir: string;
    before(() => {
      dir = scratchCopy();
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("one bad stack hides none of the others: they print, it shows its errors, exit 2", () => {
      const file = path.join(dir, "Pulumi.prod-eu-west-1.yaml");
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("maxSize: 17", "maxSize: 0"));
      const r = plan(["--stack", "prod", "--stack", "prod-eu-west-1"], dir);
      expect(r.status).to.equal(2);
      expect(r.stderr.split("\n")[0]).to.match(
        /^Pulumi\.prod-eu-west-1\.yaml: livepeer-fleet:nodeGroup\.maxSize: /,
      );
      expect(r.stdout).to.match(/^prod {2}\(fleet\)/);
      expect(r.stdout).to.match(
        /\nprod-eu-west-1 {2}\(INVALID CONFIG: not planned\)\n {2}Pulumi\.prod-eu-west-1\.yaml: livepeer-fleet:nodeGroup\.maxSize: /,
      );
      expect(r.stdout).to.match(/\nfleet summary\n/);
      expect(r.stdout).to.match(/not in the total: prod-eu-west-1, not planned/);
    });

    it("--json: a per-stack error object; the summary finds overlaps, a shared redeemer account, missing and unlisted stacks, example domains", () => {
      // A second region stack the fleet does not list, on us-east-1's VPC block.
      fs.copyFileSync(
        path.join(dir, "Pulumi.prod-us-east-1.yaml"),
        path.join(dir, "Pulumi.prod-us-west-2.yaml"),
      );
      const fleetFile = path.join(dir, "Pulumi.prod.yaml");
      fs.writeFileSync(
        fleetFile,
        fs
          .readFileSync(fleetFile, "utf8")
          .replace("    - eu-west-1\n", "    - eu-west-1\n    - ap-south-1\n"),
      );
      const use1 = path.join(dir, "Pulumi.prod-us-east-1.yaml");
      fs.appendFileSync(
        use1,
        "  livepeer-fleet:alarms:\n    subscriptions:\n      - { protocol: email, endpoint: ops@example.com }\n",
      );
      const out = path.join(dir, "plan.json");
      const r = plan(["--json", "--out", out], dir);
      expect(r.status).to.equal(2);
      const doc = JSON.parse(r.stdout) as PlanDoc;
      expect(JSON.parse(fs.readFileSync(out, "utf8"))).to.deep.equal(doc);
      expect(doc.stacks.map((s) => [s.stack, "error" in s ? s.error.kind : "ok"])).to.deep.equal([
        ["prod", "ok"],
        ["prod-eu-west-1", "invalid-config"],
        ["prod-us-east-1", "ok"],
        ["prod-us-west-2", "invalid-config"],
      ]);
      const bad = doc.stacks[1] as FailedStack;
      expect(bad).to.include({ role: "region", region: "eu-west-1" });
      expect(bad.error.problems[0]).to.include({
        file: "Pulumi.prod-eu-west-1.yaml",
        keyPath: "livepeer-fleet:nodeGroup.maxSize",
      });
      expect((doc.stacks[3] as FailedStack).error.problems[0]).to.include({
        file: "Pulumi.prod.yaml",
        keyPath: "livepeer-fleet:regions",
      });
      const f = doc.fleet;
      expect(f.monthlyCostUsd.stacks.map((s) => s.stack)).to.deep.equal(["prod-us-east-1"]);
      expect(f.monthlyCostUsd.notCounted.map((s) => s.stack)).to.deep.equal([
        "prod-eu-west-1",
        "prod-us-west-2",
      ]);
      expect(f.fleets[0]).to.deep.include({
        missingStackFiles: ["ap-south-1"],
        unlistedStacks: ["prod-us-west-2"],
      });
      expect(f.cidrOverlaps).to.deep.equal([
        { stacks: ["prod-us-east-1", "prod-us-west-2"], cidrs: ["10.10.0.0/16", "10.10.0.0/16"] },
      ]);
      // The copy names us-east-1's redeemer account too: two redeemers, one account.
      expect(f.sharedRedeemers).to.deep.equal([
        {
          address: "0x1000000000000000000000000000000000000001",
          stacks: ["prod-us-east-1", "prod-us-west-2"],
        },
      ]);
      expect(f.exampleValues).to.deep.include({
        file: "Pulumi.prod-us-east-1.yaml",
        keyPath: "livepeer-fleet:alarms.subscriptions[0].endpoint",
        value: "ops@example.com",
        message: "an example domain (RFC 2606): set a real one",
      });
      // More than three stacks: one progress line each on stderr, stdout stays pure JSON.
      expect(r.stderr.match(/^plan: \[\d\/4\] /gm)).to.have.length(4);
    });

    it("a stack name that fits neither role is exit 2, its first line naming its stack file", () => {
      fs.writeFileSync(path.join(dir, "Pulumi.Prod_Test.yaml"), "config: {}\n");
      const r = plan(["--stack", "Prod_Test"], dir);
      expect(r.status).to.equal(2);
      expect(r.stderr.split("\n")[0]).to.match(
        /^Pulumi\.Prod_Test\.yaml: \(stack name\): stack "Prod_Test" fits neither role/,
      );
      fs.rmSync(path.join(dir, "Pulumi.Prod_Test.yaml"));
    });

    it("secure config values are shown as [secret], never as ciphertext", () => {
      const file = path.join(dir, "Pulumi.prod.yaml");
      fs.appendFileSync(
        file,
        "  livepeer-fleet:tags:\n    Owner:\n      secure: v1:c2VjcmV0Y2lwaGVydGV4dA==\n",
      );
      const r = plan(["--stack", "prod", "--json"], dir);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).not.to.include("c2VjcmV0Y2lwaGVydGV4dA");
    });
  });

  describe("on a scratch copy whose program crashes for one stack", () => {
    let dir: string;
    before(() => {
      dir = scratchCopy();
      const index = path.join(dir, "index.ts");
      // Not a config error: a bug. Its evaluation process exits; a fresh one plans the rest.
      fs.writeFileSync(
        index,
        fs.readFileSync(index, "utf8") +
          '\nif (pulumi.getStack() === "prod-eu-west-1") throw new Error("a bug for the test");\n',
      );
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reports that stack as failed with the crash, plans the others, exit 2", () => {
      const r = plan(["--json"], dir);
      expect(r.status).to.equal(2);
      const doc = JSON.parse(r.stdout) as PlanDoc;
      expect(doc.stacks.map((s) => [s.stack, "error" in s ? s.error.kind : "ok"])).to.deep.equal([
        ["prod", "ok"],
        ["prod-eu-west-1", "failed"],
        ["prod-us-east-1", "ok"],
      ]);
      const failed = doc.stacks[1] as FailedStack;
      expect(failed.error.problems[0].message).to.include("a bug for the test");
    });
  });

  it("sums whatever cost lines the stacks have, a new kind of line included", () => {
    const stack = (name: string, cost: Record<string, number | null>) =>
      ({
        stack: name,
        role: "region",
        region: "us-east-1",
        resources: [],
        publicIngress: [],
        capacity: { monthlyCostUsd: cost },
      }) as unknown as StackReport;
    const sum = sumCosts([
      stack("prod-a-1", { total: 30, transcoders: 10, nat: 20 }),
      stack("prod-b-1", { total: 9, transcoders: null, nat: 4, newCharge: 5 }),
    ]);
    expect(sum.total).to.equal(39);
    // Labelled lines in label order, then a line no label knows yet, under its own key.
    expect(sum.lines).to.deep.equal([
      { key: "transcoders", label: "transcoders", usd: 10 },
      { key: "nat", label: "NAT", usd: 24 },
      { key: "newCharge", label: "newCharge", usd: 5 },
    ]);
    expect(costLines({ total: 1, transcoders: 1 } as never).map((l) => l.key)).to.deep.equal([
      "transcoders",
    ]);
  });

  it("the watcher bundle the plan builds once is byte-identical to the one each stack would build", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-bundle-"));
    try {
      const env = writePrebuiltBundle(dir);
      const built = bundleWatcher();
      expect(fs.readFileSync(env[PREBUILT_BUNDLE_ENV], "utf8")).to.equal(built.code);
      const read = (extra: Record<string, string>) =>
        spawnSync(
          process.execPath,
          [
            "--import",
            "tsx",
            "-e",
            'const b = require("./lib/watcher/bundle").bundleWatcher(); process.stdout.write(b.sha256)',
          ],
          { cwd: PROJECT_DIR, encoding: "utf8", env: { ...process.env, ...env, ...extra } },
        );
      const ok = read({ [OFFLINE_PLAN_ENV]: "1" });
      expect(ok.status, ok.stderr).to.equal(0);
      expect(ok.stdout).to.equal(built.sha256);
      fs.appendFileSync(env[PREBUILT_BUNDLE_ENV], "\n// changed");
      const tampered = read({ [OFFLINE_PLAN_ENV]: "1" });
      expect(tampered.status).to.not.equal(0);
      expect(tampered.stderr).to.match(/is not the one the plan built/);
      // Outside the offline plan the variables are ignored: pulumi up always bundles itself.
      const deploy = read({});
      expect(deploy.stdout).to.equal(built.sha256);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the evaluation child's lazy SDK modules still name every export the SDK has", () => {
    for (const [rel, names] of Object.entries(LAZY_SDK_MODULES)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const real = require(path.join(SDK_DIR, rel)) as Record<string, unknown>;
      expect(Object.keys(real).sort(), rel).to.deep.equal([...names].sort());
    }
  });

  it("one evaluation process plans stacks in turn, each exactly as a process of its own would", () => {
    const child = (args: string[], input?: string) =>
      spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(PROJECT_DIR, "scripts", "plan-stack.ts"), ...args],
        { cwd: PROJECT_DIR, encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 },
      );
    // A stack with invalid config first (no stack file: nothing but defaults), then two others.
    const served = child(["--serve"], "prod-ap-south-1\nprod-eu-west-1\nprod-us-east-1\n");
    expect(served.status, served.stderr).to.equal(0);
    const answers = served.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { stack: string; report?: StackReport; error?: unknown });
    expect(answers.map((a) => [a.stack, a.error ? "error" : "report"])).to.deep.equal([
      ["prod-ap-south-1", "error"],
      ["prod-eu-west-1", "report"],
      ["prod-us-east-1", "report"],
    ]);
    const alone = child(["prod-us-east-1"]);
    expect(alone.status, alone.stderr).to.equal(0);
    expect(answers[2].report).to.deep.equal(JSON.parse(alone.stdout));
  });

  it("invalid config registers no resource at all", () => {
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(PROJECT_DIR, "scripts", "plan-stack.ts"),
        "prod-ap-south-1",
        "--evaluation",
      ],
      { cwd: PROJECT_DIR, encoding: "utf8" },
    );
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include("resources registered before the error: 0");
  });
});
