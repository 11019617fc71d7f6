// The livepeer-fleet policy pack: `pulumi preview --policy-pack policy` (and `pulumi up`) check
// every resource against the rules in policy/rules/ before anything reaches AWS. Every rule is
// mandatory: a violation stops the update. Runs on the repository's node_modules (npm ci).
//
// Resource rules see each resource's inputs, and during `pulumi up` they run again on each
// resource's resolved inputs just before it is created. Stack rules (rules/stack.ts) see every
// resource's outputs once all are registered: they fail a preview before anything changes, but
// during an update only after the fact (Pulumi's policy docs, "stack validation policies"), which
// is why the deploy workflow previews with the pack before it updates.
import {
  PolicyPack,
  PolicyResource as EnginePolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { PolicyContext, PolicyResource, RULES, STACK_RULES } from "./rules";
import { contextFor, materialize, stackOfUrn } from "./adapter";

// One context per stack: its config is read once per run, not once per resource.
const contexts = new Map<string, PolicyContext>();
function context(urn: string): PolicyContext {
  const stack = stackOfUrn(urn) ?? "";
  let c = contexts.get(stack);
  if (!c) contexts.set(stack, (c = contextFor(stack || undefined)));
  return c;
}

const resourcePolicies: ResourceValidationPolicy[] = RULES.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const resource = {
      type: args.type,
      name: args.name,
      props: materialize(args.props) as Record<string, unknown>,
      protect: args.opts.protect,
    };
    for (const message of rule.check(resource, context(args.urn))) {
      reportViolation(message);
    }
  },
}));

const stackPolicies: StackValidationPolicy[] = STACK_RULES.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const engine: EnginePolicyResource[] = args.resources;
    const resources: PolicyResource[] = engine.map((r) => ({
      type: r.type,
      name: r.name,
      props: materialize(r.props) as Record<string, unknown>,
      protect: r.opts.protect,
    }));
    const ctx = context(engine[0]?.urn ?? "");
    resources.forEach((r, i) => {
      for (const message of rule.check(r, resources, ctx)) reportViolation(message, engine[i].urn);
    });
  },
}));

new PolicyPack("livepeer-fleet", {
  enforcementLevel: "mandatory",
  policies: [...resourcePolicies, ...stackPolicies],
});
