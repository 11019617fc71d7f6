// The plan's fleet summary, printed after the stacks: what no single stack can see. The monthly
// cost of every planned region, VPC blocks that overlap between region stacks, redeemer accounts
// that more than one region stack names (two redeemers sending from one account), regions a fleet
// lists without a stack file and stack files their fleet does not list, and the shipped example
// values still in place. Reads the stack files and the stack reports; registers nothing.
import { cidrsOverlap, parseCidr } from "../cidr";
import { ConfigError, deepMerge, PROJECT_FILE, type RawConfig } from "../config/load";
import { NAMESPACE } from "../config/schema";
import { EXAMPLE_REDEEMERS } from "../config/examples";
import { listStacks, readProjectConfig, readStackConfig } from "../config/sources";
import { parseStackName, regionStackName, stackFileName, type StackRole } from "../stack";
import { costLines, COST_LINE_LABELS } from "./capacity";
import { isFailed, type PlanEntry } from "./report";

/**
 * Values this repository ships as examples. A fleet still carrying one deploys something that is
 * not the operator's: a drift role trusting someone else's repository, nodes earning for an
 * example orchestrator address.
 */
export const SHIPPED_EXAMPLES = {
  githubRepository: "example-org/livepeer-fleet",
  orchestratorAddress: "0x11D12AfEF50b1FeE02146020533857d35936035D",
  redeemerAddresses: EXAMPLE_REDEEMERS,
} as const;

/** RFC 2606 example domains (example.com/.net/.org and the .example TLD), anywhere in a value. */
const EXAMPLE_DOMAIN =
  /(?:^|[^A-Za-z0-9-])(?:[A-Za-z0-9-]+\.)*(?:example\.(?:com|net|org)|[A-Za-z0-9-]+\.example)(?![A-Za-z0-9-])/i;

export interface CostSum {
  /** Sum of the planned region stacks' totals. */
  total: number;
  /** Each cost line summed over the stacks (null only when no stack priced it). */
  lines: { key: string; label: string; usd: number | null }[];
  stacks: { stack: string; total: number }[];
  /** Region stacks whose cost is not in the total, and why. */
  notCounted: { stack: string; why: string }[];
}

export interface FleetMembership {
  fleet: string;
  /** false when Pulumi.<fleet>.yaml does not exist or cannot be read. */
  fleetStackFile: boolean;
  regions: string[];
  /** Regions the fleet lists that have no Pulumi.<fleet>-<region>.yaml. */
  missingStackFiles: string[];
  /** Region stacks of this fleet whose region the fleet does not list. */
  unlistedStacks: string[];
}

export interface CidrOverlap {
  stacks: [string, string];
  cidrs: [string, string];
}

/** One redeemer account named by several region stacks: their redeemers would race on nonces. */
export interface SharedRedeemer {
  address: string;
  stacks: string[];
}

export interface ExampleValue {
  file: string;
  keyPath: string;
  value: string;
  message: string;
}

