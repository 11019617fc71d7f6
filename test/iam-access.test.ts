// Who can read each secret, decided by an IAM evaluation engine (@cloud-copilot/iam-simulate) over
// the offline plan of every shipped stack: every role (inline, customer and AWS managed policies)
// against every secret parameter of every unit (ssm reads + kms:Decrypt through SSM with the
// parameter's encryption context, under the unit key's policy). The intended readers are
// lib/iam/secrets.ts; the rows known to differ until the serving-path split are
// lib/iam/expectations.ts. docs/operations.md carries the table this test checks is current.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { listStacks } from "../lib/config/sources";
import { replaceAccessTable } from "../lib/iam/access";
import { KNOWN_DIFFERENCES } from "../lib/iam/expectations";
import { AccessModelError, extractAccessModel } from "../lib/iam/extract";
import { accessReport, type AccessReport } from "../lib/iam/run";
import type { Evaluation, RecordedResource } from "../lib/plan/evaluate";
import { ROLE_METRIC_NAMESPACES } from "../lib/runtime-contract";
import { DEMAND_NAMESPACE } from "../lib/demand/metrics";
import { PROJECT_DIR, evaluate } from "./helpers/program";

const HOME = "prod-us-east-1";
const OTHER = "prod-eu-west-1";

/** A copy of `evaluations` with `extra` registered in `stack` (an injected policy or role). */
function withResources(
  evaluations: Evaluation[],
  stack: string,
  extra: Partial<RecordedResource>[],
): Evaluation[] {
  return evaluations.map((e) =>
    e.stack !== stack
      ? e
      : {
          ...e,
          resources: [
            ...e.resources,
            ...extra.map((r) => ({
              urn: `urn:pulumi:${stack}::livepeer-fleet::${r.type}::${r.name}`,
              parent: "",
              provider: "",
              custom: true,
              protect: false,
              retainOnDelete: false,
              deleteBeforeReplace: false,
              ignoreChanges: [],
              dependsOn: [],
              inputs: {},
              type: "",
              name: "",
              ...r,
            })),
          ],
        },
  );
}

/** An inline policy on an existing role of the plan (referenced by role.id, as components do). */
const inlinePolicy = (role: string, statements: unknown[]): Partial<RecordedResource> => ({
  type: "aws:iam/rolePolicy:RolePolicy",
  name: `${role}-injected`,
  inputs: {
    role: `${role}-id`,
    policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
  },
});

const WILDCARD = { Effect: "Allow", Action: ["ssm:*", "kms:*"], Resource: "*" };

