// Helpers for the suites that run the node runtime for real: free loopback ports chosen at run
// time, a local EVM chain (ganache), bounded JSON-RPC calls and child processes that are always
// stopped. Nothing here binds a fixed port or leaves a process behind.
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { freePort } from "./net";

export { freePort };

export const NODE_DIR = path.resolve(__dirname, "..", "..", "scripts", "node");

export interface Chain {
  port: number;
  url: string;
  stop(): Promise<void>;
}

interface GanacheServer {
  listen(port: number, host: string): Promise<void>;
  close(): Promise<void>;
}

/** A local EVM chain mining a block every `blockTime` s (0: only on demand). */
export async function startChain(
  port: number,
  chainId: number,
  opts: { blockTime?: number; genesisTime?: Date } = {},
): Promise<Chain> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ganache = require("ganache") as {
    server(o: Record<string, unknown>): GanacheServer;
  };
  const server = ganache.server({
    chain: { chainId, ...(opts.genesisTime ? { time: opts.genesisTime } : {}) },
    miner: { blockTime: opts.blockTime ?? 1 },
    logging: { quiet: true },
    wallet: { totalAccounts: 1 },
  });
  await server.listen(port, "127.0.0.1");
  return { port, url: `http://127.0.0.1:${port}`, stop: () => server.close() };
}

/** One JSON-RPC call with a hard time limit; throws on transport, HTTP or JSON-RPC errors. */
export async function rpc(
  url: string,
  method: string,
  params: unknown[] = [],
  timeoutMs = 5000,
): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  const body = (await res.json()) as { result?: unknown; error?: unknown };
  if (body.error !== undefined) throw new Error(`JSON-RPC error ${JSON.stringify(body.error)}`);
  return body.result;
}

/** Polls `probe` every `everyMs` until it returns true, for at most `maxMs`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  maxMs: number,
  everyMs = 200,
): Promise<void> {
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    if (await probe().catch(() => false)) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${maxMs} ms waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child process whose output is kept; stop() kills it (SIGTERM, then SIGKILL). */
export class Proc {
  out = "";
  readonly child: ChildProcess;
  constructor(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout?.on("data", (d: Buffer) => (this.out += d.toString()));
    this.child.stderr?.on("data", (d: Buffer) => (this.out += d.toString()));
  }
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }
  async stop(): Promise<void> {
    if (this.exited) return;
    const done = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await done;
    clearTimeout(timer);
  }
}

/** Starts the health agent on a free port and waits until it listens. */
export async function startAgent(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ proc: Proc; url: string }> {
  const proc = new Proc(
    // Debian's interpreter, as the unit runs it: python3-boto3 is installed for it only.
    "/usr/bin/python3",
    [path.join(NODE_DIR, "health-agent.py"), ...args, "--port", "0"],
    // It imports awsapi.py: no __pycache__ left in the repository's scripts/node.
    { ...env, PYTHONDONTWRITEBYTECODE: "1" },
  );
  let port = 0;
  await waitFor(
    "the health agent to listen",
    () => {
      const m = /on 127\.0\.0\.1:(\d+)/.exec(proc.out);
      if (m) port = Number(m[1]);
      return Promise.resolve(port > 0 || proc.exited);
    },
    10000,
    50,
  );
  if (!port) throw new Error(`health agent did not start:\n${proc.out}`);
  return { proc, url: `http://127.0.0.1:${port}/healthz` };
}
