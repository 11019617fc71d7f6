// Entry point: the stack name picks the role. `prod` builds the fleet stack; `prod-us-east-1`
// builds that region's unit. Config (the stack's and, for a region, its fleet's) is validated in
// full before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { StackNameError, stackFileName } from "./lib/stack";
import { ConfigError } from "./lib/config/load";
import { loadProgramConfig } from "./lib/config/program";
import {
  deployBlockers,
  DeployBlocker,
  fleetDeployBlockers,
  OFFLINE_PLAN_ENV,
} from "./lib/runtime/releases";
import { designRegion } from "./lib/design";
import { metricsDeployBlockers } from "./lib/runtime/metrics";
import { RegionUnit } from "./components/region-unit";
import { Fleet } from "./components/fleet";
import { installPolicyGuard } from "./policy/guard";

/** RunError prints the message alone: the user needs the file and key, not a stack trace. */
function userError(err: unknown): never {
  if (err instanceof ConfigError || err instanceof StackNameError) {
    throw new pulumi.RunError(err.message);
  }
  throw err;
}

/**
 * Pins (release hashes, image digest, AMI ids), the price and the replacement of the shipped
 * example values cannot be defaulted honestly. A real preview/up refuses a stack without them; the
 * offline plan renders it and lists them.
 */
function checkDeployable(
  stack: string,
  blockers: (DeployBlocker & { file?: string })[],
): DeployBlocker[] {
  if (blockers.length > 0 && process.env[OFFLINE_PLAN_ENV] !== "1") {
    userError(new ConfigError(blockers.map((b) => ({ file: stackFileName(stack), ...b }))));
  }
  for (const b of blockers) void pulumi.log.warn(`not deployable yet: ${b.keyPath}: ${b.message}`);
  return blockers;
}

function build(): Record<string, unknown> {
  const stack = pulumi.getStack();
  let p: ReturnType<typeof loadProgramConfig>;
  try {
    p = loadProgramConfig(__dirname, stack, pulumi.runtime.allConfig());
  } catch (err) {
    userError(err);
  }
  const blockers = checkDeployable(
    stack,
    "region" in p
      ? [
          ...deployBlockers(p.region, stack),
          ...metricsDeployBlockers(p.fleet.metrics, p.role.fleet),
        ]
      : fleetDeployBlockers(p.fleet, stack),
  );
  const listed = blockers.map((b) => `${b.keyPath}: ${b.message}`);
  // From here on every resource is checked against the policy pack's rules before it is registered.
  installPolicyGuard("region" in p ? p.region : undefined);
  if (!("region" in p)) {
    const fleet = new Fleet(stack, { fleet: p.role.fleet, config: p.fleet });
    // driftRoleArn: the value of the repository variable DRIFT_ROLE_ARN the drift workflow uses.
    return {
      role: "fleet",
      regionStacks: fleet.regionStacks,
      driftRoleArn: fleet.driftRole.arn,
      // Copy into the fleet file as metrics.ampWorkspaceId: the region stacks' nodes write there.
      metricsWorkspaceId: fleet.metricsWorkspace?.id,
      metricsRemoteWriteUrl: fleet.metricsRemoteWriteUrl,
      deployBlockers: listed,
    };
  }

  const design = designRegion(stack, p.role.region, p.region, p.fleet);
  // The unit's one regional provider: every resource reaches it through the unit's parentage.
  const provider = new aws.Provider(`${stack}-aws`, { region: p.role.region as aws.Region });
  const unit = new RegionUnit(stack, { design }, { providers: [provider] });
  const slots = unit.orchestrators.slots;
  return {
    role: "region",
    region: p.role.region,
    // What to register on chain once for the fleet (docs/architecture.md), when it has a name.
    serviceUri: design.serviceUri,
    loadBalancerDns: unit.discovery.loadBalancer.dnsName,
    orchestrators: slots.map((s) => s.serviceAddr),
    orchestratorIps: slots.map((s) => s.eip.publicIp),
    chainHost: unit.chainNode.hostName,
    // The orchestrator's key (read only in the home region) and this region's redeemer account.
    keystoreParameter: unit.identity.keystoreParameterName,
    passphraseParameter: unit.identity.passphraseParameterName,
    redeemerKeystoreParameter: unit.identity.redeemerKeystoreParameterName,
    redeemerPassphraseParameter: unit.identity.redeemerPassphraseParameterName,
    orchestratorSecretParameter: unit.identity.orchSecretParameterName,
    kmsKeyArn: unit.keys.keyArn,
    // Every transcoder's -maxSessions (docs/sizing.md).
    maxSessions: design.transcoderMaxSessions,
    maintenanceHourUtc: design.sizing.maintenanceHourUtc,
    alarmTopicArn: unit.operations.alarms.topic.arn,
    dashboardName: unit.operations.dashboard.dashboard.dashboardName,
    deployBlockers: listed,
    // For the runbooks (docs/operations.md): what the AWS CLI commands there take.
    targetGroupArn: unit.discovery.targetGroup.arn,
    transcoderGroupName: unit.transcoders.group.name,
    orchestratorGroupNames: slots.map((s) => s.group.name),
    chainGroupName: unit.chainNode.group.name,
    chainDataVolumeId: unit.chainNode.dataVolume.id,
  };
}

export = build();
