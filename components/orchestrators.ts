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
  ownHealthStatements,
  policyDocument,
} from "./launch";
import { denyStatementsFor, secretReadPolicy } from "../lib/iam/policies";
import { secretParametersOf } from "../lib/iam/secrets";
import { bundleReadStatements } from "./node-files";
import type { RegionDesign } from "../lib/design";
import { ROLES, ROLE_METRIC_NAMESPACES, TAGS } from "../lib/runtime-contract";
import { BundleRef, orchestratorEnv } from "../lib/runtime/values";
import { renderUserData } from "../lib/userdata";
import type { UnitTags } from "./unit-scope";
import { DeployGate } from "./deploy-gate";
import { addEgressRules, orchestratorEgress } from "./egress";

export interface OrchestratorsArgs {
  design: RegionDesign;
  network: Network;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  keyArn: pulumi.Input<string>;
  /** The unit's private zone: each orchestrator publishes o-<letter>.<zone> there at boot. */
  zoneId: pulumi.Input<string>;
  /** The discovery target group every slot registers with. */
  targetGroupArn: pulumi.Input<string>;
  /** The orchestrator kind's node files and the bucket they live in. */
  bundle: pulumi.Input<BundleRef>;
  bucketArn: pulumi.Input<string>;
  orchSecretParameter: string;
  /**
   * Roll the slots one at a time: each slot's group waits for the previous slot's gate (its
   * instance refresh done and its new instance healthy in discovery). Without it every slot's
   * refresh starts at once (the provider starts a refresh on every launch template change, and
   * each slot's template carries the same bundle version), taking the whole region out of
   * discovery. Undefined: the deploy gate is off.
   */
  rollout?: { timeoutSeconds: number };
  tags: UnitTags;
}

/** One slot: its own address, instance group and (with a fleet zone) public name. */
export interface OrchestratorSlotResources {
  az: string;
  eip: aws.ec2.Eip;
  role: aws.iam.Role;
  launchTemplate: aws.ec2.LaunchTemplate;
  group: aws.autoscaling.Group;
  /** -serviceAddr host:port, as the instance renders it. */
  serviceAddr: pulumi.Output<string>;
  publicRecord?: aws.route53.Record;
}

