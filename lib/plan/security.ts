// The project's security invariants, checked over a stack's recorded resources: nothing public
// but the service port (and an explicitly configured chain P2P port), never SSH, and every
// volume, root disk and parameter encrypted with a customer key. The security test suite runs
// these over every shipped stack; each check also has a failing case in the tests.
import type { RecordedResource } from "./evaluate";
import { publicIngress } from "./exposure";

export interface Violation {
  resource: string;
  rule: string;
  detail: string;
}

export interface ExposureAllowance {
  /** Ports that may be public: the Livepeer service port and, if configured, the P2P port. */
  publicPorts: number[];
}

export function exposureViolations(
  resources: readonly RecordedResource[],
  allow: ExposureAllowance,
): Violation[] {
  const out: Violation[] = [];
  for (const p of publicIngress(resources)) {
    const ports =
      typeof p.port === "number"
        ? [p.port]
        : p.port === "all"
          ? ["all"]
          : p.port.split("-").map(Number);
    const covers22 =
      p.port === "all" ||
      (ports.length === 2 && Number(ports[0]) <= 22 && Number(ports[1]) >= 22) ||
      p.port === 22;
    if (covers22) {
      out.push({
        resource: p.resource,
        rule: "no-public-ssh",
        detail: `${p.port}/${p.protocol} open to the internet`,
      });
    } else if (typeof p.port !== "number" || !allow.publicPorts.includes(p.port)) {
      out.push({
        resource: p.resource,
        rule: "public-ports-allowlist",
        detail: `${p.port}/${p.protocol} open to the internet; only ${allow.publicPorts.join(", ")} may be`,
      });
    }
  }
  return out;
}

function hasKey(v: unknown): boolean {
  return typeof v === "string" && v.length > 0;
}

export function encryptionViolations(resources: readonly RecordedResource[]): Violation[] {
  const out: Violation[] = [];
  for (const r of resources) {
    const i = r.inputs;
    if (r.type === "aws:ebs/volume:Volume" && !(i.encrypted === true && hasKey(i.kmsKeyId))) {
      out.push({
        resource: r.name,
        rule: "volume-encrypted-cmk",
        detail: "EBS volume not encrypted with a customer key",
      });
    }
    if (r.type === "aws:ec2/launchTemplate:LaunchTemplate") {
      const mappings = (i.blockDeviceMappings ?? []) as {
        deviceName?: string;
        ebs?: Record<string, unknown>;
      }[];
      if (mappings.length === 0) {
        out.push({
          resource: r.name,
          rule: "root-encrypted-cmk",
          detail: "no block device mapping: the AMI's unencrypted default root would be used",
        });
      }
      for (const m of mappings) {
        if (m.ebs && !(m.ebs.encrypted === "true" && hasKey(m.ebs.kmsKeyId))) {
          out.push({
            resource: r.name,
            rule: "root-encrypted-cmk",
            detail: `${m.deviceName ?? "device"} not encrypted with a customer key`,
          });
        }
      }
    }
    if (r.type === "aws:ec2/instance:Instance") {
      const root = i.rootBlockDevice as Record<string, unknown> | undefined;
      if (!(root?.encrypted === true && hasKey(root.kmsKeyId))) {
        out.push({
          resource: r.name,
          rule: "root-encrypted-cmk",
          detail: "instance root volume not encrypted with a customer key",
        });
      }
    }
    if (
      r.type === "aws:ssm/parameter:Parameter" &&
      !(i.type === "SecureString" && hasKey(i.keyId))
    ) {
      out.push({
        resource: r.name,
        rule: "parameter-securestring-cmk",
        detail: "SSM parameter is not a SecureString under a customer key",
      });
    }
  }
  return out;
}
