// Snapshots (DLM), the restore path and the nightly restart schedule, as the real program
// registers them under the mock monitor.
import { expect } from "chai";
import { evaluate, one, ofType, policyOf, runProgram } from "./helpers/program";
import type { RecordedResource } from "../lib/plan/evaluate";

const STACK = "prod-us-east-1";
const KEY_ARN = `arn:aws:kms:us-east-1:123456789012:key/${STACK}-keys-key-key-id`;
const COPY_KEY = "arn:aws:kms:us-west-2:123456789012:key/0f1e2d3c-aaaa-bbbb-cccc-000000000000";

type Schedule = {
  name: string;
  createRule: Record<string, unknown>;
  retainRule: Record<string, unknown>;
  copyTags: boolean;
  tagsToAdd: Record<string, string>;
  crossRegionCopyRules?: Record<string, unknown>[];
};
const details = (p: RecordedResource) =>
  p.inputs.policyDetails as {
    policyType: string;
    resourceTypes: string[];
    targetTags: Record<string, string>;
    schedules: Schedule[];
  };
const statement = (r: RecordedResource, sid: string) => {
  const s = policyOf(r).Statement.find((x) => x.Sid === sid);
  if (!s) throw new Error(`no statement ${sid} in ${r.name}`);
  return s;
};

describe("snapshots: DLM policy under the mock monitor", () => {
  const e = evaluate(STACK);
  const policy = one(e, "aws:dlm/lifecyclePolicy:LifecyclePolicy", "-ops-snapshots-policy");
  const volume = one(e, "aws:ebs/volume:Volume", "-chain-data");
  const role = one(e, "aws:iam/role:Role", "-ops-snapshots-dlm-role");
  const rolePolicy = one(e, "aws:iam/rolePolicy:RolePolicy", "-ops-snapshots-dlm");

  it("targets exactly the volumes the chain data volume's tags select", () => {
    const d = details(policy);
    expect(d.policyType).to.equal("EBS_SNAPSHOT_MANAGEMENT");
    expect(d.resourceTypes).to.deep.equal(["VOLUME"]);
    expect(d.targetTags).to.deep.equal({
      "livepeer-fleet:unit": STACK,
      "livepeer-fleet:snapshot": "daily",
    });
    const volumeTags = volume.inputs.tags as Record<string, string>;
    for (const [k, v] of Object.entries(d.targetTags)) expect(volumeTags[k]).to.equal(v);
    expect(policy.inputs.state).to.equal("ENABLED");
  });

  it("snapshots daily at the maintenance hour and keeps the configured count", () => {
    const [s] = details(policy).schedules;
    // us-east-1 has a demand profile: the planner's quietest hour (a stack output) is the hour.
    const hour = Number(e.outputs.maintenanceHourUtc);
    expect(hour).to.be.within(0, 23);
    const times = `${String(hour).padStart(2, "0")}:00`;
    expect(s.createRule).to.deep.equal({ interval: 24, intervalUnit: "HOURS", times });
    expect(s.retainRule).to.deep.equal({ count: 7 });
    expect(s.copyTags).to.equal(true);
    expect(s.tagsToAdd["livepeer-fleet:unit"]).to.equal(STACK);
    expect(s.crossRegionCopyRules).to.equal(undefined);
  });

  it("encrypts: the volume (hence every snapshot) is under the unit key", () => {
    expect(volume.inputs.encrypted).to.equal(true);
    expect(volume.inputs.kmsKeyId).to.equal(KEY_ARN);
  });

  it("runs DLM under its own role, scoped to this unit's volumes, snapshots and key", () => {
    expect(policy.inputs.executionRoleArn).to.match(/ops-snapshots-dlm-role$/);
    const trust = policyOf(role, "assumeRolePolicy").Statement[0];
    expect(trust.Principal).to.deep.equal({ Service: "dlm.amazonaws.com" });
    const unitCondition = { StringEquals: { "aws:ResourceTag/livepeer-fleet:unit": STACK } };
    expect(statement(rolePolicy, "SnapshotThisUnitsVolumes").Condition).to.deep.equal(
      unitCondition,
    );
    expect(statement(rolePolicy, "ExpireThisUnitsSnapshots").Condition).to.deep.equal(
      unitCondition,
    );
    const allows = policyOf(rolePolicy).Statement.filter((s) => s.Effect === "Allow");
    const kms = allows.filter((s) => JSON.stringify(s.Action).includes("kms:"));
    for (const s of kms) expect(s.Resource, String(s.Sid)).to.equal(KEY_ARN);
    expect(JSON.stringify(policyOf(rolePolicy))).not.to.include("ec2:CopySnapshot");
    // Only Describe* (no resource-level permissions) may be allowed on "*".
    for (const s of allows.filter((x) => x.Resource === "*")) {
      for (const a of [s.Action].flat()) expect(String(a)).to.match(/^ec2:Describe/);
    }
    // DLM never reads a parameter: key material anywhere and this unit's secrets are denied.
    const deny = statement(rolePolicy, "NeverReadSecretParameters");
    expect(deny.Effect).to.equal("Deny");
    expect(deny.Resource).to.include.members([
      "arn:aws:ssm:*:123456789012:parameter/*/orchestrator/keystore",
      "arn:aws:ssm:*:123456789012:parameter/*/redeemer/keystore",
      "arn:aws:ssm:*:123456789012:parameter/*/orch-secret",
      `arn:aws:ssm:us-east-1:123456789012:parameter/livepeer-fleet/${STACK}/watcher/rpc-url`,
    ]);
  });
});

