// A region unit's design: everything derived from its validated config, computed once here and
// read by the components, the offline plan, the alarms and the tests (a value derived in several
// places drifts). Pure: no Pulumi imports, no I/O.
import type { RegionConfig } from "./config/schema";
import type { ServiceDnsConfig } from "./config/serving";
import type { MetricsConfig } from "./config/metrics-schema";
import { RegionSizing, regionSizing } from "./sizing/region";
import { PoolScaling, poolScaling } from "./sizing/pool";
import { DEFAULTS } from "./config/schema";
import { ELB_NAME_MAX, fitName } from "./names";

/** What a region stack needs to know of its fleet (read from the fleet stack file). */
export interface FleetSettings {
  fleet: string;
  homeRegion: string;
  serviceDns?: ServiceDnsConfig;
  /**
   * The fleet's metrics store (lib/config/metrics-schema.ts). Absent (component fixtures): the
   * nodes run no metrics agent.
   */
  metrics?: MetricsConfig;
}

export interface OrchestratorSlot {
  /** AZ letter: the slot's stable id (logical names, tags, DNS names derive from it). */
  az: string;
  /** Private name transcoders dial: o-<letter>.<private zone>, published by the instance at boot. */
  privateName: string;
  /** Public name in the fleet zone (o-<letter>.<region>.<service name>), when one is configured. */
  publicName?: string;
}

/** Which orchestrator the transcoders of one pool AZ work for. */
export interface TranscoderRoute {
  az: string;
  /** Slot letters, in the order a transcoder in this AZ considers them (its own AZ's first). */
  orchestrators: string[];
  /** True when this AZ has no orchestrator: its media crosses AZs (billed both ways). */
  crossAz: boolean;
}

export interface RegionDesign {
  stack: string;
  region: string;
  fleet: FleetSettings;
  config: RegionConfig;
  /** The transcoder pool's capacity plan (lib/sizing/region.ts). */
  sizing: RegionSizing;
  /**
   * -maxSessions of a transcoder of nodeGroup.instanceType: config, else the capacity model's,
   * else go-livepeer's 10. With spot, each type has its own (pool.types).
   */
  transcoderMaxSessions: number;
  /**
   * The pool as deployed (lib/sizing/pool.ts): predictive and target-tracking policies, warm
   * pool or spot, lifecycle hooks, bounds. Absent without a capacity model for the type.
   */
  pool?: PoolScaling;
  /** Private Route 53 zone of the unit (chain node and orchestrator names). */
  privateZone: string;
  /** chain.<private zone>: the RPC proxy and the redeemer, stable across replacements. */
  chainHost: string;
  orchestrators: OrchestratorSlot[];
  transcoderRoutes: TranscoderRoute[];
  /** ELBv2 names that fit AWS's 32 characters for every stack name this project allows. */
  names: { loadBalancer: string; targetGroup: string };
  /** The on-chain service URI, when the fleet has a service name; else the NLB's name serves. */
  serviceUri?: string;
  /** True in the fleet's home region: the region that runs the reward service. */
  isHomeRegion: boolean;
}

/** Private zone of a unit: per stack, so two units never share a name. */
export function privateZoneName(stack: string): string {
  return `${stack}.livepeer-fleet.internal`;
}

/** The DNS name every orchestrator's -ethUrl and -redeemerAddr use. */
export function chainHostName(zone: string): string {
  return `chain.${zone}`;
}

/** The region's transcoder pool as deployed (lib/sizing/pool.ts), from its validated config. */
export function regionPool(
  stack: string,
  config: RegionConfig,
  sizing: RegionSizing = regionSizing(config),
): PoolScaling | undefined {
  return poolScaling({
    stack,
    instanceType: config.nodeGroup.instanceType,
    model: config.capacityModel,
    ladder: config.demand.ladder,
    peakStreams: config.demand.peakStreams,
    maxSessions: config.nodeGroup.maxSessions,
    spot: config.nodeGroup.spot,
    minSize: config.nodeGroup.minSize,
    maxSize: config.nodeGroup.maxSize,
    initialInstances: sizing.initialDesired,
    sizing: config.sizing,
  });
}

export function designRegion(
  stack: string,
  region: string,
  config: RegionConfig,
  fleet: FleetSettings,
): RegionDesign {
  const sizing = regionSizing(config);
  const pool = regionPool(stack, config, sizing);
  const zone = privateZoneName(stack);
  const dns = fleet.serviceDns;
  const slots = config.orchestrators.availabilityZones;
  const orchestrators = slots.map((az) => ({
    az,
    privateName: `o-${az}.${zone}`,
    ...(dns ? { publicName: `o-${az}.${region}.${dns.name}` } : {}),
  }));
  const sorted = [...slots].sort();
  const transcoderRoutes = config.nodeGroup.availabilityZones.map((az) => ({
    az,
    orchestrators: slots.includes(az) ? [az, ...sorted.filter((s) => s !== az)] : sorted,
    crossAz: !slots.includes(az),
  }));
  return {
    stack,
    region,
    fleet,
    config,
    sizing,
    transcoderMaxSessions: sizing.maxSessions ?? DEFAULTS.maxSessions,
    ...(pool ? { pool } : {}),
    privateZone: zone,
    chainHost: chainHostName(zone),
    orchestrators,
    transcoderRoutes,
    names: {
      loadBalancer: fitName(`${stack}-disc`, ELB_NAME_MAX),
      targetGroup: fitName(`${stack}-orch`, ELB_NAME_MAX),
    },
    ...(dns ? { serviceUri: `https://${dns.name}:${config.livepeer.servicePort}` } : {}),
    isHomeRegion: region === fleet.homeRegion,
  };
}
