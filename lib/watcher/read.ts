// Reads everything the reward watcher judges from the chain, pinned to one block so the answers
// agree with each other. Failures become a ChainReadError whose kind says why (the CLI's exit 2).
import {
  Contract,
  JsonRpcApiProvider,
  ZeroAddress,
  getAddress,
  isError,
  toQuantity,
  zeroPadValue,
} from "ethers";
import {
  BONDING_MANAGER_ABI,
  CONTRACT_IDS,
  CONTROLLER_ABI,
  REWARD_TOPIC,
  ROUNDS_MANAGER_ABI,
} from "./abi";
import { RewardLogSource, rewardEventSince } from "./reward-logs";

export type ChainReadErrorKind =
  /** No answer to eth_chainId: down, refused, timed out, or not JSON-RPC. */
  | "rpc-unreachable"
  /** The RPC serves another chain than the one configured. */
  | "wrong-chain"
  /** The address is not a Livepeer Controller (no code, no registry, registered contracts do not answer). */
  | "not-a-controller"
  /** The RPC answered at first, then failed mid-read. */
  | "rpc-error";

export class ChainReadError extends Error {
  override name = "ChainReadError";
  constructor(
    readonly kind: ChainReadErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface ReadParams {
  controller: string;
  orchestrator: string;
  /** Accounts whose ETH pays for reward and redemption transactions. */
  gasAccounts: string[];
  expectedChainId: number;
  /** Blocks per eth_getLogs request. */
  logChunkBlocks: number;
}

export interface ChainState {
  chainId: number;
  /** The (L2) block every read is pinned to. */
  block: number;
  bondingManager: string;
  roundsManager: string;
  currentRound: number;
  roundInitialized: boolean;
  /** L1 block the current round started at, and the L1 block now (RoundsManager.blockNum()). */
  roundStartBlock: number;
  l1Block: number;
  roundLength: number;
  lastRewardRound: number;
  active: boolean;
  /** A Reward(orchestrator) event was emitted in the current round. */
  rewardEventSeen: boolean;
  balances: { address: string; wei: bigint }[];
}

function brief(err: unknown): string {
  if (isError(err, "CALL_EXCEPTION")) return `call reverted (${err.shortMessage})`;
  if (err instanceof Error) {
    const short = (err as { shortMessage?: string }).shortMessage;
    return short ?? err.message.split("\n")[0];
  }
  return String(err);
}

/** Reverts and undecodable answers mean the contract is not what we think; anything else is the RPC. */
function classify(err: unknown, what: string): ChainReadError {
  if (err instanceof ChainReadError) return err;
  if (isError(err, "CALL_EXCEPTION") || isError(err, "BAD_DATA")) {
    return new ChainReadError("not-a-controller", `${what}: ${brief(err)}`);
  }
  return new ChainReadError("rpc-error", `${what}: ${brief(err)}`);
}

function toNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ChainReadError("not-a-controller", `${what} is implausibly large (${v})`);
  }
  return Number(v);
}

/** Reward logs and L1 block numbers through JSON-RPC (Arbitrum headers carry l1BlockNumber). */
export function rpcLogSource(provider: JsonRpcApiProvider): RewardLogSource {
  return {
    async l1BlockOf(block: number): Promise<number> {
      const b = (await provider.send("eth_getBlockByNumber", [toQuantity(block), false])) as {
        number?: string;
        l1BlockNumber?: string;
      } | null;
      if (!b?.number) throw new ChainReadError("rpc-error", `block ${block} not found`);
      // Arbitrum Nitro adds l1BlockNumber to every block; on L1 chains the block is its own L1.
      return Number(BigInt(b.l1BlockNumber ?? b.number));
    },
    async rewardLogBlocks(address, transcoder, fromBlock, toBlock): Promise<number[]> {
      const logs = await provider.getLogs({
        address,
        topics: [REWARD_TOPIC, zeroPadValue(transcoder, 32)],
        fromBlock,
        toBlock,
      });
      return logs.map((l) => l.blockNumber);
    },
  };
}

async function hasCode(provider: JsonRpcApiProvider, address: string, block: number) {
  return (await provider.getCode(address, block)) !== "0x";
}

