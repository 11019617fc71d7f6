import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { SNAPSHOT_TAG, UNIT_TAG } from "./chain-node";
import { UnitScope } from "./unit-scope";
import { denyStatementsFor, type PolicyDocument, type PolicyStatement } from "../lib/iam/policies";
import type { SecretParameter } from "../lib/iam/secrets";
import { fittedName, IAM_ROLE_NAME_MAX } from "../lib/names";

export interface SnapshotsArgs extends UnitScope {
  /** UTC hour of the daily snapshot: the region's lowest-demand hour (planner), else config. */
  maintenanceHourUtc: number;
  /** Daily snapshots kept in the region. */
  retainCount: number;
  /** Optional disaster-recovery copy of every snapshot to another region, under its own key. */
  crossRegionCopy?: { region: string; kmsKeyArn: string; retainDays: number };
  /** The unit's secret parameters (lib/iam/secrets.ts): the DLM role is denied every one. */
  secrets: SecretParameter[];
}

/** Value of SNAPSHOT_TAG that opts a volume into the daily policy (chain-node.ts sets it). */
export const DAILY = "daily";

/** DLM's times are "hh:mm" UTC; the snapshot starts within the hour after (DLM's window). */
export function dailyTime(hourUtc: number): string {
  if (!Number.isInteger(hourUtc) || hourUtc < 0 || hourUtc > 23) {
    throw new Error(`maintenance hour must be an integer 0-23, got ${hourUtc}`);
  }
  return `${String(hourUtc).padStart(2, "0")}:00`;
}

/**
 * The DLM execution role's permissions: snapshot only this unit's tagged volumes, delete only
 * snapshots tagged for this unit, use only the unit key (and the copy's key) and only through EC2.
 * Narrower than AWSDataLifecycleManagerServiceRole, which allows every volume and snapshot
 * (docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSDataLifecycleManagerServiceRole.html).
 */