export interface FleetSummary {
  monthlyCostUsd: CostSum;
  fleets: FleetMembership[];
  cidrOverlaps: CidrOverlap[];
  sharedRedeemers: SharedRedeemer[];
  exampleValues: ExampleValue[];
  /** How many things above want attention (not counting cost): 0 is a clean fleet. */
  warnings: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function role(stack: string): StackRole | undefined {
  try {
    return parseStackName(stack);
  } catch {
    return undefined;
  }
}

/** A stack file's config, or undefined when it is missing or unreadable (its plan says why). */
function readQuietly(projectDir: string, stack: string): RawConfig | undefined {
  try {
    return readStackConfig(projectDir, stack);
  } catch (err) {
    if (err instanceof ConfigError) return undefined;
    throw err;
  }
}

export function sumCosts(entries: readonly PlanEntry[]): CostSum {
  const sum: CostSum = { total: 0, lines: [], stacks: [], notCounted: [] };
  const byKey = new Map<string, { label: string; usd: number | null }>();
  for (const e of entries) {
    if (e.role !== "region") continue;
    if (isFailed(e)) {
      sum.notCounted.push({ stack: e.stack, why: "not planned (see its errors)" });
      continue;
    }
    const cost = e.capacity?.monthlyCostUsd;
    if (!cost) {
      sum.notCounted.push({ stack: e.stack, why: "no cost estimate" });
      continue;
    }
    sum.total += cost.total;
    sum.stacks.push({ stack: e.stack, total: cost.total });
    for (const l of costLines(cost)) {
      const cur = byKey.get(l.key) ?? { label: l.label, usd: null };
      if (l.usd !== null) cur.usd = (cur.usd ?? 0) + l.usd;
      byKey.set(l.key, cur);
    }
  }
  const order = Object.keys(COST_LINE_LABELS);
  sum.lines = [...byKey.entries()]
    .map(([key, v]) => ({ key, label: v.label, usd: v.usd === null ? null : round2(v.usd) }))
    .sort((a, b) => {
      const i = order.indexOf(a.key);
      const j = order.indexOf(b.key);
      return (i < 0 ? order.length : i) - (j < 0 ? order.length : j) || a.key.localeCompare(b.key);
    });
  sum.total = round2(sum.total);
  return sum;
}

function membership(stackFiles: Map<string, RawConfig | undefined>): FleetMembership[] {
  const fleets = new Map<string, FleetMembership>();
  const fleetOf = (fleet: string): FleetMembership => {
    let m = fleets.get(fleet);
    if (!m) {
      const values = stackFiles.get(fleet);
      const listed = values?.[`${NAMESPACE}:regions`];
      m = {
        fleet,
        fleetStackFile: values !== undefined,
        regions: Array.isArray(listed) ? listed.filter((r) => typeof r === "string") : [],
        missingStackFiles: [],
        unlistedStacks: [],
      };
      fleets.set(fleet, m);
    }
    return m;
  };
  for (const stack of stackFiles.keys()) {
    const r = role(stack);
    if (r?.role === "fleet") fleetOf(r.fleet);
  }
  for (const stack of stackFiles.keys()) {
    const r = role(stack);
    if (r?.role !== "region") continue;
    const m = fleetOf(r.fleet);
    if (!m.regions.includes(r.region)) m.unlistedStacks.push(stack);
  }
  for (const m of fleets.values()) {
    m.missingStackFiles = m.regions.filter(
      (region) => !stackFiles.has(regionStackName(m.fleet, region)),
    );
  }
  return [...fleets.values()].sort((a, b) => a.fleet.localeCompare(b.fleet));
}

function overlaps(
  stackFiles: Map<string, RawConfig | undefined>,
  projectValues: RawConfig,
): CidrOverlap[] {
  const key = `${NAMESPACE}:network`;
  const blocks: { stack: string; cidr: string }[] = [];
  for (const [stack, values] of stackFiles) {
    if (role(stack)?.role !== "region" || !values) continue;
    const network = deepMerge(projectValues[key], values[key]) as { cidr?: unknown } | undefined;
    const cidr = network?.cidr;
    // An invalid block is the stack's own config error; only valid ones can overlap.
    if (typeof cidr === "string" && parseCidr(cidr)) blocks.push({ stack, cidr });
  }
  const out: CidrOverlap[] = [];
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      if (cidrsOverlap(blocks[i].cidr, blocks[j].cidr)) {
        out.push({
          stacks: [blocks[i].stack, blocks[j].stack],
          cidrs: [blocks[i].cidr, blocks[j].cidr],
        });
      }
    }
  }
  return out;
}

/** Redeemer accounts (livepeer.redeemerAddress) that more than one region stack names. */
function sharedRedeemers(stackFiles: Map<string, RawConfig | undefined>): SharedRedeemer[] {
  const byAddress = new Map<string, string[]>();
  for (const [stack, values] of stackFiles) {
    if (role(stack)?.role !== "region" || !values) continue;
    const lp = values[`${NAMESPACE}:livepeer`] as { redeemerAddress?: unknown } | undefined;
    if (typeof lp?.redeemerAddress !== "string") continue;
    const address = lp.redeemerAddress.toLowerCase();
    byAddress.set(address, [...(byAddress.get(address) ?? []), stack]);
  }
  return [...byAddress.entries()]
    .filter(([, stacks]) => stacks.length > 1)
    .map(([address, stacks]) => ({ address, stacks: stacks.sort() }));
}

