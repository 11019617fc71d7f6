// Security suite: fails if any shipped stack (or a configured variant) opens 22 or any port other
// than 8935 (and a configured chain P2P port) to 0.0.0.0/0 or ::/0, or leaves any volume, root
// disk or parameter without a customer key. It runs the policy pack's own rules (policy/rules)
// over every registration of the real program, so the suite and `pulumi preview --policy-pack`
// can never disagree; each rule's compliant/non-compliant pair is in policy.test.ts.
import { expect } from "chai";
import type { Evaluation, RecordedResource } from "../lib/plan/evaluate";
import { AllowedPort, PolicyContext, RULES } from "../policy/rules";
import { evaluate } from "./helpers/program";

const SECURITY_RULES = RULES.filter((r) =>
  [
    "no-ssh-ingress",
    "public-ingress-allowlist",
    "livepeer-cli-port-never-exposed",
    "ebs-volume-customer-key",
    "block-device-customer-key",
    "securestring-customer-key",
  ].includes(r.name),
);

function violations(resources: readonly RecordedResource[], publicPorts: AllowedPort[]): string[] {
  const ctx: PolicyContext = { publicPorts };
  return resources.flatMap((r) => [
    ...SECURITY_RULES.flatMap((rule) =>
      rule.check({ type: r.type, name: r.name, props: r.inputs, protect: r.protect }, ctx),
    ),
    // Stricter than the pack (which allows plain Strings for public data): this program stores
    // only secrets in SSM, so any parameter it creates must be a SecureString.
    ...(r.type === "aws:ssm/parameter:Parameter" && r.inputs.type !== "SecureString"
      ? [`parameter ${r.name} is not a SecureString`]
      : []),
  ]);
}

const SERVICE: AllowedPort = { protocol: "tcp", port: 8935, why: "Livepeer service" };
const p2p = (port: number): AllowedPort[] => [
  { protocol: "tcp", port, why: "chain P2P" },
  { protocol: "udp", port, why: "chain P2P" },
];

function withExtra(
  e: Evaluation,
  type: string,
  inputs: Record<string, unknown>,
): RecordedResource[] {
  const extra: RecordedResource = {
    urn: "urn:extra",
    type,
    name: "injected",
    parent: "",
    provider: "p",
    custom: true,
    protect: false,
    retainOnDelete: false,
    deleteBeforeReplace: false,
    ignoreChanges: [],
    dependsOn: [],
    inputs,
  };
  return [...e.resources, extra];
}

describe("security of the shipped stacks (policy pack rules over the real program)", () => {
  const variants: [string, Record<string, unknown> | undefined, AllowedPort[]][] = [
    ["prod-us-east-1", undefined, [SERVICE]],
    ["prod-eu-west-1", undefined, [SERVICE]],
    [
      "prod-eu-west-1",
      { "livepeer-fleet:chainNode": { p2pPort: 30303 } },
      [SERVICE, ...p2p(30303)],
    ],
    ["prod", undefined, []],
  ];
  for (const [stack, overrides, ports] of variants) {
    const label = `${stack}${overrides ? " with " + JSON.stringify(overrides) : ""}`;
    it(`${label}: nothing public but ${ports.map((p) => `${p.port}/${p.protocol}`).join(", ") || "nothing"}, every disk and parameter under a customer key`, () => {
      const e = evaluate(stack, overrides);
      expect(violations(e.resources, ports)).to.deep.equal([]);
    });
  }

  it("the P2P port is public only where it is configured", () => {
    const e = evaluate("prod-eu-west-1", { "livepeer-fleet:chainNode": { p2pPort: 30303 } });
    expect(violations(e.resources, [SERVICE]).join("\n")).to.include("30303");
  });

  describe("catches a violation injected into a real stack", () => {
    const e = evaluate("prod-us-east-1");
    const cases: [string, string, Record<string, unknown>][] = [
      [
        "SSH from anywhere (standalone rule, IPv6)",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv6: "::/0" },
      ],
      [
        "the Livepeer CLI port in an inline rule",
        "aws:ec2/securityGroup:SecurityGroup",
        { ingress: [{ protocol: "tcp", fromPort: 7935, toPort: 7935, cidrBlocks: ["0.0.0.0/0"] }] },
      ],
      [
        "all ports from anywhere",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        { type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] },
      ],
      [
        "an unencrypted volume",
        "aws:ebs/volume:Volume",
        { availabilityZone: "us-east-1a", size: 10 },
      ],
      [
        "a launch template root without a customer key",
        "aws:ec2/launchTemplate:LaunchTemplate",
        { blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "true" } }] },
      ],
      ["a plain String parameter", "aws:ssm/parameter:Parameter", { type: "String", value: "x" }],
    ];
    for (const [title, type, inputs] of cases) {
      it(title, () => {
        const found = violations(withExtra(e, type, inputs), [SERVICE]);
        expect(found.length, title).to.be.greaterThan(0);
      });
    }
  });

  it("a region stack's public service port is reachable through the NLB listener", () => {
    const e = evaluate("prod-us-east-1");
    const listeners = e.resources.filter((r) => r.type === "aws:lb/listener:Listener");
    expect(listeners.map((l) => l.inputs.port)).to.deep.equal([8935]);
  });
});
