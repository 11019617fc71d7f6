// Ingress rules, whichever way they are written: inline `ingress` blocks of a security group (and of
// the VPC's default security group), standalone aws.vpc.SecurityGroupIngressRule resources and
// aws.ec2.SecurityGroupRule resources of type ingress (the public AWS packs check only the inline
// form); and the ports load balancers listen on, forward to and health-check. Pure.
import { DEFAULTS } from "../../lib/config/schema";
import { LIVEPEER_CLI_PORT } from "../../lib/config/ports";
import { coversOutside, PRIVATE_SPACE } from "./address";
import { list, obj, PolicyContext, PolicyResource, Rule, UNKNOWN } from "./resource";

export { LIVEPEER_CLI_PORT };
export const SSH_PORT = 22;

export interface Ingress {
  /** Where it is written, for messages. */
  where: string;
  /** tcp, udp, icmp, icmpv6, all, or another protocol name/number. */
  protocol: string;
  from: number;
  to: number;
  /**
   * The sources that reach addresses outside the unit's VPC, as written: a CIDR block that is not
   * inside the VPC (whatever its spelling or length: 0.0.0.0/1, 8000::/1, 0::/0), or a prefix list
   * (its entries live outside the resource and can change without a deploy, so it is public unless
   * proven otherwise). Empty when every source is inside the VPC or another security group.
   */
  publicSources: string[];
  /** publicSources is not empty. */
  public: boolean;
}

const PROTOCOL_NUMBERS: Record<string, string> = {
  "-1": "all",
  "6": "tcp",
  "17": "udp",
  "1": "icmp",
  "58": "icmpv6",
};

function protocolOf(v: unknown): string {
  const s = typeof v === "number" || typeof v === "string" ? String(v).trim().toLowerCase() : "?";
  return PROTOCOL_NUMBERS[s] ?? s;
}

function range(protocol: string, from: unknown, to: unknown): [number, number] {
  if (protocol === "all") return [0, 65535];
  const f = typeof from === "number" ? from : Number(from);
  const t = to === undefined || to === null ? f : typeof to === "number" ? to : Number(to);
  // An unknown or missing port on tcp/udp cannot be checked: treat it as the whole range.
  if (!Number.isFinite(f) || !Number.isFinite(t) || (f === 0 && t === 0) || f < 0 || t < f)
    return [0, 65535];
  return [f, t];
}

/** What the rules count as inside: the VPC's blocks when known, else the private address space. */
export function insideBlocks(ctx: PolicyContext): readonly string[] {
  return ctx.vpcCidrs ?? PRIVATE_SPACE;
}

/**
 * The public sources among CIDR blocks and prefix lists. A CIDR unknown during preview is an
 * output of a resource of this update (the VPC's block, an address being allocated); the engine
 * checks it again with its real value before it creates the rule (`pulumi up` validates each
 * resource's resolved inputs), so preview passes it.
 */
function publicSources(
  cidrs: readonly unknown[],
  prefixLists: readonly unknown[],
  ctx: PolicyContext,
): string[] {
  const inside = insideBlocks(ctx);
  const out: string[] = [];
  for (const c of cidrs) {
    if (c === UNKNOWN || c === undefined || c === null || c === "") continue;
    const text = typeof c === "string" ? c : JSON.stringify(c);
    if (coversOutside(text, inside)) out.push(text);
  }
  for (const p of prefixLists) {
    if (p === undefined || p === null || p === "") continue;
    out.push(`prefix list ${typeof p === "string" ? p : "(computed)"}`);
  }
  return out;
}

