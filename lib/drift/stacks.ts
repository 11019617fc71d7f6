// Which stacks make up a fleet: the fleet stack itself (it owns the drift-check role and other
// fleet-wide resources) and one region stack per region its stack file lists.
import { NAMESPACE } from "../config/schema";
import { readStackConfig } from "../config/sources";
import { parseStackName, regionStackName, stackFileName } from "../stack";
import { UsageError } from "../cli";

export function fleetStacks(projectDir: string, fleet: string): string[] {
  if (parseStackName(fleet).role !== "fleet") {
    throw new UsageError(`"${fleet}" is not a fleet stack name (e.g. prod)`);
  }
  const values = readStackConfig(projectDir, fleet);
  if (!values) throw new UsageError(`${stackFileName(fleet)} not found in ${projectDir}`);
  const regions = values[`${NAMESPACE}:regions`];
  if (!Array.isArray(regions) || regions.some((r) => typeof r !== "string")) {
    throw new UsageError(`${stackFileName(fleet)}: ${NAMESPACE}:regions is not a list of regions`);
  }
  return [fleet, ...(regions as string[]).map((r) => regionStackName(fleet, r))];
}
