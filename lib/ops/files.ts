// All-or-nothing file changes for the operator scripts: every new content is written to a temp
// file beside its target first; then new files are hard-linked into place (link(2) fails when the
// target exists, so a file that appeared meanwhile is never overwritten) and changed files are
// renamed over their targets (atomic on POSIX within one directory). Any failure removes what this
// run created, so a failed run leaves the directory as it found it.
import * as fs from "node:fs";
import * as path from "node:path";

export interface FileChange {
  file: string;
  content: string;
  /** "create": the file must not exist; "replace": the file must exist and is replaced whole. */
  mode: "create" | "replace";
}

export class RefusedError extends Error {
  override name = "RefusedError";
}

function tempName(file: string): string {
  const dir = path.dirname(file);
  return path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
}

/**
 * Applies every change or none. Replacements go last; with more than one, a failure between two
 * renames cannot undo the first (add-region replaces exactly one file, the fleet stack file).
 */
export function applyAll(changes: readonly FileChange[]): void {
  for (const c of changes) {
    const exists = fs.existsSync(c.file);
    if (c.mode === "create" && exists) {
      throw new RefusedError(`${c.file} already exists; refusing to overwrite it`);
    }
    if (c.mode === "replace" && !exists) throw new RefusedError(`${c.file} does not exist`);
  }
  const temps: string[] = [];
  const created: string[] = [];
  try {
    for (const c of changes) {
      const t = tempName(c.file);
      // wx: never follow or clobber a file that happens to have the temp name.
      fs.writeFileSync(t, c.content, { flag: "wx" });
      temps.push(t);
    }
    // New files first: if one of them cannot be linked, nothing existing has changed yet.
    changes.forEach((c, i) => {
      if (c.mode !== "create") return;
      try {
        fs.linkSync(temps[i], c.file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") {
          throw new RefusedError(`${c.file} already exists; refusing to overwrite it`);
        }
        throw err;
      }
      created.push(c.file);
    });
    changes.forEach((c, i) => {
      if (c.mode === "replace") fs.renameSync(temps[i], c.file);
    });
  } catch (err) {
    for (const f of created) fs.rmSync(f, { force: true });
    throw err;
  } finally {
    for (const t of temps) fs.rmSync(t, { force: true });
  }
}
