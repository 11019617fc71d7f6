// The API-model check: every string the plan sends to an AWS API as a name, name prefix,
// description, tag or other constrained field is validated against the service's own model
// (botocore's JSON, lib/checks/botocore.ts) before `pulumi up` ever reaches AWS. Resources the
// provider auto-names are checked with the name it would generate (logical name + "-" + 7 random
// characters) against the model and the provider's own limits. The mapping below is explicit and
// reviewed: a resource type the plan registers and this file does not map is itself a finding.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Evaluation, RecordedResource } from "../plan/evaluate";
import { BotocoreModels, StringConstraint, violations } from "./botocore";
import { AUTONAME_SUFFIX } from "../names";

/** Limits the provider enforces at preview that the service model does not carry. */
export interface ProviderLimit {
  max?: number;
  pattern?: string;
  forbiddenPrefixes?: string[];
  /** Neither first nor last character may be a hyphen. */
  noEdgeHyphen?: boolean;
  source: string;
}

// terraform-provider-aws internal/service/elbv2/validate.go: validName / validTargetGroupName
// (at most 32 characters, [0-9A-Za-z-], no leading or trailing hyphen; a load balancer name may not
// begin with "internal-"), validNamePrefix / validTargetGroupNamePrefix (at most 6 characters).
// pulumi-aws provider/aliases.go also auto-names target groups with AutoName("name", 32, "-").
const ELBV2 = "terraform-provider-aws internal/service/elbv2/validate.go";
export const ELBV2_NAME: ProviderLimit = {
  max: 32,
  pattern: "[0-9A-Za-z-]+",
  noEdgeHyphen: true,
  forbiddenPrefixes: ["internal-"],
  source: `${ELBV2} validName`,
};
export const ELBV2_TARGET_GROUP_NAME: ProviderLimit = {
  max: 32,
  pattern: "[0-9A-Za-z-]+",
  noEdgeHyphen: true,
  source: `${ELBV2} validTargetGroupName`,
};
export const ELBV2_NAME_PREFIX: ProviderLimit = {
  max: 6,
  pattern: "[0-9A-Za-z-]+",
  source: `${ELBV2} validNamePrefix / validTargetGroupNamePrefix`,
};

/**
 * A constraint the model states only in the member's documentation (EC2's and SNS's shapes are a
 * bare `String`). The quote must appear in the documentation of the model on this machine, so a
 * model update that changes the rule fails the check instead of leaving a stale copy.
 */
export interface Documented {
  quote: string;
  min?: number;
  max?: number;
  pattern?: string;
  forbiddenPrefixes?: string[];
}

export interface FieldRule {
  /**
   * Where the value is in the resource's inputs: dot-separated; `x[]` goes into each element of an
   * array, `x{}` into each value of a map, `x{keys}` to each key of a map.
   */
  path: string;
  /** `Structure.Member` in the service model (a list member: its element shape). */
  member: string;
  documented?: Documented;
  provider?: ProviderLimit;
}

export interface TagRule {
  /** `tags` (a map), or `x[]` for a list of { key, value } (autoscaling), `x[].tags` etc. */
  path: string;
  form: "map" | "list";
  /** `Structure.Member` of the tag collection in the model. */
  member: string;
  documented?: { key: Documented; value: Documented };
}

export interface TypeRule {
  service: string;
  /** Where `name` lands; checked when set, and as the auto-generated name when it is not. */
  name?: Omit<FieldRule, "path">;
  namePrefix?: Omit<FieldRule, "path">;
  fields: FieldRule[];
  tags?: TagRule[];
}

