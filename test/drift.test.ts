import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";
import { checkStacks, driftedResources, failureReason, RefreshPreviewer } from "../lib/drift/check";
import { automationPreviewer, onPath, PULUMI_CLI_MISSING } from "../lib/drift/automation";
import { buildReport, renderMarkdown } from "../lib/drift/report";
import { main } from "../scripts/drift";
import { UsageError } from "../lib/cli";
import { PROJECT_DIR } from "./helpers/program";

const URN = (stack: string, type: string, name: string) =>
  `urn:pulumi:${stack}::livepeer-fleet::${type}::${name}`;

let seq = 0;
function event(e: Partial<EngineEvent>): EngineEvent {
  return { sequence: seq++, timestamp: 0, ...e };
}

/** The events the engine sends for one refreshed resource: pre ("refresh"), then outputs. */
function refreshed(
  stack: string,
  type: string,
  name: string,
  result: "same" | "update" | "delete",
  detailedDiff?: Record<string, unknown>,
): EngineEvent[] {
  const meta = {
    urn: URN(stack, type, name),
    type,
    provider: "",
    diffs: detailedDiff ? [...new Set(Object.keys(detailedDiff).map((k) => k.split(".")[0]))] : [],
    detailedDiff: detailedDiff as never,
  };
  return [
    event({ resourcePreEvent: { metadata: { ...meta, op: "refresh" } } }),
    event({ resOutputsEvent: { metadata: { ...meta, op: result } } }),
  ];
}

type Behaviour =
  { summary: OpMap; events?: EngineEvent[] } | { error: Error; events?: EngineEvent[] } | "hang";

/** A fake Automation seam: per stack, a summary with events, an error, or no answer at all. */
class FakeEngine implements RefreshPreviewer {
  inFlight = 0;
  maxInFlight = 0;
  aborted: string[] = [];
  constructor(private readonly behaviour: Record<string, Behaviour>) {}

  async previewRefresh(
    stack: string,
    opts: { signal: AbortSignal; onEvent: (e: EngineEvent) => void },
  ): Promise<{ changeSummary: OpMap }> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const b = this.behaviour[stack];
      if (b === "hang") {
        await new Promise<void>((_, reject) =>
          opts.signal.addEventListener("abort", () => {
            this.aborted.push(stack);
            reject(new Error("cancelled"));
          }),
        );
      }
      // A few turns of the event loop so concurrent checks overlap.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      if (b === "hang" || b === undefined) throw new Error(`no behaviour for ${stack}`);
      for (const e of b.events ?? []) opts.onEvent(e);
      if ("error" in b) throw b.error;
      return { changeSummary: b.summary };
    } finally {
      this.inFlight--;
    }
  }
}

const opts = { concurrency: 2, timeoutMs: 60_000 };

