// The nightly restart command as SSM runs it: the rendered runCommand lines under /bin/sh, with a
// recording stub of systemctl on PATH, a local HTTP server standing in for the chain node's
// health agent (loopback, port chosen at runtime), and a stand-in clock: `date` and `sleep` on
// PATH read and advance a counter file instead of the wall clock. The script's deadline is
// `date +%s` + the timeout and it sleeps between polls, so with the real clock a whole-second
// deadline raced 1-second polls (a slow curl pushed the last allowed poll past the second);
// with the stand-in every run sees exactly the same times.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import {
  CHAIN_DATA_DIR,
  defaultRestartSettings,
  renderRestartScript,
  restartCommandLines,
  restartDocument,
} from "../lib/maintenance/restart-document";
import { requireTools } from "./helpers/tools";
import { PROJECT_DIR } from "./helpers/program";
import { CHAIN_HEALTH_PORT, PORTS } from "../lib/runtime-contract";
import { chainEnv } from "../lib/runtime/values";
import { fixtureDesign } from "./fixtures/region";

interface Outcome {
  code: number;
  output: string;
  systemctl: string[];
  /** Stand-in clock seconds elapsed during the run. */
  elapsed: number;
  /** Whether the first-sync marker exists after the run. */
  marked: boolean;
}

/** Where the stand-in clock starts, in seconds since the epoch. */
const CLOCK_START = 1_000_000;

/**
 * Stubs on PATH: systemctl logs its arguments (`is-active` answers from PROXY_ACTIVE); `sleep N`
 * advances the clock file by N seconds at once; `date +%s` prints the clock, any other `date`
 * prints it as a label for log lines.
 */
function stubBin(dir: string): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  const stub = (name: string, lines: string[]) =>
    fs.writeFileSync(path.join(bin, name), ["#!/bin/sh", ...lines, ""].join("\n"), {
      mode: 0o755,
    });
  stub("systemctl", [
    'echo "$*" >> "$SYSTEMCTL_LOG"',
    'if [ "$1" = is-active ]; then [ "$PROXY_ACTIVE" = yes ]; exit $?; fi',
    "exit 0",
  ]);
  stub("sleep", ['now=$(cat "$CLOCK_FILE")', 'echo $((now + $1)) > "$CLOCK_FILE"']);
  stub("date", [
    'for a in "$@"; do if [ "$a" = "+%s" ]; then cat "$CLOCK_FILE"; exit 0; fi; done',
    'echo "t=$(cat "$CLOCK_FILE")"',
  ]);
  return bin;
}