// EC2 documents its constraints in prose (ec2 2016-11-15 service-2.json).
const EC2_ALLOWED = "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&amp;;{}!$*";
const EC2_CHARS = "[a-zA-Z0-9 ._\\-:/()#,@\\[\\]+=&;{}!$*]*";
const EC2_RULE_DESCRIPTION: Documented = {
  quote: `Up to 255 characters in length. Allowed characters are ${EC2_ALLOWED}`,
  max: 255,
  pattern: EC2_CHARS,
};
const EC2_GROUP_DESCRIPTION: Documented = {
  quote: `Constraints for EC2-VPC: ${EC2_ALLOWED}`,
  max: 255,
  pattern: EC2_CHARS,
};
const EC2_TAGS: TagRule["documented"] = {
  key: {
    quote: "accept a maximum of 127 Unicode characters. May not begin with <code>aws:</code>",
    min: 1,
    max: 127,
    forbiddenPrefixes: ["aws:"],
  },
  value: { quote: "accept a maximum of 256 Unicode characters", max: 256 },
};
const ec2Tags = (path = "tags"): TagRule => ({
  path,
  form: "map",
  member: "CreateTagsRequest.Tags",
  documented: EC2_TAGS,
});

/** Pulumi resource type -> which model members its inputs become. Reviewed entry by entry. */
export const MAPPING: Record<string, TypeRule> = {
  "aws:autoscaling/group:Group": {
    service: "autoscaling",
    name: { member: "CreateAutoScalingGroupType.AutoScalingGroupName" },
    fields: [
      { path: "healthCheckType", member: "CreateAutoScalingGroupType.HealthCheckType" },
      { path: "enabledMetrics[]", member: "EnableMetricsCollectionQuery.Metrics" },
      { path: "launchTemplate.version", member: "LaunchTemplateSpecification.Version" },
      { path: "instanceRefresh.strategy", member: "StartInstanceRefreshType.Strategy" },
    ],
    tags: [{ path: "tags[]", form: "list", member: "CreateAutoScalingGroupType.Tags" }],
  },
  "aws:autoscaling/policy:Policy": {
    service: "autoscaling",
    name: { member: "PutScalingPolicyType.PolicyName" },
    fields: [
      { path: "policyType", member: "PutScalingPolicyType.PolicyType" },
      {
        path: "targetTrackingConfiguration.customizedMetricSpecification.metricName",
        member: "CustomizedMetricSpecification.MetricName",
      },
      {
        path: "targetTrackingConfiguration.customizedMetricSpecification.namespace",
        member: "CustomizedMetricSpecification.Namespace",
      },
      {
        path: "targetTrackingConfiguration.customizedMetricSpecification.statistic",
        member: "CustomizedMetricSpecification.Statistic",
      },
      {
        path: "targetTrackingConfiguration.customizedMetricSpecification.metricDimensions[].name",
        member: "MetricDimension.Name",
      },
      {
        path: "targetTrackingConfiguration.customizedMetricSpecification.metricDimensions[].value",
        member: "MetricDimension.Value",
      },
    ],
  },
  "aws:autoscaling/schedule:Schedule": {
    service: "autoscaling",
    fields: [
      {
        path: "scheduledActionName",
        member: "PutScheduledUpdateGroupActionType.ScheduledActionName",
      },
      { path: "recurrence", member: "PutScheduledUpdateGroupActionType.Recurrence" },
      { path: "timeZone", member: "PutScheduledUpdateGroupActionType.TimeZone" },
    ],
  },
  "aws:cloudwatch/dashboard:Dashboard": {
    service: "cloudwatch",
    fields: [
      {
        path: "dashboardName",
        member: "PutDashboardInput.DashboardName",
        documented: {
          quote: 'The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_"',
          min: 1,
          max: 255,
          pattern: "[A-Za-z0-9_-]+",
        },
      },
    ],
  },
  "aws:cloudwatch/eventRule:EventRule": {
    service: "events",
    name: { member: "PutRuleRequest.Name" },
    fields: [
      { path: "description", member: "PutRuleRequest.Description" },
      { path: "scheduleExpression", member: "PutRuleRequest.ScheduleExpression" },
      { path: "eventPattern", member: "PutRuleRequest.EventPattern" },
    ],
    tags: [{ path: "tags", form: "map", member: "PutRuleRequest.Tags" }],
  },
  "aws:cloudwatch/eventTarget:EventTarget": {
    service: "events",
    fields: [{ path: "rule", member: "PutTargetsRequest.Rule" }],
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    service: "logs",
    name: { member: "CreateLogGroupRequest.logGroupName" },
    fields: [],
    tags: [{ path: "tags", form: "map", member: "CreateLogGroupRequest.tags" }],
  },
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": {
    service: "logs",
    fields: [
      { path: "policyName", member: "PutResourcePolicyRequest.policyName" },
      { path: "policyDocument", member: "PutResourcePolicyRequest.policyDocument" },
    ],
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    service: "cloudwatch",
    name: { member: "PutMetricAlarmInput.AlarmName" },
    fields: [
      { path: "alarmDescription", member: "PutMetricAlarmInput.AlarmDescription" },
      { path: "metricName", member: "PutMetricAlarmInput.MetricName" },
      { path: "namespace", member: "PutMetricAlarmInput.Namespace" },
      { path: "statistic", member: "PutMetricAlarmInput.Statistic" },
      { path: "comparisonOperator", member: "PutMetricAlarmInput.ComparisonOperator" },
      { path: "treatMissingData", member: "PutMetricAlarmInput.TreatMissingData" },
      { path: "dimensions{keys}", member: "Dimension.Name" },
      { path: "dimensions{}", member: "Dimension.Value" },
      { path: "alarmActions[]", member: "PutMetricAlarmInput.AlarmActions" },
      { path: "okActions[]", member: "PutMetricAlarmInput.OKActions" },
    ],
    tags: [{ path: "tags", form: "map", member: "PutMetricAlarmInput.Tags" }],
  },
  "aws:dlm/lifecyclePolicy:LifecyclePolicy": {
    service: "dlm",
    fields: [
      { path: "description", member: "CreateLifecyclePolicyRequest.Description" },
      { path: "state", member: "CreateLifecyclePolicyRequest.State" },
      { path: "policyDetails.policyType", member: "PolicyDetails.PolicyType" },
      { path: "policyDetails.resourceTypes[]", member: "PolicyDetails.ResourceTypes" },
      { path: "policyDetails.schedules[].name", member: "Schedule.Name" },
      {
        path: "policyDetails.schedules[].createRule.intervalUnit",
        member: "CreateRule.IntervalUnit",
      },
      { path: "policyDetails.schedules[].createRule.times", member: "CreateRule.Times" },
      {
        path: "policyDetails.schedules[].crossRegionCopyRules[].target",
        member: "CrossRegionCopyRule.Target",
      },
      {
        path: "policyDetails.schedules[].crossRegionCopyRules[].retainRule.intervalUnit",
        member: "CrossRegionCopyRetainRule.IntervalUnit",
      },
    ],
    tags: [
      { path: "tags", form: "map", member: "CreateLifecyclePolicyRequest.Tags" },
      { path: "policyDetails.targetTags", form: "map", member: "PolicyDetails.TargetTags" },
      { path: "policyDetails.schedules[].tagsToAdd", form: "map", member: "Schedule.TagsToAdd" },
    ],
  },
  "aws:ebs/volume:Volume": {
    service: "ec2",
    fields: [{ path: "type", member: "CreateVolumeRequest.VolumeType" }],
    tags: [ec2Tags()],
  },
  "aws:ec2/eip:Eip": {
    service: "ec2",
    fields: [{ path: "domain", member: "AllocateAddressRequest.Domain" }],
    tags: [ec2Tags()],
  },
  "aws:ec2/internetGateway:InternetGateway": { service: "ec2", fields: [], tags: [ec2Tags()] },
  "aws:ec2/launchTemplate:LaunchTemplate": {
    service: "ec2",
    name: { member: "CreateLaunchTemplateRequest.LaunchTemplateName" },
    // instanceType is left to preflight (DescribeInstanceTypeOfferings): the enum in an older model
    // lacks newer types.
    fields: [
      { path: "description", member: "CreateLaunchTemplateRequest.VersionDescription" },
      {
        path: "metadataOptions.httpTokens",
        member: "LaunchTemplateInstanceMetadataOptionsRequest.HttpTokens",
      },
      {
        path: "metadataOptions.httpEndpoint",
        member: "LaunchTemplateInstanceMetadataOptionsRequest.HttpEndpoint",
      },
      {
        path: "metadataOptions.instanceMetadataTags",
        member: "LaunchTemplateInstanceMetadataOptionsRequest.InstanceMetadataTags",
      },
      {
        path: "blockDeviceMappings[].ebs.volumeType",
        member: "LaunchTemplateEbsBlockDeviceRequest.VolumeType",
      },
      {
        path: "tagSpecifications[].resourceType",
        member: "LaunchTemplateTagSpecificationRequest.ResourceType",
      },
    ],
    tags: [ec2Tags(), ec2Tags("tagSpecifications[].tags")],
  },
  "aws:ec2/natGateway:NatGateway": {
    service: "ec2",
    fields: [{ path: "connectivityType", member: "CreateNatGatewayRequest.ConnectivityType" }],
    tags: [ec2Tags()],
  },
  "aws:ec2/routeTable:RouteTable": { service: "ec2", fields: [], tags: [ec2Tags()] },
  "aws:ec2/routeTableAssociation:RouteTableAssociation": { service: "ec2", fields: [] },
  "aws:ec2/securityGroup:SecurityGroup": {
    service: "ec2",
    name: {
      member: "CreateSecurityGroupRequest.GroupName",
      documented: {
        quote: `Up to 255 characters in length. Cannot start with <code>sg-</code>.</p> <p>Constraints for EC2-Classic: ASCII characters</p> <p>Constraints for EC2-VPC: ${EC2_ALLOWED}`,
        max: 255,
        pattern: EC2_CHARS,
        forbiddenPrefixes: ["sg-"],
      },
    },
    fields: [
      {
        path: "description",
        member: "CreateSecurityGroupRequest.Description",
        documented: EC2_GROUP_DESCRIPTION,
      },
      {
        path: "ingress[].description",
        member: "IpRange.Description",
        documented: EC2_RULE_DESCRIPTION,
      },
      {
        path: "egress[].description",
        member: "IpRange.Description",
        documented: EC2_RULE_DESCRIPTION,
      },
    ],
    tags: [ec2Tags()],
  },
  "aws:ec2/subnet:Subnet": { service: "ec2", fields: [], tags: [ec2Tags()] },
  "aws:ec2/vpc:Vpc": { service: "ec2", fields: [], tags: [ec2Tags()] },
  "aws:ec2/vpcEndpoint:VpcEndpoint": {
    service: "ec2",
    fields: [{ path: "vpcEndpointType", member: "CreateVpcEndpointRequest.VpcEndpointType" }],
    tags: [ec2Tags()],
  },
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
    service: "ec2",
    fields: [
      { path: "description", member: "IpRange.Description", documented: EC2_RULE_DESCRIPTION },
    ],
    tags: [ec2Tags()],
  },
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
    service: "ec2",
    fields: [
      { path: "description", member: "IpRange.Description", documented: EC2_RULE_DESCRIPTION },
    ],
    tags: [ec2Tags()],
  },
  "aws:iam/instanceProfile:InstanceProfile": {
    service: "iam",
    name: { member: "CreateInstanceProfileRequest.InstanceProfileName" },
    fields: [],
    tags: [{ path: "tags", form: "map", member: "CreateInstanceProfileRequest.Tags" }],
  },
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
    service: "iam",
    fields: [
      { path: "url", member: "CreateOpenIDConnectProviderRequest.Url" },
      { path: "clientIdLists[]", member: "CreateOpenIDConnectProviderRequest.ClientIDList" },
    ],
    tags: [{ path: "tags", form: "map", member: "CreateOpenIDConnectProviderRequest.Tags" }],
  },
  "aws:iam/policy:Policy": {
    service: "iam",
    name: { member: "CreatePolicyRequest.PolicyName" },
    fields: [{ path: "description", member: "CreatePolicyRequest.Description" }],
    tags: [{ path: "tags", form: "map", member: "CreatePolicyRequest.Tags" }],
  },
  "aws:iam/role:Role": {
    service: "iam",
    name: { member: "CreateRoleRequest.RoleName" },
    fields: [{ path: "description", member: "CreateRoleRequest.Description" }],
    tags: [{ path: "tags", form: "map", member: "CreateRoleRequest.Tags" }],
  },
  "aws:iam/rolePolicy:RolePolicy": {
    service: "iam",
    name: { member: "PutRolePolicyRequest.PolicyName" },
    fields: [],
  },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { service: "iam", fields: [] },
  "aws:kms/alias:Alias": {
    service: "kms",
    name: { member: "CreateAliasRequest.AliasName" },
    fields: [],
  },
  "aws:kms/key:Key": {
    service: "kms",
    fields: [{ path: "description", member: "CreateKeyRequest.Description" }],
    tags: [{ path: "tags", form: "map", member: "CreateKeyRequest.Tags" }],
  },
  "aws:lambda/function:Function": {
    service: "lambda",
    name: { member: "CreateFunctionRequest.FunctionName" },
    // runtime is checked against the provider's enum and AWS's support dates in
    // test/reward-watcher.test.ts: an older model's enum lacks the newest runtimes.
    fields: [
      { path: "description", member: "CreateFunctionRequest.Description" },
      { path: "handler", member: "CreateFunctionRequest.Handler" },
      { path: "architectures[]", member: "CreateFunctionRequest.Architectures" },
      { path: "environment.variables{keys}", member: "Environment.Variables" },
    ],
    tags: [{ path: "tags", form: "map", member: "CreateFunctionRequest.Tags" }],
  },
  "aws:lambda/permission:Permission": {
    service: "lambda",
    fields: [
      { path: "action", member: "AddPermissionRequest.Action" },
      { path: "principal", member: "AddPermissionRequest.Principal" },
      { path: "function", member: "AddPermissionRequest.FunctionName" },
    ],
  },
  "aws:lb/listener:Listener": {
    service: "elbv2",
    fields: [{ path: "protocol", member: "CreateListenerInput.Protocol" }],
    tags: [{ path: "tags", form: "map", member: "CreateListenerInput.Tags" }],
  },
  "aws:lb/loadBalancer:LoadBalancer": {
    service: "elbv2",
    name: { member: "CreateLoadBalancerInput.Name", provider: ELBV2_NAME },
    namePrefix: { member: "CreateLoadBalancerInput.Name", provider: ELBV2_NAME_PREFIX },
    fields: [{ path: "loadBalancerType", member: "CreateLoadBalancerInput.Type" }],
    tags: [{ path: "tags", form: "map", member: "CreateLoadBalancerInput.Tags" }],
  },
  "aws:lb/targetGroup:TargetGroup": {
    service: "elbv2",
    name: { member: "CreateTargetGroupInput.Name", provider: ELBV2_TARGET_GROUP_NAME },
    namePrefix: { member: "CreateTargetGroupInput.Name", provider: ELBV2_NAME_PREFIX },
    fields: [
      { path: "protocol", member: "CreateTargetGroupInput.Protocol" },
      { path: "targetType", member: "CreateTargetGroupInput.TargetType" },
      { path: "healthCheck.path", member: "CreateTargetGroupInput.HealthCheckPath" },
      { path: "healthCheck.protocol", member: "CreateTargetGroupInput.HealthCheckProtocol" },
      { path: "healthCheck.port", member: "CreateTargetGroupInput.HealthCheckPort" },
    ],
    tags: [{ path: "tags", form: "map", member: "CreateTargetGroupInput.Tags" }],
  },
  "aws:route53/zone:Zone": {
    service: "route53",
    name: { member: "CreateHostedZoneRequest.Name" },
    fields: [{ path: "comment", member: "HostedZoneConfig.Comment" }],
    tags: [{ path: "tags", form: "map", member: "ChangeTagsForResourceRequest.AddTags" }],
  },
  "aws:sns/topic:Topic": {
    service: "sns",
    name: {
      member: "CreateTopicInput.Name",
      documented: {
        quote:
          "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.",
        min: 1,
        max: 256,
        pattern: "[A-Za-z0-9_-]+",
      },
    },
    fields: [],
    tags: [{ path: "tags", form: "map", member: "CreateTopicInput.Tags" }],
  },
  "aws:ssm/document:Document": {
    service: "ssm",
    name: { member: "CreateDocumentRequest.Name" },
    fields: [
      { path: "documentType", member: "CreateDocumentRequest.DocumentType" },
      { path: "documentFormat", member: "CreateDocumentRequest.DocumentFormat" },
      { path: "content", member: "CreateDocumentRequest.Content" },
    ],
    tags: [{ path: "tags", form: "map", member: "CreateDocumentRequest.Tags" }],
  },
  "aws:ssm/maintenanceWindow:MaintenanceWindow": {
    service: "ssm",
    name: { member: "CreateMaintenanceWindowRequest.Name" },
    fields: [
      { path: "description", member: "CreateMaintenanceWindowRequest.Description" },
      { path: "schedule", member: "CreateMaintenanceWindowRequest.Schedule" },
      { path: "scheduleTimezone", member: "CreateMaintenanceWindowRequest.ScheduleTimezone" },
    ],
    tags: [{ path: "tags", form: "map", member: "CreateMaintenanceWindowRequest.Tags" }],
  },
  "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget": {
    service: "ssm",
    name: { member: "RegisterTargetWithMaintenanceWindowRequest.Name" },
    fields: [
      { path: "description", member: "RegisterTargetWithMaintenanceWindowRequest.Description" },
      { path: "resourceType", member: "RegisterTargetWithMaintenanceWindowRequest.ResourceType" },
      { path: "targets[].key", member: "Target.Key" },
      { path: "targets[].values[]", member: "Target.Values" },
    ],
  },
  "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask": {
    service: "ssm",
    name: { member: "RegisterTaskWithMaintenanceWindowRequest.Name" },
    fields: [
      { path: "description", member: "RegisterTaskWithMaintenanceWindowRequest.Description" },
      { path: "maxConcurrency", member: "RegisterTaskWithMaintenanceWindowRequest.MaxConcurrency" },
      { path: "maxErrors", member: "RegisterTaskWithMaintenanceWindowRequest.MaxErrors" },
      { path: "cutoffBehavior", member: "RegisterTaskWithMaintenanceWindowRequest.CutoffBehavior" },
      { path: "taskType", member: "RegisterTaskWithMaintenanceWindowRequest.TaskType" },
      { path: "taskArn", member: "RegisterTaskWithMaintenanceWindowRequest.TaskArn" },
      { path: "targets[].key", member: "Target.Key" },
      { path: "targets[].values[]", member: "Target.Values" },
      {
        path: "taskInvocationParameters.runCommandParameters.comment",
        member: "MaintenanceWindowRunCommandParameters.Comment",
      },
      {
        path: "taskInvocationParameters.runCommandParameters.documentVersion",
        member: "MaintenanceWindowRunCommandParameters.DocumentVersion",
      },
    ],
  },
};

