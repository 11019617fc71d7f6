// Static checks of every file under scripts/node, both as written in the repository and as
// shipped in user data (lib/userdata.ts shipped(): full-line comments dropped): shellcheck and
// bash -n on shell, py_compile on Python, and `systemd-analyze verify` with no output at all on
// every unit. systemd-analyze checks that each Exec*= command exists and is executable, so the
// units are verified inside a scratch root (--root) holding a copy of this machine's systemd
// units plus STUB executables (`#!/bin/sh\nexit 0`) at every command path the units name,
// and a stub docker.service; nothing outside the temp dir is touched.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { requireTools } from "./helpers/tools";
import { NODE_DIR } from "./helpers/node-runtime";
import { shipped } from "../lib/userdata";

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "__pycache__") return [];
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

const ALL = walk(NODE_DIR);
const rel = (f: string) => path.relative(NODE_DIR, f);
const SHELL = ALL.filter((f) => f.endsWith(".sh"));
const PYTHON = ALL.filter((f) => f.endsWith(".py"));
const UNITS = ALL.filter((f) => f.endsWith(".service"));

/** Writes the shipped variant of every file into a mirror tree and returns its root. */
function shippedTree(root: string): string {
  for (const f of ALL) {
    const dest = path.join(root, rel(f));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, shipped(fs.readFileSync(f, "utf8")), { mode: fs.statSync(f).mode });
  }
  return root;
}

describe("node files: shell, Python and systemd units", function () {
  let tmp: string;
  let shippedRoot: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-files-"));
    shippedRoot = shippedTree(path.join(tmp, "shipped"));
  });
  after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  it("has the files the issue names", function () {
    expect(SHELL.map(rel)).to.include.members(["mount-data-volume.sh", "fetch-identity.sh"]);
    expect(UNITS.map(rel)).to.include.members([
      "units/livepeer.service",
      "units/livepeer-redeemer.service",
      "units/rpc-proxy.service",
      "units/livepeer-health.service",
      "units/nitro/chain-client.service",
      "units/geth/chain-client.service",
    ]);
  });

  describe("shell", function () {
    before(function () {
      requireTools(this, "shellcheck", "bash");
    });
    for (const f of SHELL) {
      it(`${rel(f)}: set -euo pipefail, shellcheck clean as written and as shipped`, function () {
        const text = fs.readFileSync(f, "utf8");
        if (!rel(f).endsWith("common.sh")) expect(text).to.match(/^set -euo pipefail$/m);
        for (const file of [f, path.join(shippedRoot, rel(f))]) {
          const sc = spawnSync("shellcheck", ["-x", "-s", "bash", file], {
            encoding: "utf8",
            cwd: path.dirname(file),
          });
          expect(sc.status, sc.stdout).to.equal(0);
          const n = spawnSync("bash", ["-n", file], { encoding: "utf8" });
          expect(n.status, n.stderr).to.equal(0);
        }
      });
    }
  });

  describe("python", function () {
    before(function () {
      requireTools(this, "python3");
    });
    for (const f of PYTHON) {
      it(`${rel(f)} compiles as written and as shipped, standard library only`, function () {
        for (const file of [f, path.join(shippedRoot, rel(f))]) {
          const r = spawnSync(
            "python3",
            ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", file],
            {
              encoding: "utf8",
            },
          );
          expect(r.status, r.stderr).to.equal(0);
        }
        const imports =
          fs.readFileSync(f, "utf8").match(/^(?:from (\S+) import|import (\S+))/gm) ?? [];
        const stdlib =
          /^(?:from|import) (argparse|datetime|hashlib|hmac|json|os|re|shutil|ssl|string|subprocess|sys|threading|time|urllib(\.\w+)?|xml\.etree\.ElementTree|http\.server)\b/;
        // Or a sibling node file (awsapi.py), which this suite checks in turn.
        const sibling = (i: string) =>
          PYTHON.map(rel).includes(`${i.replace(/^(?:from|import) (\w+).*$/, "$1")}.py`);
        for (const i of imports) expect(sibling(i) || stdlib.test(i), i).to.equal(true);
      });
    }
  });

  describe("systemd units", function () {
    let root: string;

    before(function () {
      requireTools(this, "systemd-analyze");
      root = path.join(tmp, "root");
      fs.mkdirSync(path.join(root, "usr", "lib", "systemd"), { recursive: true });
      fs.cpSync("/usr/lib/systemd/system", path.join(root, "usr", "lib", "systemd", "system"), {
        recursive: true,
        verbatimSymlinks: true,
      });
      fs.mkdirSync(path.join(root, "etc", "systemd", "system"), { recursive: true });
      // Stub docker.service: Nitro's unit Requires= it; the real one comes with docker.io.
      fs.writeFileSync(
        path.join(root, "etc", "systemd", "system", "docker.service"),
        "[Service]\nExecStart=/usr/bin/docker\n",
      );
      // Stub executables at every absolute command path the units name.
      const commands = new Set<string>();
      for (const u of UNITS) {
        for (const m of fs.readFileSync(u, "utf8").matchAll(/^Exec\w+=[-+!@:]*(\/\S+)/gm))
          commands.add(m[1]);
      }
      commands.add("/usr/bin/docker");
      for (const c of commands) {
        const p = path.join(root, c);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      }
    });

    function verify(unitText: string, name: string): { code: number; out: string } {
      const dest = path.join(root, "etc", "systemd", "system", name);
      fs.writeFileSync(dest, unitText);
      const r = spawnSync("systemd-analyze", ["verify", `--root=${root}`, dest], {
        encoding: "utf8",
      });
      return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`.trim() };
    }

    it("the verify harness does report a broken unit (control)", function () {
      const r = verify("[Service]\nExecStart=/usr/bin/docker\nNoSuchKey=1\n", "control.service");
      expect(r.out).to.match(/Unknown key/);
    });

    for (const u of UNITS) {
      it(`${rel(u)} verifies with no warnings, as written and as shipped`, function () {
        for (const text of [
          fs.readFileSync(u, "utf8"),
          fs.readFileSync(path.join(shippedRoot, rel(u)), "utf8"),
        ]) {
          const r = verify(text, path.basename(u));
          expect(r.out).to.equal("");
          expect(r.code).to.equal(0);
        }
      });
    }

    it("every long-running unit restarts always and raises LimitNOFILE or needs none", function () {
      for (const u of UNITS) {
        const text = fs.readFileSync(u, "utf8");
        expect(text, rel(u)).to.match(/^Restart=always$/m);
        expect(text, rel(u)).to.match(/^NoNewPrivileges=yes$/m);
        expect(text, rel(u)).to.match(/^PrivateTmp=yes$/m);
        expect(text, rel(u)).to.match(/^ProtectSystem=(strict|full)$/m);
      }
      for (const u of [
        "units/livepeer.service",
        "units/nitro/chain-client.service",
        "units/geth/chain-client.service",
      ]) {
        expect(fs.readFileSync(path.join(NODE_DIR, u), "utf8")).to.match(/^LimitNOFILE=1048576$/m);
      }
      for (const u of ["units/nitro/chain-client.service", "units/geth/chain-client.service"]) {
        const stop = /^TimeoutStopSec=(\d+)$/m.exec(
          fs.readFileSync(path.join(NODE_DIR, u), "utf8"),
        );
        expect(Number(stop?.[1]), u).to.be.at.least(600);
      }
    });
  });
});
