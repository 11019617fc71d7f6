// IAM and KMS policy documents for who may read the unit's secrets. Pure: components render them
// into aws.iam.Policy / RolePolicy / the key policy; test/iam-policies.test.ts and the access
// evaluation (test/iam-access.test.ts) decide them with an IAM evaluation engine.
//
// How SSM reads a SecureString (AWS KMS Developer Guide, "How AWS Systems Manager Parameter Store
// uses AWS KMS", services-parameter-store.md): GetParameter with WithDecryption makes Parameter
// Store call kms:Decrypt on the caller's behalf, so the caller's own IAM policy and the key policy
// both decide; the call carries kms:ViaService = ssm.<region>.amazonaws.com and the encryption
// context PARAMETER_ARN = the parameter's ARN ("Parameter Store encryption context"). A grant
// below therefore needs ssm:GetParameter on the parameter AND kms:Decrypt on the unit key through
// SSM for exactly that PARAMETER_ARN; a deny needs either.
import { type KeyRole, keyMaterialSuffixes } from "../identity/names";
import { intendedReaders, type RoleKind, type SecretParameter } from "./secrets";

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement,
});

/** The AWS managed policy the Session Manager grant is derived from, and its version. */
export const SSM_CORE_SOURCE = { name: "AmazonSSMManagedInstanceCore", version: "v2" } as const;

/**
 * AmazonSSMManagedInstanceCore v2 (AWS Managed Policy Reference, "AmazonSSMManagedInstanceCore",
 * default version v2, edited 2019-05-23), statement by statement, without its parameter reads
 * (ssm:GetParameter, ssm:GetParameters on `*`): with them any process on an instance could read
 * every parameter of the account that its decrypt rights reach. The agent uses the rest for
 * registration, associations, inventory and Run Command (ec2messages) and Session Manager's
 * channels (ssmmessages). test/iam-policies.test.ts compares this with the real document.
 */
export const SSM_CORE_WITHOUT_PARAMETER_READS: readonly { sid: string; actions: string[] }[] = [
  {
    sid: "SystemsManagerAgent",
    actions: [
      "ssm:DescribeAssociation",
      "ssm:GetDeployablePatchSnapshotForInstance",
      "ssm:GetDocument",
      "ssm:DescribeDocument",
      "ssm:GetManifest",
      "ssm:ListAssociations",
      "ssm:ListInstanceAssociations",
      "ssm:PutInventory",
      "ssm:PutComplianceItems",
      "ssm:PutConfigurePackageResult",
      "ssm:UpdateAssociationStatus",
      "ssm:UpdateInstanceAssociationStatus",
      "ssm:UpdateInstanceInformation",
    ],
  },
  {
    sid: "SessionManagerChannels",
    actions: [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ],
  },
  {
    sid: "RunCommandMessages",
    actions: [
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ],
  },
];

/**
 * What an instance needs for Session Manager and Run Command (the nightly chain restart), in
 * place of AmazonSSMManagedInstanceCore: the same actions minus every parameter read. None of
 * these actions has resource-level permissions, hence `*` (as in the managed policy).
 */
export function sessionManagerPolicy(): PolicyDocument {
  return doc(
    ...SSM_CORE_WITHOUT_PARAMETER_READS.map((s): PolicyStatement => ({
      Sid: s.sid,
      Effect: "Allow",
      Action: [...s.actions],
      Resource: "*",
    })),
  );
}

const parameterArn = (a: { partition: string; region: string; accountId: string }, name: string) =>
  `arn:${a.partition}:ssm:${a.region}:${a.accountId}:parameter${name}`;

/**
 * Read exactly `names` (SecureStrings under the unit key): GetParameter on them and kms:Decrypt
 * only through SSM and only for their PARAMETER_ARN encryption context, so the decrypt right
 * cannot be used for any other SecureString under the same key.
 */
export function secretReadPolicy(a: {
  partition: string;
  region: string;
  accountId: string;
  keyArn: string;
  names: string[];
  /** Statement id stem, e.g. "RedeemerIdentity": ReadRedeemerIdentity, DecryptRedeemerIdentity. */
  sid: string;
}): PolicyDocument {
  if (a.names.length === 0) throw new Error("secretReadPolicy: no parameter names");
  const arns = a.names.map((n) => parameterArn(a, n));
  return doc(
    { Sid: `Read${a.sid}`, Effect: "Allow", Action: "ssm:GetParameter", Resource: arns },
    {
      Sid: `Decrypt${a.sid}ThroughSsm`,
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: a.keyArn,
      Condition: {
        StringEquals: {
          "kms:ViaService": `ssm.${a.region}.amazonaws.com`,
          "kms:EncryptionContext:PARAMETER_ARN": arns,
        },
      },
    },
  );
}

