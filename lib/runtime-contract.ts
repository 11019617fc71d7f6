// Names shared by the infrastructure code, what runs on the instances, the alarms and the
// maintenance jobs. One place, so a unit rename or a metric rename cannot silently break the
// nightly restart, an alarm or a dashboard widget.

/** The three instance kinds of a region unit; each boots scripts/node/boot-<kind>.sh. */
export const NODE_KINDS = ["chain", "orchestrator", "transcoder"] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** systemd units on the instances. */
export const UNITS = {
  /** Chain node: the chain client (Nitro or geth). */
  chainClient: "chain-client.service",
  /** Chain node: HAProxy, the JSON-RPC failover proxy orchestrators use as -ethUrl. */
  rpcProxy: "rpc-proxy.service",
  /**
   * Chain node: go-livepeer -redeemer with the region's own redeemer account: redeems the tickets
   * the orchestrators queue to it (never calls reward).
   */
  redeemer: "livepeer-redeemer.service",
  /**
   * Home region's chain node only: go-livepeer with the on-chain orchestrator key and -reward=true
   * (the reward service; also the CLI that registers the service URI).
   */
  rewardService: "livepeer-reward.service",
  /** Orchestrator: go-livepeer -orchestrator (no -transcoder), its own public address. */
  orchestrator: "livepeer-orchestrator.service",
  /** Transcoder: go-livepeer -transcoder working for one orchestrator. */
  transcoder: "livepeer-transcoder.service",
  /** Every kind: the health agent. */
  healthAgent: "livepeer-health.service",
} as const;

/**
 * Ports of go-livepeer (cmd/livepeer/starter/starter.go: OrchestratorRpcPort 8935,
 * OrchestratorCliPort 7935, TranscoderCliPort 6935) and of the chain node's loopback services.
 * The CLI ports serve fund-moving routes without authentication: loopback only, always.
 */
export const PORTS = {
  /** go-livepeer's CLI on orchestrators and the redeemer (127.0.0.1 only). */
  orchestratorCli: 7935,
  /**
   * The home region's reward service's CLI (127.0.0.1 only, on the chain node): the one process
   * that holds the orchestrator's own key, so on-chain registration goes through it.
   */
  rewardCli: 7936,
  /** go-livepeer's CLI on transcoders (127.0.0.1 only). */
  transcoderCli: 6935,
  /** The chain client's own JSON-RPC on loopback (Nitro's default; geth is told to use it). */
  localRpc: 8547,
} as const;

/**
 * How long an instance-local fault must last before the health agent marks its own instance
 * Unhealthy (every `intervalSeconds`, `checks` in a row). Transcoders wait longer: after an
 * orchestrator is replaced, go-livepeer reconnects with exponential backoff up to a minute
 * (server/ot_rpc.go RunTranscoder: MaxInterval = time.Minute, +-50% jitter) plus the private
 * name's 30 s TTL, so a healthy transcoder may be unlinked for about two minutes.
 */
export const FAULT_WATCH = {
  orchestrator: { intervalSeconds: 30, checks: 6 },
  transcoder: { intervalSeconds: 30, checks: 8 },
} as const;

/**
 * The chain node's boot (scripts/node/boot-deadline.sh, attach-data-volume.sh). The group's health
 * check is EC2's, so a boot that fails or hangs would stay in service forever: user data arms a
 * deadline before anything can fail, boot-chain.sh disarms it once its units are started, and an
 * instance whose boot neither completed by then nor failed earlier marks itself Unhealthy
 * (SetInstanceHealth), so Auto Scaling replaces it. Only boot steps count (packages, the bundle,
 * the volume's attach and mount, downloads, the private name, starting the units): a first chain
 * sync that takes hours runs after the mark.
 */
export const CHAIN_BOOT = {
  /**
   * Looks at the data volume before giving up, `attachPollSeconds` apart: 15 minutes for the
   * previous instance to let go. Its chain client alone may take 11 to stop (Nitro flushes for up
   * to 600 s under a 660 s TimeoutStopSec: units/nitro/chain-client.service).
   */
  attachAttempts: 180,
  attachPollSeconds: 5,
  /**
   * Seconds from user data to the deadline: the 15-minute attach wait plus the boot's other steps
   * (apt, the bundle, the Nitro image, the go-livepeer release, each minutes at most when the
   * network works) with room to spare. Each step's own retries may add up to more: the deadline
   * is what bounds the whole boot.
   */
  deadlineSeconds: 2700,
  /**
   * The group's health check grace period for its EC2 checks. The boot deadline's report does
   * not wait for it (a failed boot does not get better with time: awsapi.py
   * set-instance-health-now), and the timer's falls long after it anyway.
   */
  healthCheckGracePeriodSeconds: 300,
} as const;

