// The health agent (scripts/node/health-agent.py) for real, in its three modes: against a local
// EVM chain (ganache), a local STAND-IN for go-livepeer (orchestrator: /healthz over TLS, CLI
// /status; transcoder: CLI /status), nvidia-smi stand-ins, a TCP listener standing in for the
// orchestrator a transcoder serves, and STAND-INS for IMDSv2 and Auto Scaling (SigV4 verified;
// SetInstanceHealth recorded). Each /healthz failure mode must give 503 naming the failed check
// within the agent's 2 s bound. The fault watcher is asserted deterministically: a test waits
// until the watcher reports N+2 completed checks in /state, then looks at what Auto Scaling got.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { requireTools } from "./helpers/tools";
import {
  Chain,
  NODE_DIR,
  Proc,
  freePort,
  startAgent,
  startChain,
  waitFor,
} from "./helpers/node-runtime";
import {
  AwsFault,
  AwsStandIn,
  INSTANCE_ID,
  ImdsStandIn,
  SYSTEM_PYTHON,
  awsEnv,
  requireBoto3,
} from "./helpers/aws-stand-ins";
import { LivepeerStandIn, selfSignedCert } from "./helpers/livepeer-stand-in";

interface Check {
  ok: boolean;
  detail: string;
}
interface Faults {
  checks: number;
  streaks: Record<string, number>;
  details: Record<string, string>;
  reported: boolean;
  reports: number;
  report_error: string | null;
}
interface Reply {
  code: number;
  body: { status: string; failed: string[]; checks: Record<string, Check>; faults: Faults | null };
  ms: number;
}

async function ask(url: string): Promise<Reply> {
  const t0 = Date.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(10000) });
  const body = (await res.json()) as Reply["body"];
  return { code: res.status, body, ms: Date.now() - t0 };
}

