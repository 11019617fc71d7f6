// Renders the EC2 user data of each node kind from validated, non-secret values: a bash script
// that writes /etc/livepeer-fleet/node.env (every value single-quoted, checked against a strict
// character set first) and the repository's scripts/node files, then runs the kind's boot
// script. Secrets never pass through here: the instances fetch them from SSM themselves.
// The script is gzip-compressed (cloud-init inflates gzip user data) with a pure-JS deflate,
// so the bytes, and so the launch template, only change when the content does.
import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "fflate";
import { CHAIN_HEALTH_PORT } from "./runtime-contract";

/** EC2's user data limit, counted before base64. */
export const USER_DATA_LIMIT = 16384;
/** The chain client's own JSON-RPC port on loopback (Nitro's default; geth is told to use it). */
export const LOCAL_RPC_PORT = 8547;
/** go-livepeer's CLI port for orchestrators (starter.go OrchestratorCliPort); loopback only. */
export const LIVEPEER_CLI_PORT = 7935;

export const NODE_DIR = path.resolve(__dirname, "..", "scripts", "node");
const ROOT = "/opt/livepeer-fleet";
const ENV_FILE = "/etc/livepeer-fleet/node.env";

export class UnsafeValueError extends Error {
  override name = "UnsafeValueError";
}

// No quote, backslash, $, backtick or newline: safe inside '...' for bash and for systemd's
// EnvironmentFile parser, and safe as a word in a unit's ExecStart after expansion.
const SAFE = /^[A-Za-z0-9 ._:/@=+,-]*$/;

/** One `KEY='value'` line; throws on anything that could escape the quotes. */
export function envLine(key: string, value: string | number | boolean): string {
  if (!/^LF_[A-Z0-9_]+$/.test(key)) throw new UnsafeValueError(`bad variable name ${key}`);
  const v = String(value);
  if (!SAFE.test(v) || v.length > 512) {
    throw new UnsafeValueError(`${key}: value has characters outside [A-Za-z0-9 ._:/@=+,-]`);
  }
  return `${key}='${v}'`;
}

/**
 * A node file as shipped: full-line comments dropped (they are for readers of the repository;
 * the 16 KB budget is for code). The shebang and shellcheck directives stay, so the shipped
 * text passes the same checks: tests run it through bash -n, shellcheck, Python's parser and
 * systemd-analyze as well.
 */
export function shipped(text: string): string {
  const keep = (line: string, i: number) =>
    (i === 0 && line.startsWith("#!")) || /^\s*# shellcheck /.test(line) || !/^\s*#/.test(line);
  return text.split("\n").filter(keep).join("\n");
}

interface NodeFile {
  /** Path under scripts/node. */
  src: string;
  /** Path on the instance. */
  dest: string;
  mode: "0755" | "0644";
}

const bin = (src: string): NodeFile => ({ src, dest: `${ROOT}/bin/${src}`, mode: "0755" });
const data = (src: string): NodeFile => ({ src, dest: `${ROOT}/${src}`, mode: "0644" });

const COMMON: NodeFile[] = [
  bin("common.sh"),
  bin("health-agent.py"),
  // The health agent signs its CloudWatch calls with it.
  bin("awsapi.py"),
  bin("install-release.sh"),
  data("conf/journald-livepeer-fleet.conf"),
  data("conf/amazon-time-sync.sources"),
  data("units/livepeer-health.service"),
];

export function chainFiles(client: "nitro" | "geth"): NodeFile[] {
  return [
    ...COMMON,
    bin("render-rpc-proxy.py"),
    bin("mount-data-volume.sh"),
    bin("attach-data-volume.sh"),
    bin("fetch-identity.sh"),
    bin("rpc-proxy-config.sh"),
    ...(client === "nitro" ? [bin("nitro-config.sh")] : []),
    bin("boot-chain.sh"),
    data("conf/rpc-proxy.cfg.tmpl"),
    data("units/rpc-proxy.service"),
    data("units/livepeer-redeemer.service"),
    data(`units/${client}/chain-client.service`),
  ];
}

