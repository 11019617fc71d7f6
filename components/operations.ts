import * as pulumi from "@pulumi/pulumi";
import { RegionConfig } from "../lib/config/schema";
import { Snapshots } from "./snapshots";
import { ChainRestart } from "./chain-restart";
import { MaintenanceEvents } from "./maintenance-events";
import { RewardWatcher } from "./reward-watcher";
import { Alarms } from "./alarms";
import { Dashboard } from "./dashboard";
import { UnitScope } from "./unit-scope";
import { secretParametersOf } from "../lib/iam/secrets";

export interface OperationsArgs extends UnitScope {
  /**
   * UTC hour of the nightly restart and the daily snapshot: the region's lowest-demand hour from
   * the demand planner when it has one, else `maintenance.hourUtc` from config.
   */
  maintenanceHourUtc: number;
  config: Pick<
    RegionConfig,
    | "maintenance"
    | "snapshots"
    | "rewardWatcher"
    | "alarms"
    | "livepeer"
    | "nodeRuntime"
    | "identity"
  >;
  /** The discovery NLB, its target group and the transcoder pool: alarms and the dashboard. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  targetGroupArnSuffix: pulumi.Input<string>;
  nodeGroupName: pulumi.Input<string>;
  /** The orchestrator slots' AZ letters (their metrics' Orchestrator dimension). */
  orchestrators: string[];
  nodeGroupMaxSize: number;
}

/**
 * Keeping a region unit healthy without a human: daily snapshots, the nightly chain restart and
 * its history, the reward watcher, the alarms with their SNS topic, and the dashboard.
 */
export class Operations extends pulumi.ComponentResource {
  public readonly snapshots: Snapshots;
  public readonly chainRestart: ChainRestart;
  public readonly events: MaintenanceEvents;
  public readonly watcher: RewardWatcher;
  public readonly alarms: Alarms;
  public readonly dashboard: Dashboard;

  constructor(name: string, args: OperationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:operations:Operations", name, {}, opts);
    const { region, accountId, partition, unit, keyArn, tags, config: c } = args;
    const base = { region, accountId, partition, unit, keyArn, tags };
    // The unit's secrets: the watcher and DLM roles are denied every one they do not read.
    const secrets = secretParametersOf(c);

    this.snapshots = new Snapshots(
      `${name}-snapshots`,
      {
        ...base,
        maintenanceHourUtc: args.maintenanceHourUtc,
        retainCount: c.snapshots.retainCount,
        crossRegionCopy: c.snapshots.crossRegionCopy,
        secrets,
      },
      { parent: this },
    );
    this.chainRestart = new ChainRestart(
      `${name}-restart`,
      {
        unit,
        maintenanceHourUtc: args.maintenanceHourUtc,
        syncTimeoutMinutes: c.maintenance.restartSyncTimeoutMinutes,
        tags,
      },
      { parent: this },
    );
    this.events = new MaintenanceEvents(
      `${name}-events`,
      {
        accountId,
        unit,
        keyArn,
        windowId: this.chainRestart.windowId,
        snapshotPolicyArn: this.snapshots.policy.arn,
        tags,
      },
      { parent: this },
    );
    const w = c.rewardWatcher;
    const a = c.alarms;
    const thresholds = {
      rewardNotCalledRoundFraction: a.rewardNotCalledRoundFraction,
      roundNotInitializedBlocks: a.roundNotInitializedBlocks,
      minGasBalanceEth: a.minGasBalanceEth,
    };
    this.watcher = new RewardWatcher(
      `${name}-watcher`,
      {
        ...base,
        scheduleMinutes: w.scheduleMinutes,
        secrets,
        watcher: {
          rpcUrlParameter: w.rpcUrlParameter,
          controller: w.controllerAddress,
          orchestrator: c.livepeer.orchestratorAddress,
          gasAccounts: w.gasAccounts,
          chainId: w.chainId,
          logChunkBlocks: w.logChunkBlocks,
          thresholds,
        },
      },
      { parent: this },
    );
    this.alarms = new Alarms(
      `${name}-alarms`,
      {
        keyArn,
        subscriptions: a.subscriptions,
        inputs: {
          unit,
          loadBalancer: args.loadBalancerArnSuffix,
          targetGroup: args.targetGroupArnSuffix,
          nodeGroupName: args.nodeGroupName,
          nodeGroupMaxSize: args.nodeGroupMaxSize,
          snapshotPolicyId: this.snapshots.policyId,
          crossRegionCopy: c.snapshots.crossRegionCopy !== undefined,
          restartFailedRule: this.events.restartFailedRule.name,
          snapshotPolicyErrorRule: this.events.snapshotPolicyErrorRule.name,
          watcherScheduleMinutes: w.scheduleMinutes,
          thresholds: {
            ...thresholds,
            minHealthyTargets: a.minHealthyTargets,
            chainHeadMaxAgeSeconds: a.chainHeadMaxAgeSeconds,
            chainLagMinutes: a.chainLagMinutes,
            nodeGroupAtMaxMinutes: a.nodeGroupAtMaxMinutes,
          },
        },
        tags,
      },
      { parent: this },
    );
    this.dashboard = new Dashboard(
      `${name}-dashboard`,
      {
        refs: {
          unit,
          region,
          loadBalancer: args.loadBalancerArnSuffix,
          targetGroup: args.targetGroupArnSuffix,
          nodeGroupName: args.nodeGroupName,
          orchestrators: args.orchestrators,
          snapshotPolicyId: this.snapshots.policyId,
          crossRegionCopy: c.snapshots.crossRegionCopy !== undefined,
          restartSucceededRule: this.events.restartSucceededRule.name,
          restartFailedRule: this.events.restartFailedRule.name,
          maintenanceLogGroup: this.events.logGroup.name,
          watcherFunctionName: this.watcher.function.name,
          alarmArns: Object.values(this.alarms.alarms).map((x) => x.arn),
          thresholds: {
            rewardNotCalledRoundFraction: a.rewardNotCalledRoundFraction,
            minGasBalanceEth: a.minGasBalanceEth,
            minHealthyTargets: a.minHealthyTargets,
            chainHeadMaxAgeSeconds: a.chainHeadMaxAgeSeconds,
          },
        },
      },
      { parent: this },
    );

    this.registerOutputs({
      alarmTopicArn: this.alarms.topic.arn,
      dashboardName: this.dashboard.dashboard.dashboardName,
      snapshotPolicyId: this.snapshots.policyId,
      watcherFunction: this.watcher.function.name,
    });
  }
}
