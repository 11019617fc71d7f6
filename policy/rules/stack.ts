// Rules that need the whole stack: a reference is only as safe as what it points at. A disk's key
// must be a key (or alias) of this stack, not "some key ARN"; an autoscaling group, instance or
// fleet must launch from a launch template of this stack, which the per-resource rules have
// checked, not from one made by hand or in another stack. Pure.
//
// The policy engine runs these as stack validation policies over the resources' outputs (inputs
// during preview); the program's guard (policy/guard.ts) runs them over the resources registered
// so far, with values that are outputs of other resources unknown (UNKNOWN): an unknown reference
// is one this program computes from a resource of its own, so it passes.
import { T } from "./encryption";
import { list, obj, PolicyContext, PolicyResource, UNKNOWN } from "./resource";

export interface StackRule {
  name: string;
  description: string;
  /** Violations of one resource, given every resource of its stack. */
  check(r: PolicyResource, stack: readonly PolicyResource[], ctx: PolicyContext): string[];
}

const KEY = "aws:kms/key:Key";
const ALIAS = "aws:kms/alias:Alias";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const ASG = "aws:autoscaling/group:Group";
const EC2_FLEET = "aws:ec2/fleet:Fleet";

/** The strings a resource of one of `types` can be referred to by: its id, name and ARN. */
function identities(stack: readonly PolicyResource[], types: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const r of stack) {
    if (!types.includes(r.type)) continue;
    for (const k of ["id", "arn", "keyId", "name"]) {
      const v = r.props[k];
      if (typeof v === "string" && v !== "") out.add(v);
    }
  }
  return out;
}

/** Every KMS key reference of a resource that encrypts with one: [where, value]. */
export function keyReferences(r: PolicyResource): [string, unknown][] {
  const p = r.props;
  const ebsKeys = (where: string, devices: unknown): [string, unknown][] =>
    list(devices).map((d, i) => [`${where}[${i}]`, obj(d)?.kmsKeyId]);
  switch (r.type) {
    case T.volume:
      return [["kmsKeyId", p.kmsKeyId]];
    case T.parameter:
      return p.type === "SecureString" ? [["keyId", p.keyId]] : [];
    case T.launchTemplate:
      return list(p.blockDeviceMappings).map((m, i) => [
        `blockDeviceMappings[${i}]`,
        obj(obj(m)?.ebs)?.kmsKeyId,
      ]);
    case T.instance:
    case T.spotInstance:
      return [
        ["rootBlockDevice", obj(p.rootBlockDevice)?.kmsKeyId],
        ...ebsKeys("ebsBlockDevices", p.ebsBlockDevices),
      ];
    case T.spotFleet:
      return list(p.launchSpecifications).flatMap((s, i) => [
        ...ebsKeys(`launchSpecifications[${i}].rootBlockDevices`, obj(s)?.rootBlockDevices),
        ...ebsKeys(`launchSpecifications[${i}].ebsBlockDevices`, obj(s)?.ebsBlockDevices),
      ]);
    default:
      return [];
  }
}

/** The account of a KMS ARN, for messages. */
function accountOf(ref: string): string | undefined {
  return /^arn:[^:]+:kms:[^:]*:(\d{12}):/.exec(ref)?.[1];
}

/**
 * Disks and SecureStrings use a customer key of this unit: a KMS key or alias this stack defines.
 * That excludes what a single resource cannot tell apart from the unit key: the AWS managed key
 * given by its key ARN, another account's key ARN, a key made by hand in the console.
 */