/** Tag keys IAM conditions, the boot scripts, DLM and the maintenance window match on. */
export const TAGS = {
  /** The stack name: which unit a resource belongs to. */
  unit: "livepeer-fleet:unit",
  /** What an instance, volume or address is for (ROLES). */
  role: "livepeer-fleet:role",
  /** An orchestrator slot's AZ letter, on its instance and its Elastic IP. */
  slot: "livepeer-fleet:slot",
  /** Opts a volume into the daily snapshot policy. */
  snapshot: "livepeer-fleet:snapshot",
} as const;

/** Values of TAGS.role. */
export const ROLES = {
  chainNode: "chain-node",
  chainData: "chain-data",
  orchestrator: "orchestrator",
  transcoder: "transcoder",
} as const;

/**
 * The chain node's own health agent port. `GET http://127.0.0.1:<port>/healthz` answers 200 when
 * the local chain client is synced and its head is fresh, 503 with a JSON body otherwise. HAProxy's
 * health check of the local backend and the nightly restart's "synced again" wait both use it.
 */
export const CHAIN_HEALTH_PORT = 8937;

/**
 * The CloudWatch namespace each kind of publisher puts its custom metrics into. PutMetricData
 * names no resource, so IAM scopes it by the `cloudwatch:namespace` condition key alone: one
 * namespace per role means a role can publish only its own metrics (a transcoder cannot put the
 * chain node's ChainSynced or an orchestrator's demand; lib/iam/metrics.ts proves it over the
 * plan). Keyed by the role kinds of lib/iam/secrets.ts. Every publisher and every reader (alarms, dashboard, scaling, demand:sync) takes its
 * namespace from here.
 */
export const ROLE_METRIC_NAMESPACES = {
  /** The chain node's health agent: ChainSynced, ChainHeadAgeSeconds. */
  "chain-node": "LivepeerFleet/Chain",
  /** The orchestrators' health agents: sessions and transcoder capacity (the region's demand). */
  orchestrator: "LivepeerFleet/Orchestrator",
  /** Reserved for the transcoders (they publish nothing today, so their role may put nothing). */
  transcoder: "LivepeerFleet/Transcoder",
  /** The reward watcher Lambda (WATCHER_METRICS). */
  "reward-watcher": "LivepeerFleet/Watcher",
} as const;

/**
 * Custom metrics published from the instances (dimension `Unit` = the stack name), each in its
 * publisher's namespace (ROLE_METRIC_NAMESPACES): ChainSynced and ChainHeadAgeSeconds in the
 * chain node's, the rest in the orchestrators'.
 */
export const NODE_METRICS = {
  /** Per orchestrator (dimensions Unit, Orchestrator): livepeer_current_sessions_total. */
  currentSessions: "CurrentSessions",
  /**
   * Per orchestrator (dimensions Unit, Orchestrator): livepeer_max_sessions_total, which with
   * -maxSessions auto is the sum of its connected transcoders' capacities.
   */
  maxSessions: "MaxSessions",
  /** Per orchestrator: livepeer_transcoders_number, the transcoders registered with it. */
  transcoders: "TranscodersConnected",
  /** Per orchestrator: livepeer_transcoders_capacity, the sessions they registered. */
  transcoderCapacity: "TranscoderCapacity",
  /** Chain node: seconds since the local chain head's timestamp. */
  chainHeadAgeSeconds: "ChainHeadAgeSeconds",
  /** Chain node: 1 when the local client is synced and fresh, else 0. */
  chainSynced: "ChainSynced",
} as const;

/** The dimension every unit-level custom metric carries: the stack name. */
export const UNIT_DIMENSION = "Unit";
/** The second dimension of an orchestrator's metrics: its slot's AZ letter. */
export const ORCHESTRATOR_DIMENSION = "Orchestrator";

/** Published by the reward watcher Lambda every run (dimension `Unit`), in its own namespace. */
export const WATCHER_METRICS = {
  /** 1 on every run that read the chain; its absence is the "watcher silent" alarm. */
  heartbeat: "WatcherHeartbeat",
  /** 1 when the run could not read the chain (unreachable RPC, wrong chain, not a Controller). */
  chainReadFailed: "WatcherChainReadFailed",
  currentRound: "CurrentRound",
  lastRewardRound: "LastRewardRound",
  /** Blocks into the round / round length, 0..1. */
  roundProgress: "RoundProgress",
  /** 1 once reward is called this round (lastRewardRound or a Reward event), else 0. */
  rewardCalled: "RewardCalledThisRound",
  /** Round progress while an active orchestrator's reward is still due; 0 otherwise. */
  rewardPendingFraction: "RewardPendingRoundFraction",
  /** L1 blocks into a round nobody has initialized; 0 once initialized. */
  uninitializedBlocks: "BlocksIntoUninitializedRound",
  /** 1 when the orchestrator is in the active set this round. */
  orchestratorActive: "OrchestratorActive",
  /** Lowest ETH balance among the gas-paying accounts, in ETH. */
  gasBalanceEth: "GasBalanceEth",
  /** 1 when the watcher's alert condition for a missed reward holds. */
  rewardMissed: "RewardMissed",
} as const;
