// The Lambda's environment: written by components/reward-watcher.ts, read by the handler. One
// place for the names so the two cannot drift apart.
import { getAddress } from "ethers";
import type { Thresholds } from "./assess";

export const WATCHER_ENV = {
  rpcUrlParameter: "RPC_URL_PARAMETER",
  controller: "CONTROLLER_ADDRESS",
  orchestrator: "ORCHESTRATOR_ADDRESS",
  /** Comma-separated. */
  gasAccounts: "GAS_ACCOUNTS",
  chainId: "CHAIN_ID",
  logChunkBlocks: "LOG_CHUNK_BLOCKS",
  unit: "UNIT",
  namespace: "METRIC_NAMESPACE",
  rewardFraction: "REWARD_NOT_CALLED_ROUND_FRACTION",
  initBlocks: "ROUND_NOT_INITIALIZED_BLOCKS",
  minBalanceEth: "MIN_GAS_BALANCE_ETH",
} as const;

export interface WatcherConfig {
  rpcUrlParameter: string;
  controller: string;
  orchestrator: string;
  gasAccounts: string[];
  chainId: number;
  logChunkBlocks: number;
  unit: string;
  namespace: string;
  thresholds: Thresholds;
}

export function watcherEnvironment(c: WatcherConfig): Record<string, string> {
  return {
    [WATCHER_ENV.rpcUrlParameter]: c.rpcUrlParameter,
    [WATCHER_ENV.controller]: c.controller,
    [WATCHER_ENV.orchestrator]: c.orchestrator,
    [WATCHER_ENV.gasAccounts]: c.gasAccounts.join(","),
    [WATCHER_ENV.chainId]: String(c.chainId),
    [WATCHER_ENV.logChunkBlocks]: String(c.logChunkBlocks),
    [WATCHER_ENV.unit]: c.unit,
    [WATCHER_ENV.namespace]: c.namespace,
    [WATCHER_ENV.rewardFraction]: String(c.thresholds.rewardNotCalledRoundFraction),
    [WATCHER_ENV.initBlocks]: String(c.thresholds.roundNotInitializedBlocks),
    [WATCHER_ENV.minBalanceEth]: String(c.thresholds.minGasBalanceEth),
  };
}

/** Parses the environment; a missing or malformed variable is a deployment bug: throw loudly. */
export function parseWatcherEnv(env: Record<string, string | undefined>): WatcherConfig {
  const get = (k: string): string => {
    const v = env[k];
    if (v === undefined || v === "") throw new Error(`environment variable ${k} is not set`);
    return v;
  };
  const num = (k: string): number => {
    const n = Number(get(k));
    if (!Number.isFinite(n)) throw new Error(`environment variable ${k} is not a number`);
    return n;
  };
  return {
    rpcUrlParameter: get(WATCHER_ENV.rpcUrlParameter),
    controller: getAddress(get(WATCHER_ENV.controller)),
    orchestrator: getAddress(get(WATCHER_ENV.orchestrator)),
    gasAccounts: get(WATCHER_ENV.gasAccounts)
      .split(",")
      .map((a) => getAddress(a.trim())),
    chainId: num(WATCHER_ENV.chainId),
    logChunkBlocks: num(WATCHER_ENV.logChunkBlocks),
    unit: get(WATCHER_ENV.unit),
    namespace: get(WATCHER_ENV.namespace),
    thresholds: {
      rewardNotCalledRoundFraction: num(WATCHER_ENV.rewardFraction),
      roundNotInitializedBlocks: num(WATCHER_ENV.initBlocks),
      minGasBalanceEth: num(WATCHER_ENV.minBalanceEth),
    },
  };
}
