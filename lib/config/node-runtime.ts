// The node runtime's config (what runs on the instances; lib/userdata.ts renders it): pinned
// releases, the chain endpoints parameter, health thresholds and pricing. Kept apart from
// schema.ts so the region schema stays readable; REGION_KEYS.nodeRuntime uses it.
import { z } from "zod";

export const NODE_RUNTIME_DEFAULTS = {
  /** Latest go-livepeer release tag in the mirrored repository (git tag v0.9.1). */
  goLivepeerVersion: "v0.9.1",
  /** Arbitrum's "run a full node" guide pins this nitro-node tag; the digest must come from config. */
  nitroImage: "offchainlabs/nitro-node",
  nitroTag: "v3.9.4-7f582c3",
  /** Arbitrum One blocks come every ~0.25 s: a head a minute old means the node is not following. */
  maxChainHeadAgeSeconds: 60,
  /** go-livepeer's default -pixelsPerUnit (starter.go defaultPixelsPerUnit). */
  pixelsPerUnit: "1",
  /** go-livepeer's default -autoAdjustPrice (starter.go defaultAutoAdjustPrice). */
  autoAdjustPrice: true,
  /** geth follows Ethereum mainnet unless a stack names a test network. */
  gethNetworkFlags: "--mainnet",
} as const;

const sha256 = z
  .string()
  .regex(
    /^[0-9a-f]{64}$/,
    "expected a lowercase hex sha256 (64 characters), as sha256sum prints it",
  );

const ssmName = z
  .string()
  .regex(/^(\/[A-Za-z0-9_.-]+)+$/, "expected an SSM parameter name like /livepeer-fleet/<stack>/x");

export const NodeRuntimeSchema = z.strictObject({
  /** go-livepeer release every node and the redeemer run (github.com/livepeer/go-livepeer releases). */
  goLivepeer: z
    .strictObject({
      /** Release tag. Default v0.9.1. */
      version: z
        .string()
        .regex(/^v\d+\.\d+\.\d+$/, "expected a release tag such as v0.9.1")
        .default(NODE_RUNTIME_DEFAULTS.goLivepeerVersion),
      /**
       * sha256 of the release assets livepeer-linux-amd64.tar.gz (cpu: chain node and CPU nodes)
       * and livepeer-linux-gpu-amd64.tar.gz (gpu). No default: a hash is only worth pinning if
       * someone checked it against the release's checksums file. Required to deploy.
       */
      sha256: z.strictObject({ cpu: sha256.optional(), gpu: sha256.optional() }).prefault({}),
    })
    .prefault({}),
  /** Arbitrum Nitro (the chain client for arbitrum-one-* networks), run from a digest-pinned image. */
  nitro: z
    .strictObject({
      /** Image repository. Default offchainlabs/nitro-node. */
      image: z
        .string()
        .regex(/^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/, "expected an image repository name")
        .default(NODE_RUNTIME_DEFAULTS.nitroImage),
      /** Image tag (informational next to the digest). Default v3.9.4-7f582c3. */
      tag: z
        .string()
        .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "expected an image tag")
        .default(NODE_RUNTIME_DEFAULTS.nitroTag),
      /** Image digest sha256:<64 hex> of that tag (docker buildx imagetools inspect). Required to deploy. */
      digest: z
        .string()
        .regex(/^sha256:[0-9a-f]{64}$/, "expected an image digest sha256:<64 hex>")
        .optional(),
    })
    .prefault({}),
  /** geth (the chain client for L1/test networks), a sha256-pinned release binary. */
  geth: z
    .strictObject({
      /** Release as in the download name geth-linux-amd64-<release>.tar.gz, e.g. 1.14.12-293a300d. */
      release: z
        .string()
        .regex(/^\d+\.\d+\.\d+-[0-9a-f]{8}$/, "expected <version>-<commit>, e.g. 1.14.12-293a300d")
        .optional(),
      /** sha256 of that tarball. Required to deploy with geth. */
      sha256: sha256.optional(),
      /** geth network flags. Default --mainnet. */
      networkFlags: z
        .string()
        .regex(/^(--[a-z][a-z0-9.-]*(=[A-Za-z0-9._-]+)?( |$))+$/, "expected flags like --sepolia")
        .default(NODE_RUNTIME_DEFAULTS.gethNetworkFlags),
    })
    .prefault({}),
  /**
   * SSM SecureString with the chain node's external endpoints, JSON: {"backups": [hosted
   * Arbitrum RPC URLs, tried in order after the local node], "parentChainUrl", "parentChainBeaconUrl"
   * (Nitro's Ethereum L1 endpoints)}. Their URLs carry API keys, so they never enter config or
   * user data. Default <identity.parameterPrefix>/chain/rpc-endpoints.
   */
  rpcEndpointsParameter: ssmName.optional(),
  /** A chain head older than this (seconds) fails the health checks. Default 60. */
  maxChainHeadAgeSeconds: z
    .number()
    .int()
    .min(5)
    .max(3600)
    .default(NODE_RUNTIME_DEFAULTS.maxChainHeadAgeSeconds),
  /**
   * go-livepeer -pricePerUnit: wei per pixelsPerUnit pixels, or <price><currency> such as 0.5USD.
   * No default: go-livepeer itself refuses to run an orchestrator without it. Required to deploy.
   */
  pricePerUnit: z
    .string()
    .regex(/^\d+(\.\d+)?([A-Za-z][A-Za-z0-9]*)?$/, "expected a price such as 1200 or 0.5USD")
    .optional(),
  /** go-livepeer -pixelsPerUnit (a positive integer). Default "1". */
  pixelsPerUnit: z
    .string()
    .regex(/^[1-9]\d{0,17}$/, "expected a positive integer")
    .default(NODE_RUNTIME_DEFAULTS.pixelsPerUnit),
  /** go-livepeer -autoAdjustPrice. Default true (go-livepeer's default). */
  autoAdjustPrice: z.boolean().default(NODE_RUNTIME_DEFAULTS.autoAdjustPrice),
});
