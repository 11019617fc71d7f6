// Maps a region's design (lib/design.ts) and the few ids only known at deploy time to each
// instance kind's env file (lib/userdata.ts renders it; scripts/node reads it). The one place the
// runtime contract (ports, unit names, metric names, namespaces) reaches the node files: they
// never retype a literal. Pure; missing pins render as empty strings, which the boot scripts
// refuse (and index.ts refuses to deploy: deployBlockers).
import type { RegionDesign } from "../design";
import { BOOT_DEADLINE_PATH, type Env } from "../userdata";
import {
  CHAIN_BOOT,
  CHAIN_HEALTH_PORT,
  FAULT_WATCH,
  NODE_METRICS,
  ORCHESTRATOR_DIMENSION,
  PORTS,
  ROLE_METRIC_NAMESPACES,
  UNIT_DIMENSION,
  UNITS,
  type NodeKind,
} from "../runtime-contract";
import { NITRO_CHAIN_IDS, gethUrl, goLivepeerUrl } from "./releases";
import { metricsEnv } from "./metrics";
import {
  DEMAND_METRICS,
  DEMAND_NAMESPACE,
  DEMAND_PUBLISH_SECONDS,
  MEAN_SESSION_MINUTES,
  RENDITION_DIMENSION,
} from "../demand/metrics";
import { LPMS_PROFILES } from "../demand/profiles";
import { SOURCE_RENDITION } from "../config/sizing-schema";

/** Where a kind's bundle lives (components/node-files.ts): the bootstrap fetches and checks it. */
export interface BundleRef {
  bucket: string;
  key: string;
  versionId: string;
  sha256: string;
}

/** The namespace each instance kind publishes into (its role's only one: IAM allows no other). */
export const KIND_METRIC_NAMESPACE: Record<NodeKind, string> = {
  chain: ROLE_METRIC_NAMESPACES["chain-node"],
  orchestrator: ROLE_METRIC_NAMESPACES.orchestrator,
  transcoder: ROLE_METRIC_NAMESPACES.transcoder,
};

function common(d: RegionDesign, kind: NodeKind, bundle: BundleRef, gpu: boolean): Env {
  const lp = d.config.nodeRuntime.goLivepeer;
  const build = gpu ? "gpu" : "cpu";
  return [
    ["LF_KIND", kind],
    ["LF_STACK", d.stack],
    ["LF_REGION", d.region],
    ["LF_NETWORK", d.config.livepeer.network],
    ["LF_NAMESPACE", KIND_METRIC_NAMESPACE[kind]],
    ["LF_BUNDLE_BUCKET", bundle.bucket],
    ["LF_BUNDLE_KEY", bundle.key],
    ["LF_BUNDLE_VERSION", bundle.versionId],
    ["LF_BUNDLE_SHA256", bundle.sha256],
    ["LF_LIVEPEER_URL", goLivepeerUrl(lp.version, build)],
    ["LF_LIVEPEER_SHA256", lp.sha256[build] ?? ""],
  ];
}

/** The SSM names of one account's keystore and passphrase (lib/identity/names.ts). */
export interface KeyParameters {
  keystore: string;
  passphrase: string;
}

export interface ChainIds {
  bundle: BundleRef;
  dataVolumeId: string;
  zoneId: string;
  /** This region's redeemer account: fetched by the redeemer unit in every region. */
  redeemerIdentity: KeyParameters;
  /**
   * The on-chain orchestrator's key: rendered only into the home region's env, whose reward
   * service fetches it (only that region's chain-node role may read it).
   */
  orchestratorIdentity: KeyParameters;
}

/**
 * Docker's --publish arguments of the Nitro container: its RPC on the host's loopback only (the
 * RPC proxy and the health agent are its only clients), and the chain client's P2P port to the
 * world only when the stack opens one (chainNode.p2pPort; Nitro itself listens on none: it
 * disables geth's P2P stack, OffchainLabs/nitro cmd/nitro/nitro.go mainImpl).
 */
export function nitroPublish(d: RegionDesign): string {
  const rpc = `--publish 127.0.0.1:${PORTS.localRpc}:${PORTS.localRpc}`;
  const p2p = d.config.chainNode.p2pPort;
  return p2p === undefined ? rpc : `${rpc} --publish ${p2p}:${p2p}/tcp --publish ${p2p}:${p2p}/udp`;
}

