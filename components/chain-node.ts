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
  metricsStatements,
  policyDocument,
} from "./launch";
import { CHAIN_BOOT, ROLES, ROLE_METRIC_NAMESPACES, TAGS } from "../lib/runtime-contract";
import type { RegionDesign } from "../lib/design";
import { BundleRef, KeyParameters, chainEnv } from "../lib/runtime/values";
import { renderUserData } from "../lib/userdata";
import { bundleReadStatements } from "./node-files";
import { denyStatementsFor, secretReadPolicy } from "../lib/iam/policies";
import { secretParametersOf } from "../lib/iam/secrets";
import { UnitScope } from "./unit-scope";
import { addEgressRules, chainClientEgress, chainNodeEgress } from "./egress";

/** Tag keys and values the IAM conditions, the boot script and the snapshot policy match on. */
export const UNIT_TAG = TAGS.unit;
export const ROLE_TAG = TAGS.role;
export const SNAPSHOT_TAG = TAGS.snapshot;
export const CHAIN_DATA_ROLE = ROLES.chainData;
export const CHAIN_NODE_ROLE = ROLES.chainNode;

export interface ChainNodeArgs extends UnitScope {
  design: RegionDesign;
  network: Network;
  /**
   * Policy that reads the on-chain orchestrator's keystore and passphrase: attached only in the
   * fleet's home region, whose chain node runs the reward service.
   */
  identityPolicyArn: pulumi.Input<string>;
  /** Policy that reads this region's redeemer keystore and passphrase (the redeemer runs here). */
  redeemerPolicyArn: pulumi.Input<string>;
  /** SSM names of this region's redeemer account (the redeemer unit fetches them). */
  redeemerIdentity: KeyParameters;
  /** SSM names of the orchestrator's key (fetched by the reward service, home region only). */
  orchestratorIdentity: KeyParameters;
  /**
   * Security group of the orchestrators: the only clients of the RPC proxy and the redeemer. The
   * chain node adds both halves of that path: its ingress rules and the clients' egress rules.
   */
  clientSecurityGroupId: pulumi.Input<string>;
  /** The chain kind's node files and the bucket they live in. */
  bundle: pulumi.Input<BundleRef>;
  bucketArn: pulumi.Input<string>;
}

