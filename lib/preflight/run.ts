// Preflight: everything a region stack's first `pulumi up` needs that the program itself cannot
// see, checked read-only before it runs. Offline checks (pins and example values, AWS's API models)
// always run; the account checks (SSM parameters, quotas, instance type offerings, hosted zones)
// use injected AWS SDK v3 clients, and without them (offline, no credentials) say they could not
// check. Each blocker carries the deploy step (lib/ops/deploy-order.ts) whose commands fix it.
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
import { ARBITRUM_NODE_MINIMUM, type FleetConfig, type RegionConfig } from "../config/schema";
import { deployBlockers, fleetDeployBlockers, type DeployBlocker } from "../runtime/releases";
import { UNIT_TAG } from "../../components/chain-node";
import { stackFileName, unitKeyAliasName } from "../stack";
import type { Evaluation } from "../plan/evaluate";
import { BotocoreModels } from "../checks/botocore";
import { checkEvaluation, formatFinding } from "../checks/api-models";
import { DEPLOY_ORDER, type DeployContext, type DeployStepId } from "../ops/deploy-order";
import { requiredParameters } from "./parameters";
import { stackNeeds } from "./needs";

export type Level = "ok" | "blocker" | "unknown" | "warning";

export interface CheckResult {
  /** Which check: values, api-models, ssm, quotas, offerings, hosted-zones, chain-node. */
  check: string;
  level: Level;
  message: string;
  /** The deploy step whose commands fix a blocker (also the order blockers are listed in). */
  step?: DeployStepId;
  /** A specific fix where the step's commands are not it (a quota increase, an edit). */
  fix?: string;
}

/** A client the checks send read-only commands to: AWS SDK v3 clients, or stand-ins in tests. */
export interface Sender {
  send(command: object): Promise<unknown>;
}

export interface PreflightClients {
  ssm: Sender;
  ec2: Sender;
  serviceQuotas: Sender;
  route53: Sender;
}

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

export interface PreflightInput {
  stack: string;
  region?: string;
  /** Region stacks: config and plan; fleet stacks: config only. */
  regionConfig?: RegionConfig;
  fleetConfig?: FleetConfig;
  evaluation?: Evaluation;
  /** Undefined: offline. */
  clients?: PreflightClients;
  /** The AWS API models, when python3-botocore is installed. */
  models?: BotocoreModels;
}

