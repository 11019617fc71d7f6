// Cross-field checks say which fields they compute from, so lib/config/load.ts can drop one whose
// inputs already failed on their own: "expected a number >= 1 (got -1)" on nodeGroup.maxSize is
// the problem; "expected maxSize >= minSize" on the same -1 only repeats it.
import type { z } from "zod";

/** The params key of a custom issue that lists the key paths it derives from. */
export const DERIVED_FROM = "derivedFrom";

export interface DerivedIssue {
  path: (string | number)[];
  message: string;
  /** Key paths (dotted, without the namespace) the check reads, e.g. "nodeGroup.minSize". */
  from: string[];
}

/** Adds a cross-field issue that load.ts reports only when none of its inputs failed. */
export function addDerived(ctx: z.RefinementCtx, issue: DerivedIssue): void {
  ctx.addIssue({
    code: "custom",
    path: issue.path,
    message: issue.message,
    params: { [DERIVED_FROM]: issue.from },
  });
}
