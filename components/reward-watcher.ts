import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ROLE_METRIC_NAMESPACES } from "../lib/runtime-contract";
import { bundleWatcher, WATCHER_RUNTIME } from "../lib/watcher/bundle";
import { EVENT_RULE_NAME_MAX, fittedName } from "../lib/names";
import { WatcherConfig, watcherEnvironment } from "../lib/watcher/env";
import { UnitScope } from "./unit-scope";
import {
  denyStatementsFor,
  putMetricDataStatement,
  secretReadPolicy,
  type PolicyDocument,
} from "../lib/iam/policies";
import type { SecretParameter } from "../lib/iam/secrets";

export interface RewardWatcherArgs extends UnitScope {
  /** Everything the handler reads from its environment except the unit and namespace. */
  watcher: Omit<WatcherConfig, "unit" | "namespace">;
  /** Minutes between runs. */
  scheduleMinutes: number;
  /** The unit's secret parameters (lib/iam/secrets.ts): denied except the RPC URL. */
  secrets: SecretParameter[];
}

/**
 * The function's grants: read and decrypt its RPC URL (and nothing else under the unit key),
 * publish to its metric namespace, write its own log group; and explicit denies on every other
 * secret of the unit, and on key material and shared secrets of every unit.
 */
export function watcherPolicy(a: {
  partition: string;
  region: string;
  accountId: string;
  keyArn: string;
  rpcUrlParameter: string;
  /** The unit's secret parameters: every one but the RPC URL is denied. */
  secrets: SecretParameter[];
  logGroupArn: string;
}): PolicyDocument {
  const read = secretReadPolicy({
    partition: a.partition,
    region: a.region,
    accountId: a.accountId,
    keyArn: a.keyArn,
    names: [a.rpcUrlParameter],
    sid: "RpcUrl",
  });
  return {
    Version: "2012-10-17",
    Statement: [
      ...read.Statement,
      putMetricDataStatement(ROLE_METRIC_NAMESPACES["reward-watcher"]),
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${a.logGroupArn}:*`,
      },
      ...denyStatementsFor({
        partition: a.partition,
        accountId: a.accountId,
        region: a.region,
        kind: "reward-watcher",
        home: false,
        secrets: a.secrets,
      }),
    ],
  };
}

/**
 * The reward watcher Lambda: bundled from scripts/reward-watcher-lambda.ts at deploy time, run by
 * an EventBridge schedule, reading its RPC URL from an SSM SecureString the operator puts there
 * (docs/monitoring.md), publishing the reward metrics the unit's alarms watch.
 */
export class RewardWatcher extends pulumi.ComponentResource {
  public readonly function: aws.lambda.Function;
  public readonly role: aws.iam.Role;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly schedule: aws.cloudwatch.EventRule;

  constructor(name: string, args: RewardWatcherArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:watcher:RewardWatcher", name, {}, opts);
    const child = { parent: this };
    const tagged = (n: string) => ({ ...args.tags, Name: n });

    // Named up front so the role's policy can name the group before the function exists.
    const functionName = `${args.unit}-reward-watcher`;
    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: `/aws/lambda/${functionName}`,
        retentionInDays: 90,
        kmsKeyId: args.keyArn,
        tags: tagged(`${name}-logs`),
      },
      child,
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        description: `Reward watcher of ${args.unit}`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "lambda.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
          ],
        }),
        tags: tagged(`${name}-role`),
      },
      child,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([args.partition, args.accountId, args.keyArn, this.logGroup.arn])
          .apply(([partition, accountId, keyArn, logGroupArn]) =>
            JSON.stringify(
              watcherPolicy({
                partition,
                region: args.region,
                accountId,
                keyArn,
                rpcUrlParameter: args.watcher.rpcUrlParameter,
                secrets: args.secrets,
                logGroupArn,
              }),
            ),
          ),
      },
      child,
    );

    const bundle = bundleWatcher();
    this.function = new aws.lambda.Function(
      `${name}-fn`,
      {
        name: functionName,
        description: "Reads reward, round and gas-balance state from chain; publishes metrics",
        runtime: WATCHER_RUNTIME,
        architectures: ["arm64"],
        handler: "index.handler",
        code: new pulumi.asset.AssetArchive({
          "index.js": new pulumi.asset.StringAsset(bundle.code),
        }),
        role: this.role.arn,
        // A run makes a few dozen RPC calls with 15 s timeouts; a minute leaves room for retries.
        timeout: 60,
        memorySize: 256,
        environment: {
          variables: watcherEnvironment({
            ...args.watcher,
            unit: args.unit,
            namespace: ROLE_METRIC_NAMESPACES["reward-watcher"],
          }),
        },
        loggingConfig: { logFormat: "Text", logGroup: this.logGroup.name },
        // Which bundle is deployed, checkable against `npx tsx -e` of lib/watcher/bundle.ts.
        tags: { ...tagged(`${name}-fn`), "livepeer-fleet:bundle-sha256": bundle.sha256 },
      },
      { ...child, dependsOn: [rolePolicy, this.logGroup] },
    );

    this.schedule = new aws.cloudwatch.EventRule(
      `${name}-schedule`,
      {
        // Auto-named unless that would pass EventBridge's 64 characters (long fleet and region).
        name: fittedName(`${name}-schedule`, EVENT_RULE_NAME_MAX),
        description: `Runs the reward watcher of ${args.unit}`,
        scheduleExpression: rate(args.scheduleMinutes),
        tags: tagged(`${name}-schedule`),
      },
      child,
    );
    new aws.lambda.Permission(
      `${name}-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: this.function.name,
        principal: "events.amazonaws.com",
        // Only this schedule may invoke the function.
        sourceArn: this.schedule.arn,
      },
      child,
    );
    new aws.cloudwatch.EventTarget(
      `${name}-target`,
      { rule: this.schedule.name, arn: this.function.arn },
      child,
    );

    this.registerOutputs({
      functionName: this.function.name,
      logGroupName: this.logGroup.name,
    });
  }
}

/** EventBridge rate expressions use the singular for 1 ("rate(1 minute)"). */
export function rate(minutes: number): string {
  return `rate(${minutes} ${minutes === 1 ? "minute" : "minutes"})`;
}
