// Maps a region's validated config (and the few ids only known at deploy time) to the values
// each node kind's user data is rendered from. Pure; missing pins render as empty strings, which
// the boot scripts refuse (index.ts refuses to deploy them in the first place: deployBlockers).
import type { RegionConfig } from "../config/schema";
import type { ChainUserDataValues, NodeUserDataValues } from "../userdata";
import { NITRO_CHAIN_IDS, gethUrl, goLivepeerUrl } from "./releases";

export interface ChainIds {
  stack: string;
  dataVolumeId: string;
  zoneId: string;
  chainHost: string;
  keystoreParameter: string;
  passphraseParameter: string;
}

export function chainUserDataValues(c: RegionConfig, ids: ChainIds): ChainUserDataValues {
  const rt = c.nodeRuntime;
  const nitro = c.chainNode.client === "nitro";
  return {
    stack: ids.stack,
    network: c.livepeer.network,
    orchestratorAddress: c.livepeer.orchestratorAddress,
    client: c.chainNode.client,
    // The redeemer needs no GPU: always the CPU build.
    livepeerUrl: goLivepeerUrl(rt.goLivepeer.version, "cpu"),
    livepeerSha256: rt.goLivepeer.sha256.cpu ?? "",
    ...(nitro
      ? {
          nitroImage: `${rt.nitro.image}:${rt.nitro.tag}@${rt.nitro.digest ?? ""}`,
          nitroChainId: NITRO_CHAIN_IDS[c.livepeer.network],
        }
      : {
          gethUrl: rt.geth.release ? gethUrl(rt.geth.release) : "",
          gethSha256: rt.geth.sha256 ?? "",
          gethNetworkFlags: rt.geth.networkFlags,
        }),
    dataVolumeId: ids.dataVolumeId,
    zoneId: ids.zoneId,
    chainHost: ids.chainHost,
    rpcPort: c.chainNode.rpcPort,
    redeemerPort: c.chainNode.redeemerPort,
    keystoreParameter: ids.keystoreParameter,
    passphraseParameter: ids.passphraseParameter,
    rpcEndpointsParameter: rt.rpcEndpointsParameter,
    maxChainHeadAgeSeconds: rt.maxChainHeadAgeSeconds,
  };
}

export function nodeUserDataValues(
  c: RegionConfig,
  stack: string,
  chainHost: string,
  loadBalancerDns: string,
  /** go-livepeer -maxSessions: the region's sizing (RegionSizing.maxSessions) or its default. */
  maxSessions: number,
): NodeUserDataValues {
  const rt = c.nodeRuntime;
  const build = c.nodeGroup.gpu ? "gpu" : "cpu";
  return {
    stack,
    network: c.livepeer.network,
    orchestratorAddress: c.livepeer.orchestratorAddress,
    gpu: c.nodeGroup.gpu,
    livepeerUrl: goLivepeerUrl(rt.goLivepeer.version, build),
    livepeerSha256: rt.goLivepeer.sha256[build] ?? "",
    ethUrl: `http://${chainHost}:${c.chainNode.rpcPort}`,
    redeemerAddr: `${chainHost}:${c.chainNode.redeemerPort}`,
    serviceAddr: rt.serviceAddr ?? `${loadBalancerDns}:${c.livepeer.servicePort}`,
    servicePort: c.livepeer.servicePort,
    healthPort: c.livepeer.healthPort,
    maxSessions,
    pricePerUnit: rt.pricePerUnit ?? "",
    pixelsPerUnit: rt.pixelsPerUnit,
    autoAdjustPrice: rt.autoAdjustPrice,
    maxChainHeadAgeSeconds: rt.maxChainHeadAgeSeconds,
  };
}