export function chainEnv(d: RegionDesign, ids: ChainIds): Env {
  const c = d.config;
  const rt = c.nodeRuntime;
  const nitro = c.chainNode.client === "nitro";
  const ns = KIND_METRIC_NAMESPACE.chain;
  return [
    // The redeemer and the reward service need no GPU: always the CPU build.
    ...common(d, "chain", ids.bundle, false),
    ["LF_ORCH_ADDR", c.livepeer.orchestratorAddress],
    // The account the redeemer sends from; fetch-identity.sh checks the keystore against it.
    ["LF_REDEEMER_ACCOUNT", c.livepeer.redeemerAddress],
    ["LF_CHAIN_CLIENT", c.chainNode.client],
    ["LF_NITRO_IMAGE", nitro ? `${rt.nitro.image}:${rt.nitro.tag}@${rt.nitro.digest ?? ""}` : ""],
    ["LF_NITRO_PUBLISH", nitro ? nitroPublish(d) : ""],
    ["LF_CHAIN_P2P_PORT", c.chainNode.p2pPort ?? ""],
    ["LF_CHAIN_ID", nitro ? (NITRO_CHAIN_IDS[c.livepeer.network] ?? "") : ""],
    ["LF_GETH_URL", !nitro && rt.geth.release ? gethUrl(rt.geth.release) : ""],
    ["LF_GETH_SHA256", nitro ? "" : (rt.geth.sha256 ?? "")],
    ["LF_GETH_NETWORK_FLAGS", nitro ? "" : rt.geth.networkFlags],
    ["LF_DATA_VOLUME_ID", ids.dataVolumeId],
    ["LF_ATTACH_ATTEMPTS", CHAIN_BOOT.attachAttempts],
    ["LF_ATTACH_POLL_SECONDS", CHAIN_BOOT.attachPollSeconds],
    // User data arms the deadline (lib/userdata.ts); boot-chain.sh disarms it through this path.
    ["LF_BOOT_DEADLINE_SECONDS", CHAIN_BOOT.deadlineSeconds],
    ["LF_BOOT_DEADLINE", BOOT_DEADLINE_PATH],
    ["LF_ZONE_ID", ids.zoneId],
    ["LF_CHAIN_HOST", d.chainHost],
    ["LF_RPC_PORT", c.chainNode.rpcPort],
    ["LF_LOCAL_RPC_PORT", PORTS.localRpc],
    ["LF_REDEEMER_PORT", c.chainNode.redeemerPort],
    ["LF_CHAIN_HEALTH_PORT", CHAIN_HEALTH_PORT],
    ["LF_CLI_PORT", PORTS.orchestratorCli],
    ["LF_REDEEMER_KEYSTORE_PARAM", ids.redeemerIdentity.keystore],
    ["LF_REDEEMER_PASSPHRASE_PARAM", ids.redeemerIdentity.passphrase],
    // 1 only in the fleet's home region: boot-chain.sh starts the reward service there alone.
    ["LF_REWARD_SERVICE", d.isHomeRegion ? 1 : 0],
    ...(d.isHomeRegion
      ? ([
          ["LF_REWARD_CLI_PORT", PORTS.rewardCli],
          ["LF_ORCH_KEYSTORE_PARAM", ids.orchestratorIdentity.keystore],
          ["LF_ORCH_PASSPHRASE_PARAM", ids.orchestratorIdentity.passphrase],
        ] as Env)
      : []),
    ["LF_RPC_ENDPOINTS_PARAM", rt.rpcEndpointsParameter],
    [
      "LF_HEALTH_ARGS",
      `--mode chain --bind 127.0.0.1 --port ${CHAIN_HEALTH_PORT} ` +
        `--eth-url http://127.0.0.1:${PORTS.localRpc} --max-head-age ${rt.maxChainHeadAgeSeconds} ` +
        `--publish --namespace ${ns} --dimension ${UNIT_DIMENSION}=${d.stack} ` +
        `--metric-chain-synced ${NODE_METRICS.chainSynced} ` +
        `--metric-chain-head-age ${NODE_METRICS.chainHeadAgeSeconds}`,
    ],
  ];
}

export interface OrchestratorIds {
  bundle: BundleRef;
  /** The slot's Elastic IP allocation (eipalloc-...): associated by the instance at boot. */
  allocationId: string;
  /** The EIP's public DNS name: -serviceAddr when the fleet has no service name. */
  publicDns: string;
  /** Private zone id: the instance publishes o-<letter>.<zone> there. */
  zoneId: string;
  orchSecretParameter: string;
}

