// `npm run bench -- [--json] [--instance-type T] [--regenerate]`: the sizing bench over the
// committed demand traces in bench/traces/ (lib/sizing/bench.ts says what it measures).
// --regenerate rewrites the traces from their seeds first. Exit 1 if any trace has an hour
// under capacity: the planner must never plan short of the demand it was given.
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CapacityModelSchema,
  COMMON_LADDER,
  SizingPolicySchema,
} from "../lib/config/sizing-schema";
import { readProjectConfig } from "../lib/config/sources";
import { NAMESPACE } from "../lib/config/schema";
import { BenchRow, benchTrace } from "../lib/sizing/bench";
import { TRACE_NAMES, generateTrace, traceFromCsv, traceToCsv } from "../lib/sizing/traces";
import { helpText, parseFlags, runMain } from "../lib/cli";

const USAGE = "npm run bench -- [--json] [--instance-type T] [--regenerate]";
const HELP = helpText({
  usage: USAGE,
  about: "The sizing bench over the committed demand traces in bench/traces/.",
  flags: [
    ["--json", "print the rows as JSON on stdout"],
    ["--instance-type T", "node type from Pulumi.yaml's capacityModel (default g4dn.xlarge)"],
    ["--regenerate", "rewrite the traces from their seeds first"],
  ],
  finding: "a trace has an hour under capacity",
});

const projectDir = path.resolve(__dirname, "..");
const traceDir = path.join(projectDir, "bench", "traces");
/** The bench's own bound: large enough that every trace is plannable, so cost is compared. */
const BENCH_MAX_SIZE = 1000;
/** Node boot to serving: the node group's health-check grace period (600 s). */
const BOOT_MINUTES = 10;

function table(rows: BenchRow[], instanceType: string, hourlyUsd: number): string {
  const head = [
    "trace",
    "peak streams",
    "nodes",
    "actions",
    "planner $/mo",
    "lower bound $/mo",
    "x lower bound",
    "x policy bound",
    "static peak $/mo",
    "x static peak",
    "hours under capacity",
    "plan ms",
  ];
  const lines = [
    `sizing bench: ${instanceType} at $${hourlyUsd}/h, common 1080p30 ladder, project sizing policy`,
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
  ];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.trace,
        r.peakStreams,
        `${r.minNodes}-${r.maxNodes}`,
        r.scheduledActions,
        r.plannerUsdMonth.toFixed(2),
        r.lowerBoundUsdMonth.toFixed(2),
        r.ratioToLowerBound.toFixed(2),
        r.ratioToPolicyBound.toFixed(2),
        r.staticPeakUsdMonth.toFixed(2),
        r.ratioToStaticPeak.toFixed(2),
        r.underCapacityHours,
        r.planMs.toFixed(3),
      ].join(" | ")} |`,
    );
  }
  return lines.join("\n");
}

function main(argv: string[]): number {
  const f = parseFlags(
    argv,
    { json: "boolean", "instance-type": "string", regenerate: "boolean" },
    USAGE,
    HELP,
  );
  if (f.regenerate) {
    fs.mkdirSync(traceDir, { recursive: true });
    for (const name of TRACE_NAMES) {
      fs.writeFileSync(path.join(traceDir, `${name}.csv`), traceToCsv(generateTrace(name)));
    }
  }
  const project = readProjectConfig(projectDir);
  const model = CapacityModelSchema.parse(project[`${NAMESPACE}:capacityModel`]);
  const policy = SizingPolicySchema.parse(project[`${NAMESPACE}:sizing`] ?? {});
  const instanceType = f["instance-type"] ?? "g4dn.xlarge";
  const capacity = model[instanceType];
  if (!capacity) {
    process.stderr.write(`no capacity model for ${instanceType} in Pulumi.yaml\n`);
    return 64;
  }
  const hourlyUsd = capacity.hourlyUsd["us-east-1"] ?? capacity.hourlyUsd.default;
  const rows = TRACE_NAMES.map((name) =>
    benchTrace(traceFromCsv(name, fs.readFileSync(path.join(traceDir, `${name}.csv`), "utf8")), {
      ladder: COMMON_LADDER,
      nodePixelsPerSecond: capacity.pixelsPerSecond,
      hourlyUsd,
      policy: { ...policy, minSize: 1, maxSize: BENCH_MAX_SIZE },
      bootMinutes: BOOT_MINUTES,
    }),
  );
  if (f.json) {
    process.stdout.write(JSON.stringify({ instanceType, hourlyUsd, rows }, null, 2) + "\n");
  } else {
    process.stdout.write(table(rows, instanceType, hourlyUsd) + "\n");
  }
  const short = rows.filter((r) => r.underCapacityHours > 0);
  if (short.length > 0) {
    process.stderr.write(`under capacity: ${short.map((r) => r.trace).join(", ")}\n`);
    return 1;
  }
  return 0;
}

runMain(() => main(process.argv.slice(2)));
