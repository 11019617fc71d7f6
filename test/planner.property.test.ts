import { expect } from "chai";
import fc from "fast-check";
import {
  HOURS,
  PlannerInput,
  Rendition,
  SizingError,
  SizingPolicy,
  maintenanceHourUtc,
  planCapacity,
  sessionsPerNode,
  streamPixelsPerSecond,
} from "../lib/sizing/planner";

const rendition = (name: string): fc.Arbitrary<Rendition> =>
  fc.record({
    name: fc.constant(name),
    width: fc.integer({ min: 16, max: 3840 }),
    height: fc.integer({ min: 16, max: 2160 }),
    fps: fc.integer({ min: 1, max: 60 }),
  });

const ladder: fc.Arbitrary<Rendition[]> = fc
  .tuple(rendition("source"), fc.integer({ min: 1, max: 5 }))
  .chain(([source, n]) =>
    fc
      .tuple(...Array.from({ length: n }, (_, i) => rendition(`r${i}`)))
      .map((rest) => [source, ...rest]),
  );

const profile = (max: number) =>
  fc.array(fc.integer({ min: 0, max }), { minLength: HOURS, maxLength: HOURS });

const policy = (maxSize = 1_000_000): fc.Arbitrary<SizingPolicy> =>
  fc.record({
    headroom: fc.double({ min: 0, max: 2, noNaN: true }),
    spareNodes: fc.integer({ min: 0, max: 5 }),
    minSize: fc.integer({ min: 0, max: 10 }),
    maxSize: fc.constant(maxSize),
    scaleUpLeadMinutes: fc.integer({ min: 0, max: 59 }),
  });

/** Inputs whose ladder fits a node (from 1 to 40 streams per node). */
const feasible: fc.Arbitrary<PlannerInput> = fc
  .record({
    peakStreams: profile(5000),
    ladder,
    perNode: fc.double({ min: 1, max: 40, noNaN: true }),
    policy: policy(),
  })
  .map(({ perNode, ...rest }) => ({
    ...rest,
    nodePixelsPerSecond: perNode * streamPixelsPerSecond(rest.ladder),
  }));

// Relative slack for floating-point sums of pixel rates.
const TOLERANCE = 1e-9;

