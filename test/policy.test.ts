import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as proxyModule from "@pulumi/policy/proxy";
import { PolicyContext, PolicyResource, Rule, RULES, UNKNOWN } from "../policy/rules";
import { contextFor, materialize, stackOfUrn } from "../policy/adapter";
import { listStacks } from "../lib/config/sources";
import { evaluate, PROJECT_DIR } from "./helpers/program";
import type { Evaluation } from "../lib/plan/evaluate";

const ctx: PolicyContext = {
  publicPorts: [{ protocol: "tcp", port: 8935, why: "Livepeer service" }],
};
const KEY = "arn:aws:kms:us-east-1:123456789012:key/unit";

const rule = (name: string): Rule => {
  const r = RULES.find((x) => x.name === name);
  if (!r) throw new Error(`no rule ${name}`);
  return r;
};
const res = (type: string, props: Record<string, unknown>, protect = false): PolicyResource => ({
  type,
  name: "r",
  props,
  protect,
});

const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";

/** The same ingress written the three ways AWS allows. */
function ingressForms(protocol: string, from: number, to: number, cidr: string): PolicyResource[] {
  return [
    res(SG, { ingress: [{ protocol, fromPort: from, toPort: to, cidrBlocks: [cidr] }] }),
    res(INGRESS, { ipProtocol: protocol, fromPort: from, toPort: to, cidrIpv4: cidr }),
    res(SG_RULE, { type: "ingress", protocol, fromPort: from, toPort: to, cidrBlocks: [cidr] }),
  ];
}

