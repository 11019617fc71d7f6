// Preflight: everything a region stack's first `pulumi up` needs that the program itself cannot
// see, checked read-only before it runs. Offline checks (pins and example values, AWS's API models)
// always run; the account checks (SSM parameters, quotas, instance type offerings, hosted zones)
// use injected AWS SDK v3 clients, and without them (offline, no credentials) say they could not
// check. Each blocker carries the deploy step (lib/ops/deploy-order.ts) whose commands fix it.
import type { FleetConfig, RegionConfig } from "../config/schema";
import { deployBlockers, fleetDeployBlockers, type DeployBlocker } from "../runtime/releases";
import { metricsDeployBlockers } from "../runtime/metrics";
import type { MetricsConfig } from "../config/metrics-schema";
import { stackFileName } from "../stack";
import type { Evaluation } from "../plan/evaluate";
import { BotocoreModels } from "../checks/botocore";
import { checkEvaluation, formatFinding } from "../checks/api-models";
import { DEPLOY_ORDER, type DeployContext, type DeployStepId } from "../ops/deploy-order";
import { stackNeeds } from "./needs";
import {
  checkChainNode,
  checkHostedZones,
  checkOfferings,
  checkParameters,
  checkQuotas,
} from "./account";

export { QUOTAS, isGOrVtType } from "./account";

export type Level = "ok" | "blocker" | "unknown" | "warning";

export interface CheckResult {
  /** Which check: values, api-models, ssm, quotas, offerings, hosted-zones, chain-node. */
  check: string;
  level: Level;
  message: string;
  /** The deploy step whose commands fix a blocker (also the order blockers are listed in). */
  step?: DeployStepId;
  /** A specific fix where the step's commands are not it (a quota increase, an edit). */
  fix?: string;
}

/** A client the checks send read-only commands to: AWS SDK v3 clients, or stand-ins in tests. */
export interface Sender {
  send(command: object): Promise<unknown>;
}

export interface PreflightClients {
  ssm: Sender;
  ec2: Sender;
  serviceQuotas: Sender;
  route53: Sender;
}

export interface PreflightInput {
  stack: string;
  region?: string;
  /** Region stacks: config and plan; fleet stacks: config only. */
  regionConfig?: RegionConfig;
  /** Region stacks: whether the fleet's home region (it alone holds the orchestrator key). */
  homeRegion?: boolean;
  fleetConfig?: FleetConfig;
  /** Region stacks: their fleet's metrics settings and fleet stack name (the workspace id pin). */
  fleetMetrics?: { metrics?: MetricsConfig; fleet: string };
  evaluation?: Evaluation;
  /** Undefined: offline. */
  clients?: PreflightClients;
  /** The AWS API models, when python3-botocore is installed. */
  models?: BotocoreModels;
}

