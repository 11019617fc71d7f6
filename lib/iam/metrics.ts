// Who may publish into which CloudWatch namespace, decided by the IAM evaluation engine over the
// plan: every role of every stack asked for cloudwatch:PutMetricData into every namespace the
// fleet uses (and the former shared one, and one of AWS's own). PutMetricData names no resource,
// so the cloudwatch:namespace condition key is its only scope (Service Authorization Reference,
// Amazon CloudWatch): a role allowed into another role's namespace could fake that role's
// metrics (a transcoder publishing ChainSynced, or the region's demand, which scales the pool).
// Shared by `npm run access:table` and test/iam-access.test.ts. Dev-only.
import { ROLE_METRIC_NAMESPACES } from "../runtime-contract";
import { Simulator, roleKey, roleKind, type Decision } from "./access";
import type { AccessModel, RoleModel } from "./extract";
import type { RoleKind } from "./secrets";

/**
 * The namespaces each role kind is meant to publish into: its own, or none when it publishes
 * nothing (the transcoders' namespace is reserved for them, but they publish nothing today).
 */
export const INTENDED_NAMESPACES: Readonly<Record<RoleKind, readonly string[]>> = {
  "chain-node": [ROLE_METRIC_NAMESPACES["chain-node"]],
  orchestrator: [ROLE_METRIC_NAMESPACES.orchestrator],
  transcoder: [],
  "reward-watcher": [ROLE_METRIC_NAMESPACES["reward-watcher"]],
  snapshots: [],
  "drift-check": [],
};

/**
 * Every namespace asked about: each role's, the one every publisher shared before namespaces were
 * per role, and one of AWS's own (a role that may put into any namespace shows there).
 */
export const PROBED_NAMESPACES: readonly string[] = [
  ...Object.values(ROLE_METRIC_NAMESPACES),
  "LivepeerFleet",
  "AWS/EC2",
];

export interface PublishDecision {
  role: RoleModel;
  namespace: string;
  decision: Decision;
}

/** Every role against every probed namespace. */
export async function evaluateMetricPublishing(
  model: AccessModel,
  namespaces: readonly string[] = PROBED_NAMESPACES,
): Promise<PublishDecision[]> {
  const sim = new Simulator();
  const out: PublishDecision[] = [];
  for (const role of model.roles) {
    for (const namespace of namespaces) {
      const decision = await sim.decide({
        role,
        accountId: model.accountId,
        action: "cloudwatch:PutMetricData",
        resource: "*",
        context: { "cloudwatch:namespace": namespace },
      });
      out.push({ role, namespace, decision });
    }
  }
  return out;
}

/** Every role that may publish where it is not meant to, or may not where it is. */
export function metricProblems(decisions: readonly PublishDecision[]): string[] {
  const out: string[] = [];
  for (const { role, namespace, decision } of decisions) {
    const kind = roleKind(role);
    // An unclassified role is reported by accessProblems already.
    if (kind === undefined) continue;
    const intended = INTENDED_NAMESPACES[kind].includes(namespace);
    const allowed = decision === "Allowed";
    if (intended === allowed) continue;
    out.push(
      `${role.logicalName} (${roleKey(role)}) ${allowed ? "CAN" : "cannot"} put metrics into ` +
        `${namespace}: ${allowed ? "not its namespace" : "its own namespace"}`,
    );
  }
  return out;
}