export function nodeFiles(): NodeFile[] {
  return [
    ...COMMON,
    bin("throwaway-identity.sh"),
    bin("boot-node.sh"),
    data("units/livepeer.service"),
  ];
}

export interface RenderedUserData {
  /** The boot script before compression (what the plan and the tests read). */
  script: string;
  /** gzip of the script: what EC2 stores and counts against USER_DATA_LIMIT. */
  bytes: Uint8Array;
  /** What the launch template's userData input takes. */
  base64: string;
}

function heredoc(dest: string, content: string, mode: string): string {
  const tag = "LF_FILE_EOF";
  if (content.split("\n").includes(tag)) throw new UnsafeValueError(`${dest} contains ${tag}`);
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `cat >${dest} <<'${tag}'\n${body}${tag}\nchmod ${mode} ${dest}\n`;
}

/** Assembles and compresses one kind's user data; throws if it would not fit EC2's limit. */
export function assemble(
  kind: "chain" | "node",
  env: [string, string | number | boolean][],
  files: NodeFile[],
  nodeDir = NODE_DIR,
): RenderedUserData {
  const dirs = new Set([path.posix.dirname(ENV_FILE)]);
  for (const f of files) dirs.add(path.posix.dirname(f.dest));
  const parts = [
    "#!/bin/bash\n",
    `# livepeer-fleet ${kind} boot, rendered by lib/userdata.ts: validated values, no secrets.\n`,
    "set -euo pipefail\numask 022\n",
    `install -d -m 0755 ${[...dirs].sort().join(" ")}\n`,
    heredoc(ENV_FILE, env.map(([k, v]) => envLine(k, v)).join("\n"), "0644"),
    ...files.map((f) =>
      heredoc(f.dest, shipped(fs.readFileSync(path.join(nodeDir, f.src), "utf8")), f.mode),
    ),
    `exec ${ROOT}/bin/boot-${kind}.sh\n`,
  ];
  const script = parts.join("");
  const bytes = gzipSync(new TextEncoder().encode(script), { level: 9, mtime: 0 });
  if (bytes.length > USER_DATA_LIMIT) {
    throw new Error(
      `${kind} user data is ${bytes.length} bytes gzipped, over EC2's ${USER_DATA_LIMIT}`,
    );
  }
  return { script, bytes, base64: Buffer.from(bytes).toString("base64") };
}

/** Everything the chain node's boot needs to know; none of it secret. */
export interface ChainUserDataValues {
  stack: string;
  network: string;
  orchestratorAddress: string;
  client: "nitro" | "geth";
  livepeerUrl: string;
  livepeerSha256: string;
  /** repo:tag@sha256:digest (nitro). */
  nitroImage?: string;
  nitroChainId?: number;
  gethUrl?: string;
  gethSha256?: string;
  gethNetworkFlags?: string;
  dataVolumeId: string;
  zoneId: string;
  chainHost: string;
  rpcPort: number;
  redeemerPort: number;
  keystoreParameter: string;
  passphraseParameter: string;
  rpcEndpointsParameter: string;
  maxChainHeadAgeSeconds: number;
}

