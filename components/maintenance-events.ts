import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface MaintenanceEventsArgs {
  /** The unit's account: only its own EventBridge rules may write into the log group. */
  accountId: pulumi.Input<string>;
  /** Stack name: names the rules (their names are the alarms' RuleName dimension). */
  unit: string;
  keyArn: pulumi.Input<string>;
  /** The nightly restart's maintenance window. */
  windowId: pulumi.Input<string>;
  /** The snapshot policy's ARN (DLM events name the policy by ARN). */
  snapshotPolicyArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** Terminal states of a maintenance window execution (SSM GetMaintenanceWindowExecution). */
export const WINDOW_FAILED = ["FAILED", "TIMED_OUT", "CANCELLED"];

/** Event patterns, exported so tests read exactly what the rules match. */
export function restartPattern(windowId: string, statuses: string[]): Record<string, unknown> {
  return {
    source: ["aws.ssm"],
    "detail-type": ["Maintenance Window Execution State-change Notification"],
    detail: { "window-id": [windowId], status: statuses },
  };
}

export function snapshotPolicyErrorPattern(policyArn: string): Record<string, unknown> {
  return {
    source: ["aws.dlm"],
    "detail-type": ["DLM Policy State Change"],
    resources: [policyArn],
    detail: { state: ["ERROR"] },
  };
}

/**
 * The unit's maintenance history: EventBridge rules for the nightly restart's outcome and for the
 * snapshot policy falling into ERROR, each delivering the event into one encrypted log group (the
 * dashboard's history table). The rules' TriggeredRules metrics (AWS/Events, dimension RuleName)
 * are what the restart and snapshot-policy alarms count.
 */
export class MaintenanceEvents extends pulumi.ComponentResource {
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly restartSucceededRule: aws.cloudwatch.EventRule;
  public readonly restartFailedRule: aws.cloudwatch.EventRule;
  public readonly snapshotPolicyErrorRule: aws.cloudwatch.EventRule;

  constructor(name: string, args: MaintenanceEventsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:maintenance:MaintenanceEvents", name, {}, opts);
    const child = { parent: this };
    const tagged = (n: string) => ({ ...args.tags, Name: n });

    // /aws/events/ prefix: where the EventBridge console looks for log-group targets.
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `/aws/events/livepeer-fleet/${args.unit}/maintenance`,
        retentionInDays: 400,
        kmsKeyId: args.keyArn,
        tags: tagged(`${name}-logs`),
      },
      child,
    );
    // EventBridge writes to a log group through the group's resource policy, not an IAM role
    // (docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html). The
    // aws:SourceAccount condition (CloudWatch Logs API Reference, PutResourcePolicy: "supports
    // aws:SourceArn and aws:SourceAccount") keeps another account's rules or deliveries, acting
    // through the same service principals, from writing into it.
    new aws.cloudwatch.LogResourcePolicy(
      `${name}-delivery`,
      {
        policyName: `${args.unit}-maintenance-events`,
        policyDocument: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "EventBridgeWritesMaintenanceEvents",
              Effect: "Allow",
              Principal: { Service: ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: pulumi.interpolate`${this.logGroup.arn}:*`,
              Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
            },
          ],
        }),
      },
      child,
    );

    const rule = (key: string, description: string, pattern: pulumi.Input<string>) => {
      const r = new aws.cloudwatch.EventRule(
        `${name}-${key}`,
        {
          // A fixed name: it is the RuleName dimension the alarms and the dashboard use.
          name: `${args.unit}-${key}`,
          description,
          eventPattern: pattern,
          tags: tagged(`${name}-${key}`),
        },
        child,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-${key}-log`,
        { rule: r.name, arn: this.logGroup.arn },
        child,
      );
      return r;
    };
    const windowId = pulumi.output(args.windowId);
    this.restartSucceededRule = rule(
      "chain-restart-succeeded",
      "Nightly chain restart succeeded",
      windowId.apply((w) => JSON.stringify(restartPattern(w, ["SUCCESS"]))),
    );
    this.restartFailedRule = rule(
      "chain-restart-failed",
      "Nightly chain restart failed, timed out or was cancelled",
      windowId.apply((w) => JSON.stringify(restartPattern(w, WINDOW_FAILED))),
    );
    this.snapshotPolicyErrorRule = rule(
      "snapshot-policy-error",
      "The snapshot policy entered its ERROR state",
      pulumi
        .output(args.snapshotPolicyArn)
        .apply((arn) => JSON.stringify(snapshotPolicyErrorPattern(arn))),
    );

    this.registerOutputs({ logGroupName: this.logGroup.name });
  }
}
