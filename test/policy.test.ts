import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as proxyModule from "@pulumi/policy/proxy";
import {
  PolicyContext,
  PolicyResource,
  Rule,
  RULES,
  STACK_RULES,
  StackRule,
  UNKNOWN,
} from "../policy/rules";
import { contextFor, materialize, stackOfUrn, stackRuleViolations } from "../policy/adapter";
import { listStacks, readStackConfig } from "../lib/config/sources";
import { evaluate, PROJECT_DIR } from "./helpers/program";
import type { Evaluation, RecordedResource } from "../lib/plan/evaluate";
import { publicIngress } from "../lib/plan/exposure";

const ctx: PolicyContext = {
  publicPorts: [{ protocol: "tcp", port: 8935, why: "Livepeer service" }],
  vpcCidrs: ["10.10.0.0/16"],
  healthCheckPorts: [8936],
};
const KEY = "arn:aws:kms:us-east-1:123456789012:key/unit";
/** Instance metadata options every rule accepts: IMDSv2 only, one hop. */
const IMDS = { httpTokens: "required", httpPutResponseHopLimit: 1 };
/** A root mapping every rule accepts. */
const ROOT = { deviceName: "/dev/sda1", ebs: { encrypted: "true", kmsKeyId: KEY } };
const LT = "aws:ec2/launchTemplate:LaunchTemplate";

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
      res("aws:ebs/volume:Volume", {
        encrypted: true,
        kmsKeyId: "arn:aws:kms:us-east-1:123456789012:alias/aws/ebs",
      }),
    ],
  },
  "block-device-customer-key": {
    ok: [
      res(LT, { blockDeviceMappings: [ROOT] }),
      res(LT, {
        blockDeviceMappings: [
          { deviceName: "/dev/xvda", ebs: { encrypted: "true", kmsKeyId: UNKNOWN } },
          { deviceName: "/dev/sdf", ebs: { encrypted: "true", kmsKeyId: KEY } },
        ],
      }),
      res("aws:ec2/instance:Instance", { rootBlockDevice: { encrypted: true, kmsKeyId: KEY } }),
      res("aws:ec2/spotInstanceRequest:SpotInstanceRequest", {
        rootBlockDevice: { encrypted: true, kmsKeyId: KEY },
      }),
      res("aws:ec2/spotFleetRequest:SpotFleetRequest", {
        launchSpecifications: [{ rootBlockDevices: [{ encrypted: true, kmsKeyId: KEY }] }],
      }),
    ],
    bad: [
      res(LT, {}),
      res(LT, {
        blockDeviceMappings: [
          { deviceName: "/dev/sda1", ebs: { encrypted: "false", kmsKeyId: KEY } },
        ],
      }),
      // Only a data disk: the root volume is whatever the AMI says.
      res(LT, {
        blockDeviceMappings: [
          { deviceName: "/dev/sdf", ebs: { encrypted: "true", kmsKeyId: KEY } },
        ],
      }),
      res("aws:ec2/instance:Instance", {
        rootBlockDevice: { encrypted: true, kmsKeyId: KEY },
        ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }],
      }),
      res("aws:ec2/instance:Instance", {}),
      res("aws:ec2/spotInstanceRequest:SpotInstanceRequest", {}),
      res("aws:ec2/spotFleetRequest:SpotFleetRequest", {
        launchSpecifications: [{ rootBlockDevices: [{ encrypted: false }] }],
      }),
      res("aws:ec2/launchConfiguration:LaunchConfiguration", {
        rootBlockDevice: { encrypted: true },
      }),
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
      res("aws:ssm/parameter:Parameter", {
        type: "SecureString",
        keyId: "arn:aws:kms:us-east-1:123456789012:alias/aws/ssm",
      }),
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
      res(LT, { metadataOptions: IMDS }),
      res("aws:ec2/instance:Instance", { metadataOptions: { httpEndpoint: "disabled" } }),
      res("aws:ec2/spotInstanceRequest:SpotInstanceRequest", { metadataOptions: IMDS }),
      res("aws:ec2/launchConfiguration:LaunchConfiguration", { metadataOptions: IMDS }),
    ],
    bad: [
      res(LT, { metadataOptions: { httpTokens: "optional" } }),
      res(LT, { metadataOptions: { httpTokens: "required" } }),
      res(LT, { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 3 } }),
      res("aws:ec2/instance:Instance", {}),
      res("aws:ec2/spotInstanceRequest:SpotInstanceRequest", {}),
      res("aws:ec2/launchConfiguration:LaunchConfiguration", {}),
      res("aws:ec2/spotFleetRequest:SpotFleetRequest", { launchSpecifications: [{}] }),
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
      ...ingressForms("tcp", 8545, 8545, "0.0.0.0/1"),
      ...ingressForms("tcp", 8545, 8545, "10.20.0.0/16"),
      res(INGRESS, { ipProtocol: "tcp", fromPort: 8545, toPort: 8545, prefixListId: "pl-1" }),
    ],
  },
  "load-balancer-port-allowlist": {
    ok: [
      res("aws:lb/listener:Listener", { port: 8935, protocol: "TCP" }),
      res("aws:lb/targetGroup:TargetGroup", {
        port: 8935,
        protocol: "TCP",
        healthCheck: { port: "8936", protocol: "HTTP", path: "/healthz" },
      }),
      res("aws:alb/targetGroup:TargetGroup", { port: 8935, healthCheck: { port: "traffic-port" } }),
      res("aws:lb/targetGroup:TargetGroup", { targetType: "lambda" }),
      res("aws:lb/listener:Listener", { port: UNKNOWN }),
    ],
    bad: [
      res("aws:lb/listener:Listener", { port: 8545 }),
      res("aws:alb/listener:Listener", { port: 22 }),
      res("aws:lb/listener:Listener", {}),
      res("aws:lb/targetGroup:TargetGroup", { port: 8936 }),
      res("aws:lb/targetGroup:TargetGroup", { port: 8935, healthCheck: { port: "8545" } }),
      res("aws:elb/loadBalancer:LoadBalancer", {
        listeners: [
          { lbPort: 8545, lbProtocol: "tcp", instancePort: 8545, instanceProtocol: "tcp" },
        ],
      }),
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
      res("aws:elb/loadBalancer:LoadBalancer", {
        listeners: [{ lbPort: 8935, instancePort: 8935 }],
        healthCheck: { target: "HTTP:7935/status" },
      }),
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

const KEY_RES = res("aws:kms/key:Key", { arn: KEY, keyId: "unit", id: "unit" });
const OTHER_ACCOUNT_KEY = "arn:aws:kms:us-east-1:999999999999:key/theirs";
/** The AWS managed aws/ebs key of this account, by key ARN: indistinguishable from a CMK alone. */
const MANAGED_BY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0b5e1a2c-aws-ebs";
const ASG = "aws:autoscaling/group:Group";

/** Per stack rule: stacks (resource lists) that comply and stacks that violate it. */
const STACK_PAIRS: Record<string, { ok: PolicyResource[][]; bad: PolicyResource[][] }> = {
  "unit-key-only": {
    ok: [
      [KEY_RES, res("aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: KEY })],
      [
        res("aws:kms/alias:Alias", { name: "alias/livepeer-fleet/unit" }),
        res("aws:ssm/parameter:Parameter", {
          type: "SecureString",
          keyId: "alias/livepeer-fleet/unit",
        }),
      ],
      [res("aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: UNKNOWN })],
      [KEY_RES, res(LT, { blockDeviceMappings: [ROOT] })],
    ],
    bad: [
      [KEY_RES, res("aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: MANAGED_BY_ARN })],
      [KEY_RES, res("aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: OTHER_ACCOUNT_KEY })],
      [
        KEY_RES,
        res(LT, {
          blockDeviceMappings: [
            ROOT,
            { deviceName: "/dev/sdf", ebs: { encrypted: "true", kmsKeyId: OTHER_ACCOUNT_KEY } },
          ],
        }),
      ],
      [res("aws:ssm/parameter:Parameter", { type: "SecureString", keyId: OTHER_ACCOUNT_KEY })],
      [
        res("aws:ec2/spotInstanceRequest:SpotInstanceRequest", {
          rootBlockDevice: { encrypted: true, kmsKeyId: MANAGED_BY_ARN },
        }),
      ],
    ],
  },
  "launch-from-checked-templates": {
    ok: [
      [res(LT, { id: "lt-1" }), res(ASG, { launchTemplate: { id: "lt-1", version: "1" } })],
      [
        res(ASG, {
          mixedInstancesPolicy: {
            launchTemplate: {
              launchTemplateSpecification: { launchTemplateId: UNKNOWN },
              overrides: [{ instanceType: "g5.xlarge" }],
            },
          },
        }),
      ],
      [
        res(LT, { name: "nodes" }),
        res("aws:ec2/instance:Instance", { launchTemplate: { name: "nodes" } }),
      ],
    ],
    bad: [
      [
        res(LT, { id: "lt-1" }),
        res(ASG, {
          mixedInstancesPolicy: {
            launchTemplate: {
              launchTemplateSpecification: { launchTemplateId: "lt-1" },
              overrides: [
                {
                  instanceType: "g5.xlarge",
                  launchTemplateSpecification: { launchTemplateId: "lt-handmade" },
                },
              ],
            },
          },
        }),
      ],
      [res(ASG, { launchTemplate: { name: "handmade" } })],
      [res(ASG, { launchConfiguration: "handmade-lc" })],
      [
        res("aws:ec2/spotFleetRequest:SpotFleetRequest", {
          launchTemplateConfigs: [{ launchTemplateSpecification: { id: "lt-handmade" } }],
        }),
      ],
      [
        res("aws:ec2/fleet:Fleet", {
          launchTemplateConfigs: [
            { launchTemplateSpecification: { launchTemplateId: "lt-handmade", version: "1" } },
          ],
        }),
      ],
      [res("aws:ec2/spotInstanceRequest:SpotInstanceRequest", { launchTemplate: { id: "lt-x" } })],
    ],
  },
};

/** Every rule's verdict on a stack: rule name -> messages (resource and stack rules). */
function verdicts(stack: PolicyResource[], c: PolicyContext = ctx): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (rule: string, messages: string[]) => {
    if (messages.length > 0) out.set(rule, [...(out.get(rule) ?? []), ...messages]);
  };
  for (const r of stack) {
    for (const rule of RULES) add(rule.name, rule.check(r, c));
    for (const rule of STACK_RULES) add(rule.name, rule.check(r, stack, c));
  }
  return out;
}

const sg = (ingress: Record<string, unknown>) => res(SG, { ingress: [ingress] });
const tcp = (port: number, source: Record<string, unknown>) => ({
  protocol: "tcp",
  fromPort: port,
  toPort: port,
  ...source,
});

/**
 * The bypass corpus: what an attacker or a careless change would try, each with the rule that
 * must catch it. Every entry passed the pack with zero violations before these rules existed.
 */
const BYPASSES: [string, PolicyResource[], string][] = [
  [
    "RPC proxy from 0.0.0.0/1 + 128.0.0.0/1",
    [sg(tcp(8545, { cidrBlocks: ["0.0.0.0/1", "128.0.0.0/1"] }))],
    "public-ingress-allowlist",
  ],
  [
    "SSH from two /1 halves (standalone rules)",
    [res(INGRESS, { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "128.0.0.0/1" })],
    "no-ssh-ingress",
  ],
  [
    "redeemer from ::/1 + 8000::/1",
    [sg(tcp(8935, { protocol: "udp", ipv6CidrBlocks: ["::/1", "8000::/1"] }))],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from 0::/0",
    [res(INGRESS, { ipProtocol: "tcp", fromPort: 8545, toPort: 8545, cidrIpv6: "0::/0" })],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from ::0/0",
    [
      res(SG_RULE, {
        type: "ingress",
        protocol: "tcp",
        fromPort: 8545,
        toPort: 8545,
        ipv6CidrBlocks: ["::0/0"],
      }),
    ],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from 0:0:0:0:0:0:0:0/0",
    [sg(tcp(8545, { ipv6CidrBlocks: ["0:0:0:0:0:0:0:0/0"] }))],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from an IPv4-mapped IPv6 block",
    [sg(tcp(8545, { ipv6CidrBlocks: ["::ffff:0.0.0.0/96"] }))],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from a block that contains the VPC",
    [sg(tcp(8545, { cidrBlocks: ["10.10.0.0/15"] }))],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from a VPC address with a short prefix",
    [sg(tcp(8545, { cidrBlocks: ["10.10.0.5/8"] }))],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from another private network",
    [sg(tcp(8545, { cidrBlocks: ["192.168.0.0/16"] }))],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from a padded 0.0.0.0/0",
    [sg(tcp(8545, { cidrBlocks: [" 0.0.0.0/0"] }))],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from a prefix list (inline)",
    [sg(tcp(8545, { prefixListIds: ["pl-0123456789abcdef0"] }))],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from a prefix list (standalone rule)",
    [res(INGRESS, { ipProtocol: "tcp", fromPort: 8545, toPort: 8545, prefixListId: "pl-1" })],
    "public-ingress-allowlist",
  ],
  [
    "RPC proxy from a computed prefix list (security group rule)",
    [
      res(SG_RULE, {
        type: "ingress",
        protocol: "tcp",
        fromPort: 8545,
        toPort: 8545,
        prefixListIds: [UNKNOWN],
      }),
    ],
    "public-ingress-allowlist",
  ],
  [
    "SSH through the VPC's default security group",
    [
      res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", {
        ingress: [tcp(22, { cidrBlocks: ["0.0.0.0/0"] })],
      }),
    ],
    "no-ssh-ingress",
  ],
  [
    "all traffic by protocol number, ports as strings",
    [
      res(SG_RULE, {
        type: "ingress",
        protocol: "-1",
        fromPort: "0",
        toPort: "0",
        cidrBlocks: ["0.0.0.0/0"],
      }),
    ],
    "public-ingress-allowlist",
  ],
  [
    'TCP written as "6" and upper case',
    [
      sg({ protocol: "TCP", fromPort: 22, toPort: 22, cidrBlocks: ["10.10.0.0/16"] }),
      res(INGRESS, { ipProtocol: "6", fromPort: 22, toPort: 22, cidrIpv4: "10.10.0.0/16" }),
    ],
    "no-ssh-ingress",
  ],
  [
    "the CLI port inside a wide VPC-only range",
    [sg({ protocol: "tcp", fromPort: 1, toPort: 65535, cidrBlocks: ["10.10.0.0/16"] })],
    "livepeer-cli-port-never-exposed",
  ],
  [
    "an NLB listener on the RPC proxy port",
    [res("aws:lb/listener:Listener", { port: 8545, protocol: "TCP" })],
    "load-balancer-port-allowlist",
  ],
  [
    "an ALB listener on 80",
    [res("aws:alb/listener:Listener", { port: 80 })],
    "load-balancer-port-allowlist",
  ],
  [
    "a target group forwarding to the redeemer's 8935 on another port",
    [res("aws:lb/targetGroup:TargetGroup", { port: 8936 })],
    "load-balancer-port-allowlist",
  ],
  [
    "a target group health-checking the RPC proxy",
    [res("aws:lb/targetGroup:TargetGroup", { port: 8935, healthCheck: { port: "8545" } })],
    "load-balancer-port-allowlist",
  ],
  [
    "a classic ELB in front of the RPC proxy",
    [
      res("aws:elb/loadBalancer:LoadBalancer", {
        listeners: [
          { lbPort: 8545, lbProtocol: "tcp", instancePort: 8545, instanceProtocol: "tcp" },
        ],
      }),
    ],
    "load-balancer-port-allowlist",
  ],
  [
    "IMDSv2 with hop limit 3",
    [
      res(LT, {
        blockDeviceMappings: [ROOT],
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 3 },
      }),
    ],
    "imdsv2-required",
  ],
  [
    "IMDSv2 with the hop limit left to the AMI",
    [res(LT, { blockDeviceMappings: [ROOT], metadataOptions: { httpTokens: "required" } })],
    "imdsv2-required",
  ],
  [
    "a launch template whose only disk is an encrypted data disk",
    [
      res(LT, {
        metadataOptions: IMDS,
        blockDeviceMappings: [
          { deviceName: "/dev/sdf", ebs: { encrypted: "true", kmsKeyId: KEY } },
        ],
      }),
    ],
    "block-device-customer-key",
  ],
  [
    "a launch template that suppresses the root mapping",
    [
      res(LT, {
        metadataOptions: IMDS,
        blockDeviceMappings: [{ deviceName: "/dev/sda1", noDevice: "" }],
      }),
    ],
    "block-device-customer-key",
  ],
  [
    "a spot instance request with IMDSv1",
    [
      res("aws:ec2/spotInstanceRequest:SpotInstanceRequest", {
        rootBlockDevice: { encrypted: true, kmsKeyId: KEY },
      }),
    ],
    "imdsv2-required",
  ],
  [
    "a spot instance request with an unencrypted root",
    [
      res("aws:ec2/spotInstanceRequest:SpotInstanceRequest", {
        metadataOptions: IMDS,
        rootBlockDevice: { encrypted: false },
      }),
    ],
    "block-device-customer-key",
  ],
  [
    "a spot fleet launch specification (no metadata options)",
    [
      res("aws:ec2/spotFleetRequest:SpotFleetRequest", {
        launchSpecifications: [{ rootBlockDevices: [{ encrypted: true, kmsKeyId: KEY }] }],
      }),
    ],
    "imdsv2-required",
  ],
  [
    "a spot fleet launching from a hand-made template",
    [
      res("aws:ec2/spotFleetRequest:SpotFleetRequest", {
        launchTemplateConfigs: [{ launchTemplateSpecification: { id: "lt-handmade" } }],
      }),
    ],
    "launch-from-checked-templates",
  ],
  [
    "a mixed-instances override to another launch template",
    [
      res(LT, { id: "lt-1", blockDeviceMappings: [ROOT], metadataOptions: IMDS }),
      res(ASG, {
        mixedInstancesPolicy: {
          launchTemplate: {
            launchTemplateSpecification: { launchTemplateId: "lt-1" },
            overrides: [{ launchTemplateSpecification: { launchTemplateId: "lt-0handmade" } }],
          },
        },
      }),
    ],
    "launch-from-checked-templates",
  ],
  [
    "a launch configuration (no KMS key field)",
    [
      res("aws:ec2/launchConfiguration:LaunchConfiguration", {
        metadataOptions: IMDS,
        rootBlockDevice: { encrypted: true },
      }),
    ],
    "block-device-customer-key",
  ],
  [
    "an EBS volume under alias/aws/ebs by alias ARN",
    [
      res("aws:ebs/volume:Volume", {
        encrypted: true,
        kmsKeyId: "arn:aws:kms:us-east-1:123456789012:alias/aws/ebs",
      }),
    ],
    "ebs-volume-customer-key",
  ],
  [
    "an EBS volume under the AWS managed key by key ARN",
    [KEY_RES, res("aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: MANAGED_BY_ARN })],
    "unit-key-only",
  ],
  [
    "an EBS volume under another account's key",
    [KEY_RES, res("aws:ebs/volume:Volume", { encrypted: true, kmsKeyId: OTHER_ACCOUNT_KEY })],
    "unit-key-only",
  ],
  [
    "a volume whose encrypted flag is the string false",
    [res("aws:ebs/volume:Volume", { encrypted: "false", kmsKeyId: KEY })],
    "ebs-volume-customer-key",
  ],
  [
    "a SecureString under alias/aws/ssm by alias ARN",
    [
      res("aws:ssm/parameter:Parameter", {
        type: "SecureString",
        keyId: "arn:aws:kms:us-east-1:123456789012:alias/aws/ssm",
      }),
    ],
    "securestring-customer-key",
  ],
  [
    "a SecureString under another account's key",
    [
      KEY_RES,
      res("aws:ssm/parameter:Parameter", { type: "SecureString", keyId: OTHER_ACCOUNT_KEY }),
    ],
    "unit-key-only",
  ],
  [
    "a launch template data disk under another account's key",
    [
      KEY_RES,
      res(LT, {
        metadataOptions: IMDS,
        blockDeviceMappings: [
          ROOT,
          { deviceName: "/dev/sdf", ebs: { encrypted: "true", kmsKeyId: OTHER_ACCOUNT_KEY } },
        ],
      }),
    ],
    "unit-key-only",
  ],
];

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

  for (const [name, { ok, bad }] of Object.entries(STACK_PAIRS)) {
    describe(`${name} (stack rule)`, () => {
      const rule = STACK_RULES.find((r) => r.name === name) as StackRule;
      const run = (stack: PolicyResource[]) => stack.flatMap((r) => rule.check(r, stack, ctx));
      ok.forEach((stack, i) =>
        it(`passes compliant stack ${i + 1}`, () => expect(run(stack)).to.deep.equal([])),
      );
      bad.forEach((stack, i) =>
        it(`flags non-compliant stack ${i + 1}`, () => {
          const v = run(stack);
          expect(v).to.have.length.greaterThan(0);
          for (const m of v) expect(m).to.include(" r ");
        }),
      );
    });
  }

  it("has compliant/non-compliant stacks for every stack rule", () => {
    expect(Object.keys(STACK_PAIRS).sort()).to.deep.equal(STACK_RULES.map((r) => r.name).sort());
  });

  describe("bypass corpus: each attempt is caught by the rule meant for it", () => {
    for (const [title, stack, expected] of BYPASSES) {
      it(title, () => {
        const v = verdicts(stack);
        expect([...v.keys()], JSON.stringify([...v.entries()])).to.include(expected);
      });
    }
  });

  it("the plan's exposure report judges sources as the pack does", () => {
    const rec = (
      type: string,
      name: string,
      inputs: Record<string, unknown>,
    ): RecordedResource => ({
      urn: `urn:${name}`,
      type,
      name,
      parent: "",
      provider: "p",
      custom: true,
      protect: false,
      retainOnDelete: false,
      deleteBeforeReplace: false,
      ignoreChanges: [],
      dependsOn: [],
      inputs,
    });
    const found = publicIngress([
      rec("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.10.0.0/16" }),
      rec(INGRESS, "half", {
        ipProtocol: "tcp",
        fromPort: 8545,
        toPort: 8545,
        cidrIpv4: "0.0.0.0/1",
      }),
      rec(INGRESS, "v6", { ipProtocol: "tcp", fromPort: 8545, toPort: 8545, cidrIpv6: "0::/0" }),
      rec(INGRESS, "pl", { ipProtocol: "tcp", fromPort: 8545, toPort: 8545, prefixListId: "pl-1" }),
      rec(INGRESS, "vpc-only", {
        ipProtocol: "tcp",
        fromPort: 8936,
        toPort: 8936,
        cidrIpv4: "10.10.0.0/16",
      }),
    ]);
    expect(found.map((f) => f.resource)).to.deep.equal(["half", "v6", "pl"]);
  });

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

  it("runs the stack rules on the engine's resources, a preview's unknown values included", () => {
    const engine = proxyModule as unknown as {
      unknownStringValue: unknown;
      unknownCheckingProxy: (o: object) => Record<string, unknown>;
    };
    const urn = (type: string, name: string) =>
      `urn:pulumi:prod-us-east-1::livepeer-fleet::${type}::${name}`;
    const resource = (type: string, name: string, props: object) => ({
      type,
      name,
      urn: urn(type, name),
      props: engine.unknownCheckingProxy(props),
      opts: { protect: false },
    });
    const unitKey = STACK_RULES.find((r) => r.name === "unit-key-only") as StackRule;
    // A new stack's preview: the key's ARN and the volume's key are both still unknown.
    const preview = [
      resource("aws:kms/key:Key", "key", { arn: engine.unknownStringValue }),
      resource("aws:ebs/volume:Volume", "data", { kmsKeyId: engine.unknownStringValue }),
    ];
    expect(stackRuleViolations(unitKey, preview, ctx)).to.deep.equal([]);
    const foreign = [
      ...preview,
      resource("aws:ebs/volume:Volume", "theirs", { kmsKeyId: OTHER_ACCOUNT_KEY }),
    ];
    const v = stackRuleViolations(unitKey, foreign, ctx);
    expect(v.map((x) => x.urn)).to.deep.equal([urn("aws:ebs/volume:Volume", "theirs")]);
  });

  it("derives each stack's public ports from its config", () => {
    expect(contextFor("prod").publicPorts).to.deep.equal([]);
    expect(contextFor("prod-us-east-1").publicPorts).to.deep.equal([
      { protocol: "tcp", port: 8935, why: "Livepeer service" },
    ]);
    // The stack's own VPC is what "inside" means, and its health port may be health-checked.
    const use1 = readStackConfig(PROJECT_DIR, "prod-us-east-1") as Record<
      string,
      { cidr?: string }
    >;
    expect(contextFor("prod-us-east-1").vpcCidrs).to.deep.equal([
      use1["livepeer-fleet:network"].cidr,
    ]);
    expect(contextFor("prod-us-east-1").healthCheckPorts).to.deep.equal([8936]);
    expect(contextFor("prod").vpcCidrs).to.deep.equal([]);
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
    // Resource rules on inputs, stack rules on outputs: what the engine gives each kind.
    const violations = (e: Evaluation, c: PolicyContext) => {
      const outputs: PolicyResource[] = e.resources.map((r) => ({
        type: r.type,
        name: r.name,
        props: { ...r.inputs, ...r.outputs },
        protect: r.protect,
      }));
      return [
        ...e.resources.flatMap((r) =>
          RULES.flatMap((rule) =>
            rule.check({ type: r.type, name: r.name, props: r.inputs, protect: r.protect }, c),
          ),
        ),
        ...outputs.flatMap((r) => STACK_RULES.flatMap((rule) => rule.check(r, outputs, c))),
      ];
    };

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
      // The stack file's own context (its VPC, no P2P port), with and without the P2P port.
      const unconfigured = contextFor("prod-eu-west-1");
      const configured: PolicyContext = {
        ...unconfigured,
        publicPorts: [
          ...unconfigured.publicPorts,
          { protocol: "tcp", port: 30303, why: "p2p" },
          { protocol: "udp", port: 30303, why: "p2p" },
        ],
      };
      expect(violations(e, configured)).to.deep.equal([]);
      expect(violations(e, unconfigured)).to.have.length(2);
    });
  });
});