function awsError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(err)}`;
}

/** A config blocker: set in the stack file (step "values"); AMI pins by `npm run amis`. */
function valuesBlocker(b: DeployBlocker & { file?: string }, stack: string): CheckResult {
  return {
    check: "values",
    level: "blocker",
    message: `${b.keyPath}: ${b.message}`,
    step: "values",
    fix: b.keyPath.includes(":amis.")
      ? `npm run amis -- --stack ${stack} --write`
      : `set ${b.keyPath} in ${b.file ?? stackFileName(stack)} (docs/config.md)`,
  };
}

/** One account check, its errors (credentials, network, throttling) reported as "could not check". */
async function guarded(check: string, run: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await run();
  } catch (err) {
    return [{ check, level: "unknown", message: `could not check: ${awsError(err)}` }];
  }
}

export async function preflight(input: PreflightInput): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (input.fleetConfig) {
    results.push(
      ...fleetDeployBlockers(input.fleetConfig, input.stack).map((b) =>
        valuesBlocker(b, input.stack),
      ),
    );
    return results.length > 0
      ? results
      : [{ check: "values", level: "ok", message: "no example values left" }];
  }
  const c = input.regionConfig;
  const home = input.homeRegion;
  if (!c || !input.region || home === undefined)
    throw new Error(
      "preflight of a region stack needs its config, its region and whether it is the home region",
    );
  const blockers = [
    ...deployBlockers(c, input.stack),
    ...(input.fleetMetrics
      ? metricsDeployBlockers(input.fleetMetrics.metrics, input.fleetMetrics.fleet)
      : []),
  ];
  results.push(
    ...(blockers.length > 0
      ? blockers.map((b) => valuesBlocker(b, input.stack))
      : [{ check: "values", level: "ok" as const, message: "pins set, example values replaced" }]),
  );
  if (input.evaluation && input.models?.available()) {
    const findings = checkEvaluation(input.evaluation, input.models);
    results.push(
      ...(findings.length > 0
        ? findings.map((f): CheckResult => ({
            check: "api-models",
            level: "blocker",
            message: formatFinding(f),
            step: "values",
            fix: "shorten the name or fix the value the finding names; AWS would refuse it",
          }))
        : [
            {
              check: "api-models",
              level: "ok" as const,
              message: "every name, description and tag fits AWS's API models",
            },
          ]),
    );
  } else {
    results.push({
      check: "api-models",
      level: "warning",
      message: "skipped: AWS's API models are not installed (apt-get install python3-botocore)",
    });
  }
  const clients = input.clients;
  if (!clients || !input.evaluation) {
    results.push({
      check: "account",
      level: "unknown",
      message:
        "offline: SSM parameters, quotas, instance type offerings and hosted zones not checked",
    });
    return results;
  }
  const e = input.evaluation;
  const needs = stackNeeds(e);
  const region = input.region;
  results.push(...(await guarded("ssm", () => checkParameters(c, home, input.stack, clients.ssm))));
  results.push(
    ...(await guarded("quotas", () => checkQuotas({ ...input, region, evaluation: e }, clients))),
  );
  results.push(...(await guarded("offerings", () => checkOfferings(needs, clients.ec2))));
  results.push(...(await guarded("hosted-zones", () => checkHostedZones(needs, clients.route53))));
  results.push(...(await guarded("chain-node", () => checkChainNode(c, clients.ec2))));
  return results;
}

/** 0 ready, 1 blocked, 2 could not check (and nothing blocked). */
export function exitCode(results: readonly CheckResult[]): 0 | 1 | 2 {
  if (results.some((r) => r.level === "blocker")) return 1;
  if (results.some((r) => r.level === "unknown")) return 2;
  return 0;
}

const stepIndex = (id: DeployStepId | undefined) =>
  id === undefined ? DEPLOY_ORDER.length : DEPLOY_ORDER.findIndex((s) => s.id === id);

/** Blockers in deploy order, each with the command that fixes it. */
export function render(results: readonly CheckResult[], ctx?: DeployContext): string {
  const tag: Record<Level, string> = {
    ok: "ok     ",
    blocker: "BLOCKED",
    unknown: "?      ",
    warning: "warning",
  };
  const sorted = [...results].sort((a, b) => {
    const rank = (r: CheckResult) =>
      r.level === "blocker" ? 0 : r.level === "unknown" ? 1 : r.level === "warning" ? 2 : 3;
    return rank(a) - rank(b) || stepIndex(a.step) - stepIndex(b.step);
  });
  const lines: string[] = [];
  for (const r of sorted) {
    lines.push(`${tag[r.level]}  ${r.check}: ${r.message}`);
    if (r.level !== "blocker") continue;
    const fixes = r.fix
      ? [r.fix]
      : r.step && ctx
        ? (DEPLOY_ORDER.find((s) => s.id === r.step)?.commands(ctx) ?? [])
        : [];
    for (const f of fixes) lines.push(`           fix: ${f}`);
  }
  const code = exitCode(results);
  const blockers = results.filter((r) => r.level === "blocker").length;
  lines.push(
    code === 0
      ? "ready: every check passed"
      : code === 1
        ? `blocked: ${blockers} blocker(s); fix them in the order listed (docs/operations.md, "Deploy a region")`
        : "could not check everything: see the lines marked ?",
  );
  return lines.join("\n");
}
