// The livepeer-fleet policy pack: `pulumi preview --policy-pack policy` (and `pulumi up`) check
// every resource against the rules in policy/rules/ before anything reaches AWS. Every rule is
// mandatory: a violation stops the update. Runs on the repository's node_modules (npm ci).
import { PolicyPack, ResourceValidationPolicy } from "@pulumi/policy";
import { PolicyContext, RULES } from "./rules";
import { contextFor, materialize, stackOfUrn } from "./adapter";

// One context per stack: its config is read once per run, not once per resource.
const contexts = new Map<string, PolicyContext>();
function context(urn: string): PolicyContext {
  const stack = stackOfUrn(urn) ?? "";
  let c = contexts.get(stack);
  if (!c) contexts.set(stack, (c = contextFor(stack || undefined)));
  return c;
}

const policies: ResourceValidationPolicy[] = RULES.map((rule) => ({
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

new PolicyPack("livepeer-fleet", { enforcementLevel: "mandatory", policies });
