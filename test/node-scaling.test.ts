// The transcoder pool as deployed (lib/sizing/pool.ts -> components/transcoders.ts and
// node-scaling.ts), under the mock monitor, built in-process from the fixture config: the
// predictive scaling policy, target tracking on (served + refused) / capacity, the warm pool, the
// lifecycle hooks and (with spot) the mixed instances policy, each asserted on the inputs the
// resources get; the one -maxSessions per type every place reads; and the stack's bounds.
import { expect } from "chai";
import { buildUnit, byName } from "./helpers/components";
import { fixtureDesign } from "./fixtures/region";
import type { Evaluation, RecordedResource } from "../lib/plan/evaluate";
import { parseEnv } from "../lib/userdata";
import { capacityReport } from "../lib/plan/capacity";
import { DEMAND_METRICS, DEMAND_NAMESPACE } from "../lib/demand/metrics";
import { DESIGN_DEFAULTS } from "../lib/sizing/design";
import type { RegionDesign } from "../lib/design";

const POLICY = "aws:autoscaling/policy:Policy";
const GROUP = "aws:autoscaling/group:Group";
const HOOK = "aws:autoscaling/lifecycleHook:LifecycleHook";
const SCHEDULE = "aws:autoscaling/schedule:Schedule";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const STACK = "test-us-east-1";
const GROUP_NAME = `${STACK}-tc-asg-physical`;

/** A second GPU type for the spot pool: 3 Gpx/s, 26 streams of the common ladder. */
const G5 = {
  capacityModel: {
    "g5.xlarge": {
      pixelsPerSecond: 3_000_000_000,
      pixelsSource: "fixture: a round number for tests",
      hourlyUsd: { default: 1.006 },
      priceSource: "fixture: a round number for tests",
    },
  },
};

type Query = {
  id: string;
  expression?: string;
  returnData?: boolean;
  metricStat?: {
    metric: {
      namespace: string;
      metricName: string;
      dimensions: { name: string; value: string }[];
    };
    stat: string;
    period?: number;
  };
};

const envOf = (e: Evaluation) =>
  parseEnv(Buffer.from(String(byName(e, LT, "-tc-lt").inputs.userData), "base64").toString());
const input = <T>(r: RecordedResource, key: string) => r.inputs[key] as T;