/** What a role that must never read some secrets is denied. */
export interface DenyTargets {
  /** Key material of these accounts, in every unit and region of the account. */
  keyRoles?: KeyRole[];
  /** Further name suffixes, in every unit and region (e.g. "/orch-secret"). */
  suffixes?: string[];
  /** Exact parameter names of one unit (configurable names such as hosted RPC URLs). */
  unit?: { region: string; names: string[] };
}

/**
 * Explicit denies: an allow added later (a managed policy, a wildcard) cannot override them. The
 * suffix patterns hold in every region and unit (IAM roles are global, and a unit's prefix is
 * configurable, its suffixes are not). Path reads are denied outright: one recursive
 * GetParametersByPath on a prefix would return every secret beneath it, and no role of the
 * project reads by path.
 */
export function denySecretReads(a: {
  partition: string;
  accountId: string;
  targets: DenyTargets;
}): PolicyStatement[] {
  const t = a.targets;
  const suffixes = [
    ...(t.keyRoles ?? []).flatMap((r) => keyMaterialSuffixes(r)),
    ...(t.suffixes ?? []),
  ];
  const arns = [
    ...suffixes.map((s) => `arn:${a.partition}:ssm:*:${a.accountId}:parameter/*${s}`),
    ...(t.unit?.names ?? []).map((n) => parameterArn({ ...a, region: t.unit!.region }, n)),
  ];
  if (arns.length === 0) throw new Error("denySecretReads: nothing to deny");
  return [
    {
      Sid: "NeverReadSecretParameters",
      Effect: "Deny",
      Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"],
      Resource: arns,
    },
    {
      Sid: "NoParameterPathReads",
      Effect: "Deny",
      Action: "ssm:GetParametersByPath",
      Resource: "*",
    },
    {
      // Whichever way a decrypt of these values were attempted (through SSM, or directly on a
      // ciphertext from GetParameter without decryption), its encryption context names them.
      Sid: "NeverDecryptSecretParameters",
      Effect: "Deny",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringLike: { "kms:EncryptionContext:PARAMETER_ARN": arns } },
    },
  ];
}

/**
 * The denies a role of `kind` in a unit carries, derived from the intended readers
 * (lib/iam/secrets.ts): each of the unit's secrets it is not meant to read, by exact name, and the
 * same secret in every unit by its name suffix, unless the kind reads that suffix somewhere (a
 * chain node reads its own unit's redeemer key: other units' redeemer keys are kept from it by its
 * allows, which name its unit's parameters and key only, not by a deny).
 */
export function denyStatementsFor(a: {
  partition: string;
  accountId: string;
  region: string;
  kind: RoleKind;
  /** The unit is the fleet's home region. */
  home: boolean;
  secrets: SecretParameter[];
}): PolicyStatement[] {
  const reads = (s: SecretParameter) => intendedReaders(s, a.home).includes(a.kind);
  // Suffixes the kind reads somewhere (home or not): never denied fleet-wide.
  const ownSuffixes = new Set(
    a.secrets.filter((s) => s.readers.includes(a.kind)).map((s) => s.suffix),
  );
  const denied = a.secrets.filter((s) => !reads(s));
  if (denied.length === 0) return [];
  return denySecretReads({
    partition: a.partition,
    accountId: a.accountId,
    targets: {
      suffixes: [...new Set(denied.map((s) => s.suffix).filter((x) => !ownSuffixes.has(x)))],
      unit: { region: a.region, names: denied.map((s) => s.name) },
    },
  });
}

/** denySecretReads as a whole policy document. */
export function denySecretReadsPolicy(a: {
  partition: string;
  accountId: string;
  targets: DenyTargets;
}): PolicyDocument {
  return doc(...denySecretReads(a));
}

/** The CloudWatch namespace each role kind publishes to (lib/runtime-contract.ts, its one home). */
export { ROLE_METRIC_NAMESPACES } from "../runtime-contract";

/**
 * cloudwatch:PutMetricData into one namespace. A metric put names no resource (the action's only
 * resource type is the optional OTLP dataset), so the cloudwatch:namespace condition key is what
 * scopes it (Service Authorization Reference, Amazon CloudWatch). StringEquals: a prefix match
 * would let LivepeerFleet/Chain publish to LivepeerFleet/ChainX.
 */
