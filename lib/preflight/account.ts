// The account checks of preflight (lib/preflight/run.ts): read-only calls through injected AWS
// SDK v3 clients (or stand-ins), each turning what the account holds into results.
import { DescribeParametersCommand } from "@aws-sdk/client-ssm";
import {
  DescribeAddressesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  type DescribeAddressesCommandOutput,
  type DescribeInstanceTypeOfferingsCommandOutput,
  type DescribeInstanceTypesCommandOutput,
} from "@aws-sdk/client-ec2";
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  type GetServiceQuotaCommandOutput,
} from "@aws-sdk/client-service-quotas";
import {
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  type ListHostedZonesByNameCommandOutput,
} from "@aws-sdk/client-route-53";
import { ARBITRUM_NODE_MINIMUM, type RegionConfig } from "../config/schema";
import { UNIT_TAG } from "../../components/chain-node";
import { unitKeyAliasName } from "../stack";
import type { Evaluation } from "../plan/evaluate";
import { requiredParameters } from "./parameters";
import { stackNeeds } from "./needs";
import type { CheckResult, PreflightClients, Sender } from "./run";

/**
 * Service Quotas codes (service code ec2), as listed by `aws service-quotas list-service-quotas
 * --service-code ec2`: the names are checked against what the API returns.
 */
export const QUOTAS = {
  elasticIps: { code: "L-0263D0A3", name: "EC2-VPC Elastic IPs" },
  gAndVtVcpus: { code: "L-DB2E81BA", name: "Running On-Demand G and VT instances" },
} as const;

/** G and VT instance families: what the "Running On-Demand G and VT instances" vCPU quota counts. */
export function isGOrVtType(instanceType: string): boolean {
  return /^(g|gr|vt)\d[a-z0-9-]*\./.test(instanceType);
}

export async function checkParameters(
  c: RegionConfig,
  homeRegion: boolean,
  stack: string,
  ssm: Sender,
): Promise<CheckResult[]> {
  const wanted = requiredParameters(c, homeRegion);
  const out = (await ssm.send(
    new DescribeParametersCommand({
      // DescribeParameters reads names, types and keys, never a value.
      ParameterFilters: [{ Key: "Name", Option: "Equals", Values: wanted.map((p) => p.name) }],
      MaxResults: 50,
    }),
  )) as { Parameters?: { Name?: string; Type?: string; KeyId?: string }[] };
  const found = new Map((out.Parameters ?? []).map((p) => [p.Name ?? "", p]));
  const alias = `alias/${unitKeyAliasName(stack)}`;
  return wanted.map((p): CheckResult => {
    const f = found.get(p.name);
    if (!f) {
      return {
        check: "ssm",
        level: "blocker",
        message: `${p.name} (${p.what}) does not exist`,
        step: p.step,
      };
    }
    if (f.Type !== "SecureString") {
      return {
        check: "ssm",
        level: "blocker",
        message: `${p.name} is a ${f.Type ?? "?"}, not a SecureString under ${alias}`,
        step: p.step,
      };
    }
    if (!f.KeyId || f.KeyId === "alias/aws/ssm") {
      return {
        check: "ssm",
        level: "blocker",
        message: `${p.name} is encrypted with the account's default key: the instances may decrypt only with ${alias}; put it again with --key-id ${alias}`,
        step: p.step,
      };
    }
    if (f.KeyId !== alias) {
      return {
        check: "ssm",
        level: "warning",
        message: `${p.name} is encrypted with ${f.KeyId}: make sure that is ${alias}, the only key the instances may decrypt with`,
      };
    }
    return { check: "ssm", level: "ok", message: `${p.name} exists (SecureString, ${alias})` };
  });
}