describe("snapshots with a cross-region copy, another hour and a restore snapshot (overrides)", () => {
  const e = evaluate(STACK, {
    "livepeer-fleet:maintenance": { hourUtc: 7 },
    "livepeer-fleet:snapshots": {
      retainCount: 14,
      crossRegionCopy: { region: "us-west-2", kmsKeyArn: COPY_KEY, retainDays: 30 },
    },
    "livepeer-fleet:chainNode": { dataVolume: { snapshotId: "snap-0123456789abcdef0" } },
  });
  const policy = one(e, "aws:dlm/lifecyclePolicy:LifecyclePolicy", "-ops-snapshots-policy");
  const rolePolicy = one(e, "aws:iam/rolePolicy:RolePolicy", "-ops-snapshots-dlm");

  it("copies each snapshot to the recovery region, encrypted with that region's key", () => {
    const [s] = details(policy).schedules;
    expect(s.createRule.times).to.equal("07:00");
    expect(s.retainRule).to.deep.equal({ count: 14 });
    expect(s.crossRegionCopyRules).to.deep.equal([
      {
        target: "us-west-2",
        encrypted: true,
        cmkArn: COPY_KEY,
        copyTags: true,
        retainRule: { interval: 30, intervalUnit: "DAYS" },
      },
    ]);
  });

  it("lets the DLM role copy and use the destination key through EC2 there, nothing more", () => {
    expect(statement(rolePolicy, "CopyToRecoveryRegion").Resource).to.include(
      "arn:aws:ec2:us-west-2::snapshot/*",
    );
    const use = statement(rolePolicy, "UseCopyKeyThroughEc2");
    expect(use.Resource).to.equal(COPY_KEY);
    expect(use.Condition).to.deep.equal({
      StringEquals: { "kms:ViaService": "ec2.us-west-2.amazonaws.com" },
    });
  });

  it("builds the chain data volume from the given snapshot, still protected", () => {
    const volume = one(e, "aws:ebs/volume:Volume", "-chain-data");
    expect(volume.inputs.snapshotId).to.equal("snap-0123456789abcdef0");
    expect(volume.protect).to.equal(true);
    expect(volume.inputs.kmsKeyId).to.match(/^arn:aws:kms:us-east-1:/);
  });

  it("opens the restart window at the same hour as the snapshot", () => {
    const w = one(e, "aws:ssm/maintenanceWindow:MaintenanceWindow", "-ops-restart-window");
    expect(w.inputs.schedule).to.equal("cron(0 7 ? * * *)");
  });
});