export function putMetricDataStatement(namespace: string): PolicyStatement {
  return {
    Sid: "PublishOwnNamespace",
    Effect: "Allow",
    Action: "cloudwatch:PutMetricData",
    Resource: "*",
    Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
  };
}

const KEY_USE = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:DescribeKey",
];

/**
 * The unit key's policy. Nothing here lets a principal use the key through SSM: every SecureString
 * reader gets kms:Decrypt from its own IAM policy (secretReadPolicy), which the first statement
 * makes effective. That statement is KMS's default one ("Allows access to the AWS account and
 * enables IAM policies", KMS Developer Guide key-policy-default.md): without it IAM policies that
 * allow use of the key are ineffective and the key becomes unmanageable.
 *
 * Why not name the reading roles here instead: a grant in two places (key policy and IAM) that
 * must agree, and a key that would have to be created after every role that reads through it
 * (the roles' own policies need the key's ARN). Why not a dedicated key for SecureStrings: with
 * the account statement IAM decides who decrypts either way, so a second key per unit would add
 * rotation, protection and an alias without changing who can read. The property that matters is
 * what the access evaluation proves: no role can decrypt a SecureString through SSM unless its own
 * IAM policy allows exactly that parameter.
 *
 * EBS keeps working: any principal of the account may use the key through EC2 only (the aws/ebs
 * key's pattern: volumes, root disks, snapshots, restores), Auto Scaling's service-linked role
 * launches instances with encrypted disks, DLM, CloudWatch Logs and alarms to the encrypted SNS
 * topic keep their statements.
 */
export function unitKeyPolicy(a: {
  accountId: string;
  partition: string;
  region: string;
}): PolicyDocument {
  const root = `arn:${a.partition}:iam::${a.accountId}:root`;
  const inAccount = { "kms:CallerAccount": a.accountId };
  return doc(
    {
      // The account administers the key through IAM, and IAM policies grant its use.
      Sid: "AccountAdministersThroughIam",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: "kms:*",
      Resource: "*",
    },
    {
      // EBS (volumes, root disks, snapshots, DLM's copies): any principal of this account, but
      // only through EC2 in this region.
      Sid: "UseThroughEc2",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: [...KEY_USE, "kms:CreateGrant"],
      Resource: "*",
      Condition: {
        StringEquals: { ...inAccount, "kms:ViaService": `ec2.${a.region}.amazonaws.com` },
      },
    },
    {
      // EC2 Auto Scaling launches instances with CMK-encrypted disks through its service-linked
      // role; without this every launch fails with Client.InvalidKMSKey.InvalidState. Matched
      // by ARN condition so the policy is valid before the role exists in a fresh account.
      Sid: "AutoScalingServiceLinkedRole",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: [...KEY_USE, "kms:CreateGrant"],
      Resource: "*",
      Condition: {
        StringEquals: inAccount,
        ArnLike: {
          "aws:PrincipalArn": `arn:${a.partition}:iam::${a.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
        },
      },
    },
    {
      // Data Lifecycle Manager copies and shares encrypted snapshots as its own service.
      Sid: "DataLifecycleManager",
      Effect: "Allow",
      Principal: { Service: "dlm.amazonaws.com" },
      Action: [...KEY_USE, "kms:CreateGrant"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": a.accountId } },
    },
    {
      Sid: "CloudWatchLogs",
      Effect: "Allow",
      Principal: { Service: `logs.${a.region}.amazonaws.com` },
      Action: KEY_USE,
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": `arn:${a.partition}:logs:${a.region}:${a.accountId}:*`,
        },
      },
    },
    {
      // Alarms publish to the unit's encrypted SNS topic.
      Sid: "CloudWatchAlarmsToEncryptedSns",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": a.accountId } },
    },
  );
}

/**
 * What a node's Prometheus agent needs to write into the fleet's AMP workspace: aps:RemoteWrite
 * on that workspace alone (the action's only resource type is `workspace`: Service Authorization
 * Reference, Amazon Managed Service for Prometheus). No query, no other workspace, no admin API.
 */
export function remoteWriteStatement(workspaceArn: string): PolicyStatement {
  return {
    Sid: "RemoteWriteFleetMetrics",
    Effect: "Allow",
    Action: "aps:RemoteWrite",
    Resource: workspaceArn,
  };
}
