// The policy builders of lib/iam/policies.ts, decided by an IAM evaluation engine
// (@cloud-copilot/iam-simulate) rather than by reading their JSON: a Session Manager grant without
// parameter reads, per-secret read grants, explicit denies, the unit key policy and per-role
// metric namespaces.
import { expect } from "chai";
import { awsManagedPolicy } from "../lib/iam/aws-managed";
import { Simulator, type Decision } from "../lib/iam/access";
import type { NamedPolicy, RoleModel } from "../lib/iam/extract";
import { intendedReaders, secretParameters, type RoleKind } from "../lib/iam/secrets";
import {
  ROLE_METRIC_NAMESPACES,
  denyStatementsFor,
  SSM_CORE_SOURCE,
  denySecretReadsPolicy,
  putMetricDataStatement,
  secretReadPolicy,
  sessionManagerPolicy,
  unitKeyPolicy,
  type PolicyDocument,
} from "../lib/iam/policies";
import { policyProblems } from "../lib/iam/validate";

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/unit-key`;
const PARAM = (name: string, region = REGION) =>
  `arn:aws:ssm:${region}:${ACCOUNT}:parameter${name}`;
const PREFIX = "/livepeer-fleet/prod-us-east-1";
const KEY_POLICY = unitKeyPolicy({ accountId: ACCOUNT, partition: "aws", region: REGION });

function role(name: string, ...documents: PolicyDocument[]): RoleModel {
  return {
    stack: "test",
    logicalName: name,
    roleName: name,
    arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    componentType: "test",
    trustedBy: [],
    policies: documents.map((document, i): NamedPolicy => ({
      name: `${name}-${i}`,
      source: "inline",
      document,
    })),
  };
}

const sim = new Simulator();

/** kms:Decrypt of a SecureString as Parameter Store asks for it, under the unit key policy. */
function decryptViaSsm(r: RoleModel, parameterArn: string): Promise<Decision> {
  return sim.decide({
    role: r,
    accountId: ACCOUNT,
    action: "kms:Decrypt",
    resource: KEY,
    context: {
      "kms:ViaService": `ssm.${REGION}.amazonaws.com`,
      "kms:EncryptionContext:PARAMETER_ARN": parameterArn,
      "kms:EncryptionContextKeys": ["PARAMETER_ARN"],
      "kms:CallerAccount": ACCOUNT,
    },
    resourcePolicy: { document: KEY_POLICY, name: "unit key" },
  });
}

const ssm = (r: RoleModel, action: string, resource: string) =>
  sim.decide({ role: r, accountId: ACCOUNT, action, resource, context: {} });

const WILDCARD: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["ssm:*", "kms:*"], Resource: "*" }],
};

describe("Session Manager without parameter reads", function () {
  const core = awsManagedPolicy(SSM_CORE_SOURCE.name);
  const actions = (d: PolicyDocument) => d.Statement.flatMap((s) => [s.Action ?? []].flat());

  it("is AmazonSSMManagedInstanceCore's default version minus ssm:GetParameter and GetParameters", function () {
    expect(core.version, "AWS changed the managed policy: review the list").to.equal(
      SSM_CORE_SOURCE.version,
    );
    const wanted = actions(core.document).filter((a) => !/^ssm:GetParameters?$/.test(a));
    expect(actions(sessionManagerPolicy())).to.have.members(wanted);
    expect(actions(core.document)).to.include.members(["ssm:GetParameter", "ssm:GetParameters"]);
  });

  it("lets the agent register and open Session Manager and Run Command channels, not read a parameter", async function () {
    const r = role("session", sessionManagerPolicy());
    expect(
      await ssm(
        r,
        "ssm:UpdateInstanceInformation",
        `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`,
      ),
    ).to.equal("Allowed");
    expect(await ssm(r, "ssmmessages:OpenDataChannel", "*")).to.equal("Allowed");
    expect(await ssm(r, "ec2messages:GetMessages", "*")).to.equal("Allowed");
    for (const a of ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"]) {
      expect(await ssm(r, a, PARAM(`${PREFIX}/orchestrator/keystore`)), a).to.equal(
        "ImplicitlyDenied",
      );
    }
  });
});

describe("secret read grants", function () {
  const names = [`${PREFIX}/redeemer/keystore`, `${PREFIX}/redeemer/passphrase`];
  const reader = role(
    "redeemer-reader",
    secretReadPolicy({
      partition: "aws",
      region: REGION,
      accountId: ACCOUNT,
      keyArn: KEY,
      names,
      sid: "RedeemerIdentity",
    }),
  );

  it("read and decrypt exactly the named SecureStrings", async function () {
    for (const n of names) {
      expect(await ssm(reader, "ssm:GetParameter", PARAM(n)), n).to.equal("Allowed");
      expect(await decryptViaSsm(reader, PARAM(n)), n).to.equal("Allowed");
    }
  });

  it("cannot use the decrypt right for another SecureString under the same key", async function () {
    const other = PARAM(`${PREFIX}/orchestrator/keystore`);
    expect(await ssm(reader, "ssm:GetParameter", other)).to.equal("ImplicitlyDenied");
    expect(await decryptViaSsm(reader, other)).to.equal("ImplicitlyDenied");
  });

  it("cannot decrypt outside SSM (a ciphertext taken elsewhere)", async function () {
    const d = await sim.decide({
      role: reader,
      accountId: ACCOUNT,
      action: "kms:Decrypt",
      resource: KEY,
      context: {
        "kms:EncryptionContext:PARAMETER_ARN": PARAM(names[0]),
        "kms:CallerAccount": ACCOUNT,
      },
      resourcePolicy: { document: KEY_POLICY, name: "unit key" },
    });
    expect(d).to.equal("ImplicitlyDenied");
  });
});

describe("explicit denies on secrets", function () {
  const denied = role(
    "denied",
    WILDCARD,
    denySecretReadsPolicy({
      partition: "aws",
      accountId: ACCOUNT,
      targets: {
        keyRoles: ["orchestrator", "redeemer"],
        suffixes: ["/orch-secret"],
        unit: { region: REGION, names: ["/custom/rpc"] },
      },
    }),
  );

  it("hold against ssm:* and kms:* for key material of any unit and region", async function () {
    for (const p of [
      PARAM(`${PREFIX}/orchestrator/keystore`),
      PARAM("/livepeer-fleet/prod-eu-west-1/redeemer/passphrase", "eu-west-1"),
      PARAM("/other-prefix/orch-secret"),
      PARAM("/custom/rpc"),
    ]) {
      for (const a of ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"]) {
        expect(await ssm(denied, a, p), `${a} ${p}`).to.equal("ExplicitlyDenied");
      }
      expect(await decryptViaSsm(denied, p), p).to.equal("ExplicitlyDenied");
    }
    expect(await ssm(denied, "ssm:GetParametersByPath", PARAM("/livepeer-fleet"))).to.equal(
      "ExplicitlyDenied",
    );
  });

  it("leave everything else to the allows (a wildcard still reads a non-secret parameter)", async function () {
    expect(await ssm(denied, "ssm:GetParameter", PARAM("/aws/service/ami"))).to.equal("Allowed");
  });
});

describe("denies per role kind, from the intended readers", function () {
  const secrets = secretParameters({
    parameterPrefix: PREFIX,
    rpcEndpointsParameter: `${PREFIX}/chain/rpc-endpoints`,
    watcherRpcUrlParameter: `${PREFIX}/watcher/rpc-url`,
  });
  const kinds: RoleKind[] = [
    "chain-node",
    "orchestrator",
    "transcoder",
    "reward-watcher",
    "snapshots",
    "drift-check",
  ];

  for (const home of [true, false]) {
    it(`leave a wildcard role exactly its intended reads (${home ? "home" : "other"} region)`, async function () {
      for (const kind of kinds) {
        const deny: PolicyDocument = {
          Version: "2012-10-17",
          Statement: denyStatementsFor({
            partition: "aws",
            accountId: ACCOUNT,
            region: REGION,
            kind,
            home,
            secrets,
          }),
        };
        const r = role(kind, WILDCARD, deny);
        const readable: string[] = [];
        for (const s of secrets) {
          const get = await ssm(r, "ssm:GetParameter", PARAM(s.name));
          const dec = await decryptViaSsm(r, PARAM(s.name));
          if (get === "Allowed" && dec === "Allowed") readable.push(s.id);
        }
        const intended = secrets.filter((s) => intendedReaders(s, home).includes(kind));
        expect(readable, kind).to.deep.equal(intended.map((s) => s.id));
        // The same secrets of another unit, where no kind reads its suffix: denied too.
        const other = PARAM("/livepeer-fleet/prod-ap-south-1/orchestrator/keystore", "ap-south-1");
        if (kind !== "chain-node") {
          expect(await ssm(r, "ssm:GetParameter", other), kind).to.equal("ExplicitlyDenied");
        }
      }
    });
  }
});

describe("the unit key policy", function () {
  const nobody = role("no-kms-grant");

  it("lets no principal decrypt through SSM on the key policy alone", async function () {
    expect(await decryptViaSsm(nobody, PARAM(`${PREFIX}/orchestrator/keystore`))).to.equal(
      "ImplicitlyDenied",
    );
    const viaSsm = KEY_POLICY.Statement.filter((s) =>
      JSON.stringify(s.Condition ?? {}).includes("ssm."),
    );
    expect(viaSsm).to.deep.equal([]);
  });

  it("delegates to IAM: an IAM grant decrypts through SSM; without the account statement it does not", async function () {
    const p = PARAM(`${PREFIX}/orch-secret`);
    const grant = secretReadPolicy({
      partition: "aws",
      region: REGION,
      accountId: ACCOUNT,
      keyArn: KEY,
      names: [`${PREFIX}/orch-secret`],
      sid: "OrchSecret",
    });
    expect(await decryptViaSsm(role("granted", grant), p)).to.equal("Allowed");
    const withoutRoot = {
      ...KEY_POLICY,
      Statement: KEY_POLICY.Statement.filter((s) => s.Sid !== "AccountAdministersThroughIam"),
    };
    const d = await sim.decide({
      role: role("granted2", grant),
      accountId: ACCOUNT,
      action: "kms:Decrypt",
      resource: KEY,
      context: {
        "kms:ViaService": `ssm.${REGION}.amazonaws.com`,
        "kms:EncryptionContext:PARAMETER_ARN": p,
        "kms:CallerAccount": ACCOUNT,
      },
      resourcePolicy: { document: withoutRoot, name: "no root" },
    });
    expect(d).to.equal("ImplicitlyDenied");
  });

  it("keeps EBS working: any principal of the account through EC2, Auto Scaling's service-linked role", async function () {
    const ebs = {
      "kms:ViaService": `ec2.${REGION}.amazonaws.com`,
      "kms:CallerAccount": ACCOUNT,
    };
    for (const action of [
      "kms:CreateGrant",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:Decrypt",
    ]) {
      const d = await sim.decide({
        role: nobody,
        accountId: ACCOUNT,
        action,
        resource: KEY,
        context: ebs,
        resourcePolicy: { document: KEY_POLICY, name: "unit key" },
      });
      expect(d, action).to.equal("Allowed");
    }
    const slr = role("aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling");
    const d = await sim.decide({
      role: slr,
      accountId: ACCOUNT,
      action: "kms:CreateGrant",
      resource: KEY,
      context: { "kms:CallerAccount": ACCOUNT },
      resourcePolicy: { document: KEY_POLICY, name: "unit key" },
    });
    expect(d).to.equal("Allowed");
  });

  it("keeps DLM, CloudWatch Logs and alarms to the encrypted topic", async function () {
    const service = (principal: string, action: string, context: Record<string, string>) =>
      sim.decide({
        role: nobody,
        servicePrincipal: principal,
        accountId: ACCOUNT,
        action,
        resource: KEY,
        context,
        resourcePolicy: { document: KEY_POLICY, name: "unit key" },
      });
    expect(
      await service("dlm.amazonaws.com", "kms:CreateGrant", { "aws:SourceAccount": ACCOUNT }),
    ).to.equal("Allowed");
    expect(
      await service(`logs.${REGION}.amazonaws.com`, "kms:GenerateDataKey", {
        "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/x`,
      }),
    ).to.equal("Allowed");
    expect(
      await service("cloudwatch.amazonaws.com", "kms:GenerateDataKey", {
        "aws:SourceAccount": ACCOUNT,
      }),
    ).to.equal("Allowed");
    expect(
      await service("cloudwatch.amazonaws.com", "kms:GenerateDataKey", {
        "aws:SourceAccount": "999999999999",
      }),
    ).to.equal("ImplicitlyDenied");
  });
});

