// The chain node under the mock monitor, built in-process from the fixture config.
import { expect } from "chai";
import { buildUnit } from "./helpers/components";
import { FIXTURE_REDEEMER, fixtureDesign } from "./fixtures/region";
import { parseEnv } from "../lib/userdata";
import { one, ofType, policyOf } from "./helpers/program";
import type { Evaluation, RecordedResource } from "../lib/plan/evaluate";
import * as fs from "node:fs";
import * as path from "node:path";
import { Simulator } from "../lib/iam/access";
import { CHAIN_BOOT } from "../lib/runtime-contract";
import { NODE_DIR } from "../lib/node-bundle";
import { extractAccessModel, type RoleModel } from "../lib/iam/extract";

const keyArn = "arn:aws:kms:us-east-1:123456789012:key/test-us-east-1-keys-key-key-id";

describe("chain node (fixture, in-process under the mock monitor)", () => {
  let e: Evaluation;
  let volume: RecordedResource;
  let asg: RecordedResource;
  let lt: RecordedResource;
  before(async () => {
    e = await buildUnit(fixtureDesign());
    volume = one(e, "aws:ebs/volume:Volume", "-chain-data");
    asg = one(e, "aws:autoscaling/group:Group", "-chain-asg");
    lt = one(e, "aws:ec2/launchTemplate:LaunchTemplate", "-chain-lt");
  });

  it("persistent gp3 data volume: sized from config, encrypted with the unit key, protected, tagged", () => {
    expect(volume.protect).to.equal(true);
    expect(volume.retainOnDelete).to.equal(true);
    expect(volume.inputs).to.include({
      availabilityZone: "us-east-1a",
      type: "gp3",
      size: 2000,
      iops: 6000,
      throughput: 500,
      encrypted: true,
      kmsKeyId: keyArn,
    });
    expect(volume.inputs.tags).to.include({
      "livepeer-fleet:unit": "test-us-east-1",
      "livepeer-fleet:role": "chain-data",
      "livepeer-fleet:snapshot": "daily",
    });
  });

  it("is an ASG of exactly one pinned to the volume's AZ, replaced old-first", () => {
    expect(asg.inputs).to.include({ minSize: 1, maxSize: 1, desiredCapacity: 1 });
    expect(asg.inputs.vpcZoneIdentifiers).to.deep.equal(["test-us-east-1-net-private-a-id"]);
    const prefs = (asg.inputs.instanceRefresh as { preferences: Record<string, unknown> })
      .preferences;
    expect(prefs.minHealthyPercentage).to.equal(0);
  });

  it("heals: EC2 health plus the boot deadline's report; the grace period and the attach wait both fit inside the deadline", () => {
    expect(asg.inputs).to.include({
      healthCheckType: "EC2",
      healthCheckGracePeriod: CHAIN_BOOT.healthCheckGracePeriodSeconds,
    });
    // The role tag is what scopes the node's SetInstanceHealth to this group.
    expect(asg.inputs.tags).to.deep.include({
      key: "livepeer-fleet:role",
      value: "chain-node",
      propagateAtLaunch: false,
    });
    // The timer's report falls after the grace period (an early one does not wait for it).
    expect(CHAIN_BOOT.deadlineSeconds).to.be.above(CHAIN_BOOT.healthCheckGracePeriodSeconds);
    // The attach wait leaves the rest of the boot at least a quarter of an hour.
    const attachWait = CHAIN_BOOT.attachAttempts * CHAIN_BOOT.attachPollSeconds;
    expect(CHAIN_BOOT.deadlineSeconds - attachWait).to.be.at.least(900);
    // And it outlasts the old node's chain client stopping (Nitro: TimeoutStopSec=660).
    const nitroUnit = fs.readFileSync(
      path.join(NODE_DIR, "units", "nitro", "chain-client.service"),
      "utf8",
    );
    const stop = Number(/^TimeoutStopSec=(\d+)$/m.exec(nitroUnit)?.[1]);
    expect(attachWait).to.be.above(stop);
  });

  it("launch template: IMDSv2, encrypted root, Ubuntu AMI by SSM parameter, no SSH key, SSM profile", () => {
    expect(lt.inputs.metadataOptions).to.deep.include({ httpTokens: "required" });
    const [root] = lt.inputs.blockDeviceMappings as { ebs: Record<string, unknown> }[];
    expect(root.ebs).to.include({ encrypted: "true", kmsKeyId: keyArn });
    expect(lt.inputs).not.to.have.property("keyName");
    expect(lt.inputs.iamInstanceProfile).to.deep.equal({
      arn: "arn:aws:iam:us-east-1:123456789012:test-us-east-1-chain-profile",
    });
    // Session Manager without AmazonSSMManagedInstanceCore's ssm:GetParameter* on `*`.
    const ssm = one(e, "aws:iam/rolePolicy:RolePolicy", "-chain-session-manager");
    const actions = policyOf(ssm).Statement.flatMap((st) => st.Action as string[]);
    expect(actions).to.include("ssmmessages:OpenDataChannel");
    expect(actions.filter((a) => a.startsWith("ssm:GetParameter"))).to.deep.equal([]);
    expect(
      ofType(e, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn),
    ).not.to.include("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
    expect(lt.inputs.tagSpecifications).to.deep.include({
      resourceType: "instance",
      tags: {
        ...(lt.inputs.tagSpecifications as { tags: Record<string, string> }[])[0].tags,
        "livepeer-fleet:role": "chain-node",
      },
    });
  });

  it("only the orchestrators reach the RPC proxy and redeemer; nothing from the internet by default", () => {
    const rules = ofType(e, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
      (r) => r.name.startsWith("test-us-east-1-chain-"),
    );
    expect(
      rules.map((r) => [r.inputs.fromPort, r.inputs.referencedSecurityGroupId]),
    ).to.have.deep.members([
      [8545, "test-us-east-1-orch-sg-id"],
      [8935, "test-us-east-1-orch-sg-id"],
    ]);
    for (const r of rules) expect(r.inputs).not.to.have.property("cidrIpv4");
  });

  it("IAM lets the node attach only volumes and instances tagged for this unit", () => {
    const doc = policyOf(one(e, "aws:iam/rolePolicy:RolePolicy", "-chain-self"));
    const attach = doc.Statement.filter((s) => s.Action === "ec2:AttachVolume");
    expect(attach).to.have.length(2);
    for (const s of attach) {
      expect(s.Condition).to.have.nested.property(
        "StringEquals.aws:ResourceTag/livepeer-fleet:unit",
        "test-us-east-1",
      );
    }
    expect(attach.map((s) => s.Resource)).to.have.members([
      "arn:aws:ec2:us-east-1:123456789012:volume/*",
      "arn:aws:ec2:us-east-1:123456789012:instance/*",
    ]);
    const dns = doc.Statement.find((s) => s.Sid === "PublishOwnAddress")!;
    expect(JSON.stringify(dns.Condition)).to.include(
      "chain.test-us-east-1.livepeer-fleet.internal",
    );
  });

  it("the identity grant reads exactly the two SecureStrings and decrypts only through SSM", () => {
    const doc = policyOf(one(e, "aws:iam/policy:Policy", "-identity-read"));
    const read = doc.Statement.find((s) => s.Sid === "ReadOrchestratorIdentity")!;
    expect(read.Action).to.deep.equal(["ssm:GetParameter"]);
    expect(read.Resource).to.deep.equal([
      "arn:aws:ssm:us-east-1:123456789012:parameter/livepeer-fleet/test-us-east-1/orchestrator/keystore",
      "arn:aws:ssm:us-east-1:123456789012:parameter/livepeer-fleet/test-us-east-1/orchestrator/passphrase",
    ]);
    const decrypt = doc.Statement.find((s) => s.Sid === "DecryptThroughSsmOnly")!;
    expect(decrypt.Resource).to.equal(keyArn);
    expect(decrypt.Condition).to.deep.equal({
      StringEquals: { "kms:ViaService": "ssm.us-east-1.amazonaws.com" },
    });
    const attached = ofType(e, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter(
      (a) =>
        a.inputs.policyArn === "arn:aws:iam:us-east-1:123456789012:test-us-east-1-identity-read",
    );
    expect(attached.map((a) => a.name)).to.deep.equal(["test-us-east-1-chain-identity"]);
  });

  it("user data: the region's redeemer key everywhere, the orchestrator key and reward service in the home region only", async () => {
    const env = (u: Evaluation) =>
      parseEnv(
        Buffer.from(
          String(one(u, "aws:ec2/launchTemplate:LaunchTemplate", "-chain-lt").inputs.userData),
          "base64",
        ).toString("utf8"),
      );
    const prefix = "/livepeer-fleet/test-us-east-1";
    const home = env(e);
    expect(home).to.include({
      LF_REWARD_SERVICE: "1",
      LF_REDEEMER_KEYSTORE_PARAM: `${prefix}/redeemer/keystore`,
      LF_REDEEMER_PASSPHRASE_PARAM: `${prefix}/redeemer/passphrase`,
      LF_ORCH_KEYSTORE_PARAM: `${prefix}/orchestrator/keystore`,
      LF_ORCH_PASSPHRASE_PARAM: `${prefix}/orchestrator/passphrase`,
      LF_REDEEMER_ACCOUNT: FIXTURE_REDEEMER,
    });
    const away = env(await buildUnit(fixtureDesign({}, { homeRegion: "eu-west-1" })));
    expect(away).to.include({
      LF_REWARD_SERVICE: "0",
      LF_REDEEMER_KEYSTORE_PARAM: `${prefix}/redeemer/keystore`,
    });
    expect(away).not.to.have.property("LF_ORCH_KEYSTORE_PARAM");
    expect(away).not.to.have.property("LF_ORCH_PASSPHRASE_PARAM");
  });

  it("a configured P2P port moves the node to a public subnet and opens exactly that port", async () => {
    const p2p = await buildUnit(fixtureDesign({ chainNode: { p2pPort: 30303 } }));
    const rules = ofType(p2p, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
      (r) => r.name.includes("-chain-p2p-"),
    );
    expect(
      rules.map((r) => [r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.cidrIpv4]),
    ).to.have.deep.members([
      ["tcp", 30303, "0.0.0.0/0"],
      ["udp", 30303, "0.0.0.0/0"],
    ]);
    expect(
      one(p2p, "aws:autoscaling/group:Group", "-chain-asg").inputs.vpcZoneIdentifiers,
    ).to.deep.equal(["test-us-east-1-net-public-a-id"]);
  });
});

describe("the chain node's role, decided by an IAM evaluation engine (fixture unit)", () => {
  const sim = new Simulator();
  let e: Evaluation;
  let chain: RoleModel;
  const ACCOUNT = "123456789012";
  const groupArn = (name: string) =>
    `arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:autoScalingGroupName/${name}`;
  /** aws:ResourceTag/* of a recorded group, from the tags the program gives it. */
  const tagsOf = (r: RecordedResource) =>
    Object.fromEntries(
      (r.inputs.tags as { key: string; value: string }[]).map((t) => [
        `aws:ResourceTag/${t.key}`,
        t.value,
      ]),
    );
  const decide = (action: string, resource: string, context: Record<string, string> = {}) =>
    sim.decide({ role: chain, accountId: ACCOUNT, action, resource, context });

  before(async () => {
    e = await buildUnit(fixtureDesign());
    const model = extractAccessModel([e]);
    chain = model.roles.find((r) => r.logicalName === "test-us-east-1-chain-role")!;
  });

  it("marks an instance of its own group Unhealthy (the boot deadline), with the group's own tags", async () => {
    const group = one(e, "aws:autoscaling/group:Group", "-chain-asg");
    expect(
      await decide("autoscaling:SetInstanceHealth", groupArn(group.name), tagsOf(group)),
    ).to.equal("Allowed");
  });

  it("and no other group: not an orchestrator's or the transcoders' of its unit, not another unit's chain node", async () => {
    for (const suffix of ["-orch-a-asg", "-orch-b-asg", "-tc-asg"]) {
      const group = one(e, "aws:autoscaling/group:Group", suffix);
      expect(
        await decide("autoscaling:SetInstanceHealth", groupArn(group.name), tagsOf(group)),
        suffix,
      ).to.equal("ImplicitlyDenied");
    }
    const own = tagsOf(one(e, "aws:autoscaling/group:Group", "-chain-asg"));
    expect(
      await decide("autoscaling:SetInstanceHealth", groupArn("prod-eu-west-1-chain-asg"), {
        ...own,
        "aws:ResourceTag/livepeer-fleet:unit": "prod-eu-west-1",
      }),
    ).to.equal("ImplicitlyDenied");
  });

  it("can attach its unit's volume but never detach it, nor terminate or resize anything", async () => {
    const volume = one(e, "aws:ebs/volume:Volume", "-chain-data");
    const volumeArn = `arn:aws:ec2:us-east-1:${ACCOUNT}:volume/vol-0123456789abcdef0`;
    const volumeTags = Object.fromEntries(
      Object.entries(volume.inputs.tags as Record<string, string>).map(([k, v]) => [
        `aws:ResourceTag/${k}`,
        v,
      ]),
    );
    expect(await decide("ec2:AttachVolume", volumeArn, volumeTags)).to.equal("Allowed");
    expect(await decide("ec2:DetachVolume", volumeArn, volumeTags)).to.equal("ImplicitlyDenied");
    const group = one(e, "aws:autoscaling/group:Group", "-chain-asg");
    for (const action of [
      "autoscaling:TerminateInstanceInAutoScalingGroup",
      "autoscaling:UpdateAutoScalingGroup",
      "autoscaling:SetDesiredCapacity",
      "autoscaling:DetachInstances",
    ]) {
      expect(await decide(action, groupArn(group.name), tagsOf(group)), action).to.equal(
        "ImplicitlyDenied",
      );
    }
    expect(
      await decide(
        "ec2:TerminateInstances",
        `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`,
        {
          "aws:ResourceTag/livepeer-fleet:unit": "test-us-east-1",
          "aws:ResourceTag/livepeer-fleet:role": "chain-node",
        },
      ),
    ).to.equal("ImplicitlyDenied");
  });
});
