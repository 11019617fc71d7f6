// The plan's capacity section for one region stack: the transcoder pool's hourly table and the
// monthly cost of what the evaluation shows the stack builds (orchestrators, the chain node,
// NAT gateways, the load balancer, addresses, volumes), the planned transcoder-hours, and the
// data transfer the demand implies. Pure: reads the design and recorded inputs only.
import type { RegionDesign } from "../design";
import type { Evaluation, RecordedResource } from "./evaluate";
import { fmtPx } from "../sizing/planner";
import { renditionKbps, SOURCE_RENDITION } from "../config/sizing-schema";
import {
  CROSS_AZ_USD_PER_GB_EACH_WAY,
  HOURS_PER_MONTH,
  NAT_HOURLY,
  NLB_HOURLY,
  PUBLIC_IPV4_HOURLY,
  egressMonthly,
  egressTiers,
  gp3Monthly,
  instanceHourly,
  priceIn,
  SPOT_PRICE_FRACTION_ESTIMATE,
} from "../sizing/prices";
import type { PoolScaling } from "../sizing/pool";

export interface CapacityHour {
  hour: number;
  /** null when the stack has no demand profile yet. */
  demandStreams: number | null;
  demandPixelsPerSecond: number | null;
  /** Transcoders the plan keeps in service this hour. */
  instances: number;
  /** null when the instance type has no capacity model. */
  capacityPixelsPerSecond: number | null;
  utilisation: number | null;
}

/**
 * A stack's monthly cost: `total` and one line per kind of charge. Every key other than `total`
 * is a line (number, or null when it has no price), so a new kind of charge is one more key here
 * and one label in COST_LINE_LABELS: the plan's text, the fleet summary and the HTML report all
 * list and sum the lines they find (costLines), never a fixed set.
 */
export interface MonthlyCost {
  /** Sum of the lines that have a price. */
  total: number;
  /** The transcoder pool's planned instance-hours. */
  transcoders: number | null;
  /** The orchestrator slots, around the clock. */
  orchestrators: number | null;
  chainNode: number | null;
  /** Load balancer hours (discovery only: video never crosses it). */
  nlb: number;
  /** NAT gateway hours plus their addresses (per-GB processing excluded). */
  nat: number;
  /** gp3: chain data and root volumes, root volumes of the planned instance-hours. */
  volumes: number;
  /** Public IPv4 addresses that belong to no NAT gateway (the orchestrators' Elastic IPs). */
  publicIpv4: number;
  /** Renditions out to the gateways (internet egress, tiered). */
  internetEgress: number | null;
  /** Media of transcoders working for another AZ's orchestrator, both ways. */
  crossAz: number;
}

export interface DataTransfer {
  /** Egress per stream, Mbit/s: the sum of the known rendition bitrates (the source excluded). */
  egressMbpsPerStream: number;
  /** Renditions whose bitrate is unknown (not counted). */
  unknownBitrates: string[];
  egressGbPerMonth: number | null;
  /** Share of transcoders in AZs without an orchestrator. */
  crossAzShare: number;
  crossAzGbPerMonth: number;
}

/** The transcoder pool's scaling as deployed (lib/sizing/pool.ts), in the plan's words. */
export interface ScalingPlan {
  /** "instances", or "sessions" with spot (the group's bounds count weighted sessions). */
  capacityUnit: "instances" | "sessions";
  minSize: number;
  maxSize: number;
  /** What the design would allow; above maxSize when nodeGroup.maxSize caps it. */
  designMaxSize: number;
  /** Each type's -maxSessions (and, with spot, its weight). */
  types: { instanceType: string; sessions: number }[];
  predictive: { targetUtilisation: number; schedulingBufferSeconds: number };
  targetTracking: { targetUtilisation: number; periodSeconds: number; warmupSeconds: number };
  warmPool: { minSize: number; maxGroupPreparedCapacity: number } | null;
  spot: { onDemandBase: number; types: string[] } | null;
  lifecycleHooks: { id: string; transition: string; heartbeatSeconds: number; default: string }[];
}

