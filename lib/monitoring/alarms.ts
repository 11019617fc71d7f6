// Every alarm of a region unit: metric, threshold, missing-data rule and what to do. Pure and
// generic over the value type of dimensions, so tests read plain strings and components/alarms.ts
// passes Pulumi outputs. docs/monitoring.md is the operator's copy of this table.
import {
  NODE_METRICS,
  PORTS,
  ROLE_METRIC_NAMESPACES,
  UNITS,
  UNIT_DIMENSION,
  WATCHER_METRICS,
} from "../runtime-contract";
import { AWS_METRICS } from "./aws-metrics";

export type Comparison =
  | "GreaterThanOrEqualToThreshold"
  | "GreaterThanThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";

export type MissingData = "breaching" | "notBreaching" | "ignore" | "missing";

export interface AlarmSpec<S> {
  /** Stable id: the alarm's name suffix and logical name; never renamed once deployed. */
  key: string;
  /** What it pages for, and what to do first. */
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, S>;
  statistic: "Minimum" | "Maximum" | "Sum" | "Average" | "SampleCount";
  /** Seconds. */
  period: number;
  evaluationPeriods: number;
  threshold: number;
  comparisonOperator: Comparison;
  treatMissingData: MissingData;
  /**
   * Notify on recovery too. Off for event counts: their "OK" only means an hour passed without a
   * new failure, not that the failed job was redone.
   */
  notifyOk: boolean;
}

export interface AlarmInputs<S> {
  unit: string;
  /** NLB and target group ARN suffixes (their CloudWatch dimensions). */
  loadBalancer: S;
  targetGroup: S;
  nodeGroupName: S;
  nodeGroupMaxSize: number;
  snapshotPolicyId: S;
  crossRegionCopy: boolean;
  restartFailedRule: S;
  snapshotPolicyErrorRule: S;
  watcherScheduleMinutes: number;
  thresholds: {
    rewardNotCalledRoundFraction: number;
    roundNotInitializedBlocks: number;
    minGasBalanceEth: number;
    minHealthyTargets: number;
    chainHeadMaxAgeSeconds: number;
    chainLagMinutes: number;
    nodeGroupAtMaxMinutes: number;
  };
}

const HOUR = 3600;
const MINUTE = 60;