describe("transcoder pool scaling (fixture, in-process under the mock monitor)", function () {
  const d = fixtureDesign();
  const pool = d.pool!;
  let e: Evaluation;
  let group: RecordedResource;

  before(async function () {
    e = await buildUnit(d);
    group = byName(e, GROUP, "-tc-asg");
  });

  it("predictive scaling: ForecastAndScale on served + refused sessions, buffer of a cold boot, within maxSize", () => {
    const p = byName(e, POLICY, "-tc-forecast");
    expect(p.parent).to.match(/Transcoders::test-us-east-1-tc$/);
    expect(p.inputs).to.include({
      policyType: "PredictiveScaling",
      autoscalingGroupName: GROUP_NAME,
    });
    const c = input<{
      mode: string;
      schedulingBufferTime: string;
      maxCapacityBreachBehavior: string;
      metricSpecification: {
        targetValue: number;
        customizedLoadMetricSpecification: { metricDataQueries: Query[] };
        customizedScalingMetricSpecification: { metricDataQueries: Query[] };
        customizedCapacityMetricSpecification: { metricDataQueries: Query[] };
      };
    }>(p, "predictiveScalingConfiguration");
    expect(c).to.deep.equal(pool.design.predictive);
    expect(c.mode).to.equal("ForecastAndScale");
    expect(c.maxCapacityBreachBehavior).to.equal("HonorMaxCapacity");
    // Launch a cold boot early (AWS: below the 3600 s forecast interval).
    expect(Number(c.schedulingBufferTime)).to.equal(DESIGN_DEFAULTS.coldBootSeconds);
    const spec = c.metricSpecification;
    expect(spec.targetValue).to.equal(DESIGN_DEFAULTS.forecastUtilisation);
    const load = spec.customizedLoadMetricSpecification.metricDataQueries;
    expect(load.filter((q) => q.returnData).map((q) => q.expression)).to.deep.equal([
      "served + refused",
    ]);
    const scaling = spec.customizedScalingMetricSpecification.metricDataQueries;
    expect(scaling.filter((q) => q.returnData).map((q) => q.expression)).to.deep.equal([
      "(served + refused) / capacity",
    ]);
    // The capacity metric in the group's unit: sessions / 17 sessions per g4dn.xlarge.
    const capacity = spec.customizedCapacityMetricSpecification.metricDataQueries;
    expect(capacity.find((q) => q.returnData)!.expression).to.equal(
      "capacity * 10 / PERIOD(capacity) / 17",
    );
    for (const q of [...load, ...scaling, ...capacity].filter((x) => x.metricStat)) {
      expect(q.metricStat!.metric.namespace).to.equal(DEMAND_NAMESPACE);
      expect(q.metricStat!.metric.dimensions).to.deep.equal([{ name: "Unit", value: STACK }]);
      expect(q.metricStat!.stat).to.equal("Sum");
    }
  });

  it("target tracking: (served + refused) / pool capacity at 0.9 on 10-second metrics, replacing sessions per transcoder", () => {
    const p = byName(e, POLICY, "-tc-sessions-tt");
    expect(p.inputs).to.include({
      policyType: "TargetTrackingScaling",
      autoscalingGroupName: GROUP_NAME,
      estimatedInstanceWarmup: DESIGN_DEFAULTS.coldBootSeconds + DESIGN_DEFAULTS.metricDelaySeconds,
    });
    const tt = input<{
      targetValue: number;
      customizedMetricSpecification: { metrics: Query[] };
    }>(p, "targetTrackingConfiguration");
    expect(tt.targetValue).to.equal(DESIGN_DEFAULTS.targetUtilisation);
    const metrics = tt.customizedMetricSpecification.metrics;
    const byId = Object.fromEntries(metrics.map((m) => [m.id, m]));
    expect(Object.keys(byId).sort()).to.deep.equal([
      "capacity",
      "refused",
      "served",
      "utilisation",
    ]);
    for (const [id, name] of [
      ["served", DEMAND_METRICS.servedSessions],
      ["refused", DEMAND_METRICS.refusedSessions],
      ["capacity", DEMAND_METRICS.poolCapacitySessions],
    ]) {
      expect(byId[id], id).to.deep.equal({
        id,
        returnData: false,
        metricStat: {
          metric: {
            namespace: DEMAND_NAMESPACE,
            metricName: name,
            dimensions: [{ name: "Unit", value: STACK }],
          },
          stat: "Sum",
          period: 10,
        },
      });
    }
    // One time series: target tracking takes exactly one query that returns data.
    expect(metrics.filter((m) => m.returnData).map((m) => m.expression)).to.deep.equal([
      "(served + refused) / capacity",
    ]);
    // Nothing reads the capped per-orchestrator CurrentSessions any more.
    expect(JSON.stringify(e.resources.filter((r) => r.type === POLICY))).not.to.include(
      "CurrentSessions",
    );
    expect(e.resources.filter((r) => r.type === POLICY)).to.have.length(2);
  });

  it("the group: the stack's bounds, the planner's busiest hour at creation, desired left to the policies, no schedule", () => {
    expect(group.inputs.minSize).to.equal(d.config.nodeGroup.minSize);
    expect(group.inputs.maxSize).to.equal(d.config.nodeGroup.maxSize);
    expect(group.inputs.desiredCapacity).to.equal(
      Math.max(...d.sizing.plan!.hourly.map((h) => h.instances)),
    );
    expect(group.ignoreChanges).to.deep.equal(["desiredCapacity"]);
    expect(group.inputs.launchTemplate).to.deep.include({ id: `${STACK}-tc-lt-id` });
    expect(group.inputs).not.to.have.property("mixedInstancesPolicy");
    // Predictive scaling and target tracking replace the hourly planner's scheduled actions.
    expect(e.resources.filter((r) => r.type === SCHEDULE)).to.have.length(0);
    // The fixture caps the pool below the design's 5x spike room, and the plan says so.
    expect(pool.designMaxSize).to.be.greaterThan(d.config.nodeGroup.maxSize);
    expect(pool.notes.join(" ")).to.match(/nodeGroup\.maxSize 6 caps the pool/);
  });

  it("a warm pool of stopped transcoders, reused on scale-in, sized by the design within maxSize", () => {
    const w = input<Record<string, unknown>>(group, "warmPool");
    expect(w).to.deep.equal(pool.warmPool);
    expect(w).to.deep.include({
      poolState: "Stopped",
      instanceReusePolicy: { reuseOnScaleIn: true },
    });
    const design = pool.design.warmPool!;
    expect(w.maxGroupPreparedCapacity).to.equal(
      Math.min(design.maxGroupPreparedCapacity, d.config.nodeGroup.maxSize),
    );
    expect(w.minSize).to.be.at.most(w.maxGroupPreparedCapacity as number);
    // No more stopped instances than the group could ever put in service above its minimum.
    expect(w.minSize).to.be.at.most(d.config.nodeGroup.maxSize - d.config.nodeGroup.minSize);
  });

  it("lifecycle hooks: drain on termination (60 s, CONTINUE) and, with the warm pool, launch (720 s, ABANDON), named for the instances", () => {
    const hooks = Object.fromEntries(
      e.resources.filter((r) => r.type === HOOK).map((r) => [r.name, r.inputs]),
    );
    expect(hooks).to.deep.equal({
      [`${STACK}-tc-drain`]: {
        autoscalingGroupName: GROUP_NAME,
        name: `${STACK}-tc-drain`,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
        heartbeatTimeout: DESIGN_DEFAULTS.drainSeconds,
        defaultResult: "CONTINUE",
      },
      [`${STACK}-tc-launch`]: {
        autoscalingGroupName: GROUP_NAME,
        name: `${STACK}-tc-launch`,
        lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
        heartbeatTimeout: 2 * DESIGN_DEFAULTS.coldBootSeconds,
        defaultResult: "ABANDON",
      },
    });
    // The instances complete them by these names (the lifecycle agent's command line).
    expect(envOf(e).LF_LIFECYCLE_ARGS).to.include(
      `--launch-hook ${STACK}-tc-launch --drain-hook ${STACK}-tc-drain`,
    );
    const role = byName(e, "aws:iam/rolePolicy:RolePolicy", "-tc-self");
    const statements = (JSON.parse(String(role.inputs.policy)) as { Statement: object[] })
      .Statement;
    expect(statements).to.deep.include({
      Sid: "CompleteOwnLifecycleActions",
      Effect: "Allow",
      Action: "autoscaling:CompleteLifecycleAction",
      Resource: "*",
      // This unit's transcoder groups only: a transcoder cannot complete another group's hooks.
      Condition: {
        StringEquals: {
          "aws:ResourceTag/livepeer-fleet:unit": STACK,
          "aws:ResourceTag/livepeer-fleet:role": "transcoder",
        },
      },
    });
  });

  it("without a demand profile: the same policies and hooks, the stack's bounds, no warm pool", async () => {
    const flat = fixtureDesign({ demand: { peakStreams: undefined } });
    const f = await buildUnit(flat);
    expect(
      f.resources.filter((r) => r.type === POLICY).map((r) => r.inputs.policyType),
    ).to.have.members(["PredictiveScaling", "TargetTrackingScaling"]);
    expect(f.resources.filter((r) => r.type === HOOK)).to.have.length(2);
    const g = byName(f, GROUP, "-tc-asg");
    expect(g.inputs).to.include({ minSize: 1, maxSize: 6, desiredCapacity: 1 });
    expect(g.inputs).not.to.have.property("warmPool");
  });

  it("without a capacity model for the type: no policy and no hook (nothing to size from)", async () => {
    const bare = fixtureDesign({
      nodeGroup: { instanceType: "g6.xlarge" },
      demand: { peakStreams: undefined },
    });
    expect(bare.pool).to.equal(undefined);
    const f = await buildUnit(bare);
    expect(f.resources.filter((r) => r.type === POLICY || r.type === HOOK)).to.have.length(0);
    expect(envOf(f).LF_MAX_SESSIONS_BY_TYPE).to.equal("g6.xlarge=10");
  });
});

