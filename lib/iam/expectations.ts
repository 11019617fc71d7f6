// What the access evaluation expects beyond the intended readers in lib/iam/secrets.ts: which kind
// each role of the plan is, and any row known to differ from the intent. Pure.
import type { RoleKind, SecretId } from "./secrets";

/**
 * The kind of a role, by the component that creates it. A role of a component missing here makes
 * the access evaluation fail: say what it is (one line) before it ships.
 */
export const ROLE_KINDS_BY_COMPONENT: Readonly<Record<string, RoleKind>> = {
  "livepeer-fleet:chain:ChainNode": "chain-node",
  "livepeer-fleet:nodes:Orchestrators": "orchestrator",
  "livepeer-fleet:nodes:Transcoders": "transcoder",
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

/**
 * Rows known to differ from the intent, each with its named fix. Empty: every role reads exactly
 * what lib/iam/secrets.ts intends. The evaluation asks for an entry's removal once it stops
 * occurring, so the list only shrinks.
 */
export const KNOWN_DIFFERENCES: readonly KnownDifference[] = [];
