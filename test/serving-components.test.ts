// The serving path's components under the mock monitor, built in-process from a fixture config:
// the orchestrator slots with their own addresses, the discovery NLB, the private transcoder
// pool, the node files bucket, and the properties the design rests on (nothing but 8935 is
// public, transcoders unreachable and without chain access, a chain outage never touches Auto
// Scaling health, every resource through the unit's provider, names that fit AWS's limits).
import { expect } from "chai";
import { buildUnit, byName } from "./helpers/components";
import { fixtureDesign, SERVICE_DNS } from "./fixtures/region";
import type { Evaluation, RecordedResource } from "../lib/plan/evaluate";
import { publicIngress } from "../lib/plan/exposure";
import { parseEnv } from "../lib/userdata";
import { buildBundle } from "../lib/node-bundle";
import { ELB_NAME_MAX } from "../lib/names";
import { designRegion } from "../lib/design";
import { KNOWN_REGIONS } from "../lib/stack";

const T = {
  asg: "aws:autoscaling/group:Group",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  eip: "aws:ec2/eip:Eip",
  record: "aws:route53/record:Record",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
};

function ofType(e: Evaluation, type: string): RecordedResource[] {
  return e.resources.filter((r) => r.type === type);
}

function envOf(lt: RecordedResource): Record<string, string> {
  return parseEnv(Buffer.from(String(lt.inputs.userData), "base64").toString("utf8"));
}

function statements(r: RecordedResource): Record<string, unknown>[] {
  return (JSON.parse(String(r.inputs.policy)) as { Statement: Record<string, unknown>[] })
    .Statement;
}

