import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { CHAIN_NODE_ROLE, ROLE_TAG, UNIT_TAG } from "./chain-node";
import { defaultRestartSettings, restartDocument } from "../lib/maintenance/restart-document";

export interface ChainRestartArgs {
  /** Stack name: with the role tag, selects the unit's chain node instance. */
  unit: string;
  /** UTC hour the window opens: the region's lowest-demand hour (planner), else config. */
  maintenanceHourUtc: number;
  /** Minutes the command waits for the client to be synced again before failing. */
  syncTimeoutMinutes: number;
  tags: Record<string, string>;
}

/** A daily cron at the top of `hourUtc` (SSM's six-field cron: min hour dom month dow year). */
export function dailyCron(hourUtc: number): string {
  if (!Number.isInteger(hourUtc) || hourUtc < 0 || hourUtc > 23) {
    throw new Error(`maintenance hour must be an integer 0-23, got ${hourUtc}`);
  }
  return `cron(0 ${hourUtc} ? * * *)`;
}

/**
 * The nightly chain-node restart: an SSM maintenance window at the maintenance hour runs a command
 * document on the unit's chain node (found by tags, so replacements are picked up) that restarts
 * the chain client and fails unless it is synced again in time. A maintenance window runs only on
 * its schedule: creating or updating it never runs the task (unlike an association without
 * applyOnlyAtCronInterval, which runs on every create and update). Its outcome is counted by
 * components/maintenance-events.ts and alarmed on in components/alarms.ts.
 */
export class ChainRestart extends pulumi.ComponentResource {
  public readonly document: aws.ssm.Document;
  public readonly window: aws.ssm.MaintenanceWindow;
  public readonly windowId: pulumi.Output<string>;

  constructor(name: string, args: ChainRestartArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:maintenance:ChainRestart", name, {}, opts);
    const child = { parent: this };
    const tagged = (n: string) => ({ ...args.tags, Name: n });

    this.document = new aws.ssm.Document(
      `${name}-doc`,
      {
        documentType: "Command",
        documentFormat: "JSON",
        content: restartDocument(defaultRestartSettings(args.syncTimeoutMinutes)),
        tags: tagged(`${name}-doc`),
      },
      child,
    );

    this.window = new aws.ssm.MaintenanceWindow(
      `${name}-window`,
      {
        description: `Nightly chain client restart of ${args.unit}`,
        schedule: dailyCron(args.maintenanceHourUtc),
        scheduleTimezone: "UTC",
        // Two hours open, no new task in the last one: the task starts at the top of the hour and
        // the invocation's own timeout (sync bound + stop/start allowance) ends it.
        duration: 2,
        cutoff: 1,
        allowUnassociatedTargets: false,
        enabled: true,
        tags: tagged(`${name}-window`),
      },
      child,
    );
    this.windowId = this.window.id;

    const target = new aws.ssm.MaintenanceWindowTarget(
      `${name}-target`,
      {
        windowId: this.window.id,
        description: "The unit's chain node (whichever instance currently holds the role)",
        resourceType: "INSTANCE",
        targets: [
          { key: `tag:${UNIT_TAG}`, values: [args.unit] },
          { key: `tag:${ROLE_TAG}`, values: [CHAIN_NODE_ROLE] },
        ],
      },
      child,
    );

    new aws.ssm.MaintenanceWindowTask(
      `${name}-task`,
      {
        windowId: this.window.id,
        description: "Restart the chain client; fail unless it is synced again in time",
        taskType: "RUN_COMMAND",
        taskArn: this.document.name,
        priority: 1,
        // One chain node per unit; any error fails the task (and pages).
        maxConcurrency: "1",
        maxErrors: "0",
        // A slow sync past the cutoff still finishes (or times out) rather than being cancelled.
        cutoffBehavior: "CONTINUE_TASK",
        // No serviceRoleArn: SSM uses its service-linked role (AWSServiceRoleForAmazonSSM) for
        // Run Command tasks, creating it when missing.
        targets: [{ key: "WindowTargetIds", values: [target.id] }],
        taskInvocationParameters: {
          runCommandParameters: {
            comment: "livepeer-fleet nightly chain restart",
            documentVersion: "$LATEST",
            // Seconds for the command to reach the instance (SSM agent offline: the task fails).
            timeoutSeconds: 600,
          },
        },
      },
      child,
    );

    this.registerOutputs({ windowId: this.windowId, documentName: this.document.name });
  }
}
