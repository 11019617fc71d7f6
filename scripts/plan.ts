// `npm run plan -- [--stack NAME]... [--json]`: the offline main job. Evaluates the real program
// for every stack (each in its own process under the SDK's mock monitor) and prints what each
// would build and what the internet could reach. Exit 2 on invalid config, 1 on any other failure.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { listStacks } from "../lib/config/sources";
import { renderText, StackReport } from "../lib/plan/report";
import { exitAfterFlush } from "../lib/cli";

const projectDir = path.resolve(__dirname, "..");
const CONCURRENCY = 2;

interface Args {
  stacks: string[];
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { stacks: [], json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") args.json = true;
    else if (a === "--stack") {
      const v = argv[++i];
      if (!v) throw new Error("--stack needs a stack name, e.g. --stack prod-us-east-1");
      args.stacks.push(v);
    } else if (a.startsWith("--stack=")) args.stacks.push(a.slice("--stack=".length));
    else
      throw new Error(`unknown argument ${a}; usage: npm run plan -- [--stack NAME]... [--json]`);
  }
  return args;
}

interface ChildResult {
  stack: string;
  code: number;
  stdout: string;
  stderr: string;
}

function runChild(stack: string): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(projectDir, "scripts", "plan-stack.ts"), stack],
      { cwd: projectDir, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ stack, code: code ?? 1, stdout, stderr }));
  });
}

async function runAll(stacks: string[]): Promise<ChildResult[]> {
  const results: ChildResult[] = new Array<ChildResult>(stacks.length);
  let next = 0;
  const worker = async () => {
    while (next < stacks.length) {
      const i = next++;
      results[i] = await runChild(stacks[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, stacks.length) }, worker));
  return results;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 64;
  }
  const known = listStacks(projectDir);
  const stacks = args.stacks.length > 0 ? args.stacks : known;
  const missing = stacks.filter((s) => !known.includes(s));
  if (missing.length > 0) {
    process.stderr.write(
      `no stack file for ${missing.map((s) => `Pulumi.${s}.yaml`).join(", ")}; stacks here: ${known.join(", ")}\n`,
    );
    return 2;
  }
  const results = await runAll(stacks);
  const failed = results.filter((r) => r.code !== 0);
  if (failed.length > 0) {
    // Invalid config first: its first line names the stack file and key path.
    failed.sort((a, b) => (a.code === 2 ? -1 : 0) - (b.code === 2 ? -1 : 0));
    for (const f of failed)
      process.stderr.write(f.stderr.endsWith("\n") ? f.stderr : `${f.stderr}\n`);
    return failed.some((f) => f.code === 2) ? 2 : 1;
  }
  const reports = results.map((r) => JSON.parse(r.stdout) as StackReport);
  if (args.json) {
    process.stdout.write(JSON.stringify({ stacks: reports }, null, 2) + "\n");
  } else {
    process.stdout.write(reports.map(renderText).join("\n\n") + "\n");
  }
  return 0;
}

main().then(
  (code) => exitAfterFlush(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
