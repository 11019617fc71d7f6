// The transcoder pool's scaling design (lib/sizing/design.ts): the numbers the infrastructure
// wires into the predictive and target-tracking policies, the warm pool, the lifecycle hooks and
// the mixed instances policy, checked against AWS's rules and type-checked against
// @pulumi/aws's own input types (a shape drift fails `tsc`).
import type * as aws from "@pulumi/aws";
import { expect } from "chai";
import * as fc from "fast-check";
import { COMMON_LADDER } from "../lib/config/sizing-schema";
import { DEMAND_METRICS, DEMAND_NAMESPACE } from "../lib/demand/metrics";
import { DESIGN_DEFAULTS, DesignError, DesignInput, designScaling } from "../lib/sizing/design";
import { nodesFor } from "../lib/sizing/planner";

const STREAM = 112_132_800;
const PEAKS = [
  72, 80, 78, 70, 58, 44, 30, 22, 16, 14, 15, 18, 24, 30, 36, 40, 44, 48, 52, 56, 58, 60, 64, 68,
];
const SIZING = { headroom: 0.25, spareNodes: 1, scaleUpLeadMinutes: 15, minSize: 1, maxSize: 100 };

function input(over: Partial<DesignInput> = {}): DesignInput {
  return {
    stack: "prod-us-east-1",
    peakStreams: PEAKS,
    ladder: COMMON_LADDER,
    types: [{ instanceType: "g4dn.xlarge", pixelsPerSecond: 13 * STREAM }],
    sizing: SIZING,
    ...over,
  };
}