/** Per rule: resources that comply and resources that violate it. */
const PAIRS: Record<string, { ok: PolicyResource[]; bad: PolicyResource[] }> = {
  "ebs-volume-customer-key": {
    ok: [
      res("aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: KEY }),
      res("aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: UNKNOWN }),
    ],
    bad: [
      res("aws:ebs/volume:Volume", { encrypted: false, kmsKeyId: KEY }),
      res("aws:ebs/volume:Volume", { encrypted: true }),
      res("aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: "alias/aws/ebs" }),
    ],
  },
  "block-device-customer-key": {
    ok: [
      res("aws:ec2/launchTemplate:LaunchTemplate", {
        blockDeviceMappings: [
          { deviceName: "/dev/sda1", ebs: { encrypted: "true", kmsKeyId: KEY } },
        ],
      }),
      res("aws:ec2/instance:Instance", { rootBlockDevice: { encrypted: true, kmsKeyId: KEY } }),
    ],
    bad: [
      res("aws:ec2/launchTemplate:LaunchTemplate", {}),
      res("aws:ec2/launchTemplate:LaunchTemplate", {
        blockDeviceMappings: [
          { deviceName: "/dev/sda1", ebs: { encrypted: "false", kmsKeyId: KEY } },
        ],
      }),
      res("aws:ec2/instance:Instance", {
        rootBlockDevice: { encrypted: true, kmsKeyId: KEY },
        ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }],
      }),
      res("aws:ec2/instance:Instance", {}),
    ],
  },
  "securestring-customer-key": {
    ok: [
      res("aws:ssm/parameter:Parameter", { type: "SecureString", keyId: KEY }),
      res("aws:ssm/parameter:Parameter", { type: "String", value: "public" }),
    ],
    bad: [
      res("aws:ssm/parameter:Parameter", { type: "SecureString" }),
      res("aws:ssm/parameter:Parameter", { type: "SecureString", keyId: "alias/aws/ssm" }),
    ],
  },
  "kms-key-rotation": {
    ok: [
      res("aws:kms/key:Key", { enableKeyRotation: true }),
      res("aws:kms/key:Key", { customerMasterKeySpec: "ECC_NIST_P256" }),
    ],
    bad: [res("aws:kms/key:Key", {}), res("aws:kms/key:Key", { enableKeyRotation: false })],
  },
  "imdsv2-required": {
    ok: [
      res("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "required" } }),
      res("aws:ec2/instance:Instance", { metadataOptions: { httpEndpoint: "disabled" } }),
    ],
    bad: [
      res("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "optional" } }),
      res("aws:ec2/instance:Instance", {}),
    ],
  },
  "no-ssh-ingress": {
    ok: [
      ...ingressForms("tcp", 8935, 8935, "0.0.0.0/0"),
      ...ingressForms("udp", 22, 22, "10.0.0.0/16"),
    ],
    bad: [
      ...ingressForms("tcp", 22, 22, "10.0.0.0/16"),
      ...ingressForms("tcp", 0, 1024, "10.0.0.0/8"),
      ...ingressForms("-1", 0, 0, "10.0.0.0/16"),
    ],
  },
  "public-ingress-allowlist": {
    ok: [
      ...ingressForms("tcp", 8935, 8935, "0.0.0.0/0"),
      ...ingressForms("tcp", 8936, 8936, "10.10.0.0/16"),
      res(INGRESS, {
        ipProtocol: "tcp",
        fromPort: 8545,
        toPort: 8545,
        referencedSecurityGroupId: "sg-1",
      }),
      res(INGRESS, { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: UNKNOWN }),
    ],
    bad: [
      ...ingressForms("tcp", 443, 443, "0.0.0.0/0"),
      ...ingressForms("udp", 8935, 8935, "0.0.0.0/0"),
      ...ingressForms("tcp", 8900, 9000, "0.0.0.0/0"),
      ...ingressForms("-1", 0, 0, "0.0.0.0/0"),
      res(INGRESS, { ipProtocol: "tcp", fromPort: 30303, toPort: 30303, cidrIpv6: "::/0" }),
    ],
  },
  "livepeer-cli-port-never-exposed": {
    ok: [
      ...ingressForms("tcp", 8935, 8935, "10.10.0.0/16"),
      res("aws:lb/listener:Listener", { port: 8935 }),
    ],
    bad: [
      ...ingressForms("tcp", 7935, 7935, "10.10.0.0/16"),
      ...ingressForms("tcp", 7000, 8000, "127.0.0.1/32"),
      res("aws:lb/listener:Listener", { port: 7935 }),
      res("aws:lb/targetGroup:TargetGroup", { port: 8935, healthCheck: { port: "7935" } }),
    ],
  },
  "chain-data-volume-protected": {
    ok: [
      res("aws:ebs/volume:Volume", { tags: { "livepeer-fleet:role": "chain-data" } }, true),
      res("aws:ebs/volume:Volume", { tags: { "livepeer-fleet:role": "scratch" } }, false),
    ],
    bad: [res("aws:ebs/volume:Volume", { tags: { "livepeer-fleet:role": "chain-data" } }, false)],
  },
  "ssm-schedule-not-on-deploy": {
    ok: [
      res("aws:ssm/association:Association", {
        scheduleExpression: "cron(0 4 ? * * *)",
        applyOnlyAtCronInterval: true,
      }),
      res("aws:ssm/maintenanceWindow:MaintenanceWindow", { schedule: "cron(0 4 ? * * *)" }),
    ],
    bad: [
      res("aws:ssm/association:Association", { scheduleExpression: "cron(0 4 ? * * *)" }),
      res("aws:ssm/association:Association", {
        scheduleExpression: "rate(1 day)",
        applyOnlyAtCronInterval: true,
      }),
      res("aws:ssm/association:Association", { name: "AWS-RunShellScript" }),
      res("aws:ssm/maintenanceWindow:MaintenanceWindow", { schedule: "rate(1 day)" }),
    ],
  },
};

describe("policy pack", () => {
  it("has a compliant/non-compliant pair for every rule", () => {
    expect(Object.keys(PAIRS).sort()).to.deep.equal(RULES.map((r) => r.name).sort());
  });

  for (const [name, { ok, bad }] of Object.entries(PAIRS)) {
    describe(name, () => {
      ok.forEach((r, i) =>
        it(`passes compliant case ${i + 1} (${r.type.split(":")[1]})`, () => {
          expect(rule(name).check(r, ctx)).to.deep.equal([]);
        }),
      );
      bad.forEach((r, i) =>
        it(`flags non-compliant case ${i + 1} (${r.type.split(":")[1]})`, () => {
          const v = rule(name).check(r, ctx);
          expect(v).to.have.length.greaterThan(0);
          for (const m of v) expect(m).to.be.a("string").and.include(" r ");
        }),
      );
    });
  }

  it("allows a chain P2P port publicly only when the stack configures it", () => {
    const p2p = ingressForms("udp", 30303, 30303, "0.0.0.0/0");
    const withP2p: PolicyContext = {
      publicPorts: [...ctx.publicPorts, { protocol: "udp", port: 30303, why: "chain P2P" }],
    };
    for (const r of p2p) {
      expect(rule("public-ingress-allowlist").check(r, withP2p)).to.deep.equal([]);
      expect(rule("public-ingress-allowlist").check(r, ctx)).to.have.length(1);
    }
  });

  it("reads a value unknown during preview as UNKNOWN, not as an error", () => {
    // The engine's own proxy and sentinel: reading an unknown value throws UnknownValueError.
    // (Its .d.ts marks these internal, hence the cast.)
    const engine = proxyModule as unknown as {
      unknownStringValue: unknown;
      unknownCheckingProxy: (o: object) => unknown;
      UnknownValueError: new () => Error;
    };
    const props = engine.unknownCheckingProxy({
      encrypted: true,
      kmsKeyId: engine.unknownStringValue,
      tags: { a: "b" },
    }) as Record<string, unknown>;
    expect(() => props.kmsKeyId).to.throw(engine.UnknownValueError);
    expect(materialize(props)).to.deep.equal({
      encrypted: true,
      kmsKeyId: UNKNOWN,
      tags: { a: "b" },
    });
    expect(
      stackOfUrn("urn:pulumi:prod-us-east-1::livepeer-fleet::aws:ebs/volume:Volume::v"),
    ).to.equal("prod-us-east-1");
  });

  it("derives each stack's public ports from its config", () => {
    expect(contextFor("prod").publicPorts).to.deep.equal([]);
    expect(contextFor("prod-us-east-1").publicPorts).to.deep.equal([
      { protocol: "tcp", port: 8935, why: "Livepeer service" },
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-policy-"));
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.writeFileSync(
      path.join(dir, "Pulumi.prod-eu-west-1.yaml"),
      fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod-eu-west-1.yaml"), "utf8") +
        "  livepeer-fleet:chainNode:\n    p2pPort: 30303\n",
    );
    expect(
      contextFor("prod-eu-west-1", dir).publicPorts.map((p) => `${p.protocol}/${p.port}`),
    ).to.deep.equal(["tcp/8935", "tcp/30303", "udp/30303"]);
  });

  describe("the shipped stacks, through the plan's resource lists", () => {
    const violations = (e: Evaluation, c: PolicyContext) =>
      e.resources.flatMap((r) =>
        RULES.flatMap((rule) =>
          rule.check({ type: r.type, name: r.name, props: r.inputs, protect: r.protect }, c),
        ),
      );

    for (const stack of listStacks(PROJECT_DIR)) {
      it(`${stack} has zero violations`, () => {
        const e = evaluate(stack);
        expect(violations(e, contextFor(stack))).to.deep.equal([]);
      });
    }

    it("really checks what the rules are about (not zero violations of nothing)", () => {
      const types = new Set(evaluate("prod-us-east-1").resources.map((r) => r.type));
      for (const t of [
        "aws:ebs/volume:Volume",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:kms/key:Key",
        "aws:ec2/securityGroup:SecurityGroup",
        INGRESS,
      ]) {
        expect(types, t).to.include(t);
      }
    });

    it("passes a stack with a configured P2P port, and flags it without that config", () => {
      const e = evaluate("prod-eu-west-1", { "livepeer-fleet:chainNode": { p2pPort: 30303 } });
      const configured: PolicyContext = {
        publicPorts: [
          ...ctx.publicPorts,
          { protocol: "tcp", port: 30303, why: "p2p" },
          { protocol: "udp", port: 30303, why: "p2p" },
        ],
      };
      expect(violations(e, configured)).to.deep.equal([]);
      expect(violations(e, ctx)).to.have.length(2);
    });
  });
});