/** The pool's monthly cost both ways, whatever the stack runs. */
export interface TranscoderCost {
  onDemand: number | null;
  /**
   * With spot above an on-demand base at the forecast floor (nodeGroup.spot), at
   * SPOT_PRICE_FRACTION_ESTIMATE of the on-demand price: an estimate.
   */
  withSpot: number | null;
  spotPriceFraction: number;
  /** On-demand instances under the spot ones (the forecast's floor, the stack's minimum). */
  onDemandBaseInstances: number;
  /** Which of the two the `transcoders` cost line is. */
  deployed: "onDemand" | "withSpot";
}

export interface OrchestratorPlan {
  az: string;
  /** -serviceAddr: the name gateways send segments to (its Elastic IP's, or the fleet zone's). */
  serviceAddr: string;
  privateName: string;
}

export interface CapacityReport {
  instanceType: string;
  streamPixelsPerSecond: number;
  /** Each transcoder's -maxSessions. */
  sessionsPerNode: number;
  targetSessionsPerNode: number | null;
  minSize: number;
  maxSize: number;
  maintenanceHourUtc: number;
  hourly: CapacityHour[];
  /** The pool's predictive and target-tracking policies, warm pool or spot, hooks; null without a capacity model. */
  scaling: ScalingPlan | null;
  transcoderCost: TranscoderCost;
  orchestrators: { instanceType: string; slots: OrchestratorPlan[] };
  /** The fleet service record (latency alias) this region writes, or why there is none. */
  service: { name: string | null; uri: string | null; note: string };
  transcoderAzs: { az: string; orchestrator: string; crossAz: boolean }[];
  dataTransfer: DataTransfer;
  monthlyCostUsd: MonthlyCost;
  /** What the estimate assumes or could not price. */
  costNotes: string[];
}

/** How each cost line reads in the plan and the report, in print order. */
export const COST_LINE_LABELS: Readonly<Record<string, string>> = {
  transcoders: "transcoders",
  orchestrators: "orchestrators",
  chainNode: "chain node",
  nlb: "NLB",
  nat: "NAT",
  volumes: "volumes",
  publicIpv4: "public IPv4",
  internetEgress: "internet out",
  crossAz: "cross-AZ",
};