describe("capacity planner (properties)", () => {
  it("covers demand x (1 + headroom) plus the spare nodes every hour", () => {
    fc.assert(
      fc.property(feasible, (input) => {
        const plan = planCapacity(input);
        const { headroom, spareNodes } = input.policy;
        for (const h of plan.hourly) {
          const needed =
            h.demandPixelsPerSecond * (1 + headroom) + spareNodes * input.nodePixelsPerSecond;
          expect(h.capacityPixelsPerSecond).to.be.at.least(needed * (1 - TOLERANCE));
          // And in whole streams: sessions never span nodes.
          const streamsServed = (h.instances - spareNodes) * plan.sessionsPerNode;
          expect(streamsServed).to.be.at.least(h.demandStreams * (1 + headroom) * (1 - TOLERANCE));
        }
      }),
    );
  });

  it("is monotonic in demand: more streams in any hour never means fewer nodes", () => {
    fc.assert(
      fc.property(feasible, profile(500), (input, extra) => {
        const more = { ...input, peakStreams: input.peakStreams.map((s, i) => s + extra[i]) };
        const a = planCapacity(input).hourly;
        const b = planCapacity(more).hourly;
        for (let h = 0; h < HOURS; h++) expect(b[h].instances).to.be.at.least(a[h].instances);
      }),
    );
  });

  it("stays within min and max, and the ASG bounds are the plan's", () => {
    fc.assert(
      fc.property(feasible, fc.integer({ min: 1, max: 200 }), (input, maxSize) => {
        const bounded = { ...input, policy: { ...input.policy, maxSize } };
        let plan;
        try {
          plan = planCapacity(bounded);
        } catch (err) {
          expect(err).to.be.instanceOf(SizingError);
          return;
        }
        for (const h of plan.hourly) {
          expect(h.instances).to.be.at.least(input.policy.minSize);
          expect(h.instances).to.be.at.most(maxSize);
        }
        expect(plan.minSize).to.equal(Math.min(...plan.hourly.map((h) => h.instances)));
        expect(plan.maxSize).to.equal(maxSize);
      }),
    );
  });

  it("throws a clear error naming maxSize and the size needed when max cannot cover demand", () => {
    fc.assert(
      fc.property(feasible, (input) => {
        const unbounded = planCapacity(input);
        const need = Math.max(...unbounded.hourly.map((h) => h.instances));
        fc.pre(need > Math.max(1, input.policy.minSize));
        const maxSize = need - 1;
        expect(() => planCapacity({ ...input, policy: { ...input.policy, maxSize } }))
          .to.throw(SizingError, `maxSize ${maxSize} cannot cover the demand`)
          .with.property("message")
          .that.includes(`raise maxSize to at least ${need}`);
      }),
    );
  });

  it("picks a maintenance hour that is an argmin of demand", () => {
    fc.assert(
      fc.property(profile(50), (peaks) => {
        const h = maintenanceHourUtc(peaks);
        expect(h).to.be.within(0, 23);
        expect(peaks[h]).to.equal(Math.min(...peaks));
      }),
    );
  });

  it("merges scheduled actions that replay to the hourly plan, one per change", () => {
    fc.assert(
      fc.property(feasible, (input) => {
        const plan = planCapacity(input);
        const counts = plan.hourly.map((h) => h.instances);
        const changes = counts.filter((n, h) => n !== counts[(h + HOURS - 1) % HOURS]).length;
        expect(plan.scheduledActions).to.have.length(Math.max(1, changes));
        expect(new Set(plan.scheduledActions.map((a) => a.id)).size).to.equal(
          plan.scheduledActions.length,
        );
        // Replay: the minimum in effect at each hour is the last action whose hour is <= it.
        for (let h = 0; h < HOURS; h++) {
          const inEffect =
            [...plan.scheduledActions]
              .sort((x, y) => x.hour - y.hour)
              .filter((a) => a.hour <= h)
              .pop() ?? plan.scheduledActions.reduce((x, y) => (x.hour > y.hour ? x : y));
          expect(inEffect.minSize, `hour ${h}`).to.equal(counts[h]);
        }
        for (const a of plan.scheduledActions) {
          const [minute, hour] = a.recurrence.split(" ").map(Number);
          const at = hour * 60 + minute;
          const due = a.hour * 60;
          const lead = a.direction === "up" ? input.policy.scaleUpLeadMinutes : 0;
          expect((due - at + 24 * 60) % (24 * 60), a.id).to.equal(lead);
        }
      }),
    );
  });

  it("sets -maxSessions to the whole streams a node carries and target tracking below it", () => {
    fc.assert(
      fc.property(feasible, (input) => {
        const plan = planCapacity(input);
        expect(plan.sessionsPerNode).to.equal(
          sessionsPerNode(input.nodePixelsPerSecond, input.ladder),
        );
        expect(plan.sessionsPerNode * plan.streamPixelsPerSecond).to.be.at.most(
          input.nodePixelsPerSecond * (1 + TOLERANCE),
        );
        expect(plan.targetSessionsPerNode * (1 + input.policy.headroom)).to.be.at.most(
          plan.sessionsPerNode + 1e-6,
        );
      }),
    );
  });

  it("weighs one 1080p ladder above four 480p streams (pixels, not sessions)", () => {
    const hd: Rendition[] = [
      { name: "source", width: 1920, height: 1080, fps: 30 },
      { name: "720p", width: 1280, height: 720, fps: 30 },
      { name: "480p", width: 854, height: 480, fps: 30 },
      { name: "360p", width: 640, height: 360, fps: 30 },
    ];
    const sd: Rendition[] = [
      { name: "source", width: 854, height: 480, fps: 30 },
      { name: "240p", width: 426, height: 240, fps: 30 },
    ];
    expect(streamPixelsPerSecond(hd)).to.be.greaterThan(4 * streamPixelsPerSecond(sd));
    expect(() =>
      planCapacity({
        peakStreams: new Array<number>(HOURS).fill(1),
        ladder: hd,
        nodePixelsPerSecond: streamPixelsPerSecond(hd) / 2,
        policy: { headroom: 0, spareNodes: 0, minSize: 0, maxSize: 10, scaleUpLeadMinutes: 0 },
      }),
    ).to.throw(SizingError, "less than one stream");
  });
});
