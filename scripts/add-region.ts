// `npm run add-region -- --fleet prod --region REGION --redeemer 0x... [--from STACK]
//   [--demand FILE] [--orchestrator 0x...]`
// Writes Pulumi.<fleet>-<region>.yaml and adds the region to Pulumi.<fleet>.yaml, both or
// neither, then prints the deploy order (lib/ops/deploy-order.ts) that brings the new region up. Exit 0 done, 2 refused (the
// message says why and nothing was written), 64 wrong usage.
import * as path from "node:path";
import { helpText, parseFlags, runMain, UsageError } from "../lib/cli";
import { planAddRegion } from "../lib/ops/add-region";
import { applyAll, RefusedError } from "../lib/ops/files";
import { ConfigError } from "../lib/config/load";
import { YamlEditError } from "../lib/ops/yaml-edit";

const USAGE =
  "npm run add-region -- --fleet prod --region REGION --redeemer 0x... [--from STACK] " +
  "[--demand FILE] [--orchestrator 0x...]";

const HELP = helpText({
  usage: USAGE,
  about:
    "Writes Pulumi.<fleet>-<region>.yaml (with its own VPC block) and adds the region to " +
    "Pulumi.<fleet>.yaml, both or neither; then prints the commands that bring it up.",
  flags: [
    ["--fleet NAME", "the fleet stack (required)"],
    ["--region REGION", "the AWS region to add (required)"],
    [
      "--redeemer 0x...",
      "the region's own redeemer account, funded with ETH on Arbitrum (required)",
    ],
    ["--from STACK", "copy this region stack's config (default: the project defaults)"],
    ["--demand FILE", "a demand block (YAML) for the new region"],
    ["--orchestrator 0x...", "the orchestrator address (default: the fleet's regions' one)"],
  ],
});

/** Exit code when the change was refused; nothing was written. */
export const EXIT_REFUSED = 2;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

export function main(argv: string[], projectDir: string, io = processIo): number {
  const f = parseFlags(
    argv,
    {
      fleet: "string",
      region: "string",
      from: "string",
      demand: "string",
      orchestrator: "string",
      redeemer: "string",
    },
    USAGE,
    HELP,
  );
  if (!f.fleet || !f.region)
    throw new UsageError(`--fleet and --region are required\nusage: ${USAGE}`);
  try {
    const plan = planAddRegion({
      projectDir,
      fleet: f.fleet,
      region: f.region,
      from: f.from,
      demandFile: f.demand === undefined ? undefined : path.resolve(f.demand),
      orchestrator: f.orchestrator,
      redeemer: f.redeemer,
    });
    applyAll(plan.changes);
    const out = [
      `added ${f.region} to fleet ${f.fleet}: wrote ${path.basename(plan.changes[0].file)} ` +
        `(VPC ${plan.cidr}) and updated ${path.basename(plan.changes[1].file)}`,
      ...plan.notes.map((n) => `note: ${n}`),
      "",
      "next, in this order:",
      ...plan.nextSteps.map((c) => `  ${c}`),
    ];
    io.out(`${out.join("\n")}\n`);
    return 0;
  } catch (err) {
    if (err instanceof RefusedError || err instanceof ConfigError || err instanceof YamlEditError) {
      io.err(`add-region refused, nothing written:\n${err.message}\n`);
      return EXIT_REFUSED;
    }
    throw err;
  }
}

if (require.main === module) {
  runMain(() => main(process.argv.slice(2), path.resolve(__dirname, "..")));
}
