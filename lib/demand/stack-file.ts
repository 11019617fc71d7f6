// Rewrites the demand block of a region stack file and nothing else: every other byte of the
// file (comments, key order, quoting, blank lines) stays as it was. Edits are splices at the
// source ranges the `yaml` parser reports, and the result is re-parsed and compared with the
// intended config before anyone writes it. Pure: text in, text out.
import { isMap, isPair, isScalar, isSeq, parseDocument, type Node, type YAMLMap } from "yaml";
import { NAMESPACE } from "../config/schema";
import type { Rendition } from "../sizing/planner";
import { SOURCE_RENDITION } from "../config/sizing-schema";

export const DEMAND_KEY = `${NAMESPACE}:demand`;

export interface DemandBlock {
  peakStreams: number[];
  ladder: Rendition[];
}

export class StackFileError extends Error {
  override name = "StackFileError";
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Where a node's content ends: its last item's value, before trailing newlines and comments. */
function contentEnd(node: Node, text: string): number {
  let end: number;
  if ((isMap(node) || isSeq(node)) && !node.flow && node.items.length > 0) {
    const last = node.items[node.items.length - 1];
    const inner = isPair(last) ? (last.value ?? last.key) : last;
    end = contentEnd(inner as Node, text);
  } else {
    end = node.range?.[1] ?? 0;
  }
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  return end;
}

function columnOf(text: string, pos: number): number {
  return pos - (text.lastIndexOf("\n", pos - 1) + 1);
}

function pairOf(map: YAMLMap, key: string) {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key);
}

export function renderPeakStreams(peaks: readonly number[]): string {
  return `[${peaks.join(", ")}]`;
}

export function renderRendition(r: Rendition): string {
  // Names are quoted: "720p0" is a string, an unquoted 1080 would read as a number.
  return `{ name: ${JSON.stringify(r.name)}, width: ${r.width}, height: ${r.height}, fps: ${r.fps} }`;
}

/** Block sequence items at `indent`; the first line carries no indent (it replaces in place). */
function renderLadder(
  ladder: readonly Rendition[],
  indent: number,
  keep: Map<string, string>,
): string {
  return ladder
    .map((r) => keep.get(r.name) ?? `- ${renderRendition(r)}`)
    .join(`\n${" ".repeat(indent)}`);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

/**
 * The stack file text with its demand block set to `demand`. Unchanged values are not touched,
 * so a sync that finds the same profile returns the file byte for byte.
 */
export function updateDemandBlock(text: string, demand: DemandBlock, file: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new StackFileError(`${file}: not valid YAML: ${doc.errors[0].message}`);
  const config = doc.get("config", true);
  if (!isMap(config) || config.flow) {
    throw new StackFileError(`${file}: expected a block mapping under config:`);
  }
  const edits: Edit[] = [];
  const pair = pairOf(config, DEMAND_KEY);
  if (!pair) {
    const at = contentEnd(config, text);
    const first = config.items[0]?.key as Node | undefined;
    const indent = first?.range ? columnOf(text, first.range[0]) : 2;
    const pad = " ".repeat(indent + 2);
    const block = [
      `${" ".repeat(indent)}${DEMAND_KEY}:`,
      `${pad}peakStreams: ${renderPeakStreams(demand.peakStreams)}`,
      `${pad}ladder:`,
      `${pad}  ${renderLadder(demand.ladder, indent + 4, new Map())}`,
    ].join("\n");
    edits.push({ start: at, end: at, text: `\n${block}` });
  } else {
    const block = pair.value;
    if (!isMap(block) || block.flow || block.items.length === 0) {
      throw new StackFileError(
        `${file}: ${DEMAND_KEY} is not a block mapping; write it as one (docs/sizing.md) or delete it`,
      );
    }
    const indent = columnOf(text, (block.items[0].key as Node).range![0]);
    const old = block.toJSON() as Partial<DemandBlock>;
    const appended: string[] = [];

    const peaks = pairOf(block, "peakStreams");
    if (!same(old.peakStreams, demand.peakStreams)) {
      const rendered = renderPeakStreams(demand.peakStreams);
      if (peaks?.value) {
        const v = peaks.value as Node;
        edits.push({ start: v.range![0], end: contentEnd(v, text), text: rendered });
      } else {
        appended.push(`peakStreams: ${rendered}`);
      }
    }

    const ladder = pairOf(block, "ladder");
    if (!same(old.ladder, demand.ladder)) {
      if (ladder?.value && isSeq(ladder.value) && !ladder.value.flow) {
        const seq = ladder.value;
        // The source's own entry is not measured by the sync: keep its text as written.
        const keep = new Map<string, string>();
        for (const item of seq.items as Node[]) {
          const js = item.toJSON() as Partial<Rendition>;
          const kept = demand.ladder.find((r) => r.name === js.name);
          if (js.name === SOURCE_RENDITION && kept && same(js, kept)) {
            const dash = text.lastIndexOf("-", item.range![0]);
            keep.set(SOURCE_RENDITION, text.slice(dash, contentEnd(item, text)));
          }
        }
        const start = text.lastIndexOf("-", (seq.items[0] as Node).range![0]);
        edits.push({
          start,
          end: contentEnd(seq, text),
          text: renderLadder(demand.ladder, columnOf(text, start), keep),
        });
      } else if (ladder) {
        throw new StackFileError(`${file}: ${DEMAND_KEY}.ladder is not a block sequence`);
      } else {
        const items = renderLadder(demand.ladder, indent + 2, new Map());
        appended.push(`ladder:\n${" ".repeat(indent + 2)}${items}`);
      }
    }
    if (appended.length > 0) {
      const at = contentEnd(block, text);
      edits.push({
        start: at,
        end: at,
        text: appended.map((a) => `\n${" ".repeat(indent)}${a}`).join(""),
      });
    }
  }

  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  verify(text, out, demand, file);
  return out;
}

/** The edited file must parse to the old config with exactly the new demand block. */
function verify(before: string, after: string, demand: DemandBlock, file: string): void {
  const a = parseDocument(after);
  if (a.errors.length > 0) {
    throw new StackFileError(
      `${file}: the edit would not parse (${a.errors[0].message}); file left as is`,
    );
  }
  const oldJs = parseDocument(before).toJSON() as { config: Record<string, unknown> };
  const newJs = a.toJSON() as { config: Record<string, unknown> };
  const expected = {
    ...oldJs,
    config: {
      ...oldJs.config,
      [DEMAND_KEY]: {
        ...((oldJs.config[DEMAND_KEY] as object | undefined) ?? {}),
        peakStreams: demand.peakStreams,
        ladder: demand.ladder,
      },
    },
  };
  if (!same(newJs, expected)) {
    throw new StackFileError(
      `${file}: the edit would change more than the demand block; file left as is`,
    );
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([k, x]) => [k, sortKeys(x)]),
    );
  }
  return v;
}
