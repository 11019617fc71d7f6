// What the program validates before it registers anything, for either role: the stack name, the
// stack's config and, for a region stack, its fleet's file (membership, home region, service
// name). index.ts and the offline plan both call this, so they build from the same values.
import { StackRole, parseStackName } from "../stack";
import { FleetConfig, RegionConfig } from "./schema";
import {
  ConfigError,
  ConfigProblem,
  checkFleetMembership,
  loadFleetConfig,
  loadRegionConfig,
} from "./load";
import { readProjectConfig, readStackConfig, runtimeSources, stackDir } from "./sources";
import type { FleetSettings } from "../design";

export type ProgramConfig =
  | { role: Extract<StackRole, { role: "fleet" }>; fleet: FleetConfig }
  | {
      role: Extract<StackRole, { role: "region" }>;
      region: RegionConfig;
      fleet: FleetSettings;
    };

/** The fleet stack's settings a region stack builds from, problems blamed on the fleet file. */
export function fleetSettings(
  projectDir: string,
  dir: string,
  role: Extract<StackRole, { role: "region" }>,
): { settings?: FleetSettings; problems: ConfigProblem[] } {
  const values = readStackConfig(dir, role.fleet);
  const problems = checkFleetMembership(role, values);
  if (values === undefined || problems.length > 0) return { problems };
  const fleetRole = { role: "fleet" as const, stack: role.fleet, fleet: role.fleet };
  try {
    const f = loadFleetConfig(fleetRole, {
      stackValues: values,
      projectValues: readProjectConfig(projectDir),
    });
    return {
      settings: {
        fleet: role.fleet,
        homeRegion: f.homeRegion,
        serviceDns: f.serviceDns,
        metrics: f.metrics,
      },
      problems: [],
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      problems: err.problems.map((p) => ({
        ...p,
        message: `${p.message} (the fleet file of ${role.stack}; fix it there)`,
      })),
    };
  }
}

/** Validates a stack's whole config; throws StackNameError or one ConfigError with every problem. */
export function loadProgramConfig(
  projectDir: string,
  stack: string,
  all: Record<string, string>,
): ProgramConfig {
  const role = parseStackName(stack);
  const dir = stackDir(projectDir);
  const sources = runtimeSources(projectDir, stack, all, dir);
  if (role.role === "fleet") return { role, fleet: loadFleetConfig(role, sources) };
  const { settings, problems } = fleetSettings(projectDir, dir, role);
  let region: RegionConfig;
  try {
    region = loadRegionConfig(role, sources);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError([...problems, ...err.problems]);
    throw err;
  }
  if (problems.length > 0 || !settings) throw new ConfigError(problems);
  return { role, region, fleet: settings };
}
