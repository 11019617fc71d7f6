// AWS list prices the monthly cost estimate uses for everything that is not a transcoding node
// (nodes are priced by the capacity model in Pulumi.yaml). On-demand, Linux, USD, excluding tax,
// usage-based charges (data processed, LCUs, traffic) and any Savings Plan. Each table: a
// `default` (the us-east-1 list price) and the regions whose own list price is recorded. Sources
// and the date they were read are in docs/sizing.md; a region missing here is priced at the
// default and the plan says so.
import type { CapacityModel } from "../config/sizing-schema";

/** AWS bills a month as 730 hours (its pricing pages' convention). */
export const HOURS_PER_MONTH = 730;

export interface RegionalPrice {
  default: number;
  [region: string]: number;
}

export interface Priced {
  usd: number;
  /** "region" when the region's own list price is recorded, "default" otherwise. */
  basis: "region" | "default";
}

export function priceIn(table: RegionalPrice, region: string): Priced {
  const own = table[region];
  return own !== undefined
    ? { usd: own, basis: "region" }
    : { usd: table.default, basis: "default" };
}

/** https://aws.amazon.com/elasticloadbalancing/pricing/ (Network Load Balancer, per hour). */
export const NLB_HOURLY: RegionalPrice = {
  default: 0.0225,
  "us-east-1": 0.0225,
  "eu-west-1": 0.0252,
};

/** https://aws.amazon.com/vpc/pricing/ (NAT gateway, per hour; per-GB processing excluded). */
export const NAT_HOURLY: RegionalPrice = { default: 0.045, "us-east-1": 0.045, "eu-west-1": 0.048 };

/** https://aws.amazon.com/vpc/pricing/ (public IPv4 address, per hour, every region, since 2024-02). */
export const PUBLIC_IPV4_HOURLY: RegionalPrice = { default: 0.005 };

/** https://aws.amazon.com/ebs/pricing/ gp3: storage per GiB-month. */
export const GP3_GIB_MONTH: RegionalPrice = {
  default: 0.08,
  "us-east-1": 0.08,
  "eu-west-1": 0.088,
};
/** gp3 IOPS above the free 3,000, per IOPS-month. */
export const GP3_IOPS_MONTH: RegionalPrice = {
  default: 0.005,
  "us-east-1": 0.005,
  "eu-west-1": 0.0055,
};
/** gp3 throughput above the free 125 MiB/s, per MiB/s-month. */
export const GP3_THROUGHPUT_MONTH: RegionalPrice = {
  default: 0.04,
  "us-east-1": 0.04,
  "eu-west-1": 0.044,
};
export const GP3_FREE_IOPS = 3000;
export const GP3_FREE_THROUGHPUT = 125;

/**
 * Instance types that are not transcoding nodes (the chain node), per hour.
 * https://aws.amazon.com/ec2/pricing/on-demand/
 */
export const INSTANCE_HOURLY: Record<string, RegionalPrice> = {
  // The orchestrators' default (lib/config/serving.ts) and its next size up.
  "c6in.large": { default: 0.1134, "us-east-1": 0.1134 },
  "c6in.xlarge": { default: 0.2268, "us-east-1": 0.2268 },
  "r7i.2xlarge": { default: 0.5292, "us-east-1": 0.5292 },
  "r7i.4xlarge": { default: 1.0584, "us-east-1": 1.0584 },
  "m7i.xlarge": { default: 0.2016, "us-east-1": 0.2016 },
  "m7i.2xlarge": { default: 0.4032, "us-east-1": 0.4032 },
  "m6i.xlarge": { default: 0.192, "us-east-1": 0.192, "eu-west-1": 0.214 },
  "m6i.2xlarge": { default: 0.384, "us-east-1": 0.384, "eu-west-1": 0.428 },
};

/**
 * vCPUs and memory of the chain node types above (AWS's instance type pages: M7i, R7i), so the
 * chain node default can be held to Arbitrum's published minimum offline; preflight asks EC2
 * (DescribeInstanceTypes) for whatever type a stack sets.
 */
