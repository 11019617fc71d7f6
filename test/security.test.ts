// Security suite: fails if any shipped stack (or a configured variant) opens 22 or any port other
// than 8935 (and a configured chain P2P port) to 0.0.0.0/0 or ::/0, or leaves any volume, root
// disk or parameter unencrypted. Each check is shown to catch a violation first.
import { expect } from "chai";
import type { RecordedResource } from "../lib/plan/evaluate";
import { encryptionViolations, exposureViolations } from "../lib/plan/security";
import { evaluate } from "./helpers/program";

function fake(type: string, name: string, inputs: Record<string, unknown>): RecordedResource {
  return {
    urn: `urn:${name}`,
    type,
    name,
    parent: "",
    provider: "p",
    custom: true,
    protect: false,
    ignoreChanges: [],
    dependsOn: [],
    inputs,
  };
}

describe("security checks catch violations", () => {
  const allow = { publicPorts: [8935] };
  it("SSH from anywhere, inline or standalone, v4 or v6", () => {
    const bad = [
      fake("aws:ec2/securityGroup:SecurityGroup", "inline", {
        ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
      }),
      fake("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rule6", {
        ipProtocol: "tcp",
        fromPort: 22,
        toPort: 22,
        cidrIpv6: "::/0",
      }),
      fake("aws:ec2/securityGroupRule:SecurityGroupRule", "legacy", {
        type: "ingress",
        protocol: "tcp",
        fromPort: 0,
        toPort: 1024,
        cidrBlocks: ["0.0.0.0/0"],
      }),
      fake("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "all", {
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
      }),
    ];
    expect(exposureViolations(bad, allow).map((v) => [v.resource, v.rule])).to.deep.equal([
      ["inline", "no-public-ssh"],
      ["rule6", "no-public-ssh"],
      ["legacy", "no-public-ssh"],
      ["all", "no-public-ssh"],
    ]);
  });
  it("any other public port, e.g. the Livepeer CLI 7935", () => {
    const bad = [
      fake("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "cli", {
        ipProtocol: "tcp",
        fromPort: 7935,
        toPort: 7935,
        cidrIpv4: "0.0.0.0/0",
      }),
    ];
    expect(exposureViolations(bad, allow)[0]).to.include({
      resource: "cli",
      rule: "public-ports-allowlist",
    });
    const vpcOnly = [
      fake("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ok", {
        ipProtocol: "tcp",
        fromPort: 7935,
        toPort: 7935,
        cidrIpv4: "10.0.0.0/16",
      }),
    ];
    expect(exposureViolations(vpcOnly, allow)).to.deep.equal([]);
  });
  it("unencrypted volume, root disk and parameter", () => {
    const bad = [
      fake("aws:ebs/volume:Volume", "vol", { encrypted: true }),
      fake("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
        blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "false" } }],
      }),
      fake("aws:ec2/launchTemplate:LaunchTemplate", "lt-default", {}),
      fake("aws:ec2/instance:Instance", "vm", { rootBlockDevice: { encrypted: true } }),
      fake("aws:ssm/parameter:Parameter", "param", { type: "String", value: "x" }),
    ];
    expect(encryptionViolations(bad).map((v) => v.resource)).to.deep.equal([
      "vol",
      "lt",
      "lt-default",
      "vm",
      "param",
    ]);
  });
});

describe("security of the shipped stacks", () => {
  const variants: [string, Record<string, unknown> | undefined, number[]][] = [
    ["prod-us-east-1", undefined, [8935]],
    ["prod-eu-west-1", undefined, [8935]],
    ["prod-eu-west-1", { "livepeer-fleet:chainNode": { p2pPort: 30303 } }, [8935, 30303]],
    ["prod", undefined, [8935]],
  ];
  for (const [stack, overrides, ports] of variants) {
    const label = `${stack}${overrides ? " with " + JSON.stringify(overrides) : ""}`;
    it(`${label}: only ${ports.join(" and ")} public, never 22`, () => {
      const e = evaluate(stack, overrides);
      expect(exposureViolations(e.resources, { publicPorts: ports })).to.deep.equal([]);
    });
    it(`${label}: every volume, root disk and parameter encrypted with a customer key`, () => {
      const e = evaluate(stack, overrides);
      expect(encryptionViolations(e.resources)).to.deep.equal([]);
    });
  }

  it("a region stack's public service port is reachable through the NLB listener", () => {
    const e = evaluate("prod-us-east-1");
    const listeners = e.resources.filter((r) => r.type === "aws:lb/listener:Listener");
    expect(listeners.map((l) => l.inputs.port)).to.deep.equal([8935]);
  });
});
