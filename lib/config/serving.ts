// Config of the serving path: the orchestrator tier (region stacks) and the fleet's one service
// name (fleet stack). Spread into REGION_KEYS / FLEET_KEYS by schema.ts; cross-field checks run
// from its superRefine. Pure: no Pulumi imports. docs/architecture.md explains the design.
import { z } from "zod";
import type { DerivedIssue } from "./derived";

export const SERVING_DEFAULTS = {
  /**
   * Two orchestrators: one AZ can fail (or one slot be replaced) and the region still serves.
   * More slots add discovery targets, not capacity: capacity is the transcoder pool.
   */
  orchestratorCount: 2,
  /**
   * An orchestrator relays every segment (source in from the gateway, out to a transcoder,
   * renditions back and out to the gateway) and verifies payments: its limit is network, not
   * CPU. c6in ("network optimized") has four times c6i's baseline bandwidth at each size
   * (docs.aws.amazon.com/ec2/latest/instancetypes/co.html, "Network specifications"); see
   * docs/architecture.md for the per-stream arithmetic.
   */
  orchestratorInstanceType: "c6in.large",
  /** Ubuntu, go-livepeer and its data dir (tickets DB, segment scratch). */
  orchestratorRootVolumeGiB: 30,
} as const;

const azLetter = z.string().regex(/^[a-f]$/, "expected an AZ letter a-f");

const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "expected an EC2 instance type such as c6in.large");

export const OrchestratorsSchema = z.strictObject({
  /**
   * How many orchestrator slots (one per AZ, each an ASG of one with its own Elastic IP and
   * name). Default: the number of `availabilityZones` when given, else 2; at most the number of
   * network AZs.
   */
  count: z.number().int().min(1).max(6).optional(),
  /**
   * AZ letters of the slots. Default: the first `count` letters of network.availabilityZones in
   * alphabetical order, so reordering the network's list never moves a slot.
   */
  availabilityZones: z
    .array(azLetter)
    .min(1)
    .max(6)
    .refine((l) => new Set(l).size === l.length, { message: "expected distinct AZ letters" })
    .optional(),
  /** Orchestrator instance type (CPU, network optimised). Default c6in.large. */
  instanceType: instanceType.default(SERVING_DEFAULTS.orchestratorInstanceType),
  /** Root volume GiB. Default 30. */
  rootVolumeGiB: z
    .number()
    .int()
    .min(20)
    .max(1024)
    .default(SERVING_DEFAULTS.orchestratorRootVolumeGiB),
});

const dnsName = z
  .string()
  .regex(
    /^(?=.{4,200}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "expected a lowercase DNS name such as orch.example.com (no trailing dot)",
  );

/**
 * The fleet's one public service name (fleet stack). Each region stack writes a latency-based
 * alias record for `name` to its discovery NLB, and a name per orchestrator under it.
 */
export const ServiceDnsSchema = z
  .strictObject({
    /** Route 53 public hosted zone id (Z...). */
    hostedZoneId: z
      .string()
      .regex(/^Z[A-Z0-9]{1,31}$/, "expected a Route 53 hosted zone id such as Z0123456789ABC"),
    /** The zone's domain, e.g. example.com. */
    zoneName: dnsName,
    /** The service name registered on chain, e.g. orch.example.com (inside zoneName). */
    name: dnsName,
  })
  .superRefine((v, ctx) => {
    if (v.name !== v.zoneName && !v.name.endsWith(`.${v.zoneName}`)) {
      ctx.addIssue({
        code: "custom",
        path: ["name"],
        message: `expected a name inside the zone ${v.zoneName} (e.g. orch.${v.zoneName})`,
      });
    }
  });

export type OrchestratorsConfig = z.output<typeof OrchestratorsSchema>;
export type ServiceDnsConfig = z.output<typeof ServiceDnsSchema>;

/** The slots' AZ letters: explicit, else the first `count` network AZs in alphabetical order. */
export function orchestratorAzs(
  o: Pick<OrchestratorsConfig, "count" | "availabilityZones">,
  networkAzs: readonly string[],
): string[] {
  return (
    o.availabilityZones ??
    [...networkAzs].sort().slice(0, o.count ?? SERVING_DEFAULTS.orchestratorCount)
  );
}

type Issue = DerivedIssue;

/** Cross-field checks (from the region schema's superRefine). */
export function servingIssues(c: {
  orchestrators: OrchestratorsConfig;
  network: { availabilityZones: string[] };
  nodeGroup: { availabilityZones?: string[] };
  alarms: { minHealthyTargets?: number };
}): Issue[] {
  const issues: Issue[] = [];
  const net = c.network.availabilityZones;
  const o = c.orchestrators;
  const count = o.count ?? SERVING_DEFAULTS.orchestratorCount;
  if (o.availabilityZones === undefined && count > net.length) {
    issues.push({
      path: ["orchestrators", "count"],
      message: `expected at most one orchestrator per network AZ (${net.length}: ${net.join(", ")})`,
      from: ["orchestrators.count", "network.availabilityZones"],
    });
  }
  if (o.availabilityZones !== undefined) {
    const outside = o.availabilityZones.filter((a) => !net.includes(a));
    if (outside.length > 0) {
      issues.push({
        path: ["orchestrators", "availabilityZones"],
        message: `expected letters of network.availabilityZones (${net.join(", ")}); not there: ${outside.join(", ")}`,
        from: ["orchestrators.availabilityZones", "network.availabilityZones"],
      });
    }
    if (o.count !== undefined && o.availabilityZones.length !== o.count) {
      issues.push({
        path: ["orchestrators", "count"],
        message: `expected ${o.availabilityZones.length}, the number of orchestrators.availabilityZones (or drop count)`,
        from: ["orchestrators.count", "orchestrators.availabilityZones"],
      });
    }
  }
  const slots = orchestratorAzs(o, net).length;
  const min = c.alarms.minHealthyTargets;
  if (min !== undefined && min > slots) {
    issues.push({
      path: ["alarms", "minHealthyTargets"],
      message: `expected at most the number of orchestrators (${slots}): the NLB's targets are the orchestrators`,
      from: ["alarms.minHealthyTargets", "orchestrators.count", "orchestrators.availabilityZones"],
    });
  }
  const pool = c.nodeGroup.availabilityZones;
  if (pool !== undefined) {
    const outside = pool.filter((a) => !net.includes(a));
    if (outside.length > 0) {
      issues.push({
        path: ["nodeGroup", "availabilityZones"],
        message: `expected letters of network.availabilityZones (${net.join(", ")}); not there: ${outside.join(", ")}`,
        from: ["nodeGroup.availabilityZones", "network.availabilityZones"],
      });
    }
  }
  return issues;
}
