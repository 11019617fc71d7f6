// The one schema for fleet and region stack config. Every field carries its default and why in
// its JSDoc; docs/config.md is the reference a user reads. Pure: no Pulumi imports.
import { z } from "zod";
import { isAddress, getAddress, ZeroAddress } from "ethers";
import { KNOWN_REGIONS } from "../stack";
import { RPC_ENDPOINTS_SUFFIX } from "../identity/names";
import { parseCidr } from "../cidr";
import { SIZING_KEYS, refineSizing } from "./sizing-schema";
import {
  OPERATIONS_KEYS,
  ResolvedOperations,
  operationsIssues,
  resolveOperations,
  snapshotIdField,
} from "./operations";
import { NodeRuntimeSchema } from "./node-runtime";
import { OrchestratorsSchema, ServiceDnsSchema, orchestratorAzs, servingIssues } from "./serving";
import { collisions, describePort } from "./ports";
import { addDerived } from "./derived";
import { MetricsSchema } from "./metrics-schema";
import { isGpuInstanceType } from "../instance-types";

/** Config namespace: keys are `livepeer-fleet:<key>` in Pulumi.yaml and the stack files. */
export const NAMESPACE = "livepeer-fleet";

// Named defaults: one place, referenced by the schema and by docs/config.md.
export const DEFAULTS = {
  availabilityZones: ["a", "b"],
  natStrategy: "single",
  livepeerNetwork: "arbitrum-one-mainnet",
  /** go-livepeer's orchestrator service port (starter.go OrchestratorRpcPort). */
  servicePort: 8935,
  /** The health agent's port; go-livepeer itself uses 8935/7935/6935, never this one. */
  healthPort: 8936,
  /**
   * Arbitrum's "Prepare to run a node" (docs.arbitrum.io/run-arbitrum-node/start-here, "Minimum
   * hardware configuration") asks a full node for at least 64 GB of DDR5 and 8 cores of a 3rd
   * generation CPU ("for AWS, a i4i.2xlarge instance"; 128 GB and 16 cores recommended). r7i.2xlarge
   * has the same 8 vCPUs and 64 GiB on 4th generation Xeon with DDR5, without i4i's local NVMe:
   * the chain data lives on the persistent gp3 volume that survives instance replacement and is
   * snapshotted (raise its IOPS/throughput if the node falls behind).
   */
  chainInstanceType: "r7i.2xlarge",
  /** Arbitrum One full (pruned) state is well over 1 TiB and grows; leave room. */
  chainDataSizeGiB: 2000,
  chainDataIops: 6000,
  chainDataThroughputMiBps: 500,
  chainRootVolumeGiB: 40,
  /** HAProxy's JSON-RPC listener on the chain node: the port every node's -ethUrl points at. */
  rpcPort: 8545,
  /** go-livepeer's redeemer serves on -httpAddr, whose default port is 8935 (starter.go). */
  redeemerPort: 8935,
  nodeInstanceType: "g4dn.xlarge",
  nodeMinSize: 1,
  nodeMaxSize: 4,
  nodeRootVolumeGiB: 100,
  /** GPU nodes install drivers and pull go-livepeer at boot: give them 10 minutes. */
  healthCheckGracePeriodSeconds: 600,
  instanceWarmupSeconds: 300,
  minHealthyPercentage: 90,
  homeRegion: "us-east-1",
  /** go-livepeer's own -maxSessions default (starter.go defaultMaxSessions); the sizing planner overrides it. */
  maxSessions: 10,
} as const;

/**
 * The networks go-livepeer knows by name: the keys of configOptions in
 * cmd/livepeer/starter/starter.go (each a Controller address and redeem gas; rinkeby and
 * arbitrum-one-rinkeby are deprecated there in favour of networks it never added), plus
 * "offchain", its default (defaultNetwork), which runs without a chain. Any other name starts
 * go-livepeer with no Controller, so a typo would deploy nodes that never reach the protocol.
 */
export const LIVEPEER_NETWORKS = [
  "arbitrum-one-mainnet",
  "mainnet",
  "arbitrum-one-rinkeby",
  "rinkeby",
  "offchain",
] as const;

/**
 * Arbitrum's published minimum for a full node (docs.arbitrum.io/run-arbitrum-node/start-here,
 * "Minimum hardware configuration": 64 GB RAM, 8 cores, i4i.2xlarge on AWS). Preflight warns
 * about a Nitro chain node below it.
 */
