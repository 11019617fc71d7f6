// The health agent (scripts/node/health-agent.py) for real: against a local EVM chain (ganache)
// and a minimal local STAND-IN for go-livepeer's /healthz (HTTPS, self-signed) and CLI /status.
// Each failure mode must give 503 naming the failed check, within the agent's 2 s bound.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { requireTools } from "./helpers/tools";
import { Chain, Proc, freePort, startAgent, startChain } from "./helpers/node-runtime";

type Behaviour = "ok" | "slow" | "error";

/** Stand-in for go-livepeer: /healthz on TLS like the orchestrator port, /status like the CLI. */
class LivepeerStandIn {
  healthz: Behaviour = "ok";
  status: Behaviour = "ok";
  private servers: (http.Server | https.Server)[] = [];
  constructor(
    readonly tlsPort: number,
    readonly cliPort: number,
  ) {}

  async start(cert: { key: Buffer; cert: Buffer }): Promise<void> {
    const answer =
      (which: "healthz" | "status") => (_req: http.IncomingMessage, res: http.ServerResponse) => {
        const b = this[which];
        const send = () => {
          if (b === "error") res.writeHead(500).end("boom");
          else if (which === "status")
            res.writeHead(200, { "content-type": "application/json" }).end('{"Version":"0.9.1"}');
          else res.writeHead(200).end();
        };
        if (b === "slow") setTimeout(send, 5000).unref();
        else send();
      };
    const tls = https.createServer(cert, answer("healthz"));
    const cli = http.createServer(answer("status"));
    for (const [s, p] of [
      [tls, this.tlsPort],
      [cli, this.cliPort],
    ] as const) {
      await new Promise<void>((r) => s.listen(p, "127.0.0.1", r));
      this.servers.push(s);
    }
  }

  async stop(): Promise<void> {
    for (const s of this.servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    this.servers = [];
  }
}

interface Reply {
  code: number;
  body: { status: string; failed: string[]; checks: Record<string, { detail: string }> };
  ms: number;
}

async function ask(url: string): Promise<Reply> {
  const t0 = Date.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(10000) });
  const body = (await res.json()) as Reply["body"];
  return { code: res.status, body, ms: Date.now() - t0 };
}

export const agentTimings: number[] = [];

