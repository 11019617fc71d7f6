// The nodes' Prometheus agents: where they remote-write (the fleet's metrics store), what their
// env file tells scripts/node/render-prometheus.py, and what a region stack still needs before
// its nodes can write. Pure: no Pulumi imports; components and index.ts read it.
import type { MetricsConfig } from "../config/metrics-schema";
import type { RegionDesign } from "../design";
import type { Env } from "../userdata";
import { NAMESPACE } from "../config/schema";
import { stackFileName } from "../stack";
import type { DeployBlocker } from "./releases";
import type { NodeKind } from "../runtime-contract";
import { METRICS_PORTS } from "../config/ports";

/** The metrics stack's loopback ports: one home with every other unit port (lib/config/ports.ts). */
export { METRICS_PORTS };

/**
 * The community share's sampling interval: the only demand series that leave the fleet are
 * counters sampled this often, so a receiver can compute nothing finer than 5-minute averages.
 */
export const COMMUNITY_SHARE_INTERVAL_SECONDS = 300;

/**
 * AMP's remote-write endpoint for a workspace: the workspace's prometheusEndpoint
 * (`https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/`, pulumi-aws
 * aws.amp.Workspace) followed by `api/v1/remote_write` (AMP User Guide, "Ingest Prometheus
 * metrics to the workspace").
 */
export function ampRemoteWriteUrl(region: string, workspaceId: string): string {
  return `https://aps-workspaces.${region}.amazonaws.com/workspaces/${workspaceId}/api/v1/remote_write`;
}

/**
 * The workspace's ARN as IAM names it (Service Authorization Reference, Amazon Managed Service
 * for Prometheus: `arn:${Partition}:aps:${Region}:${Account}:workspace/${WorkspaceId}`).
 */
export function ampWorkspaceArn(a: {
  partition: string;
  region: string;
  accountId: string;
  workspaceId: string;
}): string {
  return `arn:${a.partition}:aps:${a.region}:${a.accountId}:workspace/${a.workspaceId}`;
}

/** The workspace id the offline plan shows until the fleet file names the real one. */
export const UNPINNED_WORKSPACE = "unpinned-amp-workspace";

/** Where a region's nodes write, resolved from the fleet's metrics settings. */
export interface MetricsTarget {
  /** Remote-write URL; undefined: the nodes run no metrics agent. */
  url?: string;
  /** SigV4 signing region (AMP only). */
  sigv4Region?: string;
  /** The AMP workspace, when the store is the fleet's workspace. */
  amp?: { region: string; workspaceId: string };
  /** The VPC endpoint com.amazonaws.<region>.aps-workspaces: AMP in the unit's own region. */
  vpcEndpoint: boolean;
  /** The community receiver's remote-write URL, when the share is on. */
  shareUrl?: string;
}

export function metricsTarget(
  m: MetricsConfig | undefined,
  homeRegion: string,
  region: string,
): MetricsTarget {
  if (!m) return { vpcEndpoint: false };
  const shareUrl = m.communityDemand.enabled ? m.communityDemand.remoteWriteUrl : undefined;
  if (m.store === "remoteWrite") return { url: m.remoteWriteUrl, vpcEndpoint: false, shareUrl };
  // Unpinned, only the offline plan gets this far (metricsDeployBlockers refuses the deploy): it
  // shows what the stack builds with a placeholder id, as launchImageId does for an unpinned AMI.
  const workspaceId = m.ampWorkspaceId ?? UNPINNED_WORKSPACE;
  return {
    url: ampRemoteWriteUrl(homeRegion, workspaceId),
    sigv4Region: homeRegion,
    amp: { region: homeRegion, workspaceId },
    // Same region: AMP's interface endpoint with private DNS answers for the public host name,
    // so the nodes' traffic stays in the VPC. Elsewhere they reach the public endpoint: the
    // orchestrators through their own public address, the transcoders through NAT.
    vpcEndpoint: homeRegion === region,
    shareUrl,
  };
}

/**
 * The env lines of the metrics agent (scripts/node/metrics-setup.sh, render-prometheus.py). An
 * empty LF_PROM_REMOTE_WRITE_URL means: no agent on this node.
 */
export function metricsEnv(d: RegionDesign, kind: Exclude<NodeKind, "chain">): Env {
  const t = metricsTarget(d.fleet.metrics, d.fleet.homeRegion, d.region);
  const gpu = kind === "transcoder" && d.config.nodeGroup.gpu;
  return [
    ["LF_PROM_REMOTE_WRITE_URL", t.url ?? ""],
    ["LF_PROM_SIGV4_REGION", t.sigv4Region ?? ""],
    ["LF_PROM_SCRAPE_INTERVAL", `${d.fleet.metrics?.scrapeIntervalSeconds ?? 30}s`],
    ["LF_PROM_PORT", METRICS_PORTS.prometheus],
    ["LF_NODE_EXPORTER_PORT", METRICS_PORTS.nodeExporter],
    ["LF_GPU_EXPORTER_PORT", gpu ? METRICS_PORTS.gpuExporter : ""],
    // Orchestrators only: they see every session of their slot; a transcoder's view repeats it.
    ["LF_PROM_SHARE_URL", kind === "orchestrator" ? (t.shareUrl ?? "") : ""],
    ["LF_PROM_SHARE_INTERVAL", `${COMMUNITY_SHARE_INTERVAL_SECONDS}s`],
  ];
}

/**
 * What a region stack lacks before its nodes can write metrics: the fleet's workspace id while the
 * store is AMP. Blamed on the fleet file, where it is set.
 */
export function metricsDeployBlockers(
  m: MetricsConfig | undefined,
  fleet: string,
): (DeployBlocker & { file: string })[] {
  if (!m || m.store !== "amp" || m.ampWorkspaceId !== undefined) return [];
  return [
    {
      file: stackFileName(fleet),
      keyPath: `${NAMESPACE}:metrics.ampWorkspaceId`,
      message:
        `required while metrics.store is amp: \`pulumi up --stack ${fleet}\` creates the fleet's ` +
        `workspace, \`pulumi stack output --stack ${fleet} metricsWorkspaceId\` prints the id to ` +
        `set in ${stackFileName(fleet)} (or set metrics.store: remoteWrite and metrics.remoteWriteUrl)`,
    },
  ];
}
