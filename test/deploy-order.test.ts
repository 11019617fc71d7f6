// One deploy order (lib/ops/deploy-order.ts): the README, docs/operations.md and add-region's next
// steps carry the same checklist, every `npm run` in it exists, and its order agrees with what the
// program and preflight refuse: nothing a step needs is fixed only by a later step.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import {
  activeSteps,
  DEPLOY_ORDER,
  DEPLOY_ORDER_BEGIN,
  DEPLOY_ORDER_END,
  DOCS_EXAMPLE,
  deployContext,
  renderMarkdown,
  type DeployStepId,
} from "../lib/ops/deploy-order";
import { deployBlockers } from "../lib/runtime/releases";
import { exitCode, preflight, type CheckResult } from "../lib/preflight/run";
import { requiredParameters } from "../lib/preflight/parameters";
import { main as addRegion } from "../scripts/add-region";
import { evaluate, PROJECT_DIR } from "./helpers/program";
import { clients, config, DEPLOYABLE, readyAccount, STACK } from "./helpers/aws-account";

const read = (f: string) => fs.readFileSync(path.join(PROJECT_DIR, f), "utf8");

/** The generated block of a document, de-indented (docs/operations.md nests it in a list). */
function block(doc: string): string {
  const start = doc.indexOf(DEPLOY_ORDER_BEGIN);
  const end = doc.indexOf(DEPLOY_ORDER_END);
  expect(start, "deploy-order markers").to.be.greaterThan(-1);
  expect(end).to.be.greaterThan(start);
  const lineStart = doc.lastIndexOf("\n", start) + 1;
  const indent = doc.slice(lineStart, start);
  return doc
    .slice(start + DEPLOY_ORDER_BEGIN.length, end)
    .split("\n")
    .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
    .join("\n")
    .trim();
}

/** A region that is not the fleet's home: what add-region writes for eu-central-1. */
const OTHER_REGION = deployContext(
  "prod-eu-central-1",
  "prod",
  "eu-central-1",
  {
    nodeRuntime: { rpcEndpointsParameter: "/livepeer-fleet/prod-eu-central-1/chain/rpc-endpoints" },
    rewardWatcher: { rpcUrlParameter: "/livepeer-fleet/prod-eu-central-1/watcher/rpc-url" },
  },
  "us-east-1",
);

const index = (id: DeployStepId) => DEPLOY_ORDER.findIndex((s) => s.id === id);

