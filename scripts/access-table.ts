// `npm run access:table [-- --check]`: evaluates every shipped stack offline (each in its own
// process under the mock monitor, as `npm run plan` does), decides with an IAM evaluation engine
// which role can read which secret (lib/iam), and writes the table into docs/operations.md between
// its markers; it also decides which role may publish into which metric namespace. --check writes nothing and exits 1 when the document is stale. Exit 1 also when
// the evaluation finds a policy problem or access that differs from the intent (listed on stderr;
// the table is written all the same, so the document shows the state), 64 on wrong usage.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseFlags, runMain } from "../lib/cli";
import { listStacks } from "../lib/config/sources";
import { replaceAccessTable } from "../lib/iam/access";
import { accessReport } from "../lib/iam/run";
import type { Evaluation } from "../lib/plan/evaluate";

const USAGE = "npm run access:table [-- --check]";
const projectDir = path.resolve(__dirname, "..");
export const ACCESS_DOC = path.join(projectDir, "docs", "operations.md");

function evaluation(stack: string): Evaluation {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(projectDir, "scripts", "plan-stack.ts"), stack, "--evaluation"],
    { cwd: projectDir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
  );
  if (r.status !== 0)
    throw new Error(`evaluating ${stack} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Evaluation;
}

async function main(argv: string[]): Promise<number> {
  const f = parseFlags(argv, { check: "boolean" }, USAGE);
  const report = await accessReport(projectDir, listStacks(projectDir).map(evaluation));
  const before = fs.readFileSync(ACCESS_DOC, "utf8");
  const after = replaceAccessTable(before, report.table);
  let code = 0;
  for (const p of [...report.policyProblems, ...report.accessProblems, ...report.metricProblems]) {
    process.stderr.write(`${p}\n`);
    code = 1;
  }
  if (f.check) {
    if (after !== before) {
      process.stderr.write(`${ACCESS_DOC} is stale: run ${USAGE.replace(" [-- --check]", "")}\n`);
      code = 1;
    }
  } else if (after !== before) {
    fs.writeFileSync(ACCESS_DOC, after);
    process.stdout.write(`wrote the access table into ${path.relative(projectDir, ACCESS_DOC)}\n`);
  }
  return code;
}

if (require.main === module) runMain(() => main(process.argv.slice(2)));