export const ARBITRUM_NODE_MINIMUM = { vcpus: 8, memoryGiB: 64 } as const;

/** SSM public parameters for AMIs: looked up at deploy time, so an AMI change is a reviewable diff. */
export const AMI_PARAMETERS = {
  /** Canonical's Ubuntu 24.04 LTS, for the chain node and CPU node types. */
  ubuntu: "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
  /** AWS Deep Learning Base GPU AMI (Ubuntu 22.04): NVIDIA driver preinstalled, for GPU nodes. */
  gpu: "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id",
} as const;

/**
 * The AZ a single-instance or single-copy resource anchors to by default (the chain node and its
 * data volume, the single NAT gateway): the alphabetically first letter, never the first in the
 * list, so reordering network.availabilityZones moves nothing. Only removing that AZ does.
 */
export function anchorAz(availabilityZones: readonly string[]): string {
  return [...availabilityZones].sort()[0];
}

export { isGpuInstanceType };

// ---------- shared field types ----------

const awsRegion = z.string().refine((r) => KNOWN_REGIONS.has(r), {
  message: "expected an AWS region name such as us-east-1",
});

const port = z.number().int().min(1024, "expected a port number 1024-65535").max(65535);

const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "expected an EC2 instance type such as g4dn.xlarge");

const ethAddress = z
  .string()
  .refine((a) => isAddress(a) && a.toLowerCase() !== ZeroAddress, {
    message: "expected a non-zero 0x-prefixed Ethereum address (checksummed or all lowercase)",
  })
  .transform((a) => getAddress(a));

const cidr = z.string().superRefine((v, ctx) => {
  const parsed = parseCidr(v);
  if (!parsed) {
    ctx.addIssue({ code: "custom", message: "expected an IPv4 CIDR block such as 10.10.0.0/16" });
  } else if (parsed.prefix < 16 || parsed.prefix > 22) {
    ctx.addIssue({
      code: "custom",
      message: "expected a prefix between /16 and /22 (subnets are /prefix+4 blocks)",
    });
  } else if (parsed.base !== parsed.network) {
    ctx.addIssue({ code: "custom", message: "expected the network address (host bits zero)" });
  }
});

// AWS tag rules: keys 1-128 chars, values 0-256, the `aws:` prefix is reserved.
const tags = z.record(
  z
    .string()
    .min(1)
    .max(128)
    .refine((k) => !k.toLowerCase().startsWith("aws:"), {
      message: "tag keys may not start with aws: (reserved by AWS)",
    }),
  z.string().max(256, "tag values are at most 256 characters"),
);

// ---------- region stack keys ----------

export const NetworkSchema = z.strictObject({
  /** VPC CIDR, /16 to /22. Required: each region gets its own non-overlapping block (add-region picks one). */
  cidr,
  /**
   * AZ letters to spread over, at least 2. Default ["a", "b"]. Subnet blocks are derived from the
   * letter, not the list position, so adding or reordering AZs never replaces existing subnets.
   */
  availabilityZones: z
    .array(z.string().regex(/^[a-f]$/, "expected an AZ letter a-f"))
    .min(2, "expected at least 2 availability zones")
    .max(6)
    .refine((l) => new Set(l).size === l.length, { message: "expected distinct AZ letters" })
    .default([...DEFAULTS.availabilityZones]),
  /** "single" (one NAT gateway, cheaper) or "perAz" (one per AZ, survives an AZ outage). Default "single". */
  natStrategy: z.enum(["single", "perAz"]).default(DEFAULTS.natStrategy),
});

export const LivepeerSchema = z.strictObject({
  /**
   * go-livepeer -network: one of LIVEPEER_NETWORKS. Default arbitrum-one-mainnet (Livepeer's home
   * since Confluence).
   */
  network: z
    .enum(LIVEPEER_NETWORKS, {
      error: `expected a go-livepeer -network: ${LIVEPEER_NETWORKS.join(", ")}`,
    })
    .default(DEFAULTS.livepeerNetwork),
  /** The on-chain registered orchestrator address (-ethOrchAddr on nodes). Required. */
  orchestratorAddress: ethAddress,
  /**
   * This region's own redeemer account (-ethAcctAddr of the chain node's redeemer): it sends the
   * ticket redemptions and pays their gas, so it needs ETH on the chain. Required, one per region,
   * never the orchestrator's (one account, one sender: go-livepeer doc/multi-o.md).
   */
  redeemerAddress: ethAddress,
  /** Public service port on the NLB and the nodes. Default 8935. */
  servicePort: port.default(DEFAULTS.servicePort),
  /** Health agent port the target group checks; reachable only from inside the VPC. Default 8936. */
  healthPort: port.default(DEFAULTS.healthPort),
});

