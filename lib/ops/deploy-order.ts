// The one ordered checklist that takes a region stack from a file to a serving, registered region:
// rendered into add-region's next steps, the README and docs/operations.md (a test keeps the
// copies equal), and the order preflight reports blockers in. Pure.
import { unitKeyUrns } from "./add-region";
import { PORTS } from "../runtime-contract";

export interface DeployContext {
  stack: string;
  fleet: string;
  region: string;
  /** SSM names the stack uses (lib/preflight/parameters.ts requiredParameters). */
  rpcEndpointsParameter: string;
  watcherRpcUrlParameter: string;
  /** The fleet's home region: only its unit holds the orchestrator key and registers on chain. */
  homeRegion: string;
}

const isHome = (c: DeployContext) => c.region === c.homeRegion;

export type DeployStepId =
  | "values"
  | "key"
  | "identity"
  | "rpcEndpoints"
  | "watcherUrl"
  | "orchestratorSecret"
  | "preflight"
  | "up"
  | "register";

export interface DeployStep {
  id: DeployStepId;
  /** One line: what the step achieves. */
  title: string;
  /** Shell commands, in order (comments after `#` say what to fill in). Empty: nothing to run. */
  commands: (c: DeployContext) => string[];
}

/** The unit key alias SecureStrings are encrypted with (lib/stack.ts unitKeyAliasName). */
const alias = (c: DeployContext) => `alias/livepeer-fleet/${c.stack}`;

export const DEPLOY_ORDER: readonly DeployStep[] = [
  {
    id: "values",
    title:
      "Pin the AMIs, releases and price, put your own values in place of the shipped examples, " +
      "and name the fleet's metrics workspace in the fleet file (npm run plan lists what is " +
      "missing under NOT DEPLOYABLE)",
    commands: (c) => [
      `npm run amis -- --stack ${c.stack} --write`,
      `pulumi up --stack ${c.fleet}   # once per fleet: creates its metrics workspace (metrics.store amp, the default)`,
      `pulumi stack output --stack ${c.fleet} metricsWorkspaceId   # set it as livepeer-fleet:metrics.ampWorkspaceId in Pulumi.${c.fleet}.yaml`,
      `npm run plan -- --stack ${c.stack}   # edit Pulumi.${c.stack}.yaml until nothing is listed`,
    ],
  },
  {
    id: "key",
    title:
      "Create the stack and its KMS key and alias (the SecureStrings below are encrypted with it)",
    commands: (c) => [
      `pulumi stack init ${c.stack}`,
      `pulumi up --stack ${c.stack} --policy-pack policy ${unitKeyUrns(c.stack)
        .map((u) => `--target '${u}'`)
        .join(" ")}`,
    ],
  },
  {
    id: "identity",
    title:
      "Import the keys: this region's own redeemer account (it sends the ticket redemptions; keep " +
      "it funded with ETH on Arbitrum) and, in the home region only, the orchestrator's keystore " +
      "(its chain node calls reward and registers the service URI)",
    commands: (c) => [
      ...(isHome(c)
        ? [
            `npm run identity:import -- --stack ${c.stack} --role orchestrator --keystore ORCHESTRATOR-KEYSTORE.json --passphrase-file ORCHESTRATOR-PASSPHRASE.txt`,
          ]
        : []),
      `npm run identity:import -- --stack ${c.stack} --role redeemer --keystore REDEEMER-KEYSTORE.json --passphrase-file REDEEMER-PASSPHRASE.txt`,
    ],
  },
  {
    id: "rpcEndpoints",
    title:
      "Put the chain endpoints (hosted Arbitrum backups, Nitro's L1 and beacon URLs) into SSM " +
      "(docs/node-runtime.md)",
    commands: (c) => [
      `aws ssm put-parameter --region ${c.region} --type SecureString --key-id ${alias(c)} --name ${c.rpcEndpointsParameter} --value file://endpoints.json`,
    ],
  },
  {
    id: "watcherUrl",
    title: "Put the reward watcher's Arbitrum RPC URL into SSM (docs/monitoring.md)",
    commands: (c) => [
      `read -rs RPC_URL && printf '%s' "$RPC_URL" | aws ssm put-parameter --region ${c.region} --type SecureString --key-id ${alias(c)} --name ${c.watcherRpcUrlParameter} --value file:///dev/stdin && unset RPC_URL`,
    ],
  },
  {
    id: "orchestratorSecret",
    title:
      "Generate the orchestrator secret (-orchSecret) the region's orchestrators and transcoders " +
      "share, straight into SSM",
    commands: (c) => [`npm run orch-secret -- --stack ${c.stack}`],
  },
  {
    id: "preflight",
    title: "Check everything the deploy needs, read-only (exit 0: ready)",
    commands: (c) => [`npm run preflight -- --stack ${c.stack}`],
  },
  {
    id: "up",
    title: "Deploy the region, then the fleet stack that lists it",
    commands: (c) => [
      `pulumi preview --stack ${c.stack} --policy-pack policy`,
      `pulumi up --stack ${c.stack} --policy-pack policy`,
      `pulumi up --stack ${c.fleet}`,
    ],
  },
  {
    id: "register",
    title:
      "Register the fleet's service URI on chain, once, from the home region's chain node (the " +
      "reward service holds the orchestrator key; go-livepeer server/handlers.go " +
      "setOrchestratorConfigHandler). Other regions serve under the same name: nothing to register",
    commands: (c) =>
      isHome(c)
        ? [
            `pulumi stack output --stack ${c.stack} serviceUri   # empty: set serviceDns in Pulumi.${c.fleet}.yaml first`,
            `aws ssm start-session --region ${c.region} --target "$(aws autoscaling describe-auto-scaling-groups --region ${c.region} --auto-scaling-group-names "$(pulumi stack output --stack ${c.stack} chainGroupName)" --query 'AutoScalingGroups[0].Instances[0].InstanceId' --output text)"`,
            // As root: only root and the reward service's user may connect to its CLI.
            `sudo curl -fsS -X POST --data-urlencode serviceURI=SERVICE_URI http://127.0.0.1:${PORTS.rewardCli}/setOrchestratorConfig   # on the chain node`,
          ]
        : [],
  },
];

