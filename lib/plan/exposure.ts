// What a stack opens to the internet, read from the recorded resource inputs. Used by the plan
// report and by the security test suite, so both see the same answer.
import type { RecordedResource } from "./evaluate";

export interface PublicIngress {
  /** A port, or "from-to" for a range, or "all". */
  port: number | string;
  protocol: string;
  resource: string;
  /** What kind of resource opens it. */
  via: "security-group" | "security-group-rule" | "load-balancer-listener";
}

const ANYWHERE_V4 = "0.0.0.0/0";
const ANYWHERE_V6 = "::/0";

function portOf(from: unknown, to: unknown, protocol: string): number | string {
  if (protocol === "-1" || protocol === "all") return "all";
  const f = Number(from);
  const t = Number(to ?? from);
  return f === t ? f : `${f}-${t}`;
}

function proto(p: unknown): string {
  const s = typeof p === "string" || typeof p === "number" ? String(p).toLowerCase() : "";
  return s === "-1" ? "all" : s;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function publicIngress(resources: readonly RecordedResource[]): PublicIngress[] {
  const out: PublicIngress[] = [];
  // Under the mocks an ARN ends with the resource's logical name (lib/plan/evaluate.ts).
  const publicLbNames = resources
    .filter((r) => r.type === "aws:lb/loadBalancer:LoadBalancer" && r.inputs.internal !== true)
    .map((r) => r.name);
  for (const r of resources) {
    const i = r.inputs;
    switch (r.type) {
      case "aws:ec2/securityGroup:SecurityGroup":
        for (const rule of asArray(i.ingress) as Record<string, unknown>[]) {
          const cidrs = [...asArray(rule.cidrBlocks), ...asArray(rule.ipv6CidrBlocks)];
          if (cidrs.includes(ANYWHERE_V4) || cidrs.includes(ANYWHERE_V6)) {
            const p = proto(rule.protocol);
            out.push({
              port: portOf(rule.fromPort, rule.toPort, p),
              protocol: p,
              resource: r.name,
              via: "security-group",
            });
          }
        }
        break;
      case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        if (i.cidrIpv4 === ANYWHERE_V4 || i.cidrIpv6 === ANYWHERE_V6) {
          const p = proto(i.ipProtocol);
          out.push({
            port: portOf(i.fromPort, i.toPort, p),
            protocol: p,
            resource: r.name,
            via: "security-group-rule",
          });
        }
        break;
      case "aws:ec2/securityGroupRule:SecurityGroupRule": {
        const cidrs = [...asArray(i.cidrBlocks), ...asArray(i.ipv6CidrBlocks)];
        if (i.type === "ingress" && (cidrs.includes(ANYWHERE_V4) || cidrs.includes(ANYWHERE_V6))) {
          const p = proto(i.protocol);
          out.push({
            port: portOf(i.fromPort, i.toPort, p),
            protocol: p,
            resource: r.name,
            via: "security-group-rule",
          });
        }
        break;
      }
      case "aws:lb/listener:Listener":
        if (publicLbNames.some((n) => String(i.loadBalancerArn).endsWith(`:${n}`))) {
          out.push({
            port: Number(i.port),
            protocol: proto(i.protocol),
            resource: r.name,
            via: "load-balancer-listener",
          });
        }
        break;
      default:
        break;
    }
  }
  return out;
}
