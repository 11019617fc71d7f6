// boot-transcoder.sh's choice of -maxSessions, for real in bash: common.sh's max_sessions_for
// reads the instance's own type from LF_MAX_SESSIONS_BY_TYPE (the pool's types, rendered by
// lib/runtime/values.ts maxSessionsByType) and fails, rather than guess, for a type it does not
// list or a value that is not a positive whole number.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { NODE_DIR } from "./helpers/node-runtime";
import { requireTools } from "./helpers/tools";
import { fixtureDesign } from "./fixtures/region";
import { maxSessionsByType } from "../lib/runtime/values";

function maxSessionsFor(type: string, list: string): { code: number; out: string } {
  const r = spawnSync(
    "bash",
    [
      "-c",
      `set -euo pipefail; . "$1"; max_sessions_for "$2" "$3"`,
      "bash",
      path.join(NODE_DIR, "common.sh"),
      type,
      list,
    ],
    { encoding: "utf8" },
  );
  return { code: r.status ?? -1, out: r.stdout.trim() };
}

describe("boot-transcoder.sh: -maxSessions by the instance's own type (bash)", function () {
  before(function () {
    requireTools(this, "bash");
  });

  it("picks the instance type's number from the rendered list", function () {
    const spot = fixtureDesign({
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
    const list = maxSessionsByType(spot);
    expect(list).to.equal("g4dn.xlarge=17,g5.xlarge=26");
    expect(maxSessionsFor("g4dn.xlarge", list)).to.deep.equal({ code: 0, out: "17" });
    expect(maxSessionsFor("g5.xlarge", list)).to.deep.equal({ code: 0, out: "26" });
  });

  it("fails for a type the list does not name (no prefix match), or a value that is not a count", function () {
    const list = "g4dn.xlarge=17,g5.xlarge=26";
    expect(maxSessionsFor("g6.xlarge", list).code).to.equal(1);
    expect(maxSessionsFor("g4dn.xlarge2", list).code).to.equal(1);
    expect(maxSessionsFor("g4dn", list).code).to.equal(1);
    expect(maxSessionsFor("g4dn.xlarge", "g4dn.xlarge=0").code).to.equal(1);
    expect(maxSessionsFor("g4dn.xlarge", "g4dn.xlarge=1x").code).to.equal(1);
    expect(maxSessionsFor("g4dn.xlarge", "").code).to.equal(1);
  });

  it("is what the boot script uses, and it stops the boot on a miss", function () {
    const boot = fs.readFileSync(path.join(NODE_DIR, "boot-transcoder.sh"), "utf8");
    expect(boot).to.include('type=$(retry 5 2 "$api" imds meta-data/instance-type)');
    expect(boot).to.match(
      /sessions=\$\(max_sessions_for "\$type" "\$LF_MAX_SESSIONS_BY_TYPE"\) \|\|\n\s+die /,
    );
  });
});

describe("boot-transcoder.sh: the lifecycle agent starts last", function () {
  // On an instance being warmed for the warm pool, the lifecycle agent completes the launch hook
  // at once and Auto Scaling then stops the instance; user data does not run again when it
  // starts from the pool. So every install step (the metrics agent's apt-get included) must be
  // done before the agent starts.
  it("starts the lifecycle agent after every other boot step; only the final log line follows", function () {
    const lines = fs
      .readFileSync(path.join(NODE_DIR, "boot-transcoder.sh"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    const start = lines.findIndex(
      (l) => l.startsWith("systemctl start") && l.includes("livepeer-lifecycle.service"),
    );
    expect(start, "systemctl start ... livepeer-lifecycle.service").to.be.greaterThan(0);
    expect(lines.findIndex((l) => l.includes("metrics-setup.sh"))).to.be.within(0, start - 1);
    expect(lines.findIndex((l) => l.includes("install-release.sh"))).to.be.within(0, start - 1);
    expect(lines.slice(start + 1).every((l) => /^log /.test(l))).to.equal(true);
  });
});
