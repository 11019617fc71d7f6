import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { DEFAULTS, RegionConfig } from "../lib/config/schema";
import { Network } from "./network";
import { Keys } from "./keys";
import { Identity } from "./identity";
import { NodeGroup } from "./node-group";
import { RegionSizing, regionSizing } from "../lib/sizing/region";
import { Operations } from "./operations";
import { ChainNode, UNIT_TAG, chainHostName } from "./chain-node";
import { renderChainUserData, renderNodeUserData } from "../lib/userdata";
import { chainUserDataValues, nodeUserDataValues } from "../lib/runtime/values";
import { unitKeyAliasName } from "../lib/stack";
import { DeployGate } from "./deploy-gate";

export interface RegionUnitArgs {
  /** Stack name, e.g. prod-us-east-1: names the unit's tags, alias, SSM prefix and zone. */
  stack: string;
  fleet: string;
  region: string;
  config: RegionConfig;
}

/** Private zone of a unit: per stack, so two units never share a name. */
export function privateZoneName(stack: string): string {
  return `${stack}.livepeer-fleet.internal`;
}

/**
 * One region unit: network, key, orchestrator identity, the shared chain node and the
 * load-balanced node group, all through one explicit regional provider and one tags object.
 */
export class RegionUnit extends pulumi.ComponentResource {
  public readonly provider: aws.Provider;
  public readonly network: Network;
  public readonly keys: Keys;
  public readonly identity: Identity;
  public readonly nodeGroup: NodeGroup;
  public readonly chainNode: ChainNode;
  /**
   * The capacity plan: `maxSessions` for the node runtime's -maxSessions, `maintenanceHourUtc`
   * for snapshots and the nightly restart.
   */
  public readonly sizing: RegionSizing;
  /** Every node's -maxSessions: config, else the capacity model's, else go-livepeer's default. */
  public readonly maxSessions: number;
  public readonly operations: Operations;
  public readonly deployGate?: DeployGate;

