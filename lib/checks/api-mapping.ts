// The reviewed mapping of the API-model check (lib/checks/api-models.ts): for each Pulumi resource
// type the plan registers, which of its inputs become which member of the service's API model,
// plus the constraints the model states only in prose and the provider's own limits. A new
// resource type in the plan needs a row here (the check reports it until then).

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
  /**
   * The input that carries the resource's name, when it is not `name` (an S3 bucket's is
   * `bucket`, its prefix `bucketPrefix`).
   */
  nameInput?: { name: string; prefix: string; autoNameLowercase?: boolean };
  /** Where `name` lands; checked when set, and as the auto-generated name when it is not. */
  name?: Omit<FieldRule, "path">;
  namePrefix?: Omit<FieldRule, "path">;
  fields: FieldRule[];
  tags?: TagRule[];
}

// terraform-provider-aws internal/service/s3/bucket.go validBucketName: outside us-east-1 a bucket
// name is 3 to 63 characters of [0-9a-z-.]; the S3 model's BucketName shape carries no constraint.
// pulumi-aws auto-names a bucket from its logical name, lowercased, within 63 characters
// (provider/resources.go, aws_s3_bucket: tfbridge.AutoNameTransform("bucket", 63, strings.ToLower)),
// so an over-long logical name fails at preview.
export const S3_BUCKET_NAME: ProviderLimit = {
  max: 63,
  pattern: "[0-9a-z.-]{3,}",
  source: "terraform-provider-aws internal/service/s3/bucket.go validBucketName",
};

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

/**
 * A list of metric data queries (metric math) at `at`: each query's id and expression, and its
 * metric's namespace, name, dimensions and statistic.
 */
function metricQueries(at: string, query: string, stat: string): FieldRule[] {
  return [
    { path: `${at}.id`, member: `${query}.Id` },
    { path: `${at}.expression`, member: `${query}.Expression` },
    { path: `${at}.label`, member: `${query}.Label` },
    { path: `${at}.metricStat.stat`, member: `${stat}.Stat` },
    { path: `${at}.metricStat.metric.namespace`, member: "Metric.Namespace" },
    { path: `${at}.metricStat.metric.metricName`, member: "Metric.MetricName" },
    { path: `${at}.metricStat.metric.dimensions[].name`, member: "MetricDimension.Name" },
    { path: `${at}.metricStat.metric.dimensions[].value`, member: "MetricDimension.Value" },
  ];
}

