// The drift check: for each stack, a refresh *preview* (`pulumi refresh --preview-only`, which
// compares state with the cloud and writes nothing), interpreted into in sync / drifted (which
// resources, which properties where the engine says so) / failed (why). The Automation API sits
// behind RefreshPreviewer so everything here runs in tests without the Pulumi CLI.
import type { EngineEvent, OpMap } from "@pulumi/pulumi/automation";

/** One stack's refresh preview: events as they arrive; rejects when the CLI fails. */
export interface RefreshPreviewer {
  previewRefresh(
    stack: string,
    opts: { signal: AbortSignal; onEvent: (event: EngineEvent) => void },
  ): Promise<{ changeSummary: OpMap }>;
}

export interface DriftedResource {
  urn: string;
  type: string;
  name: string;
  /** The engine's result op for the refresh: update (changed outside Pulumi), delete (gone)... */
  change: string;
  /** Property paths that differ, as the engine reports them; empty when it does not say. */
  properties: string[];
}

export type StackResult =
  | { stack: string; status: "in-sync"; seconds: number }
  | {
      stack: string;
      status: "drifted";
      seconds: number;
      changeSummary: OpMap;
      resources: DriftedResource[];
    }
  | { stack: string; status: "failed"; seconds: number; reason: string };

export const EXIT = { inSync: 0, drift: 1, failed: 2 } as const;

/** 0 all in sync; 1 drift found; 2 a check could not run (the report is incomplete). */
export function exitCode(results: readonly StackResult[]): number {
  if (results.some((r) => r.status === "failed")) return EXIT.failed;
  if (results.some((r) => r.status === "drifted")) return EXIT.drift;
  return EXIT.inSync;
}

/** Ops that mean "nothing to adopt": everything else in the summary is drift. */
const NO_CHANGE = new Set(["same", "read", "refresh"]);

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function nameOf(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

function propertiesOf(meta: {
  diffs?: string[];
  detailedDiff?: Record<string, unknown>;
}): string[] {
  // detailedDiff names nested paths (tags.Owner); diffs only top-level keys.
  const detailed = Object.keys(meta.detailedDiff ?? {});
  return [...new Set(detailed.length > 0 ? detailed : (meta.diffs ?? []))].sort();
}

/**
 * Which resources drifted, from the engine's events. For a refresh, the pre-event carries op
 * "refresh" and the outputs event carries the step's result op (same/update/delete), with the
 * changed keys when the provider's diff reports them (pulumi pkg/engine: RefreshStep.ResultOp,
 * makeStepEventMetadata).
 */
export function driftedResources(events: readonly EngineEvent[]): DriftedResource[] {
  const found = new Map<string, DriftedResource>();
  for (const e of events) {
    const out = e.resOutputsEvent?.metadata;
    if (out && !NO_CHANGE.has(out.op)) {
      found.set(out.urn, {
        urn: out.urn,
        type: out.type,
        name: nameOf(out.urn),
        change: out.op,
        properties: propertiesOf(out),
      });
    }
  }
  // A pre-event with a diff names a drifted resource whose outputs event never came (a failure
  // mid-way); only add those not already known.
  for (const e of events) {
    const pre = e.resourcePreEvent?.metadata;
    if (pre?.op === "refresh" && !found.has(pre.urn) && propertiesOf(pre).length > 0) {
      found.set(pre.urn, {
        urn: pre.urn,
        type: pre.type,
        name: nameOf(pre.urn),
        change: "update",
        properties: propertiesOf(pre),
      });
    }
  }
  return [...found.values()].sort((a, b) => a.urn.localeCompare(b.urn));
}

/** The CLI's own error lines, then the error diagnostics, trimmed to something readable. */
export function failureReason(err: unknown, events: readonly EngineEvent[]): string {
  const lines: string[] = [];
  for (const e of events) {
    const d = e.diagnosticEvent;
    if (d?.severity === "error") lines.push(d.message.replace(ANSI, "").trim());
    const f = e.resOpFailedEvent;
    if (f) lines.push(`${nameOf(f.metadata.urn)}: ${f.metadata.op} failed`);
  }
  const text = err instanceof Error ? err.message : String(err);
  // CommandError's message is the whole command result (`code: N\n stdout: ...\n stderr: ...`,
  // automation/cmd.js CommandResult.toString); the CLI's `error:` lines in stderr say why.
  const errorLines = text
    .replace(ANSI, "")
    .split("\n")
    .map((l) => l.trim().replace(/^stderr:\s*/, ""))
    .filter((l) => /^error:/i.test(l));
  const all = [...new Set([...errorLines, ...lines].filter((l) => l.length > 0))];
  const reason = all.length > 0 ? all.join("\n") : text.replace(ANSI, "").trim();
  return reason.length > 2000 ? `${reason.slice(0, 2000)}...` : reason;
}

export function interpret(
  stack: string,
  changeSummary: OpMap,
  events: readonly EngineEvent[],
  seconds: number,
): StackResult {
  const entries = Object.entries(changeSummary);
  if (entries.length === 0) {
    // previewRefresh returns {} when the engine sent no summary: we cannot claim "in sync".
    return { stack, status: "failed", seconds, reason: "the engine reported no change summary" };
  }
  const changed = entries.filter(([op, n]) => !NO_CHANGE.has(op) && (n ?? 0) > 0);
  const resources = driftedResources(events);
  if (changed.length === 0 && resources.length === 0) return { stack, status: "in-sync", seconds };
  return { stack, status: "drifted", seconds, changeSummary, resources };
}

export interface RunOptions {
  concurrency: number;
  /** Per stack; the check is cancelled (signal aborted) and reported failed when it passes. */
  timeoutMs: number;
  now?: () => number;
  /** Called as each stack finishes (progress on stderr in the CLI). */
  onResult?: (r: StackResult) => void;
}

async function checkOne(
  stack: string,
  engine: RefreshPreviewer,
  o: RunOptions,
): Promise<StackResult> {
  const now = o.now ?? Date.now;
  const started = now();
  const seconds = () => Math.round((now() - started) / 100) / 10;
  const events: EngineEvent[] = [];
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve("timeout");
    }, o.timeoutMs);
  });
  try {
    const run = engine.previewRefresh(stack, {
      signal: controller.signal,
      onEvent: (e) => events.push(e),
    });
    // After a timeout the run may still reject (cancelled): that rejection is expected.
    run.catch(() => undefined);
    const r = await Promise.race([run, timedOut]);
    if (r === "timeout") {
      return {
        stack,
        status: "failed",
        seconds: seconds(),
        reason: `timed out after ${o.timeoutMs / 1000} s; the check was cancelled`,
      };
    }
    return interpret(stack, r.changeSummary, events, seconds());
  } catch (err) {
    return { stack, status: "failed", seconds: seconds(), reason: failureReason(err, events) };
  } finally {
    clearTimeout(timer);
  }
}

/** Checks every stack, at most `concurrency` at once; results in the order of `stacks`. */
export async function checkStacks(
  stacks: readonly string[],
  engine: RefreshPreviewer,
  o: RunOptions,
): Promise<StackResult[]> {
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1) {
    throw new Error(`concurrency must be a whole number >= 1 (got ${o.concurrency})`);
  }
  const results = new Array<StackResult>(stacks.length);
  let next = 0;
  const worker = async () => {
    while (next < stacks.length) {
      const i = next++;
      results[i] = await checkOne(stacks[i], engine, o);
      o.onResult?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, stacks.length) }, worker));
  return results;
}
