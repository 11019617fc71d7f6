// The livepeer-fleet policy pack: `pulumi preview --policy-pack policy` (and `pulumi up`) check
// every resource against the rules in policy/rules/ before anything reaches AWS. Every rule is
// mandatory: a violation stops the update. Runs on the repository's node_modules (npm ci).
//
// Resource rules see each resource's inputs, and during `pulumi up` they run again on each
// resource's resolved inputs just before it is created. Stack rules (rules/stack.ts) see every
// resource's outputs once all are registered: they fail a preview before anything changes, but
// during an update only after the fact (Pulumi's policy docs, "stack validation policies"), which
// is why the deploy workflow previews with the pack before it updates.
import { PolicyPack, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { PolicyContext, RULES, STACK_RULES } from "./rules";
import { contextFor, materialize, stackOfUrn, stackRuleViolations } from "./adapter";

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
    const ctx = context(args.resources[0]?.urn ?? "");
    for (const v of stackRuleViolations(rule, args.resources, ctx)) {
      reportViolation(v.message, v.urn);
    }
  },
}));

new PolicyPack("livepeer-fleet", {
  enforcementLevel: "mandatory",
  policies: [...resourcePolicies, ...stackPolicies],
});
