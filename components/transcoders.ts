import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { launchImageId } from "../lib/config/amis";
import { Network } from "./network";
import {
  IMDS_V2_REQUIRED,
  asgTags,
  encryptedRoot,
  instanceRole,
  launchTags,
  ownHealthStatements,
  policyDocument,
} from "./launch";
import { denyStatementsFor, secretReadPolicy } from "../lib/iam/policies";
import { secretParametersOf } from "../lib/iam/secrets";
import { bundleReadStatements } from "./node-files";
import { NodeScaling, addNodeScaling, lifecycleHookNames } from "./node-scaling";
import type { RegionDesign } from "../lib/design";
import { ROLES, TAGS } from "../lib/runtime-contract";
import { BundleRef, transcoderEnv } from "../lib/runtime/values";
import { renderUserData } from "../lib/userdata";
import type { UnitTags } from "./unit-scope";

export interface TranscodersArgs {
  design: RegionDesign;
  network: Network;
  partition: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  /** The orchestrators' security group: the only place transcoders connect to in the VPC. */
  orchestratorSecurityGroupId: pulumi.Input<string>;
  bundle: pulumi.Input<BundleRef>;
  bucketArn: pulumi.Input<string>;
  orchSecretParameter: string;
  tags: UnitTags;
}

/**
 * The region's transcoder pool: an autoscaling group of (GPU) instances in private subnets with no
 * inbound rule at all, no chain access, no keys and no identity permissions. Each transcoder dials
 * one orchestrator (its own AZ's) and registers its capacity; orchestrators admit sessions up to
 * the sum of what is registered with them (-maxSessions auto). A transcoder stopped gracefully
 * finishes its in-flight segments first (server/ot_rpc.go runTranscoder); one lost abruptly costs
 * the segments it held (they time out, and timeouts are not retried: core/orchestrator.go
 * RemoteTranscoderManager.Transcode). Health for Auto Scaling is instance-local: EC2 status plus
 * the agent's verdict on the GPU and go-livepeer. Scaling, warm pool or spot, and the lifecycle
 * hooks come from the pool's design (d.pool).
 */

export class Transcoders extends pulumi.ComponentResource {
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly launchTemplate: aws.ec2.LaunchTemplate;
  public readonly group: aws.autoscaling.Group;
  public readonly role: aws.iam.Role;
  public readonly scaling?: NodeScaling;

