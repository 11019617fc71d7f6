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
  if ("fleet" in p) {
    const fleet = new Fleet(p.role.stack, { fleet: p.role.fleet, config: p.fleet });
    // driftRoleArn: the value of the repository variable DRIFT_ROLE_ARN the drift workflow uses.
    return { role: "fleet", regionStacks: fleet.regionStacks, driftRoleArn: fleet.driftRole.arn };
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
    // For the runbooks (docs/operations.md): what the AWS CLI commands there take.
    targetGroupArn: unit.nodeGroup.targetGroup.arn,
    nodeGroupName: unit.nodeGroup.group.name,
    chainGroupName: unit.chainNode.group.name,
    chainDataVolumeId: unit.chainNode.dataVolume.id,
  };
}

export = build();