describe("scaling design", () => {
  const d = designScaling(input());

  it("has the shapes @pulumi/aws takes (checked by the compiler)", () => {
    const predictive: aws.types.input.autoscaling.PolicyPredictiveScalingConfiguration =
      d.predictive;
    const tracking: aws.types.input.autoscaling.PolicyTargetTrackingConfiguration = {
      targetValue: d.targetTracking.targetValue,
      customizedMetricSpecification: d.targetTracking.customizedMetricSpecification,
    };
    const warm: aws.types.input.autoscaling.GroupWarmPool = d.warmPool!;
    const hooks: aws.types.input.autoscaling.GroupInitialLifecycleHook[] = d.lifecycleHooks.map(
      ({ id, ...h }) => ({
        name: `transcoders-${id}`,
        ...h,
      }),
    );
    const spot = designScaling(input({ policy: { spot: true } })).mixedInstancesPolicy!;
    const mixed: aws.types.input.autoscaling.GroupMixedInstancesPolicy = {
      instancesDistribution: spot.instancesDistribution,
      launchTemplate: {
        launchTemplateSpecification: { launchTemplateId: "lt-0" },
        overrides: spot.overrides,
      },
    };
    expect([predictive, tracking, warm, hooks, mixed].every((x) => x !== undefined)).to.equal(true);
  });

  it("predictive scaling: forecast and scale on served + refused sessions, buffer >= boot", () => {
    const p = d.predictive;
    expect(p.mode).to.equal("ForecastAndScale");
    expect(p.maxCapacityBreachBehavior).to.equal("HonorMaxCapacity");
    const buffer = Number(p.schedulingBufferTime);
    expect(buffer).to.be.at.least(DESIGN_DEFAULTS.coldBootSeconds).and.below(3600);
    const spec = p.metricSpecification;
    expect(spec.targetValue).to.equal(DESIGN_DEFAULTS.forecastUtilisation);
    const names = (qs: { metricStat?: { metric: { metricName: string } } }[]) =>
      qs.flatMap((q) => (q.metricStat ? [q.metricStat.metric.metricName] : []));
    const load = spec.customizedLoadMetricSpecification.metricDataQueries;
    expect(names(load)).to.deep.equal([
      DEMAND_METRICS.servedSessions,
      DEMAND_METRICS.refusedSessions,
    ]);
    expect(load.filter((q) => q.returnData).map((q) => q.expression)).to.deep.equal([
      "served + refused",
    ]);
    const scaling = spec.customizedScalingMetricSpecification.metricDataQueries;
    expect(scaling.find((q) => q.returnData)!.expression).to.equal("(served + refused) / capacity");
    const capacity = spec.customizedCapacityMetricSpecification.metricDataQueries;
    expect(names(capacity)).to.deep.equal([DEMAND_METRICS.poolCapacitySessions]);
    expect(capacity.find((q) => q.returnData)!.expression).to.equal(
      "capacity * 10 / PERIOD(capacity) / 13",
    );
    for (const q of [...load, ...scaling, ...capacity]) {
      if (!q.metricStat) continue;
      expect(q.metricStat.metric.namespace).to.equal(DEMAND_NAMESPACE);
      expect(q.metricStat.metric.dimensions).to.deep.equal([
        { name: "Unit", value: "prod-us-east-1" },
      ]);
      expect(q.metricStat.stat).to.equal("Sum");
    }
  });

  it("target tracking: utilisation that counts refused sessions, on high-resolution metrics", () => {
    const t = d.targetTracking;
    expect(t.targetValue).to.equal(DESIGN_DEFAULTS.targetUtilisation);
    expect(t.targetValue).to.be.above(0).and.below(1);
    const metrics = t.customizedMetricSpecification.metrics;
    expect(metrics.filter((m) => m.returnData).map((m) => m.expression)).to.deep.equal([
      "(served + refused) / capacity",
    ]);
    expect(metrics.filter((m) => m.metricStat).every((m) => m.metricStat!.period === 10)).to.equal(
      true,
    );
    // Warm-up covers a cold boot plus the metric's delay.
    expect(t.estimatedInstanceWarmup).to.be.at.least(DESIGN_DEFAULTS.coldBootSeconds);
  });

  it("bounds: -maxSessions from the capacity model, maxSize covers the plan and the spikes", () => {
    expect(d.maxSessions).to.deep.equal({ "g4dn.xlarge": 13 });
    expect(d.capacityUnit).to.equal("instances");
    expect(d.minSize).to.equal(1);
    const planned = nodesFor(Math.max(...PEAKS), 13, SIZING);
    expect(d.maxSize).to.be.at.least(planned);
    expect(d.maxSize * 13 * DESIGN_DEFAULTS.targetUtilisation).to.be.at.least(
      Math.max(...PEAKS) * DESIGN_DEFAULTS.spikeAllowance,
    );
  });

  it("a warm pool of stopped instances, reused on scale-in, with launch and drain hooks", () => {
    const w = d.warmPool!;
    expect(w.poolState).to.equal("Stopped");
    expect(w.instanceReusePolicy.reuseOnScaleIn).to.equal(true);
    expect(w.minSize).to.be.at.most(w.maxGroupPreparedCapacity);
    expect(w.maxGroupPreparedCapacity).to.be.at.most(d.maxSize);
    expect(d.mixedInstancesPolicy).to.equal(undefined);
    expect(
      d.lifecycleHooks.map((h) => [h.id, h.lifecycleTransition, h.defaultResult]),
    ).to.deep.equal([
      ["drain", "autoscaling:EC2_INSTANCE_TERMINATING", "CONTINUE"],
      ["launch", "autoscaling:EC2_INSTANCE_LAUNCHING", "ABANDON"],
    ]);
  });

  it("with spot: weighted by sessions, on-demand base at the forecast's floor, no warm pool", () => {
    const s = designScaling(
      input({
        types: [
          { instanceType: "g4dn.xlarge", pixelsPerSecond: 13 * STREAM },
          { instanceType: "g6.xlarge", pixelsPerSecond: 23 * STREAM },
        ],
        policy: { spot: true },
      }),
    );
    expect(s.capacityUnit).to.equal("sessions");
    expect(s.warmPool).to.equal(undefined);
    expect(s.notes.join(" ")).to.include("no warm pool");
    const m = s.mixedInstancesPolicy!;
    expect(m.overrides).to.deep.equal([
      { instanceType: "g4dn.xlarge", weightedCapacity: "13" },
      { instanceType: "g6.xlarge", weightedCapacity: "23" },
    ]);
    expect(m.instancesDistribution.onDemandPercentageAboveBaseCapacity).to.equal(0);
    expect(m.instancesDistribution.spotAllocationStrategy).to.equal("capacity-optimized");
    // Floor: the quietest hour at the forecast's utilisation, in sessions.
    const quietest = Math.min(...PEAKS);
    expect(m.instancesDistribution.onDemandBaseCapacity).to.equal(
      Math.ceil(quietest / DESIGN_DEFAULTS.forecastUtilisation),
    );
    expect(s.maxSize).to.be.at.least(m.instancesDistribution.onDemandBaseCapacity);
  });

  it("sizes the spike allowance from the typical day, not from a past spike", () => {
    const spiky = [...PEAKS];
    spiky[3] = 400; // one hour of one past day
    const withSpike = designScaling(input({ peakStreams: spiky, typicalPeakStreams: PEAKS }));
    expect(withSpike.warmPool).to.deep.equal(d.warmPool);
    // maxSize still lets the planner's busiest hour (the spike) through.
    expect(withSpike.maxSize).to.be.at.least(nodesFor(400, 13, SIZING));
  });

  it("refuses a design that cannot work, saying why", () => {
    const bad = (over: Partial<DesignInput>) => () => designScaling(input(over));
    expect(bad({ policy: { forecastUtilisation: 0.95 } })).to.throw(
      DesignError,
      /forecastUtilisation/,
    );
    expect(bad({ policy: { targetUtilisation: 1 } })).to.throw(DesignError, /targetUtilisation/);
    expect(bad({ policy: { coldBootSeconds: 3600 } })).to.throw(DesignError, /coldBootSeconds/);
    expect(
      bad({
        types: [
          { instanceType: "g4dn.xlarge", pixelsPerSecond: 13 * STREAM },
          { instanceType: "g4dn.xlarge", pixelsPerSecond: 13 * STREAM },
        ],
      }),
    ).to.throw(DesignError, /each instance type once/);
    expect(bad({ types: [{ instanceType: "t3.micro", pixelsPerSecond: 1e6 }] })).to.throw(
      DesignError,
      /less than one stream/,
    );
  });

  it("keeps its bounds ordered for any profile and policy (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 24, maxLength: 24 }),
        fc.double({ min: 0.5, max: 0.95, noNaN: true }),
        fc.boolean(),
        (peaks, target, spot) => {
          const s = designScaling(
            input({
              peakStreams: peaks,
              policy: { targetUtilisation: target, forecastUtilisation: target * 0.95, spot },
            }),
          );
          expect(s.minSize).to.be.at.least(1);
          expect(s.maxSize).to.be.at.least(s.minSize);
          expect(s.forecastFloor).to.be.at.most(s.maxSize);
          if (s.warmPool) {
            expect(s.warmPool.minSize).to.be.at.most(s.warmPool.maxGroupPreparedCapacity);
            expect(s.warmPool.maxGroupPreparedCapacity).to.be.at.most(s.maxSize);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
