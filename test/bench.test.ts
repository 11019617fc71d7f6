import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { COMMON_LADDER } from "../lib/config/sizing-schema";
import { benchTrace } from "../lib/sizing/bench";
import { TRACE_NAMES, generateTrace, traceFromCsv, traceToCsv } from "../lib/sizing/traces";
import { PROJECT_DIR } from "./helpers/program";

const read = (name: string) =>
  fs.readFileSync(path.join(PROJECT_DIR, "bench", "traces", `${name}.csv`), "utf8");

describe("sizing bench traces", () => {
  it("are the committed output of their seeded generator", () => {
    expect(TRACE_NAMES).to.have.members(["flat", "diurnal", "spiky", "tiny", "large"]);
    for (const name of TRACE_NAMES)
      expect(read(name), name).to.equal(traceToCsv(generateTrace(name)));
  });

  it("plan with no hour under capacity, at or above the lower bound, at most static peak", () => {
    for (const name of TRACE_NAMES) {
      const r = benchTrace(traceFromCsv(name, read(name)), {
        ladder: COMMON_LADDER,
        nodePixelsPerSecond: 2e9,
        hourlyUsd: 0.526,
        policy: {
          headroom: 0.25,
          spareNodes: 1,
          scaleUpLeadMinutes: 15,
          minSize: 1,
          maxSize: 1000,
        },
        bootMinutes: 10,
      });
      expect(r.underCapacityHours, name).to.equal(0);
      expect(r.ratioToLowerBound, name).to.be.at.least(1);
      expect(r.ratioToStaticPeak, name).to.be.at.most(1);
    }
  });

  it("notices a schedule that boots too late (lead shorter than boot)", () => {
    const r = benchTrace(traceFromCsv("diurnal", read("diurnal")), {
      ladder: COMMON_LADDER,
      nodePixelsPerSecond: 2e9,
      hourlyUsd: 0.526,
      policy: { headroom: 0, spareNodes: 0, scaleUpLeadMinutes: 0, minSize: 1, maxSize: 1000 },
      bootMinutes: 30,
    });
    expect(r.underCapacityHours).to.be.greaterThan(0);
  });
});
