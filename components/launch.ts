// Launch-template pieces both node kinds share, so the security posture (IMDSv2, encrypted root,
// no SSH key) is written once and tested once. Not a component: plain input builders.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { TAGS } from "../lib/runtime-contract";
import { sessionManagerPolicy } from "../lib/iam/policies";

/** IMDSv2 only, one hop: a process in a container on the box cannot reach the credentials. */
export const IMDS_V2_REQUIRED: aws.types.input.ec2.LaunchTemplateMetadataOptions = {
  httpEndpoint: "enabled",
  httpTokens: "required",
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: "disabled",
};

/** Root volume of Ubuntu and the Deep Learning AMIs. */
export const ROOT_DEVICE = "/dev/sda1";

export function encryptedRoot(
  sizeGiB: number,
  kmsKeyArn: pulumi.Input<string>,
): aws.types.input.ec2.LaunchTemplateBlockDeviceMapping[] {
  return [
    {
      deviceName: ROOT_DEVICE,
      ebs: {
        volumeSize: sizeGiB,
        volumeType: "gp3",
        encrypted: "true",
        kmsKeyId: kmsKeyArn,
        deleteOnTermination: "true",
      },
    },
  ];
}

/** Instance and root-volume tags applied at launch (they carry the IAM-condition tags). */
export function launchTags(
  tags: Record<string, string>,
  also: "network-interface"[] = [],
): aws.types.input.ec2.LaunchTemplateTagSpecification[] {
  return [
    { resourceType: "instance", tags },
    { resourceType: "volume", tags },
    ...also.map((resourceType) => ({ resourceType, tags })),
  ];
}

/**
 * An EC2 role that Session Manager and Run Command can reach the instance through (no SSH
 * anywhere): the actions of AmazonSSMManagedInstanceCore without its ssm:GetParameter* on `*`
 * (lib/iam/policies.ts sessionManagerPolicy), so an instance reads no parameter it is not granted
 * by name.
 */
export function instanceRole(
  name: string,
  tags: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): { role: aws.iam.Role; profile: aws.iam.InstanceProfile } {
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "ec2.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      }),
      tags: { ...tags, Name: `${name}-role` },
    },
    opts,
  );
  new aws.iam.RolePolicy(
    `${name}-session-manager`,
    { role: role.id, policy: JSON.stringify(sessionManagerPolicy()) },
    opts,
  );
  const profile = new aws.iam.InstanceProfile(
    `${name}-profile`,
    { role: role.name, tags: { ...tags, Name: `${name}-profile` } },
    opts,
  );
  return { role, profile };
}

/**
 * What the health agent needs to publish its metrics (lib/runtime-contract.ts NODE_METRICS), into
 * `namespace`, its role's own (ROLE_METRIC_NAMESPACES). PutMetricData has no resource-level
 * permissions, so `*` is scoped by the namespace condition key instead: an instance can write
 * nothing outside its role's namespace, so it cannot fake another role's metrics.
 */
export function metricsStatements(namespace: string): Record<string, unknown>[] {
  return [
    {
      Sid: "PublishFleetMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
    },
  ];
}

/**
 * The agent's instance-local verdict for Auto Scaling (scripts/node/health-agent.py): mark its
 * own instance Unhealthy when go-livepeer or the GPU failed on this instance. Authorized on the
 * group, scoped by tag to the unit's groups of the caller's own role (SetInstanceHealth takes
 * autoScalingGroup with aws:ResourceTag: AWS service authorization reference, Amazon EC2 Auto
 * Scaling), so an internet-facing orchestrator cannot get the chain node or the transcoders
 * replaced.
 */
export function ownHealthStatements(unit: string, role: string): Record<string, unknown>[] {
  return [
    {
      Sid: "ReportOwnInstanceHealth",
      Effect: "Allow",
      Action: "autoscaling:SetInstanceHealth",
      Resource: "*",
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/${TAGS.unit}`]: unit,
          [`aws:ResourceTag/${TAGS.role}`]: role,
        },
      },
    },
    {
      // Read-only and without resource-level permissions: the agent finds its own group.
      Sid: "FindOwnAutoScalingGroup",
      Effect: "Allow",
      Action: "autoscaling:DescribeAutoScalingInstances",
      Resource: "*",
    },
  ];
}

/**
 * Tags on the group itself. Instances and their volumes are tagged by the launch template
 * (launchTags), so the ASG does not propagate a second, possibly different, copy.
 */
export function asgTags(tags: Record<string, string>): aws.types.input.autoscaling.GroupTag[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: false }));
}

/** A policy document from statements. */
export function policyDocument(statements: readonly object[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
