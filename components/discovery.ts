import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Network } from "./network";
import type { ServiceDnsConfig } from "../lib/config/serving";
import type { UnitTags } from "./unit-scope";

export interface DiscoveryArgs {
  network: Network;
  /** Explicit ELBv2 names (lib/design.ts): AWS allows 32 characters, auto-naming overflows. */
  names: { loadBalancer: string; targetGroup: string };
  /** Livepeer service port (8935): the only port the load balancer listens on. */
  servicePort: number;
  /** Health agent port the target group checks (inside the VPC only). */
  healthPort: number;
  /** The fleet's service name: this region's latency record for it points here. */
  serviceDns?: ServiceDnsConfig;
  region: string;
  tags: UnitTags;
}

/**
 * Target group health check: the orchestrator's health agent (go-livepeer answering, the chain
 * readable, at least one transcoder registered), never the TLS service port, whose /healthz
 * answers 200 whatever the node's state (go-livepeer server/handlers.go).
 */
export function healthCheck(healthPort: number): aws.types.input.lb.TargetGroupHealthCheck {
  return {
    enabled: true,
    protocol: "HTTP",
    port: String(healthPort),
    path: "/healthz",
    matcher: "200",
    // 10 s x 2 failures takes an orchestrator out of discovery in ~20 s; 3 successes bring it back.
    interval: 10,
    timeout: 5,
    healthyThreshold: 3,
    unhealthyThreshold: 2,
  };
}

/**
 * The region's front door for discovery: an internet-facing NLB on the service port whose targets
 * are the orchestrators. It carries gateways' GetOrchestrator only: the answer names the
 * orchestrator's own address (its -serviceAddr), where the gateway then sends its segments, so
 * video never crosses the load balancer (nor its per-GB charge). With a fleet service name, the
 * region adds its latency-based alias record for that name: the nearest region with a healthy
 * orchestrator answers, and a region with none drops out (evaluate target health).
 */
export class Discovery extends pulumi.ComponentResource {
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly loadBalancer: aws.lb.LoadBalancer;
  public readonly targetGroup: aws.lb.TargetGroup;
  public readonly serviceRecord?: aws.route53.Record;

  constructor(name: string, args: DiscoveryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:nodes:Discovery", name, {}, opts);
    const { network, tags } = args;
    const child = { parent: this };
    const tagged = (n: string) => ({ ...tags, Name: n });

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-nlb-sg`,
      {
        vpcId: network.vpcId,
        description: "Livepeer discovery NLB: service port from anywhere, to orchestrators only",
        ingress: [
          {
            protocol: "tcp",
            fromPort: args.servicePort,
            toPort: args.servicePort,
            cidrBlocks: ["0.0.0.0/0"],
            description: "Livepeer service (discovery)",
          },
        ],
        egress: [
          {
            protocol: "tcp",
            fromPort: args.servicePort,
            toPort: args.servicePort,
            cidrBlocks: [network.cidr],
            description: "to orchestrators",
          },
          {
            protocol: "tcp",
            fromPort: args.healthPort,
            toPort: args.healthPort,
            cidrBlocks: [network.cidr],
            description: "health checks",
          },
        ],
        tags: tagged(`${name}-nlb-sg`),
      },
      child,
    );

    const azs = Object.keys(network.subnets).sort();
    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-nlb`,
      {
        name: args.names.loadBalancer,
        loadBalancerType: "network",
        internal: false,
        securityGroups: [this.securityGroup.id],
        // AWS-assigned addresses: the service name points at the NLB by alias, never by IP.
        subnets: azs.map((az) => network.subnets[az].publicSubnet.id),
        // Orchestrators sit in some AZs only: cross-zone keeps every AZ address useful.
        enableCrossZoneLoadBalancing: true,
        tags: tagged(`${name}-nlb`),
      },
      {
        ...child,
        // An internet-facing NLB in a subnet whose VPC has no internet gateway yet fails with
        // InvalidSubnet: wait for the gateway's route.
        dependsOn: [network.internetRoute],
        // Its name is explicit: a replacement must free it first.
        deleteBeforeReplace: true,
      },
    );
    this.targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        name: args.names.targetGroup,
        vpcId: network.vpcId,
        port: args.servicePort,
        protocol: "TCP",
        targetType: "instance",
        healthCheck: healthCheck(args.healthPort),
        // Discovery calls are one request each: nothing long-lived to drain.
        deregistrationDelay: 30,
        tags: tagged(`${name}-tg`),
      },
      { ...child, deleteBeforeReplace: true },
    );
    new aws.lb.Listener(
      `${name}-listener`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: args.servicePort,
        protocol: "TCP",
        defaultActions: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
        tags: tagged(`${name}-listener`),
      },
      child,
    );

    const dns = args.serviceDns;
    if (dns) {
      this.serviceRecord = new aws.route53.Record(
        `${name}-service`,
        {
          zoneId: dns.hostedZoneId,
          name: dns.name,
          type: "A",
          // One record per region under the one name; Route 53 answers with the lowest-latency
          // region whose NLB has a healthy target.
          setIdentifier: args.region,
          latencyRoutingPolicies: [{ region: args.region }],
          aliases: [
            {
              name: this.loadBalancer.dnsName,
              zoneId: this.loadBalancer.zoneId,
              evaluateTargetHealth: true,
            },
          ],
        },
        child,
      );
    }

    this.registerOutputs({
      loadBalancerDns: this.loadBalancer.dnsName,
      targetGroupArn: this.targetGroup.arn,
      serviceName: dns?.name,
    });
  }
}
