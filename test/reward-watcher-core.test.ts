// The watcher's pure parts: the Reward-log scan over L1/L2 numbering, the judgement, the metrics,
// the Lambda environment and URL redaction.
import { expect } from "chai";
import fc from "fast-check";
import { parseEther } from "ethers";
import { RewardLogSource, rewardEventSince } from "../lib/watcher/reward-logs";
import { Thresholds, assess, ethToWei, exitCodeFor, metricData } from "../lib/watcher/assess";
import type { ChainState } from "../lib/watcher/read";
import { parseWatcherEnv, watcherEnvironment } from "../lib/watcher/env";
import { redactUrl } from "../lib/watcher/run";
import { WATCHER_METRICS } from "../lib/runtime-contract";

/**
 * In-memory double of an Arbitrum-like chain: `l2PerL1` L2 blocks per L1 block, Reward logs at the
 * given L2 blocks. Records every request so tests can bound the scan's cost.
 */
function arbitrumLikeDouble(l2PerL1: number, rewardAt: number[]) {
  const requests: [number, number][] = [];
  const src: RewardLogSource = {
    l1BlockOf: (b) => Promise.resolve(Math.floor(b / l2PerL1)),
    rewardLogBlocks: (_a, _t, from, to) => {
      requests.push([from, to]);
      return Promise.resolve(rewardAt.filter((b) => b >= from && b <= to));
    },
  };
  return { src, requests };
}

const scan = (head: number, roundStartL1: number, chunk: number) => ({
  address: "0xBM",
  transcoder: "0xO",
  roundStartL1,
  head,
  chunk,
});

