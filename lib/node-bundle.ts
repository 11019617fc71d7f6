// The node runtime as shipped: one gzip'd tar per instance kind of the files under scripts/node,
// uploaded to the unit's private bucket (components/node-files.ts) and fetched at boot by the
// user-data bootstrap, which refuses it unless its sha256 is the one in its user data. Files ship
// as written, comments included: user data's 16 KB no longer decides what a file may say.
// Deterministic: the same files give the same bytes (sorted entries, zero times and owners), so
// an unchanged runtime never changes the object, the launch templates or the instances.
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { gzipSync } from "fflate";
import type { NodeKind } from "./runtime-contract";

export const NODE_DIR = path.resolve(__dirname, "..", "scripts", "node");
/** Where a bundle unpacks on the instance. */
export const NODE_ROOT = "/opt/livepeer-fleet";

interface BundleFile {
  /** Path under scripts/node. */
  src: string;
  /** Path in the bundle (and under NODE_ROOT). */
  dest: string;
  mode: 0o755 | 0o644;
}

const bin = (src: string): BundleFile => ({ src, dest: `bin/${src}`, mode: 0o755 });
const data = (src: string): BundleFile => ({ src, dest: src, mode: 0o644 });

const COMMON: BundleFile[] = [
  bin("common.sh"),
  bin("health-agent.py"),
  bin("awsapi.py"),
  bin("install-release.sh"),
  data("conf/journald-livepeer-fleet.conf"),
  data("conf/amazon-time-sync.sources"),
  data("conf/sysctl-livepeer-fleet.conf"),
  data("units/livepeer-health.service"),
];

/** The metrics agent of orchestrators and transcoders (metrics-setup.sh). */
const METRICS: BundleFile[] = [
  bin("metrics-setup.sh"),
  bin("render-prometheus.py"),
  data("units/livepeer-prometheus.service"),
  data("units/livepeer-node-exporter.service"),
];

/** The files each kind runs (what its boot script, units and agent reference). */
export function bundleFiles(kind: NodeKind): BundleFile[] {
  switch (kind) {
    case "chain":
      return [
        ...COMMON,
        bin("boot-chain.sh"),
        bin("render-rpc-proxy.py"),
        bin("mount-data-volume.sh"),
        bin("attach-data-volume.sh"),
        bin("fetch-identity.sh"),
        bin("loopback-guard.sh"),
        bin("nitro-isolation.sh"),
        bin("rpc-proxy-config.sh"),
        bin("nitro-config.sh"),
        bin("nitro-resume-first-sync.sh"),
        data("conf/rpc-proxy.cfg.tmpl"),
        data("units/rpc-proxy.service"),
        data("units/livepeer-redeemer.service"),
        data("units/livepeer-reward.service"),
        data("units/nitro/chain-client.service"),
        data("units/geth/chain-client.service"),
      ];
    case "orchestrator":
      return [
        ...COMMON,
        bin("boot-orchestrator.sh"),
        bin("throwaway-identity.sh"),
        bin("fetch-secret.sh"),
        bin("demand-publisher.py"),
        data("units/livepeer-orchestrator.service"),
        ...METRICS,
        data("units/livepeer-demand.service"),
      ];
    case "transcoder":
      return [
        ...COMMON,
        bin("boot-transcoder.sh"),
        bin("fetch-secret.sh"),
        bin("transcoder-lifecycle.py"),
        data("units/livepeer-transcoder.service"),
        ...METRICS,
        bin("gpu-metrics.py"),
        data("units/livepeer-gpu-metrics.service"),
        data("units/livepeer-lifecycle.service"),
      ];
  }
}

export interface Bundle {
  kind: NodeKind;
  /** gzip'd ustar archive. */
  bytes: Uint8Array;
  /** Hex sha256 of `bytes`: the bootstrap's pin. */
  sha256: string;
  /** Paths in the archive, in order. */
  entries: string[];
}

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, mode: number, size: number, type: "0" | "5"): Uint8Array {
  if (Buffer.byteLength(name) > 100) throw new Error(`bundle path too long for ustar: ${name}`);
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, "utf8");
  h.write(octal(mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii"); // uid
  h.write(octal(0, 8), 116, "ascii"); // gid
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(0, 12), 136, "ascii"); // mtime: fixed, so the bytes depend on content only
  h.write("        ", 148, "ascii"); // checksum field counts as spaces while summing
  h.write(type, 156, "ascii");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write("root", 265, "ascii");
  h.write("root", 297, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return h;
}

/** Builds one kind's bundle from the files under `nodeDir` (tests pass a scratch copy). */
export function buildBundle(kind: NodeKind, nodeDir = NODE_DIR): Bundle {
  const files = [...bundleFiles(kind)].sort((a, b) => a.dest.localeCompare(b.dest));
  const dirs = [...new Set(files.flatMap((f) => parents(f.dest)))].sort();
  const parts: Uint8Array[] = [];
  const entries: string[] = [];
  for (const d of dirs) {
    parts.push(header(`${d}/`, 0o755, 0, "5"));
    entries.push(`${d}/`);
  }
  for (const f of files) {
    const body = fs.readFileSync(path.join(nodeDir, f.src));
    parts.push(header(f.dest, f.mode, body.length, "0"), body);
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
    entries.push(f.dest);
  }
  parts.push(new Uint8Array(2 * BLOCK)); // end of archive
  const tar = Buffer.concat(parts);
  const bytes = gzipSync(tar, { level: 9, mtime: 0 });
  return { kind, bytes, sha256: createHash("sha256").update(bytes).digest("hex"), entries };
}

function parents(p: string): string[] {
  const out: string[] = [];
  let d = path.posix.dirname(p);
  while (d !== ".") {
    out.push(d);
    d = path.posix.dirname(d);
  }
  return out;
}
