// The region unit's CloudWatch dashboard body. Pure: the component resolves the resource names and
// passes plain strings. Every metric comes from lib/runtime-contract.ts or lib/monitoring/aws-metrics.ts.
import {
  NODE_METRICS,
  ROLE_METRIC_NAMESPACES,
  ORCHESTRATOR_DIMENSION,
  UNIT_DIMENSION,
  WATCHER_METRICS,
} from "../runtime-contract";
import { AWS_METRICS } from "./aws-metrics";

export interface DashboardRefs {
  unit: string;
  region: string;
  loadBalancer: string;
  targetGroup: string;
  /** The transcoder pool's group. */
  nodeGroupName: string;
  /** The orchestrator slots' AZ letters (their metrics' Orchestrator dimension). */
  orchestrators: string[];
  snapshotPolicyId: string;
  crossRegionCopy: boolean;
  restartSucceededRule: string;
  restartFailedRule: string;
  maintenanceLogGroup: string;
  watcherFunctionName: string;
  alarmArns: string[];
  thresholds: {
    rewardNotCalledRoundFraction: number;
    minGasBalanceEth: number;
    minHealthyTargets: number;
    chainHeadMaxAgeSeconds: number;
  };
}

/** [namespace, metric, dimension name, value, ..., options]: CloudWatch's metric row format. */
export type MetricRow = (string | Record<string, unknown>)[];

