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

/** What a geth flag takes: nothing (a network switch), an integer in a range, or one of a list. */
type GethFlag =
  | { kind: "network" }
  | { kind: "int"; min: number; max: number }
  | { kind: "enum"; values: readonly string[] };

/**
 * The geth flags a stack may set, as named in go-ethereum's cmd/utils/flags.go (MainnetFlag,
 * SepoliaFlag, HoleskyFlag, HoodiFlag: the NetworkFlags group; CacheFlag, MaxPeersFlag, GCModeFlag,
 * StateSchemeFlag, StateHistoryFlag, TransactionHistoryFlag) and internal/debug/flags.go
 * (verbosityFlag). Nothing that opens or moves a listener (--http.addr, --ws, --ws.addr,
 * --authrpc.addr, --port), reads files or unlocks accounts: the unit file owns those, and a stack
 * file must not be able to put the chain client's RPC on 0.0.0.0.
 */
export const GETH_FLAGS: Readonly<Record<string, GethFlag>> = {
  mainnet: { kind: "network" },
  sepolia: { kind: "network" },
  holesky: { kind: "network" },
  hoodi: { kind: "network" },
  cache: { kind: "int", min: 0, max: 1_048_576 },
  maxpeers: { kind: "int", min: 0, max: 1000 },
  verbosity: { kind: "int", min: 0, max: 5 },
  gcmode: { kind: "enum", values: ["full", "archive"] },
  "state.scheme": { kind: "enum", values: ["hash", "path"] },
  "history.state": { kind: "int", min: 0, max: 1_000_000_000 },
  "history.transactions": { kind: "int", min: 0, max: 1_000_000_000 },
};

/** Every problem with a geth flag string, one message each (empty: valid). */
export function gethFlagProblems(text: string): string[] {
  const allowed = Object.keys(GETH_FLAGS)
    .map((f) => `--${f}`)
    .join(", ");
  const tokens = text.split(" ").filter((t) => t !== "");
  if (tokens.length === 0) return [`expected at least one geth flag such as --mainnet`];
  const problems: string[] = [];
  const networks: string[] = [];
  for (const token of tokens) {
    const m = /^--([a-z][a-z0-9.-]*)(?:=(.*))?$/.exec(token);
    if (!m) {
      problems.push(`expected --flag or --flag=value, got ${JSON.stringify(token)}`);
      continue;
    }
    const [, name, value] = m;
    const flag = GETH_FLAGS[name];
    if (!flag) {
      problems.push(
        `--${name} is not an allowed geth flag (allowed: ${allowed}); listeners and addresses are set by the chain node's unit file, not by config`,
      );
    } else if (flag.kind === "network") {
      if (value !== undefined) problems.push(`--${name} takes no value`);
      networks.push(`--${name}`);
    } else if (flag.kind === "int") {
      const n = value !== undefined && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
      if (!(n >= flag.min && n <= flag.max)) {
        problems.push(`--${name} expects =<integer ${flag.min}-${flag.max}>`);
      }
    } else if (value === undefined || !flag.values.includes(value)) {
      problems.push(`--${name} expects =${flag.values.join("|")}`);
    }
  }
  // geth refuses more than one (cmd/utils/flags.go: CheckExclusive over the network flags).
  if (networks.length > 1)
    problems.push(`expected at most one network flag, got ${networks.join(" ")}`);
  return problems;
}

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
      /**
       * geth flags, from an allowlist (GETH_FLAGS): one network (--mainnet, --sepolia, --holesky,
       * --hoodi) and tuning such as --cache=4096. Default --mainnet.
       */
      networkFlags: z
        .string()
        .superRefine((v, ctx) => {
          for (const message of gethFlagProblems(v)) ctx.addIssue({ code: "custom", message });
        })
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