/** Types that make no AWS API call of their own (providers, components, local commands). */
export function isAwsResource(r: RecordedResource): boolean {
  return r.custom && r.type.startsWith("aws:");
}

export interface Finding {
  stack: string;
  type: string;
  /** The logical name. */
  resource: string;
  /** Input path with concrete indexes/keys, or `name (auto-named)`. */
  path: string;
  value: string;
  problems: string[];
  /** Which model member or provider rule says so. */
  source: string;
}

/** Every string at `spec` in `inputs`, with the concrete path it was found at. */
export function valuesAt(inputs: unknown, spec: string): [string, unknown][] {
  let cur: [string, unknown][] = [["", inputs]];
  for (const seg of spec.split(".")) {
    const m = /^([^[{]+)(\[\]|\{\}|\{keys\})?$/.exec(seg);
    if (!m) throw new Error(`bad input path segment ${seg} in ${spec}`);
    const [, key, op] = m;
    const next: [string, unknown][] = [];
    for (const [p, v] of cur) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) continue;
      const x = (v as Record<string, unknown>)[key];
      const at = p ? `${p}.${key}` : key;
      if (x === undefined || x === null) continue;
      if (op === "[]") {
        if (Array.isArray(x)) x.forEach((e, i) => next.push([`${at}[${i}]`, e]));
      } else if (op === "{}" || op === "{keys}") {
        if (typeof x === "object" && !Array.isArray(x)) {
          for (const [k, e] of Object.entries(x as Record<string, unknown>)) {
            next.push(op === "{}" ? [`${at}.${k}`, e] : [`${at}{${k}}`, k]);
          }
        }
      } else {
        next.push([at, x]);
      }
    }
    cur = next;
  }
  return cur;
}