/** What a slot's instance may do beyond Session Manager: take its address, publish its name. */
export function orchestratorSlotStatements(a: {
  partition: string;
  region: string;
  accountId: string;
  unit: string;
  az: string;
  zoneId: string;
  privateName: string;
}): Record<string, unknown>[] {
  const ec2 = (r: string) => `arn:${a.partition}:ec2:${a.region}:${a.accountId}:${r}`;
  const own = {
    [`aws:ResourceTag/${TAGS.unit}`]: a.unit,
    [`aws:ResourceTag/${TAGS.role}`]: ROLES.orchestrator,
    [`aws:ResourceTag/${TAGS.slot}`]: a.az,
  };
  return [
    {
      // AssociateAddress is authorized on the address and on the instance (and, per the Service
      // Authorization Reference's resource list for the action, possibly on the network
      // interface): each must be this slot's, so an instance can never take another slot's (or
      // anyone's) address. The launch template tags the interface like the instance.
      Sid: "TakeOwnElasticIp",
      Effect: "Allow",
      Action: "ec2:AssociateAddress",
      Resource: [ec2("elastic-ip/*"), ec2("instance/*"), ec2("network-interface/*")],
      Condition: { StringEquals: own },
    },
    {
      Sid: "PublishOwnPrivateName",
      Effect: "Allow",
      Action: "route53:ChangeResourceRecordSets",
      Resource: `arn:${a.partition}:route53:::hostedzone/${a.zoneId}`,
      Condition: {
        "ForAllValues:StringEquals": {
          "route53:ChangeResourceRecordSetsNormalizedRecordNames": [a.privateName],
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
  ];
}

/**
 * The orchestrator tier: one slot per configured AZ, each an Auto Scaling group of exactly one
 * instance in that AZ's public subnet with its own Elastic IP (protected, kept on delete: the
 * address is the slot's identity on the internet). go-livepeer runs `-orchestrator -maxSessions
 * auto` and advertises the slot's own name, so a gateway that discovered it through the NLB sends
 * its segments straight to the process that issued its auth token and ticket parameters.
 * Health for Auto Scaling is instance-local (EC2 status plus the agent's own verdict): a chain
 * outage takes an orchestrator out of discovery, never out of service.
 */
export class Orchestrators extends pulumi.ComponentResource {
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly slots: OrchestratorSlotResources[];
  /** Each slot's rollout gate, in slot order (none when the deploy gate is off). */
  public readonly slotGates: DeployGate[] = [];

  constructor(name: string, args: OrchestratorsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:nodes:Orchestrators", name, {}, opts);
    const { design: d, network, tags } = args;
    const c = d.config;
    const child = { parent: this };
    const tagged = (n: string) => ({ ...tags, Name: n });

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: network.vpcId,
        description: "Livepeer orchestrators: service port from anywhere, health port from the VPC",
        tags: tagged(`${name}-sg`),
      },
      child,
    );
    // Standalone rules (not inline) so other components can add rules without a diff fight.
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-service-in`,
      {
        securityGroupId: this.securityGroup.id,
        description:
          "Livepeer service port: gateways (discovery via the NLB, which keeps client addresses, and segments direct), transcoders",
        ipProtocol: "tcp",
        fromPort: c.livepeer.servicePort,
        toPort: c.livepeer.servicePort,
        cidrIpv4: "0.0.0.0/0",
      },
      child,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-health-in`,
      {
        securityGroupId: this.securityGroup.id,
        description: "Health agent, from the NLB addresses inside the VPC",
        ipProtocol: "tcp",
        fromPort: c.livepeer.healthPort,
        toPort: c.livepeer.healthPort,
        cidrIpv4: network.cidr,
      },
      child,
    );
    // Out: only what an orchestrator dials (components/egress.ts). Its way to the chain node's
    // RPC proxy and redeemer is added by the chain node, whose group exists after this one.
    addEgressRules(name, this.securityGroup.id, orchestratorEgress(), child);

    let previousGate: DeployGate | undefined;
    this.slots = d.orchestrators.map((slot) => {
      const n = `${name}-${slot.az}`;
      const slotTags = {
        [TAGS.unit]: d.stack,
        [TAGS.role]: ROLES.orchestrator,
        [TAGS.slot]: slot.az,
      };
      const eip = new aws.ec2.Eip(
        `${n}-eip`,
        { domain: "vpc", tags: { ...tagged(`${n}-eip`), ...slotTags } },
        // Gateways and the on-chain record reach the slot at this address: never released by a
        // refactor, a replacement or a destroy.
        { ...child, protect: true, retainOnDelete: true },
      );
      const { role, profile } = instanceRole(n, tags, child);
      new aws.iam.RolePolicy(
        `${n}-self`,
        {
          role: role.id,
          policy: pulumi
            .all([
              args.partition,
              args.accountId,
              args.keyArn,
              args.zoneId,
              args.bucketArn,
              network.s3Endpoint.id,
            ])
            .apply(([partition, accountId, keyArn, zoneId, bucketArn, endpointId]) =>
              policyDocument([
                ...orchestratorSlotStatements({
                  partition,
                  region: d.region,
                  accountId,
                  unit: d.stack,
                  az: slot.az,
                  zoneId,
                  privateName: slot.privateName,
                }),
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
                  kind: "orchestrator",
                  home: d.isHomeRegion,
                  secrets: secretParametersOf(c),
                }),
                ...bundleReadStatements({
                  bucketArn,
                  kind: "orchestrator",
                  keyArn,
                  region: d.region,
                  endpointId,
                }),
                ...metricsStatements(ROLE_METRIC_NAMESPACES.orchestrator),
                ...ownHealthStatements(d.stack, ROLES.orchestrator),
              ]),
            ),
        },
        child,
      );

      const serviceAddr = pulumi
        .output(eip.publicDns)
        .apply((dns) => `${slot.publicName ?? dns}:${c.livepeer.servicePort}`);
      const userData = pulumi
        .all([args.bundle, eip.allocationId, eip.publicDns, args.zoneId])
        .apply(
          ([bundle, allocationId, publicDns, zoneId]) =>
            renderUserData(
              orchestratorEnv(d, slot.az, {
                bundle,
                allocationId,
                publicDns,
                zoneId,
                orchSecretParameter: args.orchSecretParameter,
              }),
            ).base64,
        );
      const launchTemplate = new aws.ec2.LaunchTemplate(
        `${n}-lt`,
        {
          description: `Livepeer orchestrator ${slot.az} of ${d.stack}`,
          imageId: launchImageId(c, c.orchestrators.instanceType),
          instanceType: c.orchestrators.instanceType,
          iamInstanceProfile: { arn: profile.arn },
          networkInterfaces: [
            {
              deviceIndex: 0,
              // A public address from launch, so the instance can reach the EC2 API to take its
              // Elastic IP (which then replaces this one); the subnet itself maps none.
              associatePublicIpAddress: "true",
              securityGroups: [this.securityGroup.id],
              deleteOnTermination: "true",
            },
          ],
          metadataOptions: IMDS_V2_REQUIRED,
          blockDeviceMappings: encryptedRoot(c.orchestrators.rootVolumeGiB, args.keyArn),
          ebsOptimized: "true",
          monitoring: { enabled: true },
          userData,
          tagSpecifications: launchTags({ ...tagged(n), ...slotTags }, ["network-interface"]),
          updateDefaultVersion: true,
          tags: tagged(`${n}-lt`),
        },
        child,
      );
      const group = new aws.autoscaling.Group(
        `${n}-asg`,
        {
          // Exactly one, in this slot's AZ: its address and name belong to the AZ's slot.
          vpcZoneIdentifiers: [network.subnets[slot.az].publicSubnet.id],
          minSize: 1,
          maxSize: 1,
          desiredCapacity: 1,
          launchTemplate: {
            id: launchTemplate.id,
            version: launchTemplate.latestVersion.apply(String),
          },
          targetGroupArns: [args.targetGroupArn],
          // Instance-local health only (EC2 status + the agent's SetInstanceHealth for a local
          // fault): a chain outage fails target health, which must never replace the fleet.
          healthCheckType: "EC2",
          healthCheckGracePeriod: c.nodeGroup.healthCheckGracePeriodSeconds,
          instanceRefresh: {
            strategy: "Rolling",
            // One instance per slot: the old one stops first; the other slots keep serving.
            // A failed refresh puts the previous launch template version back (the gate then fails).
            // AWS rolls back only to a numbered version whose AMI is an id, not an SSM alias
            // (userguide/instance-refresh-rollback.html): both hold here (latestVersion, amis pin).
            preferences: { minHealthyPercentage: 0, maxHealthyPercentage: 100, autoRollback: true },
          },
          enabledMetrics: ["GroupInServiceInstances"],
          tags: asgTags({
            ...tagged(`${n}-asg`),
            [TAGS.unit]: d.stack,
            [TAGS.role]: ROLES.orchestrator,
          }),
        },
        // One slot at a time: this group changes (and starts its refresh) only once the previous
        // slot's new instance is healthy in discovery.
        { ...child, dependsOn: previousGate ? [previousGate.command] : [] },
      );
      if (args.rollout) {
        previousGate = new DeployGate(
          `${n}-gate`,
          {
            region: d.region,
            targetGroupArn: args.targetGroupArn,
            expectedHealthy: 1,
            timeoutSeconds: args.rollout.timeoutSeconds,
            rollouts: [
              {
                groupName: group.name,
                launchTemplateId: launchTemplate.id,
                launchTemplateVersion: launchTemplate.latestVersion,
                inTargetGroup: true,
                expectedInService: 1,
              },
            ],
            triggers: [launchTemplate.latestVersion],
            dependsOn: [group],
          },
          child,
        );
        this.slotGates.push(previousGate);
      }
      // A CNAME to the address's public DNS name, not an A record of its IP: that name is
      // split-horizon (EC2 user guide, "Hostname types": public hostnames resolve to the private
      // address inside the VPC, to the public one from the internet). The orchestrator hands its
      // transcoders segment URLs under its own -serviceAddr (go-livepeer core/orchestrator.go
      // transcodeSeg: LocalOS is a memory driver on GetServiceURI(), drivers/local.go
      // getAbsoluteURI), and the transcoders fetch them (server/ot_rpc.go runTranscode ->
      // core.DownloadData): inside the VPC that must be the private address their security group
      // allows, not a round trip through the NAT gateway to the Elastic IP.
      const publicRecord =
        slot.publicName && d.fleet.serviceDns
          ? new aws.route53.Record(
              `${n}-name`,
              {
                zoneId: d.fleet.serviceDns.hostedZoneId,
                name: slot.publicName,
                type: "CNAME",
                ttl: 300,
                records: [eip.publicDns],
              },
              child,
            )
          : undefined;
      return { az: slot.az, eip, role, launchTemplate, group, serviceAddr, publicRecord };
    });

    this.registerOutputs({
      serviceAddrs: this.slots.map((s) => s.serviceAddr),
      publicIps: this.slots.map((s) => s.eip.publicIp),
    });
  }
}
