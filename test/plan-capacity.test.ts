import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { PROJECT_DIR } from "./helpers/program";
import { buildUnit } from "./helpers/components";
import { fixtureDesign } from "./fixtures/region";
import type { StackReport } from "../lib/plan/report";
import { capacityReport } from "../lib/plan/capacity";
import {
  INTERNET_EGRESS,
  egressMonthly,
  HOURS_PER_MONTH,
  SPOT_PRICE_FRACTION_ESTIMATE,
} from "../lib/sizing/prices";

function plan(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(PROJECT_DIR, "scripts", "plan.ts"), ...args],
    { cwd: PROJECT_DIR, encoding: "utf8" },
  );
  expect(r.status, r.stderr).to.equal(0);
  return r.stdout;
}

const LINES = [
  "transcoders",
  "orchestrators",
  "chainNode",
  "nlb",
  "nat",
  "volumes",
  "publicIpv4",
  "internetEgress",
  "crossAz",
] as const;

describe("npm run plan: capacity and cost of the shipped stacks", () => {
  const stacks = (JSON.parse(plan("--json")) as { stacks: StackReport[] }).stacks;
  const regions = stacks.filter((s) => s.role === "region");
  const of = (st: string) => regions.find((s) => s.stack === st)!.capacity!;

  it("adds a capacity section to every shipped region stack and none to the fleet", () => {
    expect(regions.map((s) => s.stack)).to.have.members(["prod-us-east-1", "prod-eu-west-1"]);
    expect(stacks.find((s) => s.role === "fleet")!.capacity).to.equal(undefined);
    for (const s of regions) {
      const c = s.capacity!;
      expect(c.instanceType).to.equal(s.nodeGroup!.instanceType);
      expect(c.minSize).to.equal(s.nodeGroup!.minSize);
      expect(c.maxSize).to.equal(s.nodeGroup!.maxSize);
      expect(c.hourly.map((h) => h.hour)).to.deep.equal([...Array(24).keys()]);
      for (const h of c.hourly) {
        expect(h.capacityPixelsPerSecond!).to.be.at.least(h.demandPixelsPerSecond! * 1.25);
      }
      const demand = c.hourly.map((h) => h.demandStreams!);
      expect(demand[c.maintenanceHourUtc]).to.equal(Math.min(...demand));
    }
  });

  it("shows each orchestrator slot with its own service address and the pool's routing", () => {
    const us = of("prod-us-east-1");
    expect(us.orchestrators.slots.map((s) => s.az)).to.deep.equal(["a", "b", "c"]);
    for (const s of us.orchestrators.slots) {
      expect(s.serviceAddr).to.match(/^ec2-203-0-113-\d+\.compute-1\.amazonaws\.com:8935$/);
      expect(s.privateName).to.equal(`o-${s.az}.prod-us-east-1.livepeer-fleet.internal`);
    }
    expect(new Set(us.orchestrators.slots.map((s) => s.serviceAddr)).size).to.equal(3);
    expect(us.transcoderAzs.every((a) => !a.crossAz)).to.equal(true);
    expect(of("prod-eu-west-1").orchestrators.slots.map((s) => s.az)).to.deep.equal(["a", "b"]);
    // The shipped fleet names no service zone: the plan says what a multi-region fleet needs.
    expect(us.service.uri).to.equal(null);
    expect(us.service.note).to.include("multi-region fleet needs one");
  });

  it("prices every line, data transfer included, and totals them", () => {
    for (const s of regions) {
      const m = s.capacity!.monthlyCostUsd;
      for (const k of LINES.filter((l) => l !== "crossAz")) {
        expect(m[k], `${s.stack} ${k}`).to.be.a("number").and.greaterThan(0);
      }
      const sum = LINES.reduce((t, k) => t + (m[k] ?? 0), 0);
      expect(m.total).to.be.closeTo(sum, 0.05);
      // Renditions out to the internet outweigh the GPUs that make them.
      expect(m.internetEgress!).to.be.greaterThan(m.transcoders!);
    }
  });

  it("derives egress from the ladder's bitrates and the demand profile", () => {
    const us = of("prod-us-east-1");
    // livepeer_bench's ladder: 3000 + 1600 + 800 + 250 kbit/s out per stream.
    expect(us.dataTransfer.egressMbpsPerStream).to.equal(5.65);
    const streamHours =
      us.hourly.reduce((t, h) => t + h.demandStreams!, 0) * (HOURS_PER_MONTH / 24);
    const gb = (5.65e6 * 3600 * streamHours) / 8 / 1e9;
    expect(us.dataTransfer.egressGbPerMonth).to.equal(Math.round(gb));
    expect(us.monthlyCostUsd.internetEgress).to.be.closeTo(
      egressMonthly(gb, INTERNET_EGRESS["us-east-1"]),
      0.01,
    );
    // eu-west-1's 720p ladder has no 720p output.
    expect(of("prod-eu-west-1").dataTransfer.egressMbpsPerStream).to.equal(2.65);
  });

  it("prints the orchestrators, the pool, the hourly table and each cost line", () => {
    const text = plan("--stack", "prod-us-east-1");
    expect(text).to.match(/^ {2}orchestrators: 3 x c6in\.large$/m);
    expect(text).to.match(/^ {4}a: -serviceAddr ec2-.*:8935, transcoders dial o-a\./m);
    expect(text).to.include("hour  streams      demand  transcoders    capacity  util");
    expect(text).to.match(/maintenance hour: 09:00 UTC/);
    for (const line of [
      "transcoders",
      "orchestrators",
      "chain node",
      "NLB",
      "NAT",
      "internet out",
      "total",
    ]) {
      expect(text).to.match(new RegExp(`^    ${line} +\\$\\d+\\.\\d\\d$`, "m"));
    }
    // The pool as deployed (its maxSize is the design's own: no cap note), and its cost both ways.
    expect(text).to.match(/^ {2}scaling: instances 2-35; g4dn\.xlarge -maxSessions 13$/m);
    expect(text).not.to.match(/caps the pool/);
    expect(text).to.match(/^ {4}predictive: forecast and scale at 0\.85 of capacity, 360 s early/m);
    expect(text).to.match(/^ {4}warm pool: stopped, /m);
    expect(text).to.match(
      /^ {4}lifecycle hooks: drain \(EC2_INSTANCE_TERMINATING, 60 s, CONTINUE\), launch/m,
    );
    expect(text).to.match(
      /^ {4}transcoders on demand \(this stack\): \$\d+\.\d\d; with spot: \$\d+\.\d\d \(\d+ on demand, spot at ~0\.4 x on-demand: an estimate\)$/m,
    );
  });
});