/** Pulumi resource type -> which model members its inputs become. Reviewed entry by entry. */
export const MAPPING: Record<string, TypeRule> = {
  "aws:amp/workspace:Workspace": {
    service: "amp",
    fields: [{ path: "alias", member: "CreateWorkspaceRequest.alias" }],
    tags: [{ path: "tags", form: "map", member: "CreateWorkspaceRequest.tags" }],
  },
  "aws:autoscaling/group:Group": {
    service: "autoscaling",
    name: { member: "CreateAutoScalingGroupType.AutoScalingGroupName" },
    fields: [
      { path: "healthCheckType", member: "CreateAutoScalingGroupType.HealthCheckType" },
      { path: "enabledMetrics[]", member: "EnableMetricsCollectionQuery.Metrics" },
      { path: "launchTemplate.version", member: "LaunchTemplateSpecification.Version" },
      { path: "instanceRefresh.strategy", member: "StartInstanceRefreshType.Strategy" },
      { path: "warmPool.poolState", member: "PutWarmPoolType.PoolState" },
      {
        path: "mixedInstancesPolicy.instancesDistribution.spotAllocationStrategy",
        member: "InstancesDistribution.SpotAllocationStrategy",
      },
      {
        path: "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version",
        member: "LaunchTemplateSpecification.Version",
      },
      {
        path: "mixedInstancesPolicy.launchTemplate.overrides[].instanceType",
        member: "LaunchTemplateOverrides.InstanceType",
      },
      {
        path: "mixedInstancesPolicy.launchTemplate.overrides[].weightedCapacity",
        member: "LaunchTemplateOverrides.WeightedCapacity",
        // The range is in the member's prose; the config schema enforces it as a number
        // (lib/config/sizing-schema.ts refineSpot), this keeps the quote honest.
        documented: { quote: "Value must be in the range of 1–999", pattern: "[1-9][0-9]{0,2}" },
      },
    ],
    tags: [{ path: "tags[]", form: "list", member: "CreateAutoScalingGroupType.Tags" }],
  },
  "aws:autoscaling/lifecycleHook:LifecycleHook": {
    service: "autoscaling",
    name: { member: "PutLifecycleHookType.LifecycleHookName" },
    fields: [
      { path: "lifecycleTransition", member: "PutLifecycleHookType.LifecycleTransition" },
      { path: "defaultResult", member: "PutLifecycleHookType.DefaultResult" },
    ],
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
      ...metricQueries(
        "targetTrackingConfiguration.customizedMetricSpecification.metrics[]",
        "TargetTrackingMetricDataQuery",
        "TargetTrackingMetricStat",
      ),
      {
        path: "predictiveScalingConfiguration.mode",
        member: "PredictiveScalingConfiguration.Mode",
      },
      {
        path: "predictiveScalingConfiguration.maxCapacityBreachBehavior",
        member: "PredictiveScalingConfiguration.MaxCapacityBreachBehavior",
      },
      ...(["Load", "Scaling", "Capacity"] as const).flatMap((m) =>
        metricQueries(
          `predictiveScalingConfiguration.metricSpecification.customized${m}MetricSpecification.metricDataQueries[]`,
          "MetricDataQuery",
          "MetricStat",
        ),
      ),
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
  "aws:s3/bucket:Bucket": {
    service: "s3",
    nameInput: { name: "bucket", prefix: "bucketPrefix", autoNameLowercase: true },
    name: { member: "CreateBucketRequest.Bucket", provider: S3_BUCKET_NAME },
    fields: [],
    tags: [{ path: "tags", form: "map", member: "Tagging.TagSet" }],
  },
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
    service: "s3",
    fields: [
      { path: "rules[].id", member: "LifecycleRule.ID" },
      { path: "rules[].status", member: "LifecycleRule.Status" },
      { path: "rules[].filter.prefix", member: "LifecycleRuleFilter.Prefix" },
    ],
  },
  "aws:s3/bucketObjectv2:BucketObjectv2": {
    service: "s3",
    fields: [
      { path: "key", member: "PutObjectRequest.Key" },
      { path: "contentType", member: "PutObjectRequest.ContentType" },
      { path: "serverSideEncryption", member: "PutObjectRequest.ServerSideEncryption" },
    ],
    tags: [{ path: "tags", form: "map", member: "Tagging.TagSet" }],
  },
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
    service: "s3",
    fields: [{ path: "rule.objectOwnership", member: "OwnershipControlsRule.ObjectOwnership" }],
  },
  "aws:s3/bucketPolicy:BucketPolicy": {
    service: "s3",
    fields: [{ path: "policy", member: "PutBucketPolicyRequest.Policy" }],
  },
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": { service: "s3", fields: [] },
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
    service: "s3",
    fields: [
      {
        path: "rules[].applyServerSideEncryptionByDefault.sseAlgorithm",
        member: "ServerSideEncryptionByDefault.SSEAlgorithm",
      },
    ],
  },
  "aws:s3/bucketVersioning:BucketVersioning": {
    service: "s3",
    fields: [{ path: "versioningConfiguration.status", member: "VersioningConfiguration.Status" }],
  },
  "aws:sns/topicPolicy:TopicPolicy": {
    service: "sns",
    fields: [{ path: "policy", member: "SetTopicAttributesInput.AttributeValue" }],
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
