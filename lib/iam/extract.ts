// Reads, from offline plan evaluations (lib/plan/evaluate.ts: every registration with its
// inputs), what decides who can read a secret: every IAM role with its inline policies, attached
// customer and AWS managed policies and permissions boundary, and each region unit's KMS key
// with its key policy. Anything else that could grant access and that this does not model (KMS
// grants, IAM users and groups, separate key-policy resources...) makes it throw, so a new kind
// of grant cannot slip past the evaluation. Dev-only (AWS managed documents come from a dev
// dependency).
import {
  type Evaluation,
  type RecordedResource,
  MOCK_ACCOUNT_ID,
  evaluationRegion,
  mockState,
} from "../plan/evaluate";
import { parseStackName } from "../stack";
import { awsManagedPolicy, awsManagedPolicyName } from "./aws-managed";
import type { PolicyDocument } from "./policies";

export interface NamedPolicy {
  /** Where it comes from: the RolePolicy's or Policy's logical name, or the AWS managed name. */
  name: string;
  source: "inline" | "customer-managed" | "aws-managed";
  /** AWS managed policies: the version evaluated. */
  version?: string;
  document: PolicyDocument;
}

export interface RoleModel {
  stack: string;
  /** Pulumi logical name, e.g. prod-us-east-1-chain-role. */
  logicalName: string;
  /** IAM role name as deployed (under the mocks: the Role's name input, else `<logical>-physical`). */
  roleName: string;
  arn: string;
  /** The innermost component the role belongs to (its URN's parent type), e.g. livepeer-fleet:chain:ChainNode. */
  componentType: string;
  /** Who may assume it (the trust policy's principals). */
  trustedBy: string[];
  policies: NamedPolicy[];
  boundary?: NamedPolicy;
}

export interface UnitKeyModel {
  stack: string;
  region: string;
  arn: string;
  policy: PolicyDocument;
}

export interface AccessModel {
  accountId: string;
  roles: RoleModel[];
  /** The unit key of each region stack, by stack. */
  unitKeys: Map<string, UnitKeyModel>;
}

export class AccessModelError extends Error {
  override name = "AccessModelError";
}

/** Resource types that grant access in ways this model does not evaluate. */
const UNMODELLED = [
  "aws:iam/user",
  "aws:iam/group",
  "aws:iam/policyAttachment:",
  "aws:iam/rolePoliciesExclusive:",
  "aws:iam/rolePolicyAttachmentsExclusive:",
  "aws:kms/grant:",
  "aws:kms/keyPolicy:",
  "aws:ssm/resourcePolicy:",
];

/** The component type a resource belongs to, from its URN (`...::parent$child::name`). */
export function componentTypeOf(urn: string): string {
  const chain = urn.split("::")[2]?.split("$") ?? [];
  return chain.length >= 2 ? chain[chain.length - 2] : "";
}

function parseJson(r: RecordedResource, input: string): PolicyDocument {
  const v = r.inputs[input];
  if (typeof v !== "string") {
    throw new AccessModelError(
      `${r.type} ${r.name}: ${input} is ${JSON.stringify(v)}, not a JSON document`,
    );
  }
  return JSON.parse(v) as PolicyDocument;
}

function principals(trust: PolicyDocument): string[] {
  return [trust.Statement]
    .flat()
    .flatMap((s) => Object.values((s.Principal ?? {}) as Record<string, unknown>))
    .flat()
    .map(String);
}

