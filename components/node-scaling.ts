// Scaling for the transcoder pool, from the pool's design (lib/sizing/pool.ts, design.ts): a
// predictive scaling policy for the daily curve, target tracking on a utilisation that sees
// refused demand for the rest, and the lifecycle hooks the instances act on (drain on the way
// out; with a warm pool, initialise before being stopped or put in service). Not a component:
// children of the Transcoders component.
//
// AWS behaviour relied on, beyond lib/sizing/design.ts's header:
//  - With several scaling policies each decides on its own and the group takes the largest
//    capacity (user guide, ec2-auto-scaling-predictive-scaling.md, "Use predictive scaling
//    with dynamic scaling"); predictive scaling only ever scales out.
//  - Lifecycle hooks: the instance waits in Pending:Wait / Terminating:Wait (and, with a warm
//    pool, Warmed:Pending:Wait) until CompleteLifecycleAction or the heartbeat timeout, after
//    which the default result applies: for a launch, CONTINUE puts the instance in service and
//    ABANDON terminates and replaces it; for a termination both let it terminate (user guide,
//    adding-lifecycle-hooks.md; lifecycle-hooks-overview.md; warm-pool-instance-lifecycle.md).
//  - Hooks are separate aws.autoscaling.LifecycleHook resources, not the group's
//    initialLifecycleHooks: the provider marks those ForceNew (a change would replace the group,
//    terraform-provider-aws internal/service/autoscaling/group.go initial_lifecycle_hook) and
//    applies them only at creation. The price: on a brand-new group, instances launched before
//    the hooks exist run without them (the first warm-pool instances may be stopped before
//    their boot finished; put in service later they never complete the launch hook, which then
//    ABANDONs them after its heartbeat and Auto Scaling launches a replacement).
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { PoolScaling } from "../lib/sizing/pool";

export interface NodeScalingArgs {
  pool: PoolScaling;
  /** Hook names: what the instances' lifecycle agent completes (lifecycleHookNames). */
  hookNames: Record<PoolScaling["design"]["lifecycleHooks"][number]["id"], string>;
}

export interface NodeScaling {
  predictive: aws.autoscaling.Policy;
  tracking: aws.autoscaling.Policy;
  hooks: aws.autoscaling.LifecycleHook[];
}

/** The hooks' names, per group: fixed (not auto-named), since the instances complete them by name. */
export function lifecycleHookNames(name: string): NodeScalingArgs["hookNames"] {
  return { drain: `${name}-drain`, launch: `${name}-launch` };
}

export function addNodeScaling(
  name: string,
  groupName: pulumi.Input<string>,
  args: NodeScalingArgs,
  opts: pulumi.CustomResourceOptions,
): NodeScaling {
  const d = args.pool.design;
  const predictive = new aws.autoscaling.Policy(
    `${name}-forecast`,
    {
      autoscalingGroupName: groupName,
      policyType: "PredictiveScaling",
      predictiveScalingConfiguration: d.predictive,
    },
    opts,
  );
  // The logical name predates this policy's metric (it tracked CurrentSessions per transcoder):
  // deployed names stay, and PutScalingPolicy updates the policy in place.
  const tracking = new aws.autoscaling.Policy(
    `${name}-sessions-tt`,
    {
      autoscalingGroupName: groupName,
      policyType: "TargetTrackingScaling",
      estimatedInstanceWarmup: d.targetTracking.estimatedInstanceWarmup,
      targetTrackingConfiguration: {
        targetValue: d.targetTracking.targetValue,
        customizedMetricSpecification: d.targetTracking.customizedMetricSpecification,
      },
    },
    opts,
  );
  const hooks = d.lifecycleHooks.map(
    (h) =>
      new aws.autoscaling.LifecycleHook(
        `${name}-${h.id}`,
        {
          autoscalingGroupName: groupName,
          name: args.hookNames[h.id],
          lifecycleTransition: h.lifecycleTransition,
          heartbeatTimeout: h.heartbeatTimeout,
          defaultResult: h.defaultResult,
        },
        opts,
      ),
  );
  return { predictive, tracking, hooks };
}
