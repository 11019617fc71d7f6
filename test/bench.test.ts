// The sizing bench's properties, not its tuned numbers: a seed reproduces a run, no policy
// beats the lower bound for what it served, a policy blind to spikes loses sessions on spike
// days, and the simulator refuses exactly when pooled capacity is full.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { COMMON_LADDER } from "../lib/config/sizing-schema";
import {
  BenchConfig,
  POLICY_NAMES,
  checkTargets,
  longestRefusalRun,
  runBench,
  scenarioTrace,
} from "../lib/sizing/bench";
import { DemandTrace, MINUTES_PER_DAY, hourlyMeans } from "../lib/sizing/demand-model";
import { forecastLoad } from "../lib/sizing/forecast";
import { InstanceTypeSpec, PolicySpec, SimSetup, simulate } from "../lib/sizing/pool-sim";
import { PROJECT_DIR } from "./helpers/program";

const T4 = 13 * 112_132_800; // 13 streams of the common ladder

/** A small region: three days of history, one replayed day per kind. */
function config(over: Partial<BenchConfig> = {}): BenchConfig {
  return {
    seed: 7,
    trainDays: 3,
    heldOutDays: 1,
    trainSpikeDays: 0,
    demand: {
      profile: [
        60, 66, 64, 58, 48, 36, 25, 18, 14, 12, 13, 15, 20, 25, 30, 33, 36, 40, 43, 46, 48, 50, 53,
        56,
      ],
      weekendFactor: 0.85,
      dayLevelSigma: 0.08,
      growthPerDay: 0.003,
      meanSessionMinutes: 40,
      spike: {
        minFactor: 3,
        maxFactor: 5,
        minHoldMinutes: 30,
        maxHoldMinutes: 90,
        rampMinutes: 15,
      },
    },
    ladder: COMMON_LADDER,
    primary: { instanceType: "g4dn.xlarge", pixelsPerSecond: T4, hourlyUsd: 0.526 },
    spotTypes: [
      { instanceType: "g4dn.xlarge", pixelsPerSecond: T4, hourlyUsd: 0.526 },
      { instanceType: "g6.xlarge", pixelsPerSecond: 2 * T4, hourlyUsd: 0.8048 },
    ],
    spotPriceFraction: 0.4,
    spotInterruptionsPerInstanceDay: 2,
    orchestrators: 3,
    routing: "room",
    boot: { coldMin: 3, coldMax: 6, warmMin: 1, warmMax: 2 },
    alarms: { highDatapoints: 3, lowDatapoints: 15, lowFraction: 0.7 },
    metricDelayMinutes: 2,
    highResolutionDelayMinutes: 1,
    sizing: { headroom: 0.25, spareNodes: 1, scaleUpLeadMinutes: 15, minSize: 1, maxSize: 100_000 },
    design: {},
    rootVolumeGiB: 100,
    gp3GiBMonthUsd: 0.08,
    retryMinutes: 0,
    ablation: false,
    previousWarmupMinutes: 10,
    ...over,
  };
}

const TYPE: InstanceTypeSpec = {
  name: "t",
  sessions: 2,
  hourlyUsd: 1,
  spotHourlyUsd: 1,
  weight: 1,
  volumeHourlyUsd: 0,
};

/** A hand-made trace: sessions [arrival, duration] over `minutes`. */
function trace(minutes: number, sessions: [number, number][]): DemandTrace {
  const offered = new Int32Array(minutes);
  for (const [a, d] of sessions) for (let t = a; t < Math.min(minutes, a + d); t++) offered[t]++;
  return {
    days: [],
    minutes,
    curve: new Float64Array(minutes),
    arrival: Int32Array.from(sessions.map((s) => s[0])),
    duration: Int32Array.from(sessions.map((s) => s[1])),
    offered,
  };
}

function setup(tr: DemandTrace): SimSetup {
  return {
    trace: tr,
    start: 0,
    measureFrom: 0,
    end: tr.minutes,
    history: [],
    boot: { coldMin: 3, coldMax: 3, warmMin: 1, warmMax: 1 },
    alarms: { highDatapoints: 3, lowDatapoints: 15, lowFraction: 0.7 },
    meanSessionMinutes: 40,
    retryMinutes: 0,
    seed: 1,
  };
}

function fixed(n: number, architecture: PolicySpec["architecture"]): PolicySpec {
  return { name: "fixed", architecture, types: [TYPE], minSize: n, maxSize: n, initialDesired: n };
}

