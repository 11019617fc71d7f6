// A region stack's validated config (and its fleet's settings), read from its files the way
// `pulumi up` would see it, for the operator commands (amis, preflight). Throws ConfigError (file and key path) or StackNameError.
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, loadFleetConfig, loadRegionConfig } from "../config/load";
import { readProjectConfig, readStackConfig, stackDir } from "../config/sources";
import { fleetSettings } from "../config/program";
import type { FleetSettings } from "../design";
import type { FleetConfig, RegionConfig } from "../config/schema";
import { parseStackName, stackFileName, type StackRole } from "../stack";

export type LoadedStack =
  | {
      kind: "region";
      role: Extract<StackRole, { role: "region" }>;
      file: string;
      config: RegionConfig;
      /** From the fleet's stack file: home region and service name. */
      fleet: FleetSettings;
    }
  | {
      kind: "fleet";
      role: Extract<StackRole, { role: "fleet" }>;
      file: string;
      config: FleetConfig;
    };

export function loadStack(projectDir: string, stack: string): LoadedStack {
  const role = parseStackName(stack);
  const file = path.join(projectDir, stackFileName(stack));
  const stackValues = fs.existsSync(file) ? readStackConfig(projectDir, stack) : undefined;
  if (!stackValues) {
    throw new ConfigError([
      {
        file: stackFileName(stack),
        keyPath: "(file)",
        message: "not found in the project directory",
      },
    ]);
  }
  const sources = { stackValues, projectValues: readProjectConfig(projectDir) };
  if (role.role === "fleet") {
    return { kind: "fleet", role, file, config: loadFleetConfig(role, sources) };
  }
  // The fleet file's problems and the region file's are reported together, as the program does.
  const { settings, problems } = fleetSettings(projectDir, stackDir(projectDir), role);
  let config: RegionConfig;
  try {
    config = loadRegionConfig(role, sources);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError([...problems, ...err.problems]);
    throw err;
  }
  if (problems.length > 0 || !settings) throw new ConfigError(problems);
  return { kind: "region", role, file, config, fleet: settings };
}
