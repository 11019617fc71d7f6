// One watcher pass: connect, read, judge, disconnect. Shared by the CLI and the Lambda handler.
import { FetchRequest, JsonRpcProvider, Network } from "ethers";
import { RewardReport, Thresholds, assess } from "./assess";
import { ChainReadError, readChainState } from "./read";

export interface WatchOptions {
  rpcUrl: string;
  controller: string;
  orchestrator: string;
  gasAccounts: string[];
  chainId: number;
  logChunkBlocks: number;
  thresholds: Thresholds;
  /** Per-request timeout. Default 15 s: a hung RPC must fail the run, not stall it. */
  timeoutMs?: number;
}

/** The URL may carry an API key: it never appears in a message the watcher prints or logs. */
export function redactUrl(message: string, url: string): string {
  let out = message.split(url).join("<rpc-url>");
  try {
    const u = new URL(url);
    // Keys live in the path or query (Alchemy, Infura, QuickNode); the host stays for diagnosis.
    for (const part of [u.pathname.length > 1 ? u.pathname : "", u.search, u.password]) {
      if (part) out = out.split(part).join("<redacted>");
    }
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}

export function connect(rpcUrl: string, chainId: number, timeoutMs: number): JsonRpcProvider {
  if (!/^https?:\/\//i.test(rpcUrl)) {
    throw new ChainReadError("rpc-unreachable", "expected an http(s):// JSON-RPC URL");
  }
  const req = new FetchRequest(rpcUrl);
  req.timeout = timeoutMs;
  // A static network: ethers otherwise retries network detection forever against a dead RPC.
  // The chain id is checked explicitly (eth_chainId) before any other read.
  const network = Network.from(chainId);
  return new JsonRpcProvider(req, network, { staticNetwork: network, batchMaxCount: 1 });
}

export async function watchOnce(o: WatchOptions): Promise<RewardReport> {
  let provider: JsonRpcProvider | undefined;
  try {
    provider = connect(o.rpcUrl, o.chainId, o.timeoutMs ?? 15_000);
    const state = await readChainState(provider, {
      controller: o.controller,
      orchestrator: o.orchestrator,
      gasAccounts: o.gasAccounts,
      expectedChainId: o.chainId,
      logChunkBlocks: o.logChunkBlocks,
    });
    return assess(state, o.thresholds);
  } catch (err) {
    if (err instanceof ChainReadError) {
      throw new ChainReadError(err.kind, redactUrl(err.message, o.rpcUrl));
    }
    throw err;
  } finally {
    provider?.destroy();
  }
}