export function dlmRolePolicy(a: {
  partition: string;
  region: string;
  accountId: string;
  unit: string;
  keyArn: string;
  copy?: { region: string; kmsKeyArn: string };
  /** The unit's secret parameters, all denied. */
  secrets: SecretParameter[];
}): PolicyDocument {
  const ec2 = `arn:${a.partition}:ec2`;
  const regions = a.copy ? [a.region, a.copy.region] : [a.region];
  // Snapshot ARNs carry no account id: arn:aws:ec2:REGION::snapshot/ID.
  const snapshots = regions.map((r) => `${ec2}:${r}::snapshot/*`);
  const useKey = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
  ];
  const statements: PolicyStatement[] = [
    {
      Sid: "SnapshotThisUnitsVolumes",
      Effect: "Allow",
      Action: "ec2:CreateSnapshot",
      Resource: `${ec2}:${a.region}:${a.accountId}:volume/*`,
      Condition: { StringEquals: { [`aws:ResourceTag/${UNIT_TAG}`]: a.unit } },
    },
    {
      // CreateSnapshot is also authorized on the snapshot it creates, which has no tags yet.
      Sid: "CreateSnapshots",
      Effect: "Allow",
      Action: "ec2:CreateSnapshot",
      Resource: snapshots,
    },
    {
      // Tags only as part of creating (or copying) the snapshot: EC2 authorizes tags given in a
      // create call's TagSpecifications as ec2:CreateTags with ec2:CreateAction set to that call
      // (EC2 User Guide, "Grant permission to tag Amazon EC2 resources during creation"). An
      // unconditioned CreateTags would let the role stamp the unit tag on any snapshot and then
      // delete it under ExpireThisUnitsSnapshots.
      Sid: "TagSnapshotsItCreates",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: snapshots,
      Condition: {
        StringEquals: {
          "ec2:CreateAction": a.copy ? ["CreateSnapshot", "CopySnapshot"] : ["CreateSnapshot"],
        },
      },
    },
    {
      // DLM's documentation does not say whether it adds tagsToAdd in the creating call or right
      // after it; after it, the snapshot already carries this unit's tag (copyTags from the
      // volume). Re-tagging a snapshot that is already this unit's cannot make anyone else's
      // snapshot deletable.
      Sid: "RetagThisUnitsSnapshots",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: snapshots,
      Condition: { StringEquals: { [`aws:ResourceTag/${UNIT_TAG}`]: a.unit } },
    },
    {
      // Retention: only snapshots this unit's policy tagged (tagsToAdd below) can be deleted.
      Sid: "ExpireThisUnitsSnapshots",
      Effect: "Allow",
      Action: "ec2:DeleteSnapshot",
      Resource: snapshots,
      Condition: { StringEquals: { [`aws:ResourceTag/${UNIT_TAG}`]: a.unit } },
    },
    {
      // Describe calls have no resource-level permissions.
      Sid: "FindVolumesAndSnapshots",
      Effect: "Allow",
      Action: ["ec2:DescribeVolumes", "ec2:DescribeSnapshots", "ec2:DescribeInstances"],
      Resource: "*",
    },
    {
      // DLM needs the source key for encrypted volumes, and the destination key for copies
      // (docs.aws.amazon.com/ebs/latest/userguide/dlm-prerequisites.html, "Permissions for encryption").
      Sid: "UseUnitKeyThroughEc2",
      Effect: "Allow",
      Action: useKey,
      Resource: a.keyArn,
      Condition: { StringEquals: { "kms:ViaService": `ec2.${a.region}.amazonaws.com` } },
    },
    {
      Sid: "GrantUnitKeyToEbs",
      Effect: "Allow",
      Action: "kms:CreateGrant",
      Resource: a.keyArn,
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
  ];
  if (a.copy) {
    statements.push(
      {
        Sid: "CopyToRecoveryRegion",
        Effect: "Allow",
        Action: "ec2:CopySnapshot",
        Resource: snapshots,
      },
      {
        Sid: "UseCopyKeyThroughEc2",
        Effect: "Allow",
        Action: useKey,
        Resource: a.copy.kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `ec2.${a.copy.region}.amazonaws.com` } },
      },
      {
        Sid: "GrantCopyKeyToEbs",
        Effect: "Allow",
        Action: "kms:CreateGrant",
        Resource: a.copy.kmsKeyArn,
        Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
    );
  }
  // DLM never reads a parameter: explicit denies, so no later grant can change that.
  statements.push(
    ...denyStatementsFor({
      partition: a.partition,
      accountId: a.accountId,
      region: a.region,
      kind: "snapshots",
      home: false,
      secrets: a.secrets,
    }),
  );
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * Daily EBS snapshots of the unit's tagged volumes (the chain data volume), at the maintenance
 * hour, kept `retainCount` days, encrypted with the unit key (a CMK volume's snapshots always are),
 * optionally copied to a recovery region under that region's key. Restores: docs/monitoring.md.
 */
export class Snapshots extends pulumi.ComponentResource {
  public readonly role: aws.iam.Role;
  public readonly policy: aws.dlm.LifecyclePolicy;
  /** DLM's policy id (policy-...): the DLMPolicyId dimension of its AWS/EBS metrics. */
  public readonly policyId: pulumi.Output<string>;

  constructor(name: string, args: SnapshotsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:snapshots:Snapshots", name, {}, opts);
    const child = { parent: this };
    const copy = args.crossRegionCopy;

    this.role = new aws.iam.Role(
      `${name}-dlm-role`,
      {
        // Auto-named unless that name would pass IAM's 64 characters (long fleet and region names).
        name: fittedName(`${name}-dlm-role`, IAM_ROLE_NAME_MAX),
        description: `Data Lifecycle Manager for ${args.unit}'s volumes`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "dlm.amazonaws.com" },
              Action: "sts:AssumeRole",
              // No aws:SourceAccount condition: DLM's documentation does not say it sets one when
              // assuming its role, and a condition it does not meet would stop every snapshot.
            },
          ],
        }),
        tags: { ...args.tags, Name: `${name}-dlm-role` },
      },
      child,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-dlm`,
      {
        role: this.role.id,
        policy: pulumi
          .all([args.partition, args.accountId, args.keyArn])
          .apply(([partition, accountId, keyArn]) =>
            JSON.stringify(
              dlmRolePolicy({
                partition,
                region: args.region,
                accountId,
                unit: args.unit,
                keyArn,
                copy,
                secrets: args.secrets,
              }),
            ),
          ),
      },
      child,
    );

    const unitTags = { [UNIT_TAG]: args.unit, [SNAPSHOT_TAG]: DAILY };
    this.policy = new aws.dlm.LifecyclePolicy(
      `${name}-policy`,
      {
        // DLM accepts only [0-9A-Za-z _-] in a description (dlm PolicyDescription): no apostrophe.
        description: `Daily snapshots of ${args.unit} chain data`,
        executionRoleArn: this.role.arn,
        state: "ENABLED",
        policyDetails: {
          policyType: "EBS_SNAPSHOT_MANAGEMENT",
          resourceTypes: ["VOLUME"],
          targetTags: unitTags,
          schedules: [
            {
              name: "daily",
              createRule: {
                interval: 24,
                intervalUnit: "HOURS",
                times: dailyTime(args.maintenanceHourUtc),
              },
              retainRule: { count: args.retainCount },
              // The volume's tags (unit, role) travel with the snapshot: a restore finds it by them,
              // and the DLM role may delete it only because it carries the unit tag.
              copyTags: true,
              tagsToAdd: { ...unitTags, "livepeer-fleet:snapshot-policy": name },
              crossRegionCopyRules: copy
                ? [
                    {
                      target: copy.region,
                      encrypted: true,
                      cmkArn: copy.kmsKeyArn,
                      copyTags: true,
                      retainRule: { interval: copy.retainDays, intervalUnit: "DAYS" },
                    },
                  ]
                : undefined,
            },
          ],
        },
        tags: { ...args.tags, Name: `${name}-policy` },
      },
      // The role's permissions must exist before DLM first assumes it.
      { ...child, dependsOn: [rolePolicy] },
    );
    this.policyId = this.policy.id;
    this.registerOutputs({ policyId: this.policyId, roleArn: this.role.arn });
  }
}
