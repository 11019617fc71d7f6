// The transcoder pool's scaling under the mock monitor, built in-process from the fixture config:
// one scheduled action per planned change (keyed by UTC hour), target tracking on sessions per
// in-service transcoder (metric math over the orchestrators' CurrentSessions), and the one sizing
// number every place reads (-maxSessions), config override included.
import { expect } from "chai";
import { buildUnit, byName } from "./helpers/components";
import { fixtureDesign } from "./fixtures/region";
import type { Evaluation } from "../lib/plan/evaluate";
import { parseEnv } from "../lib/userdata";
import { capacityReport } from "../lib/plan/capacity";

const SCHEDULE = "aws:autoscaling/schedule:Schedule";
const POLICY = "aws:autoscaling/policy:Policy";
const GROUP = "aws:autoscaling/group:Group";
const STACK = "test-us-east-1";

function schedulesByHour(e: Evaluation): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    e.resources
      .filter((r) => r.type === SCHEDULE)
      .map((s) => [s.name.replace(`${STACK}-tc-scale-`, ""), s.inputs]),
  );
}

describe("transcoder pool scaling (fixture, in-process under the mock monitor)", function () {
  const d = fixtureDesign();
  const plan = d.sizing.plan!;
  let e: Evaluation;
  let group: ReturnType<typeof byName>;

  before(async function () {
    e = await buildUnit(d);
    group = byName(e, GROUP, "-tc-asg");
  });

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
        autoscalingGroupName: `${group.name}-physical`,
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

  it("tracks sessions per in-service transcoder: every orchestrator's sessions over the pool", () => {
    const p = byName(e, POLICY, "-tc-sessions-tt");
    expect(p.parent).to.match(/Transcoders::test-us-east-1-tc$/);
    expect(p.inputs.policyType).to.equal("TargetTrackingScaling");
    const tt = p.inputs.targetTrackingConfiguration as {
      targetValue: number;
      customizedMetricSpecification: { metrics: Record<string, unknown>[] };
    };
    expect(tt.targetValue).to.equal(plan.targetSessionsPerNode);
    const queries = tt.customizedMetricSpecification.metrics;
    const byId: Record<string, Record<string, unknown>> = Object.fromEntries(
      queries.map((q) => [String(q.id), q]),
    );
    for (const slot of ["a", "b"]) {
      expect(byId[`s_${slot}`]).to.deep.equal({
        id: `s_${slot}`,
        returnData: false,
        metricStat: {
          metric: {
            namespace: "LivepeerFleet/Orchestrator",
            metricName: "CurrentSessions",
            dimensions: [
              { name: "Unit", value: STACK },
              { name: "Orchestrator", value: slot },
            ],
          },
          stat: "Average",
        },
      });
    }
    expect(byId.pool.metricStat).to.deep.include({ stat: "Average" });
    expect(JSON.stringify(byId.pool)).to.include("GroupInServiceInstances");
    expect(byId.per_transcoder).to.deep.include({
      expression: "(FILL(s_a, 0) + FILL(s_b, 0)) / pool",
      returnData: true,
    });
    // Exactly one query returns data (target tracking needs a single time series).
    expect(queries.filter((q) => q.returnData)).to.have.length(1);
    // The pool publishes the in-service count the expression divides by.
    expect(group.inputs.enabledMetrics).to.include("GroupInServiceInstances");
  });

  it("sizes the group from the plan and leaves min and desired to scaling afterwards", () => {
    expect(group.inputs.minSize).to.equal(plan.minSize);
    expect(group.inputs.maxSize).to.equal(plan.maxSize);
    expect(group.inputs.desiredCapacity).to.equal(Math.max(...plan.hourly.map((h) => h.instances)));
    expect(group.ignoreChanges).to.have.members(["desiredCapacity", "minSize"]);
  });

  it("turns a demand change into a change of the affected hours' actions only", async () => {
    const peaks = [...plan.hourly.map((h) => h.demandStreams)];
    peaks[8] = 60; // a new morning peak
    const changed = schedulesByHour(
      await buildUnit(fixtureDesign({ demand: { peakStreams: peaks } })),
    );
    const before = schedulesByHour(e);
    const added = Object.keys(changed).filter((k) => !(k in before));
    expect(added.sort()).to.deep.equal(["h08", "h09"]);
    for (const k of Object.keys(before)) expect(changed[k], k).to.deep.equal(before[k]);
  });

  it("without a profile: no schedule, target tracking still on, min owned by the stack", async () => {
    const flat = fixtureDesign({ demand: { peakStreams: undefined } });
    const f = await buildUnit(flat);
    expect(f.resources.filter((r) => r.type === SCHEDULE)).to.have.length(0);
    expect(f.resources.filter((r) => r.type === POLICY)).to.have.length(1);
    const g = byName(f, GROUP, "-tc-asg");
    expect(g.inputs.minSize).to.equal(1);
    expect(g.ignoreChanges).to.deep.equal(["desiredCapacity"]);
  });
});

describe("-maxSessions: one number for the runtime, the plan and the scaling target", function () {
  it("takes the capacity model's sessions per instance by default", async () => {
    const d = fixtureDesign();
    // 2 Gpx/s over the common ladder's 112.1 Mpx/s per stream: 17 whole streams.
    expect(d.transcoderMaxSessions).to.equal(17);
    const e = await buildUnit(d);
    const env = parseEnv(
      Buffer.from(
        String(byName(e, "aws:ec2/launchTemplate:LaunchTemplate", "-tc-lt").inputs.userData),
        "base64",
      ).toString(),
    );
    expect(env.LF_MAX_SESSIONS).to.equal("17");
    expect(capacityReport(e, d).sessionsPerNode).to.equal(17);
  });

  it("honours nodeGroup.maxSessions everywhere: user data, the plan's sizing, the target", async () => {
    const d = fixtureDesign({ nodeGroup: { maxSessions: 10, maxSize: 8 } });
    expect(d.transcoderMaxSessions).to.equal(10);
    expect(d.sizing.plan!.sessionsPerNode).to.equal(10);
    // The plan sizes the pool with what go-livepeer admits: fewer sessions, more transcoders.
    const peak = Math.max(...d.sizing.plan!.hourly.map((h) => h.instances));
    const dflt = Math.max(...fixtureDesign().sizing.plan!.hourly.map((h) => h.instances));
    expect(peak).to.be.greaterThan(dflt);
    expect(d.sizing.targetSessionsPerNode).to.equal(8);
    const e = await buildUnit(d);
    const lt = byName(e, "aws:ec2/launchTemplate:LaunchTemplate", "-tc-lt");
    expect(
      parseEnv(Buffer.from(String(lt.inputs.userData), "base64").toString()).LF_MAX_SESSIONS,
    ).to.equal("10");
    const p = byName(e, POLICY, "-tc-sessions-tt");
    expect((p.inputs.targetTrackingConfiguration as { targetValue: number }).targetValue).to.equal(
      8,
    );
    expect(capacityReport(e, d).sessionsPerNode).to.equal(10);
  });
});