/** The address an orchestrator advertises: its own name, never the load balancer's. */
export function serviceAddr(d: RegionDesign, az: string, publicDns: string): string {
  const slot = d.orchestrators.find((o) => o.az === az);
  if (!slot) throw new Error(`no orchestrator slot in AZ ${az}`);
  return `${slot.publicName ?? publicDns}:${d.config.livepeer.servicePort}`;
}

export function orchestratorEnv(d: RegionDesign, az: string, ids: OrchestratorIds): Env {
  const c = d.config;
  const rt = c.nodeRuntime;
  const slot = d.orchestrators.find((o) => o.az === az);
  if (!slot) throw new Error(`no orchestrator slot in AZ ${az}`);
  const cli = PORTS.orchestratorCli;
  const ethUrl = `http://${d.chainHost}:${c.chainNode.rpcPort}`;
  return [
    ...common(d, "orchestrator", ids.bundle, false),
    ["LF_ORCH_ADDR", c.livepeer.orchestratorAddress],
    ["LF_SLOT", az],
    ["LF_EIP_ALLOCATION_ID", ids.allocationId],
    ["LF_ZONE_ID", ids.zoneId],
    ["LF_PRIVATE_NAME", slot.privateName],
    ["LF_SERVICE_ADDR", serviceAddr(d, az, ids.publicDns)],
    ["LF_SERVICE_PORT", c.livepeer.servicePort],
    ["LF_HEALTH_PORT", c.livepeer.healthPort],
    ["LF_CLI_PORT", cli],
    ["LF_ETH_URL", ethUrl],
    ["LF_REDEEMER_ADDR", `${d.chainHost}:${c.chainNode.redeemerPort}`],
    ["LF_ORCH_SECRET_PARAM", ids.orchSecretParameter],
    ["LF_PRICE_PER_UNIT", rt.pricePerUnit ?? ""],
    ["LF_PIXELS_PER_UNIT", rt.pixelsPerUnit],
    ["LF_AUTO_ADJUST_PRICE", rt.autoAdjustPrice],
    // The metrics agent (lib/runtime/metrics.ts): where it writes, what it scrapes on loopback.
    ...metricsEnv(d, "orchestrator"),
    [
      "LF_HEALTH_ARGS",
      `--mode orchestrator --bind 0.0.0.0 --port ${c.livepeer.healthPort} --eth-url ${ethUrl} ` +
        `--max-head-age ${rt.maxChainHeadAgeSeconds} ` +
        `--livepeer-url https://127.0.0.1:${c.livepeer.servicePort}/healthz ` +
        `--status-url http://127.0.0.1:${cli}/status --min-transcoders 1 ` +
        `--fault-interval ${FAULT_WATCH.orchestrator.intervalSeconds} ` +
        `--fault-checks ${FAULT_WATCH.orchestrator.checks} ` +
        // go-livepeer cannot start without its remote redeemer: not a local fault then.
        `--redeemer-addr ${d.chainHost}:${c.chainNode.redeemerPort} ` +
        `--publish --namespace ${KIND_METRIC_NAMESPACE.orchestrator} ` +
        `--dimension ${UNIT_DIMENSION}=${d.stack} ` +
        `--dimension ${ORCHESTRATOR_DIMENSION}=${az} --metrics-url http://127.0.0.1:${cli}/metrics ` +
        `--metric-sessions ${NODE_METRICS.currentSessions} ` +
        `--metric-max-sessions ${NODE_METRICS.maxSessions} ` +
        `--metric-transcoders ${NODE_METRICS.transcoders} ` +
        `--metric-transcoder-capacity ${NODE_METRICS.transcoderCapacity}`,
    ],
    ["LF_DEMAND_ARGS", demandPublisherArgs(d)],
  ];
}

/**
 * The orchestrator's demand publisher's command line (scripts/node/demand-publisher.py): the
 * names from lib/demand/metrics.ts, the source rendition and lpms profile sizes it prices pixels
 * with (lib/demand/profiles.ts), go-livepeer's metrics endpoint and unit.
 */
