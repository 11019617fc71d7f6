import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { RegionDesign } from "../lib/design";
import { Network } from "./network";
import { Keys } from "./keys";
import { Identity } from "./identity";
import { NodeFiles } from "./node-files";
import { ChainNode } from "./chain-node";
import { Discovery } from "./discovery";
import { Orchestrators } from "./orchestrators";
import { Transcoders } from "./transcoders";
import { Operations } from "./operations";
import { NodeMetrics } from "./node-metrics";
import { DeployGate } from "./deploy-gate";
import { TAGS } from "../lib/runtime-contract";
import { unitKeyAliasName } from "../lib/stack";

export { privateZoneName } from "../lib/design";

export interface RegionUnitArgs {
  /** Everything derived from the stack's validated config (lib/design.ts). */
  design: RegionDesign;
}

/**
 * One region unit: network, key, identity, the node files, the shared chain node, the discovery
 * NLB, the orchestrator slots and the transcoder pool, and their operations. Create it with
 * `{ providers: [regionalProvider] }`: every child inherits the provider through parentage.
 */
export class RegionUnit extends pulumi.ComponentResource {
  public readonly network: Network;
  public readonly keys: Keys;
  public readonly identity: Identity;
  public readonly nodeFiles: NodeFiles;
  public readonly chainNode: ChainNode;
  public readonly discovery: Discovery;
  public readonly orchestrators: Orchestrators;
  public readonly transcoders: Transcoders;
  public readonly operations: Operations;
  public readonly nodeMetrics: NodeMetrics;
  public readonly deployGate?: DeployGate;

