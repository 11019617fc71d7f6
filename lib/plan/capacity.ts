// The plan's capacity section for one region stack: the planner's hourly table and the monthly
// cost of what the evaluation shows the stack builds (NAT gateways, load balancers, addresses,
// volumes, the chain node) plus the planned node-hours. Pure: reads recorded inputs only.
import type { RegionConfig } from "../config/schema";
import type { RegionSizing } from "../sizing/region";
import type { Evaluation, RecordedResource } from "./evaluate";
import { fmtPx } from "../sizing/planner";
import {
  HOURS_PER_MONTH,
  NAT_HOURLY,
  NLB_HOURLY,
  PUBLIC_IPV4_HOURLY,
  gp3Monthly,
  instanceHourly,
  priceIn,
} from "../sizing/prices";

export interface CapacityHour {
  hour: number;
  /** null when the stack has no demand profile yet. */
  demandStreams: number | null;
  demandPixelsPerSecond: number | null;
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
  nodes: number | null;
  chainNode: number | null;
  /** Load balancer hours plus its static addresses. */
  nlb: number;
  /** NAT gateway hours plus their addresses (per-GB processing excluded). */
  nat: number;
  /** gp3: chain data and root volumes, node root volumes for the planned node-hours. */
  volumes: number;
  /** Public addresses that belong to neither the NLB nor a NAT gateway. */
  publicIpv4: number;
}

export interface CapacityReport {
  instanceType: string;
  streamPixelsPerSecond: number;
  sessionsPerNode: number | null;
  targetSessionsPerNode: number | null;
  minSize: number;
  maxSize: number;
  maintenanceHourUtc: number;
  hourly: CapacityHour[];
  scheduledActions: { id: string; recurrence: string; minSize: number }[];
  monthlyCostUsd: MonthlyCost;
  /** What the estimate assumes or could not price. */
  costNotes: string[];
}

