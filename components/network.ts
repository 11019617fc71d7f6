import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { subnetCidrs } from "../lib/cidr";
import { anchorAz } from "../lib/config/schema";

export interface NetworkArgs {
  region: string;
  /** VPC CIDR, /16-/22 (validated by the config schema). */
  cidr: string;
  /** AZ letters; subnets are keyed by letter so reordering never replaces them. */
  availabilityZones: readonly string[];
  /**
   * "single": one NAT gateway in the alphabetically first AZ (cheaper; reordering the list never
   * moves it); "perAz": one per AZ (AZ-outage safe).
   */
  natStrategy: "single" | "perAz";
  /** The unit's private Route 53 zone (lib/design.ts privateZoneName). */
  privateZoneName: string;
  tags: Record<string, string>;
}

export interface AzSubnets {
  az: string;
  publicSubnet: aws.ec2.Subnet;
  privateSubnet: aws.ec2.Subnet;
}

/**
 * The region unit's VPC: a public and a private subnet per AZ, an internet gateway, NAT per the
 * chosen strategy, and the VPC endpoints SSM Session Manager needs so no node needs SSH.
 */
export class Network extends pulumi.ComponentResource {
  public readonly vpc: aws.ec2.Vpc;
  public readonly vpcId: pulumi.Output<string>;
  public readonly cidr: string;
  /** Keyed by AZ letter. */
  public readonly subnets: Record<string, AzSubnets>;
  public readonly publicSubnetIds: pulumi.Output<string>[];
  public readonly privateSubnetIds: pulumi.Output<string>[];
  /** The public route table (its default route is the internet gateway). */
  public readonly internetRoute: aws.ec2.RouteTable;
  /** The S3 gateway endpoint: node files are readable only through it. */
  public readonly s3Endpoint: aws.ec2.VpcEndpoint;
  /**
   * The unit's private zone: names instances publish at boot so their clients keep one address
   * across replacements (chain.<zone> for the chain node, o-<letter>.<zone> for orchestrators).
   */
  public readonly privateZone: aws.route53.Zone;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:network:Network", name, {}, opts);
    const { region, tags } = args;
    const child = { parent: this };
    const tagged = (n: string) => ({ ...tags, Name: n });

