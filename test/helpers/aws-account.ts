// Stand-ins for the AWS account preflight reads (SSM, EC2, Service Quotas, Route 53): each answers
// the read-only calls the way the real API shapes its response, from a small description of the
// account. Shared by the preflight and deploy-order suites.
import { expect } from "chai";
import { DescribeParametersCommand } from "@aws-sdk/client-ssm";
import {
  DescribeAddressesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
} from "@aws-sdk/client-ec2";
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
} from "@aws-sdk/client-service-quotas";
import { GetHostedZoneCommand, ListHostedZonesByNameCommand } from "@aws-sdk/client-route-53";
import { RegionConfigSchema, resolveDerived } from "../../lib/config/schema";
import { QUOTAS, type PreflightClients, type Sender } from "../../lib/preflight/run";
import { requiredParameters } from "../../lib/preflight/parameters";

export const STACK = "prod-us-east-1";
export const ALIAS = `alias/livepeer-fleet/${STACK}`;
export const OWN_ADDRESS = "0x00000000000000000000000000000000000000A1";
/** This region's own redeemer account (not a shipped placeholder). */
export const OWN_REDEEMER = "0x00000000000000000000000000000000000000C3";

/** What a deployable prod-us-east-1 sets on top of its file. */
export const DEPLOYABLE = {
  "livepeer-fleet:livepeer": { orchestratorAddress: OWN_ADDRESS, redeemerAddress: OWN_REDEEMER },
  "livepeer-fleet:amis": { ubuntu: "ami-0aaaaaaaaaaaaaaa1", gpu: "ami-0bbbbbbbbbbbbbbb2" },
  "livepeer-fleet:nodeRuntime": {
    goLivepeer: { sha256: { cpu: "1".repeat(64), gpu: "2".repeat(64) } },
    nitro: { digest: `sha256:${"3".repeat(64)}` },
    pricePerUnit: "1200",
  },
};

export function config(over: Record<string, unknown> = {}) {
  return resolveDerived(
    RegionConfigSchema.parse({
      network: { cidr: "10.10.0.0/16", availabilityZones: ["a", "b", "c"], natStrategy: "perAz" },
      livepeer: { orchestratorAddress: OWN_ADDRESS, redeemerAddress: OWN_REDEEMER },
      amis: DEPLOYABLE["livepeer-fleet:amis"],
      nodeRuntime: DEPLOYABLE["livepeer-fleet:nodeRuntime"],
      nodeGroup: { minSize: 2, maxSize: 8 },
      ...over,
    }),
    STACK,
  );
}

export interface Account {
  /** SSM parameter name -> [Type, KeyId]. */
  parameters: Record<string, [string, string]>;
  /** Quota code -> value; missing: NoSuchResourceException, then the default below. */
  quotas: Record<string, number>;
  defaults: Record<string, number>;
  addresses: { unit?: string }[];
  /** `type@az` offered. */
  offered: string[];
  zones: string[];
  /** Thrown by every call (credentials, network). */
  fail?: Error;
}

const SPECS: Record<string, [number, number]> = {
  "g4dn.xlarge": [4, 16384],
  "c6in.large": [2, 4096],
  "r7i.2xlarge": [8, 65536],
  "m7i.xlarge": [4, 16384],
};

const QUOTA_NAMES: Record<string, string> = Object.fromEntries(
  Object.values(QUOTAS).map((q) => [q.code, q.name]),
);

