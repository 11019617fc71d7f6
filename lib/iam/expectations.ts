// What the access evaluation expects beyond the intended readers in lib/iam/secrets.ts: which kind
// each role of the plan is, and the rows known to differ from the intent until the serving-path
// split changes the instance roles. Pure.
import type { RoleKind, SecretId } from "./secrets";

/**
 * The kind of a role, by the component that creates it. A role of a component missing here makes
 * the access evaluation fail: say what it is (one line) before it ships.
 */
export const ROLE_KINDS_BY_COMPONENT: Readonly<Record<string, RoleKind>> = {
  "livepeer-fleet:chain:ChainNode": "chain-node",
  "livepeer-fleet:nodes:NodeGroup": "node",
  "livepeer-fleet:watcher:RewardWatcher": "reward-watcher",
  "livepeer-fleet:snapshots:Snapshots": "snapshots",
  "livepeer-fleet:fleet:Fleet": "drift-check",
};

/**
 * A difference between the intended and the evaluated access that is known and has a named fix.
 * It applies to a secret of any region unit and a reader role of the same unit, in every unit or
 * only in the units that are not the fleet's home region.
 */
export interface KnownDifference {
  secret: SecretId;
  reader: RoleKind;
  units: "every" | "non-home";
  /** What the evaluation finds today: true = readable although not intended. */
  readable: boolean;
  why: string;
}

const SSM_CORE =
  "the chain node role has AmazonSSMManagedInstanceCore (ssm:GetParameter* on `*`, " +
  "components/launch.ts) and kms:Decrypt through SSM for any parameter under the unit key " +
  "(identity and endpoint grants, components/identity.ts and chain-node.ts): it reads every " +
  "SecureString of its unit";
const ORCH_IDENTITY_EVERYWHERE =
  "every region's chain node is given the orchestrator identity read policy " +
  "(components/chain-node.ts); it belongs to the home region's only";

/**
 * Rows that differ until the split applies lib/iam/policies.ts to the instance roles
 * (components/launch.ts, chain-node.ts, node-group.ts). Each must still differ somewhere, or the
 * evaluation asks for its removal: the list only shrinks.
 */
export const KNOWN_DIFFERENCES_UNTIL_SPLIT: readonly KnownDifference[] = [
  { secret: "orch-secret", reader: "chain-node", units: "every", readable: true, why: SSM_CORE },
  {
    secret: "watcher-rpc-url",
    reader: "chain-node",
    units: "every",
    readable: true,
    why: SSM_CORE,
  },
  {
    secret: "orchestrator-keystore",
    reader: "chain-node",
    units: "non-home",
    readable: true,
    why: ORCH_IDENTITY_EVERYWHERE,
  },
  {
    secret: "orchestrator-passphrase",
    reader: "chain-node",
    units: "non-home",
    readable: true,
    why: ORCH_IDENTITY_EVERYWHERE,
  },
  {
    secret: "orch-secret",
    reader: "node",
    units: "every",
    readable: false,
    why:
      "nothing reads the orchestrator secret before the split gives its read policy " +
      "(Identity orchSecretReadPolicy) to the orchestrators and transcoders",
  },
];
