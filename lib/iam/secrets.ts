// Which SSM parameters of a region unit hold secrets, and which kind of role is meant to read
// each. Pure. The access evaluation (lib/iam/access.ts) proves the plan against this table; the
// policy builders (lib/iam/policies.ts) grant and deny from the same names. A new secret is one
// line in secretParameters.
import type { RegionConfig } from "../config/schema";
import {
  ORCH_SECRET_SUFFIX,
  RPC_ENDPOINTS_SUFFIX,
  WATCHER_RPC_URL_SUFFIX,
  keyMaterialSuffixes,
  keyParameterNames,
  orchSecretParameterName,
} from "../identity/names";

/** The kinds of IAM role the project creates. */
export type RoleKind =
  "chain-node" | "orchestrator" | "transcoder" | "reward-watcher" | "snapshots" | "drift-check";

export type SecretId =
  | "orchestrator-keystore"
  | "orchestrator-passphrase"
  | "redeemer-keystore"
  | "redeemer-passphrase"
  | "orch-secret"
  | "chain-rpc-endpoints"
  | "watcher-rpc-url";

export interface SecretParameter {
  id: SecretId;
  /** Full SSM name, starting with `/`. */
  name: string;
  /** The role kinds of the same unit meant to read it (ssm:GetParameter + kms:Decrypt). */
  readers: RoleKind[];
  /** Readable only in the fleet's home region (elsewhere: nobody). */
  homeRegionOnly?: boolean;
  /** The end of its name under its default name, the same in every unit (for fleet-wide denies). */
  suffix: string;
}

export interface SecretNames {
  parameterPrefix: string;
  rpcEndpointsParameter: string;
  watcherRpcUrlParameter: string;
}

/** Every secret parameter of one region unit with its intended readers. */
export function secretParameters(n: SecretNames): SecretParameter[] {
  const orch = keyParameterNames(n.parameterPrefix, "orchestrator");
  const redeemer = keyParameterNames(n.parameterPrefix, "redeemer");
  const [orchKeystore, orchPassphrase] = keyMaterialSuffixes("orchestrator");
  const [redeemerKeystore, redeemerPassphrase] = keyMaterialSuffixes("redeemer");
  return [
    // The on-chain orchestrator's key: only the home region's chain node (reward service).
    {
      id: "orchestrator-keystore",
      name: orch.keystore,
      readers: ["chain-node"],
      homeRegionOnly: true,
      suffix: orchKeystore,
    },
    {
      id: "orchestrator-passphrase",
      name: orch.passphrase,
      readers: ["chain-node"],
      homeRegionOnly: true,
      suffix: orchPassphrase,
    },
    // Each region's redeemer account: its chain node (the redeemer runs there).
    {
      id: "redeemer-keystore",
      name: redeemer.keystore,
      readers: ["chain-node"],
      suffix: redeemerKeystore,
    },
    {
      id: "redeemer-passphrase",
      name: redeemer.passphrase,
      readers: ["chain-node"],
      suffix: redeemerPassphrase,
    },
    // -orchSecret: whoever runs an orchestrator or a transcoder.
    {
      id: "orch-secret",
      name: orchSecretParameterName(n.parameterPrefix),
      readers: ["orchestrator", "transcoder"],
      suffix: ORCH_SECRET_SUFFIX,
    },
    // Hosted RPC URLs carry API keys: the chain node's RPC proxy.
    {
      id: "chain-rpc-endpoints",
      name: n.rpcEndpointsParameter,
      readers: ["chain-node"],
      suffix: RPC_ENDPOINTS_SUFFIX,
    },
    {
      id: "watcher-rpc-url",
      name: n.watcherRpcUrlParameter,
      readers: ["reward-watcher"],
      suffix: WATCHER_RPC_URL_SUFFIX,
    },
  ];
}

/** secretParameters from a region's resolved config. */
export function secretParametersOf(
  c: Pick<RegionConfig, "identity" | "nodeRuntime" | "rewardWatcher">,
): SecretParameter[] {
  return secretParameters({
    parameterPrefix: c.identity.parameterPrefix,
    rpcEndpointsParameter: c.nodeRuntime.rpcEndpointsParameter,
    watcherRpcUrlParameter: c.rewardWatcher.rpcUrlParameter,
  });
}

/** The role kinds meant to read `s` in a unit, given whether the unit is the home region's. */
export function intendedReaders(s: SecretParameter, homeRegion: boolean): RoleKind[] {
  return s.homeRegionOnly && !homeRegion ? [] : s.readers;
}