function awsError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(err)}`;
}

/** A config blocker: set in the stack file (step "values"); AMI pins by `npm run amis`. */
function valuesBlocker(b: DeployBlocker, stack: string): CheckResult {
  return {
    check: "values",
    level: "blocker",
    message: `${b.keyPath}: ${b.message}`,
    step: "values",
    fix: b.keyPath.includes(":amis.")
      ? `npm run amis -- --stack ${stack} --write`
      : `set ${b.keyPath} in ${stackFileName(stack)} (docs/config.md)`,
  };
}

async function checkParameters(
  c: RegionConfig,
  stack: string,
  ssm: Sender,
): Promise<CheckResult[]> {
  const wanted = requiredParameters(c);
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

async function checkQuotas(
  input: PreflightInput & { region: string; evaluation: Evaluation },
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

async function checkOfferings(
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

async function checkHostedZones(
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

async function checkChainNode(c: RegionConfig, ec2: Sender): Promise<CheckResult[]> {
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

/** One account check, its errors (credentials, network, throttling) reported as "could not check". */
async function guarded(check: string, run: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await run();
  } catch (err) {
    return [{ check, level: "unknown", message: `could not check: ${awsError(err)}` }];
  }
}

export async function preflight(input: PreflightInput): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (input.fleetConfig) {
    results.push(
      ...fleetDeployBlockers(input.fleetConfig, input.stack).map((b) =>
        valuesBlocker(b, input.stack),
      ),
    );
    return results.length > 0
      ? results
      : [{ check: "values", level: "ok", message: "no example values left" }];
  }
  const c = input.regionConfig;
  if (!c || !input.region)
    throw new Error("preflight of a region stack needs its config and region");
  const blockers = deployBlockers(c, input.stack);
  results.push(
    ...(blockers.length > 0
      ? blockers.map((b) => valuesBlocker(b, input.stack))
      : [{ check: "values", level: "ok" as const, message: "pins set, example values replaced" }]),
  );
  if (input.evaluation && input.models?.available()) {
    const findings = checkEvaluation(input.evaluation, input.models);
    results.push(
      ...(findings.length > 0
        ? findings.map((f): CheckResult => ({
            check: "api-models",
            level: "blocker",
            message: formatFinding(f),
            step: "values",
            fix: "shorten the name or fix the value the finding names; AWS would refuse it",
          }))
        : [
            {
              check: "api-models",
              level: "ok" as const,
              message: "every name, description and tag fits AWS's API models",
            },
          ]),
    );
  } else {
    results.push({
      check: "api-models",
      level: "warning",
      message: "skipped: AWS's API models are not installed (apt-get install python3-botocore)",
    });
  }
  const clients = input.clients;
  if (!clients || !input.evaluation) {
    results.push({
      check: "account",
      level: "unknown",
      message:
        "offline: SSM parameters, quotas, instance type offerings and hosted zones not checked",
    });
    return results;
  }
  const e = input.evaluation;
  const needs = stackNeeds(e);
  const region = input.region;
  results.push(...(await guarded("ssm", () => checkParameters(c, input.stack, clients.ssm))));
  results.push(
    ...(await guarded("quotas", () => checkQuotas({ ...input, region, evaluation: e }, clients))),
  );
  results.push(...(await guarded("offerings", () => checkOfferings(needs, clients.ec2))));
  results.push(...(await guarded("hosted-zones", () => checkHostedZones(needs, clients.route53))));
  results.push(...(await guarded("chain-node", () => checkChainNode(c, clients.ec2))));
  return results;
}

/** 0 ready, 1 blocked, 2 could not check (and nothing blocked). */
export function exitCode(results: readonly CheckResult[]): 0 | 1 | 2 {
  if (results.some((r) => r.level === "blocker")) return 1;
  if (results.some((r) => r.level === "unknown")) return 2;
  return 0;
}

const stepIndex = (id: DeployStepId | undefined) =>
  id === undefined ? DEPLOY_ORDER.length : DEPLOY_ORDER.findIndex((s) => s.id === id);

/** Blockers in deploy order, each with the command that fixes it. */
export function render(results: readonly CheckResult[], ctx?: DeployContext): string {
  const tag: Record<Level, string> = {
    ok: "ok     ",
    blocker: "BLOCKED",
    unknown: "?      ",
    warning: "warning",
  };
  const sorted = [...results].sort((a, b) => {
    const rank = (r: CheckResult) =>
      r.level === "blocker" ? 0 : r.level === "unknown" ? 1 : r.level === "warning" ? 2 : 3;
    return rank(a) - rank(b) || stepIndex(a.step) - stepIndex(b.step);
  });
  const lines: string[] = [];
  for (const r of sorted) {
    lines.push(`${tag[r.level]}  ${r.check}: ${r.message}`);
    if (r.level !== "blocker") continue;
    const fixes = r.fix
      ? [r.fix]
      : r.step && ctx
        ? (DEPLOY_ORDER.find((s) => s.id === r.step)?.commands(ctx) ?? [])
        : [];
    for (const f of fixes) lines.push(`           fix: ${f}`);
  }
  const code = exitCode(results);
  const blockers = results.filter((r) => r.level === "blocker").length;
  lines.push(
    code === 0
      ? "ready: every check passed"
      : code === 1
        ? `blocked: ${blockers} blocker(s); fix them in the order listed (docs/operations.md, "Deploy a region")`
        : "could not check everything: see the lines marked ?",
  );
  return lines.join("\n");
}
