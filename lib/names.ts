// Physical names that fit AWS's limits for every stack name the project allows. Pulumi's
// auto-naming (logical name + "-" + 7 random characters) overflows some services' limits for a long
// fleet name plus a long region, which fails at preview in that region only; and Elastic Load
// Balancing names a load balancer or target group in at most 32 characters of [A-Za-z0-9-], not
// starting or ending with "-" (ELBv2 API reference, CreateLoadBalancer/CreateTargetGroup `Name`).
// A name derived here depends on the stack's logical names alone, so it never changes for a stack:
// deployed names are permanent. Pure.
import { createHash } from "node:crypto";

/** ELBv2 load balancer and target group names. */
export const ELB_NAME_MAX = 32;

/**
 * `base` when it fits in `max` characters, else a prefix of it joined to 8 hex characters of its
 * sha256: unique per base (a collision needs equal prefixes and a 32-bit hash collision) and
 * stable. Only [a-z0-9-] bases are accepted: stack names are lowercase (lib/stack.ts).
 */
export function fitName(base: string, max: number): string {
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(base)) {
    throw new Error(`not a valid name base: "${base}" (lowercase letters, digits and dashes)`);
  }
  if (base.length <= max) return base;
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 8);
  const prefix = base.slice(0, max - hash.length - 1).replace(/-+$/, "");
  return `${prefix}-${hash}`;
}

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
