// The GitHub workflows that touch AWS and the Pulumi backend (drift.yml, deploy.yml): what each
// job step can reach. Secrets and AWS credentials only in the steps that need them, no install
// scripts, every action pinned by commit SHA, no `${{ }}` expression inside a shell script (an
// input would be pasted into the script), the policy pack on every preview and update. The deploy
// workflow's stack check is run in bash.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { PROJECT_DIR } from "./helpers/program";

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, { env?: Record<string, string>; steps: Step[] }>;
}

const DIR = path.join(PROJECT_DIR, ".github", "workflows");
const text = (file: string) => fs.readFileSync(path.join(DIR, file), "utf8");
const load = (file: string) => parse(text(file)) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const label = (s: Step) => s.name ?? s.id ?? s.uses ?? s.run ?? "?";

/** Steps whose env or inputs mention `needle`. */
function stepsMentioning(w: Workflow, needle: string): string[] {
  return steps(w)
    .filter((s) => JSON.stringify({ env: s.env, with: s.with, run: s.run }).includes(needle))
    .map(label);
}

/** A version from "3.248.0" as a comparable number. */
const version = (v: string) => v.split(".").reduce((acc, part) => acc * 1000 + Number(part), 0);

const WORKFLOWS: [string, string[]][] = [
  ["drift.yml", ["Drift check"]],
  ["deploy.yml", ["Preview with the policy pack", "Update with the policy pack"]],
];

for (const [file, privileged] of WORKFLOWS) {
  describe(`workflow ${file}`, () => {
    const w = load(file);

    it("pins every action to a full commit SHA and names the tag it was read from", () => {
      const uses = text(file)
        .split("\n")
        .filter((l) => /^\s*(-\s+)?uses:/.test(l));
      expect(uses).to.have.length.greaterThan(3);
      for (const line of uses) {
        expect(line).to.match(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
      }
    });

    it("asks for an OIDC token and read access to the repository, nothing more", () => {
      expect(w.permissions).to.deep.equal({ contents: "read", "id-token": "write" });
    });

    it(`gives secrets and AWS credentials to ${privileged.join(" and ")} only`, () => {
      expect(w.env, "workflow env").to.equal(undefined);
      for (const job of Object.values(w.jobs)) expect(job.env, "job env").to.equal(undefined);
      for (const needle of ["secrets.", "steps.aws.outputs"]) {
        expect(stepsMentioning(w, needle), needle).to.deep.equal(privileged);
      }
      const aws = steps(w).find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"));
      expect(aws?.with).to.include({ "output-credentials": true, "output-env-credentials": false });
    });

    it("installs packages without running their install scripts", () => {
      const installs = steps(w).filter((s) => /\bnpm (ci|install)\b/.test(s.run ?? ""));
      expect(installs).to.have.length(1);
      expect(installs[0].run).to.include("--ignore-scripts");
    });

    it("never pastes an expression into a shell script", () => {
      for (const s of steps(w)) {
        if (s.run) expect(s.run, label(s)).not.to.include("${{");
      }
    });

    it("pins the Pulumi CLI, at least 3.229.0 (a refresh preview then takes no lock)", () => {
      const cli = steps(w).find((s) => s.uses?.startsWith("pulumi/actions"));
      expect(version(String(cli?.with?.["pulumi-version"]))).to.be.at.least(version("3.229.0"));
    });
  });
}

describe("workflow deploy.yml: the policy pack on every deploy", () => {
  const w = load("deploy.yml");

  it("is started by hand for one stack", () => {
    expect(Object.keys(w.on)).to.deep.equal(["workflow_dispatch"]);
    const input = (w.on.workflow_dispatch as { inputs: Record<string, { required: boolean }> })
      .inputs.stack;
    expect(input.required).to.equal(true);
  });

  it("previews, then updates, both with --policy-pack policy", () => {
    const pulumi = steps(w)
      .map((s) => s.run ?? "")
      .filter((r) => /\bpulumi (preview|up)\b/.test(r));
    expect(pulumi).to.have.length(2);
    expect(pulumi[0]).to.match(/^pulumi preview --stack "\$\{STACK\}" --policy-pack policy\b/);
    expect(pulumi[1]).to.match(/^pulumi up --stack "\$\{STACK\}" --policy-pack policy\b/);
  });

  it("refuses a stack name that is not a stack file of the repository (run in bash)", () => {
    const check = steps(w).find((s) => s.name === "Check the stack name");
    const run = (stack: string) =>
      spawnSync("bash", ["-euo", "pipefail", "-c", String(check?.run)], {
        cwd: PROJECT_DIR,
        env: { ...process.env, STACK: stack },
        encoding: "utf8",
      });
    expect(run("prod-us-east-1").status).to.equal(0);
    for (const bad of ["prod-ap-south-9", "prod-us-east-1; rm -rf /", "../Pulumi", ""]) {
      const r = run(bad);
      expect(r.status, bad).to.equal(1);
      expect(r.stdout).to.include("::error::no stack");
    }
  });
});
