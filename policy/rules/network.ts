// Ingress rules, whichever way they are written: inline `ingress` blocks of a security group,
// standalone aws.vpc.SecurityGroupIngressRule resources and aws.ec2.SecurityGroupRule resources of
// type ingress (the public AWS packs check only the inline form). Pure.
import { list, obj, PolicyResource, Rule, UNKNOWN } from "./resource";

/** go-livepeer's CLI port: fund-moving routes, no authentication (livepeer.md). */
export const LIVEPEER_CLI_PORT = 7935;
export const SSH_PORT = 22;

const ANYWHERE = new Set(["0.0.0.0/0", "::/0"]);

export interface Ingress {
  /** Where it is written, for messages. */
  where: string;
  /** tcp, udp, icmp, icmpv6, all, or another protocol name/number. */
  protocol: string;
  from: number;
  to: number;
  /** True when a source is 0.0.0.0/0 or ::/0. */
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
  const s = typeof v === "number" || typeof v === "string" ? String(v).toLowerCase() : "?";
  return PROTOCOL_NUMBERS[s] ?? s;
}

function range(protocol: string, from: unknown, to: unknown): [number, number] {
  if (protocol === "all") return [0, 65535];
  const f = typeof from === "number" ? from : Number(from);
  const t = to === undefined || to === null ? f : typeof to === "number" ? to : Number(to);
  // An unknown or missing port on tcp/udp cannot be checked: treat it as the whole range.
  if (!Number.isFinite(f) || !Number.isFinite(t) || (f === 0 && t === 0) || f < 0)
    return [0, 65535];
  return [f, t];
}

function isPublic(...sources: unknown[]): boolean {
  // A public CIDR is always a literal in code, so an unknown (computed) value is never one.
  return sources.some((s) => s !== UNKNOWN && typeof s === "string" && ANYWHERE.has(s));
}

/** Every ingress a resource opens, normalised. Non-ingress resources yield nothing. */
export function ingressOf(r: PolicyResource): Ingress[] {
  const p = r.props;
  const make = (
    where: string,
    proto: unknown,
    from: unknown,
    to: unknown,
    pub: boolean,
  ): Ingress => {
    const protocol = protocolOf(proto);
    const [f, t] = range(protocol, from, to);
    return { where, protocol, from: f, to: t, public: pub };
  };
  switch (r.type) {
    case "aws:ec2/securityGroup:SecurityGroup":
      return list(p.ingress).map((x, i) => {
        const rule = obj(x) ?? {};
        const cidrs = [...list(rule.cidrBlocks), ...list(rule.ipv6CidrBlocks)];
        return make(
          `security group ${r.name} ingress[${i}]`,
          rule.protocol,
          rule.fromPort,
          rule.toPort,
          isPublic(...cidrs),
        );
      });
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      return [
        make(
          `ingress rule ${r.name}`,
          p.ipProtocol,
          p.fromPort,
          p.toPort,
          isPublic(p.cidrIpv4, p.cidrIpv6),
        ),
      ];
    case "aws:ec2/securityGroupRule:SecurityGroupRule":
      if (p.type !== "ingress") return [];
      return [
        make(
          `security group rule ${r.name}`,
          p.protocol,
          p.fromPort,
          p.toPort,
          isPublic(...list(p.cidrBlocks), ...list(p.ipv6CidrBlocks)),
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
  check(r) {
    return ingressOf(r)
      .filter((i) => covers(i, "tcp", SSH_PORT))
      .map((i) => `${i.where} allows ${portText(i)}, which includes SSH (22): use Session Manager`);
  },
};

export const publicIngressAllowlist: Rule = {
  name: "public-ingress-allowlist",
  description:
    "Public ingress (0.0.0.0/0, ::/0) only on the Livepeer service port and an explicitly configured chain P2P port.",
  check(r, ctx) {
    const allowed = (i: Ingress) =>
      i.from === i.to &&
      ctx.publicPorts.some((a) => a.protocol === i.protocol && a.port === i.from);
    const allowedText = ctx.publicPorts.map((a) => `${a.protocol} ${a.port} (${a.why})`).join(", ");
    return ingressOf(r)
      .filter((i) => i.public && !allowed(i))
      .map(
        (i) =>
          `${i.where} opens ${portText(i)} to the internet; allowed: ${allowedText || "nothing in this stack"}`,
      );
  },
};

export const cliPortNeverExposed: Rule = {
  name: "livepeer-cli-port-never-exposed",
  description: `The Livepeer CLI port (${LIVEPEER_CLI_PORT}) is never reachable: no ingress, listener or target group uses it.`,
  check(r) {
    const out = ingressOf(r)
      .filter((i) => covers(i, "tcp", LIVEPEER_CLI_PORT))
      .map(
        (i) =>
          `${i.where} allows ${portText(i)}, which includes the Livepeer CLI port (${LIVEPEER_CLI_PORT})`,
      );
    const port = (v: unknown) =>
      v !== undefined && v !== UNKNOWN && Number(v) === LIVEPEER_CLI_PORT;
    if (r.type === "aws:lb/listener:Listener" && port(r.props.port)) {
      out.push(`listener ${r.name} listens on the Livepeer CLI port (${LIVEPEER_CLI_PORT})`);
    }
    if (r.type === "aws:lb/targetGroup:TargetGroup") {
      if (port(r.props.port)) out.push(`target group ${r.name} forwards to the Livepeer CLI port`);
      if (port(obj(r.props.healthCheck)?.port)) {
        out.push(`target group ${r.name} health-checks the Livepeer CLI port`);
      }
    }
    return out;
  },
};
