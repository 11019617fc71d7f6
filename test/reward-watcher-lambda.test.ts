// The Lambda as deployed: the esbuild bundle from lib/watcher/bundle.ts, loaded from a file and
// run against Livepeer contract doubles on a local ganache chain. The AWS clients are injected
// recording doubles (no AWS): SSM answers the RPC URL, CloudWatch records PutMetricData.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { bundleWatcher } from "../lib/watcher/bundle";
import { watcherEnvironment } from "../lib/watcher/env";
import { WATCHER_METRICS } from "../lib/runtime-contract";
import { LocalChain, send, startChain } from "./helpers/livepeer-chain";

interface Command {
  input: Record<string, unknown>;
  constructor: { name: string };
}

interface BundledModule {
  handler: unknown;
  makeHandler(deps: {
    ssm: { send(c: Command): Promise<unknown> };
    cloudwatch: { send(c: Command): Promise<unknown> };
    env: Record<string, string>;
    log?: (line: string) => void;
  }): () => Promise<Record<string, unknown>>;
}

describe("reward watcher Lambda bundle (esbuild output, recording SSM/CloudWatch doubles, local ganache chain)", function () {
  this.timeout(120_000);
  let chain: LocalChain;
  let mod: BundledModule;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-bundle-"));
    const file = path.join(dir, "index.js");
    fs.writeFileSync(file, bundleWatcher().code);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file) as BundledModule;
    chain = await startChain();
  });
  after(async () => {
    await chain?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const env = async (rpcParam = "/livepeer-fleet/test/watcher/rpc-url") =>
    watcherEnvironment({
      rpcUrlParameter: rpcParam,
      controller: await chain.controller.getAddress(),
      orchestrator: chain.accounts[1],
      gasAccounts: [chain.accounts[1]],
      chainId: 42161,
      logChunkBlocks: 1000,
      unit: "test-unit",
      namespace: "LivepeerFleet/Watcher",
      thresholds: {
        rewardNotCalledRoundFraction: 0.25,
        roundNotInitializedBlocks: 300,
        minGasBalanceEth: 0.05,
      },
    });

  /** Recording doubles of the two AWS clients. */
  function doubles(url: string) {
    const ssmCalls: Command[] = [];
    const metricCalls: Command[] = [];
    return {
      ssmCalls,
      metricCalls,
      ssm: {
        send: (c: Command) => {
          ssmCalls.push(c);
          return Promise.resolve({ Parameter: { Value: url } });
        },
      },
      cloudwatch: {
        send: (c: Command) => {
          metricCalls.push(c);
          return Promise.resolve({});
        },
      },
    };
  }

  it("exports the Lambda entry point", () => {
    expect(typeof mod.handler).to.equal("function");
    expect(typeof mod.makeHandler).to.equal("function");
  });

  it("reads the URL from its SecureString and publishes the reward metrics", async () => {
    await chain.mine(200);
    await send(chain.bondingManager, "setTranscoder", chain.accounts[1], 41, true);
    await chain.setRound(42, true, 50, 100);
    const d = doubles(chain.url);
    const lines: string[] = [];
    const report = await mod.makeHandler({ ...d, env: await env(), log: (l) => lines.push(l) })();
    expect(report).to.include({ currentRound: 42, lastRewardRound: 41, rewardMissed: true });

    expect(d.ssmCalls).to.have.length(1);
    expect(d.ssmCalls[0].input).to.deep.equal({
      Name: "/livepeer-fleet/test/watcher/rpc-url",
      WithDecryption: true,
    });
    expect(d.metricCalls).to.have.length(1);
    const put = d.metricCalls[0].input as {
      Namespace: string;
      MetricData: { MetricName: string; Value: number; Dimensions: unknown[] }[];
    };
    expect(put.Namespace).to.equal("LivepeerFleet/Watcher");
    const byName = Object.fromEntries(put.MetricData.map((m) => [m.MetricName, m.Value]));
    expect(byName[WATCHER_METRICS.heartbeat]).to.equal(1);
    expect(byName[WATCHER_METRICS.rewardMissed]).to.equal(1);
    expect(byName[WATCHER_METRICS.currentRound]).to.equal(42);
    expect(byName[WATCHER_METRICS.rewardPendingFraction]).to.be.within(0.5, 0.52);
    expect(byName[WATCHER_METRICS.gasBalanceEth]).to.be.greaterThan(0);
    expect(put.MetricData[0].Dimensions).to.deep.equal([{ Name: "Unit", Value: "test-unit" }]);
    // The log line is the CLI's JSON, and never the URL.
    expect(JSON.parse(lines[0])).to.include({ unit: "test-unit", rewardMissed: true });
    expect(lines.join("\n")).not.to.include(chain.url);
  });

  it("on an unreachable RPC publishes WatcherChainReadFailed, no heartbeat, and fails the run", async () => {
    const d = doubles("http://127.0.0.1:9/secret-key-path");
    const lines: string[] = [];
    let failed: unknown;
    try {
      await mod.makeHandler({ ...d, env: await env(), log: (l) => lines.push(l) })();
    } catch (err) {
      failed = err;
    }
    expect(failed).to.be.instanceOf(Error);
    const put = d.metricCalls[0].input as { MetricData: { MetricName: string; Value: number }[] };
    expect(put.MetricData.map((m) => [m.MetricName, m.Value])).to.deep.equal([
      [WATCHER_METRICS.chainReadFailed, 1],
    ]);
    expect(lines.join("\n")).to.include("rpc-unreachable").and.not.include("secret-key-path");
  });
});
