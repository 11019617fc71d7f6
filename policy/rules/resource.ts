// What every rule sees: a resource's type, name, inputs and `protect` option, the same shape from
// the policy engine (policy/index.ts) and from `npm run plan`'s evaluation (the tests). Pure.

/** A value the engine does not know yet (an output of a resource not yet created, in preview). */
export const UNKNOWN = Symbol("unknown");

export interface PolicyResource {
  type: string;
  name: string;
  props: Record<string, unknown>;
  protect?: boolean;
}

/** A public port the stack is configured to open: the service port, a chain P2P port. */
export interface AllowedPort {
  protocol: "tcp" | "udp";
  port: number;
  why: string;
}

export interface PolicyContext {
  publicPorts: AllowedPort[];
  /**
   * The unit VPC's CIDR blocks: a source inside them is not public. Default: the private address
   * space (PRIVATE_SPACE in address.ts), for callers that do not know the VPC. contextFor and the
   * guard always pass the VPC's own block, which is stricter.
   */
  vpcCidrs?: string[];
  /**
   * Ports a load balancer may health-check besides its traffic port: the health agent. Default
   * [DEFAULTS.healthPort] (8936).
   */
  healthCheckPorts?: number[];
}

/** A rule: what it checks and a pure check returning one message per violation. */
export interface Rule {
  name: string;
  description: string;
  check(r: PolicyResource, ctx: PolicyContext): string[];
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** True for "true"/true: EC2 launch template block device flags are strings. */
export function isTrue(v: unknown): boolean {
  return v === true || v === "true";
}

/** A key reference that is set (or unknown until deploy: an output of the unit key). */
export function isKeySet(v: unknown): boolean {
  return v === UNKNOWN || (typeof v === "string" && v.length > 0);
}

/**
 * AWS managed keys named by alias (alias/aws/ebs, arn:aws:kms:...:alias/aws/ssm, any case) are
 * not the unit's customer key. The AWS managed key given by its key ARN looks like any other key
 * ARN: the unit-key stack rule (stack.ts) catches it, because it is not a key of this stack.
 */
export function isAwsManagedKey(v: unknown): boolean {
  return typeof v === "string" && /(^|:)alias\/aws\//i.test(v.trim());
}
