// A region stack's validated config, read from its files the way `pulumi up` would see it, for the
// operator commands (amis, preflight). Throws ConfigError (file and key path) or StackNameError.
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, loadFleetConfig, loadRegionConfig } from "../config/load";
import { readProjectConfig, readStackConfig } from "../config/sources";
import type { FleetConfig, RegionConfig } from "../config/schema";
import { parseStackName, stackFileName, type StackRole } from "../stack";

export type LoadedStack =
  | {
      kind: "region";
      role: Extract<StackRole, { role: "region" }>;
      file: string;
      config: RegionConfig;
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
  return { kind: "region", role, file, config: loadRegionConfig(role, sources) };
}