export const DataVolumeSchema = z.strictObject({
  /** gp3 size in GiB (1-16384). Default 2000. */
  sizeGiB: z.number().int().min(1).max(16384).default(DEFAULTS.chainDataSizeGiB),
  /** gp3 IOPS (3000-16000, at most 500 per GiB). Default 6000. */
  iops: z.number().int().min(3000).max(16000).default(DEFAULTS.chainDataIops),
  /** gp3 throughput MiB/s (125-1000, at most 0.25 per IOPS). Default 500. */
  throughputMiBps: z.number().int().min(125).max(1000).default(DEFAULTS.chainDataThroughputMiBps),
  /**
   * Build the volume from this EBS snapshot (restore, or seeding a new region from a copy).
   * Default: none (an empty volume that syncs from genesis). See docs/monitoring.md before changing
   * it on a unit whose volume exists: that is a protected replacement.
   */
  snapshotId: snapshotIdField,
});

export const ChainNodeSchema = z.strictObject({
  /** Chain node instance type. Default r7i.2xlarge (Arbitrum's minimum: 8 cores, 64 GB). */
  instanceType: instanceType.default(DEFAULTS.chainInstanceType),
  /** "nitro" or "geth". Default: nitro for arbitrum-one-* networks, geth otherwise. */
  client: z.enum(["nitro", "geth"]).optional(),
  /**
   * AZ letter the chain node and its data volume live in. Default: the alphabetically first of
   * network.availabilityZones (reordering the list never moves the volume). add-region writes it.
   */
  availabilityZone: z
    .string()
    .regex(/^[a-f]$/, "expected an AZ letter a-f")
    .optional(),
  /** The persistent chain data volume (encrypted, protected, snapshotted). */
  dataVolume: DataVolumeSchema.prefault({}),
  /** Root volume GiB. Default 40. */
  rootVolumeGiB: z.number().int().min(20).max(1024).default(DEFAULTS.chainRootVolumeGiB),
  /** JSON-RPC proxy port the nodes use. Default 8545. */
  rpcPort: port.default(DEFAULTS.rpcPort),
  /** Redeemer port the nodes use (-redeemerAddr). Default 8935. */
  redeemerPort: port.default(DEFAULTS.redeemerPort),
  /**
   * Chain client P2P port opened to the internet, TCP+UDP. Default: none (Nitro needs no inbound
   * P2P). When set, the chain node runs in a public subnet with a public address.
   */
  p2pPort: port.optional(),
});

/** The region's transcoder pool: GPU instances in private subnets behind the orchestrators. */
export const NodeGroupSchema = z.strictObject({
  /** Transcoder instance type. Default g4dn.xlarge. */
  instanceType: instanceType.default(DEFAULTS.nodeInstanceType),
  /**
   * AZ letters the pool runs in. Default: the orchestrators' AZs, so every transcoder works for
   * an orchestrator in its own AZ (media crossing AZs is billed both ways). A letter without an
   * orchestrator is allowed: its transcoders work for another AZ's orchestrator, and the plan
   * prices that traffic.
   */
  availabilityZones: z
    .array(z.string().regex(/^[a-f]$/, "expected an AZ letter a-f"))
    .min(1)
    .max(6)
    .refine((l) => new Set(l).size === l.length, { message: "expected distinct AZ letters" })
    .optional(),
  /** ASG minimum. Default 1. */
  minSize: z.number().int().min(0).max(500).default(DEFAULTS.nodeMinSize),
  /** ASG maximum. Default 4. */
  maxSize: z.number().int().min(1).max(500).default(DEFAULTS.nodeMaxSize),
  /**
   * go-livepeer -maxSessions of each transcoder (its capacity as the orchestrators count it).
   * Default: the capacity model's sessions per instance for the type (lib/sizing), else 10
   * (go-livepeer's own default). Set it only to override; the plan sizes the pool with it.
   */
  maxSessions: z.number().int().min(1).max(1000).optional(),
  /**
   * Spot transcoders: a mixed instances policy with an on-demand base at the forecast's quietest
   * hour and capacity-optimized spot above it, across instanceType and every other type of the
   * capacity model of the same kind (GPU or CPU, x86_64), each weighted by its own -maxSessions.
   * No warm pool then (AWS allows none with spot). Default false: on-demand with a warm pool.
   */
  spot: z.boolean().default(false),
  /** Root volume GiB (go-livepeer data dir and segment scratch). Default 100. */
  rootVolumeGiB: z.number().int().min(30).max(2048).default(DEFAULTS.nodeRootVolumeGiB),
  /** Seconds before ELB health counts against a new node. Default 600. */
  healthCheckGracePeriodSeconds: z
    .number()
    .int()
    .min(60)
    .max(7200)
    .default(DEFAULTS.healthCheckGracePeriodSeconds),
  /** Instance refresh warm-up seconds. Default 300. */
  instanceWarmupSeconds: z.number().int().min(0).max(3600).default(DEFAULTS.instanceWarmupSeconds),
  /** Instance refresh: percent of capacity that stays in service. Default 90. */
  minHealthyPercentage: z.number().int().min(0).max(100).default(DEFAULTS.minHealthyPercentage),
  /** SSM parameter holding the AMI id. Default: the GPU AMI for GPU types, Ubuntu otherwise. */
  amiParameter: z
    .string()
    .regex(/^\/[A-Za-z0-9_./-]+$/, "expected an SSM parameter path starting with /")
    .optional(),
});