function documentedConstraint(
  models: BotocoreModels,
  service: string,
  member: string,
  d: Documented,
): StringConstraint {
  const [structure, name] = member.split(".");
  const doc = models.service(service).member(structure, name).documentation;
  if (!doc.includes(d.quote)) {
    throw new Error(
      `${service} ${member}: the model's documentation no longer says "${d.quote}"; review the documented constraint in lib/checks/api-models.ts`,
    );
  }
  return {
    min: d.min,
    max: d.max,
    pattern: d.pattern,
    forbiddenPrefixes: d.forbiddenPrefixes,
    source: `${service} ${member} (documented)`,
  };
}

/** The constraints one rule imposes: the model's, the documented ones, the provider's. */
export function constraintsOf(
  models: BotocoreModels,
  service: string,
  rule: Omit<FieldRule, "path">,
  mapKey = false,
): StringConstraint[] {
  const model = models.service(service);
  const [structure, name] = rule.member.split(".");
  const shapeName = model.member(structure, name).shape;
  const out: StringConstraint[] = [];
  const shape = model.shape(shapeName);
  if (shape.type === "map" && shape.key && shape.value) {
    const s = mapKey ? shape.key.shape : shape.value.shape;
    out.push(model.stringConstraint(s, `${rule.member} ${mapKey ? "key" : "value"}`));
  } else {
    out.push(model.stringConstraint(shapeName, rule.member));
  }
  if (rule.documented)
    out.push(documentedConstraint(models, service, rule.member, rule.documented));
  if (rule.provider) {
    const p = rule.provider;
    out.push({
      max: p.max,
      pattern: p.noEdgeHyphen ? `(?!-)(?:${p.pattern ?? ".*"})(?<!-)` : p.pattern,
      forbiddenPrefixes: p.forbiddenPrefixes,
      source: p.source,
    });
  }
  return out;
}

