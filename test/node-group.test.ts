import { expect } from "chai";
import { evaluate, one, ofType } from "./helpers/program";

const e = evaluate("prod-us-east-1");
const key = one(e, "aws:kms/key:Key", "-keys-key");
const keyArn = `arn:aws:kms:us-east-1:123456789012:key/${key.name}-key-id`;

describe("node group (prod-us-east-1)", () => {
  const lt = one(e, "aws:ec2/launchTemplate:LaunchTemplate", "-nodes-lt");
  const asg = one(e, "aws:autoscaling/group:Group", "-nodes-asg");
  const tg = one(e, "aws:lb/targetGroup:TargetGroup", "-nodes-tg");
  const nlb = one(e, "aws:lb/loadBalancer:LoadBalancer", "-nodes-nlb");

  it("launch template requires IMDSv2, encrypts root with the unit key, has no SSH key", () => {
    expect(lt.inputs.metadataOptions).to.deep.include({
      httpTokens: "required",
      httpEndpoint: "enabled",
      httpPutResponseHopLimit: 1,
    });
    const [root] = lt.inputs.blockDeviceMappings as { ebs: Record<string, unknown> }[];
    expect(root.ebs).to.include({
      encrypted: "true",
      kmsKeyId: keyArn,
      volumeType: "gp3",
      volumeSize: 100,
    });
    expect(lt.inputs).not.to.have.property("keyName");
    expect(lt.inputs.instanceType).to.equal("g4dn.xlarge");
  });

  it("looks the GPU AMI up from the SSM public parameter", () => {
    const lookups = e.invokes
      .filter((i) => i.token === "aws:ssm/getParameter:getParameter")
      .map((i) => i.inputs.name);
    expect(lookups).to.include(
      "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id",
    );
    expect(lt.inputs.imageId).to.equal("ami-0123456789abcdef0");
  });

  it("ASG spans the private subnets, trusts ELB health, rolls refreshes, leaves desired to scaling", () => {
    expect(asg.inputs.vpcZoneIdentifiers).to.deep.equal(
      ["a", "b", "c"].map((az) => `prod-us-east-1-net-private-${az}-id`),
    );
    // Sizes come from the demand planner (its numbers are asserted in node-scaling.test.ts):
    // never below the configured floor (2), never above maxSize (9).
    expect(asg.inputs.minSize).to.be.within(2, 9);
    expect(asg.inputs.desiredCapacity).to.be.within(Number(asg.inputs.minSize), 9);
    expect(asg.inputs).to.include({
      maxSize: 9,
      healthCheckType: "ELB",
      healthCheckGracePeriod: 600,
    });
    expect(asg.inputs.instanceRefresh).to.deep.include({ strategy: "Rolling" });
    expect((asg.inputs.instanceRefresh as { preferences: object }).preferences).to.include({
      minHealthyPercentage: 90,
    });
    expect(asg.ignoreChanges).to.include("desiredCapacity");
    expect(asg.inputs.targetGroupArns).to.deep.equal([
      `arn:aws:lb:us-east-1:123456789012:${tg.name}`,
    ]);
  });

  it("internet-facing NLB with a static Elastic IP per AZ in the public subnets", () => {
    expect(nlb.inputs).to.include({ loadBalancerType: "network", internal: false });
    const mappings = nlb.inputs.subnetMappings as { subnetId: string; allocationId: string }[];
    expect(mappings.map((m) => m.subnetId)).to.deep.equal(
      ["a", "b", "c"].map((az) => `prod-us-east-1-net-public-${az}-id`),
    );
    expect(mappings.map((m) => m.allocationId)).to.deep.equal(
      ["a", "b", "c"].map((az) => `eipalloc-prod-us-east-1-nodes-nlb-${az}-eip`),
    );
  });

  it("TCP 8935 listener to a target group health-checked over HTTP on the health port at /healthz", () => {
    const listener = one(e, "aws:lb/listener:Listener", "-nodes-listener");
    expect(listener.inputs).to.include({ port: 8935, protocol: "TCP" });
    expect(tg.inputs).to.include({ port: 8935, protocol: "TCP", targetType: "instance" });
    expect(tg.inputs.healthCheck).to.include({
      protocol: "HTTP",
      port: "8936",
      path: "/healthz",
      matcher: "200",
      enabled: true,
    });
  });

  it("security groups: 8935 from anywhere, health port from the VPC only, nothing else inbound", () => {
    const rules = ofType(e, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
      (r) => r.name.startsWith("prod-us-east-1-nodes-"),
    );
    expect(
      rules.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]),
    ).to.have.deep.members([
      [8935, 8935, "0.0.0.0/0"],
      [8936, 8936, "10.10.0.0/16"],
    ]);
    const nodeSg = one(e, "aws:ec2/securityGroup:SecurityGroup", "-nodes-sg");
    expect(nodeSg.inputs.ingress ?? []).to.deep.equal([]);
  });

  it("node instances never get the orchestrator identity", () => {
    const attachments = ofType(e, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) =>
      a.name.startsWith("prod-us-east-1-nodes-"),
    );
    expect(attachments.map((a) => a.inputs.policyArn)).to.deep.equal([
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    ]);
  });
});
