// Stack names carry the role: `prod` is a fleet stack, `prod-us-east-1` is the region unit of
// fleet `prod` in us-east-1. Pure: used by index.ts, the plan, add-region and the drift check.
import { Region } from "@pulumi/aws/types/enums";

/** AWS region names known to the @pulumi/aws provider this project is built against. */
export const KNOWN_REGIONS: ReadonlySet<string> = new Set(Object.values(Region));

export type StackRole =
  | { role: "fleet"; stack: string; fleet: string }
  | { role: "region"; stack: string; fleet: string; region: string };

/** The longest fleet name allowed: every physical name derived from a stack name must fit it. */
export const FLEET_NAME_MAX_LENGTH = 20;
const FLEET_NAME = new RegExp(`^[a-z][a-z0-9]{0,${FLEET_NAME_MAX_LENGTH - 1}}$`);
// A region name is two or more dash-separated words ending in a digit (us-east-1, us-gov-west-1,
// eusc-de-east-1): everything after the first dash of a region stack name.
const REGION_STACK = new RegExp(
  `^([a-z][a-z0-9]{0,${FLEET_NAME_MAX_LENGTH - 1}})-([a-z]{2,5}(?:-[a-z]+)+-\\d+)$`,
);

/**
 * A stack name that fits no role. Its message reads like every config problem
 * (`<file>: <key path>: <what to do>`), the file being the stack's own and the key `(stack name)`.
 */
export class StackNameError extends Error {
  override name = "StackNameError";
  constructor(
    readonly stackName: string,
    /** What is wrong and what to do, without the file and key prefix. */
    readonly problem: string,
  ) {
    super(`${stackFileName(stackName)}: (stack name): ${problem}`);
  }
}

/** Parses a stack name into its role, or throws a StackNameError saying what to do. */
export function parseStackName(stack: string): StackRole {
  if (FLEET_NAME.test(stack)) return { role: "fleet", stack, fleet: stack };
  const m = REGION_STACK.exec(stack);
  if (m) {
    const [, fleet, region] = m;
    if (!KNOWN_REGIONS.has(region)) {
      throw new StackNameError(
        stack,
        `"${region}" in stack "${stack}" is not an AWS region known to @pulumi/aws ` +
          `(e.g. us-east-1, eu-west-1). Rename the stack to <fleet>-<region> with a real region.`,
      );
    }
    return { role: "region", stack, fleet, region };
  }
  throw new StackNameError(
    stack,
    `stack "${stack}" fits neither role: name a fleet stack like "prod" (lowercase letters and ` +
      `digits) or a region stack like "prod-us-east-1" (<fleet>-<aws region>).`,
  );
}

export function stackFileName(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

export function regionStackName(fleet: string, region: string): string {
  return `${fleet}-${region}`;
}

/** The region unit key's alias name (without `alias/`): SSM SecureStrings and volumes use it. */
export function unitKeyAliasName(stack: string): string {
  return `livepeer-fleet/${stack}`;
}
