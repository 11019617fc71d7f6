import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Network } from "./network";
import {
  IMDS_V2_REQUIRED,
  asgTags,
  encryptedRoot,
  instanceRole,
  launchTags,
  metricsPolicy,
} from "./launch";
import { METRIC_NAMESPACE } from "../lib/runtime-contract";
import { NodeScaling, NodeScalingArgs, addNodeScaling } from "./node-scaling";

export interface NodeGroupArgs {
  provider: aws.Provider;
  partition: pulumi.Input<string>;
  network: Network;
  /** The unit key: root volumes are encrypted with it. */
  keyArn: pulumi.Input<string>;
  instanceType: string;
  /** SSM public parameter holding the AMI id (GPU AMI for GPU types). */
  amiParameter: string;
  minSize: number;
  maxSize: number;
  rootVolumeGiB: number;
  /** Livepeer service port (8935): the only port the internet reaches. */
  servicePort: number;
  /** Health agent port the target group checks; reachable only from inside the VPC. */
  healthPort: number;
  healthCheckGracePeriodSeconds: number;
  instanceWarmupSeconds: number;
  minHealthyPercentage: number;
  /**
   * Scheduled actions and target tracking from the capacity plan (lib/sizing/region.ts).
   * Default: none, a static group at minSize.
   */
  scaling?: NodeScalingArgs;
  /**
   * Base64 user data, or a function of the load balancer's DNS name (the nodes' default
   * -serviceAddr), which is created here.
   */
  userData?:
    pulumi.Input<string> | ((lb: { dnsName: pulumi.Output<string> }) => pulumi.Input<string>);
  tags: Record<string, string>;
}

/** Target group health check: the node's own health agent, never the TLS service port. */
export function healthCheck(healthPort: number): aws.types.input.lb.TargetGroupHealthCheck {
  return {
    enabled: true,
    protocol: "HTTP",
    port: String(healthPort),
    path: "/healthz",
    matcher: "200",
    // 10 s x 2 failures takes a broken node out in ~20 s; 3 successes bring it back.
    interval: 10,
    timeout: 5,
    healthyThreshold: 3,
    unhealthyThreshold: 2,
  };
}

/**
 * The orchestrator/transcoder nodes: an ASG across the private subnets behind an internet-facing
 * NLB with one static address per AZ. The ASG trusts the NLB's health checks, rolls launch
 * template changes with an instance refresh, and leaves desired capacity to scaling.
 */
export class NodeGroup extends pulumi.ComponentResource {
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly loadBalancer: aws.lb.LoadBalancer;
  public readonly targetGroup: aws.lb.TargetGroup;
  public readonly launchTemplate: aws.ec2.LaunchTemplate;
  public readonly group: aws.autoscaling.Group;
  public readonly role: aws.iam.Role;
  public readonly scaling?: NodeScaling;
  /** The static public addresses, one per AZ: what the on-chain service URI resolves to. */
  public readonly publicIps: pulumi.Output<string>[];

