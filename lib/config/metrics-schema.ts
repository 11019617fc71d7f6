// The fleet's metrics store (`livepeer-fleet:metrics` in the fleet file): where every
// orchestrator's and transcoder's Prometheus agent remote-writes, and the opt-in community demand
// share. Region stacks read it through their fleet file (lib/config/program.ts fleetSettings).
// Pure: no Pulumi imports.
import { z } from "zod";
import { addDerived } from "./derived";

/**
 * The AMP API's WorkspaceId shape (botocore amp 2020-08-01 service-2.json: pattern
 * `[0-9A-Za-z][-.0-9A-Z_a-z]*`, at most 64 characters); AMP's own ids look like
 * ws-1234abcd-56ef-78ab-90cd-1234567890ab.
 */
const workspaceId = z
  .string()
  .regex(
    /^[0-9A-Za-z][-.0-9A-Za-z_]{0,63}$/,
    "expected an AMP workspace id such as ws-1234abcd-56ef-78ab-90cd-1234567890ab",
  );

/**
 * An https URL Prometheus can post to, in the characters the node's env file carries
 * (lib/userdata.ts envLine). Credentials in the URL are refused: they would sit in the plan, the
 * state and the node's env file.
 */
const remoteWriteUrl = z
  .string()
  .regex(
    /^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._:/@=+,-]*)?$/,
    "expected an https:// URL without credentials or query, e.g. https://metrics.example.net/api/v1/write",
  );

export const METRICS_STORES = ["amp", "remoteWrite"] as const;

export const CommunityDemandSchema = z.strictObject({
  /**
   * Share the fleet's demand with the community's receiver. Default false: nothing leaves the
   * fleet unless this is set. When on, each orchestrator's agent sends a second remote write with
   * only: seconds of source video received (a 5-minute rate is the average number of concurrent
   * streams), output pixels, and segments per standard rendition ladder, sampled every 5 minutes,
   * labelled with the AWS region and the orchestrator's slot letter only (docs/monitoring.md).
   */
  enabled: z.boolean().default(false),
  /** The community receiver's remote-write URL. Required when enabled. */
  remoteWriteUrl: remoteWriteUrl.optional(),
});

export const MetricsSchema = z
  .strictObject({
    /**
     * Where the nodes' Prometheus agents remote-write. Default "amp": the Amazon Managed Service
     * for Prometheus workspace the fleet stack creates in the home region, written to with SigV4
     * under each node's instance role (aps:RemoteWrite on that workspace only). "remoteWrite": the
     * URL in remoteWriteUrl, for a store the operators already run.
     */
    store: z.enum(METRICS_STORES).default("amp"),
    /**
     * The fleet stack's workspace id, copied into this file after the fleet stack's first `pulumi
     * up` (`pulumi stack output --stack <fleet> metricsWorkspaceId`). Region stacks are built from
     * files alone, also offline, so they read the id here instead of from the fleet's state; the
     * fleet stack refuses an id that is not its own workspace's. Required to deploy a region stack
     * while store is "amp".
     */
    ampWorkspaceId: workspaceId.optional(),
    /** The store's remote-write URL when store is "remoteWrite". Required then. */
    remoteWriteUrl: remoteWriteUrl.optional(),
    /**
     * How often the agents scrape go-livepeer and the host, in seconds. Default 30: AMP charges
     * per sample ingested, so 30 s costs half of 15 s; a session lasts minutes.
     */
    scrapeIntervalSeconds: z.number().int().min(10).max(300).default(30),
    /** The opt-in community demand share (CommunityDemandSchema). Default off. */
    communityDemand: CommunityDemandSchema.prefault({}),
  })
  .superRefine((m, ctx) => {
    if (m.store === "remoteWrite" && m.remoteWriteUrl === undefined) {
      addDerived(ctx, {
        path: ["remoteWriteUrl"],
        message: 'expected the store\'s remote-write URL when store is "remoteWrite"',
        from: ["metrics.store", "metrics.remoteWriteUrl"],
      });
    }
    if (m.store === "amp" && m.remoteWriteUrl !== undefined) {
      addDerived(ctx, {
        path: ["remoteWriteUrl"],
        message:
          'expected no remoteWriteUrl while store is "amp" (set store: remoteWrite to use it)',
        from: ["metrics.store", "metrics.remoteWriteUrl"],
      });
    }
    if (m.store !== "amp" && m.ampWorkspaceId !== undefined) {
      addDerived(ctx, {
        path: ["ampWorkspaceId"],
        message: 'expected no ampWorkspaceId unless store is "amp"',
        from: ["metrics.store", "metrics.ampWorkspaceId"],
      });
    }
    const share = m.communityDemand;
    if (share.enabled && share.remoteWriteUrl === undefined) {
      addDerived(ctx, {
        path: ["communityDemand", "remoteWriteUrl"],
        message: "expected the community receiver's remote-write URL when enabled is true",
        from: ["metrics.communityDemand.enabled", "metrics.communityDemand.remoteWriteUrl"],
      });
    }
  });

export type MetricsConfig = z.output<typeof MetricsSchema>;
