// Turns one stack's evaluation into the plan's report: what it builds, what the internet reaches.
import { parseStackName } from "../stack";
import type { Evaluation } from "./evaluate";
import { publicIngress, PublicIngress } from "./exposure";
import { renderCapacity, type CapacityReport } from "./capacity";

export interface StackReport {
  stack: string;
  role: "fleet" | "region";
  region: string | null;
  resources: {
    type: string;
    name: string;
    parent: string | null;
    inputs: Record<string, unknown>;
  }[];
  publicIngress: PublicIngress[];
  nodeGroup?: { instanceType: string; minSize: number; maxSize: number };
  /** Region stacks: the hourly capacity plan and the monthly cost (lib/plan/capacity.ts). */
  capacity?: CapacityReport;
  /** Config a region stack still needs before `pulumi up` accepts it (release pins, price). */
  deployBlockers?: string[];
}

/** One problem that stopped a stack's plan: a config line (file, key path) or a crash's text. */
export interface StackProblem {
  file?: string;
  keyPath?: string;
  message: string;
}

export interface StackError {
  /** invalid-config: the stack's config or name (fix the file); failed: the program crashed. */
  kind: "invalid-config" | "failed";
  problems: StackProblem[];
}

/** A stack the plan could not render; the others still print. */
export interface FailedStack {
  stack: string;
  /** null when the name itself fits no role. */
  role: "fleet" | "region" | null;
  region: string | null;
  error: StackError;
}

/** What the plan has for each stack: its report, or why there is none. */
export type PlanEntry = StackReport | FailedStack;

export function isFailed(e: PlanEntry): e is FailedStack {
  return "error" in e;
}

export function problemLine(p: StackProblem): string {
  return p.file !== undefined ? `${p.file}: ${p.keyPath}: ${p.message}` : p.message;
}

export function renderFailed(f: FailedStack): string {
  const what = f.error.kind === "invalid-config" ? "INVALID CONFIG" : "PLAN FAILED";
  const lines = [`${f.stack}  (${what}: not planned)`];
  for (const p of f.error.problems) {
    for (const l of problemLine(p).split("\n")) lines.push(`  ${l}`);
  }
  return lines.join("\n");
}

export function renderEntry(e: PlanEntry): string {
  return isFailed(e) ? renderFailed(e) : renderText(e);
}

/** The logical name at the end of a URN. */
export function urnName(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

export function stackReport(e: Evaluation): StackReport {
  const role = parseStackName(e.stack);
  const report: StackReport = {
    stack: e.stack,
    role: role.role,
    region: role.role === "region" ? role.region : null,
    resources: e.resources.map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent ? urnName(r.parent) : null,
      inputs: r.inputs,
    })),
    publicIngress: publicIngress(e.resources),
  };
  const asg = e.resources.find(
    (r) => r.type === "aws:autoscaling/group:Group" && r.name.endsWith("-tc-asg"),
  );
  const lt = e.resources.find(
    (r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.name.endsWith("-tc-lt"),
  );
  if (asg) {
    report.nodeGroup = {
      instanceType: typeof lt?.inputs.instanceType === "string" ? lt.inputs.instanceType : "?",
      minSize: Number(asg.inputs.minSize),
      maxSize: Number(asg.inputs.maxSize),
    };
  }
  const blockers = e.outputs.deployBlockers;
  if (Array.isArray(blockers) && blockers.length > 0) report.deployBlockers = blockers.map(String);
  return report;
}

export function countByType(report: StackReport): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of report.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * The text report's sections after the heading, in order: each returns its lines, or none when
 * the stack has nothing to say there. A new part of the report (say the transcoder pool) is one
 * more StackReport field and one more entry here; the HTML report lists its sections the same way.
 */
export const TEXT_SECTIONS: readonly ((r: StackReport) => string[])[] = [
  (r) => [
    `  resources: ${r.resources.length}`,
    ...countByType(r).map(([type, n]) => `    ${String(n).padStart(3)}  ${type}`),
  ],
  (r) => [
    "  reachable from the internet:",
    ...(r.publicIngress.length === 0 ? ["    nothing"] : []),
    ...r.publicIngress.map(
      (p) => `    ${`${p.port}/${p.protocol}`.padEnd(12)} ${p.resource} (${p.via})`,
    ),
  ],
  // The capacity section shows the orchestrators, the service record, the transcoder pool and
  // the cost; without it (no capacity model) the pool's bounds alone.
  (r) =>
    r.capacity
      ? [renderCapacity(r.capacity)]
      : r.nodeGroup
        ? [
            `  transcoders: ${r.nodeGroup.instanceType}, min ${r.nodeGroup.minSize}, max ${r.nodeGroup.maxSize}`,
          ]
        : [],
  (r) =>
    r.deployBlockers
      ? ["  NOT DEPLOYABLE until set:", ...r.deployBlockers.map((b) => `    ${b}`)]
      : [],
];

export function renderText(report: StackReport): string {
  const where = report.region ? `, ${report.region}` : "";
  const heading = `${report.stack}  (${report.role === "region" ? "region unit" : "fleet"}${where})`;
  return [heading, ...TEXT_SECTIONS.flatMap((section) => section(report))].join("\n");
}
