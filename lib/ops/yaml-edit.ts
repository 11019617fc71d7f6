// Byte-preserving YAML edits: the yaml library finds where a node is, and the edit is a text
// insertion there, so every comment, blank line and quoting choice around it stays exactly as the
// author wrote it (a parse + toString round trip would re-flow some of them).
import { isMap, isPair, isScalar, isSeq, parseDocument, type Node } from "yaml";

export class YamlEditError extends Error {
  override name = "YamlEditError";
}

/**
 * Appends a plain scalar to the sequence at `path` (block `- x` or flow `[x, y]` style), matching
 * the existing items' indentation. Throws YamlEditError when the node is not a sequence.
 */
export function appendToSequence(text: string, path: string[], value: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(value)) {
    throw new YamlEditError(`refusing to insert "${value}": not a plain scalar`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new YamlEditError(`not valid YAML: ${doc.errors[0].message}`);
  const seq = doc.getIn(path, true);
  if (!isSeq(seq) || !seq.range) {
    throw new YamlEditError(`${path.join(".")} is not a YAML sequence`);
  }
  if (seq.flow) {
    const close = text.lastIndexOf("]", seq.range[1]);
    if (close < seq.range[0]) throw new YamlEditError(`cannot find the end of ${path.join(".")}`);
    const sep = seq.items.length === 0 ? "" : ", ";
    // Keep any space before `]` (e.g. `[ a, b ]`) after the new item.
    let at = close;
    while (at > seq.range[0] && text[at - 1] === " ") at--;
    return text.slice(0, at) + sep + value + text.slice(at);
  }
  const last = seq.items[seq.items.length - 1] as { range?: [number, number, number] } | undefined;
  if (!last?.range) throw new YamlEditError(`${path.join(".")} has no items to align with`);
  const lineStart = text.lastIndexOf("\n", last.range[0]) + 1;
  const indent = /^[ ]*-[ ]+/.exec(text.slice(lineStart));
  if (!indent) throw new YamlEditError(`cannot read the indentation of ${path.join(".")}`);
  let lineEnd = text.indexOf("\n", last.range[0]);
  if (lineEnd < 0) lineEnd = text.length;
  return `${text.slice(0, lineEnd)}\n${indent[0]}${value}${text.slice(lineEnd)}`;
}

/** Where a node's text ends: its last item's value, before trailing whitespace and comments. */
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

const PLAIN = /^[A-Za-z0-9._/-]+$/;

/**
 * Sets `entries` (plain scalars) in the mapping under `config.<key>` of a stack file: existing
 * entries get the new value in place, missing ones are appended to the block with its indentation,
 * and a missing block is appended to `config:`. Every other byte (comments, other keys, quoting)
 * stays. The result is re-parsed and must equal the intended config, or this throws.
 */
export function setConfigEntries(
  text: string,
  key: string,
  entries: Record<string, string>,
): string {
  for (const [k, v] of Object.entries(entries)) {
    if (!PLAIN.test(k) || !PLAIN.test(v)) {
      throw new YamlEditError(`refusing to write ${k}: ${v}: not a plain scalar`);
    }
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new YamlEditError(`not valid YAML: ${doc.errors[0].message}`);
  const config = doc.get("config", true);
  if (!isMap(config) || config.flow || config.items.length === 0) {
    throw new YamlEditError("expected a block mapping under config:");
  }
  const edits: { start: number; end: number; text: string }[] = [];
  const pair = config.items.find((p) => isScalar(p.key) && p.key.value === key);
  const firstKey = config.items[0].key as Node;
  const configIndent = firstKey.range ? columnOf(text, firstKey.range[0]) : 2;
  if (!pair) {
    const at = contentEnd(config, text);
    const pad = " ".repeat(configIndent + 2);
    const lines = Object.entries(entries).map(([k, v]) => `${pad}${k}: ${v}`);
    edits.push({
      start: at,
      end: at,
      text: `\n${" ".repeat(configIndent)}${key}:\n${lines.join("\n")}`,
    });
  } else {
    const block = pair.value;
    if (!isMap(block) || block.flow || block.items.length === 0) {
      throw new YamlEditError(`${key} is not a block mapping; write it as one or delete it`);
    }
    const indent = columnOf(text, (block.items[0].key as Node).range![0]);
    const appended: string[] = [];
    for (const [k, v] of Object.entries(entries)) {
      const item = block.items.find((p) => isScalar(p.key) && p.key.value === k);
      const value = item?.value as Node | undefined;
      if (item && value?.range && isScalar(value)) {
        if (value.value !== v) edits.push({ start: value.range[0], end: value.range[1], text: v });
      } else if (item) {
        throw new YamlEditError(`${key}.${k} is not a plain value`);
      } else {
        appended.push(`${" ".repeat(indent)}${k}: ${v}`);
      }
    }
    if (appended.length > 0) {
      const at = contentEnd(block, text);
      edits.push({ start: at, end: at, text: `\n${appended.join("\n")}` });
    }
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  const before = (doc.toJS() as { config: Record<string, unknown> }).config;
  const after = (parseDocument(out).toJS() as { config: Record<string, unknown> }).config;
  const intended = {
    ...before,
    [key]: { ...((before[key] as Record<string, unknown> | undefined) ?? {}), ...entries },
  };
  if (JSON.stringify(after) !== JSON.stringify(intended)) {
    throw new YamlEditError(`editing ${key} would change more than ${key}; edit the file by hand`);
  }
  return out;
}