  constructor(name: string, args: RegionUnitArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:region:RegionUnit", name, {}, opts);
    const d = args.design;
    const c = d.config;
    const { stack, region } = d;
    const tags = {
      ...c.tags,
      [TAGS.unit]: stack,
      "livepeer-fleet:fleet": d.fleet.fleet,
    };
    const child = { parent: this };
    const accountId = aws.getCallerIdentityOutput({}, child).accountId;
    const partition = aws.getPartitionOutput({}, child).partition;
    const scope = { region, accountId, partition, unit: stack, tags };

    this.network = new Network(
      `${name}-net`,
      {
        region,
        cidr: c.network.cidr,
        availabilityZones: c.network.availabilityZones,
        natStrategy: c.network.natStrategy,
        privateZoneName: d.privateZone,
        tags,
      },
      child,
    );
    this.keys = new Keys(
      `${name}-keys`,
      { region, accountId, partition, aliasName: unitKeyAliasName(stack), tags },
      child,
    );
    const keyArn = this.keys.keyArn;
    this.identity = new Identity(
      `${name}-identity`,
      {
        region,
        accountId,
        partition,
        parameterPrefix: c.identity.parameterPrefix,
        keyArn,
        tags,
      },
      child,
    );
    this.nodeFiles = new NodeFiles(`${name}-files`, { keyArn, tags }, child);
    const bucketArn = this.nodeFiles.bucket.arn;
    this.discovery = new Discovery(
      `${name}-disc`,
      {
        network: this.network,
        names: d.names,
        servicePort: c.livepeer.servicePort,
        healthPort: c.livepeer.healthPort,
        serviceDns: d.fleet.serviceDns,
        region,
        tags,
      },
      child,
    );
    this.orchestrators = new Orchestrators(
      `${name}-orch`,
      {
        design: d,
        network: this.network,
        accountId,
        partition,
        keyArn,
        zoneId: this.network.privateZone.zoneId,
        targetGroupArn: this.discovery.targetGroup.arn,
        bundle: this.nodeFiles.bundles.orchestrator,
        bucketArn,
        orchSecretParameter: this.identity.orchSecretParameterName,
        ...(c.deployGate.enabled
          ? { rollout: { timeoutSeconds: c.deployGate.timeoutSeconds } }
          : {}),
        tags,
      },
      child,
    );
    this.chainNode = new ChainNode(
      `${name}-chain`,
      {
        ...scope,
        keyArn,
        design: d,
        network: this.network,
        identityPolicyArn: this.identity.readPolicy.arn,
        redeemerPolicyArn: this.identity.redeemerReadPolicy.arn,
        redeemerIdentity: {
          keystore: this.identity.redeemerKeystoreParameterName,
          passphrase: this.identity.redeemerPassphraseParameterName,
        },
        orchestratorIdentity: {
          keystore: this.identity.keystoreParameterName,
          passphrase: this.identity.passphraseParameterName,
        },
        // The orchestrators are the chain node's only clients; transcoders never touch the chain.
        clientSecurityGroupId: this.orchestrators.securityGroup.id,
        bundle: this.nodeFiles.bundles.chain,
        bucketArn,
      },
      child,
    );
    this.transcoders = new Transcoders(
      `${name}-tc`,
      {
        design: d,
        network: this.network,
        accountId,
        partition,
        keyArn,
        orchestratorSecurityGroupId: this.orchestrators.securityGroup.id,
        bundle: this.nodeFiles.bundles.transcoder,
        bucketArn,
        orchSecretParameter: this.identity.orchSecretParameterName,
        tags,
      },
      child,
    );

    // What the nodes' Prometheus agents need to write into the fleet's metrics store.
    this.nodeMetrics = new NodeMetrics(
      `${name}-metrics`,
      {
        design: d,
        network: this.network,
        accountId,
        partition,
        writers: {
          ...Object.fromEntries(this.orchestrators.slots.map((s) => [`orch-${s.az}`, s.role])),
          transcoders: this.transcoders.role,
        },
        tags,
      },
      child,
    );

    this.operations = new Operations(
      `${name}-ops`,
      {
        ...scope,
        keyArn,
        // Config's hour if set, else the demand planner's quietest hour (lib/sizing/region.ts).
        maintenanceHourUtc: d.sizing.maintenanceHourUtc,
        config: c,
        loadBalancerArnSuffix: this.discovery.loadBalancer.arnSuffix,
        targetGroupArnSuffix: this.discovery.targetGroup.arnSuffix,
        nodeGroupName: this.transcoders.group.name,
        // The group's own maximum (capacity units: sessions with spot, like its desired count).
        nodeGroupMaxSize: d.pool?.maxSize ?? d.sizing.maxSize,
        orchestrators: d.orchestrators.map((o) => o.az),
      },
      child,
    );

    if (c.deployGate.enabled) {
      const slots = this.orchestrators.slots;
      this.deployGate = new DeployGate(
        `${name}-gate`,
        {
          region,
          targetGroupArn: this.discovery.targetGroup.arn,
          // Every orchestrator in discovery: each is healthy only with transcoders registered
          // and the chain readable through the region's proxy.
          expectedHealthy: c.deployGate.expectedHealthy ?? d.orchestrators.length,
          timeoutSeconds: c.deployGate.timeoutSeconds,
          // The gate waits for every group's instance refresh to reach the deployed version, then
          // counts healthy targets among the new orchestrators only (lib/gate/wait.ts).
          rollouts: [
            ...slots.map((s) => ({
              groupName: s.group.name,
              launchTemplateId: s.launchTemplate.id,
              launchTemplateVersion: s.launchTemplate.latestVersion,
              inTargetGroup: true,
              // Without it a gate that runs before the group's first instance is in service
              // would find no new instance to count as healthy.
              expectedInService: 1,
            })),
            {
              groupName: this.transcoders.group.name,
              launchTemplateId: this.transcoders.launchTemplate.id,
              launchTemplateVersion: this.transcoders.launchTemplate.latestVersion,
              expectedInService: d.pool?.minInstances ?? d.sizing.minSize,
            },
            {
              groupName: this.chainNode.group.name,
              launchTemplateId: this.chainNode.launchTemplate.id,
              launchTemplateVersion: this.chainNode.launchTemplate.latestVersion,
              expectedInService: 1,
            },
          ],
          // A new launch template version starts an instance refresh; a new group or sizes change
          // what serves; a new chain node interrupts the orchestrators' chain access: each re-runs
          // the gate.
          triggers: [
            ...slots.map((s) => s.launchTemplate.latestVersion),
            this.transcoders.launchTemplate.latestVersion,
            this.transcoders.group.id,
            d.pool?.minSize ?? d.sizing.minSize,
            d.pool?.maxSize ?? d.sizing.maxSize,
            this.chainNode.launchTemplate.latestVersion,
          ],
          dependsOn: [
            ...slots.map((s) => s.group),
            this.transcoders.group,
            this.discovery.targetGroup,
            this.chainNode.group,
          ],
        },
        child,
      );
    }

    this.registerOutputs({
      vpcId: this.network.vpcId,
      keyArn,
      loadBalancerDns: this.discovery.loadBalancer.dnsName,
      orchestratorAddrs: this.orchestrators.slots.map((s) => s.serviceAddr),
      chainHost: this.chainNode.hostName,
      alarmTopicArn: this.operations.alarms.topic.arn,
    });
  }
}