/** Every string value with its key path (`livepeer-fleet:a.b[0]`). */
function strings(value: unknown, keyPath: string): { keyPath: string; value: string }[] {
  if (typeof value === "string") return [{ keyPath, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${keyPath}[${i}]`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => strings(v, `${keyPath}.${k}`));
  }
  return [];
}

function examples(
  stackFiles: Map<string, RawConfig | undefined>,
  projectValues: RawConfig,
): ExampleValue[] {
  const out: ExampleValue[] = [];
  const files: [string, RawConfig][] = [[PROJECT_FILE, projectValues]];
  for (const [stack, values] of stackFiles) if (values) files.push([stackFileName(stack), values]);
  for (const [file, values] of files) {
    for (const [key, v] of Object.entries(values)) {
      for (const s of strings(v, key)) {
        if (
          s.keyPath === `${NAMESPACE}:driftCheck.githubRepository` &&
          s.value === SHIPPED_EXAMPLES.githubRepository
        ) {
          out.push({
            file,
            ...s,
            message:
              "the shipped example repository: the drift-check role would trust it; set your own owner/name",
          });
        } else if (
          s.keyPath === `${NAMESPACE}:livepeer.orchestratorAddress` &&
          s.value.toLowerCase() === SHIPPED_EXAMPLES.orchestratorAddress.toLowerCase()
        ) {
          out.push({
            file,
            ...s,
            message: "the shipped example orchestrator address: set your registered orchestrator's",
          });
        } else if (
          s.keyPath === `${NAMESPACE}:livepeer.redeemerAddress` &&
          SHIPPED_EXAMPLES.redeemerAddresses.includes(s.value.toLowerCase())
        ) {
          out.push({
            file,
            ...s,
            message: "a shipped placeholder redeemer account: set this region's own",
          });
        } else if (EXAMPLE_DOMAIN.test(s.value)) {
          out.push({ file, ...s, message: "an example domain (RFC 2606): set a real one" });
        }
      }
    }
  }
  return out;
}

export function fleetSummary(projectDir: string, entries: readonly PlanEntry[]): FleetSummary {
  const stackFiles = new Map<string, RawConfig | undefined>();
  for (const stack of listStacks(projectDir)) stackFiles.set(stack, readQuietly(projectDir, stack));
  let projectValues: RawConfig = {};
  try {
    projectValues = readProjectConfig(projectDir);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err; // every stack's plan reports the broken file
  }
  const fleets = membership(stackFiles);
  const cidrOverlaps = overlaps(stackFiles, projectValues);
  const shared = sharedRedeemers(stackFiles);
  const exampleValues = examples(stackFiles, projectValues);
  const warnings =
    fleets.reduce(
      (n, f) =>
        n + (f.fleetStackFile ? 0 : 1) + f.missingStackFiles.length + f.unlistedStacks.length,
      0,
    ) +
    cidrOverlaps.length +
    shared.length +
    exampleValues.length;
  return {
    monthlyCostUsd: sumCosts(entries),
    fleets,
    cidrOverlaps,
    sharedRedeemers: shared,
    exampleValues,
    warnings,
  };
}

const usd = (v: number | null) => (v === null ? "n/a" : `$${v.toFixed(2)}`).padStart(12);

export function sharedRedeemerText(r: SharedRedeemer): string {
  return (
    `redeemer account ${r.address} is livepeer.redeemerAddress of ${r.stacks.join(" and ")}: ` +
    "their redeemers would send from one account and race on nonces; give each region its own"
  );
}

export function renderFleetSummary(s: FleetSummary): string {
  const lines = ["fleet summary"];
  const c = s.monthlyCostUsd;
  lines.push(`  monthly cost of ${c.stacks.length} region stack(s), USD:`);
  for (const st of c.stacks) lines.push(`    ${st.stack.padEnd(28)}${usd(st.total)}`);
  lines.push("    by line:");
  for (const l of c.lines) if (l.usd !== 0) lines.push(`      ${l.label.padEnd(26)}${usd(l.usd)}`);
  lines.push(`    ${"total".padEnd(28)}${usd(c.total)}`);
  for (const n of c.notCounted) lines.push(`    not in the total: ${n.stack}, ${n.why}`);
  for (const f of s.fleets) {
    const file = stackFileName(f.fleet);
    if (!f.fleetStackFile) {
      lines.push(
        `  fleet ${f.fleet}: WARNING ${file} not found; its region stacks belong to no fleet`,
      );
      continue;
    }
    lines.push(`  fleet ${f.fleet}: regions ${f.regions.join(", ") || "(none)"}`);
    for (const r of f.missingStackFiles) {
      lines.push(
        `    WARNING ${file} lists ${r} but ${stackFileName(regionStackName(f.fleet, r))} does not exist (npm run add-region)`,
      );
    }
    for (const st of f.unlistedStacks) {
      lines.push(`    WARNING ${stackFileName(st)} exists but ${file} does not list its region`);
    }
  }
  if (s.cidrOverlaps.length === 0) lines.push("  VPC CIDRs: no two region stacks overlap");
  for (const o of s.cidrOverlaps) {
    lines.push(
      `  WARNING VPC CIDRs overlap: ${o.stacks[0]} ${o.cidrs[0]} and ${o.stacks[1]} ${o.cidrs[1]} (the VPCs could never be peered)`,
    );
  }
  for (const r of s.sharedRedeemers) {
    lines.push(`  WARNING ${sharedRedeemerText(r)}`);
  }
  if (s.exampleValues.length > 0) {
    lines.push("  WARNING shipped example values still in place (set your own before pulumi up):");
    for (const e of s.exampleValues) {
      lines.push(`    ${e.file}: ${e.keyPath}: ${JSON.stringify(e.value)} is ${e.message}`);
    }
  }
  lines.push(`  ${s.warnings === 0 ? "no warnings" : `${s.warnings} warning(s)`}`);
  return lines.join("\n");
}
