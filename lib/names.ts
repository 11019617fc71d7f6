// Physical names that fit AWS's limits for every stack name the project allows. A long fleet name
// plus a long region can push an auto-generated name past a service's limit, which fails at preview
// in that region only. Pure.
import { createHash } from "node:crypto";

/**
 * Pulumi auto-naming: the engine asks the provider to fill `name` from the logical name plus "-"
 * and 7 random lowercase hex characters (pulumi/pulumi sdk/go/common/resource NewUniqueHex, called
 * by the Terraform bridge's AutoName with Randlen 7; pulumi-aws provider/autonaming.go applies it to
 * every resource with a `name` input, max 255, unless overridden). A representative suffix: its
 * length is what matters.
 */
export const AUTONAME_SUFFIX = "-a0b1c2d";

/** iam roleNameType (CreateRoleRequest.RoleName): at most 64 characters. */
export const IAM_ROLE_NAME_MAX = 64;
/** events RuleName (PutRuleRequest.Name): at most 64 characters. */
export const EVENT_RULE_NAME_MAX = 64;

/**
 * The explicit name to give a resource whose auto-generated name would exceed `max`, or undefined
 * when auto-naming fits (the common case: nothing changes for stacks whose names fit). The explicit
 * name keeps as much of the logical name as fits and ends in 7 hex characters of its sha256, so it
 * is stable (a function of the logical name alone) and distinct for distinct logical names.
 */
export function fittedName(logical: string, max: number): string | undefined {
  if (logical.length + AUTONAME_SUFFIX.length <= max) return undefined;
  const hash = createHash("sha256").update(logical).digest("hex").slice(0, 7);
  const keep = logical.slice(0, max - hash.length - 1).replace(/[-_.]+$/, "");
  return `${keep}-${hash}`;
}