describe("health agent against a local chain and a go-livepeer stand-in", function () {
  let dir: string;
  let fresh: Chain;
  let stale: Chain;
  let standIn: LivepeerStandIn;
  const agents: Proc[] = [];

  before(async function () {
    requireTools(this, "python3", "openssl");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-agent-"));
    execFileSync(
      "openssl",
      [
        ...[
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
        ],
        ...["-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")],
      ],
      { stdio: "ignore" },
    );
    fresh = await startChain(await freePort(), 1337, { blockTime: 1 });
    // Genesis an hour ago and no mining: the head is an hour old.
    stale = await startChain(await freePort(), 1338, {
      blockTime: 0,
      genesisTime: new Date(Date.now() - 3600_000),
    });
    standIn = new LivepeerStandIn(await freePort(), await freePort());
    await standIn.start({
      key: fs.readFileSync(path.join(dir, "key.pem")),
      cert: fs.readFileSync(path.join(dir, "cert.pem")),
    });
  });

  after(async function () {
    for (const a of agents) await a.stop();
    await standIn?.stop();
    await fresh?.stop();
    await stale?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (agentTimings.length > 0) {
      console.log(`    agent worst response time under faults: ${Math.max(...agentTimings)} ms`);
    }
  });

  async function nodeAgent(ethUrl: string, extra: string[] = []): Promise<string> {
    const { proc, url } = await startAgent([
      ...["--mode", "node", "--eth-url", ethUrl, "--max-head-age", "30"],
      ...["--livepeer-url", `https://127.0.0.1:${standIn.tlsPort}/healthz`],
      ...["--status-url", `http://127.0.0.1:${standIn.cliPort}/status`],
      ...extra,
    ]);
    agents.push(proc);
    return url;
  }

  async function expectFailure(url: string, check: string, detail: RegExp): Promise<void> {
    const r = await ask(url);
    agentTimings.push(r.ms);
    expect(r.code, JSON.stringify(r.body)).to.equal(503);
    expect(r.body.status).to.equal("fail");
    expect(r.body.failed).to.deep.equal([check]);
    expect(r.body.checks[check].detail).to.match(detail);
    expect(r.ms, "answers within 2 s").to.be.below(2000);
  }

  it("answers 200 when go-livepeer answers and the chain head is fresh", async function () {
    const r = await ask(await nodeAgent(fresh.url));
    expect(r.code, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.failed).to.deep.equal([]);
    expect(Object.keys(r.body.checks)).to.have.members(["livepeer", "status", "chain_head"]);
  });

  it("503 livepeer when go-livepeer's /healthz errors", async function () {
    const url = await nodeAgent(fresh.url);
    standIn.healthz = "error";
    try {
      await expectFailure(url, "livepeer", /HTTP 500/);
    } finally {
      standIn.healthz = "ok";
    }
  });

  it("503 livepeer (timed out) when go-livepeer is slow, still within 2 s", async function () {
    const url = await nodeAgent(fresh.url);
    standIn.healthz = "slow";
    try {
      await expectFailure(url, "livepeer", /timed out|timeout/i);
    } finally {
      standIn.healthz = "ok";
    }
  });

  it("503 status when the CLI /status does not answer properly", async function () {
    const url = await nodeAgent(fresh.url);
    standIn.status = "error";
    try {
      await expectFailure(url, "status", /HTTP 500/);
    } finally {
      standIn.status = "ok";
    }
  });

  it("503 livepeer and status when go-livepeer is down (nothing listening)", async function () {
    const { proc, url } = await startAgent([
      ...["--mode", "node", "--eth-url", fresh.url],
      ...["--livepeer-url", `https://127.0.0.1:${await freePort()}/healthz`],
      ...["--status-url", `http://127.0.0.1:${await freePort()}/status`],
    ]);
    agents.push(proc);
    const r = await ask(url);
    agentTimings.push(r.ms);
    expect(r.code).to.equal(503);
    expect(r.body.failed).to.deep.equal(["livepeer", "status"]);
    expect(r.body.checks.livepeer.detail).to.match(/unreachable/);
  });

  it("503 chain_head when the chain is unreachable", async function () {
    const url = await nodeAgent(`http://127.0.0.1:${await freePort()}`);
    await expectFailure(url, "chain_head", /unreachable/);
  });

  it("503 chain_head when the chain head is stale", async function () {
    const url = await nodeAgent(stale.url);
    await expectFailure(url, "chain_head", /old \(max 30s\)/);
  });

  for (const [what, script, code] of [
    ["an nvidia-smi stand-in listing a GPU", 'echo "GPU 0: Tesla T4 (UUID: GPU-test)"', 200],
    ["an nvidia-smi stand-in finding no devices", 'echo "No devices were found"; exit 6', 503],
  ] as const) {
    it(`GPU node: ${code} with ${what}`, async function () {
      const smi = path.join(dir, `nvidia-smi-${code}`);
      fs.writeFileSync(smi, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
      const { proc, url } = await startAgent([
        ...["--mode", "node", "--eth-url", fresh.url, "--gpu", "--nvidia-smi", smi],
        ...["--livepeer-url", `https://127.0.0.1:${standIn.tlsPort}/healthz`],
        ...["--status-url", `http://127.0.0.1:${standIn.cliPort}/status`],
      ]);
      agents.push(proc);
      const r = await ask(url);
      agentTimings.push(r.ms);
      expect(r.code, JSON.stringify(r.body)).to.equal(code);
      expect(r.body.failed).to.deep.equal(code === 200 ? [] : ["gpu"]);
    });
  }

  it("chain mode: 200 for a synced, fresh local client, 503 for a stale one", async function () {
    const good = await startAgent(["--mode", "chain", "--eth-url", fresh.url]);
    const bad = await startAgent(["--mode", "chain", "--eth-url", stale.url]);
    agents.push(good.proc, bad.proc);
    const ok = await ask(good.url);
    expect(ok.code, JSON.stringify(ok.body)).to.equal(200);
    expect(Object.keys(ok.body.checks)).to.have.members(["chain_synced", "chain_head"]);
    await expectFailure(bad.url, "chain_head", /old/);
  });

  it("answers 404 for anything but /healthz", async function () {
    const url = await nodeAgent(fresh.url);
    const res = await fetch(url.replace("/healthz", "/metrics"));
    expect(res.status).to.equal(404);
  });
});
