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
  defaultRestartSettings,
  renderRestartScript,
  restartCommandLines,
  restartDocument,
} from "../lib/maintenance/restart-document";
import { requireTools } from "./helpers/tools";

interface Outcome {
  code: number;
  output: string;
  systemctl: string[];
  /** Stand-in clock seconds elapsed during the run. */
  elapsed: number;
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

async function runRestart(healthUrl: string, proxyActive: boolean): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-restart-"));
  const log = path.join(dir, "systemctl.log");
  fs.writeFileSync(log, "");
  const clock = path.join(dir, "clock");
  fs.writeFileSync(clock, `${CLOCK_START}\n`);
  const lines = restartCommandLines({
    ...defaultRestartSettings(1),
    healthUrl,
    syncTimeoutSeconds: 3,
    pollSeconds: 1,
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
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code: code ?? -1, output, systemctl, elapsed });
    });
  });
}

describe("nightly chain restart command (rendered runCommand under /bin/sh; systemctl, health agent and clock stand-ins)", function () {
  this.timeout(30_000);

  it("restarts chain-client.service and succeeds once the health endpoint answers 200", async () => {
    const h = await healthDouble(2);
    try {
      const r = await runRestart(h.url, true);
      expect(r.code, r.output).to.equal(0);
      expect(r.systemctl).to.deep.equal([
        "is-active --quiet rpc-proxy.service",
        "restart chain-client.service",
      ]);
      expect(r.output).to.include("back and synced");
      // Polls at 1, 2 and 3 s: the third, at the deadline, is still in time.
      expect(h.requests()).to.equal(3);
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
      expect(h.requests()).to.equal(3);
    } finally {
      await h.close();
    }
  });

  it("gives up at the deadline: a client synced one poll later is still a failure", async () => {
    const h = await healthDouble(3);
    try {
      const r = await runRestart(h.url, true);
      expect(r.code).to.equal(1);
      expect(h.requests()).to.equal(3);
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
    const doc = JSON.parse(restartDocument(s)) as {
      mainSteps: { inputs: { timeoutSeconds: string } }[];
    };
    expect(Number(doc.mainSteps[0].inputs.timeoutSeconds)).to.equal(1200 + 900);
    expect(() => renderRestartScript({ ...s, chainUnit: "x'; rm -rf /" })).to.throw(/unsafe/);
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
