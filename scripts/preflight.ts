// `npm run preflight -- --stack NAME [--offline]`
// Checks, read-only, what a stack's `pulumi up` needs beyond the program: pins and the shipped
// example values replaced, every name against AWS's API models, the SSM parameters it reads,
// quotas (Elastic IPs, the G and VT vCPUs of the GPU groups' maximum), each instance type offered
// in each AZ it uses, the hosted zones it uses. AWS credentials: the deploying account (read-only
// calls). --offline (or no credentials) runs what needs no AWS and says what it could not check.
// Exit 0 ready, 1 blocked (each blocker with the command that fixes it), 2 could not check, 64 usage.
import * as path from "node:path";
import { SSMClient } from "@aws-sdk/client-ssm";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { Route53Client } from "@aws-sdk/client-route-53";
import { parseFlags, runMain, UsageError } from "../lib/cli";
import { ConfigError } from "../lib/config/load";
import { StackNameError } from "../lib/stack";
import { loadStack } from "../lib/ops/stack-config";
import { deployContext } from "../lib/ops/deploy-order";
import { BotocoreModels } from "../lib/checks/botocore";
import { evaluateStacks } from "../lib/checks/stacks";
import type { Evaluation } from "../lib/plan/evaluate";
import { exitCode, preflight, render, type PreflightClients } from "../lib/preflight/run";

const USAGE = "npm run preflight -- --stack NAME [--offline]";

export interface PreflightDeps {
  projectDir: string;
  /** The stack's plan under the mock monitor (a child process per stack). */
  evaluate: (stack: string) => Promise<Evaluation>;
  clients: (region: string) => PreflightClients;
  models: BotocoreModels;
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function main(argv: string[], deps: PreflightDeps): Promise<number> {
  const f = parseFlags(argv, { stack: "string", offline: "boolean" }, USAGE);
  if (!f.stack) throw new UsageError(`--stack is required\nusage: ${USAGE}`);
  let s;
  try {
    s = loadStack(deps.projectDir, f.stack);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof StackNameError) {
      deps.err(`preflight: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (s.kind === "fleet") {
    const results = await preflight({ stack: f.stack, fleetConfig: s.config });
    deps.out(`preflight ${f.stack} (fleet)\n${render(results)}\n`);
    return exitCode(results);
  }
  const region = s.role.region;
  const evaluation = await deps.evaluate(f.stack);
  const results = await preflight({
    stack: f.stack,
    region,
    regionConfig: s.config,
    homeRegion: region === s.fleet.homeRegion,
    fleetMetrics: { metrics: s.fleet.metrics, fleet: s.role.fleet },
    evaluation,
    clients: f.offline ? undefined : deps.clients(region),
    models: deps.models,
  });
  const ctx = deployContext(f.stack, s.role.fleet, region, s.config, s.fleet.homeRegion);
  deps.out(`preflight ${f.stack} (${region})\n${render(results, ctx)}\n`);
  return exitCode(results);
}

if (require.main === module) {
  const projectDir = path.resolve(__dirname, "..");
  runMain(() =>
    main(process.argv.slice(2), {
      projectDir,
      evaluate: async (stack) => {
        const [o] = await evaluateStacks(projectDir, [stack], 1);
        if (!o.evaluation) throw new Error(`the program failed for ${stack}: ${o.error ?? ""}`);
        return o.evaluation;
      },
      clients: (region) => ({
        ssm: new SSMClient({ region }),
        ec2: new EC2Client({ region }),
        serviceQuotas: new ServiceQuotasClient({ region }),
        // Route 53 is global; the SDK signs for us-east-1 whatever the region.
        route53: new Route53Client({ region }),
      }),
      models: new BotocoreModels(),
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
    }),
  );
}
