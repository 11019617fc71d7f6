// The nightly restart command as SSM runs it: the rendered runCommand lines under /bin/sh, with a
// recording stub of systemctl on PATH and a local HTTP server standing in for the chain node's
// health agent (loopback, port chosen at runtime).
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
import { CHAIN_HEALTH_PORT } from "../lib/runtime-contract";

interface Outcome {
  code: number;
  output: string;
  systemctl: string[];
  /** Whether the first-sync marker exists after the run. */
  marked: boolean;
}

/** A systemctl stub: logs its arguments; `is-active` answers from PROXY_ACTIVE. */
function stubBin(dir: string): string {
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, "systemctl"),
    [
      "#!/bin/sh",
      'echo "$*" >> "$SYSTEMCTL_LOG"',
      'if [ "$1" = is-active ]; then [ "$PROXY_ACTIVE" = yes ]; exit $?; fi',
      "exit 0",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return bin;
}

/** Health double: 503 for the first `unhealthy` requests, then 200 (never, when -1). */
async function healthDouble(unhealthy: number): Promise<{ url: string; close(): Promise<void> }> {
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
      const marked = fs.existsSync(marker);
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code: code ?? -1, output, systemctl, marked });
    });
  });
}

describe("nightly chain restart command (rendered runCommand under /bin/sh, systemctl stub, health double)", function () {
  this.timeout(30_000);

  it("restarts chain-client.service and succeeds once the health endpoint answers 200", async () => {
    // The pre-check and the first poll see the stalled client, the next poll the synced one.
    const h = await healthDouble(2);
    try {
      const r = await runRestart(h.url, true);
      expect(r.code, r.output).to.equal(0);
      expect(r.systemctl).to.deep.equal([
        "is-active --quiet rpc-proxy.service",
        "restart chain-client.service",
      ]);
      expect(r.output).to.include("back and synced");
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
    // own RPC port (lib/userdata.ts LF_HEALTH_ARGS), never of the proxy that hosted backups keep up.
    const userdata = fs.readFileSync(path.join(PROJECT_DIR, "lib", "userdata.ts"), "utf8");
    expect(userdata).to.include(
      "`--mode chain --bind 127.0.0.1 --port ${CHAIN_HEALTH_PORT} ` +\n        `--eth-url http://127.0.0.1:${LOCAL_RPC_PORT}",
    );
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