describe("reward log scan (in-memory Arbitrum-like chain double)", () => {
  it("finds a Reward event emitted after the round's first L1 block", async () => {
    const { src } = arbitrumLikeDouble(40, [40 * 1000 + 5]);
    expect(await rewardEventSince(src, scan(40 * 1100, 1000, 1000))).to.equal(true);
  });

  it("ignores an event from the previous round and stops walking back past the round start", async () => {
    const { src, requests } = arbitrumLikeDouble(40, [40 * 999 + 39]);
    expect(await rewardEventSince(src, scan(40 * 1100, 1000, 1000))).to.equal(false);
    // The round began at L2 block 40,000: the walk stops at the chunk that reaches before it.
    expect(Math.min(...requests.map(([from]) => from))).to.be.greaterThan(40 * 1000 - 1000);
  });

  it("is bounded by maxChunks whatever the chain answers", async () => {
    const { src, requests } = arbitrumLikeDouble(1, []);
    const r = await rewardEventSince(src, { ...scan(1_000_000, 0, 10), maxChunks: 5 });
    expect(r).to.equal(false);
    expect(requests).to.have.length(5);
  });

  it("agrees with a direct search for any log placement (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 5 }),
        fc.integer({ min: 0, max: 200 }),
        // >= 100: 64 chunks then cover the whole 5,000-block chain (the scan's bound).
        fc.integer({ min: 100, max: 700 }),
        async (logs, startL1, chunk) => {
          const { src } = arbitrumLikeDouble(25, logs);
          const expected = logs.some((b) => Math.floor(b / 25) >= startL1);
          expect(await rewardEventSince(src, scan(5000, startL1, chunk))).to.equal(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

const T: Thresholds = {
  rewardNotCalledRoundFraction: 0.25,
  roundNotInitializedBlocks: 300,
  minGasBalanceEth: 0.05,
};

function state(over: Partial<ChainState> = {}): ChainState {
  return {
    chainId: 42161,
    block: 1,
    bondingManager: "0xB",
    roundsManager: "0xR",
    currentRound: 100,
    roundInitialized: true,
    roundStartBlock: 1000,
    l1Block: 1000 + 2880,
    roundLength: 5760,
    lastRewardRound: 99,
    active: true,
    rewardEventSeen: false,
    balances: [{ address: "0xO", wei: parseEther("1") }],
    ...over,
  };
}

describe("reward judgement", () => {
  it("counts reward missed only for an active orchestrator in an initialized round past the fraction", () => {
    expect(assess(state(), T).rewardMissed).to.equal(true);
    expect(assess(state({ l1Block: 1000 + 1000 }), T).rewardMissed).to.equal(false);
    expect(assess(state({ active: false }), T).rewardMissed).to.equal(false);
    expect(assess(state({ roundInitialized: false }), T).rewardMissed).to.equal(false);
    expect(assess(state({ lastRewardRound: 100 }), T).rewardMissed).to.equal(false);
    expect(assess(state({ rewardEventSeen: true }), T).rewardMissed).to.equal(false);
  });

  it("exits 1 for each alert condition and 0 when none holds", () => {
    expect(exitCodeFor(assess(state({ lastRewardRound: 100 }), T))).to.equal(0);
    expect(exitCodeFor(assess(state(), T))).to.equal(1);
    const low = assess(state({ lastRewardRound: 100, balances: [{ address: "a", wei: 1n }] }), T);
    expect(low.alerts).to.deep.equal(["gas-balance-low"]);
    const uninit = assess(state({ roundInitialized: false, l1Block: 1300 }), T);
    expect(uninit.alerts).to.deep.equal(["round-not-initialized"]);
    expect(assess(state({ roundInitialized: false, l1Block: 1299 }), T).alerts).to.deep.equal([]);
  });

  it("converts the ETH threshold to wei exactly", () => {
    expect(ethToWei(0.05)).to.equal(50_000_000_000_000_000n);
    expect(ethToWei(2)).to.equal(2_000_000_000_000_000_000n);
    expect(ethToWei(1e-7)).to.equal(100_000_000_000n);
  });

  it("publishes the pending fraction only while reward is due, so one alarm threshold fits", () => {
    const byName = (r: ReturnType<typeof assess>) =>
      Object.fromEntries(metricData(r, "prod-us-east-1").map((d) => [d.MetricName, d.Value]));
    const due = byName(assess(state(), T));
    expect(due[WATCHER_METRICS.rewardPendingFraction]).to.equal(0.5);
    expect(due[WATCHER_METRICS.heartbeat]).to.equal(1);
    expect(due[WATCHER_METRICS.gasBalanceEth]).to.equal(1);
    const called = byName(assess(state({ lastRewardRound: 100 }), T));
    expect(called[WATCHER_METRICS.rewardPendingFraction]).to.equal(0);
    const uninit = byName(assess(state({ roundInitialized: false, l1Block: 1400 }), T));
    expect(uninit[WATCHER_METRICS.uninitializedBlocks]).to.equal(400);
    expect(uninit[WATCHER_METRICS.rewardPendingFraction]).to.equal(0);
    for (const d of metricData(assess(state(), T), "u")) {
      expect(d.Dimensions).to.deep.equal([{ Name: "Unit", Value: "u" }]);
      expect(Object.values(WATCHER_METRICS)).to.include(d.MetricName);
    }
  });
});

describe("watcher Lambda environment and URL redaction", () => {
  it("round-trips the configuration through the environment", () => {
    const c = {
      rpcUrlParameter: "/livepeer-fleet/prod-us-east-1/watcher/rpc-url",
      controller: "0xD8E8328501E9645d16Cf49539efC04f734606ee4",
      orchestrator: "0x11D12AfEF50b1FeE02146020533857d35936035D",
      gasAccounts: ["0x11D12AfEF50b1FeE02146020533857d35936035D"],
      chainId: 42161,
      logChunkBlocks: 50000,
      unit: "prod-us-east-1",
      namespace: "LivepeerFleet/Watcher",
      thresholds: T,
    };
    expect(parseWatcherEnv(watcherEnvironment(c))).to.deep.equal(c);
    expect(() => parseWatcherEnv({})).to.throw(/RPC_URL_PARAMETER/);
  });

  it("never prints the API key part of an RPC URL", () => {
    const url = "https://arb-mainnet.example.com/v2/SECRETKEY123?token=QUERYSECRET";
    const msg = redactUrl(`request to ${url} failed; path /v2/SECRETKEY123`, url);
    expect(msg).not.to.include("SECRETKEY123").and.not.include("QUERYSECRET");
    expect(msg).to.include("<rpc-url>");
  });
});