describe("capacity report: the pool's cost on demand and with spot (fixture design)", function () {
  const price = 0.526;
  const days = HOURS_PER_MONTH / 24;

  it("on demand: every planned transcoder-hour at the list price; with spot: the base on demand, the rest at the estimate", async () => {
    const d = fixtureDesign();
    const c = capacityReport(await buildUnit(d), d);
    const t = c.transcoderCost;
    expect(t.deployed).to.equal("onDemand");
    const hours = c.hourly.map((h) => h.instances);
    expect(t.onDemand).to.be.closeTo(hours.reduce((a, b) => a + b, 0) * days * price, 0.01);
    const base = t.onDemandBaseInstances;
    expect(base).to.be.at.least(d.config.nodeGroup.minSize);
    const spot = hours.reduce(
      (s, n) =>
        s +
        Math.min(n, base) * price +
        Math.max(0, n - base) * price * SPOT_PRICE_FRACTION_ESTIMATE,
      0,
    );
    expect(t.withSpot).to.be.closeTo(spot * days, 0.01);
    expect(c.monthlyCostUsd.transcoders).to.equal(t.onDemand);
  });

  it("with nodeGroup.spot the transcoders line is the spot estimate, said so in a note; no warm pool volumes", async () => {
    const d = fixtureDesign({
      nodeGroup: { spot: true },
      capacityModel: {
        "g5.xlarge": {
          pixelsPerSecond: 3e9,
          pixelsSource: "fixture: a round number for tests",
          hourlyUsd: { default: 1.006 },
          priceSource: "fixture: a round number for tests",
        },
      },
    });
    const c = capacityReport(await buildUnit(d), d);
    expect(c.transcoderCost.deployed).to.equal("withSpot");
    expect(c.monthlyCostUsd.transcoders).to.equal(c.transcoderCost.withSpot);
    expect(c.transcoderCost.withSpot!).to.be.below(c.transcoderCost.onDemand!);
    expect(c.costNotes.join("\n")).to.match(
      /transcoders with spot: \d+ on demand, the rest at 0\.4 x/,
    );
    expect(c.scaling).to.deep.include({ capacityUnit: "sessions", warmPool: null });
    expect(c.scaling!.spot!.types).to.deep.equal(["g4dn.xlarge", "g5.xlarge"]);
  });

  it("the warm pool's stopped transcoders pay their root volumes", async () => {
    const d = fixtureDesign();
    const withWarm = capacityReport(await buildUnit(d), d);
    const noProfile = fixtureDesign({ demand: { peakStreams: undefined } });
    expect(noProfile.pool!.warmPool).to.equal(undefined);
    const w = d.pool!.warmPool!;
    const warmPerDay = withWarm.hourly.reduce(
      (s, h) => s + Math.max(w.minSize, w.maxGroupPreparedCapacity - h.instances),
      0,
    );
    expect(warmPerDay).to.be.greaterThan(0);
    expect(withWarm.costNotes.join("\n")).to.include(
      `warm pool: ${(warmPerDay / 24).toFixed(1)} stopped transcoders on average`,
    );
  });
});

describe("capacity report (fixture design)", function () {
  it("tiered internet egress: 10 TB at the first rate, the rest cheaper", () => {
    const tiers = INTERNET_EGRESS["us-east-1"];
    expect(egressMonthly(1000, tiers)).to.be.closeTo(90, 1e-9);
    expect(egressMonthly(20_000, tiers)).to.be.closeTo(10_240 * 0.09 + 9_760 * 0.085, 1e-6);
    expect(egressMonthly(0, tiers)).to.equal(0);
  });

  it("prices cross-AZ media when the pool includes an AZ without an orchestrator", async () => {
    const d = fixtureDesign({ nodeGroup: { availabilityZones: ["a", "b", "c"] } });
    expect(d.transcoderRoutes.find((r) => r.az === "c")).to.deep.include({
      crossAz: true,
      orchestrators: ["a", "b"],
    });
    const c = capacityReport(await buildUnit(d), d);
    expect(c.dataTransfer.crossAzShare).to.equal(0.33);
    expect(c.monthlyCostUsd.crossAz).to.be.greaterThan(0);
    expect(c.costNotes.join("\n")).to.include("source bitrate unknown");
    const same = fixtureDesign();
    expect(capacityReport(await buildUnit(same), same).monthlyCostUsd.crossAz).to.equal(0);
  });
});