export function renderChainUserData(v: ChainUserDataValues): RenderedUserData {
  const env: [string, string | number | boolean][] = [
    ["LF_KIND", "chain"],
    ["LF_STACK", v.stack],
    ["LF_NETWORK", v.network],
    ["LF_ORCH_ADDR", v.orchestratorAddress],
    ["LF_LIVEPEER_URL", v.livepeerUrl],
    ["LF_LIVEPEER_SHA256", v.livepeerSha256],
    ["LF_CHAIN_CLIENT", v.client],
    ["LF_NITRO_IMAGE", v.nitroImage ?? ""],
    ["LF_CHAIN_ID", v.nitroChainId ?? ""],
    ["LF_GETH_URL", v.gethUrl ?? ""],
    ["LF_GETH_SHA256", v.gethSha256 ?? ""],
    ["LF_GETH_NETWORK_FLAGS", v.gethNetworkFlags ?? ""],
    ["LF_DATA_VOLUME_ID", v.dataVolumeId],
    ["LF_ZONE_ID", v.zoneId],
    ["LF_CHAIN_HOST", v.chainHost],
    ["LF_RPC_PORT", v.rpcPort],
    ["LF_LOCAL_RPC_PORT", LOCAL_RPC_PORT],
    ["LF_REDEEMER_PORT", v.redeemerPort],
    ["LF_CHAIN_HEALTH_PORT", CHAIN_HEALTH_PORT],
    ["LF_IDENTITY_KEYSTORE_PARAM", v.keystoreParameter],
    ["LF_IDENTITY_PASSPHRASE_PARAM", v.passphraseParameter],
    ["LF_RPC_ENDPOINTS_PARAM", v.rpcEndpointsParameter],
    [
      "LF_HEALTH_ARGS",
      `--mode chain --bind 127.0.0.1 --port ${CHAIN_HEALTH_PORT} ` +
        `--eth-url http://127.0.0.1:${LOCAL_RPC_PORT} --max-head-age ${v.maxChainHeadAgeSeconds} ` +
        // ChainSynced and ChainHeadAgeSeconds, dimension Unit=<stack>, for the chain alarms.
        `--publish --unit ${v.stack}`,
    ],
  ];
  return assemble("chain", env, chainFiles(v.client));
}

/** Everything an orchestrator/transcoder node's boot needs to know; none of it secret. */
export interface NodeUserDataValues {
  stack: string;
  network: string;
  orchestratorAddress: string;
  gpu: boolean;
  livepeerUrl: string;
  livepeerSha256: string;
  /** http://chain.<zone>:<rpcPort>: the region's proxy. */
  ethUrl: string;
  /** chain.<zone>:<redeemerPort>. */
  redeemerAddr: string;
  serviceAddr: string;
  servicePort: number;
  healthPort: number;
  maxSessions: number;
  pricePerUnit: string;
  pixelsPerUnit: string;
  autoAdjustPrice: boolean;
  maxChainHeadAgeSeconds: number;
}

export function renderNodeUserData(v: NodeUserDataValues): RenderedUserData {
  const env: [string, string | number | boolean][] = [
    ["LF_KIND", "node"],
    ["LF_STACK", v.stack],
    ["LF_NETWORK", v.network],
    ["LF_ORCH_ADDR", v.orchestratorAddress],
    ["LF_LIVEPEER_URL", v.livepeerUrl],
    ["LF_LIVEPEER_SHA256", v.livepeerSha256],
    ["LF_GPU", v.gpu],
    // go-livepeer -nvidia: "all" uses every visible device (flags.go).
    ["LF_GPU_FLAGS", v.gpu ? "-nvidia all" : ""],
    ["LF_ETH_URL", v.ethUrl],
    ["LF_REDEEMER_ADDR", v.redeemerAddr],
    ["LF_SERVICE_ADDR", v.serviceAddr],
    ["LF_SERVICE_PORT", v.servicePort],
    ["LF_HEALTH_PORT", v.healthPort],
    ["LF_MAX_SESSIONS", v.maxSessions],
    ["LF_PRICE_PER_UNIT", v.pricePerUnit],
    ["LF_PIXELS_PER_UNIT", v.pixelsPerUnit],
    ["LF_AUTO_ADJUST_PRICE", v.autoAdjustPrice],
    [
      "LF_HEALTH_ARGS",
      `--mode node --bind 0.0.0.0 --port ${v.healthPort} --eth-url ${v.ethUrl} ` +
        `--max-head-age ${v.maxChainHeadAgeSeconds} ` +
        `--livepeer-url https://127.0.0.1:${v.servicePort}/healthz ` +
        `--status-url http://127.0.0.1:${LIVEPEER_CLI_PORT}/status${v.gpu ? " --gpu" : ""} ` +
        // CurrentSessions per node for target tracking, read from go-livepeer's -monitor endpoint.
        `--publish --metrics-url http://127.0.0.1:${LIVEPEER_CLI_PORT}/metrics`,
    ],
  ];
  return assemble("node", env, nodeFiles());
}