export async function readChainState(
  provider: JsonRpcApiProvider,
  p: ReadParams,
): Promise<ChainState> {
  let chainId: number;
  try {
    chainId = Number(BigInt((await provider.send("eth_chainId", [])) as string));
  } catch (err) {
    throw new ChainReadError("rpc-unreachable", `no answer to eth_chainId: ${brief(err)}`);
  }
  if (chainId !== p.expectedChainId) {
    throw new ChainReadError(
      "wrong-chain",
      `the RPC serves chain ${chainId}, expected ${p.expectedChainId}`,
    );
  }
  const controller = getAddress(p.controller);
  const orchestrator = getAddress(p.orchestrator);
  try {
    const block = Number(BigInt((await provider.send("eth_blockNumber", [])) as string));
    const at = { blockTag: block };
    if (!(await hasCode(provider, controller, block))) {
      throw new ChainReadError(
        "not-a-controller",
        `no contract at ${controller} on chain ${chainId}: not a Livepeer Controller`,
      );
    }
    const ctl = new Contract(controller, CONTROLLER_ABI, provider);
    const resolve = async (name: keyof typeof CONTRACT_IDS, label: string) => {
      let addr: string;
      try {
        addr = (await ctl.getContract(CONTRACT_IDS[name], at)) as string;
      } catch (err) {
        throw classify(
          err,
          `${controller}.getContract(${label}) failed; not a Livepeer Controller`,
        );
      }
      if (addr === ZeroAddress || !(await hasCode(provider, addr, block))) {
        throw new ChainReadError(
          "not-a-controller",
          `${controller} has no ${label} registered: not a Livepeer Controller`,
        );
      }
      return addr;
    };
    const bondingManager = await resolve("bondingManager", "BondingManager");
    const roundsManager = await resolve("roundsManager", "RoundsManager");

    const rm = new Contract(roundsManager, ROUNDS_MANAGER_ABI, provider);
    const bm = new Contract(bondingManager, BONDING_MANAGER_ABI, provider);
    let rounds: [bigint, boolean, bigint, bigint, bigint];
    let transcoder: { lastRewardRound: bigint };
    let active: boolean;
    try {
      rounds = (await Promise.all([
        rm.currentRound(at),
        rm.currentRoundInitialized(at),
        rm.currentRoundStartBlock(at),
        rm.roundLength(at),
        rm.blockNum(at),
      ])) as [bigint, boolean, bigint, bigint, bigint];
    } catch (err) {
      throw classify(err, `RoundsManager ${roundsManager} did not answer`);
    }
    try {
      transcoder = (await bm.getTranscoder(orchestrator, at)) as { lastRewardRound: bigint };
      active = (await bm.isActiveTranscoder(orchestrator, at)) as boolean;
    } catch (err) {
      throw classify(err, `BondingManager ${bondingManager} did not answer`);
    }
    const [round, roundInitialized, start, length, l1] = rounds;
    const currentRound = toNumber(round, "currentRound");
    const roundStartBlock = toNumber(start, "currentRoundStartBlock");
    const roundLength = toNumber(length, "roundLength");
    if (roundLength === 0) throw new ChainReadError("not-a-controller", "roundLength is 0");

    // Nobody can call reward before the round is initialized: no logs to look for.
    const rewardEventSeen = roundInitialized
      ? await rewardEventSince(rpcLogSource(provider), {
          address: bondingManager,
          transcoder: orchestrator,
          roundStartL1: roundStartBlock,
          head: block,
          chunk: p.logChunkBlocks,
        })
      : false;

    const balances = await Promise.all(
      p.gasAccounts.map(async (a) => ({
        address: getAddress(a),
        wei: await provider.getBalance(a, block),
      })),
    );
    return {
      chainId,
      block,
      bondingManager,
      roundsManager,
      currentRound,
      roundInitialized,
      roundStartBlock,
      l1Block: toNumber(l1, "blockNum"),
      roundLength,
      lastRewardRound: toNumber(transcoder.lastRewardRound, "lastRewardRound"),
      active,
      rewardEventSeen,
      balances,
    };
  } catch (err) {
    throw classify(err, "reading the chain failed");
  }
}