describe("who can read each secret (IAM evaluation of every shipped stack)", function () {
  let evaluations: Evaluation[];
  let report: AccessReport;

  before(async function () {
    evaluations = listStacks(PROJECT_DIR).map((s) => evaluate(s));
    report = await accessReport(PROJECT_DIR, evaluations);
  });

  it("evaluates every role of every stack against every secret of every unit", function () {
    expect(evaluations.map((e) => e.stack)).to.include.members(["prod", HOME, OTHER]);
    const kinds = report.model.roles.map((r) => r.logicalName).sort();
    expect(kinds).to.include.members([
      "prod-drift",
      `${HOME}-chain-role`,
      `${HOME}-ops-watcher-role`,
      `${OTHER}-ops-snapshots-dlm-role`,
    ]);
    // 7 secrets per unit, each decided for every role.
    expect(report.rows).to.have.length(7 * 2);
    for (const row of report.rows) {
      expect(row.decisions).to.have.length(report.model.roles.length);
    }
  });

  it("finds only real actions and condition keys in the project's own policies", function () {
    expect(report.policyProblems).to.deep.equal([]);
  });

  it("lets exactly the intended roles read each secret, apart from the known differences", function () {
    expect(report.accessProblems, report.accessProblems.join("\n")).to.deep.equal([]);
  });

  it("reads the orchestrator key only in the home region, by its chain node", function () {
    const readers = (stack: string, id: string) =>
      report.rows
        .find((r) => r.ref.stack === stack && r.ref.secret.id === id)!
        .decisions.filter((d) => d.readable)
        .map((d) => d.role.logicalName);
    expect(readers(HOME, "orchestrator-keystore")).to.deep.equal([`${HOME}-chain-role`]);
    expect(readers(HOME, "orchestrator-passphrase")).to.deep.equal([`${HOME}-chain-role`]);
    expect(readers(HOME, "watcher-rpc-url")).to.include(`${HOME}-ops-watcher-role`);
    // No role of one unit decrypts another unit's secrets (each unit has its own key).
    for (const row of report.rows) {
      for (const d of row.decisions.filter((x) => x.readable)) {
        expect(d.role.stack, `${d.role.logicalName} reads ${row.ref.secret.name}`).to.equal(
          row.ref.stack,
        );
      }
    }
  });

  it("the drift role and DLM read nothing; orchestrators and transcoders only their unit's orchestrator secret", function () {
    for (const row of report.rows) {
      const readers = row.decisions.filter((d) => d.readable).map((d) => d.role.logicalName);
      expect(
        readers.filter((r) => /(-drift|-dlm-role)$/.test(r)),
        row.ref.secret.name,
      ).to.deep.equal([]);
      const serving = readers.filter((r) => /-(orch-[a-f]|tc)-role$/.test(r));
      if (row.ref.secret.id === "orch-secret") {
        // Every orchestrator and the pool of the unit, nobody of another unit.
        expect(serving.every((r) => r.startsWith(`${row.ref.stack}-`))).to.equal(true);
        expect(serving).to.include(`${row.ref.stack}-tc-role`);
        expect(serving).to.include(`${row.ref.stack}-orch-a-role`);
      } else {
        expect(serving, row.ref.secret.name).to.deep.equal([]);
      }
    }
  });

  it("lets each role publish metrics into its own namespace only", function () {
    expect(report.metricProblems, report.metricProblems.join("\n")).to.deep.equal([]);
    const allowed = (suffix: string) =>
      [
        ...new Set(
          report.metricDecisions
            .filter((d) => d.role.logicalName.endsWith(suffix) && d.decision === "Allowed")
            .map((d) => d.namespace),
        ),
      ].sort();
    for (const stack of [HOME, OTHER]) {
      expect(allowed(`${stack}-chain-role`)).to.deep.equal([ROLE_METRIC_NAMESPACES["chain-node"]]);
      expect(allowed(`${stack}-orch-a-role`)).to.deep.equal([ROLE_METRIC_NAMESPACES.orchestrator]);
      expect(allowed(`${stack}-ops-watcher-role`)).to.deep.equal([
        ROLE_METRIC_NAMESPACES["reward-watcher"],
      ]);
      // A transcoder can fake neither ChainSynced nor the region's demand (orchestrator namespace).
      expect(allowed(`${stack}-tc-role`)).to.deep.equal([]);
    }
    // Demand lives in the orchestrators' namespace: the metric the pool scales on.
    expect(DEMAND_NAMESPACE).to.equal(ROLE_METRIC_NAMESPACES.orchestrator);
    expect(allowed("-drift")).to.deep.equal([]);
  });

  it("fails when a transcoder role may put metrics anywhere (injected into a copy of the plan)", async function () {
    const injected = await accessReport(
      PROJECT_DIR,
      withResources(evaluations, OTHER, [
        inlinePolicy(`${OTHER}-tc-role`, [
          { Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*" },
        ]),
      ]),
    );
    const found = injected.metricProblems.filter((p) => p.startsWith(`${OTHER}-tc-role`));
    expect(found).to.include(
      `${OTHER}-tc-role (transcoder@${OTHER}) CAN put metrics into ` +
        `${ROLE_METRIC_NAMESPACES["chain-node"]}: not its namespace`,
    );
    expect(found.join("\n")).to.include(`into ${ROLE_METRIC_NAMESPACES.orchestrator}`);
    // Scoped to its own namespace instead, it passes.
    const scoped = await accessReport(
      PROJECT_DIR,
      withResources(evaluations, OTHER, [
        inlinePolicy(`${OTHER}-orch-a-role`, [
          {
            Effect: "Allow",
            Action: "cloudwatch:PutMetricData",
            Resource: "*",
            Condition: { StringEquals: { "cloudwatch:namespace": "LivepeerFleet/Chain" } },
          },
        ]),
      ]),
    );
    expect(scoped.metricProblems).to.deep.equal([
      `${OTHER}-orch-a-role (orchestrator@${OTHER}) CAN put metrics into LivepeerFleet/Chain: ` +
        "not its namespace",
    ]);
  });

  it("docs/operations.md carries the current table (npm run access:table)", function () {
    const file = path.join(PROJECT_DIR, "docs", "operations.md");
    const doc = fs.readFileSync(file, "utf8");
    expect(
      replaceAccessTable(doc, report.table) === doc,
      "stale: run npm run access:table",
    ).to.equal(true);
  });

  it("fails when a role gets ssm:* and kms:* (injected into a copy of the plan)", async function () {
    const injected = await accessReport(
      PROJECT_DIR,
      // A second role in the transcoder pool's component, without the pool role's denies.
      withResources(evaluations, OTHER, [
        {
          type: "aws:iam/role:Role",
          name: `${OTHER}-tc-extra-role`,
          urn: `urn:pulumi:${OTHER}::livepeer-fleet::livepeer-fleet:region:RegionUnit$livepeer-fleet:nodes:Transcoders$aws:iam/role:Role::${OTHER}-tc-extra-role`,
          inputs: { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) },
        },
        inlinePolicy(`${OTHER}-tc-extra-role`, [WILDCARD]),
      ]),
    );
    const found = injected.accessProblems.filter((p) => p.startsWith(`${OTHER}-tc-extra-role`));
    // Every secret of every unit but its own orchestrator secret, which a transcoder may read.
    expect(found.join("\n")).to.include(`CAN read ${HOME} orchestrator-keystore`);
    expect(found.join("\n")).to.include(`CAN read ${OTHER} redeemer-passphrase`);
    expect(found.join("\n")).to.include(`CAN read ${OTHER} chain-rpc-endpoints`);
    expect(found.length).to.be.greaterThan(10);
  });

  it("an explicit deny holds against the same wildcard (the DLM role's)", async function () {
    const injected = await accessReport(
      PROJECT_DIR,
      withResources(evaluations, HOME, [
        inlinePolicy(`${HOME}-ops-snapshots-dlm-role`, [WILDCARD]),
      ]),
    );
    expect(injected.accessProblems).to.deep.equal(report.accessProblems);
  });

  it("rejects actions and condition keys that do not exist, so a typo cannot look safe", async function () {
    const typo = inlinePolicy(`${HOME}-ops-watcher-role`, [
      { Sid: "TypoAction", Effect: "Deny", Action: "ssm:GetParamter", Resource: "*" },
      {
        Sid: "TypoKey",
        Effect: "Deny",
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: { StringLike: { "kms:EncryptionContex:PARAMETER_ARN": "*" } },
      },
    ]);
    const injected = await accessReport(PROJECT_DIR, withResources(evaluations, HOME, [typo]));
    expect(injected.policyProblems.join("\n"))
      .to.include('TypoAction: "ssm:GetParamter" matches no ssm action')
      .and.include('TypoKey: condition key "kms:EncryptionContex:PARAMETER_ARN" does not exist');
  });

  it("fails for a role of a component it cannot classify", async function () {
    const injected = await accessReport(
      PROJECT_DIR,
      withResources(evaluations, HOME, [
        {
          type: "aws:iam/role:Role",
          name: `${HOME}-mystery-role`,
          urn: `urn:pulumi:${HOME}::livepeer-fleet::livepeer-fleet:mystery:Mystery$aws:iam/role:Role::${HOME}-mystery-role`,
          inputs: { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [] }) },
        },
      ]),
    );
    expect(injected.accessProblems.join("\n")).to.include(
      `role ${HOME}-mystery-role (${HOME}) belongs to livepeer-fleet:mystery:Mystery`,
    );
  });

  it("asks to remove a known difference that no longer occurs", async function () {
    const stale = await accessReport(PROJECT_DIR, evaluations, [
      ...KNOWN_DIFFERENCES,
      {
        secret: "redeemer-keystore",
        reader: "reward-watcher",
        units: "every",
        readable: true,
        why: "x",
      },
    ]);
    expect(stale.accessProblems).to.deep.equal([
      "known difference no longer occurs (reward-watcher reads redeemer-keystore): remove it from " +
        "KNOWN_DIFFERENCES in lib/iam/expectations.ts",
    ]);
  });

  it("refuses a plan with a grant it does not model (a KMS grant)", function () {
    const withGrant = withResources(evaluations, HOME, [
      { type: "aws:kms/grant:Grant", name: `${HOME}-grant`, inputs: {} },
    ]);
    expect(() => extractAccessModel(withGrant)).to.throw(AccessModelError, /does not model/);
  });
});
