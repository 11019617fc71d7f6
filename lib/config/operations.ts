// Region stack keys for the unit's operations: snapshots, the nightly chain-node restart, the
// reward watcher and the alarms. Spread into REGION_KEYS by schema.ts; cross-field checks run from
// its superRefine, derived defaults from its resolveDerived. Pure: no Pulumi imports.
import { z } from "zod";
import { getAddress, isAddress, ZeroAddress } from "ethers";
import { KNOWN_REGIONS } from "../stack";
import { WATCHER_RPC_URL_SUFFIX } from "../identity/names";

export const OPERATIONS_DEFAULTS = {
  /** Nitro stops gracefully in minutes and catches up in minutes after a night's restart. */
  restartSyncTimeoutMinutes: 20,
  /** A week of dailies: enough to step back past a corrupted database found days later. */
  snapshotRetainCount: 7,
  crossRegionRetainDays: 7,
  /** The watcher runs every 10 minutes: a missed reward pages within minutes of the threshold. */
  watcherScheduleMinutes: 10,
  /** eth_getLogs span per request; hosted RPCs cap ranges, Arbitrum makes ~4 blocks a second. */
  logChunkBlocks: 50_000,
  /** Reward is normally called minutes after the round starts; a quarter in (~5 h) is late. */
  rewardNotCalledRoundFraction: 0.25,
  /** ~1 hour of L1 blocks: someone with -initializeRound normally does it within minutes. */
  roundNotInitializedBlocks: 300,
  /** Arbitrum reward and redeem calls cost well under 0.001 ETH: 0.05 leaves weeks of runway. */
  minGasBalanceEth: 0.05,
  /** Arbitrum makes a block every ~0.25 s: a head two minutes old means the client stalled. */
  chainHeadMaxAgeSeconds: 120,
  /** Longer than a healthy nightly restart takes to come back, so maintenance never pages. */
  chainLagMinutes: 30,
  /** An hour pinned at max size means demand outgrew the configured capacity. */
  nodeGroupAtMaxMinutes: 60,
} as const;

/** go-livepeer's -network presets this fleet knows (cmd/livepeer/starter/starter.go). */
export const KNOWN_NETWORKS: Record<string, { controller: string; chainId: number }> = {
  // Controller from livepeer/protocol deployments/arbitrumMainnet/Controller.json; chain 42161.
  "arbitrum-one-mainnet": {
    controller: "0xD8E8328501E9645d16Cf49539efC04f734606ee4",
    chainId: 42161,
  },
};

/** The network's preset, if this fleet knows one (own keys only: "constructor" is no network). */
function knownNetwork(network: string): { controller: string; chainId: number } | undefined {
  return Object.hasOwn(KNOWN_NETWORKS, network) ? KNOWN_NETWORKS[network] : undefined;
}

const ethAddress = z
  .string()
  .refine((a) => isAddress(a) && a.toLowerCase() !== ZeroAddress, {
    message: "expected a non-zero 0x-prefixed Ethereum address (checksummed or all lowercase)",
  })
  .transform((a) => getAddress(a));

const awsRegion = z.string().refine((r) => KNOWN_REGIONS.has(r), {
  message: "expected an AWS region name such as us-west-2",
});

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/[A-Za-z0-9-]+$/;

/** The snapshot the chain data volume is built from (restore path, docs/monitoring.md). */
export const snapshotIdField = z
  .string()
  .regex(/^snap-[0-9a-f]{8,17}$/, "expected an EBS snapshot id such as snap-0123456789abcdef0")
  .optional();

export const MaintenanceSchema = z.strictObject({
  /**
   * UTC hour (0-23) of the nightly chain-node restart and the daily snapshot. Default: the demand
   * planner's quietest hour when the stack has a demand profile, else 4 (lib/sizing/region.ts).
   * Set it only to override the planner (e.g. to keep clear of a deploy window).
   */
  hourUtc: z
    .number()
    .int()
    .min(0, "expected an hour 0-23")
    .max(23, "expected an hour 0-23")
    .optional(),
  /**
   * Minutes the restart waits for the chain client to report synced before it fails (and pages).
   * 5-120, default 20.
   */
  restartSyncTimeoutMinutes: z
    .number()
    .int()
    .min(5)
    .max(120)
    .default(OPERATIONS_DEFAULTS.restartSyncTimeoutMinutes),
});

