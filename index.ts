// Entry point: the stack name picks the role. `prod` builds the fleet stack; `prod-us-east-1`
// builds that region's unit. Config is validated in full before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { parseStackName, StackNameError, StackRole } from "./lib/stack";
import { FleetConfig, RegionConfig } from "./lib/config/schema";
import {
  ConfigError,
  checkFleetMembership,
  loadFleetConfig,
  loadRegionConfig,
} from "./lib/config/load";
import { readStackConfig, runtimeSources } from "./lib/config/sources";
import {
  deployBlockers,
  DeployBlocker,
  fleetDeployBlockers,
  OFFLINE_PLAN_ENV,
} from "./lib/runtime/releases";
import { stackFileName } from "./lib/stack";
import { RegionUnit } from "./components/region-unit";
import { Fleet } from "./components/fleet";

type Validated =
  | { role: Extract<StackRole, { role: "fleet" }>; fleet: FleetConfig }
  | { role: Extract<StackRole, { role: "region" }>; region: RegionConfig };

function validated(): Validated {
  const stack = pulumi.getStack();
  const role = parseStackName(stack);
  const sources = runtimeSources(__dirname, stack, pulumi.runtime.allConfig());
  if (role.role === "fleet") {
    return { role, fleet: loadFleetConfig(role, sources) };
  }
  const problems = checkFleetMembership(role, readStackConfig(__dirname, role.fleet));
  let region: RegionConfig;
  try {
    region = loadRegionConfig(role, sources);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError([...problems, ...err.problems]);
    throw err;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { role, region };
}

/**
 * Pins (release hashes, image digest, AMI ids), the price and the replacement of the shipped
 * example values cannot be defaulted honestly. A real preview/up refuses a stack without them; the
 * offline plan renders it and lists them.
 */
function checkDeployable(stack: string, p: Validated): DeployBlocker[] {
  const blockers =
    "region" in p ? deployBlockers(p.region, stack) : fleetDeployBlockers(p.fleet, stack);
  if (blockers.length > 0 && process.env[OFFLINE_PLAN_ENV] !== "1") {
    throw new ConfigError(blockers.map((b) => ({ file: stackFileName(stack), ...b })));
  }
  for (const b of blockers) void pulumi.log.warn(`not deployable yet: ${b.keyPath}: ${b.message}`);
  return blockers;
}

function build(): Record<string, unknown> {
  let p: Validated;
  try {
    p = validated();
  } catch (err) {
    // RunError prints the message alone: the user needs the file and key, not a stack trace.
    if (err instanceof ConfigError || err instanceof StackNameError) {
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
  let blockers: DeployBlocker[] = [];
  try {
    blockers = checkDeployable(p.role.stack, p);
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  if ("fleet" in p) {
    const fleet = new Fleet(p.role.stack, { fleet: p.role.fleet, config: p.fleet });
    // driftRoleArn: the value of the repository variable DRIFT_ROLE_ARN the drift workflow uses.
    return {
      role: "fleet",
      regionStacks: fleet.regionStacks,
      driftRoleArn: fleet.driftRole.arn,
      deployBlockers: blockers.map((b) => `${b.keyPath}: ${b.message}`),
    };
  }
  const unit = new RegionUnit(p.role.stack, {
    stack: p.role.stack,
    fleet: p.role.fleet,
    region: p.role.region,
    config: p.region,
  });
  return {
    role: "region",
    region: p.role.region,
    loadBalancerDns: unit.nodeGroup.loadBalancer.dnsName,
    publicIps: unit.nodeGroup.publicIps,
    chainHost: unit.chainNode.hostName,
    keystoreParameter: unit.identity.keystoreParameterName,
    passphraseParameter: unit.identity.passphraseParameterName,
    kmsKeyArn: unit.keys.keyArn,
    // For the node runtime (-maxSessions) and the maintenance jobs; see docs/sizing.md.
    maxSessions: unit.maxSessions,
    maintenanceHourUtc: unit.sizing.maintenanceHourUtc,
    alarmTopicArn: unit.operations.alarms.topic.arn,
    dashboardName: unit.operations.dashboard.dashboard.dashboardName,
    deployBlockers: blockers.map((b) => `${b.keyPath}: ${b.message}`),
    // For the runbooks (docs/operations.md): what the AWS CLI commands there take.
    targetGroupArn: unit.nodeGroup.targetGroup.arn,
    nodeGroupName: unit.nodeGroup.group.name,
    chainGroupName: unit.chainNode.group.name,
    chainDataVolumeId: unit.chainNode.dataVolume.id,
  };
}

export = build();
