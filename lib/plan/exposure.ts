// What a stack opens to the internet, read from the recorded resource inputs. Used by the plan
// report and by the security test suite, so both see the same answer.
import type { RecordedResource } from "./evaluate";
import { ingressOf } from "../../policy/rules/network";

export interface PublicIngress {
  /** A port, or "from-to" for a range, or "all". */
  port: number | string;
  protocol: string;
  resource: string;
  /** What kind of resource opens it. */
  via: "security-group" | "security-group-rule" | "load-balancer-listener";
}

function portOf(from: number, to: number, protocol: string): number | string {
  if (protocol === "all") return "all";
  return from === to ? from : `${from}-${to}`;
}

function proto(p: unknown): string {
  const s = typeof p === "string" || typeof p === "number" ? String(p).toLowerCase() : "";
  return s === "-1" ? "all" : s;
}

const VIA: Record<string, PublicIngress["via"]> = {
  "aws:ec2/securityGroup:SecurityGroup": "security-group",
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "security-group",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security-group-rule",
  "aws:ec2/securityGroupRule:SecurityGroupRule": "security-group-rule",
};

export function publicIngress(resources: readonly RecordedResource[]): PublicIngress[] {
  const out: PublicIngress[] = [];
  // Under the mocks an ARN ends with the resource's logical name (lib/plan/evaluate.ts).
  const publicLbNames = resources
    .filter((r) => r.type === "aws:lb/loadBalancer:LoadBalancer" && r.inputs.internal !== true)
    .map((r) => r.name);
  // "Public" as the policy pack judges it (policy/rules/network.ts ingressOf): any source that
  // covers an address outside the stack's VPCs, whatever its spelling, or a prefix list.
  const vpcCidrs = resources
    .filter((r) => r.type === "aws:ec2/vpc:Vpc" && typeof r.inputs.cidrBlock === "string")
    .map((r) => String(r.inputs.cidrBlock));
  for (const r of resources) {
    const via = VIA[r.type];
    if (via) {
      const policyResource = { type: r.type, name: r.name, props: r.inputs, protect: r.protect };
      for (const i of ingressOf(policyResource, { publicPorts: [], vpcCidrs })) {
        if (i.public) {
          out.push({
            port: portOf(i.from, i.to, i.protocol),
            protocol: i.protocol,
            resource: r.name,
            via,
          });
        }
      }
    } else if (r.type === "aws:lb/listener:Listener") {
      const i = r.inputs;
      if (publicLbNames.some((n) => String(i.loadBalancerArn).endsWith(`:${n}`))) {
        out.push({
          port: Number(i.port),
          protocol: proto(i.protocol),
          resource: r.name,
          via: "load-balancer-listener",
        });
      }
    }
  }
  return out;
}