export const CrossRegionCopySchema = z.strictObject({
  /** Region the daily snapshots are copied to (disaster recovery). Required in this block. */
  region: awsRegion,
  /**
   * KMS key ARN in that region the copies are encrypted with, e.g. that region's unit key. Its key
   * policy must let this account use it through EC2 (the unit key's policy does). Required.
   */
  kmsKeyArn: z
    .string()
    .regex(KMS_KEY_ARN, "expected a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)"),
  /** Days the copies are kept (1-365). Default 7. */
  retainDays: z.number().int().min(1).max(365).default(OPERATIONS_DEFAULTS.crossRegionRetainDays),
});

export const SnapshotsSchema = z.strictObject({
  /** Daily snapshots kept (1-1000, DLM's limit). Default 7. */
  retainCount: z.number().int().min(1).max(1000).default(OPERATIONS_DEFAULTS.snapshotRetainCount),
  /** Optional copy of every daily snapshot to another region. Default: none. */
  crossRegionCopy: CrossRegionCopySchema.optional(),
});

export const RewardWatcherSchema = z.strictObject({
  /** Livepeer Controller address. Default: the network's (arbitrum-one-mainnet: 0xD8E8...6ee4). */
  controllerAddress: ethAddress.optional(),
  /** Chain id the RPC must serve. Default: the network's (arbitrum-one-mainnet: 42161). */
  chainId: z.number().int().min(1).optional(),
  /**
   * SSM SecureString holding the watcher's JSON-RPC URL (may embed an API key, so never in config
   * or state). Default <identity.parameterPrefix>/watcher/rpc-url.
   */
  rpcUrlParameter: z
    .string()
    .regex(
      /^(\/[A-Za-z0-9_.-]+)+$/,
      "expected an SSM parameter path like /livepeer-fleet/x/rpc-url",
    )
    .optional(),
  /**
   * Accounts that pay gas, watched for a low ETH balance. Default: [livepeer.redeemerAddress,
   * livepeer.orchestratorAddress]: the region's redeemer sends the redemptions, the orchestrator
   * account (the home region's reward service) calls reward.
   */
  gasAccounts: z.array(ethAddress).min(1).max(10).optional(),
  /** Minutes between watcher runs (1-60). Default 10. */
  scheduleMinutes: z
    .number()
    .int()
    .min(1)
    .max(60)
    .default(OPERATIONS_DEFAULTS.watcherScheduleMinutes),
  /** Blocks per eth_getLogs request when looking for Reward events. Default 50000. */
  logChunkBlocks: z
    .number()
    .int()
    .min(100)
    .max(10_000_000)
    .default(OPERATIONS_DEFAULTS.logChunkBlocks),
});

export const SubscriptionSchema = z.strictObject({
  /** SNS protocol. */
  protocol: z.enum(["email", "email-json", "https", "sms", "sqs", "lambda"]),
  /** Address, URL, phone number or ARN, as the protocol expects. */
  endpoint: z.string().min(3),
});

export const AlarmsSchema = z.strictObject({
  /** Page when reward was not called this far into the round (0.05-0.95). Default 0.25. */
  rewardNotCalledRoundFraction: z
    .number()
    .min(0.05)
    .max(0.95)
    .default(OPERATIONS_DEFAULTS.rewardNotCalledRoundFraction),
  /** Page when the round is still not initialized this many L1 blocks in. Default 300. */
  roundNotInitializedBlocks: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(OPERATIONS_DEFAULTS.roundNotInitializedBlocks),
  /** Page when any gas-paying account holds less ETH than this. Default 0.05. */
  minGasBalanceEth: z.number().positive().max(1000).default(OPERATIONS_DEFAULTS.minGasBalanceEth),
  /** Page when fewer orchestrators are in discovery (healthy NLB targets). Default: all of them. */
  minHealthyTargets: z.number().int().min(1).max(500).optional(),
  /** Chain head older than this (seconds) counts as lagging. Default 120. */
  chainHeadMaxAgeSeconds: z
    .number()
    .int()
    .min(10)
    .max(3600)
    .default(OPERATIONS_DEFAULTS.chainHeadMaxAgeSeconds),
  /** Minutes the chain node may lag or be down before paging. Default 30. */
  chainLagMinutes: z.number().int().min(1).max(120).default(OPERATIONS_DEFAULTS.chainLagMinutes),
  /** Minutes at max size before paging (multiple of 5, up to a day). Default 60. */
  nodeGroupAtMaxMinutes: z
    .number()
    .int()
    .min(5)
    .max(1440)
    .refine((m) => m % 5 === 0, { message: "expected a multiple of 5 minutes" })
    .default(OPERATIONS_DEFAULTS.nodeGroupAtMaxMinutes),
  /** Who gets the unit's alarms (SNS subscriptions). Default: none (subscribe by hand). */
  subscriptions: z
    .array(SubscriptionSchema)
    .refine((l) => new Set(l.map((s) => `${s.protocol}:${s.endpoint}`)).size === l.length, {
      message: "expected each subscription once",
    })
    .default([]),
});