describe("nightly chain restart: SSM maintenance window under the mock monitor", () => {
  const e = evaluate(STACK);
  const window = one(e, "aws:ssm/maintenanceWindow:MaintenanceWindow", "-ops-restart-window");
  const task = one(e, "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "-ops-restart-task");
  const target = one(
    e,
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget",
    "-ops-restart-target",
  );
  const doc = one(e, "aws:ssm/document:Document", "-ops-restart-doc");

  it("cannot fire on deploy: it runs only as a maintenance window task, on the window's cron", () => {
    // An association without applyOnlyAtCronInterval runs on every create and update; there is
    // none, and any association added later must carry the flag.
    for (const a of ofType(e, "aws:ssm/association:Association")) {
      expect(a.inputs.applyOnlyAtCronInterval, a.name).to.equal(true);
    }
    expect(ofType(e, "aws:ssm/association:Association")).to.have.length(0);
    // Nothing else that executes at deploy time touches the chain node: the only commands are the
    // deploy gates (one per rolled group), local reads of the instance refresh and target health
    // (components/deploy-gate.ts).
    const commands = e.resources.filter((r) => r.type.startsWith("command:"));
    expect(commands).to.not.be.empty;
    for (const c of commands) {
      expect(c.type, c.name).to.equal("command:local:Command");
      expect(String(c.inputs.create), c.name)
        .to.match(/deploy-gate/)
        .and.not.match(/systemctl|ssm/);
    }
    expect(window.inputs).to.include({
      schedule: `cron(0 ${Number(e.outputs.maintenanceHourUtc)} ? * * *)`,
      scheduleTimezone: "UTC",
      enabled: true,
      allowUnassociatedTargets: false,
    });
    // A one-off "at(...)" schedule or a start date would run outside the nightly cadence.
    expect(window.inputs.startDate).to.equal(undefined);
    expect(Number(window.inputs.cutoff)).to.be.lessThan(Number(window.inputs.duration));
  });

  it("targets the unit's chain node by tags, so a replaced instance is still restarted", () => {
    expect(target.inputs.resourceType).to.equal("INSTANCE");
    expect(target.inputs.targets).to.deep.equal([
      { key: "tag:livepeer-fleet:unit", values: [STACK] },
      { key: "tag:livepeer-fleet:role", values: ["chain-node"] },
    ]);
    const lt = one(e, "aws:ec2/launchTemplate:LaunchTemplate", "-chain-lt");
    const instanceTags = (lt.inputs.tagSpecifications as { tags: Record<string, string> }[])[0]
      .tags;
    expect(instanceTags).to.include({
      "livepeer-fleet:unit": STACK,
      "livepeer-fleet:role": "chain-node",
    });
  });

  it("runs the restart document, failing the task on any error", () => {
    expect(task.inputs).to.include({
      taskType: "RUN_COMMAND",
      taskArn: doc.inputs.name ?? "prod-us-east-1-ops-restart-doc",
      maxConcurrency: "1",
      maxErrors: "0",
    });
    const content = JSON.parse(String(doc.inputs.content)) as {
      schemaVersion: string;
      mainSteps: { action: string; inputs: { runCommand: string[]; timeoutSeconds: string } }[];
    };
    expect(doc.inputs.documentType).to.equal("Command");
    expect(content.mainSteps[0].action).to.equal("aws:runShellScript");
    const script = content.mainSteps[0].inputs.runCommand.join("\n");
    expect(script).to.include("CHAIN_UNIT='chain-client.service'");
    expect(script).to.include("HEALTH_URL='http://127.0.0.1:8937/healthz'");
    expect(script).to.include("SYNC_TIMEOUT_SECONDS='1200'");
    expect(Number(content.mainSteps[0].inputs.timeoutSeconds)).to.equal(1200 + 900);
  });

  it("records the window's outcome with EventBridge rules into an encrypted log group", () => {
    const failed = one(e, "aws:cloudwatch/eventRule:EventRule", "-ops-events-chain-restart-failed");
    expect(JSON.parse(String(failed.inputs.eventPattern))).to.deep.equal({
      source: ["aws.ssm"],
      "detail-type": ["Maintenance Window Execution State-change Notification"],
      detail: {
        "window-id": [`${STACK}-ops-restart-window-id`],
        status: ["FAILED", "TIMED_OUT", "CANCELLED"],
      },
    });
    const logs = one(e, "aws:cloudwatch/logGroup:LogGroup", "-ops-events-logs");
    expect(logs.inputs.kmsKeyId).to.equal(KEY_ARN);
    const targets = ofType(e, "aws:cloudwatch/eventTarget:EventTarget").filter((t) =>
      t.name.includes("-ops-events-"),
    );
    expect(targets).to.have.length(3);
    for (const t of targets) expect(String(t.inputs.arn)).to.include(":log-group:/aws/events/");
  });
});

describe("operations config errors (the program refuses before registering anything)", () => {
  const fails = (overrides: Record<string, unknown>) => {
    const o = runProgram(STACK, overrides);
    expect(o.code, o.stderr).to.equal(2);
    return o.stderr;
  };

  it("rejects an hour outside 0-23 and a copy to the unit's own region, naming the key", () => {
    expect(fails({ "livepeer-fleet:maintenance": { hourUtc: 24 } })).to.include(
      "livepeer-fleet:maintenance.hourUtc: expected an hour 0-23",
    );
    const same = fails({
      "livepeer-fleet:snapshots": {
        crossRegionCopy: { region: "us-east-1", kmsKeyArn: KEY_ARN },
      },
    });
    expect(same).to.include("livepeer-fleet:snapshots.crossRegionCopy.region");
  });

  it("rejects a copy key from another region and a bad snapshot id", () => {
    const err = fails({
      "livepeer-fleet:snapshots": { crossRegionCopy: { region: "eu-west-1", kmsKeyArn: COPY_KEY } },
      "livepeer-fleet:chainNode": { dataVolume: { snapshotId: "vol-123" } },
    });
    expect(err).to.include("crossRegionCopy.kmsKeyArn: expected a key in eu-west-1");
    expect(err).to.include("chainNode.dataVolume.snapshotId");
  });

  it("requires the Controller address and chain id on a network without defaults", () => {
    // A network go-livepeer knows that has no preset here.
    const err = fails({ "livepeer-fleet:livepeer": { network: "mainnet" } });
    expect(err).to.include(
      "livepeer-fleet:rewardWatcher.controllerAddress: required: set the Livepeer Controller address",
    );
    expect(err).to.include("livepeer-fleet:rewardWatcher.chainId: required: set the chain id");
  });
});
