import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface KeysArgs {
  provider: aws.Provider;
  region: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** Alias name without the `alias/` prefix, e.g. livepeer-fleet/prod-us-east-1. */
  aliasName: string;
  tags: Record<string, string>;
}

/** The services that encrypt with the unit's key on the caller's behalf (kms:ViaService). */
export function viaServices(region: string): string[] {
  return [`ec2.${region}.amazonaws.com`, `ssm.${region}.amazonaws.com`];
}

/** The unit key's policy document. Exported so tests read the statements directly. */
export function keyPolicy(a: {
  accountId: string;
  partition: string;
  region: string;
}): Record<string, unknown> {
  const root = `arn:${a.partition}:iam::${a.accountId}:root`;
  const inAccount = { "kms:CallerAccount": a.accountId };
  const useActions = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
  ];
  return {
    Version: "2012-10-17",
    Statement: [
      {
        // The account administers the key through IAM; without this the key is unmanageable.
        Sid: "AccountAdministersThroughIam",
        Effect: "Allow",
        Principal: { AWS: root },
        Action: "kms:*",
        Resource: "*",
      },
      {
        // EBS (volumes, root disks, snapshots, DLM's copies) and SSM SecureStrings: any principal
        // of this account, but only through those services (the aws/ebs key's own pattern).
        Sid: "UseThroughEc2AndSsm",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [...useActions, "kms:CreateGrant"],
        Resource: "*",
        Condition: {
          StringEquals: { ...inAccount, "kms:ViaService": viaServices(a.region) },
        },
      },
      {
        // EC2 Auto Scaling launches instances with CMK-encrypted disks through its service-linked
        // role; without this every launch fails with Client.InvalidKMSKey.InvalidState. Matched
        // by ARN condition so the policy is valid before the role exists in a fresh account.
        Sid: "AutoScalingServiceLinkedRole",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [...useActions, "kms:CreateGrant"],
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
        Action: [...useActions, "kms:CreateGrant"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": a.accountId } },
      },
      {
        Sid: "CloudWatchLogs",
        Effect: "Allow",
        Principal: { Service: `logs.${a.region}.amazonaws.com` },
        Action: useActions,
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
    ],
  };
}

/**
 * The region unit's customer-managed KMS key: every volume, root disk, snapshot, SecureString and
 * log group of the unit is encrypted with it. Rotation on; protected from `pulumi destroy`, and
 * retained in AWS if Pulumi ever deletes it.
 */
export class Keys extends pulumi.ComponentResource {
  public readonly key: aws.kms.Key;
  public readonly keyArn: pulumi.Output<string>;
  public readonly keyId: pulumi.Output<string>;
  public readonly aliasName: string;

  constructor(name: string, args: KeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:keys:Keys", name, {}, opts);
    const child = { parent: this, provider: args.provider };

    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `livepeer-fleet region unit key (${args.aliasName})`,
        enableKeyRotation: true,
        // The longest window: a scheduled deletion of this key would make every volume and
        // snapshot of the unit unreadable, so leave the most time to cancel it.
        deletionWindowInDays: 30,
        policy: pulumi
          .all([args.accountId, args.partition])
          .apply(([accountId, partition]) =>
            JSON.stringify(keyPolicy({ accountId, partition, region: args.region })),
          ),
        tags: { ...args.tags, Name: `${name}-key` },
      },
      // protect stops `pulumi destroy`; retainOnDelete keeps the key in AWS even when it is
      // removed from the program or its protection is lifted: volumes and snapshots encrypted
      // with it must stay readable.
      { ...child, protect: true, retainOnDelete: true },
    );
    new aws.kms.Alias(
      `${name}-alias`,
      { name: `alias/${args.aliasName}`, targetKeyId: this.key.keyId },
      child,
    );
    this.keyArn = this.key.arn;
    this.keyId = this.key.keyId;
    this.aliasName = `alias/${args.aliasName}`;
    this.registerOutputs({ keyArn: this.keyArn, alias: this.aliasName });
  }
}