/** Region stack keys this file owns. */
export const OPERATIONS_KEYS = {
  maintenance: MaintenanceSchema.prefault({}),
  snapshots: SnapshotsSchema.prefault({}),
  rewardWatcher: RewardWatcherSchema.prefault({}),
  alarms: AlarmsSchema.prefault({}),
} as const;

type Parsed = {
  livepeer: { network: string; orchestratorAddress: string; redeemerAddress: string };
  nodeGroup: { minSize: number; maxSize: number };
  rewardWatcher: z.output<typeof RewardWatcherSchema>;
  alarms: z.output<typeof AlarmsSchema>;
  snapshots: z.output<typeof SnapshotsSchema>;
};

interface Issue {
  path: (string | number)[];
  message: string;
  /** The key paths the check reads (lib/config/derived.ts). */
  from: string[];
}

/** Cross-field checks (called from the region schema's superRefine). */
export function operationsIssues(c: Parsed): Issue[] {
  const issues: Issue[] = [];
  const known = knownNetwork(c.livepeer.network);
  if (!known && c.rewardWatcher.controllerAddress === undefined) {
    issues.push({
      path: ["rewardWatcher", "controllerAddress"],
      message: `set the Livepeer Controller address: network ${c.livepeer.network} has no default (only ${Object.keys(KNOWN_NETWORKS).join(", ")} has)`,
      from: ["livepeer.network", "rewardWatcher.controllerAddress"],
    });
  }
  if (!known && c.rewardWatcher.chainId === undefined) {
    issues.push({
      path: ["rewardWatcher", "chainId"],
      message: `set the chain id the watcher's RPC must serve: network ${c.livepeer.network} has no default`,
      from: ["livepeer.network", "rewardWatcher.chainId"],
    });
  }
  const copy = c.snapshots.crossRegionCopy;
  const keyRegion = copy ? KMS_KEY_ARN.exec(copy.kmsKeyArn)?.[1] : undefined;
  if (copy && keyRegion !== copy.region) {
    issues.push({
      path: ["snapshots", "crossRegionCopy", "kmsKeyArn"],
      message: `expected a key in ${copy.region} (the copy's region), got one in ${keyRegion}`,
      from: ["snapshots.crossRegionCopy.region", "snapshots.crossRegionCopy.kmsKeyArn"],
    });
  }
  return issues;
}

/** Checks that need the stack's region (not in the config itself): from loadRegionConfig. */
export function regionOperationsIssues(
  c: { snapshots: z.output<typeof SnapshotsSchema> },
  region: string,
): Issue[] {
  const copy = c.snapshots.crossRegionCopy;
  if (copy && copy.region === region) {
    return [
      {
        path: ["snapshots", "crossRegionCopy", "region"],
        message: `expected a region other than the unit's own (${region}): a same-region copy survives nothing the original does not`,
        from: ["snapshots.crossRegionCopy.region"],
      },
    ];
  }
  return [];
}

export interface ResolvedOperations {
  rewardWatcher: z.output<typeof RewardWatcherSchema> & {
    controllerAddress: string;
    chainId: number;
    rpcUrlParameter: string;
    gasAccounts: string[];
  };
  alarms: z.output<typeof AlarmsSchema> & { minHealthyTargets: number };
}

/** Derived defaults; operationsIssues has already rejected what cannot be derived. */
export function resolveOperations(
  c: Parsed & { orchestratorSlots: number },
  parameterPrefix: string,
): ResolvedOperations {
  const known = knownNetwork(c.livepeer.network);
  const w = c.rewardWatcher;
  return {
    rewardWatcher: {
      ...w,
      // operationsIssues has rejected a missing value without a preset.
      controllerAddress: w.controllerAddress ?? known!.controller,
      chainId: w.chainId ?? known!.chainId,
      rpcUrlParameter: w.rpcUrlParameter ?? `${parameterPrefix}${WATCHER_RPC_URL_SUFFIX}`,
      gasAccounts: w.gasAccounts ?? [c.livepeer.redeemerAddress, c.livepeer.orchestratorAddress],
    },
    alarms: {
      ...c.alarms,
      minHealthyTargets: c.alarms.minHealthyTargets ?? c.orchestratorSlots,
    },
  };
}
