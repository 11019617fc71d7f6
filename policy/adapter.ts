// Between the policy engine and the pure rules: which stack a resource belongs to, what that
// stack is configured to open to the internet, and resource inputs with values unknown during
// preview replaced by UNKNOWN (the engine's proxy throws on reading them).
import * as path from "node:path";
import { UnknownValueError } from "@pulumi/policy";
import { DEFAULTS } from "../lib/config/schema";
import { loadRegionConfig } from "../lib/config/load";
import { readProjectConfig, readStackConfig } from "../lib/config/sources";
import { parseStackName } from "../lib/stack";
import { PolicyContext, PolicyResource, StackRule, UNKNOWN } from "./rules";
import { fleetPolicyContext, regionPolicyContext } from "./context";

/** The project the pack lives in: its stack files say which ports each stack may open. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** `urn:pulumi:<stack>::<project>::<type>::<name>` -> stack. */
export function stackOfUrn(urn: string): string | undefined {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];
}

/**
 * What a stack may open and where its VPC is (policy/context.ts), from its stack file. When the
 * stack's config cannot be read: only the default service port, no VPC (every literal source is
 * outside): stricter, never looser.
 */
export function contextFor(stack: string | undefined, projectDir = PROJECT_DIR): PolicyContext {
  const fallback: PolicyContext = {
    publicPorts: [
      { protocol: "tcp", port: DEFAULTS.servicePort, why: "Livepeer service (default)" },
    ],
    vpcCidrs: [],
    healthCheckPorts: [DEFAULTS.healthPort],
  };
  if (stack === undefined) return fallback;
  let role;
  try {
    role = parseStackName(stack);
  } catch {
    return fallback;
  }
  if (role.role === "fleet") return fleetPolicyContext();
  try {
    const stackValues = readStackConfig(projectDir, stack);
    if (!stackValues) return fallback;
    const c = loadRegionConfig(role, { stackValues, projectValues: readProjectConfig(projectDir) });
    return regionPolicyContext(c);
  } catch {
    return fallback;
  }
}

/** A plain copy of the engine's props, each value unknown during preview replaced by UNKNOWN. */
export function materialize(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  const read = (get: () => unknown): unknown => {
    try {
      return materialize(get());
    } catch (err) {
      if (err instanceof UnknownValueError) return UNKNOWN;
      throw err;
    }
  };
  if (Array.isArray(v))
    return Array.from({ length: v.length }, (_, i) => read(() => v[i] as unknown));
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.keys(o).map((k) => [k, read(() => o[k])]));
}

/** What the engine gives a stack validation policy for each resource (the fields used here). */
export interface EngineStackResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  opts: { protect?: boolean };
}

/** A stack rule over the engine's resources: each violation with the URN it belongs to. */
export function stackRuleViolations(
  rule: StackRule,
  engine: readonly EngineStackResource[],
  ctx: PolicyContext,
): { message: string; urn: string }[] {
  const resources: PolicyResource[] = engine.map((r) => ({
    type: r.type,
    name: r.name,
    props: materialize(r.props) as Record<string, unknown>,
    protect: r.opts.protect,
  }));
  return resources.flatMap((r, i) =>
    rule.check(r, resources, ctx).map((message) => ({ message, urn: engine[i].urn })),
  );
}
