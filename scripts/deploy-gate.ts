// Deploy gate: run by each region unit's `command:local:Command` during `pulumi up` after the node
// group changed (components/deploy-gate.ts), or by hand:
//   tsx scripts/deploy-gate.ts --target-group-arn ARN --region REGION --expected N
//     [--timeout SECONDS] [--interval SECONDS]
// Each flag may also come from the environment (GATE_TARGET_GROUP_ARN, GATE_REGION,
// GATE_EXPECTED_HEALTHY, GATE_TIMEOUT_SECONDS, GATE_INTERVAL_SECONDS), which is how the Pulumi
// command passes them. Exit 0 when enough targets are healthy, 1 otherwise (stderr lists each
// non-healthy target with its reason, and the command provider shows it in `pulumi up`), 64 usage.
import { helpText, parseFlags, runMain, UsageError } from "../lib/cli";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describeTarget, ElbSender, waitForHealthy } from "../lib/gate/wait";

const USAGE =
  "deploy-gate.ts --target-group-arn ARN --region REGION --expected N " +
  "[--timeout SECONDS] [--interval SECONDS]";

const HELP = helpText({
  usage: USAGE,
  about:
    "Waits until the target group has enough healthy targets; run by each region unit during " +
    "pulumi up. Each flag may also come from GATE_TARGET_GROUP_ARN, GATE_REGION, " +
    "GATE_EXPECTED_HEALTHY, GATE_TIMEOUT_SECONDS, GATE_INTERVAL_SECONDS.",
  finding: "the targets did not become healthy in time (each one's reason on stderr)",
});

export const DEFAULT_INTERVAL_SECONDS = 15;
export const DEFAULT_TIMEOUT_SECONDS = 1200;

export interface GateDeps {
  env: Record<string, string | undefined>;
  elb: (region: string) => ElbSender;
  log: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

function intFrom(
  flag: number | undefined,
  env: string | undefined,
  name: string,
): number | undefined {
  if (flag !== undefined) return flag;
  if (env === undefined || env === "") return undefined;
  if (!/^\d+$/.test(env)) throw new UsageError(`${name} must be a whole number, got "${env}"`);
  return Number(env);
}

export async function main(argv: string[], deps: GateDeps): Promise<number> {
  const f = parseFlags(
    argv,
    {
      "target-group-arn": "string",
      region: "string",
      expected: "integer",
      timeout: "integer",
      interval: "integer",
    },
    USAGE,
    HELP,
  );
  const e = deps.env;
  const arn = f["target-group-arn"] ?? e.GATE_TARGET_GROUP_ARN;
  const region = f.region ?? e.GATE_REGION;
  const expected = intFrom(f.expected, e.GATE_EXPECTED_HEALTHY, "GATE_EXPECTED_HEALTHY");
  const timeout =
    intFrom(f.timeout, e.GATE_TIMEOUT_SECONDS, "GATE_TIMEOUT_SECONDS") ?? DEFAULT_TIMEOUT_SECONDS;
  const interval =
    intFrom(f.interval, e.GATE_INTERVAL_SECONDS, "GATE_INTERVAL_SECONDS") ??
    DEFAULT_INTERVAL_SECONDS;
  if (!arn || !region || expected === undefined) {
    throw new UsageError(
      `target group ARN, region and expected count are required\nusage: ${USAGE}`,
    );
  }
  if (interval < 1) throw new UsageError("the interval must be at least 1 second");

  deps.log(`deploy gate: waiting up to ${timeout} s for ${expected} healthy target(s) in ${arn}`);
  const r = await waitForHealthy(deps.elb(region), {
    targetGroupArn: arn,
    expectedHealthy: expected,
    timeoutMs: timeout * 1000,
    intervalMs: interval * 1000,
    log: (l) => deps.log(`deploy gate: ${l}`),
    sleep: deps.sleep,
    now: deps.now,
  });
  if (r.ok) {
    deps.log(`deploy gate: passed, ${r.healthy} healthy target(s)`);
    return 0;
  }
  const lines = [
    `deploy gate FAILED after ${timeout} s: ${r.why}`,
    ...r.targets.filter((t) => t.state !== "healthy").map((t) => `  ${describeTarget(t)}`),
    'The nodes did not become healthy: see docs/operations.md ("No healthy targets") before ' +
      "re-running pulumi up.",
  ];
  deps.log(lines.join("\n"));
  return 1;
}

if (require.main === module) {
  runMain(() =>
    main(process.argv.slice(2), {
      env: process.env,
      // Credentials: the same standard chain `pulumi up` itself uses (the command provider
      // passes the CLI's environment through).
      elb: (region) => new ElasticLoadBalancingV2Client({ region }),
      log: (line) => process.stderr.write(`${line}\n`),
    }),
  );
}
