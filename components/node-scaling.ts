// Scaling for the transcoder pool, built from the capacity plan (lib/sizing): one recurring
// scheduled action per change of the planned instance count, and target tracking on sessions per
// in-service transcoder on top. Not a component: children of the Transcoders component.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import {
  NODE_METRICS,
  ORCHESTRATOR_DIMENSION,
  ROLE_METRIC_NAMESPACES,
  UNIT_DIMENSION,
} from "../lib/runtime-contract";
import { AWS_METRICS } from "../lib/monitoring/aws-metrics";

export interface NodeScalingArgs {
  /** Daily UTC actions, each keyed by the hour whose capacity it sets (a stable id). */
  scheduledActions: { id: string; recurrence: string; minSize: number }[];
  /** Sessions per in-service transcoder to hold; no target tracking when absent. */
  targetSessionsPerNode?: number;
  /** The group's desired count at creation (scaling owns it afterwards). */
  initialDesired: number;
  /** Seconds a new transcoder needs before its capacity counts (boot + registration). */
  warmupSeconds: number;
  /** The unit (stack) and the orchestrator slots whose sessions the pool serves. */
  unit: string;
  orchestratorSlots: string[];
}

export interface NodeScaling {
  schedules: aws.autoscaling.Schedule[];
  policy?: aws.autoscaling.Policy;
}

type MetricQuery =
  aws.types.input.autoscaling.PolicyTargetTrackingConfigurationCustomizedMetricSpecificationMetric;

/**
 * The metric math target tracking follows: the sessions of every orchestrator of the unit
 * (each publishes its own CurrentSessions, dimensions Unit and Orchestrator) divided by the
 * pool's in-service instances (Auto Scaling's own GroupInServiceInstances): sessions per
 * transcoder, the metric-math pattern of the EC2 Auto Scaling user guide ("Create a target
 * tracking scaling policy using metric math", backlog per instance). A slot with no datapoint
 * (replacing, stopped) counts 0 rather than blanking the sum.
 */
export function sessionsPerTranscoderQueries(
  unit: string,
  slots: string[],
  groupName: pulumi.Input<string>,
): MetricQuery[] {
  const sessions: MetricQuery[] = slots.map((slot) => ({
    id: `s_${slot}`,
    returnData: false,
    metricStat: {
      metric: {
        namespace: ROLE_METRIC_NAMESPACES.orchestrator,
        metricName: NODE_METRICS.currentSessions,
        dimensions: [
          { name: UNIT_DIMENSION, value: unit },
          { name: ORCHESTRATOR_DIMENSION, value: slot },
        ],
      },
      stat: "Average",
    },
  }));
  const inService: MetricQuery = {
    id: "pool",
    returnData: false,
    metricStat: {
      metric: {
        namespace: AWS_METRICS.autoScaling.namespace,
        metricName: AWS_METRICS.autoScaling.groupInServiceInstances,
        dimensions: [{ name: "AutoScalingGroupName", value: groupName }],
      },
      stat: "Average",
    },
  };
  const sum = slots.map((s) => `FILL(s_${s}, 0)`).join(" + ");
  return [
    ...sessions,
    inService,
    {
      id: "per_transcoder",
      label: "sessions per in-service transcoder",
      expression: `(${sum}) / pool`,
      returnData: true,
    },
  ];
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
          // group or pin it. Raising the minimum above the current size launches instances;
          // lowering it lets target tracking scale in (EC2 Auto Scaling user guide, "Scheduled
          // scaling": policies keep deciding between min and max after an action).
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
          customizedMetricSpecification: {
            metrics: sessionsPerTranscoderQueries(args.unit, args.orchestratorSlots, groupName),
          },
        },
      },
      opts,
    );
  }
  return { schedules, policy };
}
