import { expect } from "chai";
import { evaluate, one, ofType } from "./helpers/program";
import { loadRegionConfig } from "../lib/config/load";
import { runtimeSources, effectiveConfig } from "../lib/config/sources";
import { parseStackName } from "../lib/stack";
import { regionSizing } from "../lib/sizing/region";
import { PROJECT_DIR } from "./helpers/program";
import type { Evaluation } from "../lib/plan/evaluate";

const STACK = "prod-us-east-1";
const SCHEDULE = "aws:autoscaling/schedule:Schedule";
const POLICY = "aws:autoscaling/policy:Policy";
const GROUP = "aws:autoscaling/group:Group";

/** The planner's answer for the stack's own files: what the resources must carry. */
function sizingFromFiles() {
  const role = parseStackName(STACK) as Extract<
    ReturnType<typeof parseStackName>,
    { role: "region" }
  >;
  return regionSizing(
    loadRegionConfig(role, runtimeSources(PROJECT_DIR, STACK, effectiveConfig(PROJECT_DIR, STACK))),
  );
}

function schedulesByHour(e: Evaluation): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    ofType(e, SCHEDULE).map((s) => [s.name.replace(`${STACK}-nodes-scale-`, ""), s.inputs]),
  );
}

describe("node group scaling (mock monitor)", () => {
  const e = evaluate(STACK);
  const sizing = sizingFromFiles();
  const plan = sizing.plan!;
  const group = one(e, GROUP, "-nodes-asg");

  it("has one scheduled action per planned change, keyed by UTC hour, with the plan's minimum", () => {
    const got = schedulesByHour(e);
    expect(Object.keys(got).sort()).to.deep.equal(plan.scheduledActions.map((a) => a.id).sort());
    for (const a of plan.scheduledActions) {
      expect(got[a.id], a.id).to.deep.include({
        minSize: a.minSize,
        recurrence: a.recurrence,
        timeZone: "Etc/UTC",
        // -1 = unchanged: the provider default 0 would empty or pin the group.
        maxSize: -1,
        desiredCapacity: -1,
        autoscalingGroupName: group.inputs.name ?? `${group.name}-physical`,
      });
    }
    // Replayed over the day, the actions give exactly the planned count at every hour.
    const hours = plan.scheduledActions.map((a) => a.hour);
    for (const h of plan.hourly) {
      const last = [...hours].filter((x) => x <= h.hour).pop() ?? Math.max(...hours);
      expect(got[`h${String(last).padStart(2, "0")}`].minSize, `hour ${h.hour}`).to.equal(
        h.instances,
      );
    }
  });

  it("creates the schedules and the policy under the node group with the unit's provider", () => {
    for (const r of [...ofType(e, SCHEDULE), ...ofType(e, POLICY)]) {
      expect(r.parent).to.match(/NodeGroup::prod-us-east-1-nodes$/);
      expect(r.provider).to.match(/pulumi:providers:aws::prod-us-east-1-aws::/);
    }
  });

  it("tracks the planner's target of average CurrentSessions per node", () => {
    const p = one(e, POLICY, "-nodes-sessions-tt");
    expect(p.inputs.policyType).to.equal("TargetTrackingScaling");
    expect(p.inputs.estimatedInstanceWarmup).to.equal(600);
    expect(p.inputs.targetTrackingConfiguration).to.deep.equal({
      targetValue: plan.targetSessionsPerNode,
      customizedMetricSpecification: {
        namespace: "LivepeerFleet",
        metricName: "CurrentSessions",
        metricDimensions: [{ name: "AutoScalingGroupName", value: `${group.name}-physical` }],
        statistic: "Average",
      },
    });
    expect(plan.targetSessionsPerNode).to.be.lessThan(plan.sessionsPerNode);
  });

  it("sizes the group from the plan and leaves min and desired to scaling afterwards", () => {
    expect(group.inputs.minSize).to.equal(plan.minSize);
    expect(group.inputs.maxSize).to.equal(plan.maxSize);
    expect(group.inputs.desiredCapacity).to.equal(Math.max(...plan.hourly.map((h) => h.instances)));
    expect(group.ignoreChanges).to.have.members(["desiredCapacity", "minSize"]);
    expect(e.outputs.maxSessions).to.equal(plan.sessionsPerNode);
    expect(e.outputs.maintenanceHourUtc).to.equal(plan.maintenanceHourUtc);
  });

  it("turns a demand change into a change of the affected hour's action only", () => {
    const peaks = [...plan.hourly.map((h) => h.demandStreams)];
    peaks[10] = 60; // a new mid-morning peak
    const changed = schedulesByHour(
      evaluate(STACK, { "livepeer-fleet:demand": { peakStreams: peaks } }),
    );
    const before = schedulesByHour(e);
    const added = Object.keys(changed).filter((k) => !(k in before));
    expect(added.sort()).to.deep.equal(["h10", "h11"]);
    for (const k of Object.keys(before)) expect(changed[k], k).to.deep.equal(before[k]);
  });

  it("without a profile: no schedule, target tracking still on, min owned by the stack", () => {
    const flat = evaluate(STACK, { "livepeer-fleet:demand": undefined });
    expect(ofType(flat, SCHEDULE)).to.have.length(0);
    expect(ofType(flat, POLICY)).to.have.length(1);
    const g = one(flat, GROUP, "-nodes-asg");
    expect(g.inputs.minSize).to.equal(2);
    expect(g.ignoreChanges).to.deep.equal(["desiredCapacity"]);
  });
});