interface Widget {
  type: "metric" | "log" | "alarm" | "text";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

const W = 8;
const H = 6;

export function dashboardBody(r: DashboardRefs): { widgets: Widget[] } {
  const unit = [UNIT_DIMENSION, r.unit];
  // Each publisher's metrics live in its own namespace (ROLE_METRIC_NAMESPACES).
  const of =
    (namespace: string) =>
    (name: string, opts: Record<string, unknown>): MetricRow => [namespace, name, ...unit, opts];
  const chain = of(ROLE_METRIC_NAMESPACES["chain-node"]);
  const watcher = of(ROLE_METRIC_NAMESPACES["reward-watcher"]);
  const nlb = ["LoadBalancer", r.loadBalancer, "TargetGroup", r.targetGroup];
  const asg = ["AutoScalingGroupName", r.nodeGroupName];
  const dlm = ["DLMPolicyId", r.snapshotPolicyId];
  const line = (value: number, label: string) => ({ horizontal: [{ value, label }] });

  const graphs: { title: string; metrics: MetricRow[]; extra?: Record<string, unknown> }[] = [
    {
      title: "Sessions and capacity per orchestrator",
      metrics: [
        ...r.orchestrators.flatMap((o): MetricRow[] => [
          [
            ROLE_METRIC_NAMESPACES.orchestrator,
            NODE_METRICS.currentSessions,
            ...unit,
            ORCHESTRATOR_DIMENSION,
            o,
            { stat: "Average", label: `${o}: sessions` },
          ],
          [
            ROLE_METRIC_NAMESPACES.orchestrator,
            NODE_METRICS.maxSessions,
            ...unit,
            ORCHESTRATOR_DIMENSION,
            o,
            { stat: "Average", label: `${o}: capacity (transcoders' sessions)` },
          ],
        ]),
        [
          AWS_METRICS.nlb.namespace,
          AWS_METRICS.nlb.activeFlowCount,
          ...nlb.slice(0, 2),
          { stat: "Average", label: "NLB active flows", yAxis: "right" },
        ],
      ],
    },
    {
      title: "Healthy targets",
      metrics: [
        [
          AWS_METRICS.nlb.namespace,
          AWS_METRICS.nlb.healthyHostCount,
          ...nlb,
          { stat: "Minimum", label: "healthy" },
        ],
        [
          AWS_METRICS.nlb.namespace,
          AWS_METRICS.nlb.unHealthyHostCount,
          ...nlb,
          { stat: "Maximum", label: "unhealthy" },
        ],
      ],
      extra: { annotations: line(r.thresholds.minHealthyTargets, "minimum healthy") },
    },
    {
      title: "Transcoder count vs schedule",
      metrics: [
        [
          AWS_METRICS.autoScaling.namespace,
          AWS_METRICS.autoScaling.groupInServiceInstances,
          ...asg,
          { stat: "Average", label: "in service" },
        ],
        [
          AWS_METRICS.autoScaling.namespace,
          AWS_METRICS.autoScaling.groupDesiredCapacity,
          ...asg,
          { stat: "Average", label: "desired" },
        ],
        [
          AWS_METRICS.autoScaling.namespace,
          AWS_METRICS.autoScaling.groupMinSize,
          ...asg,
          { stat: "Average", label: "min (schedule)" },
        ],
        [
          AWS_METRICS.autoScaling.namespace,
          AWS_METRICS.autoScaling.groupMaxSize,
          ...asg,
          { stat: "Average", label: "max" },
        ],
      ],
    },
    {
      title: "Chain head lag",
      metrics: [
        chain(NODE_METRICS.chainHeadAgeSeconds, { stat: "Maximum", label: "head age (s)" }),
        chain(NODE_METRICS.chainSynced, { stat: "Minimum", label: "synced (1/0)", yAxis: "right" }),
      ],
      extra: { annotations: line(r.thresholds.chainHeadMaxAgeSeconds, "lagging") },
    },
    {
      title: "Reward status",
      metrics: [
        watcher(WATCHER_METRICS.rewardPendingFraction, {
          stat: "Maximum",
          label: "round fraction with reward due",
        }),
        watcher(WATCHER_METRICS.roundProgress, { stat: "Maximum", label: "round progress" }),
        watcher(WATCHER_METRICS.rewardCalled, { stat: "Minimum", label: "reward called (1/0)" }),
        watcher(WATCHER_METRICS.orchestratorActive, { stat: "Minimum", label: "active (1/0)" }),
      ],
      extra: { annotations: line(r.thresholds.rewardNotCalledRoundFraction, "reward late") },
    },
    {
      title: "Rounds",
      metrics: [
        watcher(WATCHER_METRICS.currentRound, { stat: "Maximum", label: "current round" }),
        watcher(WATCHER_METRICS.lastRewardRound, { stat: "Maximum", label: "last reward round" }),
        watcher(WATCHER_METRICS.uninitializedBlocks, {
          stat: "Maximum",
          label: "L1 blocks uninitialized",
          yAxis: "right",
        }),
      ],
    },
    {
      title: "ETH balance (lowest gas account)",
      metrics: [watcher(WATCHER_METRICS.gasBalanceEth, { stat: "Minimum", label: "ETH" })],
      extra: { annotations: line(r.thresholds.minGasBalanceEth, "minimum") },
    },
    {
      title: "Restart and snapshot history (per day)",
      metrics: [
        [
          AWS_METRICS.events.namespace,
          AWS_METRICS.events.triggeredRules,
          "RuleName",
          r.restartSucceededRule,
          { stat: "Sum", label: "restart ok" },
        ],
        [
          AWS_METRICS.events.namespace,
          AWS_METRICS.events.triggeredRules,
          "RuleName",
          r.restartFailedRule,
          { stat: "Sum", label: "restart failed" },
        ],
        [
          AWS_METRICS.dlm.namespace,
          AWS_METRICS.dlm.snapshotsCreateCompleted,
          ...dlm,
          { stat: "Sum", label: "snapshots ok" },
        ],
        [
          AWS_METRICS.dlm.namespace,
          AWS_METRICS.dlm.snapshotsCreateFailed,
          ...dlm,
          { stat: "Sum", label: "snapshots failed" },
        ],
        ...(r.crossRegionCopy
          ? [
              [
                AWS_METRICS.dlm.namespace,
                AWS_METRICS.dlm.snapshotsCopiedRegionCompleted,
                ...dlm,
                { stat: "Sum", label: "copies ok" },
              ],
              [
                AWS_METRICS.dlm.namespace,
                AWS_METRICS.dlm.snapshotsCopiedRegionFailed,
                ...dlm,
                { stat: "Sum", label: "copies failed" },
              ],
            ]
          : []),
      ],
      // One point per day: each bar of the line is one night.
      extra: { period: 86400 },
    },
    {
      title: "Reward watcher runs",
      metrics: [
        watcher(WATCHER_METRICS.heartbeat, { stat: "Sum", label: "chain read" }),
        watcher(WATCHER_METRICS.chainReadFailed, { stat: "Sum", label: "chain read failed" }),
        [
          AWS_METRICS.lambda.namespace,
          AWS_METRICS.lambda.errors,
          "FunctionName",
          r.watcherFunctionName,
          { stat: "Sum", label: "function errors" },
        ],
      ],
    },
  ];

  const widgets: Widget[] = graphs.map((g, i) => ({
    type: "metric",
    x: (i % 3) * W,
    y: Math.floor(i / 3) * H,
    width: W,
    height: H,
    properties: {
      title: g.title,
      region: r.region,
      view: "timeSeries",
      stacked: false,
      period: 300,
      metrics: g.metrics,
      ...g.extra,
    },
  }));
  const below = Math.ceil(graphs.length / 3) * H;
  widgets.push(
    {
      type: "log",
      x: 0,
      y: below,
      width: 16,
      height: H,
      properties: {
        title: "Maintenance events (restarts, snapshot policy errors)",
        region: r.region,
        view: "table",
        query: `SOURCE '${r.maintenanceLogGroup}' | fields @timestamp, source, detail.status, detail.state, detail.cause | sort @timestamp desc | limit 50`,
      },
    },
    {
      type: "alarm",
      x: 16,
      y: below,
      width: 8,
      height: H,
      properties: { title: "Alarms", alarms: r.alarmArns },
    },
  );
  return { widgets };
}

/** Every metric row in a body, for checks. */
export function metricRows(body: { widgets: Widget[] }): MetricRow[] {
  return body.widgets.flatMap((w) =>
    w.type === "metric" ? (w.properties.metrics as MetricRow[]) : [],
  );
}