describe("transcoder pool with spot (fixture + g5.xlarge, in-process under the mock monitor)", function () {
  let d: RegionDesign;
  let e: Evaluation;
  let group: RecordedResource;

  before(async function () {
    d = fixtureDesign({ ...G5, nodeGroup: { spot: true } });
    e = await buildUnit(d);
    group = byName(e, GROUP, "-tc-asg");
  });

  it("a mixed instances policy: on-demand base at the forecast floor, capacity-optimized spot above, weights = each type's -maxSessions", () => {
    const pool = d.pool!;
    expect(pool.types).to.deep.equal([
      { instanceType: "g4dn.xlarge", sessions: 17 },
      { instanceType: "g5.xlarge", sessions: 26 },
    ]);
    const m = input<{
      instancesDistribution: Record<string, unknown>;
      launchTemplate: {
        launchTemplateSpecification: Record<string, unknown>;
        overrides: Record<string, unknown>[];
      };
    }>(group, "mixedInstancesPolicy");
    expect(m.instancesDistribution).to.deep.equal({
      onDemandBaseCapacity: pool.onDemandBase,
      onDemandPercentageAboveBaseCapacity: 0,
      spotAllocationStrategy: "capacity-optimized",
    });
    expect(m.launchTemplate.launchTemplateSpecification).to.deep.include({
      launchTemplateId: `${STACK}-tc-lt-id`,
    });
    expect(m.launchTemplate.overrides).to.deep.equal([
      { instanceType: "g4dn.xlarge", weightedCapacity: "17" },
      { instanceType: "g5.xlarge", weightedCapacity: "26" },
    ]);
    expect(group.inputs.capacityRebalance).to.equal(true);
    // The provider takes exactly one of launchTemplate and mixedInstancesPolicy; AWS no warm pool.
    expect(group.inputs).not.to.have.property("launchTemplate");
    expect(group.inputs).not.to.have.property("warmPool");
  });

  it("counts sessions: bounds and the forecast's capacity metric in weighted units", () => {
    const pool = d.pool!;
    expect(pool.capacityUnit).to.equal("sessions");
    expect(group.inputs).to.include({ minSize: 17, maxSize: 6 * 17 });
    expect(pool.onDemandBase).to.be.within(17, 6 * 17);
    const p = byName(e, POLICY, "-tc-forecast");
    const c = JSON.stringify(p.inputs.predictiveScalingConfiguration);
    expect(c).to.include("capacity * 10 / PERIOD(capacity) / 1");
    // The deploy gate waits for what the minimum holds at least: one instance.
    expect(pool.minInstances).to.equal(1);
  });

  it("only the drain hook (no warm pool to initialise for), and every type's -maxSessions for the instance to pick", () => {
    expect(e.resources.filter((r) => r.type === HOOK).map((r) => r.name)).to.deep.equal([
      `${STACK}-tc-drain`,
    ]);
    const env = envOf(e);
    expect(env.LF_MAX_SESSIONS_BY_TYPE).to.equal("g4dn.xlarge=17,g5.xlarge=26");
    expect(env.LF_LIFECYCLE_ARGS).to.include(`--drain-hook ${STACK}-tc-drain`);
    expect(env.LF_LIFECYCLE_ARGS).not.to.include("--launch-hook");
  });
});

