import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { PROJECT_DIR } from "./helpers/program";
import type { StackReport } from "../lib/plan/report";

function plan(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(PROJECT_DIR, "scripts", "plan.ts"), ...args],
    { cwd: PROJECT_DIR, encoding: "utf8" },
  );
  expect(r.status, r.stderr).to.equal(0);
  return r.stdout;
}

describe("npm run plan: capacity and cost", () => {
  const stacks = (JSON.parse(plan("--json")) as { stacks: StackReport[] }).stacks;
  const regions = stacks.filter((s) => s.role === "region");

  it("adds a capacity section to every shipped region stack and none to the fleet", () => {
    expect(regions.map((s) => s.stack)).to.have.members(["prod-us-east-1", "prod-eu-west-1"]);
    expect(stacks.find((s) => s.role === "fleet")!.capacity).to.equal(undefined);
    for (const s of regions) {
      const c = s.capacity!;
      expect(c).to.include.keys(
        "instanceType",
        "minSize",
        "maxSize",
        "maintenanceHourUtc",
        "hourly",
        "monthlyCostUsd",
      );
      expect(c.instanceType).to.equal(s.nodeGroup!.instanceType);
      expect(c.minSize).to.equal(s.nodeGroup!.minSize);
      expect(c.maxSize).to.equal(s.nodeGroup!.maxSize);
      expect(c.hourly.map((h) => h.hour)).to.deep.equal([...Array(24).keys()]);
      for (const h of c.hourly) {
        expect(h).to.include.keys(
          "demandStreams",
          "demandPixelsPerSecond",
          "instances",
          "capacityPixelsPerSecond",
        );
        expect(h.capacityPixelsPerSecond!).to.be.at.least(h.demandPixelsPerSecond! * 1.25);
      }
      const demand = c.hourly.map((h) => h.demandStreams!);
      expect(demand[c.maintenanceHourUtc]).to.equal(Math.min(...demand));
    }
  });

  it("prices every line and totals them", () => {
    for (const s of regions) {
      const m = s.capacity!.monthlyCostUsd;
      for (const k of ["nodes", "chainNode", "nlb", "nat", "volumes"] as const) {
        expect(m[k], `${s.stack} ${k}`).to.be.a("number").and.greaterThan(0);
      }
      const sum = m.nodes! + m.chainNode! + m.nlb + m.nat + m.volumes + m.publicIpv4;
      expect(m.total).to.be.closeTo(sum, 0.05);
    }
    // perAz NAT in us-east-1 (3 gateways) costs more than eu-west-1's single one.
    const nat = (st: string) => regions.find((s) => s.stack === st)!.capacity!.monthlyCostUsd.nat;
    expect(nat("prod-us-east-1")).to.be.greaterThan(2.5 * nat("prod-eu-west-1"));
  });

  it("prints the hourly table, the maintenance hour and each cost line", () => {
    const text = plan("--stack", "prod-us-east-1");
    expect(text).to.include("hour  streams      demand  nodes    capacity  util");
    expect(text).to.match(/maintenance hour: 09:00 UTC/);
    for (const line of ["nodes", "chain node", "NLB", "NAT", "volumes", "total"]) {
      expect(text).to.match(new RegExp(`^    ${line} +\\$\\d+\\.\\d\\d$`, "m"));
    }
  });
});