export function alarmSpecs<S>(a: AlarmInputs<S | string>): AlarmSpec<S | string>[] {
  const t = a.thresholds;
  const unit = { [UNIT_DIMENSION]: a.unit };
  const watcher = (
    key: string,
    metricName: string,
    rest: Omit<AlarmSpec<string>, "key" | "namespace" | "metricName" | "dimensions" | "period">,
  ): AlarmSpec<S | string> => ({
    key,
    namespace: ROLE_METRIC_NAMESPACES["reward-watcher"],
    metricName,
    dimensions: unit,
    period: a.watcherScheduleMinutes * MINUTE,
    ...rest,
  });
  const nlb = { LoadBalancer: a.loadBalancer, TargetGroup: a.targetGroup };
  const specs: AlarmSpec<S | string>[] = [
    watcher("reward-not-called", WATCHER_METRICS.rewardPendingFraction, {
      description: `Reward not called ${pct(t.rewardNotCalledRoundFraction)} into the round: the round's LPT inflation is lost if it stays uncalled. Check the reward service on the home region's chain node (journalctl -u ${UNITS.rewardService}), the orchestrator account's ETH balance and gas price; call reward through its CLI if needed (as root: only root and the service may connect to it; sudo /opt/livepeer-fleet/livepeer/livepeer_cli -http ${PORTS.rewardCli}). npm run watch:reward shows the state.`,
      statistic: "Maximum",
      evaluationPeriods: 1,
      threshold: t.rewardNotCalledRoundFraction,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "missing",
      notifyOk: true,
    }),
    watcher("round-not-initialized", WATCHER_METRICS.uninitializedBlocks, {
      description: `Round not initialized ${t.roundNotInitializedBlocks} L1 blocks in: nobody can call reward until someone initializes it. Initialize it through the reward service's CLI on the home region's chain node (costs gas; as root: sudo curl -X POST http://127.0.0.1:${PORTS.rewardCli}/initializeRound).`,
      statistic: "Maximum",
      evaluationPeriods: 1,
      threshold: t.roundNotInitializedBlocks,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "missing",
      notifyOk: true,
    }),
    watcher("gas-balance-low", WATCHER_METRICS.gasBalanceEth, {
      description: `A gas-paying account holds less than ${t.minGasBalanceEth} ETH: reward and ticket redemption stop when it runs dry. Send ETH on Arbitrum One to the account npm run watch:reward lists lowest.`,
      statistic: "Minimum",
      evaluationPeriods: 1,
      threshold: t.minGasBalanceEth,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "missing",
      notifyOk: true,
    }),
    watcher("orchestrator-inactive", WATCHER_METRICS.orchestratorActive, {
      description: `The orchestrator is not in the active set this round: it earns no fees or rewards. Check its bonded stake against the active set's lowest and whether it was deactivated (sudo livepeer_cli -http ${PORTS.rewardCli} on the home region's chain node).`,
      statistic: "Maximum",
      evaluationPeriods: 2,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "missing",
      notifyOk: true,
    }),
    watcher("watcher-silent", WATCHER_METRICS.heartbeat, {
      description: `The reward watcher has not read the chain for ${3 * a.watcherScheduleMinutes} minutes, so the reward and balance alarms are blind. Check the function's log group (/aws/lambda/${a.unit}-reward-watcher): an unreachable or wrong RPC (WatcherChainReadFailed on the dashboard), or a missing RPC URL parameter.`,
      statistic: "Sum",
      evaluationPeriods: 3,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      // No data is exactly the failure this alarm exists for.
      treatMissingData: "breaching",
      notifyOk: true,
    }),
    {
      key: "no-healthy-targets",
      description:
        "No orchestrator in discovery: the region serves no new streams (with a fleet service name, Route 53 sends its gateways to other regions). An orchestrator leaves discovery when go-livepeer is down, its chain is unreadable through the region's RPC proxy, or no transcoder is registered with it: GET /healthz on its health port says which. Check the chain node first (its loss takes every orchestrator out), then the transcoder pool.",
      namespace: AWS_METRICS.nlb.namespace,
      metricName: AWS_METRICS.nlb.healthyHostCount,
      dimensions: nlb,
      statistic: "Minimum",
      period: MINUTE,
      evaluationPeriods: 3,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      // The NLB reports every minute; silence means it or the target group is gone.
      treatMissingData: "breaching",
      notifyOk: true,
    },
    {
      key: "chain-lagging",
      description: `The chain node's head is older than ${t.chainHeadMaxAgeSeconds} s for ${t.chainLagMinutes} minutes: nodes are served by the RPC proxy's hosted backups. Check ${UNITS.chainClient} on the chain node (journalctl -u ${UNITS.chainClient}) and its peers; restart it if it stalled.`,
      namespace: ROLE_METRIC_NAMESPACES["chain-node"],
      metricName: NODE_METRICS.chainHeadAgeSeconds,
      dimensions: unit,
      statistic: "Maximum",
      period: MINUTE,
      evaluationPeriods: t.chainLagMinutes,
      threshold: t.chainHeadMaxAgeSeconds,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "missing",
      notifyOk: true,
    },
    {
      key: "chain-down",
      description: `The chain node has not reported synced for ${t.chainLagMinutes} minutes (or reported nothing: instance or agent down). Orchestrators depend on the proxy's hosted backups meanwhile. Check the chain node instance (Session Manager), ${UNITS.chainClient} and its health agent; the ASG replaces a dead instance.`,
      namespace: ROLE_METRIC_NAMESPACES["chain-node"],
      metricName: NODE_METRICS.chainSynced,
      dimensions: unit,
      statistic: "Maximum",
      period: MINUTE,
      evaluationPeriods: t.chainLagMinutes,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
      notifyOk: true,
    },
    {
      key: "chain-restart-failed",
      description: `Last night's chain client restart failed, timed out or could not reach the chain node. See the maintenance window's execution in Systems Manager (command output) and the maintenance log group; check ${UNITS.chainClient} and whether ${UNITS.rpcProxy} was up.`,
      namespace: AWS_METRICS.events.namespace,
      metricName: AWS_METRICS.events.triggeredRules,
      dimensions: { RuleName: a.restartFailedRule },
      statistic: "Sum",
      period: HOUR,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      notifyOk: false,
    },
    {
      key: "snapshot-failed",
      description:
        "The daily chain-data snapshot failed. See the policy in EC2 > Lifecycle Manager and CloudTrail CreateSnapshot errors (key access, snapshot quota); take a manual snapshot if the next one is far off.",
      namespace: AWS_METRICS.dlm.namespace,
      metricName: AWS_METRICS.dlm.snapshotsCreateFailed,
      dimensions: { DLMPolicyId: a.snapshotPolicyId },
      statistic: "Sum",
      period: HOUR,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      notifyOk: false,
    },
    {
      key: "snapshot-policy-error",
      description:
        "The snapshot policy entered its ERROR state and takes no snapshots until fixed. Read the cause in the maintenance log group (DLM Policy State Change): usually the DLM role's or the key's permissions, or a quota.",
      namespace: AWS_METRICS.events.namespace,
      metricName: AWS_METRICS.events.triggeredRules,
      dimensions: { RuleName: a.snapshotPolicyErrorRule },
      statistic: "Sum",
      period: HOUR,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      notifyOk: false,
    },
    {
      key: "node-group-at-max",
      description: `The transcoder pool has wanted its maximum size (${a.nodeGroupMaxSize}) for ${t.nodeGroupAtMaxMinutes} minutes: demand exceeds the configured capacity, and orchestrators refuse new sessions when full. Raise nodeGroup.maxSize (and check the GPU instance quota).`,
      namespace: AWS_METRICS.autoScaling.namespace,
      metricName: AWS_METRICS.autoScaling.groupDesiredCapacity,
      dimensions: { AutoScalingGroupName: a.nodeGroupName },
      statistic: "Minimum",
      period: 5 * MINUTE,
      evaluationPeriods: t.nodeGroupAtMaxMinutes / 5,
      threshold: a.nodeGroupMaxSize,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "missing",
      notifyOk: true,
    },
  ];
  if (t.minHealthyTargets > 1) {
    specs.push({
      key: "healthy-targets-low",
      description: `Fewer than ${t.minHealthyTargets} orchestrators in discovery: the region serves through fewer addresses than it has. Check the unhealthy targets' health agent (GET /healthz on the health port): go-livepeer, the chain through the proxy, registered transcoders.`,
      namespace: AWS_METRICS.nlb.namespace,
      metricName: AWS_METRICS.nlb.healthyHostCount,
      dimensions: nlb,
      statistic: "Minimum",
      period: MINUTE,
      evaluationPeriods: 5,
      threshold: t.minHealthyTargets,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "missing",
      notifyOk: true,
    });
  }
  if (a.crossRegionCopy) {
    specs.push({
      key: "snapshot-copy-failed",
      description:
        "Copying the daily snapshot to the recovery region failed. Check the DLM role's use of the destination key (its key policy) and the snapshot quota there.",
      namespace: AWS_METRICS.dlm.namespace,
      metricName: AWS_METRICS.dlm.snapshotsCopiedRegionFailed,
      dimensions: { DLMPolicyId: a.snapshotPolicyId },
      statistic: "Sum",
      period: HOUR,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      notifyOk: false,
    });
  }
  return specs;
}

function pct(f: number): string {
  return `${Math.round(f * 100)}%`;
}
