import { expect } from "chai";
import {
  DescribeTargetHealthCommand,
  type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type AutoScalingGroup,
  type InstanceRefresh,
} from "@aws-sdk/client-auto-scaling";
import { AutoScalingSender, ElbSender } from "../lib/gate/wait";
import { main, parseRollouts } from "../scripts/deploy-gate";
import { GATE_COMMAND, rolloutsJson } from "../components/deploy-gate";
import { one } from "./helpers/program";
import { buildUnit } from "./helpers/components";
import { fixtureDesign } from "./fixtures/region";
import type { Evaluation } from "../lib/plan/evaluate";

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

const GROUP = "prod-us-east-1-nodes-asg-0a1b2c3";
const LT = "lt-0123456789abcdef0";

/** One poll's Auto Scaling state: the latest refresh and the group's instances (id -> version). */
interface AsgAnswer {
  refresh?: InstanceRefresh;
  instances: Record<string, string>;
}

/**
 * A fake Auto Scaling client: DescribeInstanceRefreshes and DescribeAutoScalingGroups answer from
 * a script of states (one per poll, the last repeating), as AWS reports them: newest refresh
 * first, instances with their launch template id and version.
 */
class FakeAsg implements AutoScalingSender {
  polls = 0;
  constructor(private readonly answers: AsgAnswer[]) {}
  send(command: DescribeInstanceRefreshesCommand | DescribeAutoScalingGroupsCommand) {
    if (command instanceof DescribeInstanceRefreshesCommand) {
      expect(command.input.AutoScalingGroupName).to.equal(GROUP);
      const a = this.answers[Math.min(this.polls, this.answers.length - 1)];
      return Promise.resolve({ InstanceRefreshes: a.refresh ? [a.refresh] : [] });
    }
    expect(command.input.AutoScalingGroupNames).to.deep.equal([GROUP]);
    const a = this.answers[Math.min(this.polls++, this.answers.length - 1)];
    const group: AutoScalingGroup = {
      AutoScalingGroupName: GROUP,
      MinSize: 2,
      MaxSize: 8,
      DesiredCapacity: 2,
      DefaultCooldown: 300,
      AvailabilityZones: ["us-east-1a"],
      HealthCheckType: "ELB",
      CreatedTime: new Date(0),
      Instances: Object.entries(a.instances).map(([id, version]) => ({
        InstanceId: id,
        AvailabilityZone: "us-east-1a",
        LifecycleState: "InService",
        HealthStatus: "Healthy",
        ProtectedFromScaleIn: false,
        LaunchTemplate: { LaunchTemplateId: LT, Version: version },
      })),
    };
    return Promise.resolve({ AutoScalingGroups: [group] });
  }
}

const refresh = (Status: string, extra: Partial<InstanceRefresh> = {}): InstanceRefresh => ({
  InstanceRefreshId: "ir-1",
  AutoScalingGroupName: GROUP,
  Status: Status as never,
  ...extra,
});

const ROLLOUTS = JSON.stringify([
  {
    group: GROUP,
    launchTemplateId: LT,
    launchTemplateVersion: "2",
    expectedInService: 2,
    inTargetGroup: true,
  },
]);

/** Never called: the gate without rollouts must not touch Auto Scaling. */
const noAsg: AutoScalingSender = {
  send: () => Promise.reject(new Error("Auto Scaling called without rollouts")),
};

/** A fake clock that advances only when the gate sleeps: no real waiting, fully deterministic. */
function fakeTime() {
  let t = 0;
  return { now: () => t, sleep: (ms: number) => ((t += ms), Promise.resolve()) };
}

