// What a stack asks of the account, read from its evaluated plan (the registrations the real
// program makes under the mock monitor), so preflight checks what will be built rather than a
// second copy of the components' logic. Pure.
import type { Evaluation, RecordedResource } from "../plan/evaluate";

export interface GroupNeed {
  /** Logical name of the Auto Scaling group. */
  name: string;
  instanceType: string;
  maxSize: number;
  /** Full AZ names of the group's subnets (`us-east-1a`). */
  azs: string[];
}

export interface HostedZoneNeed {
  /** The zone's name or id as the program refers to it. */
  name?: string;
  id?: string;
  /** Where the reference comes from (an invoke token or a record's logical name). */
  via: string;
}

export interface StackNeeds {
  /** Elastic IP addresses the stack allocates. */
  eips: number;
  groups: GroupNeed[];
  /** Public hosted zones the stack uses but does not create. */
  hostedZones: HostedZoneNeed[];
}

/** The mock monitor's ids are `<logical name>-id` (lib/plan/evaluate.ts). */
function byMockId(e: Evaluation): Map<string, RecordedResource> {
  return new Map(e.resources.map((r) => [`${r.name}-id`, r]));
}

export function stackNeeds(e: Evaluation): StackNeeds {
  const ids = byMockId(e);
  const groups: GroupNeed[] = [];
  for (const g of e.resources.filter((r) => r.type === "aws:autoscaling/group:Group")) {
    const ltId = (g.inputs.launchTemplate as { id?: string } | undefined)?.id;
    const lt = ltId ? ids.get(ltId) : undefined;
    const subnets = (g.inputs.vpcZoneIdentifiers as string[] | undefined) ?? [];
    groups.push({
      name: g.name,
      instanceType: typeof lt?.inputs.instanceType === "string" ? lt.inputs.instanceType : "?",
      maxSize: Number(g.inputs.maxSize ?? 0),
      azs: subnets
        .map((s) => ids.get(s)?.inputs.availabilityZone)
        .filter((az): az is string => typeof az === "string")
        .sort(),
    });
  }
  const zones = new Set(
    e.resources.filter((r) => r.type === "aws:route53/zone:Zone").map((z) => `${z.name}-id`),
  );
  const hostedZones: HostedZoneNeed[] = [];
  for (const i of e.invokes.filter((x) => x.token === "aws:route53/getZone:getZone")) {
    hostedZones.push({
      name: typeof i.inputs.name === "string" ? i.inputs.name : undefined,
      id: typeof i.inputs.zoneId === "string" ? i.inputs.zoneId : undefined,
      via: i.token,
    });
  }
  for (const r of e.resources.filter((x) => x.type === "aws:route53/record:Record")) {
    const zoneId = r.inputs.zoneId;
    if (typeof zoneId === "string" && !zones.has(zoneId) && !zoneId.endsWith("-id")) {
      hostedZones.push({ id: zoneId, via: r.name });
    }
  }
  return {
    eips: e.resources.filter((r) => r.type === "aws:ec2/eip:Eip").length,
    groups,
    hostedZones,
  };
}
