// A local EVM chain (ganache, loopback, a port chosen at runtime) with the Livepeer test doubles
// from test/fixtures/LivepeerDoubles.sol compiled by solc-js and registered in the Controller double
// under the same keccak256 ids the real Controller uses. Always stop() it.
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ContractFactory,
  ContractTransactionResponse,
  Contract,
  JsonRpcProvider,
  JsonRpcSigner,
  parseEther,
  toQuantity,
} from "ethers";
import { CONTRACT_IDS } from "../../lib/watcher/abi";

// solc and ganache ship without type declarations; these are the parts used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require("solc") as { compile(input: string): string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ganache = require("ganache") as {
  server(opts: unknown): {
    listen(port: number, host: string): Promise<void>;
    address(): { port: number };
    close(): Promise<void>;
  };
};

const SOURCE = path.join(__dirname, "..", "fixtures", "LivepeerDoubles.sol");

export interface Artifact {
  abi: unknown[];
  bytecode: string;
}

let compiled: Record<string, Artifact> | undefined;

/** Compiles the doubles once per process. London: ganache 7 predates PUSH0 and MCOPY. */
export function compileDoubles(): Record<string, Artifact> {
  if (compiled) return compiled;
  const input = {
    language: "Solidity",
    sources: { "LivepeerDoubles.sol": { content: fs.readFileSync(SOURCE, "utf8") } },
    settings: {
      evmVersion: "london",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<
      string,
      Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>
    >;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const c = out.contracts["LivepeerDoubles.sol"];
  compiled = Object.fromEntries(
    Object.entries(c).map(([name, v]) => [
      name,
      { abi: v.abi, bytecode: `0x${v.evm.bytecode.object}` },
    ]),
  );
  return compiled;
}

/** Sends a state-changing call on a double and waits for it to be mined. */
export async function send(c: Contract, method: string, ...args: unknown[]): Promise<void> {
  const tx = (await c.getFunction(method)(...args)) as ContractTransactionResponse;
  await tx.wait();
}

export interface LocalChain {
  url: string;
  provider: JsonRpcProvider;
  controller: Contract;
  roundsManager: Contract;
  bondingManager: Contract;
  /** ganache's unlocked accounts: [0] deploys, [1] is the orchestrator, [2] a delegated caller. */
  accounts: string[];
  signer(i: number): Promise<JsonRpcSigner>;
  mine(blocks: number): Promise<void>;
  head(): Promise<number>;
  setBalance(account: string, eth: string): Promise<void>;
  /** Sets the round so that it started `blocksAgo` L1 blocks before the current head. */
  setRound(round: number, initialized: boolean, blocksAgo: number, length: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startChain(chainId = 42161, deploy = true): Promise<LocalChain> {
  const server = ganache.server({
    chain: { chainId },
    wallet: { deterministic: true, defaultBalance: 1000 },
    logging: { quiet: true },
  });
  await server.listen(0, "127.0.0.1");
  const url = `http://127.0.0.1:${server.address().port}`;
  const provider = new JsonRpcProvider(url, chainId, { staticNetwork: true, batchMaxCount: 1 });
  const accounts = ((await provider.send("eth_accounts", [])) as string[]).slice(0, 4);
  const signer = (i: number) => provider.getSigner(accounts[i]);
  const mine = async (blocks: number) => {
    await provider.send("evm_mine", [{ blocks }]);
  };
  // Raw eth_blockNumber: ethers caches getBlockNumber() for a moment, too long between mines.
  const head = async () => Number(BigInt((await provider.send("eth_blockNumber", [])) as string));
  const stop = async () => {
    provider.destroy();
    await server.close();
  };
  if (!deploy) {
    const none = undefined as unknown as Contract;
    return {
      url,
      provider,
      controller: none,
      roundsManager: none,
      bondingManager: none,
      accounts,
      signer,
      mine,
      head,
      stop,
      setBalance: async () => {},
      setRound: async () => {},
    };
  }
  try {
    const a = compileDoubles();
    const deployer = await signer(0);
    const make = async (name: string, ...args: unknown[]) => {
      const c = await new ContractFactory(a[name].abi as never, a[name].bytecode, deployer).deploy(
        ...args,
      );
      await c.waitForDeployment();
      return new Contract(await c.getAddress(), a[name].abi as never, deployer);
    };
    const controller = await make("ControllerDouble");
    const roundsManager = await make("RoundsManagerDouble");
    const bondingManager = await make("BondingManagerDouble", await roundsManager.getAddress());
    await send(
      controller,
      "setContract",
      CONTRACT_IDS.bondingManager,
      await bondingManager.getAddress(),
    );
    await send(
      controller,
      "setContract",
      CONTRACT_IDS.roundsManager,
      await roundsManager.getAddress(),
    );
    // Room below the head for rounds that started blocks ago.
    await mine(200);
    return {
      url,
      provider,
      controller,
      roundsManager,
      bondingManager,
      accounts,
      signer,
      mine,
      head,
      stop,
      async setBalance(account, eth) {
        await provider.send("evm_setAccountBalance", [account, toQuantity(parseEther(eth))]);
      },
      async setRound(round, initialized, blocksAgo, length) {
        // The setRound transaction is mined in the next block; reads then happen at that head.
        const start = (await head()) + 1 - blocksAgo;
        await send(roundsManager, "setRound", round, initialized, start, length);
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