const amiId = z
  .string()
  .regex(/^ami-[0-9a-f]{8,17}$/, "expected an AMI id such as ami-0123456789abcdef0");

/**
 * AMI ids pinned per region stack, one per image kind (AMI_PARAMETERS): an AMI changes only when
 * this file changes, never because a public parameter moved on. `npm run amis -- --stack NAME
 * --write` looks the current ones up.
 */
export const AmisSchema = z.strictObject({
  /** Canonical Ubuntu 24.04 (AMI_PARAMETERS.ubuntu) in this region. Required to deploy. */
  ubuntu: amiId.optional(),
  /** AWS Deep Learning Base GPU AMI (AMI_PARAMETERS.gpu) in this region. Required with GPU nodes. */
  gpu: amiId.optional(),
});

export const IdentitySchema = z.strictObject({
  /** SSM path prefix for the orchestrator keystore and passphrase. Default /livepeer-fleet/<stack>. */
  parameterPrefix: z
    .string()
    .regex(/^(\/[A-Za-z0-9_.-]+)+$/, "expected an SSM path like /livepeer-fleet/prod-us-east-1")
    .optional(),
});

// ---------- fleet operations (deploy gate, drift check) ----------

export const DeployGateSchema = z.strictObject({
  /**
   * Run the gate during `pulumi up`. Default true. Turn off only for a first bring-up whose nodes
   * cannot be healthy yet (docs/operations.md, "Add a region").
   */
  enabled: z.boolean().default(true),
  /**
   * Healthy targets to wait for. Default: nodeGroup.minSize (what the region must always serve
   * with; scaling may run more).
   */
  expectedHealthy: z.number().int().min(0).max(500).optional(),
  /** How long to wait, in seconds. Default 1200: a GPU node's boot (grace 600 s) plus checks. */
  timeoutSeconds: z.number().int().min(60).max(7200).default(1200),
});

export const DriftCheckSchema = z.strictObject({
  /** GitHub repository ("owner/name") whose drift workflow may assume the role. Required. */
  githubRepository: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "expected owner/name of a GitHub repository"),
  /**
   * Branch the workflow runs on (the `sub` claim's ref). Default main: scheduled runs use the
   * default branch.
   */
  branch: z
    .string()
    .regex(/^[A-Za-z0-9._/-]+$/, "expected a branch name such as main")
    .default("main"),
  /**
   * ARN of the account's existing GitHub OIDC provider. Default: the fleet stack creates one. An
   * account has at most one provider per URL, so set this when another stack already made it.
   */
  oidcProviderArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
      "expected arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
    )
    .optional(),
  /** S3 bucket of a self-managed Pulumi backend (s3://...), if any: the check takes its lock. */
  stateBucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name")
    .optional(),
  /** KMS key ARN of an awskms:// secrets provider, if any: the check decrypts stack secrets. */
  secretsKeyArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, "expected a KMS key ARN")
    .optional(),
});