/** The steps that have something to run, numbered from 1. */
export function activeSteps(
  c: DeployContext,
): { n: number; step: DeployStep; commands: string[] }[] {
  return DEPLOY_ORDER.map((step) => ({ step, commands: step.commands(c) }))
    .filter((s) => s.commands.length > 0)
    .map((s, i) => ({ n: i + 1, ...s }));
}

/** Plain text: what add-region prints as next steps. */
export function renderText(c: DeployContext): string[] {
  return activeSteps(c).flatMap(({ n, step, commands }) => [
    `${n}. ${step.title}`,
    ...commands.map((cmd) => `     ${cmd}`),
  ]);
}

/** Markdown: the block the README and docs/operations.md carry between the deploy-order markers. */
export function renderMarkdown(c: DeployContext): string {
  return activeSteps(c)
    .map(({ n, step, commands }) =>
      [
        `${n}. ${step.title}:`,
        "",
        "   ```sh",
        ...commands.map((cmd) => `   ${cmd}`),
        "   ```",
      ].join("\n"),
    )
    .join("\n\n");
}

export const DEPLOY_ORDER_BEGIN = "<!-- deploy-order: generated from lib/ops/deploy-order.ts -->";
export const DEPLOY_ORDER_END = "<!-- /deploy-order -->";

/**
 * The example the docs render the checklist for: a home region, so every step shows its commands
 * (another region skips the orchestrator key and the registration; add-region prints its own).
 */
export const DOCS_EXAMPLE: DeployContext = {
  stack: "prod-us-east-1",
  fleet: "prod",
  region: "us-east-1",
  rpcEndpointsParameter: "/livepeer-fleet/prod-us-east-1/chain/rpc-endpoints",
  watcherRpcUrlParameter: "/livepeer-fleet/prod-us-east-1/watcher/rpc-url",
  homeRegion: "us-east-1",
};

/** The checklist's context for a region stack, from its validated config. */
export function deployContext(
  stack: string,
  fleet: string,
  region: string,
  c: { nodeRuntime: { rpcEndpointsParameter: string }; rewardWatcher: { rpcUrlParameter: string } },
  homeRegion: string,
): DeployContext {
  return {
    stack,
    fleet,
    region,
    rpcEndpointsParameter: c.nodeRuntime.rpcEndpointsParameter,
    watcherRpcUrlParameter: c.rewardWatcher.rpcUrlParameter,
    homeRegion,
  };
}

/**
 * `doc` with the text between its deploy-order markers replaced by the checklist for
 * DOCS_EXAMPLE, indented as the begin marker is (docs/operations.md nests it in a list).
 */
export function replaceDeployOrder(doc: string): string {
  const start = doc.indexOf(DEPLOY_ORDER_BEGIN);
  const end = doc.indexOf(DEPLOY_ORDER_END);
  if (start < 0 || end < start) return doc;
  const indent = doc.slice(doc.lastIndexOf("\n", start) + 1, start);
  const body = renderMarkdown(DOCS_EXAMPLE)
    .split("\n")
    .map((l) => (l === "" ? "" : `${indent}${l}`))
    .join("\n");
  return `${doc.slice(0, start + DEPLOY_ORDER_BEGIN.length)}\n\n${body}\n\n${indent}${doc.slice(end)}`;
}