async function quotaValue(q: Sender, code: string, name: string): Promise<number> {
  let out: GetServiceQuotaCommandOutput;
  try {
    out = (await q.send(
      new GetServiceQuotaCommand({ ServiceCode: "ec2", QuotaCode: code }),
    )) as GetServiceQuotaCommandOutput;
  } catch (err) {
    // A quota never adjusted in the account may have only its AWS default.
    if ((err as { name?: string }).name !== "NoSuchResourceException") throw err;
    out = (await q.send(
      new GetAWSDefaultServiceQuotaCommand({ ServiceCode: "ec2", QuotaCode: code }),
    )) as GetServiceQuotaCommandOutput;
  }
  const quota = out.Quota;
  if (quota?.QuotaName !== undefined && quota.QuotaName.toLowerCase() !== name.toLowerCase()) {
    throw new Error(`quota ${code} is now "${quota.QuotaName}", not "${name}": review QUOTAS`);
  }
  if (typeof quota?.Value !== "number") throw new Error(`quota ${code} has no value`);
  return quota.Value;
}

async function instanceTypes(ec2: Sender, types: string[]) {
  const out = (await ec2.send(
    new DescribeInstanceTypesCommand({ InstanceTypes: types as never }),
  )) as DescribeInstanceTypesCommandOutput;
  return new Map(
    (out.InstanceTypes ?? []).map((t) => [
      String(t.InstanceType),
      { vcpus: t.VCpuInfo?.DefaultVCpus ?? 0, memoryMiB: t.MemoryInfo?.SizeInMiB ?? 0 },
    ]),
  );
}

const increase = (region: string, code: string, value: number) =>
  `aws service-quotas request-service-quota-increase --region ${region} --service-code ec2 --quota-code ${code} --desired-value ${value}`;

export async function checkQuotas(
  input: { stack: string; region: string; evaluation: Evaluation },
  c: PreflightClients,
): Promise<CheckResult[]> {
  const needs = stackNeeds(input.evaluation);
  const out: CheckResult[] = [];
  const eipQuota = await quotaValue(
    c.serviceQuotas,
    QUOTAS.elasticIps.code,
    QUOTAS.elasticIps.name,
  );
  const addresses = (await c.ec2.send(
    new DescribeAddressesCommand({}),
  )) as DescribeAddressesCommandOutput;
  const others = (addresses.Addresses ?? []).filter(
    (a) => !(a.Tags ?? []).some((t) => t.Key === UNIT_TAG && t.Value === input.stack),
  ).length;
  const eipLine = `${QUOTAS.elasticIps.name} (${QUOTAS.elasticIps.code}): the stack allocates ${needs.eips}, ${others} other address(es) are allocated, quota ${eipQuota}`;
  out.push(
    others + needs.eips > eipQuota
      ? {
          check: "quotas",
          level: "blocker",
          message: eipLine,
          step: "preflight",
          fix: increase(input.region, QUOTAS.elasticIps.code, others + needs.eips),
        }
      : { check: "quotas", level: "ok", message: eipLine },
  );
  const gpuGroups = needs.groups.filter((g) => isGOrVtType(g.instanceType));
  if (gpuGroups.length > 0) {
    const specs = await instanceTypes(c.ec2, [...new Set(gpuGroups.map((g) => g.instanceType))]);
    const vcpus = gpuGroups.reduce(
      (n, g) => n + g.maxSize * (specs.get(g.instanceType)?.vcpus ?? 0),
      0,
    );
    const quota = await quotaValue(
      c.serviceQuotas,
      QUOTAS.gAndVtVcpus.code,
      QUOTAS.gAndVtVcpus.name,
    );
    const line =
      `${QUOTAS.gAndVtVcpus.name} (${QUOTAS.gAndVtVcpus.code}): ` +
      gpuGroups
        .map(
          (g) =>
            `${g.name} max ${g.maxSize} x ${g.instanceType} (${specs.get(g.instanceType)?.vcpus ?? "?"} vCPUs)`,
        )
        .join(", ") +
      ` = ${vcpus} vCPUs, quota ${quota} (other G/VT instances running in the region count too)`;
    out.push(
      vcpus > quota
        ? {
            check: "quotas",
            level: "blocker",
            message: line,
            step: "preflight",
            fix: increase(input.region, QUOTAS.gAndVtVcpus.code, vcpus),
          }
        : { check: "quotas", level: "ok", message: line },
    );
  }
  return out;
}