describe("-maxSessions: one number for the runtime, the plan and the scaling design", function () {
  it("takes the capacity model's sessions per instance by default", async () => {
    const d = fixtureDesign();
    // 2 Gpx/s over the common ladder's 112.1 Mpx/s per stream: 17 whole streams.
    expect(d.transcoderMaxSessions).to.equal(17);
    const e = await buildUnit(d);
    expect(envOf(e).LF_MAX_SESSIONS_BY_TYPE).to.equal("g4dn.xlarge=17");
    expect(capacityReport(e, d).sessionsPerNode).to.equal(17);
  });

  it("honours nodeGroup.maxSessions everywhere: user data, the plan's sizing, the policies' units", async () => {
    const d = fixtureDesign({ nodeGroup: { maxSessions: 10, maxSize: 8 } });
    expect(d.transcoderMaxSessions).to.equal(10);
    expect(d.sizing.plan!.sessionsPerNode).to.equal(10);
    expect(d.pool!.types).to.deep.equal([{ instanceType: "g4dn.xlarge", sessions: 10 }]);
    // The plan sizes the pool with what go-livepeer admits: fewer sessions, more transcoders.
    const peak = Math.max(...d.sizing.plan!.hourly.map((h) => h.instances));
    const dflt = Math.max(...fixtureDesign().sizing.plan!.hourly.map((h) => h.instances));
    expect(peak).to.be.greaterThan(dflt);
    const e = await buildUnit(d);
    expect(envOf(e).LF_MAX_SESSIONS_BY_TYPE).to.equal("g4dn.xlarge=10");
    expect(JSON.stringify(byName(e, POLICY, "-tc-forecast").inputs)).to.include(
      "capacity * 10 / PERIOD(capacity) / 10",
    );
    expect(capacityReport(e, d).sessionsPerNode).to.equal(10);
  });
});
