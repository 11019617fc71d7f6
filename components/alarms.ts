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

    this.registerOutputs({ topicArn: this.topic.arn });
  }
}
