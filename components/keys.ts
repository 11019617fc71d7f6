import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { unitKeyPolicy, type PolicyDocument } from "../lib/iam/policies";

export interface KeysArgs {
  region: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** Alias name without the `alias/` prefix, e.g. livepeer-fleet/prod-us-east-1. */
  aliasName: string;
  tags: Record<string, string>;
}

/**
 * The unit key's policy document (lib/iam/policies.ts unitKeyPolicy: no principal may use the key
 * through SSM unless its own IAM policy allows it). Exported so tests read the statements directly.
 */
export function keyPolicy(a: {
  accountId: string;
  partition: string;
  region: string;
}): PolicyDocument {
  return unitKeyPolicy(a);
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
    const child = { parent: this };

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
