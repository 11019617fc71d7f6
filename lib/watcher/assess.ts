// Judges a chain reading: the report the CLI prints and the Lambda logs, its alert conditions and
// the CloudWatch metrics it publishes. Pure: no I/O, so every rule is tested directly.
import { formatEther, parseEther } from "ethers";
import { UNIT_DIMENSION, WATCHER_METRICS } from "../runtime-contract";
import type { ChainState } from "./read";

export interface Thresholds {
  /** Alert when reward is still due this far into the round (0..1). */
  rewardNotCalledRoundFraction: number;
  /** Alert when the round is still uninitialized this many L1 blocks in. */
  roundNotInitializedBlocks: number;
  /** Alert when any gas-paying account holds less than this (ETH). */
  minGasBalanceEth: number;
}

export type Alert =
  "reward-missed" | "round-not-initialized" | "gas-balance-low" | "orchestrator-inactive";

/** The CLI's JSON: the fields first, then what explains them. */
export interface RewardReport {
  currentRound: number;
  roundInitialized: boolean;
  roundLength: number;
  /** L1 blocks since the current round started. */
  blocksIntoRound: number;
  lastRewardRound: number;
  active: boolean;
  rewardMissed: boolean;
  /** Lowest balance among the gas-paying accounts, in wei (a decimal string: exceeds 2^53). */
  ethBalanceWei: string;
  rewardCalled: boolean;
  rewardEventSeen: boolean;
  roundProgress: number;
  gasAccounts: { address: string; ethBalanceWei: string }[];
  alerts: Alert[];
}

/** Wei for an ETH amount given as a JS number (0.05 -> 50000000000000000n). */
export function ethToWei(eth: number): bigint {
  // String(0.05) is "0.05" (shortest round-trip form); toFixed only for exponent forms like 1e-7,
  // because toFixed(18) exposes binary noise (0.05 -> 0.050000000000000003).
  const s = String(eth);
  return parseEther(/e/i.test(s) ? eth.toFixed(18) : s);
}

export function assess(s: ChainState, t: Thresholds): RewardReport {
  const blocksIntoRound = Math.max(0, s.l1Block - s.roundStartBlock);
  const roundProgress = Math.min(1, blocksIntoRound / s.roundLength);
  // Either signal is proof: state says this round, or a Reward event for us landed in it.
  const rewardCalled = s.lastRewardRound >= s.currentRound || s.rewardEventSeen;
  const rewardMissed =
    s.active &&
    s.roundInitialized &&
    !rewardCalled &&
    roundProgress >= t.rewardNotCalledRoundFraction;
  const lowest = s.balances.reduce<bigint | undefined>(
    (min, b) => (min === undefined || b.wei < min ? b.wei : min),
    undefined,
  );
  const alerts: Alert[] = [];
  if (rewardMissed) alerts.push("reward-missed");
  if (!s.roundInitialized && blocksIntoRound >= t.roundNotInitializedBlocks) {
    alerts.push("round-not-initialized");
  }
  if (lowest !== undefined && lowest < ethToWei(t.minGasBalanceEth)) alerts.push("gas-balance-low");
  // Out of the active set nothing earns and reward cannot be called: it needs a human.
  if (!s.active) alerts.push("orchestrator-inactive");
  return {
    currentRound: s.currentRound,
    roundInitialized: s.roundInitialized,
    roundLength: s.roundLength,
    blocksIntoRound,
    lastRewardRound: s.lastRewardRound,
    active: s.active,
    rewardMissed,
    ethBalanceWei: (lowest ?? 0n).toString(),
    rewardCalled,
    rewardEventSeen: s.rewardEventSeen,
    roundProgress,
    gasAccounts: s.balances.map((b) => ({ address: b.address, ethBalanceWei: b.wei.toString() })),
    alerts,
  };
}

/** 0 when all is well, 1 when an alert condition holds (2 is for read failures, elsewhere). */
export function exitCodeFor(r: RewardReport): 0 | 1 {
  return r.alerts.length === 0 ? 0 : 1;
}

/** Structurally a CloudWatch MetricDatum, without importing the SDK into the pure core. */
export interface Datum {
  MetricName: string;
  Value: number;
  Unit: "None" | "Count";
  Dimensions: { Name: string; Value: string }[];
}

export function metricData(r: RewardReport, unit: string): Datum[] {
  const d = (MetricName: string, Value: number, u: Datum["Unit"] = "None"): Datum => ({
    MetricName,
    Value,
    Unit: u,
    Dimensions: [{ Name: UNIT_DIMENSION, Value: unit }],
  });
  const flag = (b: boolean) => (b ? 1 : 0);
  const pending = r.active && r.roundInitialized && !r.rewardCalled;
  return [
    d(WATCHER_METRICS.heartbeat, 1, "Count"),
    d(WATCHER_METRICS.chainReadFailed, 0, "Count"),
    d(WATCHER_METRICS.currentRound, r.currentRound),
    d(WATCHER_METRICS.lastRewardRound, r.lastRewardRound),
    d(WATCHER_METRICS.roundProgress, r.roundProgress),
    d(WATCHER_METRICS.rewardCalled, flag(r.rewardCalled)),
    d(WATCHER_METRICS.rewardPendingFraction, pending ? r.roundProgress : 0),
    d(WATCHER_METRICS.uninitializedBlocks, r.roundInitialized ? 0 : r.blocksIntoRound),
    d(WATCHER_METRICS.orchestratorActive, flag(r.active)),
    d(WATCHER_METRICS.gasBalanceEth, Number(formatEther(BigInt(r.ethBalanceWei)))),
    d(WATCHER_METRICS.rewardMissed, flag(r.rewardMissed)),
  ];
}

/** What a run that could not read the chain publishes: the cause, and no heartbeat. */
export function readFailureData(unit: string): Datum[] {
  return [
    {
      MetricName: WATCHER_METRICS.chainReadFailed,
      Value: 1,
      Unit: "Count",
      Dimensions: [{ Name: UNIT_DIMENSION, Value: unit }],
    },
  ];
}