/** What the chain node's own role may do beyond SSM: attach its volume, publish its address. */
export function chainNodePolicy(a: {
  partition: string;
  region: string;
  accountId: string;
  unit: string;
  keyArn: string;
  zoneId: string;
  hostName: string;
}): Record<string, unknown> {
  const ec2 = (r: string) => `arn:${a.partition}:ec2:${a.region}:${a.accountId}:${r}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        // AttachVolume is authorized on the volume and the instance: both must carry this
        // unit's tags, so the node can never take another unit's (or anyone's) volume.
        Sid: "AttachOwnChainDataVolume",
        Effect: "Allow",
        Action: "ec2:AttachVolume",
        Resource: ec2("volume/*"),
        Condition: {
          StringEquals: {
            [`aws:ResourceTag/${UNIT_TAG}`]: a.unit,
            [`aws:ResourceTag/${ROLE_TAG}`]: CHAIN_DATA_ROLE,
          },
        },
      },
      {
        Sid: "AttachToOwnChainInstance",
        Effect: "Allow",
        Action: "ec2:AttachVolume",
        Resource: ec2("instance/*"),
        Condition: {
          StringEquals: {
            [`aws:ResourceTag/${UNIT_TAG}`]: a.unit,
            [`aws:ResourceTag/${ROLE_TAG}`]: CHAIN_NODE_ROLE,
          },
        },
      },
      {
        // DescribeVolumes has no resource-level permissions.
        Sid: "FindVolumeState",
        Effect: "Allow",
        Action: "ec2:DescribeVolumes",
        Resource: "*",
      },
      {
        // Attaching a CMK-encrypted volume makes EC2 create a grant on the caller's behalf.
        Sid: "UseUnitKeyForAttach",
        Effect: "Allow",
        Action: ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey"],
        Resource: a.keyArn,
        Condition: {
          StringEquals: { "kms:ViaService": `ec2.${a.region}.amazonaws.com` },
          Bool: { "kms:GrantIsForAWSResource": "true" },
        },
      },
      {
        Sid: "PublishOwnAddress",
        Effect: "Allow",
        Action: "route53:ChangeResourceRecordSets",
        Resource: `arn:${a.partition}:route53:::hostedzone/${a.zoneId}`,
        Condition: {
          "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [a.hostName],
            "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
          },
        },
      },
      {
        Sid: "WaitForDnsChange",
        Effect: "Allow",
        Action: "route53:GetChange",
        Resource: `arn:${a.partition}:route53:::change/*`,
      },
      {
        // The boot deadline (scripts/node/boot-deadline.sh): a boot that failed marks its own
        // instance Unhealthy so the group replaces it. Authorized on the group (the action's only
        // resource type, with aws:ResourceTag: service authorization reference, Amazon EC2 Auto
        // Scaling): only this unit's chain group, a group of one, so the only instance it can
        // mark is itself. Nothing that detaches a volume or terminates an instance is granted.
        Sid: "ReportOwnBootFailure",
        Effect: "Allow",
        Action: "autoscaling:SetInstanceHealth",
        Resource: `arn:${a.partition}:autoscaling:${a.region}:${a.accountId}:autoScalingGroup:*:autoScalingGroupName/*`,
        Condition: {
          StringEquals: {
            [`aws:ResourceTag/${UNIT_TAG}`]: a.unit,
            [`aws:ResourceTag/${ROLE_TAG}`]: CHAIN_NODE_ROLE,
          },
        },
      },
    ],
  };
}

/**
 * The region's shared chain node: an ASG of exactly one instance pinned to the data volume's AZ.
 * The persistent, protected gp3 data volume outlives instances; each new instance attaches it at
 * boot (IAM allows only volumes tagged for this unit) and publishes its address in a private
 * zone, so nodes keep one stable RPC and redeemer endpoint through replacements. A boot that fails
 * or hangs past its deadline marks the instance Unhealthy and the group replaces it; the new
 * instance waits for the old one to let go of the volume and never takes it from a live node
 * (scripts/node/boot-deadline.sh, attach-data-volume.sh).
 */
export class ChainNode extends pulumi.ComponentResource {
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly dataVolume: aws.ebs.Volume;
  public readonly launchTemplate: aws.ec2.LaunchTemplate;
  public readonly group: aws.autoscaling.Group;
  public readonly role: aws.iam.Role;
  public readonly hostName: string;

  constructor(name: string, args: ChainNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:chain:ChainNode", name, {}, opts);
    const { design: d, network, tags } = args;
    const cn = d.config.chainNode;
    const child = { parent: this };
    const tagged = (n: string) => ({ ...tags, Name: n });
    const subnets = network.subnets[cn.availabilityZone];
    const p2pPort = cn.p2pPort;
    const publicP2p = p2pPort !== undefined;

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: network.vpcId,
        description: "Chain node: RPC proxy and redeemer from the orchestrators only",
        tags: tagged(`${name}-sg`),
      },
      child,
    );
    const fromOrchestrators: [string, number][] = [
      ["rpc", cn.rpcPort],
      ["redeemer", cn.redeemerPort],
    ];
    for (const [what, port] of fromOrchestrators) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-${what}-in`,
        {
          securityGroupId: this.securityGroup.id,
          description: `${what} from the orchestrators`,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          referencedSecurityGroupId: args.clientSecurityGroupId,
        },
        child,
      );
    }
    if (publicP2p) {
      for (const proto of ["tcp", "udp"]) {
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-p2p-${proto}-in`,
          {
            securityGroupId: this.securityGroup.id,
            description: `chain client P2P (${proto}), explicitly configured`,
            ipProtocol: proto,
            fromPort: p2pPort,
            toPort: p2pPort,
            cidrIpv4: "0.0.0.0/0",
          },
          child,
        );
      }
    }
    // Out: only what the node dials (components/egress.ts), and on the orchestrators' group the
    // matching way here to the RPC proxy and the redeemer.
    addEgressRules(name, this.securityGroup.id, chainNodeEgress(cn.client), child);
    addEgressRules(
      name,
      args.clientSecurityGroupId,
      chainClientEgress({
        rpcPort: cn.rpcPort,
        redeemerPort: cn.redeemerPort,
        chainSecurityGroupId: this.securityGroup.id,
      }),
      child,
    );

    this.dataVolume = new aws.ebs.Volume(
      `${name}-data`,
      {
        availabilityZone: `${args.region}${cn.availabilityZone}`,
        type: "gp3",
        size: cn.dataVolume.sizeGiB,
        iops: cn.dataVolume.iops,
        throughput: cn.dataVolume.throughputMiBps,
        // Restore path: the volume starts as a copy of this snapshot instead of empty. Changing it
        // on an existing volume is a replacement, which `protect` below refuses until an operator
        // follows the restore procedure in docs/monitoring.md.
        snapshotId: cn.dataVolume.snapshotId,
        encrypted: true,
        kmsKeyId: args.keyArn,
        tags: {
          ...tagged(`${name}-data`),
          [UNIT_TAG]: args.unit,
          [ROLE_TAG]: CHAIN_DATA_ROLE,
          [SNAPSHOT_TAG]: "daily",
        },
      },
      // Weeks of chain sync and the redeemer's unredeemed tickets live here: never deleted by a
      // refactor, a replacement or a destroy (retainOnDelete keeps it in AWS even when removed
      // from the program).
      { ...child, protect: true, retainOnDelete: true },
    );

    this.hostName = d.chainHost;

    const { role, profile } = instanceRole(name, tags, child);
    this.role = role;
    // The orchestrator key lives in one region: the home region's reward service calls reward.
    if (d.isHomeRegion) {
      new aws.iam.RolePolicyAttachment(
        `${name}-identity`,
        { role: role.name, policyArn: args.identityPolicyArn },
        child,
      );
    }
    new aws.iam.RolePolicyAttachment(
      `${name}-redeemer-identity`,
      { role: role.name, policyArn: args.redeemerPolicyArn },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-deny-secrets`,
      {
        role: role.id,
        policy: pulumi.all([args.partition, args.accountId]).apply(([partition, accountId]) => {
          const deny = denyStatementsFor({
            partition,
            accountId,
            region: args.region,
            kind: "chain-node",
            home: d.isHomeRegion,
            secrets: secretParametersOf(d.config),
          });
          // Never empty: a chain node never reads the orchestrator secret or the watcher's URL.
          if (deny.length === 0) throw new Error("chain node: no secret to deny");
          return policyDocument(deny);
        }),
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-self`,
      {
        role: role.id,
        policy: pulumi
          .all([args.partition, args.accountId, args.keyArn, network.privateZone.zoneId])
          .apply(([partition, accountId, keyArn, zoneId]) =>
            JSON.stringify(
              chainNodePolicy({
                partition,
                region: args.region,
                accountId,
                unit: args.unit,
                keyArn,
                zoneId,
                hostName: this.hostName,
              }),
            ),
          ),
      },
      child,
    );

    // ChainSynced and ChainHeadAgeSeconds for the chain alarms (health agent, chain mode), into
    // the chain node's own namespace only.
    new aws.iam.RolePolicy(
      `${name}-metrics`,
      {
        role: role.id,
        policy: policyDocument(metricsStatements(ROLE_METRIC_NAMESPACES["chain-node"])),
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-node-files`,
      {
        role: role.id,
        policy: pulumi
          .all([args.bucketArn, args.keyArn, args.network.s3Endpoint.id])
          .apply(([bucketArn, keyArn, endpointId]) =>
            policyDocument(
              bundleReadStatements({
                bucketArn,
                kind: "chain",
                keyArn,
                region: args.region,
                endpointId,
              }),
            ),
          ),
      },
      child,
    );

    const endpointsParameter = d.config.nodeRuntime.rpcEndpointsParameter;
    new aws.iam.RolePolicy(
      `${name}-endpoints`,
      {
        role: role.id,
        policy: pulumi
          .all([args.partition, args.accountId, args.keyArn])
          .apply(([partition, accountId, keyArn]) =>
            // The hosted RPC URLs carry API keys: exactly that parameter, decrypted only
            // through SSM and only for its own encryption context.
            JSON.stringify(
              secretReadPolicy({
                partition,
                region: args.region,
                accountId,
                keyArn,
                names: [endpointsParameter],
                sid: "ChainEndpoints",
              }),
            ),
          ),
      },
      child,
    );

    const userData = pulumi
      .all([args.bundle, this.dataVolume.id, network.privateZone.zoneId])
      .apply(
        ([bundle, dataVolumeId, zoneId]) =>
          renderUserData(
            chainEnv(d, {
              bundle,
              dataVolumeId,
              zoneId,
              redeemerIdentity: args.redeemerIdentity,
              orchestratorIdentity: args.orchestratorIdentity,
            }),
          ).base64,
      );
    const instanceTags = {
      ...tagged(`${name}`),
      [UNIT_TAG]: args.unit,
      [ROLE_TAG]: CHAIN_NODE_ROLE,
    };
    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        description: "Livepeer region chain node (chain client, RPC proxy, redeemer)",
        imageId: launchImageId(d.config, cn.instanceType),
        instanceType: cn.instanceType,
        iamInstanceProfile: { arn: profile.arn },
        // A P2P client needs a public address; otherwise the node stays private behind NAT.
        ...(publicP2p
          ? {
              networkInterfaces: [
                {
                  deviceIndex: 0,
                  associatePublicIpAddress: "true",
                  securityGroups: [this.securityGroup.id],
                  deleteOnTermination: "true",
                },
              ],
            }
          : { vpcSecurityGroupIds: [this.securityGroup.id] }),
        metadataOptions: IMDS_V2_REQUIRED,
        blockDeviceMappings: encryptedRoot(cn.rootVolumeGiB, args.keyArn),
        ebsOptimized: "true",
        monitoring: { enabled: true },
        userData,
        tagSpecifications: launchTags(instanceTags),
        updateDefaultVersion: true,
        tags: tagged(`${name}-lt`),
      },
      child,
    );

    this.group = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        // Exactly one, in the volume's AZ: an EBS volume attaches only within its AZ.
        vpcZoneIdentifiers: [publicP2p ? subnets.publicSubnet.id : subnets.privateSubnet.id],
        minSize: 1,
        maxSize: 1,
        desiredCapacity: 1,
        launchTemplate: {
          id: this.launchTemplate.id,
          version: this.launchTemplate.latestVersion.apply(String),
        },
        // EC2 status plus the boot deadline's SetInstanceHealth (CHAIN_BOOT): a boot that fails
        // or hangs is replaced; a running node is never replaced for its chain's sync state.
        healthCheckType: "EC2",
        healthCheckGracePeriod: CHAIN_BOOT.healthCheckGracePeriodSeconds,
        instanceRefresh: {
          strategy: "Rolling",
          // The volume attaches to one instance at a time: the old node must stop first.
          // A failed refresh puts the previous launch template version back (the gate then fails).
          // AWS rolls back only to a numbered version whose AMI is an id, not an SSM alias
          // (userguide/instance-refresh-rollback.html): both hold here (latestVersion, amis pin).
          preferences: { minHealthyPercentage: 0, maxHealthyPercentage: 100, autoRollback: true },
        },
        enabledMetrics: ["GroupInServiceInstances"],
        // The role tag scopes ReportOwnBootFailure to this group (the unit tag is on every group).
        tags: asgTags({ ...tagged(`${name}-asg`), [TAGS.role]: ROLES.chainNode }),
      },
      child,
    );

    this.registerOutputs({
      dataVolumeId: this.dataVolume.id,
      groupName: this.group.name,
      hostName: this.hostName,
    });
  }
}
