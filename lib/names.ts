// Physical names the program sets explicitly, because AWS limits them more tightly than Pulumi's
// auto-naming (logical name + "-" + 7 random characters) allows: Elastic Load Balancing names a
// load balancer or target group in at most 32 characters of [A-Za-z0-9-], not starting or ending
// with "-" (ELBv2 API reference, CreateLoadBalancer/CreateTargetGroup `Name`). A name is derived
// from the stack name alone, so it never changes for a stack: deployed names are permanent.
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
