// The AWS-published metrics the alarms and the dashboard use, by namespace. One place, each with
// the page that defines it, so a dashboard widget or an alarm cannot name a metric that does not
// exist (the tests check every reference against this catalog and lib/runtime-contract.ts).
export const AWS_METRICS = {
  /** docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-cloudwatch-metrics.html */
  nlb: {
    namespace: "AWS/NetworkELB",
    healthyHostCount: "HealthyHostCount",
    unHealthyHostCount: "UnHealthyHostCount",
    activeFlowCount: "ActiveFlowCount",
    newFlowCount: "NewFlowCount",
  },
  /** docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html (group metrics) */
  autoScaling: {
    namespace: "AWS/AutoScaling",
    groupDesiredCapacity: "GroupDesiredCapacity",
    groupInServiceInstances: "GroupInServiceInstances",
    groupMinSize: "GroupMinSize",
    groupMaxSize: "GroupMaxSize",
  },
  /** docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitor-dlm-cw-metrics.html (dimension DLMPolicyId) */
  dlm: {
    namespace: "AWS/EBS",
    snapshotsCreateCompleted: "SnapshotsCreateCompleted",
    snapshotsCreateFailed: "SnapshotsCreateFailed",
    snapshotsDeleteFailed: "SnapshotsDeleteFailed",
    snapshotsCopiedRegionCompleted: "SnapshotsCopiedRegionCompleted",
    snapshotsCopiedRegionFailed: "SnapshotsCopiedRegionFailed",
  },
  /** docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html (dimension RuleName) */
  events: {
    namespace: "AWS/Events",
    triggeredRules: "TriggeredRules",
  },
  /** docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html (dimension FunctionName) */
  lambda: {
    namespace: "AWS/Lambda",
    errors: "Errors",
    invocations: "Invocations",
  },
} as const;

/** namespace -> metric names, for checking references. */
export function knownMetrics(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const group of Object.values(AWS_METRICS)) {
    const { namespace, ...names } = group;
    out.set(namespace, new Set(Object.values(names)));
  }
  return out;
}
