// The drift report: JSON for machines (and the workflow's artifact), Markdown for people (the
// GitHub job summary). Both say, per stack, in sync / drifted (which resources, which properties)
// / failed (why). docs/operations.md "Read the drift report" explains what to do with each.
import { exitCode, StackResult } from "./check";

export interface DriftReport {
  fleet: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  summary: { inSync: number; drifted: number; failed: number };
  stacks: StackResult[];
}

export function buildReport(
  fleet: string,
  results: StackResult[],
  startedAt: Date,
  finishedAt: Date,
): DriftReport {
  const count = (s: StackResult["status"]) => results.filter((r) => r.status === s).length;
  return {
    fleet,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    exitCode: exitCode(results),
    summary: { inSync: count("in-sync"), drifted: count("drifted"), failed: count("failed") },
    stacks: results,
  };
}

/** Markdown table cells: a `|` or a newline would break the row. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

const ICON = { "in-sync": "✅ in sync", drifted: "⚠️ drifted", failed: "❌ failed" } as const;

export function renderMarkdown(r: DriftReport): string {
  const lines: string[] = [];
  const verdict =
    r.exitCode === 0
      ? "every stack matches its state"
      : r.exitCode === 1
        ? "drift found"
        : "a check could not run: the report is incomplete";
  lines.push(`# Drift check: fleet ${code(r.fleet)}: ${verdict}`);
  lines.push("");
  lines.push(
    `${r.summary.inSync} in sync, ${r.summary.drifted} drifted, ${r.summary.failed} failed ` +
      `(${r.startedAt} to ${r.finishedAt}).`,
  );
  lines.push("");
  lines.push("| stack | result | detail |");
  lines.push("|---|---|---|");
  for (const s of r.stacks) {
    const detail =
      s.status === "in-sync"
        ? ""
        : s.status === "drifted"
          ? `${s.resources.length} resource(s)`
          : (s.reason.split("\n")[0] ?? "");
    lines.push(`| ${code(s.stack)} | ${ICON[s.status]} | ${cell(detail)} |`);
  }
  for (const s of r.stacks) {
    if (s.status === "drifted") {
      lines.push("", `## ${s.stack}: drifted`, "");
      if (s.resources.length === 0) {
        const ops = Object.entries(s.changeSummary)
          .filter(([op]) => op !== "same")
          .map(([op, n]) => `${op}: ${n}`)
          .join(", ");
        lines.push(`The engine counted changes (${ops}) but did not name the resources.`);
      } else {
        lines.push("| resource | type | change | properties |", "|---|---|---|---|");
        for (const d of s.resources) {
          const props =
            d.properties.length > 0 ? d.properties.map(code).join(", ") : "not reported";
          lines.push(`| ${code(d.name)} | ${code(d.type)} | ${d.change} | ${cell(props)} |`);
        }
      }
    } else if (s.status === "failed") {
      lines.push("", `## ${s.stack}: check failed`, "", "```text", s.reason, "```");
    }
  }
  lines.push(
    "",
    'What to do with each result: docs/operations.md, "Read the drift report". ' +
      "This check ran `pulumi refresh --preview-only`: it changed no state.",
  );
  return `${lines.join("\n")}\n`;
}

/** One line per stack for the terminal. */
export function renderLine(s: StackResult): string {
  if (s.status === "in-sync") return `${s.stack}: in sync (${s.seconds} s)`;
  if (s.status === "failed") return `${s.stack}: FAILED: ${s.reason.split("\n")[0]}`;
  const what = s.resources.map(
    (d) => `${d.name} ${d.change}${d.properties.length ? ` [${d.properties.join(", ")}]` : ""}`,
  );
  return `${s.stack}: DRIFTED: ${what.join("; ") || "resources not named by the engine"}`;
}