/** Region stack keys (without the namespace) and their schemas. */
export const REGION_KEYS = {
  network: NetworkSchema,
  livepeer: LivepeerSchema,
  chainNode: ChainNodeSchema.prefault({}),
  /** The orchestrator tier: slots with their own addresses (lib/config/serving.ts). */
  orchestrators: OrchestratorsSchema.prefault({}),
  /** The transcoder pool (the region's autoscaling GPU group). */
  nodeGroup: NodeGroupSchema.prefault({}),
  /** Pinned AMI ids by image kind (AmisSchema). */
  amis: AmisSchema.prefault({}),
  identity: IdentitySchema.prefault({}),
  /** What runs on the instances: pinned releases, endpoints parameter, pricing. */
  nodeRuntime: NodeRuntimeSchema.prefault({}),
  /** The deploy gate that fails `pulumi up` when nodes do not become healthy. */
  deployGate: DeployGateSchema.prefault({}),
  /** Tags on every resource, merged over the project's. Default {}. */
  tags: tags.default({}),
  /** demand, capacityModel, sizing: demand-driven sizing (lib/config/sizing-schema.ts). */
  ...SIZING_KEYS,
  ...OPERATIONS_KEYS,
} as const;

/** Fleet stack keys. */
export const FLEET_KEYS = {
  /** Regions in this fleet; each has a stack <fleet>-<region>. Required, at least one. */
  regions: z
    .array(awsRegion)
    .min(1, "expected at least one region")
    .refine((l) => new Set(l).size === l.length, { message: "expected each region once" }),
  /** Region for fleet-wide resources. Default us-east-1. */
  homeRegion: awsRegion.default(DEFAULTS.homeRegion),
  /** The scheduled drift check's GitHub workflow and the role it assumes. Required. */
  driftCheck: DriftCheckSchema,
  /**
   * The fleet's one service name (the on-chain service URI's host) in a Route 53 public zone.
   * Default: none; each region then serves on its own load balancer name, and only one region
   * can be registered on chain (docs/architecture.md).
   */
  serviceDns: ServiceDnsSchema.optional(),
  /**
   * The metrics store every node's Prometheus agent remote-writes to, and the opt-in community
   * demand share (lib/config/metrics-schema.ts). Default: the fleet's own AMP workspace.
   */
  metrics: MetricsSchema.prefault({}),
  tags: tags.default({}),
} as const;

export const RegionConfigSchema = z.strictObject(REGION_KEYS).superRefine((c, ctx) => {
  // Cross-field checks: each names the fields it reads, so a problem already reported on one of
  // them is not repeated here in other words (lib/config/derived.ts).
  if (c.nodeGroup.minSize > c.nodeGroup.maxSize) {
    addDerived(ctx, {
      path: ["nodeGroup", "maxSize"],
      message: `expected maxSize >= minSize (${c.nodeGroup.minSize})`,
      from: ["nodeGroup.minSize", "nodeGroup.maxSize"],
    });
  }
  const gateCount = c.deployGate.expectedHealthy;
  if (gateCount !== undefined && gateCount > c.nodeGroup.maxSize) {
    addDerived(ctx, {
      path: ["deployGate", "expectedHealthy"],
      message: `expected at most nodeGroup.maxSize (${c.nodeGroup.maxSize}): the gate could never pass`,
      from: ["deployGate.expectedHealthy", "nodeGroup.maxSize"],
    });
  }
  const az = c.chainNode.availabilityZone;
  if (az !== undefined && !c.network.availabilityZones.includes(az)) {
    addDerived(ctx, {
      path: ["chainNode", "availabilityZone"],
      message: `expected one of the network's availabilityZones (${c.network.availabilityZones.join(", ")})`,
      from: ["chainNode.availabilityZone", "network.availabilityZones"],
    });
  }
  const v = c.chainNode.dataVolume;
  if (v.iops > v.sizeGiB * 500) {
    addDerived(ctx, {
      path: ["chainNode", "dataVolume", "iops"],
      message: `expected at most 500 IOPS per GiB (${v.sizeGiB * 500} for ${v.sizeGiB} GiB)`,
      from: ["chainNode.dataVolume.iops", "chainNode.dataVolume.sizeGiB"],
    });
  }
  if (v.throughputMiBps > v.iops / 4) {
    addDerived(ctx, {
      path: ["chainNode", "dataVolume", "throughputMiBps"],
      message: `expected at most 0.25 MiB/s per IOPS (${Math.floor(v.iops / 4)} for ${v.iops} IOPS)`,
      from: ["chainNode.dataVolume.throughputMiBps", "chainNode.dataVolume.iops"],
    });
  }
  const { servicePort, healthPort } = c.livepeer;
  if (servicePort === healthPort) {
    addDerived(ctx, {
      path: ["livepeer", "healthPort"],
      message: `expected a port other than servicePort (${servicePort})`,
      from: ["livepeer.servicePort", "livepeer.healthPort"],
    });
  }
  if (c.livepeer.redeemerAddress === c.livepeer.orchestratorAddress) {
    // Both are checksummed by the schema: equal strings are the same account.
    addDerived(ctx, {
      path: ["livepeer", "redeemerAddress"],
      message:
        "expected an account other than orchestratorAddress: the redeemer and the reward service " +
        "would send from one account and race on nonces (import a separate redeemer key)",
      from: ["livepeer.orchestratorAddress", "livepeer.redeemerAddress"],
    });
  }
  for (const issue of operationsIssues(c)) addDerived(ctx, issue);
  for (const issue of servingIssues(c)) addDerived(ctx, issue);
  if (c.chainNode.rpcPort === c.chainNode.redeemerPort) {
    addDerived(ctx, {
      path: ["chainNode", "redeemerPort"],
      message: `expected a port other than rpcPort (${c.chainNode.rpcPort})`,
      from: ["chainNode.rpcPort", "chainNode.redeemerPort"],
    });
  }
  // The P2P port is opened to the internet: it must not be a port a unit process listens on.
  const p2p = c.chainNode.p2pPort;
  const taken = p2p === undefined ? [] : collisions(p2p, { ...c.livepeer, ...c.chainNode });
  if (taken.length > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["chainNode", "p2pPort"],
      message: `expected a port no unit process uses (it would be opened to the internet); ${p2p} is ${taken.map(describePort).join(", ")}`,
    });
  }
  refineSizing(c, ctx);
});