    this.cidr = args.cidr;
    this.vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidr,
        // Interface endpoints with private DNS need both.
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: tagged(`${name}-vpc`),
      },
      child,
    );
    this.vpcId = this.vpc.id;

    // AWS does not charge for the IGW; the NLB and NAT gateways need it.
    const igw = new aws.ec2.InternetGateway(
      `${name}-igw`,
      { vpcId: this.vpc.id, tags: tagged(`${name}-igw`) },
      child,
    );
    const publicRt = new aws.ec2.RouteTable(
      `${name}-public-rt`,
      {
        vpcId: this.vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
        tags: tagged(`${name}-public-rt`),
      },
      child,
    );
    this.internetRoute = publicRt;

    this.subnets = {};
    for (const az of args.availabilityZones) {
      const cidrs = subnetCidrs(args.cidr, az);
      const publicSubnet = new aws.ec2.Subnet(
        `${name}-public-${az}`,
        {
          vpcId: this.vpc.id,
          availabilityZone: `${region}${az}`,
          cidrBlock: cidrs.public,
          // Nothing gets a public address by accident: the NLB and NAT use Elastic IPs.
          mapPublicIpOnLaunch: false,
          tags: { ...tagged(`${name}-public-${az}`), "livepeer-fleet:tier": "public" },
        },
        child,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${az}-rta`,
        { subnetId: publicSubnet.id, routeTableId: publicRt.id },
        child,
      );
      const privateSubnet = new aws.ec2.Subnet(
        `${name}-private-${az}`,
        {
          vpcId: this.vpc.id,
          availabilityZone: `${region}${az}`,
          cidrBlock: cidrs.private,
          mapPublicIpOnLaunch: false,
          tags: { ...tagged(`${name}-private-${az}`), "livepeer-fleet:tier": "private" },
        },
        child,
      );
      this.subnets[az] = { az, publicSubnet, privateSubnet };
    }

    // NAT: "single" puts one gateway in the anchor AZ (the alphabetically first: the list's order
    // must not move it); "perAz" one in each so an AZ outage never cuts another AZ's egress (each
    // ~$32/month plus per-GB processing).
    const natAzs =
      args.natStrategy === "perAz" ? args.availabilityZones : [anchorAz(args.availabilityZones)];
    const natByAz: Record<string, aws.ec2.NatGateway> = {};
    for (const az of natAzs) {
      const eip = new aws.ec2.Eip(
        `${name}-nat-${az}-eip`,
        { domain: "vpc", tags: tagged(`${name}-nat-${az}`) },
        child,
      );
      natByAz[az] = new aws.ec2.NatGateway(
        `${name}-nat-${az}`,
        {
          allocationId: eip.id,
          subnetId: this.subnets[az].publicSubnet.id,
          connectivityType: "public",
          tags: tagged(`${name}-nat-${az}`),
        },
        { ...child, dependsOn: [igw] },
      );
    }

    const privateRts: aws.ec2.RouteTable[] = [];
    for (const az of args.availabilityZones) {
      const nat = natByAz[az] ?? natByAz[natAzs[0]];
      const rt = new aws.ec2.RouteTable(
        `${name}-private-${az}-rt`,
        {
          vpcId: this.vpc.id,
          routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
          tags: tagged(`${name}-private-${az}-rt`),
        },
        child,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${az}-rta`,
        { subnetId: this.subnets[az].privateSubnet.id, routeTableId: rt.id },
        child,
      );
      privateRts.push(rt);
    }

    this.publicSubnetIds = args.availabilityZones.map((az) => this.subnets[az].publicSubnet.id);
    this.privateSubnetIds = args.availabilityZones.map((az) => this.subnets[az].privateSubnet.id);

    // Session Manager reaches private instances through these three interface endpoints, so no
    // instance needs SSH or a public address (and SSM keeps working if NAT is down).
    const endpointSg = new aws.ec2.SecurityGroup(
      `${name}-endpoints-sg`,
      {
        vpcId: this.vpc.id,
        description: "HTTPS from inside the VPC to the SSM interface endpoints",
        ingress: [
          {
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: [args.cidr],
            description: "VPC",
          },
        ],
        egress: [],
        tags: tagged(`${name}-endpoints-sg`),
      },
      child,
    );
    for (const svc of ["ssm", "ssmmessages", "ec2messages"]) {
      new aws.ec2.VpcEndpoint(
        `${name}-${svc}-endpoint`,
        {
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${region}.${svc}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: this.privateSubnetIds,
          securityGroupIds: [endpointSg.id],
          tags: tagged(`${name}-${svc}-endpoint`),
        },
        child,
      );
    }
    // The S3 gateway endpoint is free and keeps S3 traffic off NAT and the internet: node files
    // (readable only through it), the SSM agent's and packages' S3 fetches. The public route
    // table too, for the orchestrators in the public subnets.
    this.s3Endpoint = new aws.ec2.VpcEndpoint(
      `${name}-s3-endpoint`,
      {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: [publicRt.id, ...privateRts.map((rt) => rt.id)],
        tags: tagged(`${name}-s3-endpoint`),
      },
      child,
    );

    this.privateZone = new aws.route53.Zone(
      `${name}-zone`,
      {
        name: args.privateZoneName,
        comment: "Region unit private names (chain node, orchestrators)",
        vpcs: [{ vpcId: this.vpc.id, vpcRegion: region }],
        // The instances write their own records at boot (chain.<zone>, o-<letter>.<zone>), outside
        // Pulumi's state; a zone that still holds them cannot be deleted (HostedZoneNotEmpty), so
        // the provider deletes them first (aws_route53_zone force_destroy).
        forceDestroy: true,
        tags: tagged(`${name}-zone`),
      },
      child,
    );

    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}
