import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { DashboardRefs, dashboardBody } from "../lib/monitoring/dashboard";

/** DashboardRefs with resource names as Pulumi inputs (the component resolves them). */
export type DashboardInputs = {
  [K in keyof DashboardRefs]: DashboardRefs[K] extends string
    ? pulumi.Input<string>
    : DashboardRefs[K] extends string[]
      ? pulumi.Input<string>[]
      : DashboardRefs[K];
} & { unit: string };

export interface DashboardArgs {
  refs: DashboardInputs;
}

/**
 * The region unit's CloudWatch dashboard: sessions, healthy targets, node count against the
 * schedule, chain head lag, reward status, ETH balance, restart and snapshot history, alarms.
 */
export class Dashboard extends pulumi.ComponentResource {
  public readonly dashboard: aws.cloudwatch.Dashboard;

  constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:watching:Dashboard", name, {}, opts);
    const { alarmArns, ...rest } = args.refs;
    const body = pulumi
      .all([pulumi.output(rest), pulumi.all(alarmArns)])
      .apply(([r, arns]) => JSON.stringify(dashboardBody({ ...r, alarmArns: arns })));
    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      { dashboardName: `livepeer-fleet-${args.refs.unit}`, dashboardBody: body },
      { parent: this },
    );
    this.registerOutputs({ dashboardName: this.dashboard.dashboardName });
  }
}
