import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { RegionDesign } from "../lib/design";
import { ampWorkspaceArn, metricsTarget } from "../lib/runtime/metrics";
import { remoteWriteStatement } from "../lib/iam/policies";
import { policyDocument } from "./launch";
import type { Network } from "./network";
import type { UnitTags } from "./unit-scope";

export interface NodeMetricsArgs {
  design: RegionDesign;
  network: Network;
  partition: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  /**
   * The roles whose instances run the metrics agent (each orchestrator slot's, the transcoders'),
   * keyed by a stable id that names their policy (the slot letter, "transcoders").
   */
  writers: Record<string, aws.iam.Role>;
  tags: UnitTags;
}

/**
 * What a region unit adds so its nodes' Prometheus agents can write into the fleet's AMP workspace
 * (scripts/node/metrics-setup.sh runs them): aps:RemoteWrite on that one workspace for each
 * writer role and, when the workspace is in this region, AMP's interface endpoint so the writes
 * stay inside the VPC. A fleet whose store is a configured URL needs neither: nothing is created.
 */
export class NodeMetrics extends pulumi.ComponentResource {
  public readonly endpoint?: aws.ec2.VpcEndpoint;

  constructor(name: string, args: NodeMetricsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:metrics:NodeMetrics", name, {}, opts);
    const { design: d, network, tags } = args;
    const child = { parent: this };
    const tagged = (n: string) => ({ ...tags, Name: n });
    const t = metricsTarget(d.fleet.metrics, d.fleet.homeRegion, d.region);
    const amp = t.amp;

    if (amp) {
      const arn = pulumi.all([args.partition, args.accountId]).apply(([partition, accountId]) =>
        ampWorkspaceArn({
          partition,
          region: amp.region,
          accountId,
          workspaceId: amp.workspaceId,
        }),
      );
      for (const [id, role] of Object.entries(args.writers)) {
        new aws.iam.RolePolicy(
          `${name}-${id}-remote-write`,
          { role: role.id, policy: arn.apply((a) => policyDocument([remoteWriteStatement(a)])) },
          child,
        );
      }
    }

    if (t.vpcEndpoint) {
      const sg = new aws.ec2.SecurityGroup(
        `${name}-endpoint-sg`,
        {
          vpcId: network.vpcId,
          description: "HTTPS from inside the VPC to the AMP remote-write endpoint",
          ingress: [
            {
              protocol: "tcp",
              fromPort: 443,
              toPort: 443,
              cidrBlocks: [network.cidr],
              description: "VPC",
            },
          ],
          egress: [],
          tags: tagged(`${name}-endpoint-sg`),
        },
        child,
      );
      // Private DNS makes aps-workspaces.<region>.amazonaws.com resolve to the endpoint inside the
      // VPC (AMP User Guide, "Using Amazon Managed Service for Prometheus with interface VPC
      // endpoints"): the agents keep the public URL and their traffic never leaves the VPC.
      this.endpoint = new aws.ec2.VpcEndpoint(
        `${name}-aps-endpoint`,
        {
          vpcId: network.vpcId,
          serviceName: `com.amazonaws.${d.region}.aps-workspaces`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: network.privateSubnetIds,
          securityGroupIds: [sg.id],
          tags: tagged(`${name}-aps-endpoint`),
        },
        child,
      );
    }

    this.registerOutputs({ endpointId: this.endpoint?.id });
  }
}