describe("sizing bench", function () {
  this.timeout(60_000);
  const small = runBench(config());

  it("reproduces a run from its seed, and another seed replays other days", () => {
    expect(runBench(config()).rows).to.deep.equal(small.rows);
    const other = runBench(config({ seed: 8 }));
    expect(other.rows.map((r) => r.usdPerDay)).to.not.deep.equal(
      small.rows.map((r) => r.usdPerDay),
    );
  });

  it("reports every policy and the lower bound for every kind of day", () => {
    for (const scenario of ["ordinary", "step", "ramp"]) {
      const names = small.rows.filter((r) => r.scenario === scenario).map((r) => r.policy);
      expect(names).to.deep.equal(["lower bound", ...POLICY_NAMES]);
    }
    expect(checkTargets(small).map((t) => t.target)).to.have.length(6);
  });

  it("no on-demand policy costs less than the lower bound for the sessions it served", () => {
    for (const r of small.rows.filter((x) => x.policy !== "new design + spot")) {
      const servedShare = r.servedSessionMinutes / r.offeredSessionMinutes;
      expect(r.costXLowerBound, `${r.scenario} ${r.policy}`).to.be.at.least(servedShare - 1e-9);
    }
    // A policy that lost nothing paid at least the whole lower bound.
    for (const r of small.rows.filter((x) => x.sessionMinutesLostPct === 0)) {
      expect(r.costXLowerBound, `${r.scenario} ${r.policy}`).to.be.at.least(1 - 1e-9);
    }
  });

  it("replays the design within a stack's bounds (nodeGroup.minSize/maxSize), as the stack deploys it", () => {
    const capped = runBench(config({ bounds: { minSize: 2, maxSize: 4 } }));
    expect(small.design.maxSize).to.be.greaterThan(4);
    expect(capped.design).to.include({ minSize: 2, maxSize: 4 });
    expect(capped.design.warmPool!.maxGroupPreparedCapacity).to.be.at.most(4);
    expect(capped.design.warmPool!.minSize).to.be.at.most(4 - 2);
    // The spot design counts sessions: the bounds times the primary's 13.
    expect(capped.spotDesign.maxSize).to.equal(4 * 13);
    expect(
      capped.spotDesign.mixedInstancesPolicy!.instancesDistribution.onDemandBaseCapacity,
    ).to.be.within(2 * 13, 4 * 13);
    // A lower maximum cannot serve a spike better.
    const lost = (r: typeof small, s: string) =>
      r.rows.find((x) => x.scenario === s && x.policy === "new design")!.sessionMinutesLostPct;
    expect(lost(capped, "step")).to.be.at.least(lost(small, "step"));
  });

  it("trains every scenario on the same history and replays different new days", () => {
    const c = config();
    const a = scenarioTrace(c, "ordinary");
    const b = scenarioTrace(c, "step");
    const history = c.trainDays * MINUTES_PER_DAY;
    expect(a.curve.slice(0, history)).to.deep.equal(b.curve.slice(0, history));
    expect(a.days.slice(c.trainDays).every((d) => d.kind === "ordinary")).to.equal(true);
    expect(b.days.slice(c.trainDays).every((d) => d.kind === "step" && d.spike)).to.equal(true);
  });

  it("a policy sized for ordinary days loses sessions on spike days", () => {
    const c = config({ heldOutDays: 2 });
    const lost = (scenario: "ordinary" | "step") => {
      const tr = scenarioTrace(c, scenario);
      const n = Math.ceil((Math.max(...c.demand.profile) * 1.3) / 13);
      const start = (c.trainDays - 1) * MINUTES_PER_DAY;
      return simulate(
        {
          name: "blind",
          architecture: {
            kind: "pooled",
            orchestrators: 3,
            routing: "room",
            protectUnabsorbable: true,
          },
          types: [{ ...TYPE, sessions: 13 }],
          minSize: n,
          maxSize: n,
          initialDesired: n,
        },
        {
          ...setup(tr),
          start,
          measureFrom: c.trainDays * MINUTES_PER_DAY,
          end: tr.minutes,
          history: hourlyMeans(tr.offered, 0, start),
        },
      );
    };
    const ordinary = lost("ordinary");
    const step = lost("step");
    expect(ordinary.refused).to.equal(0);
    expect(step.refused).to.be.greaterThan(0);
    expect(step.servedSessionMinutes).to.be.lessThan(step.offeredSessionMinutes);
  });

  it("refuses a session exactly when the pooled capacity is full", () => {
    // One orchestrator, one transcoder of 2 sessions: the third concurrent session is refused.
    const pooled = {
      kind: "pooled",
      orchestrators: 1,
      routing: "any",
      protectUnabsorbable: false,
    } as const;
    const r = simulate(
      fixed(1, pooled),
      setup(
        trace(10, [
          [0, 10],
          [1, 10],
          [2, 10],
          [3, 10],
        ]),
      ),
    );
    expect(r.refused).to.equal(2);
    expect(Array.from(r.served)).to.deep.equal([1, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    // Two transcoders behind the same orchestrator pool their slots: all four fit.
    const two = simulate(
      fixed(2, pooled),
      setup(
        trace(10, [
          [0, 10],
          [1, 10],
          [2, 10],
          [3, 10],
        ]),
      ),
    );
    expect(two.refused).to.equal(0);
    expect(two.served[9]).to.equal(4);
  });

  it("sends a session to an orchestrator with room when discovery routes by room", () => {
    // Two orchestrators of one 2-session transcoder each; five sessions: one must be refused
    // whatever the routing, and with routing by room never more.
    const sessions: [number, number][] = [0, 0, 0, 0, 0].map((_, i) => [i, 20]);
    const room = simulate(
      fixed(2, { kind: "pooled", orchestrators: 2, routing: "room", protectUnabsorbable: false }),
      setup(trace(20, sessions)),
    );
    expect(room.refused).to.equal(1);
    expect(room.served[19]).to.equal(4);
  });

  it("moves a lost transcoder's sessions to the orchestrator's others, else counts them interrupted", () => {
    // One orchestrator, an on-demand and a spot transcoder of 3 sessions; the spot one is
    // interrupted in its first minute, two minutes' notice later it is gone.
    const lose = (sessions: number) =>
      simulate(
        {
          ...fixed(2, {
            kind: "pooled",
            orchestrators: 1,
            routing: "room",
            protectUnabsorbable: true,
          }),
          types: [{ ...TYPE, sessions: 3 }],
          spot: { onDemandBase: 1, interruptionsPerInstanceDay: 1440 * 1000, noticeMinutes: 2 },
        },
        setup(
          trace(
            4,
            Array.from({ length: sessions }, () => [0, 60] as [number, number]),
          ),
        ),
      );
    // 3 sessions: the spot one's move to the on-demand one, which has room for all three.
    const fits = lose(3);
    expect(fits.movedSessions).to.be.greaterThan(0);
    expect(fits.interruptedBySpot).to.equal(0);
    expect(fits.served[3]).to.equal(3);
    // 6 sessions: the on-demand transcoder is full, the spot one's three are interrupted.
    const full = lose(6);
    expect(full.interruptedBySpot).to.equal(3);
    expect(full.served[3]).to.equal(3);
  });

  it("counts a stretch of refusals as one wait for capacity", () => {
    expect(longestRefusalRun(Int32Array.from([0, 1, 2, 0, 3, 0, 0, 0, 1]))).to.equal(4);
    expect(longestRefusalRun(Int32Array.from([0, 0, 0]))).to.equal(0);
  });
});

describe("predictive scaling stand-in forecast", () => {
  const day = [
    10, 10, 10, 10, 10, 10, 20, 30, 40, 50, 60, 60, 60, 60, 50, 40, 30, 20, 10, 10, 10, 10, 10, 10,
  ];

  it("needs 24 hours of history", () => {
    expect(forecastLoad(day.slice(0, 23), 23)).to.equal(undefined);
    expect(forecastLoad(day, 24)).to.have.length(48);
  });

  it("repeats the daily shape, ignores a one-day spike and follows growth", () => {
    const history: number[] = [];
    for (let d = 0; d < 5; d++) history.push(...day.map((v) => v * (1 + 0.1 * d)));
    history[2 * 24 + 3] = 500; // a spike on day 2 at 03:00
    const f = forecastLoad(history, 5 * 24)!;
    expect(f[3]).to.be.lessThan(30);
    expect(f[11]).to.be.greaterThan(60 * 1.4); // day 5 continues the 10%/day growth
    expect(f[11]).to.be.lessThan(60 * 1.6);
  });
});

describe("npm run bench (CLI)", function () {
  this.timeout(120_000);
  const run = (...args: string[]) =>
    spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(PROJECT_DIR, "scripts", "bench.ts"), ...args],
      {
        cwd: PROJECT_DIR,
        encoding: "utf8",
      },
    );

  it("rejects an unknown flag with the usage line", () => {
    const r = run("--held-out", "3");
    expect(r.status).to.equal(64);
    expect(r.stderr).to.include("unknown flag --held-out").and.include("usage: npm run bench");
  });

  it("prints JSON for machines: rows, targets and the design", () => {
    const r = run("--json", "--train-days", "3", "--held-out-days", "1");
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as {
      rows: unknown[];
      targets: { met: boolean }[];
      design: { maxSessions: Record<string, number> };
    };
    expect(out.rows).to.have.length(18);
    expect(out.targets).to.have.length(6);
    expect(out.design.maxSessions["g4dn.xlarge"]).to.equal(13);
  });
});
