// The second reward signal: a Reward(transcoder) event emitted during the current round. Rounds are
// counted in L1 blocks while logs are addressed by L2 block, so the scan walks back from the head
// in chunks and maps each candidate block to its L1 block. Detection is by the event's indexed
// transcoder only, never by transaction sender or function selector: go-livepeer sends
// rewardWithHint, a delegated caller (LIP-118) may send another function, and all emit Reward.

/** What the scan needs from the chain; JSON-RPC in production, an in-memory double in tests. */
export interface RewardLogSource {
  /** The L1 block number an (L2) block belongs to; the block itself on an L1 chain. */
  l1BlockOf(block: number): Promise<number>;
  /** Block numbers of Reward logs for `transcoder` emitted by `address` within [from, to]. */
  rewardLogBlocks(address: string, transcoder: string, from: number, to: number): Promise<number[]>;
}

export interface RewardScan {
  /** The BondingManager (proxy) that emits Reward. */
  address: string;
  transcoder: string;
  /** L1 block the current round started at. */
  roundStartL1: number;
  /** The L2 block the other reads are pinned to. */
  head: number;
  /** Blocks per log request. */
  chunk: number;
  /**
   * Upper bound on requests, so a chain whose L1 numbering never drops below the round start (a
   * broken RPC) cannot make a run scan to genesis. 64 x 50,000 blocks covers far more than one
   * Arbitrum round (~19 h at ~4 blocks/s is ~280,000 blocks).
   */
  maxChunks?: number;
}

/** True when a Reward event for the transcoder lies in the current round. */
export async function rewardEventSince(src: RewardLogSource, s: RewardScan): Promise<boolean> {
  const maxChunks = s.maxChunks ?? 64;
  let hi = s.head;
  for (let i = 0; i < maxChunks && hi >= 0; i++) {
    const lo = Math.max(0, hi - s.chunk + 1);
    const blocks = await src.rewardLogBlocks(s.address, s.transcoder, lo, hi);
    if (blocks.length > 0) {
      // The newest log decides: if it predates the round, every other one does too.
      const newest = Math.max(...blocks);
      return (await src.l1BlockOf(newest)) >= s.roundStartL1;
    }
    if (lo === 0 || (await src.l1BlockOf(lo)) < s.roundStartL1) return false;
    hi = lo - 1;
  }
  return false;
}
