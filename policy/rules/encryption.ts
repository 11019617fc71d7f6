// Encryption at rest with the region unit's customer-managed key, and that key's rotation. Pure.
import { isAwsManagedKey, isKeySet, isTrue, list, obj, PolicyResource, Rule } from "./resource";

const T = {
  volume: "aws:ebs/volume:Volume",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  instance: "aws:ec2/instance:Instance",
  parameter: "aws:ssm/parameter:Parameter",
  key: "aws:kms/key:Key",
} as const;

/** An EBS definition (volume, block device) is encrypted with a customer key, or says why not. */
function ebsProblem(ebs: Record<string, unknown>, keyField: string): string | undefined {
  if (!isTrue(ebs.encrypted)) return "is not encrypted (encrypted must be true)";
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

function blockDeviceProblems(r: PolicyResource): string[] {
  const out: string[] = [];
  if (r.type === T.launchTemplate) {
    const mappings = list(r.props.blockDeviceMappings).map(obj);
    // Without a mapping the root disk is whatever the AMI says: not necessarily encrypted.
    if (!mappings.some((m) => obj(m?.ebs))) {
      out.push(
        `launch template ${r.name} declares no EBS block device: declare the root volume encrypted`,
      );
    }
    for (const m of mappings) {
      const ebs = obj(m?.ebs);
      if (!ebs) continue; // instance-store or suppressed devices carry no EBS data
      const p = ebsProblem(ebs, "kmsKeyId");
      if (p) out.push(`launch template ${r.name} device ${String(m?.deviceName)} ${p}`);
    }
  } else if (r.type === T.instance) {
    const root = obj(r.props.rootBlockDevice);
    const p = root ? ebsProblem(root, "kmsKeyId") : "is not declared (declare it encrypted)";
    if (p) out.push(`instance ${r.name} root volume ${p}`);
    for (const d of list(r.props.ebsBlockDevices).map(obj)) {
      const q = d ? ebsProblem(d, "kmsKeyId") : undefined;
      if (q) out.push(`instance ${r.name} device ${String(d?.deviceName)} ${q}`);
    }
  }
  return out;
}

export const blockDeviceCustomerKey: Rule = {
  name: "block-device-customer-key",
  description:
    "Every launch template and instance block device is encrypted with a customer-managed KMS key.",
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
