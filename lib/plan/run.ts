// Runs the offline plan: one evaluation child per stack (scripts/plan-stack.ts; the Pulumi runtime
// is one per process), as many at a time as the machine has cores, then the fleet summary. Used
// by `npm run plan` and `npm run report`.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writePrebuiltBundle } from "../watcher/bundle";
import { parseStackName } from "../stack";
import { fleetSummary, type FleetSummary } from "./fleet";
import type { PlanEntry, StackError, StackReport } from "./report";

/** Exit code of plan-stack.ts for a user's mistake (invalid config or stack name). */
const CHILD_INVALID_CONFIG = 2;

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

interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runChild(projectDir: string, stack: string, env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(projectDir, "scripts", "plan-stack.ts"), stack],
      { cwd: projectDir, stdio: ["ignore", "pipe", "pipe"], env },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const PROBLEM_LINE = /^(\S+\.yaml): (\S+): (.*)$/;

/** A failed child's stderr as problems: config lines parsed, anything else kept whole. */
export function stackError(code: number, stderr: string): StackError {
  // The SDK prints `warning: [runtime] ...` lines for deploy blockers; they are not the failure.
  const lines = stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("warning: "));
  if (code === CHILD_INVALID_CONFIG) {
    return {
      kind: "invalid-config",
      problems: lines.map((line) => {
        const m = PROBLEM_LINE.exec(line);
        return m ? { file: m[1], keyPath: m[2], message: m[3] } : { message: line };
      }),
    };
  }
  return { kind: "failed", problems: [{ message: lines.join("\n") || `exit code ${code}` }] };
}

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
    const worker = async () => {
      while (next < o.stacks.length) {
        const i = next++;
        const stack = o.stacks[i];
        const started = Date.now();
        const r = await runChild(o.projectDir, stack, env);
        entries[i] =
          r.code === 0
            ? (JSON.parse(r.stdout) as StackReport)
            : failedEntry(stack, stackError(r.code, r.stderr));
        o.onDone?.(entries[i], ++done, o.stacks.length, (Date.now() - started) / 1000);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, o.stacks.length) }, worker));
    return { stacks: entries, fleet: fleetSummary(o.projectDir, entries) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
