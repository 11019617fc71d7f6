// SSM parameter names of a region unit's key material and shared secrets, under the stack's
// identity prefix (`identity.parameterPrefix`, default /livepeer-fleet/<stack>). Pure: the Identity
// component, the IAM grants and denies, the operator commands and the access evaluation all name
// the parameters through these functions, so a name lives in one place.

/** Whose Ethereum account a keystore holds. */
export type KeyRole = "orchestrator" | "redeemer";

export const KEY_ROLES: readonly KeyRole[] = ["orchestrator", "redeemer"];

/**
 * The keystore and passphrase SecureStrings of one account. `orchestrator`: the on-chain
 * orchestrator's key, held only in the fleet's home region (its chain node calls reward);
 * `redeemer`: the region's own redeemer account, which sends the ticket redemptions (one account,
 * one sender: go-livepeer doc/multi-o.md, "Redeemer + RewardService + Multiple Orchestrator
 * Nodes").
 */
export function keyParameterNames(
  prefix: string,
  role: KeyRole,
): { keystore: string; passphrase: string } {
  return { keystore: `${prefix}/${role}/keystore`, passphrase: `${prefix}/${role}/passphrase` };
}

/**
 * The orchestrator secret (go-livepeer -orchSecret) shared by the unit's orchestrators and
 * transcoders. Deliberately outside `<prefix>/orchestrator/`: that path holds key material, which
 * the orchestrators and transcoders are explicitly denied.
 */
export function orchSecretParameterName(prefix: string): string {
  return `${prefix}${ORCH_SECRET_SUFFIX}`;
}

/** Default name of the chain node's hosted RPC endpoints (config nodeRuntime.rpcEndpointsParameter). */
export const RPC_ENDPOINTS_SUFFIX = "/chain/rpc-endpoints";
/** Default name of the reward watcher's RPC URL (config rewardWatcher.rpcUrlParameter). */
export const WATCHER_RPC_URL_SUFFIX = "/watcher/rpc-url";
export const ORCH_SECRET_SUFFIX = "/orch-secret";

/** The name suffixes of key material, for IAM patterns that hold in every unit and region. */
export function keyMaterialSuffixes(role: KeyRole): string[] {
  return [`/${role}/keystore`, `/${role}/passphrase`];
}