async function gate(
  elb: FakeElb,
  expected: number,
  extraEnv: Record<string, string> = {},
  asg: AutoScalingSender = noAsg,
) {
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
    autoScaling: (region) => {
      expect(region).to.equal("us-east-1");
      return asg;
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

  describe("with rollouts: the instance refresh first, then health among the new instances", () => {
    const rolled = (asg: FakeAsg, elb: FakeElb, expected = 2) =>
      gate(elb, expected, { GATE_ROLLOUTS: ROLLOUTS }, asg);
    const oldHealthy = [target("i-old1", "healthy"), target("i-old2", "healthy")];

    it("fails on a failing refresh although the old fleet is healthy, with AWS's reason", async () => {
      const asg = new FakeAsg([
        {
          refresh: refresh("InProgress", { PercentageComplete: 0 }),
          instances: { "i-old1": "1", "i-old2": "1" },
        },
        {
          refresh: refresh("Failed", {
            StatusReason:
              "Instance i-new1 failed to pass ELB health checks within the grace period.",
          }),
          instances: { "i-old1": "1", "i-old2": "1" },
        },
      ]);
      const elb = new FakeElb([oldHealthy]);
      const r = await rolled(asg, elb);
      expect(r.code, r.out).to.equal(1);
      expect(r.out).to.include(
        "deploy gate FAILED: the rollout did not put the deployed launch template version in service: " +
          `${GROUP}: instance refresh ir-1 Failed: Instance i-new1 failed to pass ELB health checks`,
      );
      expect(r.out).to.include("i-old1 still on an older launch template version");
      // The old fleet's health never counted.
      expect(elb.calls).to.equal(0);
    });

    it("fails on a refresh that was rolled back or cancelled, with the rollback's reason", async () => {
      for (const [state, extra, says] of [
        [
          "RollbackSuccessful",
          {
            StatusReason: "Rolled back to the previous configuration.",
            RollbackDetails: { RollbackReason: "Auto rollback: instance refresh failed" },
          },
          "RollbackSuccessful: Rolled back to the previous configuration.: rolled back: Auto rollback: instance refresh failed",
        ],
        ["Cancelled", { StatusReason: "Cancelled by user." }, "Cancelled: Cancelled by user."],
      ] as const) {
        const asg = new FakeAsg([{ refresh: refresh(state, extra), instances: { "i-old1": "1" } }]);
        const r = await rolled(asg, new FakeElb([oldHealthy]));
        expect(r.code, state).to.equal(1);
        expect(r.out).to.include(says);
      }
    });

    it("passes once the refresh succeeded and enough new instances are healthy, never counting old ones", async () => {
      const asg = new FakeAsg([
        { refresh: refresh("InProgress"), instances: { "i-old1": "1", "i-old2": "1" } },
        { refresh: refresh("InProgress"), instances: { "i-old1": "1", "i-new1": "2" } },
        { refresh: refresh("Successful"), instances: { "i-new1": "2", "i-new2": "2" } },
      ]);
      const elb = new FakeElb([
        // Old targets still draining as healthy: they must not make up the count.
        [...oldHealthy, target("i-new1", "healthy"), target("i-new2", "initial")],
        [target("i-new1", "healthy"), target("i-new2", "healthy")],
      ]);
      const r = await rolled(asg, elb);
      expect(r.code, r.out).to.equal(0);
      expect(asg.polls).to.equal(3);
      expect(elb.calls).to.equal(2);
      expect(r.out).to.include("passed, 2 healthy new target(s)");
    });

    it("fails at the deadline while old instances are still in service, naming them", async () => {
      const asg = new FakeAsg([
        {
          refresh: refresh("InProgress", { PercentageComplete: 50 }),
          instances: { "i-old1": "1", "i-new1": "2" },
        },
      ]);
      const r = await rolled(asg, new FakeElb([oldHealthy]));
      expect(r.code).to.equal(1);
      expect(r.out).to.include("the new launch template version is not in service everywhere yet");
      expect(r.out).to.include(`${GROUP}: i-old1 still on an older launch template version`);
      expect(r.out).to.include("instance refresh ir-1 InProgress");
    });

    it("fails when the new instances never become healthy, listing their reasons", async () => {
      const asg = new FakeAsg([{ instances: { "i-new1": "2", "i-new2": "2" } }]);
      const elb = new FakeElb([
        [
          target("i-new1", "healthy"),
          target(
            "i-new2",
            "unhealthy",
            "Target.FailedHealthChecks",
            "Health checks failed with these codes: [503]",
          ),
        ],
      ]);
      const r = await rolled(asg, elb);
      expect(r.code).to.equal(1);
      expect(r.out).to.include(
        "the new instances did not become healthy: 1 of 2 expected targets healthy",
      );
      expect(r.out).to.include("i-new2:8935 unhealthy (Target.FailedHealthChecks");
    });

    it("rejects malformed rollouts as a usage error", () => {
      expect(() => parseRollouts("{")).to.throw(/JSON/);
      expect(() => parseRollouts('[{"group":"g"}]')).to.throw(/launchTemplateId/);
      expect(() =>
        parseRollouts(
          '[{"group":"g","launchTemplateId":"lt-1","launchTemplateVersion":"2","expectedInService":-1}]',
        ),
      ).to.throw(/expectedInService/);
      expect(parseRollouts(ROLLOUTS)).to.deep.equal(JSON.parse(ROLLOUTS));
    });

    it("passes the component's rollouts to the script as the JSON it parses", async () => {
      const json = await new Promise<string>((resolve) =>
        rolloutsJson([
          {
            groupName: GROUP,
            launchTemplateId: LT,
            launchTemplateVersion: 2,
            inTargetGroup: true,
            expectedInService: 2,
          },
          { groupName: "chain-asg", launchTemplateId: "lt-2", launchTemplateVersion: 7 },
        ]).apply(resolve),
      );
      expect(parseRollouts(json)).to.deep.equal([
        ...(JSON.parse(ROLLOUTS) as object[]),
        {
          group: "chain-asg",
          launchTemplateId: "lt-2",
          launchTemplateVersion: "7",
          expectedInService: 0,
          inTargetGroup: false,
        },
      ]);
    });
  });

  describe("in the region unit (fixture, in-process under the mock monitor)", () => {
    let e: Evaluation;
    before(async () => {
      e = await buildUnit(fixtureDesign());
    });

    it("runs the gate script after every serving group with its values in the environment", () => {
      const cmd = one(e, "command:local:Command", "east-1-gate-wait");
      expect(cmd.inputs.create).to.equal(GATE_COMMAND);
      expect(cmd.inputs.environment).to.deep.equal({
        GATE_TARGET_GROUP_ARN: "arn:aws:lb:us-east-1:123456789012:test-us-east-1-disc-tg",
        GATE_REGION: "us-east-1",
        // Every orchestrator in discovery.
        GATE_EXPECTED_HEALTHY: "2",
        GATE_TIMEOUT_SECONDS: "1200",
        // Each group's refresh, then health among the new orchestrators; the transcoders and
        // the chain node by InService count on the new version.
        GATE_ROLLOUTS: JSON.stringify([
          ...["a", "b"].map((z) => ({
            group: `test-us-east-1-orch-${z}-asg-physical`,
            launchTemplateId: `test-us-east-1-orch-${z}-lt-id`,
            launchTemplateVersion: "1",
            expectedInService: 1,
            inTargetGroup: true,
          })),
          {
            group: "test-us-east-1-tc-asg-physical",
            launchTemplateId: "test-us-east-1-tc-lt-id",
            launchTemplateVersion: "1",
            // The pool's minimum in instances (the group's minSize; the policies may run more).
            expectedInService: fixtureDesign().pool!.minInstances,
            inTargetGroup: false,
          },
          {
            group: "test-us-east-1-chain-asg-physical",
            launchTemplateId: "test-us-east-1-chain-lt-id",
            launchTemplateVersion: "1",
            expectedInService: 1,
            inTargetGroup: false,
          },
        ]),
      });
      const groups = ["-orch-a-asg", "-orch-b-asg", "-tc-asg", "-chain-asg"].map(
        (g) => one(e, "aws:autoscaling/group:Group", g).urn,
      );
      const tg = one(e, "aws:lb/targetGroup:TargetGroup", "-disc-tg");
      expect(cmd.dependsOn).to.include.members([...groups, tg.urn]);
      expect(cmd.provider).to.match(/pulumi:providers:command::test-us-east-1-gate-command::/);
    });

    it("re-runs when a launch template, the pool or its sizes change", () => {
      const cmd = one(e, "command:local:Command", "east-1-gate-wait");
      const s = fixtureDesign().pool!;
      // orchestrator a, b, transcoder launch template versions; the pool; its sizes (the group's
      // bounds); the chain's.
      expect(cmd.inputs.triggers).to.deep.equal([
        1,
        1,
        1,
        "test-us-east-1-tc-asg-id",
        s.minSize,
        s.maxSize,
        1,
      ]);
    });

    it("rolls the orchestrator slots one at a time: each slot's group waits for the previous slot's gate", () => {
      const gateA = one(e, "command:local:Command", "-orch-a-gate-wait");
      const gateB = one(e, "command:local:Command", "-orch-b-gate-wait");
      const groupA = one(e, "aws:autoscaling/group:Group", "-orch-a-asg");
      const groupB = one(e, "aws:autoscaling/group:Group", "-orch-b-asg");
      expect(groupA.dependsOn).to.not.include(gateA.urn);
      expect(groupB.dependsOn).to.include(gateA.urn);
      expect(gateA.dependsOn).to.include(groupA.urn);
      const env = gateA.inputs.environment as Record<string, string>;
      expect(env.GATE_EXPECTED_HEALTHY).to.equal("1");
      expect(JSON.parse(env.GATE_ROLLOUTS)).to.deep.equal([
        {
          group: "test-us-east-1-orch-a-asg-physical",
          launchTemplateId: "test-us-east-1-orch-a-lt-id",
          launchTemplateVersion: "1",
          expectedInService: 1,
          inTargetGroup: true,
        },
      ]);
      expect(gateA.inputs.triggers).to.deep.equal([1]);
      expect(gateB.inputs.environment).to.not.deep.equal(gateA.inputs.environment);
    });

    it("can be turned off per stack", async () => {
      const off = await buildUnit(fixtureDesign({ deployGate: { enabled: false } }));
      expect(off.resources.filter((r) => r.type === "command:local:Command")).to.have.length(0);
    });
  });
});
