import * as pulumi from "@pulumi/pulumi";

/** One tags object, built once per unit and spread into every child ({ Name, ...tags }). */
export type UnitTags = Record<string, string>;

/**
 * Where every child component of a region unit is built: its region, account, key and tags.
 * Component Args extend this instead of redeclaring the same fields. The unit's regional
 * provider is not here: it reaches every child through parentage (RegionUnit is created with
 * `{ providers: [provider] }` and children take `{ parent: this }`).
 */
export interface UnitScope {
  region: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** Stack name: the value of the unit tag that IAM conditions, DLM and alarms match on. */
  unit: string;
  /** The unit's customer-managed KMS key. */
  keyArn: pulumi.Input<string>;
  /** One tags object, spread into every child. */
  tags: UnitTags;
}