/** Stand-ins answering the read-only calls preflight makes, shaped like the real responses. */
export function clients(a: Account): PreflightClients & { calls: string[] } {
  const calls: string[] = [];
  const sender = (answer: (cmd: object) => unknown): Sender => ({
    send: (cmd) => {
      calls.push(cmd.constructor.name);
      if (a.fail) return Promise.reject(a.fail);
      // An answer that throws is the API's error response (NoSuchResourceException, ...).
      return new Promise((resolve) => resolve(answer(cmd)));
    },
  });
  const notFound = (name: string) => Object.assign(new Error(name), { name });
  return {
    calls,
    ssm: sender((cmd) => {
      expect(cmd).to.be.instanceOf(DescribeParametersCommand);
      const names = (cmd as DescribeParametersCommand).input.ParameterFilters![0].Values!;
      return {
        Parameters: names
          .filter((n) => n in a.parameters)
          .map((n) => ({ Name: n, Type: a.parameters[n][0], KeyId: a.parameters[n][1] })),
      };
    }),
    ec2: sender((cmd) => {
      if (cmd instanceof DescribeAddressesCommand) {
        return {
          Addresses: a.addresses.map((x, i) => ({
            AllocationId: `eipalloc-${i}`,
            Tags: x.unit ? [{ Key: "livepeer-fleet:unit", Value: x.unit }] : [],
          })),
        };
      }
      if (cmd instanceof DescribeInstanceTypesCommand) {
        return {
          InstanceTypes: (cmd.input.InstanceTypes ?? []).map((t) => ({
            InstanceType: t,
            VCpuInfo: { DefaultVCpus: SPECS[t][0] },
            MemoryInfo: { SizeInMiB: SPECS[t][1] },
          })),
        };
      }
      expect(cmd).to.be.instanceOf(DescribeInstanceTypeOfferingsCommand);
      const input = (cmd as DescribeInstanceTypeOfferingsCommand).input;
      expect(input.LocationType).to.equal("availability-zone");
      const [types, azs] = [input.Filters![0].Values!, input.Filters![1].Values!];
      return {
        InstanceTypeOfferings: a.offered
          .map((o) => o.split("@"))
          .filter(([t, az]) => types.includes(t) && azs.includes(az))
          .map(([t, az]) => ({ InstanceType: t, LocationType: "availability-zone", Location: az })),
      };
    }),
    serviceQuotas: sender((cmd) => {
      const code = (cmd as GetServiceQuotaCommand).input.QuotaCode!;
      expect((cmd as GetServiceQuotaCommand).input.ServiceCode).to.equal("ec2");
      if (cmd instanceof GetServiceQuotaCommand && !(code in a.quotas)) {
        throw notFound("NoSuchResourceException");
      }
      const value =
        cmd instanceof GetAWSDefaultServiceQuotaCommand ? a.defaults[code] : a.quotas[code];
      return {
        Quota: { ServiceCode: "ec2", QuotaCode: code, QuotaName: QUOTA_NAMES[code], Value: value },
      };
    }),
    route53: sender((cmd) => {
      if (cmd instanceof GetHostedZoneCommand) {
        if (!a.zones.includes(cmd.input.Id!)) throw notFound("NoSuchHostedZone");
        return { HostedZone: { Id: cmd.input.Id, Name: "x.", CallerReference: "r" } };
      }
      const name = (cmd as ListHostedZonesByNameCommand).input.DNSName!;
      return {
        HostedZones: a.zones
          .filter((z) => z >= `${name}.`)
          .slice(0, 1)
          .map((z) => ({ Id: "/hostedzone/Z1", Name: z, CallerReference: "r" })),
      };
    }),
  };
}

/** An account ready for prod-us-east-1, the fleet's home region (it holds the orchestrator key). */
export function readyAccount(c = config()): Account {
  return {
    parameters: Object.fromEntries(
      requiredParameters(c, true).map((p) => [p.name, ["SecureString", ALIAS]]),
    ),
    quotas: { [QUOTAS.elasticIps.code]: 10, [QUOTAS.gAndVtVcpus.code]: 160 },
    defaults: {},
    addresses: [],
    offered: ["g4dn.xlarge", "r7i.2xlarge", "c6in.large"].flatMap((t) =>
      ["a", "b", "c"].map((z) => `${t}@us-east-1${z}`),
    ),
    zones: [],
  };
}