function tagConstraints(
  models: BotocoreModels,
  service: string,
  rule: TagRule,
): { key: StringConstraint[]; value: StringConstraint[] } {
  const [structure, name] = rule.member.split(".");
  const t = models.service(service).tagConstraints(structure, name);
  const key = [t.key];
  const value = [t.value];
  if (rule.documented) {
    // The documentation sits on the tag structure's members (EC2: Tag.Key, Tag.Value).
    key.push(
      documentedConstraint(
        models,
        service,
        `${t.tagStructure}.${t.keyMember}`,
        rule.documented.key,
      ),
    );
    value.push(
      documentedConstraint(
        models,
        service,
        `${t.tagStructure}.${t.valueMember}`,
        rule.documented.value,
      ),
    );
  }
  return { key, value };
}

function check(
  out: Finding[],
  base: Omit<Finding, "path" | "value" | "problems" | "source">,
  at: string,
  value: unknown,
  constraints: StringConstraint[],
): void {
  // Secrets are redacted in the evaluation and unknowns are not strings: nothing to check.
  if (typeof value !== "string" || value === "[secret]") return;
  for (const c of constraints) {
    const problems = violations(value, c);
    if (problems.length > 0) out.push({ ...base, path: at, value, problems, source: c.source });
  }
}

/** Checks every mapped input of every AWS resource of one evaluated stack. */
export function checkEvaluation(e: Evaluation, models: BotocoreModels): Finding[] {
  const out: Finding[] = [];
  for (const r of e.resources.filter(isAwsResource)) {
    const base = { stack: e.stack, type: r.type, resource: r.name };
    const rule = MAPPING[r.type];
    if (!rule) {
      out.push({
        ...base,
        path: "(type)",
        value: r.type,
        problems: ["no API-model mapping for this resource type: add it to MAPPING"],
        source: "lib/checks/api-models.ts",
      });
      continue;
    }
    if (rule.name) {
      const cs = constraintsOf(models, rule.service, rule.name);
      if (typeof r.inputs.name === "string") {
        check(out, base, "name", r.inputs.name, cs);
      } else if (r.inputs.namePrefix === undefined) {
        check(out, base, "name (auto-named)", `${r.name}${AUTONAME_SUFFIX}`, cs);
      }
    }
    if (rule.namePrefix && typeof r.inputs.namePrefix === "string") {
      check(
        out,
        base,
        "namePrefix",
        r.inputs.namePrefix,
        constraintsOf(models, rule.service, rule.namePrefix),
      );
    }
    for (const f of rule.fields) {
      const mapKey = f.path.endsWith("{keys}");
      const cs = constraintsOf(models, rule.service, f, mapKey);
      for (const [at, v] of valuesAt(r.inputs, f.path)) check(out, base, at, v, cs);
    }
    for (const t of rule.tags ?? []) {
      const cs = tagConstraints(models, rule.service, t);
      if (t.form === "map") {
        for (const [at, map] of valuesAt(r.inputs, t.path)) {
          if (typeof map !== "object" || map === null || Array.isArray(map)) continue;
          for (const [k, v] of Object.entries(map as Record<string, unknown>)) {
            check(out, base, `${at}{${k}}`, k, cs.key);
            check(out, base, `${at}.${k}`, v, cs.value);
          }
        }
      } else {
        for (const [at, tag] of valuesAt(r.inputs, t.path)) {
          const o = tag as { key?: unknown; value?: unknown };
          check(out, base, `${at}.key`, o.key, cs.key);
          check(out, base, `${at}.value`, o.value, cs.value);
        }
      }
    }
  }
  return out;
}

/** The @pulumi/aws typings of a resource type's Args interface. */
function argsOf(type: string, awsPackageDir: string): string | undefined {
  const m = /^aws:([a-zA-Z0-9]+)\/([a-zA-Z0-9]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m) return undefined;
  const file = path.join(awsPackageDir, m[1], `${m[2]}.d.ts`);
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, "utf8");
  const start = text.indexOf(`export interface ${m[3]}Args {`);
  if (start < 0) return undefined;
  return text.slice(start, text.indexOf("\n}", start));
}

/**
 * Whether @pulumi/aws gives the type a `name` input, which pulumi-aws auto-names when the program
 * leaves it out (provider/autonaming.go: every resource whose schema has an optional or required
 * `name`).
 */
export function hasNameInput(type: string, awsPackageDir: string): boolean {
  const args = argsOf(type, awsPackageDir);
  return args !== undefined && /\n {4}name\??: /.test(args);
}

export function formatFinding(f: Finding): string {
  const v = f.value.length > 80 ? `${f.value.slice(0, 77)}...` : f.value;
  return `${f.stack}: ${f.type} ${f.resource} ${f.path} = ${JSON.stringify(v)}: ${f.problems.join("; ")} [${f.source}]`;
}
