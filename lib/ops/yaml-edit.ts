// Byte-preserving YAML edits: the yaml library finds where a node is, and the edit is a text
// insertion there, so every comment, blank line and quoting choice around it stays exactly as the
// author wrote it (a parse + toString round trip would re-flow some of them).
import { isSeq, parseDocument } from "yaml";

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