export const FleetConfigSchema = z.strictObject(FLEET_KEYS);

export type RegionConfigInput = z.input<typeof RegionConfigSchema>;
type ParsedRegion = z.output<typeof RegionConfigSchema>;
export type FleetConfig = z.output<typeof FleetConfigSchema>;

/** Region config with every derived default filled in: what components consume. */
export interface RegionConfig
  extends Omit<ParsedRegion, keyof ResolvedOperations>, ResolvedOperations {
  chainNode: ParsedRegion["chainNode"] & { client: "nitro" | "geth"; availabilityZone: string };
  orchestrators: ParsedRegion["orchestrators"] & { count: number; availabilityZones: string[] };
  nodeGroup: ParsedRegion["nodeGroup"] & {
    amiParameter: string;
    gpu: boolean;
    availabilityZones: string[];
  };
  identity: { parameterPrefix: string };
  nodeRuntime: ParsedRegion["nodeRuntime"] & { rpcEndpointsParameter: string };
}

/** Fills the defaults that depend on other fields (and on the stack name). */
export function resolveDerived(c: ParsedRegion, stack: string): RegionConfig {
  const gpu = isGpuInstanceType(c.nodeGroup.instanceType);
  const parameterPrefix = c.identity.parameterPrefix ?? `/livepeer-fleet/${stack}`;
  const slots = orchestratorAzs(c.orchestrators, c.network.availabilityZones);
  return {
    ...c,
    ...resolveOperations({ ...c, orchestratorSlots: slots.length }, parameterPrefix),
    orchestrators: { ...c.orchestrators, count: slots.length, availabilityZones: slots },
    chainNode: {
      ...c.chainNode,
      client:
        c.chainNode.client ?? (c.livepeer.network.startsWith("arbitrum-one") ? "nitro" : "geth"),
      availabilityZone: c.chainNode.availabilityZone ?? anchorAz(c.network.availabilityZones),
    },
    nodeGroup: {
      ...c.nodeGroup,
      availabilityZones: c.nodeGroup.availabilityZones ?? slots,
      gpu,
      amiParameter: c.nodeGroup.amiParameter ?? (gpu ? AMI_PARAMETERS.gpu : AMI_PARAMETERS.ubuntu),
    },
    identity: { parameterPrefix },
    nodeRuntime: {
      ...c.nodeRuntime,
      rpcEndpointsParameter:
        c.nodeRuntime.rpcEndpointsParameter ?? `${parameterPrefix}${RPC_ENDPOINTS_SUFFIX}`,
    },
  };
}
