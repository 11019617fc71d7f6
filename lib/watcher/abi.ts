// The slice of Livepeer's contract ABIs the reward watcher reads. Checked against livepeer/protocol
// (branch delta, f225b10): contracts/Controller.sol getContract, contracts/rounds/RoundsManager.sol,
// contracts/bonding/BondingManager.sol getTranscoder/isActiveTranscoder, IBondingManager.sol's
// Reward event, and the ABIs in deployments/arbitrumMainnet/{Controller,BondingManagerTarget,
// RoundsManagerTarget}.json. The test doubles in test/fixtures expose the same signatures.
import { id } from "ethers";

export const CONTROLLER_ABI = ["function getContract(bytes32 _id) view returns (address)"];

export const ROUNDS_MANAGER_ABI = [
  "function currentRound() view returns (uint256)",
  "function currentRoundInitialized() view returns (bool)",
  "function currentRoundStartBlock() view returns (uint256)",
  "function roundLength() view returns (uint256)",
  // On Arbitrum, Solidity's block.number is the L1 block: rounds are counted in L1 blocks.
  "function blockNum() view returns (uint256)",
];

export const BONDING_MANAGER_ABI = [
  "function getTranscoder(address _transcoder) view returns (uint256 lastRewardRound, uint256 rewardCut, uint256 feeShare, uint256 lastActiveStakeUpdateRound, uint256 activationRound, uint256 deactivationRound, uint256 activeCumulativeRewards, uint256 cumulativeRewards, uint256 cumulativeFees, uint256 lastFeeRound)",
  "function isActiveTranscoder(address _transcoder) view returns (bool)",
  // Emitted by the BondingManager proxy whoever sent the transaction (reward, rewardWithHint, a
  // delegated caller): the indexed transcoder is what identifies the orchestrator.
  "event Reward(address indexed transcoder, uint256 amount)",
];

/** Controller registry ids: keccak256 of the contract name (go-livepeer eth/client.go does the same). */
export const CONTRACT_IDS = {
  bondingManager: id("BondingManager"),
  roundsManager: id("RoundsManager"),
} as const;

/** topic0 of Reward(address,uint256). */
export const REWARD_TOPIC = id("Reward(address,uint256)");
