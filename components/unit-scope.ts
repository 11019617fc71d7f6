import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/**
 * Where every child component of a region unit is built: the unit's regional provider, its account,
 * its key and its tags. Component Args extend this instead of redeclaring the same fields.
 */
export interface UnitScope {
  /** The unit's regional provider: every child is created through it. */
  provider: aws.Provider;
  region: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** Stack name: the value of the unit tag that IAM conditions, DLM and alarms match on. */
  unit: string;
  /** The unit's customer-managed KMS key. */
  keyArn: pulumi.Input<string>;
  /** One tags object, spread into every child. */
  tags: Record<string, string>;
}