async function faults(url: string): Promise<Faults> {
  const res = await fetch(url.replace("/healthz", "/state"), { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as { faults: Faults }).faults;
}

/** Waits until the watcher has completed `n` checks (its own count, not a clock). */
async function afterChecks(url: string, n: number): Promise<Faults> {
  let last: Faults | undefined;
  await waitFor(
    `${n} completed fault checks`,
    async () => (last = await faults(url)).checks >= n,
    30000,
    50,
  );
  return last!;
}

export const agentTimings: number[] = [];

/** The watcher: every 0.2 s, reporting after 3 consecutive faulty checks. */
const N = 3;
const WATCH = ["--fault-interval", "0.2", "--fault-checks", String(N)];
/** For /healthz-only tests: the watcher checks once, then sleeps for an hour. */
const IDLE_WATCH = ["--fault-interval", "3600", "--fault-checks", String(N)];

describe("health agent in its three modes (local chain; go-livepeer, IMDS and Auto Scaling stand-ins)", function () {
  let dir: string;
  let fresh: Chain;
  let stale: Chain;
  let cert: { key: Buffer; cert: Buffer };
  const imds = new ImdsStandIn();
  const autoscaling = new AwsStandIn("autoscaling", "query");
  let accept: () => AwsFault | string = () => "";
  let env: NodeJS.ProcessEnv;
  const agents: Proc[] = [];
  let smiOk: string;
  let smiNone: string;

  before(async function () {
    requireTools(this, "python3", "openssl");
    requireBoto3(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-agent-"));
    cert = selfSignedCert();
    fresh = await startChain(await freePort(), 1337, { blockTime: 1 });
    // Genesis an hour ago and no mining: the head is an hour old.
    stale = await startChain(await freePort(), 1338, {
      blockTime: 0,
      genesisTime: new Date(Date.now() - 3600_000),
    });
    await Promise.all([imds.start(), autoscaling.start()]);
    autoscaling.on("SetInstanceHealth", () => accept());
    env = awsEnv(imds, { AUTOSCALING: autoscaling });
    smiOk = path.join(dir, "nvidia-smi-ok");
    fs.writeFileSync(smiOk, '#!/bin/sh\necho "GPU 0: Tesla T4 (UUID: GPU-test)"\n', {
      mode: 0o755,
    });
    smiNone = path.join(dir, "nvidia-smi-none");
    fs.writeFileSync(smiNone, '#!/bin/sh\necho "No devices were found"\nexit 6\n', { mode: 0o755 });
  });

  beforeEach(function () {
    autoscaling.calls = [];
    accept = () => "";
  });

  afterEach(async function () {
    for (const a of agents.splice(0)) await a.stop();
  });

  after(async function () {
    await Promise.all([imds.stop(), autoscaling.stop(), fresh?.stop(), stale?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (agentTimings.length > 0) {
      console.log(`    agent worst response time under faults: ${Math.max(...agentTimings)} ms`);
    }
  });

  async function agent(args: string[]): Promise<string> {
    const { proc, url } = await startAgent(args, env);
    agents.push(proc);
    return url;
  }

  async function expectFailure(url: string, check: string, detail: RegExp): Promise<Reply> {
    const r = await ask(url);
    agentTimings.push(r.ms);
    expect(r.code, JSON.stringify(r.body)).to.equal(503);
    expect(r.body.status).to.equal("fail");
    expect(r.body.failed).to.deep.equal([check]);
    expect(r.body.checks[check].detail).to.match(detail);
    expect(r.ms, "answers within 2 s").to.be.below(2000);
    return r;
  }

  const setInstanceHealth = () => autoscaling.signed("SetInstanceHealth");
  const TARGET_STATE = "meta-data/autoscaling/target-lifecycle-state";

  /**
   * Waits for N+2 completed checks of a fault that stays. The watcher's own snapshot must show
   * one report per N faulty checks (exactly one before check 2N), and Auto Scaling must have
   * got that many signed, well-formed calls. The watcher keeps going meanwhile, so the calls are
   * counted between that snapshot and a later one, never against a clock.
   */
  async function expectReportedOnce(url: string): Promise<Faults> {
    const f = await afterChecks(url, N + 2);
    expect(f.reports, JSON.stringify(f)).to.equal(Math.floor(f.checks / N));
    expect(f.reported).to.equal(true);
    const calls = setInstanceHealth();
    const later = await faults(url);
    expect(calls.length).to.be.within(f.reports, Math.floor((later.checks + 1) / N));
    expect(autoscaling.calls.every((c) => c.signatureOk)).to.equal(true);
    for (const c of calls) {
      expect(Object.fromEntries(c.params)).to.deep.equal({
        Action: "SetInstanceHealth",
        Version: "2011-01-01",
        InstanceId: INSTANCE_ID, // from IMDS
        HealthStatus: "Unhealthy",
        ShouldRespectGracePeriod: "true",
      });
    }
    return f;
  }

  describe("chain mode", function () {
    it("200 for a synced, fresh local client, 503 chain_head for a stale one", async function () {
      const good = await agent(["--mode", "chain", "--eth-url", fresh.url, "--max-head-age", "30"]);
      const bad = await agent(["--mode", "chain", "--eth-url", stale.url, "--max-head-age", "30"]);
      const ok = await ask(good);
      expect(ok.code, JSON.stringify(ok.body)).to.equal(200);
      expect(Object.keys(ok.body.checks)).to.have.members(["chain_synced", "chain_head"]);
      expect(ok.body.faults, "no fault watcher on the chain node").to.equal(null);
      await expectFailure(bad, "chain_head", /old \(max 30s\)/);
    });

    it("503 chain_head and chain_synced when the client is unreachable", async function () {
      const url = await agent(
        ["--mode", "chain", "--eth-url", `http://127.0.0.1:${await freePort()}`].concat([
          "--max-head-age",
          "30",
        ]),
      );
      const r = await ask(url);
      expect(r.code).to.equal(503);
      expect(r.body.failed).to.deep.equal(["chain_head", "chain_synced"]);
    });
  });

  describe("orchestrator mode: the discovery load balancer's target health", function () {
    let lp: LivepeerStandIn;

    before(async function () {
      lp = await new LivepeerStandIn("orchestrator").start(cert);
    });
    beforeEach(function () {
      lp.healthz = "ok";
      lp.status = "ok";
      lp.transcoders = [15, 12];
    });
    after(async function () {
      await lp?.stop();
    });

    const orch = (
      o: { ethUrl?: string; livepeerUrl?: string; watch?: string[]; redeemer?: string } = {},
    ) =>
      agent([
        ...["--mode", "orchestrator", "--eth-url", o.ethUrl ?? fresh.url, "--max-head-age", "30"],
        ...["--livepeer-url", o.livepeerUrl ?? lp.healthzUrl, "--status-url", lp.statusUrl],
        ...["--min-transcoders", "1", ...(o.watch ?? IDLE_WATCH)],
        ...(o.redeemer ? ["--redeemer-addr", o.redeemer] : []),
      ]);

    it("200 when go-livepeer answers, transcoders are registered and the chain head is fresh", async function () {
      const r = await ask(await orch());
      expect(r.code, JSON.stringify(r.body)).to.equal(200);
      expect(Object.keys(r.body.checks)).to.have.members(["livepeer", "transcoders", "chain_head"]);
      expect(r.body.checks.transcoders.detail).to.equal("2 transcoder(s) registered, capacity 27");
    });

    it("503 transcoders when fewer than --min-transcoders are registered", async function () {
      lp.transcoders = [];
      await expectFailure(await orch(), "transcoders", /^0 transcoder\(s\) registered \(min 1\)$/);
    });

    it("503 transcoders when the CLI /status errors or is not NodeStatus JSON", async function () {
      const url = await orch();
      lp.status = "error";
      await expectFailure(url, "transcoders", /HTTP 500/);
      lp.status = "not-json";
      await expectFailure(url, "transcoders", /is not JSON/);
    });

    it("503 livepeer when go-livepeer's /healthz errors", async function () {
      const url = await orch();
      lp.healthz = "error";
      await expectFailure(url, "livepeer", /HTTP 500/);
    });

    it("503 livepeer (timed out) when go-livepeer is slow, still within 2 s", async function () {
      const url = await orch();
      lp.healthz = "slow";
      await expectFailure(url, "livepeer", /timed out|timeout/i);
    });

    it("503 chain_head when the chain head is stale", async function () {
      await expectFailure(await orch({ ethUrl: stale.url }), "chain_head", /old \(max 30s\)/);
    });

    it("chain down: 503 for the load balancer, and no SetInstanceHealth after N+2 checks", async function () {
      const url = await orch({ ethUrl: `http://127.0.0.1:${await freePort()}`, watch: WATCH });
      await expectFailure(url, "chain_head", /unreachable/);
      const f = await afterChecks(url, N + 2);
      expect(f.streaks).to.deep.equal({ livepeer_down: 0 });
      expect(f.reported).to.equal(false);
      expect(autoscaling.calls).to.deep.equal([]);
    });

    it("chain down and go-livepeer down: not instance-local, no SetInstanceHealth after N+2 checks", async function () {
      const url = await orch({
        ethUrl: `http://127.0.0.1:${await freePort()}`,
        livepeerUrl: `https://127.0.0.1:${await freePort()}/healthz`,
        watch: WATCH,
      });
      const f = await afterChecks(url, N + 2);
      expect(f.streaks).to.deep.equal({ livepeer_down: 0 });
      expect(f.details.livepeer_down).to.match(/chain unreadable too .*: not local$/);
      expect(autoscaling.calls).to.deep.equal([]);
      expect(agents[0].out).to.match(/fault livepeer_down not counted: .*not local/);
    });

    it("go-livepeer down while the chain answers: SetInstanceHealth Unhealthy once (per streak of N checks), logged with its reason", async function () {
      const url = await orch({
        livepeerUrl: `https://127.0.0.1:${await freePort()}/healthz`,
        watch: WATCH,
      });
      await expectReportedOnce(url);
      expect(agents[0].out).to.match(
        /instance-local fault: livepeer_down for 3 consecutive checks \(.*unreachable.* while the chain and the redeemer answer\)/,
      );
    });

    it("go-livepeer down while the chain answers but the redeemer does not: not instance-local (go-livepeer cannot start without it)", async function () {
      const url = await orch({
        livepeerUrl: `https://127.0.0.1:${await freePort()}/healthz`,
        redeemer: `127.0.0.1:${await freePort()}`,
        watch: WATCH,
      });
      const f = await afterChecks(url, N + 2);
      expect(f.streaks).to.deep.equal({ livepeer_down: 0 });
      expect(f.details.livepeer_down).to.match(/redeemer unreachable too .*: not local$/);
      expect(autoscaling.calls).to.deep.equal([]);
    });

    it("go-livepeer down while the chain and the redeemer answer: reported", async function () {
      const redeemer = net.createServer((c) => c.destroy());
      await new Promise<void>((r) => redeemer.listen(0, "127.0.0.1", r));
      try {
        const { port } = redeemer.address() as net.AddressInfo;
        const url = await orch({
          livepeerUrl: `https://127.0.0.1:${await freePort()}/healthz`,
          redeemer: `127.0.0.1:${port}`,
          watch: WATCH,
        });
        await expectReportedOnce(url);
      } finally {
        await new Promise<void>((r) => redeemer.close(() => r()));
      }
    });

    it("a refused SetInstanceHealth is logged and tried again at the next check", async function () {
      let n = 0;
      accept = () => (n++ === 0 ? new AwsFault("Throttling", "Rate exceeded") : "");
      const url = await orch({
        livepeerUrl: `https://127.0.0.1:${await freePort()}/healthz`,
        watch: WATCH,
      });
      const f = await afterChecks(url, N + 2);
      // Refused at check N, accepted at check N+1, and again every N checks after that.
      expect(f.reports, JSON.stringify(f)).to.equal(1 + Math.floor((f.checks - N - 1) / N));
      expect(n).to.be.at.least(2);
      expect(f.report_error).to.equal(null);
      expect(agents[0].out).to.match(
        /SetInstanceHealth failed, will retry at the next check: SetInstanceHealth: Throttling: Rate exceeded/,
      );
    });
  });

  describe("transcoder mode: loopback status page and instance health", function () {
    let lp: LivepeerStandIn;
    /** Stands in for the orchestrator's port 8935: accepts and holds connections. */
    let orchestrator: net.Server;
    let orchPort: number;
    const held: net.Socket[] = [];
    let link: net.Socket | undefined;

    before(async function () {
      lp = await new LivepeerStandIn("transcoder").start();
      orchestrator = net.createServer((s) => held.push(s));
      orchPort = await freePort();
      await new Promise<void>((r) => orchestrator.listen(orchPort, "127.0.0.1", r));
    });
    beforeEach(function () {
      lp.status = "ok";
    });
    afterEach(function () {
      link?.destroy();
      link = undefined;
    });
    after(async function () {
      for (const s of held) s.destroy();
      await new Promise((r) => orchestrator?.close(r));
      await lp?.stop();
    });

    /** A transcoder's link: an ESTABLISHED connection from this host to the orchestrator. */
    async function connect(): Promise<void> {
      link = net.connect(orchPort, "127.0.0.1");
      await new Promise<void>((r) => link!.once("connect", () => r()));
    }

    const transcoder = (
      o: { smi?: string; port?: number; status?: string; watch?: string[]; cpu?: boolean } = {},
    ) =>
      agent([
        ...["--mode", "transcoder", "--status-url", o.status ?? lp.statusUrl],
        ...["--orch-addr", `127.0.0.1:${o.port ?? orchPort}`, "--nvidia-smi", o.smi ?? smiOk],
        ...(o.cpu ? [] : ["--gpu"]),
        ...(o.watch ?? IDLE_WATCH),
      ]);

    it("200 when the CLI answers, a GPU is visible and the orchestrator link is up (read from /proc/net/tcp)", async function () {
      await connect();
      const r = await ask(await transcoder());
      expect(r.code, JSON.stringify(r.body)).to.equal(200);
      expect(Object.keys(r.body.checks)).to.have.members(["livepeer", "gpu", "orchestrator"]);
      expect(r.body.checks.orchestrator.detail).to.equal(`connected to 127.0.0.1:${orchPort}`);
      expect(r.body.checks.gpu.detail).to.equal("1 GPU(s)");
    });

    it("a CPU transcoder (no --gpu) neither checks nor reports a GPU", async function () {
      await connect();
      const url = await transcoder({ smi: smiNone, cpu: true, watch: WATCH });
      const r = await ask(url);
      expect(r.code, JSON.stringify(r.body)).to.equal(200);
      expect(Object.keys(r.body.checks)).to.have.members(["livepeer", "orchestrator"]);
      const f = await afterChecks(url, N + 2);
      expect(f.streaks).to.deep.equal({ livepeer_down: 0, orchestrator_link: 0 });
      expect(autoscaling.calls).to.deep.equal([]);
    });

    it("503 orchestrator when no connection to the orchestrator is ESTABLISHED", async function () {
      await expectFailure(
        await transcoder(),
        "orchestrator",
        new RegExp(`^no ESTABLISHED connection to 127\\.0\\.0\\.1:${orchPort}`),
      );
    });

    it("refuses to serve beyond loopback, and --publish", function () {
      const r = spawnSync(
        SYSTEM_PYTHON,
        [path.join(NODE_DIR, "health-agent.py"), "--mode", "transcoder", "--port", "0"].concat([
          ...["--bind", "0.0.0.0", "--status-url", lp.statusUrl, "--publish"],
          ...["--orch-addr", "o-a.lf.internal:8935", ...WATCH],
        ]),
        { encoding: "utf8", timeout: 10000 },
      );
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/serves loopback only/);
      expect(r.stderr).to.match(/publishes nothing/);
    });

    it("GPU gone: SetInstanceHealth Unhealthy once (per streak of N checks)", async function () {
      await connect();
      const url = await transcoder({ smi: smiNone, watch: WATCH });
      const f = await expectReportedOnce(url);
      expect(f.streaks.orchestrator_link).to.equal(0);
      expect(f.streaks.livepeer_down).to.equal(0);
      expect(agents[0].out).to.match(
        /instance-local fault: gpu for 3 consecutive checks \(no GPU visible/,
      );
    });

    it("go-livepeer's CLI not answering: SetInstanceHealth Unhealthy once (per streak of N checks)", async function () {
      await connect();
      const url = await transcoder({
        status: `http://127.0.0.1:${await freePort()}/status`,
        watch: WATCH,
      });
      const f = await expectReportedOnce(url);
      expect(f.streaks.gpu).to.equal(0);
      expect(f.details.livepeer_down).to.match(/unreachable/);
    });

    it("not connected while the orchestrator's port accepts connections: SetInstanceHealth Unhealthy once (per streak of N checks)", async function () {
      const url = await transcoder({ watch: WATCH });
      const f = await expectReportedOnce(url);
      expect(f.details.orchestrator_link).to.match(/while its port accepts connections$/);
      expect(agents[0].out).to.match(
        /instance-local fault: orchestrator_link for 3 consecutive checks/,
      );
    });

    it("in Standby (instance metadata's target lifecycle state): a fault is logged, never reported", async function () {
      // go-livepeer is stopped on purpose there (the lifecycle agent); an Unhealthy mark would
      // have Auto Scaling replace the instance when the operator puts it back in service.
      imds.values[TARGET_STATE] = "Standby";
      try {
        await connect();
        const url = await transcoder({ smi: smiNone, watch: WATCH });
        const f = await afterChecks(url, N + 2);
        expect(f.reports).to.equal(0);
        expect(setInstanceHealth()).to.deep.equal([]);
        expect(agents[0].out).to.match(
          /instance-local fault: gpu for 3 consecutive checks .*not reported: target lifecycle state is Standby/,
        );
      } finally {
        delete imds.values[TARGET_STATE];
      }
    });

    it("not connected because the orchestrator's port is closed: not local, no SetInstanceHealth", async function () {
      const url = await transcoder({ port: await freePort(), watch: WATCH });
      const f = await afterChecks(url, N + 2);
      expect(f.streaks).to.deep.equal({ gpu: 0, livepeer_down: 0, orchestrator_link: 0 });
      expect(f.details.orchestrator_link).to.match(
        /does not accept connections either: not local$/,
      );
      expect(autoscaling.calls).to.deep.equal([]);
    });
  });

  it("answers 404 for anything but /healthz and /state", async function () {
    const url = await agent(["--mode", "chain", "--eth-url", fresh.url, "--max-head-age", "30"]);
    const res = await fetch(url.replace("/healthz", "/metrics"));
    expect(res.status).to.equal(404);
  });
});

// Captured on an x86_64 (little-endian) Linux host from /proc/net/tcp and /proc/net/tcp6 while a
// client held connections to 127.0.0.1:8935 (0x22E7), to [::1]:8935, and over IPv4 to a
// dual-stack listener on port 7935 (0x1EFF); rows for other ports dropped, nothing else edited.
// Rows: listeners (st 0A), ESTABLISHED both ends (01), closed ones in TIME_WAIT (06).
const PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   1: 0100007F:22E7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 46694 1 0000000021b4a755 100 0 0 10 0                     
   2: 0100007F:903E 0100007F:22E7 06 00000000:00000000 03:000016CF 00000000     0        0 0 3 00000000ed4dc49e                                      
   3: 0100007F:9042 0100007F:22E7 01 00000000:00000000 00:00000000 00000000     0        0 46695 2 00000000e0748b8b 20 0 0 10 -1                     
   4: 0100007F:22E7 0100007F:9042 01 00000000:00000000 00:00000000 00000000     0        0 46696 1 00000000b3805978 20 0 0 10 -1                     
`;
const PROC_NET_TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1EFF 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 46700 1 00000000483f8c85 100 0 0 10 0
   1: 00000000000000000000000001000000:22E7 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 46697 1 0000000084af5386 100 0 0 10 0
   2: 00000000000000000000000001000000:831E 00000000000000000000000001000000:22E7 06 00000000:00000000 03:000016CF 00000000     0        0 0 3 000000007aec0525
   3: 00000000000000000000000001000000:832E 00000000000000000000000001000000:22E7 01 00000000:00000000 00:00000000 00000000     0        0 46698 2 000000001dd74675 20 0 0 10 -1
   4: 00000000000000000000000001000000:22E7 00000000000000000000000001000000:832E 01 00000000:00000000 00:00000000 00000000     0        0 46699 1 000000001a77c09b 20 0 0 10 -1
   5: 0000000000000000FFFF00000100007F:1EFF 0000000000000000FFFF00000100007F:BA1E 01 00000000:00000000 00:00000000 00000000     0        0 46702 1 00000000aed60251 20 0 0 10 -1
   6: 0000000000000000FFFF00000100007F:BA1C 0000000000000000FFFF00000100007F:1EFF 06 00000000:00000000 03:000016CF 00000000     0        0 0 3 00000000ebfb40b2
   7: 0000000000000000FFFF00000100007F:BA1E 0000000000000000FFFF00000100007F:1EFF 01 00000000:00000000 00:00000000 00000000     0        0 46701 2 0000000021f0b9f3 20 0 0 10 -1
`;

/**
 * The same table as a big-endian CPU prints it. The kernel prints each 32-bit word of an address
 * with %08X of the value as stored (network byte order) read as a CPU integer: a little-endian
 * CPU shows each word's bytes reversed (127.0.0.1 -> 0100007F), a big-endian one in order
 * (7F000001). Ports go through ntohs first and read the same on both.
 */
function bigEndian(table: string): string {
  const swap = (word: string) => word.match(/../g)!.reverse().join("");
  return table.replace(
    /\b([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4})\b/g,
    (_m, addr: string, port) => `${addr.match(/.{8}/g)!.map(swap).join("")}:${port}`,
  );
}

/** health-agent.py's parser, called once in the interpreter the node uses, for every case. */
function established(cases: [string, "little" | "big"][]): [string, number][][] {
  const r = spawnSync(
    SYSTEM_PYTHON,
    [
      "-c",
      "import importlib.util, json, sys; sys.path.insert(0, sys.argv[1]); " +
        "spec = importlib.util.spec_from_file_location('agent', sys.argv[1] + '/health-agent.py'); " +
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); " +
        "print(json.dumps([sorted(m.established_remotes(t, o)) for t, o in json.load(sys.stdin)]))",
      NODE_DIR,
    ],
    { input: JSON.stringify(cases), encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as [string, number][][];
}

describe("the transcoder's link check reads /proc/net/tcp{,6} (captured real content)", function () {
  let v4: [string, number][];
  let v6: [string, number][];
  let v4big: [string, number][];
  let v6big: [string, number][];
  let v4wrong: [string, number][];

  before(function () {
    requireBoto3(this); // the agent imports awsapi, and so boto3
    [v4, v6, v4big, v6big, v4wrong] = established([
      [PROC_NET_TCP, "little"],
      [PROC_NET_TCP6, "little"],
      [bigEndian(PROC_NET_TCP), "big"],
      [bigEndian(PROC_NET_TCP6), "big"],
      [PROC_NET_TCP, "big"],
    ]);
  });

  it("IPv4: the remote end of each ESTABLISHED socket; listeners and TIME_WAIT left out", function () {
    expect(v4).to.deep.equal([
      ["127.0.0.1", 8935], // the client's socket: what the transcoder's connection looks like
      ["127.0.0.1", 0x9042], // the server's end of the same connection
    ]);
  });

  it("IPv6: ::1 words byte-reversed, IPv4-mapped addresses read as IPv4", function () {
    expect(v6).to.deep.equal([
      ["127.0.0.1", 7935],
      ["127.0.0.1", 0xba1e],
      ["::1", 8935],
      ["::1", 0x832e],
    ]);
  });

  it("a big-endian CPU's rendering of the same tables reads the same with byteorder big", function () {
    expect(bigEndian(PROC_NET_TCP)).to.include("7F000001:9042 7F000001:22E7 01");
    expect(bigEndian(PROC_NET_TCP6)).to.include(
      "00000000000000000000FFFF7F000001:BA1E 00000000000000000000FFFF7F000001:1EFF 01",
    );
    expect(v4big).to.deep.equal(v4);
    expect(v6big).to.deep.equal(v6);
    // Read with the wrong byte order, 127.0.0.1 would be 1.0.0.127: the order matters.
    expect(v4wrong[0][0]).to.equal("1.0.0.127");
  });
});