describe("serving path components (fixture, in-process under the mock monitor)", function () {
  let e: Evaluation;
  let named: Evaluation;
  const d = fixtureDesign();
  const withDns = fixtureDesign({}, { serviceDns: SERVICE_DNS });

  before(async function () {
    e = await buildUnit(d);
    named = await buildUnit(withDns);
  });

  it("builds every AWS resource through the unit's one regional provider (parentage)", function () {
    const custom = e.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
    expect(custom.length).to.be.greaterThan(50);
    const providers = new Set(custom.map((r) => r.provider));
    expect([...providers]).to.have.length(1);
    expect([...providers][0]).to.match(/pulumi:providers:aws::test-us-east-1-aws::/);
    // Invokes (account, partition, AMIs) go through it too.
    for (const i of e.invokes) expect(i.provider, i.token).to.match(/test-us-east-1-aws/);
  });

  describe("orchestrator slots", function () {
    it("one group of exactly one per slot, in its AZ's public subnet, in discovery", function () {
      const tg = byName(e, "aws:lb/targetGroup:TargetGroup", "-disc-tg");
      for (const az of ["a", "b"]) {
        const asg = byName(e, T.asg, `-orch-${az}-asg`);
        expect(asg.inputs).to.include({ minSize: 1, maxSize: 1, desiredCapacity: 1 });
        expect(asg.inputs.vpcZoneIdentifiers).to.deep.equal([`test-us-east-1-net-public-${az}-id`]);
        expect(asg.inputs.targetGroupArns).to.deep.equal([
          `arn:aws:lb:us-east-1:123456789012:${tg.name}`,
        ]);
      }
      expect(ofType(e, T.asg).filter((r) => /-orch-[a-f]-asg$/.test(r.name))).to.have.length(2);
    });

    it("each has its own Elastic IP, protected and kept on delete, tagged with its slot", function () {
      for (const az of ["a", "b"]) {
        const eip = byName(e, T.eip, `-orch-${az}-eip`);
        expect(eip.protect).to.equal(true);
        expect(eip.retainOnDelete).to.equal(true);
        expect(eip.inputs.tags).to.include({
          "livepeer-fleet:unit": "test-us-east-1",
          "livepeer-fleet:role": "orchestrator",
          "livepeer-fleet:slot": az,
        });
      }
    });

    it("advertises its own address, never the load balancer's; runs -maxSessions auto with the secret", function () {
      const nlb = byName(e, "aws:lb/loadBalancer:LoadBalancer", "-disc-nlb");
      const addrs = ["a", "b"].map((az) => envOf(byName(e, T.lt, `-orch-${az}-lt`)));
      for (const [i, env] of addrs.entries()) {
        expect(env.LF_KIND).to.equal("orchestrator");
        expect(env.LF_SLOT).to.equal(["a", "b"][i]);
        expect(env.LF_SERVICE_ADDR).to.match(/^ec2-203-0-113-\d+\.compute-1\.amazonaws\.com:8935$/);
        expect(env.LF_SERVICE_ADDR).not.to.include(String(nlb.inputs.name));
        expect(env.LF_EIP_ALLOCATION_ID).to.equal(
          `eipalloc-test-us-east-1-orch-${env.LF_SLOT}-eip`,
        );
        expect(env.LF_PRIVATE_NAME).to.equal(
          `o-${env.LF_SLOT}.test-us-east-1.livepeer-fleet.internal`,
        );
        expect(env.LF_ORCH_SECRET_PARAM).to.equal("/livepeer-fleet/test-us-east-1/orch-secret");
        expect(env.LF_ETH_URL).to.equal("http://chain.test-us-east-1.livepeer-fleet.internal:8545");
      }
      expect(addrs[0].LF_SERVICE_ADDR).not.to.equal(addrs[1].LF_SERVICE_ADDR);
    });

    it("with a fleet zone: advertises o-<letter>.<region>.<service name>, a CNAME to its EIP's split-horizon name", function () {
      for (const az of ["a", "b"]) {
        const env = envOf(byName(named, T.lt, `-orch-${az}-lt`));
        const name = `o-${az}.us-east-1.orch.example.net`;
        expect(env.LF_SERVICE_ADDR).to.equal(`${name}:8935`);
        const rec = byName(named, T.record, `-orch-${az}-name`);
        expect(rec.inputs).to.include({ zoneId: SERVICE_DNS.hostedZoneId, name, type: "CNAME" });
        // The address's public DNS name: inside the VPC it resolves to the private address the
        // transcoders fetch segments from, from the internet to the Elastic IP.
        const eip = byName(named, "aws:ec2/eip:Eip", `-orch-${az}-eip`);
        expect(rec.inputs.records).to.deep.equal([eip.outputs!.publicDns]);
        // Split-horizon needs the VPC's DNS support and DNS hostnames.
        expect(byName(named, "aws:ec2/vpc:Vpc", "-net-vpc").inputs).to.include({
          enableDnsSupport: true,
          enableDnsHostnames: true,
        });
        expect(eip.outputs!.publicDns).to.match(/^ec2-203-0-113-\d+\.compute-1\.amazonaws\.com$/);
      }
    });

    it("may take only its own slot's address and publish only its own private name", function () {
      const s = statements(byName(e, T.rolePolicy, "-orch-a-self"));
      const take = s.find((x) => x.Sid === "TakeOwnElasticIp")!;
      expect(take.Action).to.equal("ec2:AssociateAddress");
      expect(take.Condition).to.deep.equal({
        StringEquals: {
          "aws:ResourceTag/livepeer-fleet:unit": "test-us-east-1",
          "aws:ResourceTag/livepeer-fleet:role": "orchestrator",
          "aws:ResourceTag/livepeer-fleet:slot": "a",
        },
      });
      const dns = s.find((x) => x.Sid === "PublishOwnPrivateName")!;
      expect(JSON.stringify(dns.Condition)).to.include(
        '"route53:ChangeResourceRecordSetsNormalizedRecordNames":["o-a.test-us-east-1.livepeer-fleet.internal"]',
      );
      // The instance's own tags carry the slot the condition matches.
      const lt = byName(e, T.lt, "-orch-a-lt");
      const instanceTags = (lt.inputs.tagSpecifications as { tags: Record<string, string> }[])[0]
        .tags;
      expect(instanceTags).to.include({
        "livepeer-fleet:slot": "a",
        "livepeer-fleet:role": "orchestrator",
      });
    });
  });

  describe("discovery", function () {
    it("an internet-facing NLB on 8935 only, health from the agent, explicit short names", function () {
      const nlb = byName(e, "aws:lb/loadBalancer:LoadBalancer", "-disc-nlb");
      const tg = byName(e, "aws:lb/targetGroup:TargetGroup", "-disc-tg");
      const listener = byName(e, "aws:lb/listener:Listener", "-disc-listener");
      expect(nlb.inputs).to.include({ loadBalancerType: "network", internal: false });
      expect(String(nlb.inputs.name).length).to.be.at.most(ELB_NAME_MAX);
      expect(listener.inputs).to.include({ port: 8935, protocol: "TCP" });
      expect(tg.inputs).to.include({ port: 8935, protocol: "TCP", targetType: "instance" });
      expect(tg.inputs.healthCheck).to.include({
        protocol: "HTTP",
        port: "8936",
        path: "/healthz",
      });
      // Depends on the internet route (InvalidSubnet race) and is replaced delete-first: its
      // explicit name must be free for the replacement.
      expect(nlb.dependsOn.some((u) => u.endsWith("-net-public-rt"))).to.equal(true);
      expect(nlb.deleteBeforeReplace).to.equal(true);
      expect(tg.deleteBeforeReplace).to.equal(true);
    });

    it("writes this region's latency alias for the fleet name, evaluating target health", function () {
      expect(ofType(e, T.record).filter((r) => r.name.endsWith("-disc-service"))).to.have.length(0);
      const rec = byName(named, T.record, "-disc-service");
      expect(rec.inputs).to.deep.include({
        zoneId: SERVICE_DNS.hostedZoneId,
        name: "orch.example.net",
        type: "A",
        setIdentifier: "us-east-1",
        latencyRoutingPolicies: [{ region: "us-east-1" }],
      });
      const alias = (rec.inputs.aliases as Record<string, unknown>[])[0];
      expect(alias.evaluateTargetHealth).to.equal(true);
      expect(String(alias.name)).to.match(/\.elb\.us-east-1\.amazonaws\.com$/);
    });

    it("fits every ELB name in 32 characters for the longest stack name of every region", function () {
      const names = new Set<string>();
      for (const region of KNOWN_REGIONS) {
        const stack = `${"f".repeat(20)}-${region}`;
        const des = designRegion(stack, region, d.config, { fleet: "f", homeRegion: region });
        for (const n of [des.names.loadBalancer, des.names.targetGroup]) {
          expect(n.length, n).to.be.at.most(32);
          expect(n).to.match(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
          names.add(n);
        }
      }
      expect(names.size).to.equal(2 * KNOWN_REGIONS.size);
    });
  });

  describe("transcoder pool", function () {
    it("no inbound rule at all, outbound only to the orchestrators, HTTPS/HTTP, DNS and NTP", function () {
      const sg = byName(e, T.sg, "-tc-sg");
      expect(sg.inputs.ingress ?? []).to.deep.equal([]);
      expect(
        ofType(e, T.ingress).filter((r) => r.name.startsWith("test-us-east-1-tc-")),
      ).to.deep.equal([]);
      const out = ofType(e, T.egress).filter((r) => r.name.startsWith("test-us-east-1-tc-"));
      const orch = out.find((r) => r.name.endsWith("-orchestrators-out"))!;
      expect(orch.inputs).to.include({ fromPort: 8935, toPort: 8935, ipProtocol: "tcp" });
      expect(orch.inputs.referencedSecurityGroupId).to.equal("test-us-east-1-orch-sg-id");
      expect(out.map((r) => [r.inputs.ipProtocol, r.inputs.fromPort])).to.have.deep.members([
        ["tcp", 8935],
        ["tcp", 443],
        ["tcp", 80],
        ["udp", 53],
        ["udp", 123],
      ]);
    });

    it("runs in private subnets of the orchestrators' AZs, each dialling its own AZ's orchestrator", function () {
      const asg = byName(e, T.asg, "-tc-asg");
      expect(asg.inputs.vpcZoneIdentifiers).to.deep.equal([
        "test-us-east-1-net-private-a-id",
        "test-us-east-1-net-private-b-id",
      ]);
      const env = envOf(byName(e, T.lt, "-tc-lt"));
      expect(env.LF_ORCHESTRATORS).to.equal(
        "a=o-a.test-us-east-1.livepeer-fleet.internal:8935,b=o-b.test-us-east-1.livepeer-fleet.internal:8935",
      );
      expect(env).not.to.have.property("LF_ETH_URL");
      expect(env).not.to.have.property("LF_REDEEMER_ADDR");
      for (const key of ["LF_ORCH_KEYSTORE_PARAM", "LF_REDEEMER_KEYSTORE_PARAM"]) {
        expect(env).not.to.have.property(key);
      }
      // Each type's -maxSessions: the instance picks its own at boot (boot-transcoder.sh).
      expect(env.LF_MAX_SESSIONS_BY_TYPE).to.equal(`g4dn.xlarge=${d.transcoderMaxSessions}`);
    });

    it("holds no chain, identity or address permissions: the secret, its node files, its own health", function () {
      const s = statements(byName(e, T.rolePolicy, "-tc-self"));
      expect(s.filter((x) => x.Effect === "Allow").map((x) => x.Sid)).to.have.members([
        "ReadOrchSecret",
        "DecryptOrchSecretThroughSsm",
        "ReadOwnNodeFiles",
        "DecryptOwnNodeFilesThroughS3",
        "ReportOwnInstanceHealth",
        "FindOwnAutoScalingGroup",
        // The lifecycle agent completes its own instance's hooks (drain, launch).
        "CompleteOwnLifecycleActions",
      ]);
      // Explicit denies on the key material and every other secret (lib/iam/policies.ts).
      expect(s.filter((x) => x.Effect === "Deny").map((x) => x.Sid)).to.have.members([
        "NeverReadSecretParameters",
        "NoParameterPathReads",
        "NeverDecryptSecretParameters",
      ]);
      const attached = ofType(e, T.attachment).filter((r) =>
        r.name.startsWith("test-us-east-1-tc-"),
      );
      expect(attached.map((a) => a.inputs.policyArn)).not.to.include(
        "test-us-east-1-identity-read-id",
      );
    });
  });

  it("no Auto Scaling group trusts a health check that a chain outage fails (EC2 health only)", function () {
    for (const asg of ofType(e, T.asg)) {
      expect(asg.inputs.healthCheckType, asg.name).to.equal("EC2");
    }
  });

  it("opens nothing to the internet but 8935, on the NLB and the orchestrators", function () {
    const open = publicIngress(e.resources);
    expect(open.map((p) => `${p.port}/${p.protocol}`)).to.have.members([
      "8935/tcp",
      "8935/tcp",
      "8935/tcp",
    ]);
    expect(open.map((p) => p.resource)).to.have.members([
      "test-us-east-1-disc-nlb-sg",
      "test-us-east-1-orch-service-in",
      "test-us-east-1-disc-listener",
    ]);
  });

  describe("node files", function () {
    it("one KMS-encrypted object per kind whose sha256 and version are what user data pins", function () {
      for (const [kind, lt] of [
        ["chain", "-chain-lt"],
        ["orchestrator", "-orch-a-lt"],
        ["transcoder", "-tc-lt"],
      ] as const) {
        const obj = byName(e, T.object, `-files-${kind}`);
        const built = buildBundle(kind);
        expect(obj.inputs).to.include({
          key: `node-files/${kind}.tar.gz`,
          serverSideEncryption: "aws:kms",
          contentBase64: Buffer.from(built.bytes).toString("base64"),
        });
        const env = envOf(byName(e, T.lt, lt));
        expect(env.LF_BUNDLE_SHA256).to.equal(built.sha256);
        expect(env.LF_BUNDLE_KEY).to.equal(`node-files/${kind}.tar.gz`);
        expect(env.LF_BUNDLE_VERSION).to.match(/^v-/);
        expect(env.LF_BUNDLE_BUCKET).to.equal("test-us-east-1-files-bucket-plan");
      }
    });

    it("instances read their bundle only through the VPC's S3 endpoint; the bucket takes TLS only", function () {
      // No bucket-wide Deny on reads: the provider reads every object back (HeadObject needs
      // s3:GetObject) from the deploying machine, outside the VPC.
      const policy = statements(byName(e, "aws:s3/bucketPolicy:BucketPolicy", "-files-policy"));
      expect(policy.map((s) => [s.Sid, s.Effect])).to.deep.equal([["TlsOnly", "Deny"]]);
      for (const suffix of ["-orch-a-self", "-tc-self", "-chain-node-files"]) {
        const read = statements(byName(e, T.rolePolicy, suffix)).find(
          (s) => s.Sid === "ReadOwnNodeFiles",
        )!;
        expect(read.Condition, suffix).to.deep.equal({
          StringEquals: { "aws:SourceVpce": "test-us-east-1-net-s3-endpoint-id" },
        });
      }
      const block = byName(
        e,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "-files-public-block",
      );
      expect(block.inputs).to.include({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      // The endpoint serves the public route table too: orchestrators live in public subnets.
      const endpoint = byName(e, "aws:ec2/vpcEndpoint:VpcEndpoint", "-net-s3-endpoint");
      expect(endpoint.inputs.routeTableIds).to.include("test-us-east-1-net-public-rt-id");
    });

    it("each kind reads only its own bundle", function () {
      const own = (suffix: string) =>
        statements(byName(e, T.rolePolicy, suffix)).find((s) => s.Sid === "ReadOwnNodeFiles")!
          .Resource;
      expect(own("-orch-a-self")).to.match(/\/node-files\/orchestrator\.tar\.gz$/);
      expect(own("-tc-self")).to.match(/\/node-files\/transcoder\.tar\.gz$/);
      expect(own("-chain-node-files")).to.match(/\/node-files\/chain\.tar\.gz$/);
    });
  });

  it("keeps logical names when the network's AZ list is reordered", async function () {
    const reordered = await buildUnit(
      fixtureDesign({ network: { availabilityZones: ["c", "a", "b"] } }),
    );
    const names = (x: Evaluation) => x.resources.map((r) => `${r.type}::${r.name}`).sort();
    expect(names(reordered)).to.deep.equal(names(e));
    // Nor any placement: the chain volume and the single NAT gateway stay where they were.
    const volumeAz = (x: Evaluation) =>
      byName(x, "aws:ebs/volume:Volume", "-chain-data").inputs.availabilityZone;
    expect(volumeAz(reordered)).to.equal(volumeAz(e));
    expect(volumeAz(e)).to.equal("us-east-1a");
  });
});
