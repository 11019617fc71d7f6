// Encryption at rest with the region unit's customer-managed key, and that key's rotation. Every
// way EC2 can be asked for a disk is checked: volumes, launch templates, instances, spot instance
// requests, spot fleet launch specifications and launch configurations. Whether the key is the
// unit's own (this stack's key or alias) is a stack rule (stack.ts). Pure.
import {
  isAwsManagedKey,
  isKeySet,
  isTrue,
  list,
  obj,
  PolicyResource,
  Rule,
  UNKNOWN,
} from "./resource";

export const T = {
  volume: "aws:ebs/volume:Volume",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  instance: "aws:ec2/instance:Instance",
  spotInstance: "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
  spotFleet: "aws:ec2/spotFleetRequest:SpotFleetRequest",
  launchConfiguration: "aws:ec2/launchConfiguration:LaunchConfiguration",
  parameter: "aws:ssm/parameter:Parameter",
  key: "aws:kms/key:Key",
} as const;

/**
 * The root device names of EC2 AMIs: /dev/sda1 (Ubuntu, Debian and the Deep Learning AMIs) and
 * /dev/xvda (Amazon Linux), per the EC2 User Guide, "Device names for volumes on Amazon EC2
 * instances". A launch template that maps neither leaves the root volume to the AMI's own mapping,
 * which may be unencrypted or under the account's aws/ebs key.
 */
export const ROOT_DEVICE_NAMES: readonly string[] = ["/dev/sda1", "/dev/xvda"];

/** An EBS definition (volume, block device) is encrypted with a customer key, or says why not. */
function ebsProblem(ebs: Record<string, unknown>, keyField: string): string | undefined {
  if (!isTrue(ebs.encrypted) && ebs.encrypted !== UNKNOWN) {
    return "is not encrypted (encrypted must be true)";
  }
  if (!isKeySet(ebs[keyField])) {
    return `has no ${keyField}: it would use the account's aws/ebs key, not the unit key`;
  }
  if (isAwsManagedKey(ebs[keyField])) return `uses an AWS managed key (${String(ebs[keyField])})`;
  return undefined;
}

export const ebsVolumeCustomerKey: Rule = {
  name: "ebs-volume-customer-key",
  description: "Every EBS volume is encrypted with a customer-managed KMS key (the unit key).",
  check(r) {
    if (r.type !== T.volume) return [];
    const p = ebsProblem(r.props, "kmsKeyId");
    return p ? [`volume ${r.name} ${p}`] : [];
  },
};

function launchTemplateProblems(r: PolicyResource): string[] {
  const out: string[] = [];
  const mappings = list(r.props.blockDeviceMappings).map((m) => obj(m) ?? {});
  const root = mappings.find(
    (m) => typeof m.deviceName === "string" && ROOT_DEVICE_NAMES.includes(m.deviceName),
  );
  if (!root || !obj(root.ebs)) {
    out.push(
      `launch template ${r.name} has no EBS mapping for the root device (${ROOT_DEVICE_NAMES.join(" or ")}): the AMI would decide the root volume's encryption; declare it encrypted with the unit key`,
    );
  }
  for (const m of mappings) {
    const ebs = obj(m.ebs);
    if (!ebs) continue; // instance-store or suppressed devices carry no EBS data
    const p = ebsProblem(ebs, "kmsKeyId");
    if (p) out.push(`launch template ${r.name} device ${String(m.deviceName)} ${p}`);
  }
  return out;
}

/** Instances and spot instance requests: rootBlockDevice plus ebsBlockDevices. */
function instanceProblems(r: PolicyResource, what: string): string[] {
  const out: string[] = [];
  const root = obj(r.props.rootBlockDevice);
  const p = root ? ebsProblem(root, "kmsKeyId") : "is not declared (declare it encrypted)";
  if (p) out.push(`${what} ${r.name} root volume ${p}`);
  for (const d of list(r.props.ebsBlockDevices).map(obj)) {
    const q = d ? ebsProblem(d, "kmsKeyId") : undefined;
    if (q) out.push(`${what} ${r.name} device ${String(d?.deviceName)} ${q}`);
  }
  return out;
}

function spotFleetProblems(r: PolicyResource): string[] {
  return list(r.props.launchSpecifications).flatMap((x, i) => {
    const spec = obj(x) ?? {};
    const where = `spot fleet ${r.name} launchSpecifications[${i}]`;
    const roots = list(spec.rootBlockDevices).map((d) => obj(d) ?? {});
    const out = roots.length === 0 ? [`${where} declares no root block device`] : [];
    for (const d of roots) {
      const p = ebsProblem(d, "kmsKeyId");
      if (p) out.push(`${where} root volume ${p}`);
    }
    for (const d of list(spec.ebsBlockDevices).map((e) => obj(e) ?? {})) {
      const p = ebsProblem(d, "kmsKeyId");
      if (p) out.push(`${where} device ${String(d.deviceName)} ${p}`);
    }
    return out;
  });
}

function blockDeviceProblems(r: PolicyResource): string[] {
  switch (r.type) {
    case T.launchTemplate:
      return launchTemplateProblems(r);
    case T.instance:
      return instanceProblems(r, "instance");
    case T.spotInstance:
      return instanceProblems(r, "spot instance request");
    case T.spotFleet:
      return spotFleetProblems(r);
    case T.launchConfiguration:
      // A launch configuration's block devices have no KMS key field: it cannot use the unit key.
      return [
        `launch configuration ${r.name} cannot encrypt its volumes with a customer key: use a launch template`,
      ];
    default:
      return [];
  }
}

export const blockDeviceCustomerKey: Rule = {
  name: "block-device-customer-key",
  description:
    "Every disk of a launch template (root mapped explicitly), instance, spot request or spot fleet is encrypted with a customer-managed KMS key.",
  check: blockDeviceProblems,
};

export const secureStringCustomerKey: Rule = {
  name: "securestring-customer-key",
  description: "Every SSM SecureString parameter is encrypted with a customer-managed KMS key.",
  check(r) {
    if (r.type !== T.parameter || r.props.type !== "SecureString") return [];
    if (!isKeySet(r.props.keyId)) {
      return [`parameter ${r.name} has no keyId: it would use the account's aws/ssm key`];
    }
    if (isAwsManagedKey(r.props.keyId)) {
      return [`parameter ${r.name} uses an AWS managed key (${String(r.props.keyId)})`];
    }
    return [];
  },
};

export const kmsKeyRotation: Rule = {
  name: "kms-key-rotation",
  description: "Every symmetric customer-managed KMS key has automatic rotation on.",
  check(r) {
    if (r.type !== T.key) return [];
    // KMS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot rotate.
    const spec = r.props.customerMasterKeySpec ?? r.props.keySpec;
    if (typeof spec === "string" && spec !== "SYMMETRIC_DEFAULT") return [];
    return r.props.enableKeyRotation === true
      ? []
      : [`KMS key ${r.name} does not rotate (set enableKeyRotation: true)`];
  },
};
