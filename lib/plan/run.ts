// Runs the offline plan: a pool of evaluation children (scripts/plan-stack.ts --serve), as many
// as the machine has cores, each planning one stack after another (the Pulumi runtime is one per
// process, so stacks in one process go in turn), then the fleet summary. Used by `npm run plan`
// and `npm run report`.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { writePrebuiltBundle } from "../watcher/bundle";
import { parseStackName } from "../stack";
import { fleetSummary, type FleetSummary } from "./fleet";
import type { PlanEntry, StackError, StackReport } from "./report";

export interface PlanRun {
  stacks: PlanEntry[];
  fleet: FleetSummary;
}

export interface PlanOptions {
  projectDir: string;
  stacks: string[];
  /** Called as each stack finishes (k of n), for progress lines. */
  onDone?: (entry: PlanEntry, done: number, total: number, seconds: number) => void;
  /** Children at a time. Default: os.availableParallelism(). */
  concurrency?: number;
}

/** One answer line of plan-stack.ts --serve. */
type Answer = { stack: string; report: StackReport } | { stack: string; error: StackError };

function failedEntry(stack: string, error: StackError): PlanEntry {
  let role: "fleet" | "region" | null = null;
  let region: string | null = null;
  try {
    const r = parseStackName(stack);
    role = r.role;
    region = r.role === "region" ? r.region : null;
  } catch {
    // an invalid name: its error says so
  }
  return { stack, role, region, error };
}

/** A long-lived evaluation child: ask it for one stack at a time. */
class Worker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: AsyncIterator<string>;
  private stderr = "";

  constructor(projectDir: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(projectDir, "scripts", "plan-stack.ts"), "--serve"],
      { cwd: projectDir, env },
    );
    // A child that died makes writing to it fail with EPIPE: its answer (none) says so already.
    this.child.stdin.on("error", () => undefined);
    // Kept for a crash's explanation; deploy-blocker warnings are expected there and dropped.
    this.child.stderr.on(
      "data",
      (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)),
    );
    const lines = readline.createInterface({ input: this.child.stdout, terminal: false });
    this.answers = lines[Symbol.asyncIterator]();
  }

  /** The stack's entry; alive is false when the child is gone and must be replaced. */
  async plan(stack: string): Promise<{ entry: PlanEntry; alive: boolean }> {
    this.child.stdin.write(`${stack}\n`);
    const next = await this.answers.next();
    if (next.done) {
      const why = this.stderr
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("warning: "))
        .join("\n");
      return {
        entry: failedEntry(stack, {
          kind: "failed",
          problems: [{ message: why || `the evaluation process exited (${this.child.exitCode})` }],
        }),
        alive: false,
      };
    }
    const a = JSON.parse(next.value) as Answer;
    if ("report" in a) return { entry: a.report, alive: true };
    // After a crash the child exits by itself (scripts/plan-stack.ts serve).
    return { entry: failedEntry(stack, a.error), alive: a.error.kind === "invalid-config" };
  }

  /** Ends its input; resolves when it has exited (so its CPU time is accounted to the plan). */
  close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once("exit", () => resolve());
    });
    this.child.stdin.end();
    return exited;
  }
}

export async function planStacks(o: PlanOptions): Promise<PlanRun> {
  const concurrency = Math.max(1, o.concurrency ?? os.availableParallelism());
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "livepeer-fleet-plan-"));
  try {
    // Built once here, read by every child (lib/watcher/bundle.ts): only region stacks need it.
    const needsBundle = o.stacks.some(
      (s) => failedEntry(s, { kind: "failed", problems: [] }).role === "region",
    );
    const env = { ...process.env, ...(needsBundle ? writePrebuiltBundle(tmp) : {}) };
    const entries = new Array<PlanEntry>(o.stacks.length);
    let next = 0;
    let done = 0;
    const work = async () => {
      let worker: Worker | undefined;
      while (next < o.stacks.length) {
        const i = next++;
        const started = Date.now();
        worker ??= new Worker(o.projectDir, env);
        const r = await worker.plan(o.stacks[i]);
        entries[i] = r.entry;
        if (!r.alive) {
          await worker.close();
          worker = undefined;
        }
        o.onDone?.(entries[i], ++done, o.stacks.length, (Date.now() - started) / 1000);
      }
      await worker?.close();
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, o.stacks.length) }, work));
    return { stacks: entries, fleet: fleetSummary(o.projectDir, entries) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