/** Every ingress a resource opens, normalised. Non-ingress resources yield nothing. */
export function ingressOf(r: PolicyResource, ctx: PolicyContext = { publicPorts: [] }): Ingress[] {
  const p = r.props;
  const make = (
    where: string,
    proto: unknown,
    from: unknown,
    to: unknown,
    cidrs: unknown[],
    prefixLists: unknown[],
  ): Ingress => {
    const protocol = protocolOf(proto);
    const [f, t] = range(protocol, from, to);
    const sources = publicSources(cidrs, prefixLists, ctx);
    return { where, protocol, from: f, to: t, publicSources: sources, public: sources.length > 0 };
  };
  switch (r.type) {
    case "aws:ec2/securityGroup:SecurityGroup":
    case "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
      return list(p.ingress).map((x, i) => {
        const rule = obj(x) ?? {};
        return make(
          `security group ${r.name} ingress[${i}]`,
          rule.protocol,
          rule.fromPort,
          rule.toPort,
          [...list(rule.cidrBlocks), ...list(rule.ipv6CidrBlocks)],
          list(rule.prefixListIds),
        );
      });
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      return [
        make(
          `ingress rule ${r.name}`,
          p.ipProtocol,
          p.fromPort,
          p.toPort,
          [p.cidrIpv4, p.cidrIpv6],
          [p.prefixListId],
        ),
      ];
    case "aws:ec2/securityGroupRule:SecurityGroupRule":
      if (String(p.type).toLowerCase() !== "ingress") return [];
      return [
        make(
          `security group rule ${r.name}`,
          p.protocol,
          p.fromPort,
          p.toPort,
          [...list(p.cidrBlocks), ...list(p.ipv6CidrBlocks)],
          list(p.prefixListIds),
        ),
      ];
    default:
      return [];
  }
}

function covers(i: Ingress, protocol: "tcp" | "udp", port: number): boolean {
  return (i.protocol === "all" || i.protocol === protocol) && i.from <= port && port <= i.to;
}

function portText(i: Ingress): string {
  const ports =
    i.protocol === "all"
      ? "all ports"
      : i.from === i.to
        ? `port ${i.from}`
        : `ports ${i.from}-${i.to}`;
  return `${i.protocol} ${ports}`;
}

export const noSshIngress: Rule = {
  name: "no-ssh-ingress",
  description: "No ingress on port 22 from anywhere: operators use SSM Session Manager.",
  check(r, ctx) {
    return ingressOf(r, ctx)
      .filter((i) => covers(i, "tcp", SSH_PORT))
      .map((i) => `${i.where} allows ${portText(i)}, which includes SSH (22): use Session Manager`);
  },
};

export const publicIngressAllowlist: Rule = {
  name: "public-ingress-allowlist",
  description:
    "Ingress from outside the VPC (any CIDR not inside it, any prefix list) only on the Livepeer service port and an explicitly configured chain P2P port.",
  check(r, ctx) {
    const allowed = (i: Ingress) =>
      i.from === i.to &&
      ctx.publicPorts.some((a) => a.protocol === i.protocol && a.port === i.from);
    const allowedText = ctx.publicPorts.map((a) => `${a.protocol} ${a.port} (${a.why})`).join(", ");
    return ingressOf(r, ctx)
      .filter((i) => i.public && !allowed(i))
      .map(
        (i) =>
          `${i.where} opens ${portText(i)} to addresses outside the VPC (${i.publicSources.join(", ")}); allowed: ${allowedText || "nothing in this stack"}`,
      );
  },
};

/** A port a load balancer uses, as written. */
interface LbPort {
  where: string;
  kind: "listener" | "target" | "health check";
  /** A number, UNKNOWN, or undefined when not written. */
  port: unknown;
}

const LISTENERS = new Set(["aws:lb/listener:Listener", "aws:alb/listener:Listener"]);
const TARGET_GROUPS = new Set([
  "aws:lb/targetGroup:TargetGroup",
  "aws:alb/targetGroup:TargetGroup",
]);
const CLASSIC_ELB = "aws:elb/loadBalancer:LoadBalancer";

