// The program's own guard: every resource it constructs is checked against the policy pack's rules
// before it is registered, so a `pulumi up` (or `npm run plan`) run without `--policy-pack` still
// refuses a resource that breaks a rule. Same rule functions as the pack (policy/rules), on each
// resource's literal input values: a value that is an output of another resource is unknown here,
// and the rules pass unknowns, so the pack (which sees real values) stays the complete check and
// this guard catches everything that can be decided before deploy.
//
// It is a legacy stack transformation (pulumi.runtime.registerStackTransformation), not a
// registerResourceTransform: transformations run inside the SDK, in the Resource constructor,
// before the registration request is sent, so the guard also runs under the SDK's mock monitor
// (the offline plan and the tests), whereas resource transforms run in the engine.
import * as pulumi from "@pulumi/pulumi";
import type { RegionConfig } from "../lib/config/schema";
import { fleetPolicyContext, regionPolicyContext } from "./context";
import {
  PolicyContext,
  PolicyResource,
  Rule,
  RULES,
  STACK_RULES,
  StackRule,
  UNKNOWN,
} from "./rules";

/**
 * A plain copy of a resource's input properties as the program wrote them: outputs, promises,
 * resources, assets and other class instances become UNKNOWN (their values are not known while
 * the program runs), everything literal stays as written.
 */
export function literalProps(v: unknown): unknown {
  if (typeof v === "function") return UNKNOWN;
  if (typeof v !== "object" || v === null) return v;
  if (
    pulumi.Output.isInstance(v) ||
    pulumi.Resource.isInstance(v) ||
    v instanceof Promise ||
    pulumi.asset.Asset.isInstance(v) ||
    pulumi.asset.Archive.isInstance(v)
  ) {
    return UNKNOWN;
  }
  if (Array.isArray(v)) return (v as unknown[]).map(literalProps);
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return UNKNOWN;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, literalProps(x)]));
}

/** One broken rule of one resource. */
export interface GuardViolation {
  rule: string;
  message: string;
}

/**
 * Checks resources one at a time, in registration order: the resource rules on each, the stack
 * rules on each against the resources checked before it (a reference to a key or launch template
 * registered later is an output, so unknown, so it passes).
 */
export class PolicyGuard {
  private readonly seen: PolicyResource[] = [];

  constructor(
    private readonly ctx: PolicyContext,
    private readonly rules: readonly Rule[] = RULES,
    private readonly stackRules: readonly StackRule[] = STACK_RULES,
  ) {}

  check(r: PolicyResource): GuardViolation[] {
    const stack = [...this.seen, r];
    this.seen.push(r);
    return [
      ...this.rules.flatMap((rule) =>
        rule.check(r, this.ctx).map((message) => ({ rule: rule.name, message })),
      ),
      ...this.stackRules.flatMap((rule) =>
        rule.check(r, stack, this.ctx).map((message) => ({ rule: rule.name, message })),
      ),
    ];
  }

  /** The stack transformation: throws on the first resource that breaks a rule. */
  transformation(): pulumi.ResourceTransformation {
    return (args) => {
      // Every resource passes through (components and providers match no rule). Not filtered
      // with CustomResource.isInstance: its marker is set only after the constructor that runs
      // transformations.
      const violations = this.check({
        type: args.type,
        name: args.name,
        props: literalProps(args.props) as Record<string, unknown>,
        protect: args.opts.protect === true,
      });
      if (violations.length > 0) throw new PolicyGuardError(args.type, args.name, violations);
      return undefined;
    };
  }
}

/**
 * The program's refusal, before the resource is registered: the resource, each rule it breaks and
 * why. A RunError, so the CLI prints the message without a stack trace (the user's fix is in the
 * program or its config, not in Pulumi).
 */
export class PolicyGuardError extends pulumi.RunError {
  override name = "PolicyGuardError";

  constructor(
    public readonly resourceType: string,
    public readonly resourceName: string,
    public readonly violations: GuardViolation[],
  ) {
    super(
      [
        `policy guard: ${resourceType} "${resourceName}" breaks the policy pack, so it is not created:`,
        ...violations.map((v) => `  - ${v.rule}: ${v.message}`),
        "Fix the program or the stack config (docs/operations.md, 'Deploy with the policy pack').",
      ].join("\n"),
    );
  }
}

/**
 * Installs the guard for the rest of the program. `region`: the validated region config (its
 * ports and VPC); undefined for the fleet stack.
 */
export function installPolicyGuard(region?: RegionConfig): PolicyGuard {
  const guard = new PolicyGuard(region ? regionPolicyContext(region) : fleetPolicyContext());
  pulumi.runtime.registerStackTransformation(guard.transformation());
  return guard;
}
