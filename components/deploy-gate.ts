import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

/**
 * What the gate runs, relative to the program directory: the local command provider's working
 * directory defaults to its own, which the engine starts in the program directory
 * (pulumi-command provider/pkg/provider/local/commandOutputs.go: cmd.Dir = os.Getwd()). The
 * repository's own tsx runs scripts/deploy-gate.ts, so `npm ci` is all a deploying machine needs.
 */
export const GATE_COMMAND = "./node_modules/.bin/tsx scripts/deploy-gate.ts";

export interface DeployGateArgs {
  /** AWS region of the target group. */
  region: string;
  targetGroupArn: pulumi.Input<string>;
  /** Healthy targets to wait for; 0 passes at once. */
  expectedHealthy: number;
  /** Upper bound on the wait, in seconds. */
  timeoutSeconds: number;
  /**
   * Values whose change re-runs the gate (the node group's launch template version, ASG and sizes,
   * the chain node's launch template version). A trigger change replaces the command, and a
   * replacement runs `create` again.
   */
  triggers: pulumi.Input<unknown>[];
  /** What the gate must run after: the node group, its target group, the chain node group. */
  dependsOn: pulumi.Resource[];
}

/**
 * The deploy gate: a local command that runs on the deploying machine during `pulumi up`, after the
 * node group changed, and fails the update unless the target group reports the expected number of
 * healthy targets within the timeout (scripts/deploy-gate.ts prints each unhealthy target's
 * reason). It runs nothing on preview, refresh or destroy.
 */
export class DeployGate extends pulumi.ComponentResource {
  public readonly command: command.local.Command;

  constructor(name: string, args: DeployGateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:gate:DeployGate", name, {}, opts);
    // disable-default-providers covers every package: the command provider is explicit too.
    const provider = new command.Provider(`${name}-command`, {}, { parent: this });
    this.command = new command.local.Command(
      `${name}-wait`,
      {
        create: GATE_COMMAND,
        // Values travel as environment variables, never through a shell-quoted string.
        environment: {
          GATE_TARGET_GROUP_ARN: args.targetGroupArn,
          GATE_REGION: args.region,
          GATE_EXPECTED_HEALTHY: String(args.expectedHealthy),
          GATE_TIMEOUT_SECONDS: String(args.timeoutSeconds),
        },
        triggers: args.triggers,
      },
      { parent: this, provider, dependsOn: args.dependsOn },
    );
    this.registerOutputs({});
  }
}