export async function checkOfferings(
  needs: ReturnType<typeof stackNeeds>,
  ec2: Sender,
): Promise<CheckResult[]> {
  const types = [...new Set(needs.groups.map((g) => g.instanceType))];
  const azs = [...new Set(needs.groups.flatMap((g) => g.azs))];
  const out = (await ec2.send(
    new DescribeInstanceTypeOfferingsCommand({
      // Per account: AZ letters map to different physical zones in each account, so only the
      // account's own answer counts.
      LocationType: "availability-zone",
      Filters: [
        { Name: "instance-type", Values: types },
        { Name: "location", Values: azs },
      ],
    }),
  )) as DescribeInstanceTypeOfferingsCommandOutput;
  const offered = new Set(
    (out.InstanceTypeOfferings ?? []).map((o) => `${String(o.InstanceType)}@${o.Location ?? ""}`),
  );
  return needs.groups.flatMap((g) =>
    g.azs.map((az): CheckResult =>
      offered.has(`${g.instanceType}@${az}`)
        ? {
            check: "offerings",
            level: "ok",
            message: `${g.instanceType} is offered in ${az} (${g.name})`,
          }
        : {
            check: "offerings",
            level: "blocker",
            message: `${g.instanceType} is not offered in ${az} for this account (${g.name})`,
            step: "values",
            fix: "choose another instance type or AZ letters in the stack file (aws ec2 describe-instance-type-offerings --location-type availability-zone)",
          },
    ),
  );
}

export async function checkHostedZones(
  needs: ReturnType<typeof stackNeeds>,
  route53: Sender,
): Promise<CheckResult[]> {
  if (needs.hostedZones.length === 0) {
    return [
      { check: "hosted-zones", level: "ok", message: "no existing hosted zone is configured" },
    ];
  }
  const out: CheckResult[] = [];
  for (const z of needs.hostedZones) {
    const label = z.name ?? z.id ?? "?";
    try {
      if (z.id) {
        await route53.send(new GetHostedZoneCommand({ Id: z.id }));
      } else {
        const r = (await route53.send(
          new ListHostedZonesByNameCommand({ DNSName: z.name, MaxItems: 1 }),
        )) as ListHostedZonesByNameCommandOutput;
        const want = `${(z.name ?? "").replace(/\.$/, "")}.`;
        if (!(r.HostedZones ?? []).some((h) => h.Name === want)) {
          throw Object.assign(new Error(`no hosted zone ${want}`), { name: "NoSuchHostedZone" });
        }
      }
      out.push({
        check: "hosted-zones",
        level: "ok",
        message: `hosted zone ${label} exists (${z.via})`,
      });
    } catch (err) {
      if ((err as { name?: string }).name !== "NoSuchHostedZone") throw err;
      out.push({
        check: "hosted-zones",
        level: "blocker",
        message: `hosted zone ${label} (${z.via}) does not exist in this account`,
        step: "values",
        fix: "create the zone or correct its name in the stack file",
      });
    }
  }
  return out;
}

export async function checkChainNode(c: RegionConfig, ec2: Sender): Promise<CheckResult[]> {
  if (c.chainNode.client !== "nitro") return [];
  const t = c.chainNode.instanceType;
  const spec = (await instanceTypes(ec2, [t])).get(t);
  if (!spec)
    return [{ check: "chain-node", level: "unknown", message: `${t}: no instance type data` }];
  const memGiB = spec.memoryMiB / 1024;
  const ok = spec.vcpus >= ARBITRUM_NODE_MINIMUM.vcpus && memGiB >= ARBITRUM_NODE_MINIMUM.memoryGiB;
  const line = `${t}: ${spec.vcpus} vCPUs, ${memGiB} GiB; Arbitrum's minimum for a full node is ${ARBITRUM_NODE_MINIMUM.vcpus} cores and ${ARBITRUM_NODE_MINIMUM.memoryGiB} GB`;
  return [
    ok
      ? { check: "chain-node", level: "ok", message: line }
      : {
          check: "chain-node",
          level: "warning",
          message: `${line} (docs.arbitrum.io/run-arbitrum-node/start-here): Nitro will fall behind`,
        },
  ];
}