export const unitKeyOnly: StackRule = {
  name: "unit-key-only",
  description:
    "Volumes, launch template and instance disks and SecureStrings use a KMS key or alias defined in this stack.",
  check(r, stack) {
    const refs = keyReferences(r).filter(
      ([, v]) => v !== UNKNOWN && typeof v === "string" && v !== "",
    ) as [string, string][];
    if (refs.length === 0) return [];
    const known = identities(stack, [KEY, ALIAS]);
    const ownAccounts = new Set(
      [...identities(stack, [KEY])].map(accountOf).filter((a): a is string => a !== undefined),
    );
    return refs
      .filter(([, v]) => !known.has(v))
      .map(([where, v]) => {
        const acct = accountOf(v);
        const why =
          acct && ownAccounts.size > 0 && !ownAccounts.has(acct)
            ? `a key of account ${acct}, not this one`
            : "not a KMS key or alias of this stack (an AWS managed key by ARN, another account's key, a key made outside this program)";
        return `${r.type.split(":")[1]} ${r.name} ${where} uses ${v}: ${why}; use the unit key`;
      });
  },
};

/** Every launch template an autoscaling group, instance or fleet launches from: [where, id|name]. */
export function launchTemplateReferences(r: PolicyResource): [string, unknown][] {
  const p = r.props;
  // Launch template specifications spell the reference id/name or launchTemplateId/Name.
  const spec = (where: string, v: unknown): [string, unknown][] => {
    const o = obj(v);
    if (!o) return [];
    const id = o.id ?? o.launchTemplateId;
    const name = o.name ?? o.launchTemplateName;
    return id !== undefined ? [[where, id]] : name !== undefined ? [[where, name]] : [];
  };
  switch (r.type) {
    case ASG: {
      const mixed = obj(obj(p.mixedInstancesPolicy)?.launchTemplate);
      return [
        ...spec("launchTemplate", p.launchTemplate),
        ...spec(
          "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification",
          mixed?.launchTemplateSpecification,
        ),
        ...list(mixed?.overrides).flatMap((o, i) =>
          spec(
            `mixedInstancesPolicy.launchTemplate.overrides[${i}].launchTemplateSpecification`,
            obj(o)?.launchTemplateSpecification,
          ),
        ),
      ];
    }
    case T.instance:
    case T.spotInstance:
      return spec("launchTemplate", p.launchTemplate);
    case T.spotFleet:
    case EC2_FLEET:
      return [...list(p.launchTemplateConfigs), ...list(p.launchTemplateConfig)].flatMap((c, i) =>
        spec(
          `launchTemplateConfigs[${i}].launchTemplateSpecification`,
          obj(c)?.launchTemplateSpecification,
        ),
      );
    default:
      return [];
  }
}

/**
 * Autoscaling groups (including every mixed-instances override), instances, spot requests and
 * fleets launch only from launch templates of this stack, and groups from no launch configuration
 * made elsewhere: what they launch is then exactly what the per-resource rules checked.
 */
export const launchFromCheckedTemplates: StackRule = {
  name: "launch-from-checked-templates",
  description:
    "Autoscaling groups (and their mixed-instances overrides), instances, spot requests and fleets launch only from launch templates defined in this stack.",
  check(r, stack) {
    const templates = identities(stack, [LAUNCH_TEMPLATE]);
    const out = launchTemplateReferences(r)
      .filter(([, v]) => v !== UNKNOWN && !(typeof v === "string" && templates.has(v)))
      .map(
        ([where, v]) =>
          `${r.type.split(":")[1]} ${r.name} ${where} launches from ${JSON.stringify(v)}, which is not a launch template of this stack: the policy cannot check what it launches`,
      );
    const lc = r.type === ASG ? r.props.launchConfiguration : undefined;
    if (lc !== undefined && lc !== UNKNOWN && lc !== "" && lc !== null) {
      const configs = identities(stack, [T.launchConfiguration]);
      if (!(typeof lc === "string" && configs.has(lc))) {
        out.push(
          `autoscaling group ${r.name} launches from launch configuration ${JSON.stringify(lc)}, which is not of this stack`,
        );
      }
    }
    return out;
  },
};

export const STACK_RULES: readonly StackRule[] = [unitKeyOnly, launchFromCheckedTemplates];
