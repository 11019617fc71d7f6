// The one ordered checklist that takes a region stack from a file to a serving, registered region:
// rendered into add-region's next steps, the README and docs/operations.md (a test keeps the
// copies equal), and the order preflight reports blockers in. Pure.
import { unitKeyUrns } from "./add-region";

export interface DeployContext {
  stack: string;
  fleet: string;
  region: string;
  /** SSM names the stack uses (lib/preflight/parameters.ts requiredParameters). */
  rpcEndpointsParameter: string;
  watcherRpcUrlParameter: string;
}

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
      "Pin the AMIs, releases and price, and put your own values in place of the shipped examples " +
      "(npm run plan lists what is missing under NOT DEPLOYABLE)",
    commands: (c) => [
      `npm run amis -- --stack ${c.stack} --write`,
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
    title: "Import the orchestrator keystore and passphrase",
    commands: (c) => [
      `npm run identity:import -- --stack ${c.stack} --keystore KEYSTORE.json --passphrase-file PASSPHRASE.txt`,
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
    // The orchestrator secret (-orchSecret) the orchestrator/transcoder split introduces goes here:
    // its parameter joins requiredParameters() and its command this step. Nothing to run until then.
    id: "orchestratorSecret",
    title: "Put the orchestrator secret into SSM",
    commands: () => [],
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
      "Register the service address on chain with the orchestrator key, on the chain node " +
      '(livepeer_cli "Set orchestrator config", service URI https://<loadBalancerDns>:8935)',
    commands: (c) => [
      `pulumi stack output --stack ${c.stack} loadBalancerDns`,
      `aws ssm start-session --region ${c.region} --target "$(aws autoscaling describe-auto-scaling-groups --region ${c.region} --auto-scaling-group-names "$(pulumi stack output --stack ${c.stack} chainGroupName)" --query 'AutoScalingGroups[0].Instances[0].InstanceId' --output text)"`,
      `/opt/livepeer-fleet/livepeer/livepeer_cli --http 7935   # on the chain node`,
    ],
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

/** The example the docs render the checklist for. */
export const DOCS_EXAMPLE: DeployContext = {
  stack: "prod-eu-central-1",
  fleet: "prod",
  region: "eu-central-1",
  rpcEndpointsParameter: "/livepeer-fleet/prod-eu-central-1/chain/rpc-endpoints",
  watcherRpcUrlParameter: "/livepeer-fleet/prod-eu-central-1/watcher/rpc-url",
};

/** The checklist's context for a region stack, from its validated config. */
export function deployContext(
  stack: string,
  fleet: string,
  region: string,
  c: { nodeRuntime: { rpcEndpointsParameter: string }; rewardWatcher: { rpcUrlParameter: string } },
): DeployContext {
  return {
    stack,
    fleet,
    region,
    rpcEndpointsParameter: c.nodeRuntime.rpcEndpointsParameter,
    watcherRpcUrlParameter: c.rewardWatcher.rpcUrlParameter,
  };
}
