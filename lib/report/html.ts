// `npm run report`'s page: the offline plan as one self-contained HTML file. Everything is inline
// (styles, charts as SVG from lib/report/charts.ts); the page has no script and its Content
// Security Policy forbids loading anything, so it opens the same from disk, a mail or an artifact.
import { costLines, type CapacityReport } from "../plan/capacity";
import { sharedRedeemerText, type FleetSummary } from "../plan/fleet";
import { isFailed, problemLine, type FailedStack, type StackReport } from "../plan/report";
import type { PlanRun } from "../plan/run";
import { fmtPx } from "../sizing/planner";
import { costChart, fleetCostChart, pixelsChart, streamsChart, type Chart } from "./charts";

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

const usd = (v: number | null) =>
  v === null
    ? "n/a"
    : `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/** Anchor id for a stack's section. */
const anchor = (stack: string) => `stack-${stack.replace(/[^A-Za-z0-9-]/g, "_")}`;

function figure(c: Chart): string {
  return `<figure class="chart" data-chart="${esc(c.id)}"><figcaption>${esc(c.title)}</figcaption>${c.svg}</figure>`;
}

function peak(c: CapacityReport): { streams: number | null; px: number | null } {
  const streams = c.hourly.map((h) => h.demandStreams).filter((v): v is number => v !== null);
  const px = c.hourly.map((h) => h.demandPixelsPerSecond).filter((v): v is number => v !== null);
  return {
    streams: streams.length > 0 ? Math.max(...streams) : null,
    px: px.length > 0 ? Math.max(...px) : null,
  };
}

function overview(run: PlanRun): string {
  const rows = run.stacks
    .filter((s) => s.role === "region")
    .map((s) => {
      const link = `<a href="#${anchor(s.stack)}">${esc(s.stack)}</a>`;
      if (isFailed(s)) {
        return `<tr class="bad"><td>${link}</td><td>${esc(s.region ?? "?")}</td><td colspan="5">not planned: ${esc(s.error.kind)}</td></tr>`;
      }
      const c = s.capacity;
      const p = c ? peak(c) : { streams: null, px: null };
      const status = s.deployBlockers?.length
        ? `${s.deployBlockers.length} deploy blocker(s)`
        : "deployable";
      return (
        `<tr><td>${link}</td><td>${esc(s.region ?? "")}</td>` +
        `<td>${esc(c ? `${c.instanceType}, ${c.minSize}-${c.maxSize}` : "-")}</td>` +
        `<td class="num">${p.streams ?? "-"}</td>` +
        `<td class="num">${p.px === null ? "-" : esc(fmtPx(p.px))}</td>` +
        `<td class="num">${c ? usd(c.monthlyCostUsd.total) : "-"}</td>` +
        `<td>${esc(status)}</td></tr>`
      );
    });
  const total = run.fleet.monthlyCostUsd.total;
  return `<table class="overview">