export function demandPublisherArgs(d: RegionDesign): string {
  const source = d.config.demand.ladder.find((r) => r.name === SOURCE_RENDITION)!;
  const profiles = Object.entries(LPMS_PROFILES).map(
    ([name, [w, h, fps]]) => `--profile ${name}=${w}x${h}x${fps}`,
  );
  return [
    `--metrics-url http://127.0.0.1:${PORTS.orchestratorCli}/metrics`,
    `--namespace ${DEMAND_NAMESPACE} --dimension ${UNIT_DIMENSION}=${d.stack}`,
    `--interval ${DEMAND_PUBLISH_SECONDS}`,
    `--metric-served ${DEMAND_METRICS.servedSessions}`,
    `--metric-capacity ${DEMAND_METRICS.poolCapacitySessions}`,
    `--metric-refused-requests ${DEMAND_METRICS.refusedRequests}`,
    `--metric-refused-sessions ${DEMAND_METRICS.refusedSessions}`,
    `--metric-pixels ${DEMAND_METRICS.pixelsPerSecond}`,
    `--rendition-dimension ${RENDITION_DIMENSION}`,
    `--mean-session-minutes ${MEAN_SESSION_MINUTES}`,
    `--source ${source.width}x${source.height}x${source.fps}`,
    ...profiles,
    `--journal-unit ${UNITS.orchestrator}`,
  ].join(" ");
}

export interface TranscoderIds {
  bundle: BundleRef;
  orchSecretParameter: string;
  /** The group's lifecycle hooks the instance completes (components/node-scaling.ts). */
  hookNames?: { drain?: string; launch?: string };
}

/** Seconds between the lifecycle agent's reads of the instance's target lifecycle state. */
export const LIFECYCLE_POLL_SECONDS = 5;
/**
 * How long a new transcoder that is ready on its own but not connected to its orchestrator waits
 * before its launch hook is completed anyway (the orchestrator is down or being replaced; the
 * transcoder reconnects by itself, server/ot_rpc.go RunTranscoder). Well inside the hook's
 * heartbeat (2 x cold boot), after a healthy registration's few seconds.
 */
export const LIFECYCLE_LINK_WAIT_SECONDS = 180;

/**
 * Each pool type's -maxSessions, "type=n,type=n": the transcoder picks its own at boot by its
 * instance type (a spot pool mixes types of different capacity).
 */
export function maxSessionsByType(d: RegionDesign): string {
  const types = d.pool?.types ?? [
    { instanceType: d.config.nodeGroup.instanceType, sessions: d.transcoderMaxSessions },
  ];
  return types.map((t) => `${t.instanceType}=${t.sessions}`).join(",");
}

export function transcoderEnv(d: RegionDesign, ids: TranscoderIds): Env {
  const c = d.config;
  const gpu = c.nodeGroup.gpu;
  const port = c.livepeer.servicePort;
  return [
    ...common(d, "transcoder", ids.bundle, gpu),
    // Every slot, letter=host:port; the boot script picks its own AZ's, else spreads over these.
    ["LF_ORCHESTRATORS", d.orchestrators.map((o) => `${o.az}=${o.privateName}:${port}`).join(",")],
    ["LF_ORCH_SECRET_PARAM", ids.orchSecretParameter],
    ["LF_MAX_SESSIONS_BY_TYPE", maxSessionsByType(d)],
    ["LF_GPU", gpu],
    // go-livepeer -nvidia: "all" uses every visible device (flags.go).
    ["LF_GPU_FLAGS", gpu ? "-nvidia all" : ""],
    ["LF_CLI_PORT", PORTS.transcoderCli],
    ["LF_HEALTH_PORT", c.livepeer.healthPort],
    ...metricsEnv(d, "transcoder"),
    [
      "LF_HEALTH_ARGS",
      // --orch-addr comes from boot.env (LF_HEALTH_EXTRA_ARGS): the boot script picks it.
      `--mode transcoder --bind 127.0.0.1 --port ${c.livepeer.healthPort} ` +
        `--status-url http://127.0.0.1:${PORTS.transcoderCli}/status ` +
        `--fault-interval ${FAULT_WATCH.transcoder.intervalSeconds} ` +
        `--fault-checks ${FAULT_WATCH.transcoder.checks}${gpu ? " --gpu" : ""}`,
    ],
    [
      "LF_LIFECYCLE_ARGS",
      // The health agent's verdict is "registered": go-livepeer up and connected to its
      // orchestrator (and a GPU visible); the launch hook is completed then, or on local
      // readiness alone once the orchestrator has been unreachable for the link wait.
      `--health-url http://127.0.0.1:${c.livepeer.healthPort}/healthz ` +
        `--unit ${UNITS.transcoder} --interval ${LIFECYCLE_POLL_SECONDS} ` +
        `--link-wait-polls ${Math.ceil(LIFECYCLE_LINK_WAIT_SECONDS / LIFECYCLE_POLL_SECONDS)}` +
        (ids.hookNames?.launch ? ` --launch-hook ${ids.hookNames.launch}` : "") +
        (ids.hookNames?.drain ? ` --drain-hook ${ids.hookNames.drain}` : ""),
    ],
  ];
}
