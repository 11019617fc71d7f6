// Guardrails of a region unit's maintenance and keys, under the mock monitor: DLM may tag only the
// snapshots it creates (and re-tag its own), the maintenance log group takes events only from this
// account, a scheduled deletion or disabling of the unit key is announced on a topic that does not
// depend on that key, and the key itself stays in AWS if Pulumi ever deletes it. Role and topic
// policies are decided by an IAM evaluation engine (iam-simulate); the event pattern by a
// stand-in for EventBridge's matcher, on the events KMS's documentation shows.
import { expect } from "chai";
import { runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import {
  createValidatedPolicy,
  validateIdentityPolicy,
  validateResourcePolicy,
} from "@cloud-copilot/iam-policy";
import { evaluate, one, ofType, policyOf } from "./helpers/program";
import { KEY_CHANGE_EVENTS } from "../components/alarms";

const STACK = "prod-us-east-1";
const ACCOUNT = "123456789012";
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${STACK}-keys-key-key-id`;

function validated(doc: unknown, validate: unknown, name: string) {
  const v = createValidatedPolicy(doc, validate as never, { name });
  if (v.errors.length > 0) throw new Error(`${name}: ${JSON.stringify(v.errors)}`);
  return v;
}

/** AWS's policy evaluation for one request (identity policy, or a resource policy alone). */
function decide(a: {
  principal: string;
  action: string;
  resource: string;
  context?: Record<string, string>;
  identity?: unknown;
  resourcePolicy?: unknown;
}): string {
  return runUnsafeSimulation(
    {
      request: {
        principal: a.principal,
        action: a.action,
        resource: { resource: a.resource, accountId: ACCOUNT },
        contextVariables: a.context ?? {},
      },
      identityPolicies: a.identity
        ? [{ name: "role", policy: validated(a.identity, validateIdentityPolicy, "role") }]
        : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: a.resourcePolicy
        ? validated(a.resourcePolicy, validateResourcePolicy, "resource")
        : undefined,
    },
    {},
  );
}

/**
 * Stand-in for EventBridge's pattern matching, for the parts these patterns use: a list of
 * allowed values per field, nested objects, and an event array matching when any element does
 * (EventBridge User Guide, "Event patterns": "Matching values in arrays").
 */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(event) ? (event as unknown[]) : [event];
    return values.some((v) => pattern.includes(v));
  }
  if (typeof pattern === "object" && pattern !== null) {
    if (Array.isArray(event)) return event.some((e) => matches(pattern, e));
    if (typeof event !== "object" || event === null) return false;
    return Object.entries(pattern).every(([k, p]) =>
      matches(p, (event as Record<string, unknown>)[k]),
    );
  }
  return false;
}

/** A CloudTrail KMS management event as EventBridge delivers it (KMS Developer Guide example). */
function kmsEvent(eventName: string, keyArn: string): Record<string, unknown> {
  return {
    version: "0",
    source: "aws.kms",
    "detail-type": "AWS API Call via CloudTrail",
    account: ACCOUNT,
    region: "us-east-1",
    detail: {
      eventVersion: "1.08",
      userIdentity: { type: "IAMUser", arn: `arn:aws:iam::${ACCOUNT}:user/Alice` },
      eventSource: "kms.amazonaws.com",
      eventName,
      awsRegion: "us-east-1",
      // The caller may pass the bare key id: the pattern must not depend on it.
      requestParameters: { pendingWindowInDays: 20, keyId: keyArn.split("/").pop() },
      readOnly: false,
      resources: [{ accountId: ACCOUNT, type: "AWS::KMS::Key", ARN: keyArn }],
      eventType: "AwsApiCall",
    },
  };
}

describe("unit guardrails under the mock monitor", () => {
  const e = evaluate(STACK);

  describe("DLM may tag only snapshots it creates", () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/${STACK}-ops-snapshots-dlm-role`;
    const policy = policyOf(one(e, "aws:iam/rolePolicy:RolePolicy", "-ops-snapshots-dlm"));
    const snapshot = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0";
    const asDlm = (action: string, context: Record<string, string> = {}) =>
      decide({ principal: role, action, resource: snapshot, context, identity: policy });

    it("tags a snapshot while creating it", () => {
      expect(asDlm("ec2:CreateTags", { "ec2:CreateAction": "CreateSnapshot" })).to.equal("Allowed");
    });

    it("cannot tag someone else's snapshot, so cannot make it deletable", () => {
      const foreign = { "aws:ResourceTag/livepeer-fleet:unit": "another-unit" };
      expect(asDlm("ec2:CreateTags")).to.equal("ImplicitlyDenied");
      expect(asDlm("ec2:CreateTags", foreign)).to.equal("ImplicitlyDenied");
      expect(asDlm("ec2:DeleteSnapshot", foreign)).to.equal("ImplicitlyDenied");
      // Without a copy rule, tagging under CopySnapshot is not needed, so not allowed.
      expect(asDlm("ec2:CreateTags", { "ec2:CreateAction": "CopySnapshot" })).to.equal(
        "ImplicitlyDenied",
      );
    });

    it("re-tags and expires its own unit's snapshots", () => {
      const own = { "aws:ResourceTag/livepeer-fleet:unit": STACK };
      expect(asDlm("ec2:CreateTags", own)).to.equal("Allowed");
      expect(asDlm("ec2:DeleteSnapshot", own)).to.equal("Allowed");
    });

    it("tags its cross-region copies when a copy is configured", () => {
      const withCopy = evaluate(STACK, {
        "livepeer-fleet:snapshots": {
          crossRegionCopy: {
            region: "us-west-2",
            kmsKeyArn: `arn:aws:kms:us-west-2:${ACCOUNT}:key/recovery`,
          },
        },
      });
      const copyPolicy = policyOf(
        one(withCopy, "aws:iam/rolePolicy:RolePolicy", "-ops-snapshots-dlm"),
      );
      const copy = decide({
        principal: role,
        action: "ec2:CreateTags",
        resource: "arn:aws:ec2:us-west-2::snapshot/snap-0123456789abcdef1",
        context: { "ec2:CreateAction": "CopySnapshot" },
        identity: copyPolicy,
      });
      expect(copy).to.equal("Allowed");
    });
  });

  it("lets only this account's EventBridge write into the maintenance log group", () => {
    const doc = JSON.parse(
      String(
        one(e, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "-ops-events-delivery").inputs
          .policyDocument,
      ),
    ) as { Statement: Record<string, unknown>[] };
    expect(doc.Statement).to.have.length(1);
    expect(doc.Statement[0].Condition).to.deep.equal({
      StringEquals: { "aws:SourceAccount": ACCOUNT },
    });
  });

  describe("a scheduled deletion or disabling of the unit key is announced", () => {
    const rule = one(e, "aws:cloudwatch/eventRule:EventRule", "-ops-alarms-key-change-rule");
    const pattern = JSON.parse(String(rule.inputs.eventPattern)) as Record<string, unknown>;
    const topic = one(e, "aws:sns/topic:Topic", "-ops-alarms-key-change");

    it("matches CloudTrail's ScheduleKeyDeletion and DisableKey for the unit key only", () => {
      expect(KEY_CHANGE_EVENTS).to.deep.equal(["ScheduleKeyDeletion", "DisableKey"]);
      for (const name of KEY_CHANGE_EVENTS) {
        expect(matches(pattern, kmsEvent(name, KEY_ARN)), name).to.equal(true);
      }
      const otherKey = `arn:aws:kms:us-east-1:${ACCOUNT}:key/another`;
      expect(matches(pattern, kmsEvent("ScheduleKeyDeletion", otherKey))).to.equal(false);
      for (const harmless of ["EnableKey", "CancelKeyDeletion", "DescribeKey"]) {
        expect(matches(pattern, kmsEvent(harmless, KEY_ARN)), harmless).to.equal(false);
      }
    });

    it("sends it to a topic that does not need the unit key, which the rule alone may publish to", () => {
      // A key pending deletion or disabled cannot encrypt: this topic must not depend on it.
      expect(topic.inputs.kmsMasterKeyId).to.equal(undefined);
      const target = ofType(e, "aws:cloudwatch/eventTarget:EventTarget").find(
        (t) => t.inputs.rule === rule.inputs.name,
      );
      expect(target?.inputs.arn).to.equal(topic.outputs?.arn);
      const policy = policyOf(
        one(e, "aws:sns/topicPolicy:TopicPolicy", "-ops-alarms-key-change-policy"),
      );
      const publish = (sourceArn: string) =>
        decide({
          principal: "events.amazonaws.com",
          action: "sns:Publish",
          resource: String(topic.outputs?.arn),
          context: { "aws:SourceArn": sourceArn },
          resourcePolicy: policy,
        });
      expect(publish(String(rule.outputs?.arn))).to.equal("Allowed");
      expect(publish(`arn:aws:events:us-east-1:999999999999:rule/elsewhere`)).to.equal(
        "ImplicitlyDenied",
      );
    });
  });

  it("keeps the unit key in AWS if Pulumi deletes it (retainOnDelete), and protected", () => {
    const key = one(e, "aws:kms/key:Key", "-keys-key");
    expect(key.protect).to.equal(true);
    expect(key.retainOnDelete).to.equal(true);
  });
});
