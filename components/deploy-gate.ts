import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

/**
 * What the gate runs, relative to the program directory: the local command provider's working
 * directory defaults to its own, which the engine starts in the program directory
 * (pulumi-command provider/pkg/provider/local/commandOutputs.go: cmd.Dir = os.Getwd()). The
 * repository's own tsx runs scripts/deploy-gate.ts, so `npm ci` is all a deploying machine needs.
 */
export const GATE_COMMAND = "./node_modules/.bin/tsx scripts/deploy-gate.ts";

/** A group whose launch template this deploy may change, and the version it must end up on. */
export interface GateRolloutArgs {
  /** The Auto Scaling group's name (its `name` output). */
  groupName: pulumi.Input<string>;
  /** The group's launch template id and the version the group is set to (`latestVersion`). */
  launchTemplateId: pulumi.Input<string>;
  launchTemplateVersion: pulumi.Input<number>;
  /**
   * Whether the group's instances are targets of `targetGroupArn`: their health is what the gate
   * waits for after the rollout. Default false.
   */
  inTargetGroup?: boolean;
  /**
   * InService instances on the new version to wait for, for a group outside the target group (the
   * chain node: 1). Default 0.
   */
  expectedInService?: number;
}

export interface DeployGateArgs {
  /** AWS region of the target group. */
  region: string;
  targetGroupArn: pulumi.Input<string>;
  /** Healthy targets to wait for (among the new instances when `rollouts` is set); 0 passes at once. */
  expectedHealthy: number;
  /**
   * The groups this deploy may roll. The provider starts an instance refresh on a launch template
   * change and returns at once; with rollouts the gate waits for each refresh to finish and for
   * every InService instance to run the deployed version, fails on a failed, cancelled or
   * rolled-back refresh with its reasons, and only then counts healthy targets, among the new
   * instances only. Without: healthy targets of any version (old instances can pass it).
   */
  rollouts?: GateRolloutArgs[];
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

/** GATE_ROLLOUTS: the JSON scripts/deploy-gate.ts parseRollouts reads. */
export function rolloutsJson(rollouts: GateRolloutArgs[]): pulumi.Output<string> {
  return pulumi.jsonStringify(
    pulumi.output(
      rollouts.map((r) => ({
        group: r.groupName,
        launchTemplateId: r.launchTemplateId,
        launchTemplateVersion: pulumi.output(r.launchTemplateVersion).apply(String),
        expectedInService: r.expectedInService ?? 0,
        inTargetGroup: r.inTargetGroup ?? false,
      })),
    ),
  );
}

/**
 * The deploy gate: a local command that runs on the deploying machine during `pulumi up`, after the
 * groups changed, and fails the update unless the rollout reached the deployed launch template
 * version and the target group reports the expected number of healthy new targets within the
 * timeout (scripts/deploy-gate.ts prints the refresh's reasons or each unhealthy target's). It
 * runs nothing on preview, refresh or destroy.
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
          ...(args.rollouts ? { GATE_ROLLOUTS: rolloutsJson(args.rollouts) } : {}),
        },
        triggers: args.triggers,
      },
      { parent: this, provider, dependsOn: args.dependsOn },
    );
    this.registerOutputs({});
  }
}