/** Every port a load balancer resource listens on, forwards to or health-checks. */
export function loadBalancerPorts(r: PolicyResource): LbPort[] {
  const p = r.props;
  if (LISTENERS.has(r.type))
    return [{ where: `listener ${r.name}`, kind: "listener", port: p.port }];
  if (TARGET_GROUPS.has(r.type)) {
    const out: LbPort[] = [];
    // Lambda targets have no port; every other target type forwards to one.
    if (p.targetType !== "lambda") {
      out.push({ where: `target group ${r.name}`, kind: "target", port: p.port });
    }
    const hc = obj(p.healthCheck)?.port;
    // "traffic-port" (the default) checks the port traffic goes to: already covered above.
    if (hc !== undefined && hc !== "traffic-port") {
      out.push({ where: `target group ${r.name} health check`, kind: "health check", port: hc });
    }
    return out;
  }
  if (r.type === CLASSIC_ELB) {
    const out: LbPort[] = list(p.listeners).flatMap((x, i) => {
      const l = obj(x) ?? {};
      return [
        {
          where: `classic load balancer ${r.name} listener[${i}]`,
          kind: "listener",
          port: l.lbPort,
        },
        {
          where: `classic load balancer ${r.name} listener[${i}] instance port`,
          kind: "target",
          port: l.instancePort,
        },
      ] as LbPort[];
    });
    // The classic health check names its port inside "TCP:8936" or "HTTP:8936/healthz".
    const target = obj(p.healthCheck)?.target;
    if (target !== undefined) {
      const m = typeof target === "string" ? /^[A-Za-z]+:(\d+)/.exec(target) : null;
      out.push({
        where: `classic load balancer ${r.name} health check`,
        kind: "health check",
        port: target === UNKNOWN ? UNKNOWN : m ? Number(m[1]) : undefined,
      });
    }
    return out;
  }
  return [];
}

function portNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^\d+$/.test(v.trim())) return Number(v);
  return undefined;
}

/**
 * Load balancers carry the Livepeer service port and nothing else: listeners and target groups on
 * the stack's public TCP ports (the service port), health checks on those or on the health agent's
 * port. The health port is allowed only as a health-check port, never for traffic: the load
 * balancer's checks come from inside the VPC, and the security group rule that admits them is
 * VPC-only (public-ingress-allowlist). The unit has no internal load balancer: the RPC proxy,
 * redeemer and chain health ports are reached through security-group references, so no listener
 * or target group ever needs them.
 */
export const loadBalancerPortAllowlist: Rule = {
  name: "load-balancer-port-allowlist",
  description:
    "Load balancer listeners and target groups use only the Livepeer service port; health checks also the health agent's port.",
  check(r, ctx) {
    const traffic = ctx.publicPorts.filter((a) => a.protocol === "tcp").map((a) => a.port);
    const health = [...traffic, ...(ctx.healthCheckPorts ?? [DEFAULTS.healthPort])];
    const out: string[] = [];
    for (const lp of loadBalancerPorts(r)) {
      if (lp.port === UNKNOWN) continue;
      const n = portNumber(lp.port);
      const allowed = lp.kind === "health check" ? health : traffic;
      if (n === undefined) {
        out.push(
          `${lp.where} has no port the policy can read (${JSON.stringify(lp.port ?? null)}): write it out`,
        );
      } else if (!allowed.includes(n)) {
        out.push(
          `${lp.where} uses port ${n}; a ${lp.kind} may use only ${allowed.join(", ") || "no port in this stack"}`,
        );
      }
    }
    return out;
  },
};

export const cliPortNeverExposed: Rule = {
  name: "livepeer-cli-port-never-exposed",
  description: `The Livepeer CLI port (${LIVEPEER_CLI_PORT}) is never reachable: no ingress, listener or target group uses it.`,
  check(r, ctx) {
    const out = ingressOf(r, ctx)
      .filter((i) => covers(i, "tcp", LIVEPEER_CLI_PORT))
      .map(
        (i) =>
          `${i.where} allows ${portText(i)}, which includes the Livepeer CLI port (${LIVEPEER_CLI_PORT})`,
      );
    for (const lp of loadBalancerPorts(r)) {
      if (portNumber(lp.port) === LIVEPEER_CLI_PORT) {
        out.push(`${lp.where} uses the Livepeer CLI port (${LIVEPEER_CLI_PORT})`);
      }
    }
    return out;
  },
};
