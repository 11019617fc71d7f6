// Static checks of every file under scripts/node (shipped as written, comments included, in each
// kind's bundle: lib/node-bundle.ts): shellcheck and bash -n on shell, ast.parse on Python, and
// `systemd-analyze verify` with no output at all on every unit; and each bundle carries every file
// its units and scripts reference. systemd-analyze checks that each Exec*= command exists and is executable, so the
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
import { NODE_ROOT, buildBundle, bundleFiles } from "../lib/node-bundle";
import { NODE_KINDS } from "../lib/runtime-contract";

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

describe("node files: shell, Python and systemd units", function () {
  let tmp: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-files-"));
  });
  after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  it("has the files the issue names", function () {
    expect(SHELL.map(rel)).to.include.members([
      "mount-data-volume.sh",
      "fetch-identity.sh",
      "loopback-guard.sh",
      "nitro-isolation.sh",
    ]);
    expect(UNITS.map(rel)).to.include.members([
      "units/livepeer-orchestrator.service",
      "units/livepeer-transcoder.service",
      "units/livepeer-redeemer.service",
      "units/livepeer-reward.service",
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
      it(`${rel(f)}: set -euo pipefail, shellcheck clean`, function () {
        const text = fs.readFileSync(f, "utf8");
        if (!rel(f).endsWith("common.sh")) expect(text).to.match(/^set -euo pipefail$/m);
        for (const file of [f]) {
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
      it(`${rel(f)} parses, and imports only the standard library and boto3`, function () {
        for (const file of [f]) {
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
        // boto3/botocore: Ubuntu's python3-boto3, installed at boot (the maintained AWS client).
        const stdlib =
          /^(?:from|import) (argparse|datetime|hashlib|hmac|json|os|re|shutil|socket|ssl|string|subprocess|sys|threading|time|urllib(\.\w+)?|xml\.etree\.ElementTree|http\.server|boto3|botocore(\.\w+)?)\b/;
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
      it(`${rel(u)} verifies with no warnings`, function () {
        for (const text of [fs.readFileSync(u, "utf8")]) {
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
        "units/livepeer-orchestrator.service",
        "units/livepeer-transcoder.service",
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

describe("node file bundles (what each instance kind downloads)", function () {
  // Shipped elsewhere: the bootstrap and the boot deadline in user data, the restart script in its
  // SSM document.
  const OUTSIDE = new Set(["bootstrap.sh", "boot-deadline.sh", "chain-restart.sh"]);

  it("ship every node file in at least one kind's bundle", function () {
    const shipped = new Set(NODE_KINDS.flatMap((k) => bundleFiles(k).map((f) => f.src)));
    const orphans = ALL.map(rel).filter((f) => !shipped.has(f) && !OUTSIDE.has(f));
    expect(orphans).to.deep.equal([]);
  });

  for (const kind of NODE_KINDS) {
    it(`${kind}: carries every /opt/livepeer-fleet path its own files reference`, function () {
      const files = bundleFiles(kind);
      const dests = new Set(files.map((f) => f.dest));
      for (const f of files) {
        const text = fs.readFileSync(path.join(NODE_DIR, f.src), "utf8");
        const refs = [
          ...[
            ...text.matchAll(new RegExp(`${NODE_ROOT}/((?:bin|conf|units)/[\\w./-]+\\w)`, "g")),
          ].map((m) => m[1]),
          ...[...text.matchAll(/\$LF_ROOT\/((?:bin|conf|units)\/[\w./-]+\w)/g)].map((m) => m[1]),
        ];
        for (const r of refs) {
          // "units/$LF_CHAIN_CLIENT/..." style references are checked per client below.
          if (r.includes("$")) continue;
          expect(dests.has(r), `${f.src} references ${r}`).to.equal(true);
        }
      }
      expect(dests.has(`bin/boot-${kind}.sh`)).to.equal(true);
    });
  }

  it("are deterministic and unpack with real tar, executables 0755", function () {
    for (const kind of NODE_KINDS) {
      const a = buildBundle(kind);
      expect(buildBundle(kind).sha256).to.equal(a.sha256);
      const file = path.join(os.tmpdir(), `lf-bundle-${kind}.tar.gz`);
      fs.writeFileSync(file, a.bytes);
      const list = spawnSync("tar", ["-tzvf", file], { encoding: "utf8" });
      fs.rmSync(file);
      expect(list.status, list.stderr).to.equal(0);
      const boot = list.stdout.split("\n").find((l) => l.endsWith(`bin/boot-${kind}.sh`))!;
      expect(boot).to.match(/^-rwxr-xr-x root\/root /);
      expect(list.stdout).to.match(/^drwxr-xr-x root\/root .* units\/$/m);
    }
  });
});