  constructor(name: string, args: RegionUnitArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:region:RegionUnit", name, {}, opts);
    const { config: c, region, stack } = args;
    this.sizing = regionSizing(c);
    const sizing = this.sizing;
    this.maxSessions = sizing.maxSessions ?? DEFAULTS.maxSessions;

    const tags = {
      ...c.tags,
      [UNIT_TAG]: stack,
      "livepeer-fleet:fleet": args.fleet,
    };
    this.provider = new aws.Provider(
      `${name}-aws`,
      { region: region as aws.Region },
      { parent: this },
    );
    const provider = this.provider;
    const invokeOpts = { parent: this, provider };
    const accountId = aws.getCallerIdentityOutput({}, invokeOpts).accountId;
    const chainHost = chainHostName(privateZoneName(stack));
    const partition = aws.getPartitionOutput({}, invokeOpts).partition;

    this.network = new Network(
      `${name}-net`,
      {
        provider,
        region,
        cidr: c.network.cidr,
        availabilityZones: c.network.availabilityZones,
        natStrategy: c.network.natStrategy,
        tags,
      },
      { parent: this },
    );
    this.keys = new Keys(
      `${name}-keys`,
      { provider, region, accountId, partition, aliasName: unitKeyAliasName(stack), tags },
      { parent: this },
    );
    this.identity = new Identity(
      `${name}-identity`,
      {
        provider,
        region,
        accountId,
        partition,
        parameterPrefix: c.identity.parameterPrefix,
        keyArn: this.keys.keyArn,
        tags,
      },
      { parent: this },
    );
    this.nodeGroup = new NodeGroup(
      `${name}-nodes`,
      {
        provider,
        partition,
        network: this.network,
        keyArn: this.keys.keyArn,
        instanceType: c.nodeGroup.instanceType,
        amiParameter: c.nodeGroup.amiParameter,
        minSize: sizing.minSize,
        maxSize: sizing.maxSize,
        scaling: sizing.capacity
          ? {
              scheduledActions: sizing.scheduledActions,
              targetSessionsPerNode: sizing.targetSessionsPerNode,
              initialDesired: sizing.initialDesired,
              warmupSeconds: c.nodeGroup.healthCheckGracePeriodSeconds,
            }
          : undefined,
        rootVolumeGiB: c.nodeGroup.rootVolumeGiB,
        servicePort: c.livepeer.servicePort,
        healthPort: c.livepeer.healthPort,
        healthCheckGracePeriodSeconds: c.nodeGroup.healthCheckGracePeriodSeconds,
        instanceWarmupSeconds: c.nodeGroup.instanceWarmupSeconds,
        minHealthyPercentage: c.nodeGroup.minHealthyPercentage,
        userData: ({ dnsName }) =>
          dnsName.apply(
            (dns) =>
              renderNodeUserData(nodeUserDataValues(c, stack, chainHost, dns, this.maxSessions))
                .base64,
          ),
        tags,
      },
      { parent: this },
    );
    this.chainNode = new ChainNode(
      `${name}-chain`,
      {
        provider,
        region,
        accountId,
        partition,
        unit: stack,
        network: this.network,
        keyArn: this.keys.keyArn,
        identityPolicyArn: this.identity.readPolicy.arn,
        clientSecurityGroupId: this.nodeGroup.securityGroup.id,
        privateZoneName: privateZoneName(stack),
        instanceType: c.chainNode.instanceType,
        availabilityZone: c.chainNode.availabilityZone,
        dataVolume: c.chainNode.dataVolume,
        rootVolumeGiB: c.chainNode.rootVolumeGiB,
        rpcPort: c.chainNode.rpcPort,
        redeemerPort: c.chainNode.redeemerPort,
        p2pPort: c.chainNode.p2pPort,
        rpcEndpointsParameterName: c.nodeRuntime.rpcEndpointsParameter,
        userData: ({ dataVolumeId, zoneId }) =>
          pulumi.all([dataVolumeId, zoneId]).apply(
            ([volume, zone]) =>
              renderChainUserData(
                chainUserDataValues(c, {
                  stack,
                  dataVolumeId: volume,
                  zoneId: zone,
                  chainHost,
                  keystoreParameter: this.identity.keystoreParameterName,
                  passphraseParameter: this.identity.passphraseParameterName,
                }),
              ).base64,
          ),
        tags,
      },
      { parent: this },
    );

    this.operations = new Operations(
      `${name}-ops`,
      {
        provider,
        region,
        accountId,
        partition,
        unit: stack,
        keyArn: this.keys.keyArn,
        // The demand planner's lowest-demand hour replaces this when it lands.
        // Config's hour if set, else the demand planner's quietest hour (lib/sizing/region.ts).
        maintenanceHourUtc: sizing.maintenanceHourUtc,
        config: c,
        loadBalancerArnSuffix: this.nodeGroup.loadBalancer.arnSuffix,
        targetGroupArnSuffix: this.nodeGroup.targetGroup.arnSuffix,
        nodeGroupName: this.nodeGroup.group.name,
        nodeGroupMaxSize: c.nodeGroup.maxSize,
        tags,
      },
      { parent: this },
    );

    if (c.deployGate.enabled) {
      const ng = this.nodeGroup;
      this.deployGate = new DeployGate(
        `${name}-gate`,
        {
          region,
          targetGroupArn: ng.targetGroup.arn,
          expectedHealthy: c.deployGate.expectedHealthy ?? c.nodeGroup.minSize,
          timeoutSeconds: c.deployGate.timeoutSeconds,
          // A new launch template version starts an instance refresh; a new ASG or sizes change
          // what serves; a new chain node interrupts the nodes' chain access (their health
          // depends on it): each of them re-runs the gate.
          triggers: [
            ng.launchTemplate.latestVersion,
            ng.group.id,
            c.nodeGroup.minSize,
            c.nodeGroup.maxSize,
            this.chainNode.launchTemplate.latestVersion,
          ],
          // After both groups: nodes are healthy only with the region's RPC proxy up.
          dependsOn: [ng.group, ng.targetGroup, this.chainNode.group],
        },
        { parent: this },
      );
    }

    this.registerOutputs({
      vpcId: this.network.vpcId,
      keyArn: this.keys.keyArn,
      loadBalancerDns: this.nodeGroup.loadBalancer.dnsName,
      publicIps: this.nodeGroup.publicIps,
      chainHost: this.chainNode.hostName,
      alarmTopicArn: this.operations.alarms.topic.arn,
    });
  }
}