describe("metrics per role namespace", function () {
  it("publishes into its own namespace only", async function () {
    for (const [kind, ns] of Object.entries(ROLE_METRIC_NAMESPACES)) {
      const r = role(kind, { Version: "2012-10-17", Statement: [putMetricDataStatement(ns)] });
      const put = (namespace: string) =>
        sim.decide({
          role: r,
          accountId: ACCOUNT,
          action: "cloudwatch:PutMetricData",
          resource: "*",
          context: { "cloudwatch:namespace": namespace },
        });
      expect(await put(ns), ns).to.equal("Allowed");
      for (const other of Object.values(ROLE_METRIC_NAMESPACES).filter((x) => x !== ns)) {
        expect(await put(other), `${kind} -> ${other}`).to.equal("ImplicitlyDenied");
      }
      expect(await put(`${ns}X`)).to.equal("ImplicitlyDenied");
    }
  });
});

describe("every builder's document names only real actions and condition keys", function () {
  it("has no problems", async function () {
    const docs: [string, PolicyDocument, "identity" | "resource"][] = [
      ["session manager", sessionManagerPolicy(), "identity"],
      [
        "read",
        secretReadPolicy({
          partition: "aws",
          region: REGION,
          accountId: ACCOUNT,
          keyArn: KEY,
          names: ["/a/b"],
          sid: "X",
        }),
        "identity",
      ],
      [
        "deny",
        denySecretReadsPolicy({
          partition: "aws",
          accountId: ACCOUNT,
          targets: { keyRoles: ["redeemer"] },
        }),
        "identity",
      ],
      [
        "metrics",
        { Version: "2012-10-17", Statement: [putMetricDataStatement("A/B")] },
        "identity",
      ],
      ["key", KEY_POLICY, "resource"],
    ];
    for (const [name, d, kind] of docs) {
      expect(await policyProblems(d, kind, name)).to.deep.equal([]);
    }
  });
});