describe("one deploy order", function () {
  it("the README and docs/operations.md carry the checklist the code renders", function () {
    const expected = renderMarkdown(DOCS_EXAMPLE);
    expect(block(read("README.md"))).to.equal(expected);
    expect(block(read("docs/operations.md"))).to.equal(expected);
  });

  it("lists pins, the key, identity, endpoints, watcher URL, orchestrator secret, preflight, up and registration in that order", function () {
    expect(DEPLOY_ORDER.map((s) => s.id)).to.deep.equal([
      "values",
      "key",
      "identity",
      "rpcEndpoints",
      "watcherUrl",
      "orchestratorSecret",
      "preflight",
      "up",
      "register",
    ]);
    expect(activeSteps(DOCS_EXAMPLE).map((s) => s.step.id)).to.deep.equal(
      DEPLOY_ORDER.map((s) => s.id),
    );
  });

  it("in another region: only the redeemer key, and nothing to register (one service URI per fleet)", function () {
    const home = activeSteps(DOCS_EXAMPLE);
    const other = activeSteps(OTHER_REGION);
    expect(other.map((s) => s.step.id)).to.deep.equal(
      home.map((s) => s.step.id).filter((id) => id !== "register"),
    );
    const identity = (steps: typeof home) => steps.find((s) => s.step.id === "identity")!.commands;
    expect(identity(home).map((c) => /--role (\w+)/.exec(c)![1])).to.deep.equal([
      "orchestrator",
      "redeemer",
    ]);
    expect(identity(other).map((c) => /--role (\w+)/.exec(c)![1])).to.deep.equal(["redeemer"]);
  });

  it("names only npm scripts that exist", function () {
    const scripts = Object.keys(
      (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts,
    );
    const used = activeSteps(DOCS_EXAMPLE)
      .flatMap((s) => s.commands)
      .flatMap((c) => [...c.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]));
    expect(used).to.include.members([
      "amis",
      "plan",
      "identity:import",
      "orch-secret",
      "preflight",
    ]);
    for (const u of used) expect(scripts, `npm run ${u}`).to.include(u);
  });

  it("add-region prints the same steps for the stack it writes", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-order-"));
    for (const f of fs
      .readdirSync(PROJECT_DIR)
      .filter((f) => /^Pulumi\..*yaml$|^Pulumi\.yaml$/.test(f))) {
      fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
    }
    let out = "";
    const redeemer = ["--redeemer", "0x00000000000000000000000000000000000000D4"];
    const code = addRegion(["--fleet", "prod", "--region", "eu-central-1", ...redeemer], dir, {
      out: (t) => (out += t),
      err: (t) => (out += t),
    });
    expect(code, out).to.equal(0);
    fs.rmSync(dir, { recursive: true, force: true });
    let at = 0;
    for (const { step, commands } of activeSteps(OTHER_REGION)) {
      for (const line of [step.title, ...commands]) {
        const found = out.indexOf(line, at);
        expect(found, `in order: ${line}`).to.be.greaterThan(-1);
        at = found;
      }
    }
  });

  it("the program refuses `pulumi up` of a stack the first step has not finished", function () {
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(PROJECT_DIR, "scripts", "plan-stack.ts"),
        STACK,
        "--evaluation",
        "--as-deploy",
      ],
      { cwd: PROJECT_DIR, encoding: "utf8" },
    );
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include(`Pulumi.${STACK}.yaml: livepeer-fleet:amis.ubuntu`);
    expect(r.stderr).to.include("resources registered before the error: 0");
    // Every reason it refuses is fixed in the first step, long before `up`.
    const blockers = deployBlockers(config({ amis: {}, nodeRuntime: {} }), STACK);
    expect(blockers.length).to.be.greaterThan(0);
    expect(index("values")).to.be.below(index("up"));
  });

  it("preflight blocks on each step in turn, until the steps before it are done, and never on a later one", async function () {
    this.timeout(300_000);
    const e = evaluate(STACK, DEPLOYABLE);
    const c = config();
    const account = readyAccount(c);
    const parameters = { ...account.parameters };
    account.parameters = {};
    const unpinned = config({ amis: {} });
    const stepsOf = (r: CheckResult[]) => [
      ...new Set(r.filter((x) => x.level === "blocker").map((x) => x.step!)),
    ];
    const run = (cfg = c) =>
      preflight({
        stack: STACK,
        region: "us-east-1",
        regionConfig: cfg,
        homeRegion: true,
        evaluation: e,
        clients: clients(account),
      });

    // Nothing done: the first step blocks, and every blocker is a step before preflight.
    let r = await run(unpinned);
    expect(stepsOf(r)[0]).to.equal("values");
    for (const s of stepsOf(r)) expect(index(s), s).to.be.below(index("preflight"));

    // Do the steps in order; after each, no blocker names it or an earlier step.
    const byStep = new Map<DeployStepId, string[]>();
    for (const p of requiredParameters(c, true))
      byStep.set(p.step, [...(byStep.get(p.step) ?? []), p.name]);
    const done: DeployStepId[] = ["values"];
    r = await run();
    expect(stepsOf(r)).to.not.include("values");
    const steps: DeployStepId[] = ["identity", "rpcEndpoints", "watcherUrl", "orchestratorSecret"];
    for (const step of steps) {
      expect(stepsOf(r), `before ${step}`).to.include(step);
      for (const name of byStep.get(step) ?? []) account.parameters[name] = parameters[name];
      done.push(step);
      r = await run();
      for (const s of stepsOf(r)) {
        expect(done, `${s} blocks after ${done.join(", ")}`).to.not.include(s);
      }
    }
    expect(exitCode(r)).to.equal(0);
  });
});
