// The reward watcher CLI end to end against a local ganache chain running Solidity doubles of
// Livepeer's Controller, RoundsManager and BondingManager (test/fixtures/LivepeerDoubles.sol).
import { spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { expect } from "chai";
import { Contract, ContractFactory } from "ethers";
import { LocalChain, compileDoubles, send, startChain } from "./helpers/livepeer-chain";

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "scripts", "watch-reward.ts");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

/** Runs the CLI in a child process (async: ganache answers from this process's event loop). */
function cli(args: string[], viaNpm = false): Promise<Run> {
  const [cmd, argv] = viaNpm
    ? ["npm", ["run", "--silent", "watch:reward", "--", ...args]]
    : [process.execPath, ["--import", "tsx", CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        // human output or nothing: json stays empty
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
}

/** A loopback port nothing listens on: bind an ephemeral one, then release it. */
async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe("reward watcher CLI against Livepeer contract doubles on a local ganache chain", function () {
  this.timeout(120_000);
  let chain: LocalChain;
  let o: string;
  let base: () => Promise<string[]>;

  before(async () => {
    chain = await startChain();
    o = chain.accounts[1];
    base = async () => [
      "--rpc",
      chain.url,
      "--controller",
      await chain.controller.getAddress(),
      "--orchestrator",
      o,
      "--json",
    ];
  });
  after(async () => chain?.stop());

  beforeEach(async () => {
    // Each case starts well past the previous one's events, so rounds never overlap them.
    await chain.mine(500);
    await chain.setBalance(o, "10");
    await send(chain.bondingManager, "setTranscoder", o, 9, true);
  });

  it("reward called this round (BondingManager.reward by the orchestrator): exit 0", async () => {
    await chain.setRound(10, true, 50, 100);
    await send(chain.bondingManager.connect(await chain.signer(1)) as Contract, "reward");
    await chain.setBalance(o, "10"); // the reward transaction paid gas
    const r = await cli(await base());
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json).to.include({
      currentRound: 10,
      roundInitialized: true,
      roundLength: 100,
      lastRewardRound: 10,
      active: true,
      rewardMissed: false,
      rewardEventSeen: true,
      ethBalanceWei: "10000000000000000000",
    });
    expect(r.json.blocksIntoRound).to.be.within(50, 52);
    expect(r.json.alerts).to.deep.equal([]);
  });

  it("reward still due early in the round is not an alert: exit 0", async () => {
    await chain.setRound(11, true, 5, 100);
    const r = await cli(await base());
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json).to.include({ currentRound: 11, lastRewardRound: 9, rewardMissed: false });
  });

  it("reward missed past the configured fraction of the round: exit 1", async () => {
    await chain.setRound(12, true, 50, 100);
    const r = await cli(await base());
    expect(r.code, r.stderr).to.equal(1);
    expect(r.json).to.include({ currentRound: 12, lastRewardRound: 9, rewardMissed: true });
    expect(r.json.alerts).to.deep.equal(["reward-missed"]);
    // The threshold is a flag: half-way is not late when the operator allows 60 %.
    const lenient = await cli([...(await base()), "--reward-fraction", "0.6"]);
    expect(lenient.code, lenient.stderr).to.equal(0);
  });

  it("round not initialized past the configured blocks: exit 1, reward not counted missed", async () => {
    await chain.setRound(13, false, 400, 5760);
    const r = await cli(await base());
    expect(r.code, r.stderr).to.equal(1);
    expect(r.json).to.include({ roundInitialized: false, rewardMissed: false });
    expect(r.json.alerts).to.deep.equal(["round-not-initialized"]);
  });

  it("inactive orchestrator: exit 1, reward not counted missed", async () => {
    await chain.setRound(14, true, 50, 100);
    await send(chain.bondingManager, "setTranscoder", o, 9, false);
    const r = await cli(await base());
    expect(r.code, r.stderr).to.equal(1);
    expect(r.json).to.include({ active: false, rewardMissed: false });
    expect(r.json.alerts).to.deep.equal(["orchestrator-inactive"]);
  });

  it("gas account below the minimum balance: exit 1 with the balance in wei", async () => {
    await chain.setRound(15, true, 5, 100);
    await chain.setBalance(o, "0.01");
    const r = await cli(await base());
    expect(r.code, r.stderr).to.equal(1);
    expect(r.json).to.include({ ethBalanceWei: "10000000000000000" });
    expect(r.json.alerts).to.deep.equal(["gas-balance-low"]);
  });

  it("reports the lowest of several gas accounts (--account, repeatable)", async () => {
    await chain.setRound(16, true, 5, 100);
    await chain.setBalance(chain.accounts[3], "0.02");
    const r = await cli([...(await base()), "--account", o, "--account", chain.accounts[3]]);
    expect(r.code, r.stderr).to.equal(1);
    expect(r.json.ethBalanceWei).to.equal("20000000000000000");
    expect((r.json.gasAccounts as unknown[]).length).to.equal(2);
  });

  it("a Reward event sent by another account counts (never by sender or selector)", async () => {
    await chain.setRound(17, true, 50, 100);
    // State still says round 9 (a lagging read); the event names the orchestrator.
    const other = chain.bondingManager.connect(await chain.signer(2)) as Contract;
    await send(other, "emitReward", o, 5);
    await chain.mine(30);
    // Small log chunks: the scan walks back over several requests to find it.
    const r = await cli([...(await base()), "--log-chunk-blocks", "7"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json).to.include({ lastRewardRound: 9, rewardEventSeen: true, rewardMissed: false });
  });

  it("a Reward event from the previous round does not count", async () => {
    await chain.setRound(18, true, 50, 100);
    await send(chain.bondingManager, "emitReward", o, 5);
    await chain.mine(3);
    await chain.setRound(19, true, 0, 100);
    await chain.mine(60);
    const r = await cli([...(await base()), "--log-chunk-blocks", "10"]);
    expect(r.code, r.stdout).to.equal(1);
    expect(r.json).to.include({ currentRound: 19, rewardEventSeen: false, rewardMissed: true });
  });

  it("RPC down: exit 2, kind rpc-unreachable", async () => {
    const args = await base();
    args[1] = `http://127.0.0.1:${await deadPort()}`;
    const r = await cli([...args, "--timeout-ms", "3000"]);
    expect(r.code).to.equal(2);
    expect(r.json).to.have.nested.property("error.kind", "rpc-unreachable");
  });

  it("wrong chain: exit 2, kind wrong-chain", async () => {
    const other = await startChain(1337, false);
    try {
      const args = await base();
      args[1] = other.url;
      const r = await cli(args);
      expect(r.code).to.equal(2);
      expect(r.json).to.have.nested.property("error.kind", "wrong-chain");
      expect(String((r.json.error as { message: string }).message)).to.include("1337");
    } finally {
      await other.stop();
    }
  });

  it("wrong contract (a BondingManager, an account, an empty Controller): exit 2, not-a-controller", async () => {
    const a = compileDoubles().ControllerDouble;
    const factory = new ContractFactory(a.abi as never, a.bytecode, await chain.signer(0));
    const emptyController = await (await factory.deploy()).waitForDeployment();
    const candidates = [
      await chain.bondingManager.getAddress(),
      chain.accounts[3],
      await emptyController.getAddress(),
    ];
    for (const controller of candidates) {
      const args = await base();
      args[3] = controller;
      const r = await cli(args);
      expect(r.code, controller).to.equal(2);
      expect(r.json, controller).to.have.nested.property("error.kind", "not-a-controller");
    }
  });

  it("never exits 0 on bad arguments: 64, the usage exit code every command uses", async () => {
    const r = await cli(["--rpc", chain.url, "--controller", "0x1234", "--orchestrator", o]);
    expect(r.code).to.equal(64);
    expect(r.stderr).to.include("--controller");
  });

  it("runs through npm run watch:reward with human output and the same exit code", async () => {
    await chain.setRound(20, true, 50, 100);
    const args = (await base()).filter((a) => a !== "--json");
    const r = await cli(args, true);
    expect(r.code, r.stderr + r.stdout).to.equal(1);
    expect(r.stdout).to.include("ALERT: reward-missed").and.include("round 20");
  });
});
