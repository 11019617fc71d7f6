import { expect } from "chai";
import {
  DescribeTargetHealthCommand,
  type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ElbSender } from "../lib/gate/wait";
import { main } from "../scripts/deploy-gate";
import { GATE_COMMAND } from "../components/deploy-gate";
import { evaluate, one } from "./helpers/program";

const ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef";

const target = (
  id: string,
  state: string,
  reason?: string,
  description?: string,
): TargetHealthDescription => ({
  Target: { Id: id, Port: 8935 },
  TargetHealth: { State: state as never, Reason: reason as never, Description: description },
});

/** A fake ELBv2 client answering DescribeTargetHealth from a script of answers, last one repeating. */
class FakeElb implements ElbSender {
  calls = 0;
  constructor(private readonly answers: (TargetHealthDescription[] | Error)[]) {}
  send(command: DescribeTargetHealthCommand) {
    expect(command.input.TargetGroupArn).to.equal(ARN);
    const a = this.answers[Math.min(this.calls++, this.answers.length - 1)];
    return a instanceof Error
      ? Promise.reject(a)
      : Promise.resolve({ TargetHealthDescriptions: a });
  }
}

/** A fake clock that advances only when the gate sleeps: no real waiting, fully deterministic. */
function fakeTime() {
  let t = 0;
  return { now: () => t, sleep: (ms: number) => ((t += ms), Promise.resolve()) };
}

async function gate(elb: FakeElb, expected: number, extraEnv: Record<string, string> = {}) {
  const lines: string[] = [];
  const code = await main([], {
    env: {
      GATE_TARGET_GROUP_ARN: ARN,
      GATE_REGION: "us-east-1",
      GATE_EXPECTED_HEALTHY: String(expected),
      GATE_TIMEOUT_SECONDS: "600",
      GATE_INTERVAL_SECONDS: "15",
      ...extraEnv,
    },
    elb: (region) => {
      expect(region).to.equal("us-east-1");
      return elb;
    },
    log: (l) => lines.push(l),
    ...fakeTime(),
  });
  return { code, out: lines.join("\n") };
}

describe("deploy gate", () => {
  it("passes once the expected number of targets is healthy and none is registering", async () => {
    const elb = new FakeElb([
      [],
      [target("i-1", "initial", "Elb.RegistrationInProgress"), target("i-2", "initial")],
      [target("i-1", "healthy"), target("i-2", "initial", "Elb.InitialHealthChecking")],
      [target("i-1", "healthy"), target("i-2", "healthy")],
    ]);
    const r = await gate(elb, 2);
    expect(r.code, r.out).to.equal(0);
    expect(elb.calls).to.equal(4);
    expect(r.out).to.include("passed, 2 healthy");
  });

  it("fails at the deadline with every unhealthy target's reason", async () => {
    const elb = new FakeElb([
      [
        target("i-1", "healthy"),
        target(
          "i-2",
          "unhealthy",
          "Target.FailedHealthChecks",
          "Health checks failed with these codes: [503]",
        ),
        target("i-3", "unhealthy", "Target.Timeout", "Request timed out"),
      ],
    ]);
    const r = await gate(elb, 3);
    expect(r.code).to.equal(1);
    expect(r.out).to.include("deploy gate FAILED after 600 s: 1 of 3 expected targets healthy");
    expect(r.out).to.include(
      "i-2:8935 unhealthy (Target.FailedHealthChecks: Health checks failed with these codes: [503])",
    );
    expect(r.out).to.include("i-3:8935 unhealthy (Target.Timeout: Request timed out)");
    // Bounded: one look at t=0 and one per 15 s interval up to 600 s.
    expect(elb.calls).to.equal(600 / 15 + 1);
  });

  it("says so when no target is registered at all", async () => {
    const r = await gate(new FakeElb([[]]), 1);
    expect(r.code).to.equal(1);
    expect(r.out).to.include("no targets are registered");
  });

  it("retries transient API errors but fails at once on permanent ones", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    const ok = await gate(new FakeElb([throttled, [target("i-1", "healthy")]]), 1);
    expect(ok.code).to.equal(0);
    const denied = Object.assign(new Error("not authorized"), { name: "AccessDenied" });
    const elb = new FakeElb([denied]);
    const r = await gate(elb, 1);
    expect(r.code).to.equal(1);
    expect(elb.calls).to.equal(1);
    expect(r.out).to.include("AccessDenied: not authorized");
  });

  it("passes at once when nothing is expected", async () => {
    const elb = new FakeElb([[]]);
    expect((await gate(elb, 0)).code).to.equal(0);
    expect(elb.calls).to.equal(0);
  });

  describe("in the region unit (mock monitor)", () => {
    const e = evaluate("prod-us-east-1");

    it("runs the gate script after the node group with its values in the environment", () => {
      const cmd = one(e, "command:local:Command", "-gate-wait");
      expect(cmd.inputs.create).to.equal(GATE_COMMAND);
      expect(cmd.inputs.environment).to.deep.equal({
        GATE_TARGET_GROUP_ARN: "arn:aws:lb:us-east-1:123456789012:prod-us-east-1-nodes-tg",
        GATE_REGION: "us-east-1",
        GATE_EXPECTED_HEALTHY: "2",
        GATE_TIMEOUT_SECONDS: "1200",
      });
      const asg = one(e, "aws:autoscaling/group:Group", "-nodes-asg");
      const tg = one(e, "aws:lb/targetGroup:TargetGroup", "-nodes-tg");
      const chain = one(e, "aws:autoscaling/group:Group", "-chain-asg");
      expect(cmd.dependsOn).to.include.members([asg.urn, tg.urn, chain.urn]);
      expect(cmd.provider).to.match(/pulumi:providers:command::prod-us-east-1-gate-command::/);
    });

    it("re-runs when the launch templates, the ASG or its sizes change", () => {
      const cmd = one(e, "command:local:Command", "-gate-wait");
      expect(cmd.inputs.triggers).to.deep.equal([1, "prod-us-east-1-nodes-asg-id", 2, 9, 1]);
    });

    it("can be turned off per stack", () => {
      const off = evaluate("prod-us-east-1", { "livepeer-fleet:deployGate": { enabled: false } });
      expect(off.resources.filter((r) => r.type === "command:local:Command")).to.have.length(0);
    });
  });
});
