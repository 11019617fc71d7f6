// `npm run plan:speed -- [--regions N] [--keep]`: how long `npm run plan` takes for a fleet of N
// region stacks. Copies the program into a scratch project, writes a fleet stack listing N regions
// and one region stack file per region (Pulumi.prod-us-east-1.yaml with its own VPC block), runs
// the plan there as a user would and prints the wall time. Measured, never asserted in tests: the
// number depends on the machine.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { helpText, parseFlags, runMain, EXIT_COULD_NOT_RUN } from "../lib/cli";
import { KNOWN_REGIONS } from "../lib/stack";
import { scratchProject } from "../lib/checks/stacks";

const USAGE = "npm run plan:speed -- [--regions N] [--keep]";
const HELP = helpText({
  usage: USAGE,
  about:
    "Times `npm run plan` on a scratch copy of the program with a generated fleet of N region " +
    "stacks (default 20), and prints the wall time and the machine's core count.",
  flags: [
    ["--regions N", "region stacks to generate, 1-30 (default 20)"],
    ["--keep", "keep the scratch project and print its path"],
  ],
});

/** A scratch project: the program, the project file and a generated fleet of `regions`. */
export function generatedFleet(projectDir: string, regions: string[]): string {
  const dir = scratchProject(projectDir, [], "livepeer-fleet-speed-");
  const fleet = fs.readFileSync(path.join(projectDir, "Pulumi.prod.yaml"), "utf8");
  const list = regions.map((r) => `    - ${r}`).join("\n");
  fs.writeFileSync(
    path.join(dir, "Pulumi.prod.yaml"),
    fleet.replace(/( {2}livepeer-fleet:regions:\n)(?: {4}- .*\n)+/, `$1${list}\n`),
  );
  const template = fs.readFileSync(path.join(projectDir, "Pulumi.prod-us-east-1.yaml"), "utf8");
  regions.forEach((region, i) => {
    fs.writeFileSync(
      path.join(dir, `Pulumi.prod-${region}.yaml`),
      template.replace("cidr: 10.10.0.0/16", `cidr: 10.${100 + i}.0.0/16`),
    );
  });
  return dir;
}

/**
 * CPU seconds used by this process's finished children and their descendants (Linux
 * /proc/self/stat cutime + cstime, in clock ticks of 1/100 s): the plan's work independent of
 * what else the machine is running, which the wall time is not.
 */
function childCpuSeconds(): number | undefined {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return undefined;
  }
}

export function main(argv: string[], projectDir: string): number {
  const f = parseFlags(argv, { regions: "integer", keep: "boolean" }, USAGE, HELP);
  const n = f.regions ?? 20;
  // Commercial regions: the stack-name pattern accepts them and prices default sensibly.
  const regions = [...KNOWN_REGIONS].filter((r) => !/^(cn|us-gov|us-iso|eu-iso|eusc)/.test(r));
  if (n < 1 || n > regions.length) {
    process.stderr.write(`--regions must be 1-${regions.length}\nusage: ${USAGE}\n`);
    return 64;
  }
  const dir = generatedFleet(projectDir, regions.slice(0, n));
  try {
    const started = process.hrtime.bigint();
    // npm itself, as the user runs it (tsx's CLI and npm's own start-up included).
    const r = spawnSync("npm", ["run", "--silent", "plan"], {
      cwd: dir,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = childCpuSeconds();
    const cores = os.availableParallelism();
    process.stdout.write(
      `npm run plan: ${n} region stacks + the fleet stack in ${seconds.toFixed(1)} s wall` +
        `${cpu === undefined ? "" : `, ${cpu.toFixed(1)} s CPU (${(cpu / cores).toFixed(1)} s per core)`}` +
        ` (exit ${r.status}, ${cores} core(s), load average ${os.loadavg()[0].toFixed(2)} after)\n`,
    );
    if (r.status !== 0) {
      process.stderr.write(r.stderr.slice(-4000));
      return EXIT_COULD_NOT_RUN;
    }
    return 0;
  } finally {
    if (f.keep) process.stdout.write(`scratch project: ${dir}\n`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runMain(() => main(process.argv.slice(2), path.resolve(__dirname, "..")));
}