/** Health double: 503 for the first `unhealthy` requests, then 200 (never, when -1). */
async function healthDouble(
  unhealthy: number,
): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let seen = 0;
  const server = http.createServer((_req, res) => {
    seen += 1;
    const ok = unhealthy >= 0 && seen > unhealthy;
    res.writeHead(ok ? 200 : 503).end(ok ? "synced" : "behind");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/healthz`,
    requests: () => seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * Runs the rendered command. `syncedBefore`: the data volume already records that the client
 * finished its first sync (the marker file exists), as on every night after the first.
 */
async function runRestart(
  healthUrl: string,
  proxyActive: boolean,
  syncedBefore = true,
): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-restart-"));
  const log = path.join(dir, "systemctl.log");
  fs.writeFileSync(log, "");
  const clock = path.join(dir, "clock");
  fs.writeFileSync(clock, `${CLOCK_START}\n`);
  const marker = path.join(dir, "data", ".livepeer-fleet-first-sync-done");
  fs.mkdirSync(path.dirname(marker));
  if (syncedBefore) fs.writeFileSync(marker, "");
  const lines = restartCommandLines({
    ...defaultRestartSettings(1),
    healthUrl,
    syncTimeoutSeconds: 3,
    pollSeconds: 1,
    firstSyncMarker: marker,
  });
  const env = {
    ...process.env,
    PATH: `${stubBin(dir)}:${process.env.PATH ?? ""}`,
    SYSTEMCTL_LOG: log,
    CLOCK_FILE: clock,
    PROXY_ACTIVE: proxyActive ? "yes" : "no",
  };
  // Async: the health double answers from this process's event loop.
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", lines.join("\n")], { env });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const systemctl = fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
      const elapsed = Number(fs.readFileSync(clock, "utf8")) - CLOCK_START;
      const marked = fs.existsSync(marker);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code: code ?? -1, output, systemctl, elapsed, marked });
    });
  });
}

describe("nightly chain restart command (rendered runCommand under /bin/sh; systemctl, health agent and clock stand-ins)", function () {
  this.timeout(30_000);

  it("restarts chain-client.service and succeeds once the health endpoint answers 200", async () => {
    // The pre-check and the polls at 1 and 2 s see the stalled client, the poll at 3 s (the
    // deadline, still in time) the synced one.
    const h = await healthDouble(3);
    try {
      const r = await runRestart(h.url, true);
      expect(r.code, r.output).to.equal(0);
      expect(r.systemctl).to.deep.equal([
        "is-active --quiet rpc-proxy.service",
        "restart chain-client.service",
      ]);
      expect(r.output).to.include("back and synced");
      expect(h.requests()).to.equal(4);
      expect(r.elapsed).to.equal(3);
    } finally {
      await h.close();
    }
  });

  it("fails the invocation when the client is not synced within the bound", async () => {
    const h = await healthDouble(-1);
    try {
      const r = await runRestart(h.url, true);
      expect(r.code).to.equal(1);
      expect(r.output).to.include("not synced 3s after the restart (last health answer: 503)");
      // The pre-check, then polls at 1, 2 and 3 s.
      expect(h.requests()).to.equal(4);
    } finally {
      await h.close();
    }
  });

  it("gives up at the deadline: a client synced one poll later is still a failure", async () => {
    const h = await healthDouble(4);
    try {
      const r = await runRestart(h.url, true);
      expect(r.code).to.equal(1);
      expect(h.requests()).to.equal(4);
      expect(r.elapsed).to.equal(3);
    } finally {
      await h.close();
    }
  });

  it("fails when the health agent does not answer at all", async () => {
    const h = await healthDouble(0);
    await h.close(); // nothing listens on its port any more
    const r = await runRestart(h.url, true);
    expect(r.code).to.equal(1);
    expect(r.output).to.include("last health answer: 000");
  });

  it("never restarts a client that has not finished its first sync, and says so", async () => {
    const h = await healthDouble(-1);
    try {
      const r = await runRestart(h.url, true, false);
      expect(r.code, r.output).to.equal(0);
      expect(r.systemctl).to.deep.equal([]);
      expect(r.output).to.include("never been seen synced (health answer: 503");
      expect(r.marked).to.equal(false);
    } finally {
      await h.close();
    }
  });

  it("records the first sync when it sees the client synced, then restarts it", async () => {
    const h = await healthDouble(0);
    try {
      const r = await runRestart(h.url, true, false);
      expect(r.code, r.output).to.equal(0);
      expect(r.systemctl).to.include("restart chain-client.service");
      expect(r.marked).to.equal(true);
    } finally {
      await h.close();
    }
  });

  it("refuses to restart when the RPC proxy is down (the nodes would lose chain access)", async () => {
    const r = await runRestart("http://127.0.0.1:9/healthz", false);
    expect(r.code).to.equal(1);
    expect(r.systemctl).to.deep.equal(["is-active --quiet rpc-proxy.service"]);
    expect(r.output).to.include("refusing to restart");
  });

  it("renders the unit's real settings: health port 8937, bounded step timeout", () => {
    const s = defaultRestartSettings(20);
    const script = renderRestartScript(s);
    expect(script).to.include("HEALTH_URL='http://127.0.0.1:8937/healthz'");
    expect(script).to.include("SYNC_TIMEOUT_SECONDS='1200'");
    expect(script).to.include(
      "FIRST_SYNC_MARKER='/var/lib/chain-data/.livepeer-fleet-first-sync-done'",
    );
    const doc = JSON.parse(restartDocument(s)) as {
      mainSteps: { inputs: { timeoutSeconds: string } }[];
    };
    expect(Number(doc.mainSteps[0].inputs.timeoutSeconds)).to.equal(1200 + 900);
    expect(() => renderRestartScript({ ...s, chainUnit: "x'; rm -rf /" })).to.throw(/unsafe/);
  });

  it("waits on the client itself, not the proxy, and keeps its marker on the data volume", () => {
    // The chain node's health agent answers on CHAIN_HEALTH_PORT with a check of the local client's
    // own RPC port (LF_HEALTH_ARGS as rendered for the chain node), never of the proxy that hosted
    // backups keep up.
    const env = Object.fromEntries(
      chainEnv(fixtureDesign(), {
        bundle: {
          bucket: "b",
          key: "node-files/chain.tar.gz",
          versionId: "v",
          sha256: "a".repeat(64),
        },
        dataVolumeId: "vol-0123456789abcdef0",
        zoneId: "Z0123456789ABCDEFGHIJ",
        redeemerIdentity: {
          keystore: "/p/redeemer/keystore",
          passphrase: "/p/redeemer/passphrase",
        },
        orchestratorIdentity: {
          keystore: "/p/orchestrator/keystore",
          passphrase: "/p/orchestrator/passphrase",
        },
      }).map(([k, v]) => [k, String(v)]),
    );
    expect(env.LF_HEALTH_ARGS).to.include(
      `--mode chain --bind 127.0.0.1 --port ${CHAIN_HEALTH_PORT} --eth-url http://127.0.0.1:${PORTS.localRpc} `,
    );
    expect(Number(env.LF_RPC_PORT)).to.not.equal(PORTS.localRpc);
    expect(defaultRestartSettings(20).healthUrl).to.equal(
      `http://127.0.0.1:${CHAIN_HEALTH_PORT}/healthz`,
    );
    const boot = fs.readFileSync(
      path.join(PROJECT_DIR, "scripts", "node", "boot-chain.sh"),
      "utf8",
    );
    expect(boot).to.match(new RegExp(`^DATA=${CHAIN_DATA_DIR}$`, "m"));
    for (const client of ["nitro", "geth"]) {
      const unit = fs.readFileSync(
        path.join(PROJECT_DIR, "scripts", "node", "units", client, "chain-client.service"),
        "utf8",
      );
      expect(unit).to.include(`RequiresMountsFor=${CHAIN_DATA_DIR}`);
    }
    expect(path.dirname(defaultRestartSettings(20).firstSyncMarker)).to.equal(CHAIN_DATA_DIR);
  });

  it("is shellcheck-clean as rendered", function () {
    requireTools(this, "shellcheck");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-sc-"));
    const file = path.join(dir, "chain-restart.sh");
    fs.writeFileSync(file, renderRestartScript(defaultRestartSettings(20)));
    const wrapper = path.join(dir, "run-command.sh");
    fs.writeFileSync(
      wrapper,
      ["#!/bin/sh", ...restartCommandLines(defaultRestartSettings(20))].join("\n"),
    );
    const r = spawnSync("shellcheck", [file, wrapper], { encoding: "utf8" });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stdout).to.equal(0);
  });
});
