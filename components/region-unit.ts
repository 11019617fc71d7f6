import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { RegionConfig } from "../lib/config/schema";
import { Network } from "./network";
import { Keys } from "./keys";
import { Identity } from "./identity";
import { NodeGroup } from "./node-group";
import { ChainNode, UNIT_TAG } from "./chain-node";
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
  public readonly deployGate?: DeployGate;

  constructor(name: string, args: RegionUnitArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:region:RegionUnit", name, {}, opts);
    const { config: c, region, stack } = args;

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
        minSize: c.nodeGroup.minSize,
        maxSize: c.nodeGroup.maxSize,
        rootVolumeGiB: c.nodeGroup.rootVolumeGiB,
        servicePort: c.livepeer.servicePort,
        healthPort: c.livepeer.healthPort,
        healthCheckGracePeriodSeconds: c.nodeGroup.healthCheckGracePeriodSeconds,
        instanceWarmupSeconds: c.nodeGroup.instanceWarmupSeconds,
        minHealthyPercentage: c.nodeGroup.minHealthyPercentage,
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
    });
  }
}