  constructor(name: string, args: NodeGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:nodes:NodeGroup", name, {}, opts);
    const { provider, network, tags } = args;
    const child = { parent: this, provider };
    const tagged = (n: string) => ({ ...tags, Name: n });

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: network.vpcId,
        description: "Livepeer nodes: service port from anywhere, health port from the VPC",
        tags: tagged(`${name}-sg`),
      },
      child,
    );
    // Standalone rules (not inline) so other components can add rules without a diff fight.
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-service-in`,
      {
        securityGroupId: this.securityGroup.id,
        description: "Livepeer service port from anywhere (NLB preserves client addresses)",
        ipProtocol: "tcp",
        fromPort: args.servicePort,
        toPort: args.servicePort,
        cidrIpv4: "0.0.0.0/0",
      },
      child,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-health-in`,
      {
        securityGroupId: this.securityGroup.id,
        description: "Health agent, from the NLB's addresses inside the VPC",
        ipProtocol: "tcp",
        fromPort: args.healthPort,
        toPort: args.healthPort,
        cidrIpv4: network.cidr,
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-all-out`,
      {
        securityGroupId: this.securityGroup.id,
        description: "Chain proxy, redeemer, release downloads and AWS APIs",
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
      },
      child,
    );

    const lbSg = new aws.ec2.SecurityGroup(
      `${name}-nlb-sg`,
      {
        vpcId: network.vpcId,
        description: "Livepeer NLB: service port from anywhere, to the nodes only",
        ingress: [
          {
            protocol: "tcp",
            fromPort: args.servicePort,
            toPort: args.servicePort,
            cidrBlocks: ["0.0.0.0/0"],
            description: "Livepeer service",
          },
        ],
        egress: [
          {
            protocol: "tcp",
            fromPort: args.servicePort,
            toPort: args.servicePort,
            cidrBlocks: [network.cidr],
            description: "to nodes",
          },
          {
            protocol: "tcp",
            fromPort: args.healthPort,
            toPort: args.healthPort,
            cidrBlocks: [network.cidr],
            description: "health checks",
          },
        ],
        tags: tagged(`${name}-nlb-sg`),
      },
      child,
    );

    const azs = Object.keys(network.subnets);
    const eips = azs.map(
      (az) =>
        new aws.ec2.Eip(
          `${name}-nlb-${az}-eip`,
          { domain: "vpc", tags: tagged(`${name}-nlb-${az}`) },
          child,
        ),
    );
    this.publicIps = eips.map((e) => e.publicIp);
    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-nlb`,
      {
        loadBalancerType: "network",
        internal: false,
        securityGroups: [lbSg.id],
        subnetMappings: azs.map((az, i) => ({
          subnetId: network.subnets[az].publicSubnet.id,
          allocationId: eips[i].allocationId,
        })),
        // Nodes are spread unevenly while scaling; cross-zone keeps each AZ address useful.
        enableCrossZoneLoadBalancing: true,
        tags: tagged(`${name}-nlb`),
      },
      child,
    );
    this.targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: network.vpcId,
        port: args.servicePort,
        protocol: "TCP",
        targetType: "instance",
        healthCheck: healthCheck(args.healthPort),
        // Segments are seconds long: a minute drains in-flight work before a node leaves.
        deregistrationDelay: 60,
        tags: tagged(`${name}-tg`),
      },
      child,
    );
    new aws.lb.Listener(
      `${name}-listener`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: args.servicePort,
        protocol: "TCP",
        defaultActions: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
        tags: tagged(`${name}-listener`),
      },
      child,
    );

    const { role, profile } = instanceRole(name, tags, args.partition, child);
    this.role = role;
    // CurrentSessions for target tracking (health agent, node mode).
    new aws.iam.RolePolicy(
      `${name}-metrics`,
      { role: role.id, policy: JSON.stringify(metricsPolicy(METRIC_NAMESPACE, true)) },
      child,
    );

    const userData =
      typeof args.userData === "function"
        ? args.userData({ dnsName: this.loadBalancer.dnsName })
        : args.userData;
    const ami = aws.ssm.getParameterOutput({ name: args.amiParameter }, { parent: this, provider });
    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        description: "Livepeer orchestrator/transcoder node",
        imageId: ami.value,
        instanceType: args.instanceType,
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: [this.securityGroup.id],
        metadataOptions: IMDS_V2_REQUIRED,
        blockDeviceMappings: encryptedRoot(args.rootVolumeGiB, args.keyArn),
        ebsOptimized: "true",
        monitoring: { enabled: true },
        userData,
        tagSpecifications: launchTags({ ...tagged(`${name}-node`), "livepeer-fleet:role": "node" }),
        updateDefaultVersion: true,
        tags: tagged(`${name}-lt`),
      },
      child,
    );

    this.group = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        vpcZoneIdentifiers: network.privateSubnetIds,
        minSize: args.minSize,
        maxSize: args.maxSize,
        // The initial size only: scaling owns it afterwards (ignoreChanges below).
        desiredCapacity: args.scaling?.initialDesired ?? args.minSize,
        launchTemplate: {
          id: this.launchTemplate.id,
          version: this.launchTemplate.latestVersion.apply(String),
        },
        targetGroupArns: [this.targetGroup.arn],
        // Replace a node the NLB finds unhealthy, not just one whose VM died.
        healthCheckType: "ELB",
        healthCheckGracePeriod: args.healthCheckGracePeriodSeconds,
        instanceRefresh: {
          strategy: "Rolling",
          preferences: {
            minHealthyPercentage: args.minHealthyPercentage,
            instanceWarmup: String(args.instanceWarmupSeconds),
          },
        },
        enabledMetrics: [
          "GroupDesiredCapacity",
          "GroupInServiceInstances",
          "GroupMaxSize",
          "GroupMinSize",
          "GroupPendingInstances",
          "GroupTerminatingInstances",
        ],
        tags: asgTags(tagged(`${name}-asg`)),
      },
      {
        ...child,
        // With a schedule, the scheduled actions own the minimum hour by hour: a deploy at a busy
        // hour must not reset it to the daily floor. The plan's changes show on the actions.
        ignoreChanges: args.scaling?.scheduledActions.length
          ? ["desiredCapacity", "minSize"]
          : ["desiredCapacity"],
      },
    );
    if (args.scaling) {
      this.scaling = addNodeScaling(name, this.group.name, args.scaling, child);
    }

    this.registerOutputs({
      loadBalancerDns: this.loadBalancer.dnsName,
      publicIps: this.publicIps,
      targetGroupArn: this.targetGroup.arn,
      groupName: this.group.name,
    });
  }
}
