// The JSON-RPC failover proxy for real: HAProxy (Debian package) with the config rendered by
// scripts/node/render-rpc-proxy.py from the repository's template, in front of two local EVM
// chains. The primary is the "local chain client" checked through the real health agent in
// chain mode; the backup sits behind a STAND-IN for a hosted provider that only answers on its
// keyed path (so the relay's path rewrite is exercised too).
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { requireTools } from "./helpers/tools";
import {
  Chain,
  NODE_DIR,
  Proc,
  freePort,
  rpc,
  sleep,
  startAgent,
  startChain,
  waitFor,
} from "./helpers/node-runtime";
import { listen, readBody } from "./helpers/net";

const PRIMARY_CHAIN_ID = 1337;
const BACKUP_CHAIN_ID = 31337;
const HOSTED_PATH = "/v2/test-key-not-a-secret";

/** Stand-in for a hosted RPC provider: answers only on its keyed path, forwards to a chain. */
function hostedStandIn(port: number, target: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (req.url !== HOSTED_PATH || req.method !== "POST") {
        res.writeHead(404).end("unknown key");
        return;
      }
      fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body })
        .then(async (r) =>
          res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text()),
        )
        .catch(() => res.writeHead(502).end());
    });
  });
  return new Promise((r) => server.listen(port, "127.0.0.1", () => r(server)));
}

async function chainIdVia(url: string): Promise<number> {
  return Number(await rpc(url, "eth_chainId", [], 3000));
}

describe("RPC failover proxy: HAProxy with the rendered config in front of two local chains", function () {
  let dir: string;
  let primary: Chain | undefined;
  let backup: Chain;
  let hosted: http.Server;
  let haproxy: Proc;
  let agent: Proc;
  let primaryPort: number;
  let proxyUrl: string;

  before(async function () {
    requireTools(this, "haproxy", "python3");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-proxy-"));
    primaryPort = await freePort();
    primary = await startChain(primaryPort, PRIMARY_CHAIN_ID, { blockTime: 1 });
    backup = await startChain(await freePort(), BACKUP_CHAIN_ID, { blockTime: 1 });
    const hostedPort = await freePort();
    hosted = await hostedStandIn(hostedPort, backup.url);
    const a = await startAgent([
      "--mode",
      "chain",
      "--eth-url",
      primary.url,
      "--max-head-age",
      "3",
    ]);
    agent = a.proc;
    const agentPort = new URL(a.url).port;

    const proxyPort = await freePort();
    const relayPort = await freePort();
    fs.writeFileSync(
      path.join(dir, "endpoints.json"),
      JSON.stringify({ backups: [`http://127.0.0.1:${hostedPort}${HOSTED_PATH}`] }),
    );
    execFileSync("python3", [
      path.join(NODE_DIR, "render-rpc-proxy.py"),
      path.join(dir, "endpoints.json"),
      path.join(NODE_DIR, "conf", "rpc-proxy.cfg.tmpl"),
      path.join(dir, "haproxy.cfg"),
      ...["--listen", `127.0.0.1:${proxyPort}`, "--local", `127.0.0.1:${primaryPort}`],
      ...["--local-check-port", agentPort, "--relay-base-port", String(relayPort)],
    ]);
    execFileSync("haproxy", ["-c", "-q", "-f", path.join(dir, "haproxy.cfg")]);
    haproxy = new Proc("haproxy", ["-db", "-f", path.join(dir, "haproxy.cfg")]);
    proxyUrl = `http://127.0.0.1:${proxyPort}`;
    // rise 3 x 1 s before the local server is up; the backup answers meanwhile.
    await waitFor(
      "the proxy to route to the primary",
      async () => (await chainIdVia(proxyUrl)) === PRIMARY_CHAIN_ID,
      20000,
    );
  });

  after(async function () {
    await haproxy?.stop();
    await agent?.stop();
    await primary?.stop();
    await backup?.stop();
    await new Promise((r) => (hosted ? hosted.close(r) : r(null)));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves a bounded request stream with zero failures while the primary stops and restarts", async function () {
    const MAX = 20000; // hard bound on the stream; the phases below end it much earlier
    const CONCURRENCY = 4;
    let sent = 0;
    let failed = 0;
    let done = false;
    const answeredBy = new Map<number, number>();
    const errors: string[] = [];
    const count = (id: number) => answeredBy.get(id) ?? 0;
    const worker = async () => {
      while (!done && sent < MAX) {
        sent++;
        try {
          const id = await chainIdVia(proxyUrl);
          answeredBy.set(id, count(id) + 1);
        } catch (e) {
          failed++;
          if (errors.length < 5) errors.push(String(e));
        }
        await sleep(2);
      }
    };
    const chaos = async () => {
      try {
        await waitFor(
          "traffic on the primary",
          () => Promise.resolve(count(PRIMARY_CHAIN_ID) > 200),
          30000,
          20,
        );
        await primary!.stop(); // the local chain client goes away mid-stream
        primary = undefined;
        const stoppedAt = Date.now();
        // Long enough for HAProxy to mark the local server DOWN (fall 2), not just retry around it.
        await waitFor(
          "a few seconds on the backup",
          () => Promise.resolve(count(BACKUP_CHAIN_ID) > 200 && Date.now() - stoppedAt > 4000),
          30000,
          20,
        );
        primary = await startChain(primaryPort, PRIMARY_CHAIN_ID, { blockTime: 1 });
        const before = count(PRIMARY_CHAIN_ID);
        await waitFor(
          "the primary back in rotation",
          () => Promise.resolve(count(PRIMARY_CHAIN_ID) > before + 200),
          30000,
          20,
        );
      } finally {
        done = true;
      }
    };
    await Promise.all([chaos(), ...Array.from({ length: CONCURRENCY }, worker)]);
    console.log(
      `    failover stream: ${sent} requests, ${failed} failed; answered by primary ${count(PRIMARY_CHAIN_ID)}, backup ${count(BACKUP_CHAIN_ID)}`,
    );
    expect(errors, "first errors").to.deep.equal([]);
    expect(failed).to.equal(0);
    expect(sent).to.be.below(MAX);
  });

  it("takes a primary whose head stops advancing out of rotation, and back when it moves again", async function () {
    expect(await chainIdVia(proxyUrl)).to.equal(PRIMARY_CHAIN_ID);
    await rpc(primary!.url, "miner_stop");
    try {
      // max head age 3 s, then fall 2 x 1 s: bounded at 15 s.
      await waitFor(
        "the stale primary out of rotation",
        async () => (await chainIdVia(proxyUrl)) === BACKUP_CHAIN_ID,
        15000,
      );
    } finally {
      await rpc(primary!.url, "miner_start");
    }
    await waitFor(
      "the primary back in rotation",
      async () => (await chainIdVia(proxyUrl)) === PRIMARY_CHAIN_ID,
      20000,
    );
  });
});

