// Deploy gate: run by each region unit's `command:local:Command` during `pulumi up` after the
// groups changed (components/deploy-gate.ts), or by hand:
//   tsx scripts/deploy-gate.ts --target-group-arn ARN --region REGION --expected N
//     [--rollouts JSON] [--timeout SECONDS] [--interval SECONDS]
// Each flag may also come from the environment (GATE_TARGET_GROUP_ARN, GATE_REGION,
// GATE_EXPECTED_HEALTHY, GATE_ROLLOUTS, GATE_TIMEOUT_SECONDS, GATE_INTERVAL_SECONDS), which is how
// the Pulumi command passes them. GATE_ROLLOUTS is a JSON list of the groups this deploy may roll:
// [{"group", "launchTemplateId", "launchTemplateVersion", "expectedInService", "inTargetGroup"}].
// With it the gate first waits for each group's instance refresh and for every InService instance
// to run the deployed version (a failed, cancelled or rolled-back refresh fails at once with its
// reasons), then for healthy targets among those new instances; without it, for healthy targets.
// Exit 0 passed, 1 failed (stderr says why, and the command provider shows it in `pulumi up`),
// 64 usage.
import { helpText, parseFlags, runMain, UsageError } from "../lib/cli";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import {
  AutoScalingSender,
  describeTarget,
  ElbSender,
  Rollout,
  waitForHealthy,
  waitForRollout,
} from "../lib/gate/wait";

const USAGE =
  "deploy-gate.ts --target-group-arn ARN --region REGION --expected N [--rollouts JSON] " +
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
  autoScaling: (region: string) => AutoScalingSender;
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

/** GATE_ROLLOUTS / --rollouts: every field checked, so a wiring mistake is a usage error. */
export function parseRollouts(text: string | undefined): Rollout[] | undefined {
  if (text === undefined || text === "") return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError("rollouts must be JSON: a list of groups");
  }
  if (!Array.isArray(raw)) throw new UsageError("rollouts must be a JSON list");
  return raw.map((r: unknown, i) => {
    const o = (r ?? {}) as Record<string, unknown>;
    const str = (k: string) => {
      const v = o[k];
      if (typeof v === "number" && k === "launchTemplateVersion") return String(v);
      if (typeof v !== "string" || v === "")
        throw new UsageError(`rollouts[${i}].${k} must be a non-empty string`);
      return v;
    };
    const count = o.expectedInService ?? 0;
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
      throw new UsageError(`rollouts[${i}].expectedInService must be a whole number`);
    }
    if (o.inTargetGroup !== undefined && typeof o.inTargetGroup !== "boolean") {
      throw new UsageError(`rollouts[${i}].inTargetGroup must be true or false`);
    }
    return {
      group: str("group"),
      launchTemplateId: str("launchTemplateId"),
      launchTemplateVersion: str("launchTemplateVersion"),
      expectedInService: count,
      inTargetGroup: o.inTargetGroup === true,
    };
  });
}

const RUNBOOK =
  'see docs/operations.md ("No healthy targets", "Roll out a new go-livepeer version") before ' +
  "re-running pulumi up.";

export async function main(argv: string[], deps: GateDeps): Promise<number> {
  const f = parseFlags(
    argv,
    {
      "target-group-arn": "string",
      region: "string",
      expected: "integer",
      rollouts: "string",
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
  const rollouts = parseRollouts(f.rollouts ?? e.GATE_ROLLOUTS);
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
  const common = {
    timeoutMs: timeout * 1000,
    intervalMs: interval * 1000,
    log: (l: string) => deps.log(`deploy gate: ${l}`),
    sleep: deps.sleep,
    now: deps.now,
  };

  if (rollouts && rollouts.length > 0) {
    deps.log(
      `deploy gate: waiting up to ${timeout} s for ${rollouts.map((r) => `${r.group} on ${r.launchTemplateId} version ${r.launchTemplateVersion}`).join(", ")}, then ${expected} healthy new target(s) in ${arn}`,
    );
    const r = await waitForRollout(deps.autoScaling(region), deps.elb(region), {
      ...common,
      targetGroupArn: arn,
      expectedHealthy: expected,
      rollouts,
    });
    if (r.ok) {
      deps.log(`deploy gate: passed, ${r.healthy} healthy new target(s)`);
      return 0;
    }
    const what =
      r.phase === "refresh"
        ? "the rollout did not put the deployed launch template version in service"
        : "the new instances did not become healthy";
    deps.log(
      [
        `deploy gate FAILED: ${what}: ${r.why}`,
        ...r.details.map((d) => `  ${d}`),
        `The old instances may still be serving; ${RUNBOOK}`,
      ].join("\n"),
    );
    return 1;
  }

  deps.log(`deploy gate: waiting up to ${timeout} s for ${expected} healthy target(s) in ${arn}`);
  const r = await waitForHealthy(deps.elb(region), {
    ...common,
    targetGroupArn: arn,
    expectedHealthy: expected,
  });
  if (r.ok) {
    deps.log(`deploy gate: passed, ${r.healthy} healthy target(s)`);
    return 0;
  }
  const lines = [
    `deploy gate FAILED after ${timeout} s: ${r.why}`,
    ...r.targets.filter((t) => t.state !== "healthy").map((t) => `  ${describeTarget(t)}`),
    `The nodes did not become healthy: ${RUNBOOK}`,
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
      autoScaling: (region) => new AutoScalingClient({ region }),
      log: (line) => process.stderr.write(`${line}\n`),
    }),
  );
}