export const INSTANCE_SPECS: Record<string, { vcpus: number; memoryGiB: number }> = {
  "r7i.2xlarge": { vcpus: 8, memoryGiB: 64 },
  "r7i.4xlarge": { vcpus: 16, memoryGiB: 128 },
  "m7i.xlarge": { vcpus: 4, memoryGiB: 16 },
  "m7i.2xlarge": { vcpus: 8, memoryGiB: 32 },
  "m6i.xlarge": { vcpus: 4, memoryGiB: 16 },
  "m6i.2xlarge": { vcpus: 8, memoryGiB: 32 },
};

/**
 * Spot as a fraction of the on-demand price, for the plan's "with spot" cost and the bench: an
 * estimate, not a price (spot prices move by pool and hour; AWS publishes their history, not a
 * list price). Re-check with `aws ec2 describe-spot-price-history` before relying on it.
 */
export const SPOT_PRICE_FRACTION_ESTIMATE = 0.4;

/** An instance type's hourly price: the capacity model first (nodes), then INSTANCE_HOURLY. */
export function instanceHourly(
  instanceType: string,
  region: string,
  model: CapacityModel,
): Priced | undefined {
  const fromModel = model[instanceType]?.hourlyUsd;
  if (fromModel) return priceIn(fromModel as RegionalPrice, region);
  const known = INSTANCE_HOURLY[instanceType];
  return known ? priceIn(known, region) : undefined;
}

/** Monthly gp3 cost of one volume. */
export function gp3Monthly(
  region: string,
  v: { sizeGiB: number; iops?: number; throughputMiBps?: number },
): number {
  const extraIops = Math.max(0, (v.iops ?? GP3_FREE_IOPS) - GP3_FREE_IOPS);
  const extraTput = Math.max(0, (v.throughputMiBps ?? GP3_FREE_THROUGHPUT) - GP3_FREE_THROUGHPUT);
  return (
    v.sizeGiB * priceIn(GP3_GIB_MONTH, region).usd +
    extraIops * priceIn(GP3_IOPS_MONTH, region).usd +
    extraTput * priceIn(GP3_THROUGHPUT_MONTH, region).usd
  );
}

/**
 * Data transfer out from EC2 to the internet, per GB, by monthly volume tier
 * (https://aws.amazon.com/ec2/pricing/on-demand/, "Data Transfer"): the region's first 10 TB at
 * the highest rate, then cheaper tiers. The account's free allowance (100 GB a month across
 * regions) is left out. Regions not listed are priced at us-east-1's tiers and the plan says so.
 */
export interface EgressTier {
  /** Upper bound of the tier in GB per month (cumulative); Infinity for the last. */
  upToGb: number;
  usdPerGb: number;
}
const US_EU_EGRESS: EgressTier[] = [
  { upToGb: 10_240, usdPerGb: 0.09 },
  { upToGb: 51_200, usdPerGb: 0.085 },
  { upToGb: 153_600, usdPerGb: 0.07 },
  { upToGb: Infinity, usdPerGb: 0.05 },
];
export const INTERNET_EGRESS: Record<string, EgressTier[]> = {
  default: US_EU_EGRESS,
  "us-east-1": US_EU_EGRESS,
  "eu-west-1": US_EU_EGRESS,
};

/** The region's egress tiers and whether they are its own (or us-east-1's by default). */
export function egressTiers(region: string): { tiers: EgressTier[]; basis: Priced["basis"] } {
  return Object.hasOwn(INTERNET_EGRESS, region)
    ? { tiers: INTERNET_EGRESS[region], basis: "region" }
    : { tiers: INTERNET_EGRESS.default, basis: "default" };
}

/** Monthly cost of `gb` GB out to the internet under tiered pricing. */
export function egressMonthly(gb: number, tiers: readonly EgressTier[]): number {
  let rest = gb;
  let from = 0;
  let usd = 0;
  for (const t of tiers) {
    const inTier = Math.min(rest, t.upToGb - from);
    if (inTier <= 0) break;
    usd += inTier * t.usdPerGb;
    rest -= inTier;
    from = t.upToGb;
  }
  return usd;
}

/**
 * Data crossing AZs inside a region: $0.01 per GB in each direction, i.e. charged once leaving
 * one AZ and once entering the other (https://aws.amazon.com/ec2/pricing/on-demand/, "Data
 * Transfer within the same AWS Region").
 */
export const CROSS_AZ_USD_PER_GB_EACH_WAY = 0.01;