  constructor(name: string, args: TranscodersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:nodes:Transcoders", name, {}, opts);
    const { design: d, network, tags } = args;
    const c = d.config;
    const s = d.sizing;
    const child = { parent: this };
    const tagged = (n: string) => ({ ...tags, Name: n });

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: network.vpcId,
        description: "Livepeer transcoders: no inbound; out to orchestrators, AWS APIs, packages",
        tags: tagged(`${name}-sg`),
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-orchestrators-out`,
      {
        securityGroupId: this.securityGroup.id,
        description: "Register with and work for the orchestrators (service port)",
        ipProtocol: "tcp",
        fromPort: c.livepeer.servicePort,
        toPort: c.livepeer.servicePort,
        referencedSecurityGroupId: args.orchestratorSecurityGroupId,
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-https-out`,
      {
        securityGroupId: this.securityGroup.id,
        description: "HTTPS: AWS APIs and endpoints, S3 node files, release downloads",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: "0.0.0.0/0",
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-http-out`,
      {
        securityGroupId: this.securityGroup.id,
        description: "HTTP: Ubuntu package archive (apt verifies signatures)",
        ipProtocol: "tcp",
        fromPort: 80,
        toPort: 80,
        cidrIpv4: "0.0.0.0/0",
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-dns-out`,
      {
        securityGroupId: this.securityGroup.id,
        description: "DNS: the VPC resolver",
        ipProtocol: "udp",
        fromPort: 53,
        toPort: 53,
        cidrIpv4: network.cidr,
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-ntp-out`,
      {
        securityGroupId: this.securityGroup.id,
        description: "NTP: the Amazon Time Sync Service",
        ipProtocol: "udp",
        fromPort: 123,
        toPort: 123,
        cidrIpv4: "169.254.169.123/32",
      },
      child,
    );

    const { role, profile } = instanceRole(name, tags, child);
    this.role = role;
    new aws.iam.RolePolicy(
      `${name}-self`,
      {
        role: role.id,
        policy: pulumi
          .all([args.partition, args.accountId, args.keyArn, args.bucketArn, network.s3Endpoint.id])
          .apply(([partition, accountId, keyArn, bucketArn, endpointId]) =>
            policyDocument([
              ...secretReadPolicy({
                partition,
                region: d.region,
                accountId,
                keyArn,
                names: [args.orchSecretParameter],
                sid: "OrchSecret",
              }).Statement,
              // Explicit denies on every other secret: no later allow can override them.
              ...denyStatementsFor({
                partition,
                accountId,
                region: d.region,
                kind: "transcoder",
                home: d.isHomeRegion,
                secrets: secretParametersOf(c),
              }),
              ...bundleReadStatements({
                bucketArn,
                kind: "transcoder",
                keyArn,
                region: d.region,
                endpointId,
              }),
              ...ownHealthStatements(d.stack, ROLES.transcoder),
              ...(d.pool ? [completeLifecycleStatement(d.stack)] : []),
            ]),
          ),
      },
      child,
    );

    const hookNames = lifecycleHookNames(name);
    const userData = pulumi.output(args.bundle).apply(
      (bundle) =>
        renderUserData(
          transcoderEnv(d, {
            bundle,
            orchSecretParameter: args.orchSecretParameter,
            // Only the hooks the group has: with spot there is no launch hook.
            hookNames: Object.fromEntries(
              (d.pool?.design.lifecycleHooks ?? []).map((h) => [h.id, hookNames[h.id]]),
            ),
          }),
        ).base64,
    );
    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        description: `Livepeer transcoder of ${d.stack}`,
        imageId: launchImageId(c, c.nodeGroup.instanceType),
        instanceType: c.nodeGroup.instanceType,
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: [this.securityGroup.id],
        metadataOptions: IMDS_V2_REQUIRED,
        blockDeviceMappings: encryptedRoot(c.nodeGroup.rootVolumeGiB, args.keyArn),
        ebsOptimized: "true",
        monitoring: { enabled: true },
        userData,
        tagSpecifications: launchTags({
          ...tagged(`${name}-node`),
          [TAGS.role]: ROLES.transcoder,
        }),
        updateDefaultVersion: true,
        tags: tagged(`${name}-lt`),
      },
      child,
    );

    // The pool as designed (lib/sizing/pool.ts); without a capacity model for the type, the
    // stack's bounds and no scaling policy.
    const pool = d.pool;
    const template = {
      id: this.launchTemplate.id,
      version: this.launchTemplate.latestVersion.apply(String),
    };
    const mixed = pool?.design.mixedInstancesPolicy;
    this.group = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        vpcZoneIdentifiers: c.nodeGroup.availabilityZones.map(
          (az) => network.subnets[az].privateSubnet.id,
        ),
        // In capacity units: instances, or sessions when spot weights each type by its sessions.
        minSize: pool?.minSize ?? s.minSize,
        maxSize: pool?.maxSize ?? s.maxSize,
        // The initial size only (the planner's busiest hour): scaling owns it afterwards.
        desiredCapacity: pool?.initialDesired ?? s.initialDesired,
        // One of launchTemplate and mixedInstancesPolicy (the provider takes exactly one).
        ...(mixed && pool
          ? {
              mixedInstancesPolicy: {
                instancesDistribution: {
                  ...mixed.instancesDistribution,
                  onDemandBaseCapacity: pool.onDemandBase ?? 0,
                },
                launchTemplate: {
                  launchTemplateSpecification: {
                    launchTemplateId: template.id,
                    version: template.version,
                  },
                  overrides: mixed.overrides,
                },
              },
              // Replace a spot instance EC2 says is at elevated risk before it is interrupted
              // (user guide, "Use Capacity Rebalancing to handle Amazon EC2 Spot interruptions").
              capacityRebalance: mixed.capacityRebalance,
            }
          : { launchTemplate: template }),
        // Stopped transcoders, started in 1-2 minutes instead of booted in 3-6 (no spot only:
        // the design does not combine them, lib/sizing/design.ts).
        ...(pool?.warmPool ? { warmPool: pool.warmPool } : {}),
        // Instance-local health only: EC2 status plus the agent's SetInstanceHealth for a dead
        // GPU or go-livepeer. Nothing about the chain or an orchestrator can replace the pool.
        healthCheckType: "EC2",
        healthCheckGracePeriod: c.nodeGroup.healthCheckGracePeriodSeconds,
        instanceRefresh: {
          strategy: "Rolling",
          preferences: {
            minHealthyPercentage: c.nodeGroup.minHealthyPercentage,
            instanceWarmup: String(c.nodeGroup.instanceWarmupSeconds),
            // A failed refresh puts the previous launch template version back: AWS rolls back only
            // to a numbered version whose AMI is an id, not an SSM alias
            // (userguide/instance-refresh-rollback.html); both hold (latestVersion, amis pin).
            autoRollback: true,
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
        tags: asgTags({ ...tagged(`${name}-asg`), [TAGS.role]: ROLES.transcoder }),
      },
      // Predictive scaling and target tracking own the desired count after creation.
      { ...child, ignoreChanges: ["desiredCapacity"] },
    );
    if (pool) {
      this.scaling = addNodeScaling(name, this.group.name, { pool, hookNames }, child);
    }

    this.registerOutputs({ groupName: this.group.name });
  }
}

/**
 * The instance's own lifecycle actions: the lifecycle agent completes the launch hook once the
 * transcoder is registered and the drain hook once it has stopped it (scripts/node/
 * transcoder-lifecycle.py). Scoped like SetInstanceHealth: the unit's transcoder group only, by
 * its unit and role tags.
 */
function completeLifecycleStatement(unit: string): Record<string, unknown> {
  return {
    Sid: "CompleteOwnLifecycleActions",
    Effect: "Allow",
    Action: "autoscaling:CompleteLifecycleAction",
    Resource: "*",
    Condition: {
      StringEquals: {
        [`aws:ResourceTag/${TAGS.unit}`]: unit,
        [`aws:ResourceTag/${TAGS.role}`]: ROLES.transcoder,
      },
    },
  };
}