/** The cost lines (every key but `total`), labelled ones first in label order. */
export function costLines(m: MonthlyCost): { key: string; label: string; usd: number | null }[] {
  const known = Object.keys(COST_LINE_LABELS);
  const keys = Object.keys(m).filter((k) => k !== "total");
  keys.sort((a, b) => {
    const i = known.indexOf(a);
    const j = known.indexOf(b);
    return (i < 0 ? known.length : i) - (j < 0 ? known.length : j) || a.localeCompare(b);
  });
  return keys.map((key) => {
    const v = (m as unknown as Record<string, unknown>)[key];
    return { key, label: COST_LINE_LABELS[key] ?? key, usd: typeof v === "number" ? v : null };
  });
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

function byType(e: Evaluation, type: string): RecordedResource[] {
  return e.resources.filter((r) => r.type === type);
}

function rootGiB(lt: RecordedResource | undefined): number {
  const bdm = lt?.inputs.blockDeviceMappings as { ebs?: { volumeSize?: number } }[] | undefined;
  return Number(bdm?.[0]?.ebs?.volumeSize ?? 0);
}

/** The env an instance kind's user data writes, from its recorded launch template. */
function launchEnv(lt: RecordedResource | undefined): Record<string, string> {
  const ud = lt?.inputs.userData;
  if (typeof ud !== "string") return {};
  const script = Buffer.from(ud, "base64").toString("utf8");
  const m = /<<'LF_ENV_EOF'\n([\s\S]*?)\nLF_ENV_EOF/.exec(script);
  if (!m) return {};
  return Object.fromEntries(
    m[1]
      .split("\n")
      .map((l) => /^(LF_[A-Z0-9_]+)='(.*)'$/.exec(l))
      .filter((x): x is RegExpExecArray => x !== null)
      .map((x) => [x[1], x[2]]),
  );
}

/** GB (10^9 bytes) a month of `mbps` sustained over `streamHours` stream-hours. */
function gbPerMonth(mbps: number, streamHoursPerMonth: number): number {
  return (mbps * 1e6 * 3600 * streamHoursPerMonth) / 8 / 1e9;
}

export function capacityReport(e: Evaluation, d: RegionDesign): CapacityReport {
  const notes: string[] = [];
  const { sizing, config, region } = d;
  const perNodePx = sizing.capacity?.pixelsPerSecond;
  const hourly: CapacityHour[] = sizing.plan
    ? sizing.plan.hourly.map((h) => ({ ...h, utilisation: round2(h.utilisation) }))
    : Array.from({ length: 24 }, (_, hour) => ({
        hour,
        demandStreams: null,
        demandPixelsPerSecond: null,
        instances: sizing.minSize,
        capacityPixelsPerSecond: perNodePx !== undefined ? sizing.minSize * perNodePx : null,
        utilisation: null,
      }));
  if (!sizing.plan) {
    notes.push("no demand profile: pool sized at nodeGroup.minSize (npm run demand:sync)");
  }
  const nodeHoursPerDay = hourly.reduce((s, h) => s + h.instances, 0);

  const tcPrice = instanceHourly(sizing.instanceType, region, config.capacityModel);
  const pool = d.pool;
  // Spot's on-demand base, in instances of the pool's type: the forecast's quietest hour (the
  // design's floor), never below the stack's minimum.
  const floorUnits = pool ? (pool.onDemandBase ?? pool.design.forecastFloor) : 0;
  const baseInstances = pool
    ? Math.max(config.nodeGroup.minSize, Math.ceil(floorUnits / pool.unitsPerInstance - 1e-9))
    : config.nodeGroup.minSize;
  const hoursOf = (price: number, spotFraction: number) =>
    hourly.reduce(
      (sum, h) =>
        sum +
        Math.min(h.instances, baseInstances) * price +
        Math.max(0, h.instances - baseInstances) * price * spotFraction,
      0,
    ) * DAYS_PER_MONTH;
  const onDemand = tcPrice ? hoursOf(tcPrice.usd, 1) : null;
  const withSpot = tcPrice ? hoursOf(tcPrice.usd, SPOT_PRICE_FRACTION_ESTIMATE) : null;
  const deployed = config.nodeGroup.spot ? "withSpot" : "onDemand";
  const transcoders = deployed === "withSpot" ? withSpot : onDemand;
  if (!tcPrice) notes.push(`no price for ${sizing.instanceType}: transcoders not in the total`);
  else if (tcPrice.basis === "default") {
    notes.push(`${sizing.instanceType}: no ${region} price recorded, default used`);
  }
  if (tcPrice && config.nodeGroup.spot) {
    notes.push(
      `transcoders with spot: ${baseInstances} on demand, the rest at ${SPOT_PRICE_FRACTION_ESTIMATE} x the ` +
        `${sizing.instanceType} on-demand price (an estimate: spot prices move, and the pool mixes types)`,
    );
  }
  for (const n of pool?.notes ?? []) notes.push(n);

  const lts = byType(e, "aws:ec2/launchTemplate:LaunchTemplate");
  const orchLts = lts.filter((r) => /-orch-[a-f]-lt$/.test(r.name));
  const orchType = config.orchestrators.instanceType;
  const orchPrice = instanceHourly(orchType, region, config.capacityModel);
  const orchestrators = orchPrice ? orchLts.length * HOURS_PER_MONTH * orchPrice.usd : null;
  if (!orchPrice)
    notes.push(`no price for ${orchType} (lib/sizing/prices.ts): orchestrators not in the total`);
  else if (orchPrice.basis === "default") {
    notes.push(`${orchType}: no ${region} price recorded, us-east-1 used`);
  }

  const chainLt = lts.find((r) => r.name.endsWith("-chain-lt"));
  const chainType = config.chainNode.instanceType;
  const chainPrice = instanceHourly(chainType, region, config.capacityModel);
  const chainNode = chainPrice ? HOURS_PER_MONTH * chainPrice.usd : null;
  if (!chainPrice)
    notes.push(`no price for ${chainType} (lib/sizing/prices.ts): chain node not in the total`);
  else if (chainPrice.basis === "default")
    notes.push(`${chainType}: no ${region} price recorded, default used`);

  const ipv4 = priceIn(PUBLIC_IPV4_HOURLY, region).usd * HOURS_PER_MONTH;
  const eips = byType(e, "aws:ec2/eip:Eip");
  const natEips = eips.filter((r) => r.name.includes("-nat-")).length;
  const nlbCount = byType(e, "aws:lb/loadBalancer:LoadBalancer").length;
  const natCount = byType(e, "aws:ec2/natGateway:NatGateway").length;
  const nlb = nlbCount * priceIn(NLB_HOURLY, region).usd * HOURS_PER_MONTH;
  const nat = natCount * priceIn(NAT_HOURLY, region).usd * HOURS_PER_MONTH + natEips * ipv4;
  // The orchestrators' Elastic IPs, plus the launch-time address each holds until it takes its own
  // (seconds a boot: not priced).
  const publicIpv4 = (eips.length - natEips) * ipv4;
  if (
    priceIn(NAT_HOURLY, region).basis === "default" ||
    priceIn(NLB_HOURLY, region).basis === "default"
  ) {
    notes.push(`NLB/NAT: no ${region} price recorded, us-east-1 used`);
  }

  const dataVolumes = byType(e, "aws:ebs/volume:Volume").reduce(
    (s, v) =>
      s +
      gp3Monthly(region, {
        sizeGiB: Number(v.inputs.size ?? 0),
        iops: v.inputs.iops as number | undefined,
        throughputMiBps: v.inputs.throughput as number | undefined,
      }),
    0,
  );
  const tcLt = lts.find((r) => r.name.endsWith("-tc-lt"));
  // The warm pool's stopped instances pay their root volumes: max(its minimum, prepared
  // capacity - in service) each hour (AWS: the warm pool's size).
  const warm = pool?.warmPool;
  const warmPerDay = warm
    ? hourly.reduce(
        (s, h) => s + Math.max(warm.minSize, warm.maxGroupPreparedCapacity - h.instances),
        0,
      )
    : 0;
  if (warm) {
    notes.push(
      `warm pool: ${(warmPerDay / 24).toFixed(1)} stopped transcoders on average, their root volumes in volumes`,
    );
  }
  const volumes =
    dataVolumes +
    gp3Monthly(region, { sizeGiB: rootGiB(chainLt) }) +
    orchLts.reduce((s, lt) => s + gp3Monthly(region, { sizeGiB: rootGiB(lt) }), 0) +
    ((nodeHoursPerDay + warmPerDay) / 24) * gp3Monthly(region, { sizeGiB: rootGiB(tcLt) });

  // Data transfer: every stream's renditions go back to its gateway over the internet; the
  // source comes in (free). Transcoders in an AZ without an orchestrator move the source one way
  // and the renditions back across AZs.
  const ladder = config.demand.ladder;
  const outputs = ladder.filter((r) => r.name !== SOURCE_RENDITION);
  const unknown = outputs.filter((r) => renditionKbps(r) === undefined).map((r) => r.name);
  const egressMbps = outputs.reduce((s, r) => s + (renditionKbps(r) ?? 0), 0) / 1000;
  const source = ladder.find((r) => r.name === SOURCE_RENDITION);
  const sourceMbps = source ? (renditionKbps(source) ?? 0) / 1000 : 0;
  const streamHoursPerMonth = sizing.plan
    ? sizing.plan.hourly.reduce((s, h) => s + h.demandStreams, 0) * DAYS_PER_MONTH
    : null;
  const egressGb =
    streamHoursPerMonth === null ? null : gbPerMonth(egressMbps, streamHoursPerMonth);
  const { tiers, basis } = egressTiers(region);
  const internetEgress = egressGb === null ? null : egressMonthly(egressGb, tiers);
  const routes = d.transcoderRoutes;
  const crossShare = routes.filter((r) => r.crossAz).length / Math.max(1, routes.length);
  const crossGb =
    streamHoursPerMonth === null
      ? 0
      : crossShare * gbPerMonth(egressMbps + sourceMbps, streamHoursPerMonth);
  const crossAz = crossGb * 2 * CROSS_AZ_USD_PER_GB_EACH_WAY;
  if (egressGb === null) notes.push("no demand profile: data transfer not priced");
  else {
    notes.push(
      "data transfer at each hour's peak streams (an upper bound: hours average below their peak)",
    );
    if (basis === "default")
      notes.push(`internet egress: no ${region} tiers recorded, us-east-1's used`);
  }
  if (unknown.length > 0) {
    notes.push(
      `no bitrate for ${unknown.join(", ")}: left out of data transfer (demand.ladder[].bitrateKbps)`,
    );
  }
  if (crossShare > 0 && source && renditionKbps(source) === undefined) {
    notes.push("source bitrate unknown: cross-AZ traffic counts the renditions only");
  }
  notes.push("on-demand list prices; NAT per-GB processing and NLB capacity units excluded");

  const lines = {
    transcoders,
    orchestrators,
    chainNode,
    nlb,
    nat,
    volumes,
    publicIpv4,
    internetEgress,
    crossAz,
  };
  const total = Object.values(lines).reduce<number>((s, v) => s + (v ?? 0), 0);
  const r2 = (v: number | null) => (v === null ? null : round2(v));

  const slots: OrchestratorPlan[] = d.orchestrators.map((o) => {
    const env = launchEnv(orchLts.find((lt) => lt.name.endsWith(`-orch-${o.az}-lt`)));
    return { az: o.az, serviceAddr: env.LF_SERVICE_ADDR ?? "?", privateName: o.privateName };
  });
  const dns = d.fleet.serviceDns;
  return {
    instanceType: sizing.instanceType,
    streamPixelsPerSecond: sizing.streamPixelsPerSecond,
    sessionsPerNode: d.transcoderMaxSessions,
    // Sessions per transcoder at the scaling target: (served + refused) / capacity = target.
    targetSessionsPerNode: pool
      ? Math.floor(d.transcoderMaxSessions * pool.design.targetTracking.targetValue * 100) / 100
      : (sizing.targetSessionsPerNode ?? null),
    // The group's bounds in instances (the stack's), or the planner's without a design.
    minSize: pool ? config.nodeGroup.minSize : sizing.minSize,
    maxSize: pool ? config.nodeGroup.maxSize : sizing.maxSize,
    maintenanceHourUtc: sizing.maintenanceHourUtc,
    hourly,
    scaling: pool ? scalingPlan(pool) : null,
    transcoderCost: {
      onDemand: r2(onDemand),
      withSpot: r2(withSpot),
      spotPriceFraction: SPOT_PRICE_FRACTION_ESTIMATE,
      onDemandBaseInstances: baseInstances,
      deployed,
    },
    orchestrators: { instanceType: orchType, slots },
    service: dns
      ? {
          name: dns.name,
          uri: d.serviceUri ?? null,
          note: `latency record ${dns.name} (set ${region}) -> this region's NLB, evaluate target health`,
        }
      : {
          name: null,
          uri: null,
          note: "no fleet service name (livepeer-fleet:serviceDns in the fleet file): this region serves on its NLB name, and a multi-region fleet needs one",
        },
    transcoderAzs: routes.map((r) => ({
      az: r.az,
      orchestrator: r.crossAz ? r.orchestrators.join("|") : r.az,
      crossAz: r.crossAz,
    })),
    dataTransfer: {
      egressMbpsPerStream: round2(egressMbps),
      unknownBitrates: unknown,
      egressGbPerMonth: egressGb === null ? null : Math.round(egressGb),
      crossAzShare: round2(crossShare),
      crossAzGbPerMonth: Math.round(crossGb),
    },
    monthlyCostUsd: {
      total: round2(total),
      transcoders: r2(transcoders),
      orchestrators: r2(orchestrators),
      chainNode: r2(chainNode),
      nlb: round2(nlb),
      nat: round2(nat),
      volumes: round2(volumes),
      publicIpv4: round2(publicIpv4),
      internetEgress: r2(internetEgress),
      crossAz: round2(crossAz),
    },
    costNotes: notes,
  };
}

function scalingPlan(pool: PoolScaling): ScalingPlan {
  const d = pool.design;
  const metric = d.targetTracking.customizedMetricSpecification.metrics.find((m) => m.metricStat);
  return {
    capacityUnit: pool.capacityUnit,
    minSize: pool.minSize,
    maxSize: pool.maxSize,
    designMaxSize: pool.designMaxSize,
    types: pool.types,
    predictive: {
      targetUtilisation: d.predictive.metricSpecification.targetValue,
      schedulingBufferSeconds: Number(d.predictive.schedulingBufferTime),
    },
    targetTracking: {
      targetUtilisation: d.targetTracking.targetValue,
      periodSeconds: metric?.metricStat?.period ?? 60,
      warmupSeconds: d.targetTracking.estimatedInstanceWarmup,
    },
    warmPool: pool.warmPool
      ? {
          minSize: pool.warmPool.minSize,
          maxGroupPreparedCapacity: pool.warmPool.maxGroupPreparedCapacity,
        }
      : null,
    spot: pool.spot
      ? { onDemandBase: pool.onDemandBase ?? 0, types: pool.types.map((t) => t.instanceType) }
      : null,
    lifecycleHooks: d.lifecycleHooks.map((h) => ({
      id: h.id,
      transition: h.lifecycleTransition,
      heartbeatSeconds: h.heartbeatTimeout,
      default: h.defaultResult,
    })),
  };
}

/** The scaling section of the plan's text. */
function renderScaling(s: ScalingPlan): string[] {
  const unit = s.capacityUnit;
  const cap = s.designMaxSize > s.maxSize ? ` (the design would allow ${s.designMaxSize})` : "";
  return [
    `  scaling: ${unit} ${s.minSize}-${s.maxSize}${cap}; ` +
      s.types.map((t) => `${t.instanceType} -maxSessions ${t.sessions}`).join(", "),
    `    predictive: forecast and scale at ${s.predictive.targetUtilisation} of capacity, ` +
      `${s.predictive.schedulingBufferSeconds} s early; target tracking: (served + refused) / ` +
      `capacity at ${s.targetTracking.targetUtilisation}, ${s.targetTracking.periodSeconds} s metrics`,
    s.spot
      ? `    spot: ${s.spot.onDemandBase} ${unit} on demand, capacity-optimized spot above across ${s.spot.types.join(", ")}; no warm pool`
      : s.warmPool
        ? `    warm pool: stopped, ${s.warmPool.minSize} at least, ${s.warmPool.maxGroupPreparedCapacity} prepared at most, reused on scale-in`
        : "    no warm pool",
    `    lifecycle hooks: ${s.lifecycleHooks.map((h) => `${h.id} (${h.transition.replace("autoscaling:", "")}, ${h.heartbeatSeconds} s, ${h.default})`).join(", ")}`,
  ];
}

const usd = (v: number | null) => (v === null ? "n/a" : `$${v.toFixed(2)}`.padStart(11));

export function renderCapacity(c: CapacityReport): string {
  const lines: string[] = [];
  lines.push(`  service: ${c.service.uri ?? "(none)"}`);
  lines.push(`    ${c.service.note}`);
  lines.push(`  orchestrators: ${c.orchestrators.slots.length} x ${c.orchestrators.instanceType}`);
  for (const s of c.orchestrators.slots) {
    lines.push(`    ${s.az}: -serviceAddr ${s.serviceAddr}, transcoders dial ${s.privateName}`);
  }
  const sessions =
    c.targetSessionsPerNode === null
      ? `${c.sessionsPerNode} sessions each (-maxSessions), no capacity model`
      : `${c.sessionsPerNode} sessions each (-maxSessions), target ${c.targetSessionsPerNode} per transcoder`;
  lines.push(`  transcoders: ${c.instanceType}, ${sessions}, min ${c.minSize}, max ${c.maxSize}`);
  const azs = c.transcoderAzs.map(
    (a) => `${a.az} -> ${a.crossAz ? `${a.orchestrator} (cross-AZ)` : `orchestrator ${a.az}`}`,
  );
  lines.push(`    AZs: ${azs.join(", ")}`);
  lines.push(`    one stream of the ladder: ${fmtPx(c.streamPixelsPerSecond)}`);
  lines.push("    hour  streams      demand  transcoders    capacity  util");
  for (const h of c.hourly) {
    const cells = [
      `${String(h.hour).padStart(2, "0")}:00`,
      (h.demandStreams === null ? "-" : String(h.demandStreams)).padStart(8),
      (h.demandPixelsPerSecond === null ? "-" : fmtPx(h.demandPixelsPerSecond)).padStart(11),
      String(h.instances).padStart(12),
      (h.capacityPixelsPerSecond === null ? "-" : fmtPx(h.capacityPixelsPerSecond)).padStart(11),
      (h.utilisation === null ? "-" : `${Math.round(h.utilisation * 100)}%`).padStart(5),
    ];
    lines.push(`    ${cells.join(" ")}`);
  }
  if (c.scaling) lines.push(...renderScaling(c.scaling));
  lines.push(`  maintenance hour: ${String(c.maintenanceHourUtc).padStart(2, "0")}:00 UTC`);
  const t = c.dataTransfer;
  lines.push(
    `  data transfer: ${t.egressMbpsPerStream} Mbit/s out per stream, ` +
      `${t.egressGbPerMonth === null ? "-" : t.egressGbPerMonth.toLocaleString("en-US")} GB/month out` +
      (t.crossAzShare > 0
        ? `, ${t.crossAzGbPerMonth.toLocaleString("en-US")} GB/month across AZs`
        : ""),
  );
  const m = c.monthlyCostUsd;
  lines.push("  monthly cost (USD):");
  // A line that is exactly zero (no cross-AZ traffic) is noise; an unpriced one is not.
  for (const l of costLines(m))
    if (l.usd !== 0) lines.push(`    ${l.label.padEnd(15)}${usd(l.usd)}`);
  lines.push(`    ${"total".padEnd(15)}${usd(m.total)}`);
  const t2 = c.transcoderCost;
  if (t2.onDemand !== null && t2.withSpot !== null) {
    const mark = (k: TranscoderCost["deployed"]) => (t2.deployed === k ? " (this stack)" : "");
    lines.push(
      `    transcoders on demand${mark("onDemand")}: ${usd(t2.onDemand).trim()}; with spot${mark("withSpot")}: ` +
        `${usd(t2.withSpot).trim()} (${t2.onDemandBaseInstances} on demand, spot at ~${t2.spotPriceFraction} x on-demand: an estimate)`,
    );
  }
  for (const n of c.costNotes) lines.push(`    note: ${n}`);
  return lines.join("\n");
}
