// What each tier of a region unit may send out, derived from what it dials, each rule with its
// reason. Plain data first (tested directly and under the mock monitor), then one builder that
// turns a tier's rules into standalone egress rules on its security group.
//
// Not listed on purpose, because security groups do not filter it: DNS to the VPC's resolver,
// NTP to the Amazon Time Sync Service (169.254.169.123, link-local) and the instance metadata
// service. The VPC User Guide: "Amazon security groups and network ACLs do not filter traffic
// destined to and from the following: Amazon Domain Name Services (DNS), Amazon Dynamic Host
// Configuration Protocol (DHCP), Amazon EC2 instance metadata, ..., Amazon Time Sync Service"
// ("Internetwork traffic privacy in Amazon VPC"), and "You cannot filter traffic to or from the
// Amazon DNS server using network ACLs or security groups" ("Amazon DNS server").
//
// HTTPS goes to the whole internet rather than to the S3 gateway endpoint's prefix list and the
// VPC (the SSM interface endpoints): the EC2, Route 53, Auto Scaling and CloudWatch APIs the
// nodes call have no endpoint in the VPC and no prefix list, and neither do the hosted RPC
// providers, release downloads or a gateway's object store. A prefix-list rule would add nothing
// to a 443-to-anywhere rule.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export const INTERNET = "0.0.0.0/0";

/** One outbound rule: its logical name is `${component}-${key}-out`, so keys are permanent. */
export interface EgressRule {
  key: string;
  /** EC2's rule description characters only: letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* */
  description: string;
  ipProtocol: "tcp" | "udp";
  fromPort: number;
  toPort: number;
  /** A CIDR, or another security group (inside the VPC). */
  to: { cidrIpv4: string } | { referencedSecurityGroupId: pulumi.Input<string> };
}

/** Ubuntu's package archive is plain HTTP (apt checks the archive signatures, not the channel). */
const APT: EgressRule = {
  key: "http",
  description: "HTTP: Ubuntu package archive (apt verifies signatures)",
  ipProtocol: "tcp",
  fromPort: 80,
  toPort: 80,
  to: { cidrIpv4: INTERNET },
};

/**
 * An orchestrator dials, besides the chain node (chainClientEgress): the AWS APIs of its boot and
 * agent (EC2 AssociateAddress for its Elastic IP, Route 53, Auto Scaling, CloudWatch; SSM and S3
 * through their VPC endpoints), the go-livepeer release on GitHub, and gateways' object stores: a
 * segment sent by reference is fetched from the URL the gateway gives (server/segment_rpc.go
 * ServeSegment: Content-Type application/vnd+livepeer.uri, core.DownloadData), over HTTPS in
 * practice and HTTP at most. It dials no transcoder: transcoders connect to it
 * (server/ot_rpc.go runTranscoder: grpc.Dial(orchAddr)) and it answers on that connection.
 */
export function orchestratorEgress(): EgressRule[] {
  return [
    {
      key: "https",
      description:
        "HTTPS: AWS APIs and VPC endpoints, go-livepeer release, gateway object stores for segments sent by URL",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      to: { cidrIpv4: INTERNET },
    },
    { ...APT, description: "HTTP: Ubuntu package archive (apt verifies signatures), segment URLs" },
  ];
}

/**
 * The chain node dials: AWS APIs (EC2 to attach its volume, Route 53, Auto Scaling, CloudWatch;
 * SSM and S3 through their VPC endpoints), the hosted RPC backups and Nitro's parent chain and
 * beacon URLs (the SSM endpoints parameter; HTTPS, docs/node-runtime.md), Nitro's sequencer feed
 * and snapshot mirror (wss://arb1-feed.arbitrum.io/feed in cmd/chaininfo/arbitrum_chain_info.json,
 * https://snapshot.arbitrum.foundation/ in cmd/conf/init.go), Docker Hub for the Nitro image, and
 * the geth and go-livepeer releases. Nitro has no peer-to-peer networking at all
 * (cmd/nitro/nitro.go: stackConf.P2P NoDial and NoDiscovery), so it needs nothing else. geth syncs
 * from devp2p peers, which listen on ports of their own choosing (30303 is only geth's default,
 * node/defaults.go) and answer discovery over UDP: TCP and UDP to unprivileged ports, never to
 * the well-known ones below 1024 (no mail, no SSH).
 */
export function chainNodeEgress(client: "nitro" | "geth"): EgressRule[] {
  const rules: EgressRule[] = [
    {
      key: "https",
      description:
        "HTTPS: AWS APIs and VPC endpoints, hosted RPC backups, L1 and beacon RPC, Nitro feed and snapshots, Docker Hub, releases",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      to: { cidrIpv4: INTERNET },
    },
    APT,
  ];
  if (client === "geth") {
    for (const proto of ["tcp", "udp"] as const) {
      rules.push({
        key: `p2p-${proto}`,
        description: `geth devp2p peers and discovery (${proto}), on the ports peers choose`,
        ipProtocol: proto,
        fromPort: 1024,
        toPort: 65535,
        to: { cidrIpv4: INTERNET },
      });
    }
  }
  return rules;
}

/**
 * What the chain node's clients (the orchestrators) need to reach it: the RPC proxy every -ethUrl
 * points at and the redeemer every -redeemerAddr points at. Built by the chain node, on the
 * clients' security group, beside its own matching ingress rules: the orchestrators' group exists
 * before the chain node's.
 */
export function chainClientEgress(a: {
  rpcPort: number;
  redeemerPort: number;
  chainSecurityGroupId: pulumi.Input<string>;
}): EgressRule[] {
  const to = { referencedSecurityGroupId: a.chainSecurityGroupId };
  return [
    {
      key: "clients-rpc",
      description: "Orchestrators to the chain node RPC proxy (-ethUrl)",
      ipProtocol: "tcp",
      fromPort: a.rpcPort,
      toPort: a.rpcPort,
      to,
    },
    {
      key: "clients-redeemer",
      description: "Orchestrators to the chain node redeemer (-redeemerAddr)",
      ipProtocol: "tcp",
      fromPort: a.redeemerPort,
      toPort: a.redeemerPort,
      to,
    },
  ];
}

/** Standalone egress rules (not inline, so other components may add theirs) on one group. */
export function addEgressRules(
  name: string,
  securityGroupId: pulumi.Input<string>,
  rules: EgressRule[],
  opts: pulumi.CustomResourceOptions,
): aws.vpc.SecurityGroupEgressRule[] {
  return rules.map(
    (r) =>
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${r.key}-out`,
        {
          securityGroupId,
          description: r.description,
          ipProtocol: r.ipProtocol,
          fromPort: r.fromPort,
          toPort: r.toPort,
          ...r.to,
        },
        opts,
      ),
  );
}