<thead><tr><th>region stack</th><th>region</th><th>nodes (type, min-max)</th><th>peak streams</th><th>peak demand</th><th>monthly cost</th><th>status</th></tr></thead>
<tbody>${rows.join("\n")}</tbody>
<tfoot><tr><td colspan="5">fleet total (${run.fleet.monthlyCostUsd.stacks.length} region stack(s))</td><td class="num">${usd(total)}</td><td></td></tr></tfoot>
</table>`;
}

function warnings(s: FleetSummary): string {
  const items: string[] = [];
  for (const f of s.fleets) {
    if (!f.fleetStackFile)
      items.push(`Pulumi.${f.fleet}.yaml not found: its region stacks belong to no fleet`);
    for (const r of f.missingStackFiles)
      items.push(`fleet ${f.fleet} lists ${r} but has no stack file for it`);
    for (const st of f.unlistedStacks)
      items.push(`Pulumi.${st}.yaml exists but fleet ${f.fleet} does not list its region`);
  }
  for (const o of s.cidrOverlaps) {
    items.push(`VPC CIDRs overlap: ${o.stacks[0]} ${o.cidrs[0]} and ${o.stacks[1]} ${o.cidrs[1]}`);
  }
  for (const r of s.sharedRedeemers) items.push(sharedRedeemerText(r));
  for (const e of s.exampleValues) {
    items.push(`${e.file}: ${e.keyPath}: ${JSON.stringify(e.value)} is ${e.message}`);
  }
  for (const n of s.monthlyCostUsd.notCounted) items.push(`not in the total: ${n.stack}, ${n.why}`);
  if (items.length === 0) return `<p class="ok">No warnings.</p>`;
  return `<ul class="warnings">${items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>`;
}

function capacitySection(s: StackReport): string {
  const c = s.capacity;
  if (!c) return "";
  const sessions =
    c.sessionsPerNode === null
      ? "no capacity model for this type"
      : `${c.sessionsPerNode} sessions per node (-maxSessions), scaling target ${c.targetSessionsPerNode}`;
  return [
    `<p>${esc(`${c.instanceType}, ${sessions}; min ${c.minSize}, max ${c.maxSize}; one stream of the ladder ${fmtPx(c.streamPixelsPerSecond)}; maintenance ${String(c.maintenanceHourUtc).padStart(2, "0")}:00 UTC`)}</p>`,
    `<div class="charts">${figure(streamsChart(`${s.stack}-streams`, c))}${figure(pixelsChart(`${s.stack}-pixels`, c))}</div>`,
  ].join("\n");
}

function costSection(s: StackReport): string {
  const c = s.capacity;
  if (!c) return "";
  // As in the plan's text: a line that is exactly zero is noise, an unpriced one is not.
  const lines = costLines(c.monthlyCostUsd).filter((l) => l.usd !== 0);
  const rows = lines
    .map((l) => `<tr><td>${esc(l.label)}</td><td class="num">${usd(l.usd)}</td></tr>`)
    .join("");
  return [
    `<h3>Monthly cost: ${usd(c.monthlyCostUsd.total)}</h3><div class="charts">`,
    `<table class="cost"><tbody>${rows}<tr class="total"><td>total</td><td class="num">${usd(c.monthlyCostUsd.total)}</td></tr></tbody></table>`,
    `${figure(costChart(`${s.stack}-cost`, "Monthly cost by line", lines))}</div>`,
    `<ul class="notes">${c.costNotes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>`,
  ].join("\n");
}

function exposureSection(s: StackReport): string {
  const rows = s.publicIngress
    .map(
      (p) =>
        `<tr><td>${esc(`${p.port}/${p.protocol}`)}</td><td>${esc(p.resource)}</td><td>${esc(p.via)}</td></tr>`,
    )
    .join("");
  return `<h3>Reachable from the internet</h3>${
    s.publicIngress.length === 0
      ? "<p>nothing</p>"
      : `<table class="exposure"><thead><tr><th>port</th><th>resource</th><th>via</th></tr></thead><tbody>${rows}</tbody></table>`
  }`;
}

function blockersSection(s: StackReport): string {
  return `<h3>Deploy blockers</h3>${
    s.deployBlockers?.length
      ? `<p>Not deployable until set:</p><ul class="blockers">${s.deployBlockers.map((b) => `<li><code>${esc(b)}</code></li>`).join("")}</ul>`
      : `<p class="ok">none: pulumi up accepts this stack's config</p>`
  }`;
}

/**
 * A region's sections, in order, as in the plan's text (lib/plan/report.ts TEXT_SECTIONS): a new
 * part of the report is one more function here.
 */
export const REGION_SECTIONS: readonly ((s: StackReport) => string)[] = [
  capacitySection,
  costSection,
  exposureSection,
  blockersSection,
  (s) => `<p class="resources">${s.resources.length} resources</p>`,
];

function regionSection(s: StackReport): string {
  return [
    `<section class="region" id="${anchor(s.stack)}"><h2>${esc(s.stack)} <small>${esc(s.region ?? "")}</small></h2>`,
    ...REGION_SECTIONS.map((section) => section(s)).filter((html) => html !== ""),
    "</section>",
  ].join("\n");
}

function failedSection(f: FailedStack): string {
  return `<section class="region failed" id="${anchor(f.stack)}"><h2>${esc(f.stack)} <small>${esc(f.error.kind === "invalid-config" ? "invalid config: not planned" : "plan failed")}</small></h2>
<ul class="problems">${f.error.problems.map((p) => `<li><code>${esc(problemLine(p))}</code></li>`).join("")}</ul></section>`;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #1b1b1b; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
h2 small { color: #666; font-weight: normal; font-size: 0.7em; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } tfoot td, tr.total td { font-weight: bold; }
tr.bad td, .failed h2 small { color: #b00020; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure.chart { margin: 0; border: 1px solid #e4e4e4; border-radius: 6px; padding: 6px; background: #fff; }
figcaption { font-size: 0.9em; color: #444; margin: 0 0 2px 4px; }
ul.warnings li { color: #8a4b00; } .ok { color: #1b6e20; } .notes, .resources { color: #666; font-size: 0.85em; }
code { font-size: 0.85em; word-break: break-all; }
`;

/** The whole page. */
export function renderReport(run: PlanRun, generatedAt: Date): string {
  const regions = run.stacks.filter((s) => s.role === "region");
  const planned = regions.filter((s): s is StackReport => !isFailed(s) && s.capacity !== undefined);
  const fleetChart = fleetCostChart(
    "fleet-cost",
    planned.map((s) => ({ stack: s.stack, lines: costLines(s.capacity!.monthlyCostUsd) })),
    run.fleet.monthlyCostUsd,
  );
  const sections = run.stacks
    .filter((s) => s.role !== "fleet")
    .map((s) => (isFailed(s) ? failedSection(s) : regionSection(s)));
  const fleetStacks = run.stacks.filter((s) => s.role === "fleet");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>livepeer-fleet: fleet report</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>livepeer-fleet: fleet report</h1>
<p>The offline plan of every stack (<code>npm run report</code>), ${esc(generatedAt.toISOString().slice(0, 16).replace("T", " "))} UTC. Demand is each hour's peak from the stack's demand profile; capacity is what the planner schedules for that hour. Costs are on-demand list prices; data transfer and per-GB charges are not included.</p></header>
<section id="fleet"><h2>Fleet overview</h2>
${overview(run)}
<div class="charts">${figure(fleetChart)}</div>
<h3>Fleet checks</h3>
${warnings(run.fleet)}
${fleetStacks
  .map((s) =>
    isFailed(s)
      ? failedSection(s)
      : `<p>Fleet stack <b>${esc(s.stack)}</b>: ${s.resources.length} resources; reachable from the internet: ${s.publicIngress.length === 0 ? "nothing" : esc(s.publicIngress.map((p) => `${p.port}/${p.protocol}`).join(", "))}.</p>`,
  )
  .join("\n")}
</section>
${sections.join("\n")}
</body>
</html>
`;
}
