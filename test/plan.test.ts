// The offline main job, run as a user runs it: `npm run plan` (tsx scripts/plan.ts).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "./helpers/program";
import type { StackReport } from "../lib/plan/report";

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
function scratchProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-plan-"));
  for (const entry of fs.readdirSync(PROJECT_DIR)) {
    if (entry === "node_modules")
      fs.symlinkSync(path.join(PROJECT_DIR, entry), path.join(dir, entry));
    else if (
      /^(index\.ts|package\.json|tsconfig\.json|Pulumi.*\.yaml|components|lib|policy|scripts)$/.test(
        entry,
      )
    ) {
      fs.cpSync(path.join(PROJECT_DIR, entry), path.join(dir, entry), { recursive: true });
    }
  }
  return dir;
}

describe("npm run plan", () => {
  it("--json lists every shipped stack with its role, resources and public ingress", () => {
    const r = plan(["--json"]);
    expect(r.status, r.stderr).to.equal(0);
    const doc = JSON.parse(r.stdout) as { stacks: StackReport[] };
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
    expect(use1.nodeGroup).to.include({ instanceType: "g4dn.xlarge", maxSize: 9 });
    expect(use1.nodeGroup!.minSize).to.be.within(2, 9);
  });

  it("prints a readable report per stack, and --stack limits it", () => {
    const r = plan(["--stack", "prod-eu-west-1"]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^prod-eu-west-1 {2}\(region unit, eu-west-1\)/);
    expect(r.stdout).to.match(/reachable from the internet:\n {4}8935\/tcp/);
    expect(r.stdout).to.match(/transcoders: g5\.xlarge, \d+ sessions each .*, min \d+, max 5/);
    expect(r.stdout).not.to.include("prod-us-east-1");
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
      dir = scratchProject();
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("invalid config: exit 2, first stderr line names the stack file and key path", () => {
      const file = path.join(dir, "Pulumi.prod-eu-west-1.yaml");
      fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("maxSize: 5", "maxSize: 0"));
      const r = plan(["--stack", "prod-eu-west-1"], dir);
      expect(r.status).to.equal(2);
      expect(r.stderr.split("\n")[0]).to.match(
        /^Pulumi\.prod-eu-west-1\.yaml: livepeer-fleet:nodeGroup\.maxSize: /,
      );
      expect(r.stdout).to.equal("");
    });

    it("a region its fleet does not list is exit 2 naming the fleet file", () => {
      fs.copyFileSync(
        path.join(dir, "Pulumi.prod-us-east-1.yaml"),
        path.join(dir, "Pulumi.prod-us-west-2.yaml"),
      );
      const r = plan(["--stack", "prod-us-west-2"], dir);
      expect(r.status).to.equal(2);
      expect(r.stderr.split("\n")[0]).to.match(
        /^Pulumi\.prod\.yaml: livepeer-fleet:regions: does not list us-west-2/,
      );
    });

    it("a stack name that fits neither role is exit 2 saying what to do", () => {
      fs.writeFileSync(path.join(dir, "Pulumi.Prod_Test.yaml"), "config: {}\n");
      const r = plan(["--stack", "Prod_Test"], dir);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/fits neither role/);
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
