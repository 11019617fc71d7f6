// What the instances download, pinned: release URLs (names checked against go-livepeer's
// .github/workflows/build.yaml and release.yaml), and the list of what a stack still lacks before
// it may be deployed (pins, the price, the examples replaced). Pure: used by index.ts (refuse to
// deploy), preflight, the renderer and the tests.
import type { FleetConfig, RegionConfig } from "../config/schema";
import { AMI_PARAMETERS, NAMESPACE } from "../config/schema";
import { fleetExampleValues, regionExampleValues } from "../config/examples";
import { requiredAmiKinds } from "../config/amis";
import { stackFileName } from "../stack";

/**
 * go-livepeer release assets. build.yaml archives each build as $LP_BUILD_DIR.tar.gz with
 * LP_BUILD_DIR=livepeer-linux-amd64 (cpu) or livepeer-linux-gpu-amd64 (gpu, RELEASE_TAG=gpu);
 * release.yaml attaches releases/* to the GitHub release of the tag.
 */
export function goLivepeerUrl(version: string, build: "cpu" | "gpu"): string {
  const asset = build === "gpu" ? "livepeer-linux-gpu-amd64" : "livepeer-linux-amd64";
  return `https://github.com/livepeer/go-livepeer/releases/download/${version}/${asset}.tar.gz`;
}

/** geth's release store, as linked from geth.ethereum.org/downloads. */
export function gethUrl(release: string): string {
  return `https://gethstore.blob.core.windows.net/builds/geth-linux-amd64-${release}.tar.gz`;
}

/** Chain ids Nitro is started with, by go-livepeer -network (Arbitrum One is 42161). */
export const NITRO_CHAIN_IDS: Record<string, number> = { "arbitrum-one-mainnet": 42161 };

/** Set by the offline plan (lib/plan/evaluate.ts), which shows unpinned stacks instead of failing. */
export const OFFLINE_PLAN_ENV = "LIVEPEER_FLEET_OFFLINE_PLAN";

/** A value a stack must set before it can be deployed (and the plan can only warn about). */
export interface DeployBlocker {
  keyPath: string;
  message: string;
}

/**
 * Everything a region stack still needs before its instances can boot as working nodes: release
 * pins, the price, AMI pins and real values in place of the shipped examples. `stack` names the
 * stack in the commands that fix a blocker.
 */
export function deployBlockers(c: RegionConfig, stack = "STACK"): DeployBlocker[] {
  const out: DeployBlocker[] = [];
  for (const { kind, roles } of requiredAmiKinds(c)) {
    if (c.amis[kind] === undefined) {
      out.push({
        keyPath: `${NAMESPACE}:amis.${kind}`,
        message:
          `required: the ${kind} AMI id for ${roles.join(", ")}, from ${AMI_PARAMETERS[kind]}; ` +
          `npm run amis -- --stack ${stack} --write pins the current one in ${stackFileName(stack)}`,
      });
    }
  }
  const rt = c.nodeRuntime;
  const key = (p: string) => `${NAMESPACE}:nodeRuntime.${p}`;
  const need = (p: string, what: string) => out.push({ keyPath: key(p), message: what });
  const lp = rt.goLivepeer;
  if (!lp.sha256.cpu) {
    need(
      "goLivepeer.sha256.cpu",
      `required: sha256 of ${goLivepeerUrl(lp.version, "cpu")} (run by the chain node's redeemer, the orchestrators${c.nodeGroup.gpu ? "" : " and the transcoders"}); check it against the release's checksums file`,
    );
  }
  if (c.nodeGroup.gpu && !lp.sha256.gpu) {
    need(
      "goLivepeer.sha256.gpu",
      `required for GPU transcoder type ${c.nodeGroup.instanceType}: sha256 of ${goLivepeerUrl(lp.version, "gpu")}`,
    );
  }
  if (c.chainNode.client === "nitro") {
    if (!rt.nitro.digest) {
      need(
        "nitro.digest",
        `required: the digest of ${rt.nitro.image}:${rt.nitro.tag} (docker buildx imagetools inspect)`,
      );
    }
    if (NITRO_CHAIN_IDS[c.livepeer.network] === undefined) {
      out.push({
        keyPath: `${NAMESPACE}:chainNode.client`,
        message: `nitro has no known chain id for network ${c.livepeer.network}; use geth or an arbitrum-one network`,
      });
    }
  } else {
    if (!rt.geth.release) need("geth.release", "required with geth: e.g. 1.14.12-293a300d");
    if (!rt.geth.sha256) need("geth.sha256", "required with geth: sha256 of the release tarball");
  }
  if (!rt.pricePerUnit) {
    need(
      "pricePerUnit",
      "required: go-livepeer refuses to run an orchestrator without -pricePerUnit (wei per pixelsPerUnit, or e.g. 0.5USD)",
    );
  }
  out.push(...regionExampleValues(c, stackFileName(stack)));
  return out;
}

/** What a fleet stack still needs before it can be deployed: its own values in place of examples. */
export function fleetDeployBlockers(c: FleetConfig, stack: string): DeployBlocker[] {
  return fleetExampleValues(c, stackFileName(stack));
}