describe("drift check", () => {
  it("reports a stack whose resources all read back the same as in sync", async () => {
    const engine = new FakeEngine({
      "prod-us-east-1": {
        summary: { same: 2 },
        events: refreshed("prod-us-east-1", "aws:ec2/vpc:Vpc", "net-vpc", "same"),
      },
    });
    const [r] = await checkStacks(["prod-us-east-1"], engine, opts);
    expect(r.status).to.equal("in-sync");
  });

  it("names drifted resources and the properties the engine reports", async () => {
    const s = "prod-eu-west-1";
    const engine = new FakeEngine({
      [s]: {
        summary: { same: 40, update: 1, delete: 1 },
        events: [
          ...refreshed(s, "aws:ec2/vpc:Vpc", "net-vpc", "same"),
          ...refreshed(s, "aws:ec2/securityGroup:SecurityGroup", "nodes-sg", "update", {
            "ingress[1]": { diffKind: "add" },
            "tags.Owner": { diffKind: "update" },
          }),
          ...refreshed(s, "aws:ec2/eip:Eip", "nodes-nlb-a-eip", "delete"),
        ],
      },
    });
    const [r] = await checkStacks([s], engine, opts);
    expect(r.status).to.equal("drifted");
    if (r.status !== "drifted") return;
    expect(r.resources).to.deep.equal([
      {
        urn: URN(s, "aws:ec2/eip:Eip", "nodes-nlb-a-eip"),
        type: "aws:ec2/eip:Eip",
        name: "nodes-nlb-a-eip",
        change: "delete",
        properties: [],
      },
      {
        urn: URN(s, "aws:ec2/securityGroup:SecurityGroup", "nodes-sg"),
        type: "aws:ec2/securityGroup:SecurityGroup",
        name: "nodes-sg",
        change: "update",
        properties: ["ingress[1]", "tags.Owner"],
      },
    ]);
    const md = renderMarkdown(buildReport("prod", [r], new Date(0), new Date(1000)));
    expect(md).to.include("drift found");
    expect(md).to.include("| `nodes-sg` | `aws:ec2/securityGroup:SecurityGroup` | update |");
    expect(md).to.include("`ingress[1]`, `tags.Owner`");
  });

  it("reports drift the summary counts even when no event names the resource", async () => {
    const engine = new FakeEngine({ prod: { summary: { same: 3, update: 1 } } });
    const [r] = await checkStacks(["prod"], engine, opts);
    expect(r.status).to.equal("drifted");
    const md = renderMarkdown(buildReport("prod", [r], new Date(0), new Date(0)));
    expect(md).to.include("did not name the resources");
  });

  it("falls back to top-level diff keys and pre-events when outputs are missing", () => {
    const urn = URN("prod", "aws:iam/role:Role", "drift-role");
    const found = driftedResources([
      event({
        resourcePreEvent: {
          metadata: {
            op: "refresh",
            urn,
            type: "aws:iam/role:Role",
            provider: "",
            diffs: ["tags"],
          },
        },
      }),
    ]);
    expect(found).to.deep.equal([
      {
        urn,
        type: "aws:iam/role:Role",
        name: "drift-role",
        change: "update",
        properties: ["tags"],
      },
    ]);
  });

  it("reports a failed check with the CLI's error lines, and never as in sync", async () => {
    const cliError = new Error(
      "code: 255\n stdout: \n stderr: error: failed to read resource: AccessDenied: " +
        "not authorized to perform ec2:DescribeVpcs\n err?: \n",
    );
    const engine = new FakeEngine({
      "prod-us-east-1": {
        error: cliError,
        events: [
          event({
            diagnosticEvent: {
              message: "\u001b[31mrefresh failed\u001b[0m",
              color: "",
              severity: "error",
            },
          }),
        ],
      },
      prod: { summary: {} },
    });
    const [a, b] = await checkStacks(["prod-us-east-1", "prod"], engine, opts);
    expect(a.status).to.equal("failed");
    if (a.status === "failed") {
      expect(a.reason).to.include("error: failed to read resource: AccessDenied");
      expect(a.reason).to.include("refresh failed");
      expect(a.reason).not.to.include("\u001b[");
    }
    expect(b.status).to.equal("failed");
    if (b.status === "failed") expect(b.reason).to.include("no change summary");
  });

  it("cancels a check that outlives its timeout and reports it failed", async () => {
    const engine = new FakeEngine({ "prod-us-east-1": "hang", prod: { summary: { same: 1 } } });
    const results = await checkStacks(["prod-us-east-1", "prod"], engine, {
      concurrency: 2,
      timeoutMs: 50,
    });
    expect(results[0].status).to.equal("failed");
    if (results[0].status === "failed")
      expect(results[0].reason).to.match(/timed out after 0.05 s/);
    expect(engine.aborted).to.deep.equal(["prod-us-east-1"]);
    expect(results[1].status).to.equal("in-sync");
  });

  it("runs at most N stacks at once and keeps the input order", async () => {
    const stacks = ["a", "b", "c", "d", "e"];
    const engine = new FakeEngine(
      Object.fromEntries(stacks.map((s) => [s, { summary: { same: 1 } }])),
    );
    const results = await checkStacks(stacks, engine, { concurrency: 2, timeoutMs: 60_000 });
    expect(engine.maxInFlight).to.equal(2);
    expect(results.map((r) => r.stack)).to.deep.equal(stacks);
    const one = new FakeEngine(
      Object.fromEntries(stacks.map((s) => [s, { summary: { same: 1 } }])),
    );
    await checkStacks(stacks, one, { concurrency: 1, timeoutMs: 60_000 });
    expect(one.maxInFlight).to.equal(1);
  });

  describe("npm run drift", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-drift-"));
    const run = (argv: string[], behaviour: Record<string, Behaviour>) => {
      const lines: string[] = [];
      let stdout = "";
      const engine = new FakeEngine(behaviour);
      return main(argv, {
        projectDir: PROJECT_DIR,
        engine: () => engine,
        log: (l) => lines.push(l),
        out: (t) => (stdout += t),
      }).then((code) => ({ code, lines, engine, stdout }));
    };
    const allSame = {
      prod: { summary: { same: 2 } },
      "prod-us-east-1": { summary: { same: 60 } },
      "prod-eu-west-1": { summary: { same: 50 } },
    };

    it("checks the fleet stack and every region stack; exit 0 when all are in sync", async () => {
      const json = path.join(tmp, "a.json");
      const md = path.join(tmp, "a.md");
      const r = await run(["--fleet", "prod", "--out", json, "--markdown", md], allSame);
      expect(r.code).to.equal(0);
      const report = JSON.parse(fs.readFileSync(json, "utf8")) as { stacks: { stack: string }[] };
      expect(report.stacks.map((s) => s.stack)).to.deep.equal([
        "prod",
        "prod-us-east-1",
        "prod-eu-west-1",
      ]);
      expect(fs.readFileSync(md, "utf8")).to.include("every stack matches its state");
      expect(r.stdout).to.equal("");
    });

    it("--json prints the report on stdout", async () => {
      const r = await run(["--fleet", "prod", "--json"], allSame);
      expect(r.code).to.equal(0);
      const report = JSON.parse(r.stdout) as { stacks: { stack: string }[] };
      expect(report.stacks).to.have.length(3);
    });

    it("exits 1 on drift and 2 when a check could not run", async () => {
      const drift = await run(["--fleet", "prod"], {
        ...allSame,
        "prod-eu-west-1": { summary: { same: 49, update: 1 } },
      });
      expect(drift.code).to.equal(1);
      const failed = await run(["--fleet", "prod"], {
        ...allSame,
        "prod-eu-west-1": { summary: { same: 49, update: 1 } },
        prod: { error: new Error("error: no stack named 'prod' found") },
      });
      expect(failed.code).to.equal(2);
      expect(failed.lines.join("\n")).to.include(
        "prod: FAILED: error: no stack named 'prod' found",
      );
    });

    it("checks only the --stack stacks and rejects stacks outside the fleet", async () => {
      const r = await run(["--fleet", "prod", "--stack", "prod-eu-west-1"], allSame);
      expect(r.code).to.equal(0);
      expect(r.lines.filter((l) => l.includes("in sync"))).to.have.length(1);
      let err: unknown;
      try {
        await run(["--fleet", "prod", "--stack", "staging-us-east-1"], allSame);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(UsageError);
    });
  });

  describe("the real Automation seam without the Pulumi CLI", () => {
    it('says "pulumi CLI not found on PATH" instead of the spawn error\'s "code: -2"', async () => {
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), "lf-nopath-"));
      const saved = process.env.PATH;
      process.env.PATH = empty;
      try {
        const engine = automationPreviewer({ workDir: PROJECT_DIR });
        let err: unknown;
        try {
          await engine.previewRefresh("prod", {
            signal: new AbortController().signal,
            onEvent: () => undefined,
          });
        } catch (e) {
          err = e;
        }
        expect(String((err as Error).message)).to.equal(PULUMI_CLI_MISSING);
        expect(failureReason(err, [])).to.match(/^pulumi CLI not found on PATH: install it/);
      } finally {
        process.env.PATH = saved;
        fs.rmSync(empty, { recursive: true, force: true });
      }
    });

    it("finds an executable on PATH", () => {
      expect(onPath("sh")).to.equal(true);
      expect(onPath("no-such-command-here")).to.equal(false);
    });
  });
});
