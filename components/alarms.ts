import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { AlarmInputs, AlarmSpec, alarmSpecs } from "../lib/monitoring/alarms";

export interface AlarmsArgs {
  /** The unit key: the topic is encrypted with it (its policy lets CloudWatch use it for SNS). */
  keyArn: pulumi.Input<string>;
  /** Who is told: SNS subscriptions, keyed by protocol and endpoint. */
  subscriptions: { protocol: string; endpoint: string }[];
  /** Everything the alarm table needs (lib/monitoring/alarms.ts). */
  inputs: AlarmInputs<pulumi.Input<string>>;
  tags: Record<string, string>;
}

/** The KMS calls that make the unit key unusable: every volume and snapshot with it. */
export const KEY_CHANGE_EVENTS = ["ScheduleKeyDeletion", "DisableKey"];

/**
 * The unit key being scheduled for deletion or disabled, as EventBridge sees it: CloudTrail's
 * management event for the call (detail-type "AWS API Call via CloudTrail", source aws.kms) whose
 * `resources` name the key by ARN, whatever id the caller passed (KMS Developer Guide, CloudTrail
 * log entries for ScheduleKeyDeletion and DisableKey). EventBridge receives these events only
 * from an account with a CloudTrail trail logging management events (EventBridge User Guide,
 * "AWS service events delivered via AWS CloudTrail").
 */
export function keyChangePattern(keyArn: string): Record<string, unknown> {
  return {
    source: ["aws.kms"],
    "detail-type": ["AWS API Call via CloudTrail"],
    detail: {
      eventSource: ["kms.amazonaws.com"],
      eventName: KEY_CHANGE_EVENTS,
      resources: { ARN: [keyArn] },
    },
  };
}

/** Only this rule may publish to the key-change topic (confused-deputy guard, aws:SourceArn). */
export function keyChangeTopicPolicy(topicArn: string, ruleArn: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "UnitKeyChangeRule",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
      },
    ],
  };
}

/** A stable key for a subscription: reordering the config list never replaces one. */
export function subscriptionKey(s: { protocol: string; endpoint: string }): string {
  return createHash("sha256").update(`${s.protocol}:${s.endpoint}`).digest("hex").slice(0, 10);
}

/**
 * The unit's alarms and the one SNS topic they notify. Each alarm's description says what it pages
 * for and what to do first (docs/monitoring.md has the same table).
 */
export class Alarms extends pulumi.ComponentResource {
  public readonly topic: aws.sns.Topic;
  /** Where a scheduled deletion or disabling of the unit key is announced. */
  public readonly keyChangeTopic: aws.sns.Topic;
  public readonly keyChangeRule: aws.cloudwatch.EventRule;
  public readonly alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:watching:Alarms", name, {}, opts);
    const child = { parent: this };
    const tagged = (n: string) => ({ ...args.tags, Name: n });
    const unit = args.inputs.unit;

    this.topic = new aws.sns.Topic(
      `${name}-topic`,
      {
        displayName: `livepeer-fleet ${unit} alarms`,
        kmsMasterKeyId: args.keyArn,
        tags: tagged(`${name}-topic`),
      },
      child,
    );
    for (const s of args.subscriptions) {
      new aws.sns.TopicSubscription(
        `${name}-sub-${subscriptionKey(s)}`,
        { topic: this.topic.arn, protocol: s.protocol, endpoint: s.endpoint },
        child,
      );
    }

    // A key pending deletion or disabled cannot be used to encrypt (KMS Developer Guide, "Key
    // states of AWS KMS keys"), so the alarm topic, encrypted with the unit key, could not carry
    // this news: it gets a topic of its own, not encrypted with that key. The message holds the
    // key's ARN and who called, nothing secret.
    this.keyChangeTopic = new aws.sns.Topic(
      `${name}-key-change`,
      {
        displayName: `livepeer-fleet ${unit} unit key changes`,
        tags: tagged(`${name}-key-change`),
      },
      child,
    );
    for (const s of args.subscriptions) {
      new aws.sns.TopicSubscription(
        `${name}-key-change-sub-${subscriptionKey(s)}`,
        { topic: this.keyChangeTopic.arn, protocol: s.protocol, endpoint: s.endpoint },
        child,
      );
    }
    this.keyChangeRule = new aws.cloudwatch.EventRule(
      `${name}-key-change-rule`,
      {
        name: `${unit}-unit-key-change`,
        description: `The unit key of ${unit} was scheduled for deletion or disabled: cancel it (docs/operations.md, "Answer an alarm")`,
        eventPattern: pulumi.output(args.keyArn).apply((k) => JSON.stringify(keyChangePattern(k))),
        tags: tagged(`${name}-key-change-rule`),
      },
      child,
    );
    const topicPolicy = new aws.sns.TopicPolicy(
      `${name}-key-change-policy`,
      {
        arn: this.keyChangeTopic.arn,
        policy: pulumi
          .all([this.keyChangeTopic.arn, this.keyChangeRule.arn])
          .apply(([t, r]) => JSON.stringify(keyChangeTopicPolicy(t, r))),
      },
      child,
    );
    new aws.cloudwatch.EventTarget(
      `${name}-key-change-sns`,
      { rule: this.keyChangeRule.name, arn: this.keyChangeTopic.arn },
      { ...child, dependsOn: [topicPolicy] },
    );

    for (const spec of alarmSpecs(args.inputs) as AlarmSpec<pulumi.Input<string>>[]) {
      this.alarms[spec.key] = new aws.cloudwatch.MetricAlarm(
        `${name}-${spec.key}`,
        {
          // Readable in the notification's subject; unique per stack.
          name: `${unit}-${spec.key}`,
          alarmDescription: spec.description,
          namespace: spec.namespace,
          metricName: spec.metricName,
          dimensions: spec.dimensions,
          statistic: spec.statistic,
          period: spec.period,
          evaluationPeriods: spec.evaluationPeriods,
          datapointsToAlarm: spec.evaluationPeriods,
          threshold: spec.threshold,
          comparisonOperator: spec.comparisonOperator,
          treatMissingData: spec.treatMissingData,
          alarmActions: [this.topic.arn],
          okActions: spec.notifyOk ? [this.topic.arn] : [],
          tags: tagged(`${name}-${spec.key}`),
        },
        child,
      );
    }

    this.registerOutputs({ topicArn: this.topic.arn, keyChangeTopicArn: this.keyChangeTopic.arn });
  }
}
