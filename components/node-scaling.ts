// Scaling for the node group, built from the capacity plan (lib/sizing): one recurring scheduled
// action per change of the planned node count, and target tracking on average sessions per
// node on top. Not a component: children of the NodeGroup, like launch.ts's builders.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { METRIC_NAMESPACE, NODE_METRICS } from "../lib/runtime-contract";

export interface NodeScalingArgs {
  /** Daily UTC actions, each keyed by the hour whose capacity it sets (a stable id). */
  scheduledActions: { id: string; recurrence: string; minSize: number }[];
  /** Average CurrentSessions per node to hold; no target tracking when absent. */
  targetSessionsPerNode?: number;
  /** The group's desired count at creation (scaling owns it afterwards). */
  initialDesired: number;
  /** Seconds a new node needs before its sessions count (boot + health grace). */
  warmupSeconds: number;
}

export interface NodeScaling {
  schedules: aws.autoscaling.Schedule[];
  policy?: aws.autoscaling.Policy;
}

export function addNodeScaling(
  name: string,
  groupName: pulumi.Input<string>,
  args: NodeScalingArgs,
  opts: pulumi.CustomResourceOptions,
): NodeScaling {
  const schedules = args.scheduledActions.map(
    (a) =>
      new aws.autoscaling.Schedule(
        // Keyed by the hour, never the list position: moving one ramp replaces one action.
        `${name}-scale-${a.id}`,
        {
          autoscalingGroupName: groupName,
          scheduledActionName: `${name}-scale-${a.id}`,
          recurrence: a.recurrence,
          // Cron in UTC: the demand profile's hours are UTC hours.
          timeZone: "Etc/UTC",
          minSize: a.minSize,
          // -1 = leave unchanged. The provider's default for both is 0, which would empty the
          // group or pin it. Raising the minimum above the current size launches nodes; lowering
          // it lets target tracking scale in as sessions drain (EC2 Auto Scaling user guide,
          // "Scheduled scaling": policies keep deciding between min and max after an action).
          maxSize: -1,
          desiredCapacity: -1,
        },
        opts,
      ),
  );
  let policy: aws.autoscaling.Policy | undefined;
  if (args.targetSessionsPerNode !== undefined) {
    policy = new aws.autoscaling.Policy(
      `${name}-sessions-tt`,
      {
        autoscalingGroupName: groupName,
        policyType: "TargetTrackingScaling",
        estimatedInstanceWarmup: args.warmupSeconds,
        targetTrackingConfiguration: {
          targetValue: args.targetSessionsPerNode,
          // Every node publishes its own CurrentSessions datapoint with the single dimension
          // AutoScalingGroupName; the Average statistic over them is sessions per node.
          customizedMetricSpecification: {
            namespace: METRIC_NAMESPACE,
            metricName: NODE_METRICS.currentSessions,
            metricDimensions: [{ name: "AutoScalingGroupName", value: groupName }],
            statistic: "Average",
          },
        },
      },
      opts,
    );
  }
  return { schedules, policy };
}