/** One stack's roles and unit key. */
function extractStack(e: Evaluation, accountId: string, into: AccessModel): void {
  const region = evaluationRegion(e.stack);
  for (const r of e.resources) {
    const bad = UNMODELLED.find((t) => r.type.startsWith(t));
    if (bad) {
      throw new AccessModelError(
        `${e.stack}: ${r.type} ${r.name} grants access the IAM evaluation does not model: ` +
          `extend lib/iam/extract.ts before using it`,
      );
    }
  }
  const state = (r: RecordedResource) => mockState(r.type, r.name, r.inputs, region);

  // Customer managed policies by the ARN their attachments carry.
  const customer = new Map<string, NamedPolicy>();
  for (const p of e.resources.filter((r) => r.type === "aws:iam/policy:Policy")) {
    customer.set(String(state(p).arn), {
      name: p.name,
      source: "customer-managed",
      document: parseJson(p, "policy"),
    });
  }
  const managed = (arn: unknown, what: string): NamedPolicy => {
    const hit = customer.get(String(arn));
    if (hit) return hit;
    const awsName = awsManagedPolicyName(String(arn));
    if (awsName) {
      const m = awsManagedPolicy(awsName);
      return { name: awsName, source: "aws-managed", version: m.version, document: m.document };
    }
    throw new AccessModelError(`${e.stack}: ${what} attaches ${String(arn)}, which is not known`);
  };

  // Roles, and the values their policies refer to them by (role.id or role.name).
  const byRef = new Map<string, RoleModel>();
  for (const r of e.resources.filter((x) => x.type === "aws:iam/role:Role")) {
    const roleName = String(state(r).name);
    const role: RoleModel = {
      stack: e.stack,
      logicalName: r.name,
      roleName,
      arn: `arn:aws:iam::${accountId}:role/${roleName}`,
      componentType: componentTypeOf(r.urn),
      trustedBy: principals(parseJson(r, "assumeRolePolicy")),
      policies: [],
    };
    for (const p of (r.inputs.inlinePolicies as { name?: string; policy?: string }[]) ?? []) {
      if (p.policy === undefined) continue;
      role.policies.push({
        name: `${r.name}/${p.name ?? "inline"}`,
        source: "inline",
        document: JSON.parse(p.policy) as PolicyDocument,
      });
    }
    for (const arn of (r.inputs.managedPolicyArns as string[]) ?? []) {
      role.policies.push(managed(arn, `role ${r.name}`));
    }
    if (r.inputs.permissionsBoundary !== undefined) {
      role.boundary = managed(r.inputs.permissionsBoundary, `role ${r.name} (boundary)`);
    }
    byRef.set(`${r.name}-id`, role);
    byRef.set(roleName, role);
    into.roles.push(role);
  }
  const roleOf = (r: RecordedResource): RoleModel => {
    const role = byRef.get(String(r.inputs.role));
    if (!role) {
      throw new AccessModelError(
        `${e.stack}: ${r.type} ${r.name} refers to role ${String(r.inputs.role)}, not in the plan`,
      );
    }
    return role;
  };
  for (const r of e.resources.filter((x) => x.type === "aws:iam/rolePolicy:RolePolicy")) {
    roleOf(r).policies.push({ name: r.name, source: "inline", document: parseJson(r, "policy") });
  }
  for (const r of e.resources.filter(
    (x) => x.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  )) {
    roleOf(r).policies.push(managed(r.inputs.policyArn, `attachment ${r.name}`));
  }

  if (parseStackName(e.stack).role !== "region") return;
  const keys = e.resources.filter(
    (r) => r.type === "aws:kms/key:Key" && componentTypeOf(r.urn) === "livepeer-fleet:keys:Keys",
  );
  if (keys.length !== 1) {
    throw new AccessModelError(`${e.stack}: expected one unit key, found ${keys.length}`);
  }
  into.unitKeys.set(e.stack, {
    stack: e.stack,
    region,
    arn: String(state(keys[0]).arn),
    policy: parseJson(keys[0], "policy"),
  });
}

/** The access model of a set of stacks (normally every shipped stack: they share one account). */
export function extractAccessModel(
  evaluations: Evaluation[],
  accountId = MOCK_ACCOUNT_ID,
): AccessModel {
  const model: AccessModel = { accountId, roles: [], unitKeys: new Map() };
  for (const e of evaluations) extractStack(e, accountId, model);
  return model;
}