/** How each cost line reads in the plan and the report, in print order. */
export const COST_LINE_LABELS: Readonly<Record<string, string>> = {
  nodes: "nodes",
  chainNode: "chain node",
  nlb: "NLB",
  nat: "NAT",
  volumes: "volumes",
  publicIpv4: "public IPv4",
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

function byType(e: Evaluation, type: string): RecordedResource[] {
  return e.resources.filter((r) => r.type === type);
}

function rootGiB(lt: RecordedResource | undefined): number {
  const bdm = lt?.inputs.blockDeviceMappings as { ebs?: { volumeSize?: number } }[] | undefined;
  return Number(bdm?.[0]?.ebs?.volumeSize ?? 0);
}

export function capacityReport(
  e: Evaluation,
  sizing: RegionSizing,
  config: RegionConfig,
  region: string,
): CapacityReport {
  const notes: string[] = [];
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
  if (!sizing.plan)
    notes.push("no demand profile: sized at nodeGroup.minSize (npm run demand:sync)");
  const nodeHoursPerDay = hourly.reduce((s, h) => s + h.instances, 0);
  const days = HOURS_PER_MONTH / 24;

  const nodePrice = instanceHourly(sizing.instanceType, region, config.capacityModel);
  const nodes = nodePrice ? nodeHoursPerDay * days * nodePrice.usd : null;
  if (!nodePrice) notes.push(`no price for ${sizing.instanceType}: nodes not in the total`);
  else if (nodePrice.basis === "default") {
    notes.push(`${sizing.instanceType}: no ${region} price recorded, default used`);
  }

  const chainLt = e.resources.find(
    (r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.name.endsWith("-chain-lt"),
  );
  const ltType = chainLt?.inputs.instanceType;
  const chainType = typeof ltType === "string" ? ltType : config.chainNode.instanceType;
  const chainPrice = instanceHourly(chainType, region, config.capacityModel);
  const chainNode = chainPrice ? HOURS_PER_MONTH * chainPrice.usd : null;
  if (!chainPrice)
    notes.push(`no price for ${chainType} (lib/sizing/prices.ts): chain node not in the total`);
  else if (chainPrice.basis === "default")
    notes.push(`${chainType}: no ${region} price recorded, default used`);

  const ipv4 = priceIn(PUBLIC_IPV4_HOURLY, region).usd * HOURS_PER_MONTH;
  const eips = byType(e, "aws:ec2/eip:Eip");
  const nlbEips = eips.filter((r) => r.name.includes("-nlb-")).length;
  const natEips = eips.filter((r) => r.name.includes("-nat-")).length;
  const nlbCount = byType(e, "aws:lb/loadBalancer:LoadBalancer").length;
  const natCount = byType(e, "aws:ec2/natGateway:NatGateway").length;
  const nlb = nlbCount * priceIn(NLB_HOURLY, region).usd * HOURS_PER_MONTH + nlbEips * ipv4;
  const nat = natCount * priceIn(NAT_HOURLY, region).usd * HOURS_PER_MONTH + natEips * ipv4;
  const publicIpv4 = (eips.length - nlbEips - natEips) * ipv4;
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
  const nodeLt = e.resources.find(
    (r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.name.endsWith("-nodes-lt"),
  );
  const avgNodes = nodeHoursPerDay / 24;
  const volumes =
    dataVolumes +
    gp3Monthly(region, { sizeGiB: rootGiB(chainLt) }) +
    avgNodes * gp3Monthly(region, { sizeGiB: rootGiB(nodeLt) });
  notes.push("on-demand list prices; data transfer, NAT/NLB per-GB and LCU charges excluded");

  const lines = { nodes, chainNode, nlb, nat, volumes, publicIpv4 };
  const total = Object.values(lines).reduce<number>((s, v) => s + (v ?? 0), 0);
  const r2 = (v: number | null) => (v === null ? null : round2(v));
  return {
    instanceType: sizing.instanceType,
    streamPixelsPerSecond: sizing.streamPixelsPerSecond,
    sessionsPerNode: sizing.maxSessions ?? null,
    targetSessionsPerNode: sizing.targetSessionsPerNode ?? null,
    minSize: sizing.minSize,
    maxSize: sizing.maxSize,
    maintenanceHourUtc: sizing.maintenanceHourUtc,
    hourly,
    scheduledActions: sizing.scheduledActions.map(({ id, recurrence, minSize }) => ({
      id,
      recurrence,
      minSize,
    })),
    monthlyCostUsd: {
      total: round2(total),
      nodes: r2(nodes),
      chainNode: r2(chainNode),
      nlb: round2(nlb),
      nat: round2(nat),
      volumes: round2(volumes),
      publicIpv4: round2(publicIpv4),
    },
    costNotes: notes,
  };
}

const usd = (v: number | null) => (v === null ? "n/a" : `$${v.toFixed(2)}`.padStart(10));

export function renderCapacity(c: CapacityReport): string {
  const lines: string[] = [];
  const sessions =
    c.sessionsPerNode === null
      ? "no capacity model"
      : `${c.sessionsPerNode} sessions per node (-maxSessions), target ${c.targetSessionsPerNode} per node`;
  lines.push(`  capacity: ${c.instanceType}, ${sessions}, min ${c.minSize}, max ${c.maxSize}`);
  lines.push(`    one stream of the ladder: ${fmtPx(c.streamPixelsPerSecond)}`);
  lines.push("    hour  streams      demand  nodes    capacity  util");
  for (const h of c.hourly) {
    const cells = [
      `${String(h.hour).padStart(2, "0")}:00`,
      (h.demandStreams === null ? "-" : String(h.demandStreams)).padStart(8),
      (h.demandPixelsPerSecond === null ? "-" : fmtPx(h.demandPixelsPerSecond)).padStart(11),
      String(h.instances).padStart(6),
      (h.capacityPixelsPerSecond === null ? "-" : fmtPx(h.capacityPixelsPerSecond)).padStart(11),
      (h.utilisation === null ? "-" : `${Math.round(h.utilisation * 100)}%`).padStart(5),
    ];
    lines.push(`    ${cells.join(" ")}`);
  }
  if (c.scheduledActions.length > 0) {
    const acts = c.scheduledActions.map((a) => `${a.id}: min ${a.minSize} at "${a.recurrence}"`);
    lines.push(`    scheduled actions (UTC cron): ${acts.join(", ")}`);
  }
  lines.push(`  maintenance hour: ${String(c.maintenanceHourUtc).padStart(2, "0")}:00 UTC`);
  const m = c.monthlyCostUsd;
  lines.push("  monthly cost (USD):");
  // A line that is exactly zero (no extra public addresses) is noise; an unpriced one is not.
  for (const l of costLines(m))
    if (l.usd !== 0) lines.push(`    ${l.label.padEnd(11)}${usd(l.usd)}`);
  lines.push(`    ${"total".padEnd(11)}${usd(m.total)}`);
  for (const n of c.costNotes) lines.push(`    note: ${n}`);
  return lines.join("\n");
}