/**
 * Stand-in for a chain client started with `--http.vhosts=localhost,127.0.0.1`: like go-ethereum's
 * virtualHostHandler (node/rpcstack.go), which Nitro's HTTP server uses too, it serves a request
 * whose Host (without port) is an IP address or an allowed name and answers any other host name
 * with 403 "invalid host specified"; allowed requests go to the chain behind it.
 */
function vhostChainStandIn(target: string): Promise<{ server: http.Server; port: number }> {
  const allowed = new Set(["localhost", "127.0.0.1"]);
  return listen((req, res) => {
    void readBody(req).then((body) => {
      const raw = (req.headers.host ?? "").toLowerCase();
      const host = raw.startsWith("[") ? raw.slice(1, raw.indexOf("]")) : raw.split(":")[0];
      const ip = net.isIP(host) !== 0;
      if (raw !== "" && !ip && !allowed.has(host)) {
        res.writeHead(403, { "content-type": "text/plain" }).end("invalid host specified\n");
        return;
      }
      fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body })
        .then(async (r) =>
          res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text()),
        )
        .catch(() => res.writeHead(502).end());
    });
  });
}

/** eth_chainId over plain http.request, with the Host header a node's -ethUrl would send. */
function chainIdWithHost(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/",
        headers: { host, "content-type": "application/json" },
        timeout: 3000,
      },
      (res) => {
        void readBody(res).then((body) => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }));
  });
}

describe("RPC failover proxy in front of a chain client that enforces --http.vhosts (vhost-enforcing stand-in)", function () {
  const NODE_HOST = "chain.prod-us-east-1.livepeer-fleet.internal:8545";
  let dir: string;
  let chain: Chain | undefined;
  let standIn: http.Server | undefined;
  let standInPort: number;
  let agent: Proc | undefined;
  let haproxy: Proc | undefined;
  let proxyPort: number;

  before(async function () {
    requireTools(this, "haproxy", "python3");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-vhost-"));
    chain = await startChain(await freePort(), PRIMARY_CHAIN_ID, { blockTime: 1 });
    ({ server: standIn, port: standInPort } = await vhostChainStandIn(chain.url));
    const a = await startAgent(["--mode", "chain", "--eth-url", chain.url, "--max-head-age", "3"]);
    agent = a.proc;
    proxyPort = await freePort();
    fs.writeFileSync(path.join(dir, "endpoints.json"), JSON.stringify({ backups: [] }));
    execFileSync("python3", [
      path.join(NODE_DIR, "render-rpc-proxy.py"),
      path.join(dir, "endpoints.json"),
      path.join(NODE_DIR, "conf", "rpc-proxy.cfg.tmpl"),
      path.join(dir, "haproxy.cfg"),
      ...["--listen", `127.0.0.1:${proxyPort}`, "--local", `127.0.0.1:${standInPort}`],
      ...["--local-check-port", new URL(a.url).port],
    ]);
    haproxy = new Proc("haproxy", ["-db", "-f", path.join(dir, "haproxy.cfg")]);
    // rise 3 x 1 s before the local server is up: until then the proxy has no server at all.
    await waitFor(
      "the proxy to route to the local client",
      async () => {
        const r = await chainIdWithHost(proxyPort, "127.0.0.1").catch(() => undefined);
        return r?.status === 200;
      },
      20000,
    );
  });

  after(async function () {
    await haproxy?.stop();
    await agent?.stop();
    await chain?.stop();
    await new Promise((r) => (standIn ? standIn.close(r) : r(null)));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the stand-in refuses a node's host name like the client does", async () => {
    const direct = await chainIdWithHost(standInPort, NODE_HOST);
    expect(direct.status).to.equal(403);
    expect(direct.body).to.include("invalid host specified");
    expect((await chainIdWithHost(standInPort, `localhost:${standInPort}`)).status).to.equal(200);
  });

  it("serves a node that calls chain.<zone>:<port>: the proxy sends Host: localhost to the client", async () => {
    const viaProxy = await chainIdWithHost(proxyPort, NODE_HOST);
    expect(viaProxy.status, viaProxy.body).to.equal(200);
    const { result } = JSON.parse(viaProxy.body) as { result: string };
    expect(Number(result)).to.equal(PRIMARY_CHAIN_ID);
  });
});
