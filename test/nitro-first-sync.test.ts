// Nitro's interrupted first sync: scripts/node/nitro-resume-first-sync.sh run for real on a
// directory tree laid out like Nitro's (ROOT/<chain>/nitro, the download in <instance>/tmp), and
// the chain client's unit that runs it before Nitro starts.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NODE_DIR } from "./helpers/node-runtime";
import { requireTools } from "./helpers/tools";

const SCRIPT = path.join(NODE_DIR, "nitro-resume-first-sync.sh");
const UNIT = path.join(NODE_DIR, "units", "nitro", "chain-client.service");

/** Writes `files` (path -> content; a trailing "/" makes an empty directory) under a fresh root. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "lf-nitro-"));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    if (rel.endsWith("/")) {
      fs.mkdirSync(p, { recursive: true });
    } else {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
    }
  }
  return root;
}

function run(root: string): { code: number; log: string } {
  const r = spawnSync("bash", [SCRIPT, root], { encoding: "utf8" });
  return { code: r.status ?? -1, log: r.stderr };
}

const exists = (root: string, rel: string) => fs.existsSync(path.join(root, rel));

describe("Nitro interrupted first sync (the ExecStartPre script on a real directory tree)", function () {
  const roots: string[] = [];
  const make = (files: Record<string, string>) => {
    const r = tree(files);
    roots.push(r);
    return r;
  };
  before(function () {
    requireTools(this, "bash", "find");
  });
  after(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

  it("removes a download's tmp while the database is still empty (only LOCK and the tmp)", function () {
    const root = make({
      "arb1/nitro/LOCK": "",
      "arb1/nitro/tmp/pruned.tar.part": "half a snapshot",
    });
    const r = run(root);
    expect(r.code, r.log).to.equal(0);
    expect(exists(root, "arb1/nitro/tmp")).to.equal(false);
    expect(exists(root, "arb1/nitro/LOCK")).to.equal(true);
    expect(r.log).to.include("a first snapshot download was interrupted");
  });

  it("also with the empty database directories Nitro may have created", function () {
    const root = make({
      "arb1/nitro/l2chaindata/": "",
      "arb1/nitro/classic-msg/": "",
      "arb1/nitro/tmp/pruned.tar.part": "x",
    });
    expect(run(root).code).to.equal(0);
    expect(exists(root, "arb1/nitro/tmp")).to.equal(false);
    expect(exists(root, "arb1/nitro/l2chaindata")).to.equal(true);
  });

  it("leaves tmp alone once the database holds anything (an extraction cut off: a person decides)", function () {
    const root = make({
      "arb1/nitro/l2chaindata/000001.log": "data",
      "arb1/nitro/tmp/pruned.tar": "x",
    });
    const r = run(root);
    expect(r.code).to.equal(0);
    expect(exists(root, "arb1/nitro/tmp/pruned.tar")).to.equal(true);
    expect(exists(root, "arb1/nitro/l2chaindata/000001.log")).to.equal(true);
    expect(r.log).to.include("the database is not empty");
  });

  it("leaves tmp alone next to anything Nitro would not expect in an empty instance", function () {
    const root = make({ "arb1/nitro/arbitrumdata/MANIFEST": "x", "arb1/nitro/tmp/a": "x" });
    expect(run(root).code).to.equal(0);
    expect(exists(root, "arb1/nitro/tmp/a")).to.equal(true);
  });

  it("does nothing without a tmp, on a synced database or on an empty volume", function () {
    const synced = make({ "arb1/nitro/LOCK": "", "arb1/nitro/l2chaindata/CURRENT": "x" });
    const r = run(synced);
    expect(r.code).to.equal(0);
    expect(r.log).to.equal("");
    expect(exists(synced, "arb1/nitro/l2chaindata/CURRENT")).to.equal(true);
    const empty = make({});
    expect(run(empty)).to.deep.equal({ code: 0, log: "" });
  });

  it("runs before Nitro starts, on the host directory mounted as Nitro's persistent root", function () {
    const unit = fs.readFileSync(UNIT, "utf8");
    const pre =
      /^ExecStartPre=-\/opt\/livepeer-fleet\/bin\/nitro-resume-first-sync\.sh (\S+)$/m.exec(unit);
    expect(pre, "ExecStartPre line").to.not.equal(null);
    // docker run --volume HOST:/home/user/.arbitrum: the script gets HOST.
    const mount = /--volume (\S+):\/home\/user\/\.arbitrum/.exec(unit);
    expect(mount?.[1]).to.equal(pre![1]);
    expect(unit.indexOf("nitro-resume-first-sync.sh")).to.be.below(
      unit.indexOf("ExecStart=/usr/bin/docker run"),
    );
  });
});
