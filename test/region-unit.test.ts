// The region unit's network and key under the mock monitor, built in-process from the fixture.
import { expect } from "chai";
import { buildUnit } from "./helpers/components";
import { fixtureDesign } from "./fixtures/region";
import { one, ofType, policyOf } from "./helpers/program";
import type { Evaluation, RecordedResource } from "../lib/plan/evaluate";

describe("region unit (fixture, in-process under the mock monitor)", () => {
  let e: Evaluation;
  let key: RecordedResource;
  before(async () => {
    e = await buildUnit(fixtureDesign({ network: { natStrategy: "perAz" } }));
    key = one(e, "aws:kms/key:Key", "-keys-key");
  });

  it("creates every AWS resource through the unit's explicit regional provider", () => {
    const providers = ofType(e, "pulumi:providers:aws");
    expect(providers).to.have.length(1);
    expect(providers[0].inputs.region).to.equal("us-east-1");
    const aws = e.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
    expect(aws.length).to.be.greaterThan(40);
    for (const r of aws) {
      expect(r.provider, `${r.name} provider`).to.match(
        /pulumi:providers:aws::test-us-east-1-aws::/,
      );
    }
  });

  it("spreads public and private subnets over the configured AZs with letter-derived CIDRs", () => {
    const subnets = ofType(e, "aws:ec2/subnet:Subnet");
    const byName = Object.fromEntries(subnets.map((s) => [s.name, s.inputs]));
    expect(Object.keys(byName)).to.have.members(
      ["a", "b", "c"].flatMap((az) => [
        `test-us-east-1-net-public-${az}`,
        `test-us-east-1-net-private-${az}`,
      ]),
    );
    expect(byName["test-us-east-1-net-public-b"]).to.include({
      availabilityZone: "us-east-1b",
      cidrBlock: "10.20.16.0/20",
      mapPublicIpOnLaunch: false,
    });
    expect(byName["test-us-east-1-net-private-c"]).to.include({
      availabilityZone: "us-east-1c",
      cidrBlock: "10.20.160.0/20",
    });
  });

  it("runs one NAT gateway per AZ for natStrategy perAz", () => {
    expect(ofType(e, "aws:ec2/natGateway:NatGateway")).to.have.length(3);
  });

  it("has the SSM Session Manager endpoints, private DNS on", () => {
    const svcs = ofType(e, "aws:ec2/vpcEndpoint:VpcEndpoint")
      .filter((v) => v.inputs.vpcEndpointType === "Interface")
      .map((v) => {
        expect(v.inputs.privateDnsEnabled).to.equal(true);
        return String(v.inputs.serviceName);
      });
    expect(svcs).to.have.members([
      "com.amazonaws.us-east-1.ssm",
      "com.amazonaws.us-east-1.ssmmessages",
      "com.amazonaws.us-east-1.ec2messages",
    ]);
  });

  it("protects the KMS key, rotates it and aliases it per stack", () => {
    expect(key.protect).to.equal(true);
    expect(key.inputs.enableKeyRotation).to.equal(true);
    const alias = one(e, "aws:kms/alias:Alias", "-keys-alias");
    expect(alias.inputs.name).to.equal("alias/livepeer-fleet/test-us-east-1");
  });

  it("lets EC2/EBS, Auto Scaling, DLM, Logs and CloudWatch use the key; nobody through SSM by wildcard", () => {
    const statements = policyOf(key).Statement;
    expect(statements.map((s) => s.Sid)).to.have.members([
      "AccountAdministersThroughIam",
      "UseThroughEc2",
      "AutoScalingServiceLinkedRole",
      "DataLifecycleManager",
      "CloudWatchLogs",
      "CloudWatchAlarmsToEncryptedSns",
    ]);
    const ec2 = statements.find((s) => s.Sid === "UseThroughEc2")!;
    expect(JSON.stringify(ec2.Condition))
      .to.include("ec2.us-east-1.amazonaws.com")
      .and.not.include("ssm.");
    // SecureStrings are decrypted only by roles whose own IAM policy names them (the account
    // statement hands the decision to IAM): no statement grants use through SSM to a wildcard.
    for (const s of statements) expect(JSON.stringify(s), String(s.Sid)).not.to.include("ssm.");
  });
});
