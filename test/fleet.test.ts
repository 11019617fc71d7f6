import { expect } from "chai";
import { allowedContextKeysForRequest, runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import {
  createValidatedPolicy,
  validateIdentityPolicy,
  validateResourcePolicy,
  validateTrustPolicy,
} from "@cloud-copilot/iam-policy";
import { evaluate, one, ofType, policyOf } from "./helpers/program";
import { identityParameterNames } from "../components/identity";
import { driftRolePolicy, driftTrustPolicy } from "../components/fleet";
import { keyPolicy } from "../components/keys";

const ACCOUNT = "123456789012";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/prod-drift`;
const BUCKET = "acme-pulumi-state";
const SECRETS_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/abcd-1234`;
const UNIT_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/unit`;

/**
 * Stand-in for AWS's ReadOnlyAccess, limited to the read actions these checks exercise (the real
 * policy grants Get/List/Describe on every service): the drift role's own statements must hold
 * against it.
 */
const READ_ONLY = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: ["s3:Get*", "s3:List*", "kms:Describe*", "kms:Get*", "kms:List*", "ssm:Get*"],
      Resource: "*",
    },
  ],
};

/** A policy document checked by the engine's validator (the test fails on a malformed one). */
function validated(
  doc: unknown,
  validate: (d: unknown) => readonly unknown[],
  name: string,
): ReturnType<typeof createValidatedPolicy<{ name: string }>> {
  const v = createValidatedPolicy(doc, validate as never, { name });
  if (v.errors.length > 0) throw new Error(`${name}: ${JSON.stringify(v.errors)}`);
  return v;
}

/**
 * The decision of AWS's policy evaluation logic for one request (iam-simulate, an IAM evaluation
 * engine): identity policies, plus the resource's policy when it has one. Its unvalidated entry
 * point, because its context-key check does not know KMS encryption-context keys
 * (kms:EncryptionContext:PARAMETER_ARN) or the generic OIDC keys (:aud, :sub).
 */
function decide(
  principal: string,
  action: string,
  resource: string,
  context: Record<string, string>,
  identity: { name: string; policy: unknown }[],
  resourcePolicy?: { doc: unknown; trust?: boolean },
): string {
  return runUnsafeSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: identity.map((p) => ({
        name: p.name,
        policy: validated(p.policy, validateIdentityPolicy as never, p.name),
      })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicy
        ? validated(
            resourcePolicy.doc,
            (resourcePolicy.trust ? validateTrustPolicy : validateResourcePolicy) as never,
            "resource policy",
          )
        : undefined,
    },
    {},
  );
}

const LIMITS = driftRolePolicy({
  partition: "aws",
  accountId: ACCOUNT,
  stateBucket: BUCKET,
  secretsKeyArn: SECRETS_KEY,
});

/** What the drift role may do: ReadOnlyAccess (stand-in) plus its own limits. */
function asDriftRole(
  action: string,
  resource: string,
  context: Record<string, string> = {},
  keyPolicyDoc?: unknown,
  limits: unknown = LIMITS,
): string {
  return decide(
    ROLE,
    action,
    resource,
    context,
    [
      { name: "ReadOnlyAccess", policy: READ_ONLY },
      { name: "drift-limits", policy: limits },
    ],
    keyPolicyDoc ? { doc: keyPolicyDoc } : undefined,
  );
}

/** A key policy that delegates to IAM, as a default KMS key policy does. */
const DELEGATING_KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
};

describe("fleet stack (prod under the mock monitor)", () => {
  const e = evaluate("prod");
  const role = one(e, "aws:iam/role:Role", "prod-drift");

  it("trusts only the drift workflow file of this repository's branch, audience pinned", () => {
    const trust = policyOf(role, "assumeRolePolicy").Statement;
    expect(trust).to.have.length(1);
    expect(trust[0]).to.deep.include({
      Effect: "Allow",
      Action: "sts:AssumeRoleWithWebIdentity",
      Principal: { Federated: "arn:aws:iam:us-east-1:123456789012:prod-github-oidc" },
      Condition: {
        StringEquals: {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:job_workflow_ref":
            "example-org/livepeer-fleet/.github/workflows/drift.yml@refs/heads/main",
        },
        StringLike: {
          "token.actions.githubusercontent.com:sub": [
            "repo:example-org/livepeer-fleet:ref:refs/heads/main",
            "repo:example-org@*/livepeer-fleet@*:ref:refs/heads/main",
          ],
        },
      },
    });
    const oidc = one(e, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "-github-oidc");
    expect(oidc.inputs.url).to.equal("https://token.actions.githubusercontent.com");
    expect(oidc.inputs.clientIdLists).to.deep.equal(["sts.amazonaws.com"]);
  });

  it("conditions on a GitHub claim STS really evaluates (AWS's condition keys for the action)", async () => {
    const keys = await allowedContextKeysForRequest(
      "sts",
      "AssumeRoleWithWebIdentity",
      ROLE,
      false,
      undefined,
    );
    expect(keys).to.include("token.actions.githubusercontent.com:job_workflow_ref");
  });

  it("admits jobs of drift.yml on the branch, legacy or immutable subject; nothing else", () => {
    const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const trust = driftTrustPolicy({
      oidcProviderArn: provider,
      repository: "example-org/livepeer-fleet",
      branch: "main",
    });
    const H = "token.actions.githubusercontent.com";
    const drift = "example-org/livepeer-fleet/.github/workflows/drift.yml";
    const assume = (claims: { sub?: string; jwr?: string; aud?: string }) =>
      decide(
        provider,
        "sts:AssumeRoleWithWebIdentity",
        ROLE,
        {
          [`${H}:aud`]: claims.aud ?? "sts.amazonaws.com",
          [`${H}:sub`]: claims.sub ?? "repo:example-org/livepeer-fleet:ref:refs/heads/main",
          [`${H}:job_workflow_ref`]: claims.jwr ?? `${drift}@refs/heads/main`,
        },
        [],
        { doc: trust, trust: true },
      );
    expect(assume({})).to.equal("Allowed");
    expect(
      assume({ sub: "repo:example-org@1234/livepeer-fleet@5678:ref:refs/heads/main" }),
    ).to.equal("Allowed");
    const refused: [string, Parameters<typeof assume>[0]][] = [
      [
        "another workflow of the repository",
        { jwr: "example-org/livepeer-fleet/.github/workflows/deploy.yml@refs/heads/main" },
      ],
      [
        "drift.yml from another branch",
        {
          jwr: `${drift}@refs/heads/feature`,
          sub: "repo:example-org/livepeer-fleet:ref:refs/heads/feature",
        },
      ],
      ["a pull request", { sub: "repo:example-org/livepeer-fleet:pull_request" }],
      ["an environment", { sub: "repo:example-org/livepeer-fleet:environment:prod" }],
      [
        "another repository",
        {
          sub: "repo:someone/fork:ref:refs/heads/main",
          jwr: "someone/fork/.github/workflows/drift.yml@refs/heads/main",
        },
      ],
      ["another audience", { aud: "https://github.com/example-org" }],
    ];
    for (const [what, claims] of refused) expect(assume(claims), what).to.equal("ImplicitlyDenied");
  });

  it("reads everything through ReadOnlyAccess but never the orchestrator identity or a SecureString", () => {
    const attach = one(e, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "-drift-read-only");
    expect(attach.inputs.policyArn).to.equal("arn:aws:iam::aws:policy/ReadOnlyAccess");
    const limits = policyOf(one(e, "aws:iam/rolePolicy:RolePolicy", "-drift-limits")).Statement;
    const bySid: Record<string, Record<string, unknown>> = Object.fromEntries(
      limits.map((s) => [String(s.Sid), s]),
    );
    expect(bySid.NeverReadOrchestratorIdentity).to.deep.include({
      Effect: "Deny",
      Resource: "arn:aws:ssm:*:123456789012:parameter/*/orchestrator/*",
    });
    expect(bySid.NeverDecryptParameters).to.deep.include({
      Effect: "Deny",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { Null: { "kms:EncryptionContext:PARAMETER_ARN": "false" } },
    });
    expect(limits.filter((s) => s.Effect === "Allow")).to.have.length(0);
  });

  describe("what the role may do, decided by an IAM evaluation engine", () => {
    const checkpoint = `arn:aws:s3:::${BUCKET}/.pulumi/stacks/livepeer-fleet/prod-us-east-1.json`;
    const lock = `arn:aws:s3:::${BUCKET}/.pulumi/locks/organization/livepeer-fleet/prod-us-east-1/x.json`;
    const unitKeyPolicy = keyPolicy({ accountId: ACCOUNT, partition: "aws", region: "us-east-1" });
    const throughSsm = (parameter: string) => ({
      "kms:ViaService": "ssm.us-east-1.amazonaws.com",
      "kms:CallerAccount": ACCOUNT,
      "kms:EncryptionContext:PARAMETER_ARN": `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${parameter}`,
    });

    it("reads state, writes none of it (no checkpoint, no lock)", () => {
      expect(asDriftRole("s3:GetObject", checkpoint)).to.equal("Allowed");
      expect(asDriftRole("s3:ListBucket", `arn:aws:s3:::${BUCKET}`)).to.equal("Allowed");
      for (const action of ["s3:PutObject", "s3:DeleteObject"]) {
        for (const object of [checkpoint, lock]) {
          expect(asDriftRole(action, object), `${action} ${object}`).to.equal("ExplicitlyDenied");
        }
      }
      expect(asDriftRole("s3:GetObject", "arn:aws:s3:::other-bucket/data.json")).to.equal(
        "ExplicitlyDenied",
      );
    });

    it("cannot decrypt the RPC endpoints parameter: denied, and not granted by the key policy either", () => {
      const rpc = throughSsm("/livepeer-fleet/prod-us-east-1/chain/rpc-endpoints");
      expect(asDriftRole("kms:Decrypt", UNIT_KEY, rpc, unitKeyPolicy)).to.equal("ExplicitlyDenied");
      // Without the role's denies the unit key's policy grants nothing through SSM either (no
      // wildcard principal: only roles whose own policy names a parameter decrypt it), so the
      // API keys in those URLs stay away from a read-only role twice over.
      expect(
        asDriftRole("kms:Decrypt", UNIT_KEY, rpc, unitKeyPolicy, {
          Version: "2012-10-17",
          Statement: [],
        }),
      ).to.equal("ImplicitlyDenied");
    });

    it("decrypts stack secrets only directly, as the Pulumi CLI does", () => {
      const direct = { "kms:CallerAccount": ACCOUNT };
      expect(asDriftRole("kms:Decrypt", SECRETS_KEY, direct, DELEGATING_KEY_POLICY)).to.equal(
        "Allowed",
      );
      const viaSsm = { ...direct, "kms:ViaService": "ssm.us-east-1.amazonaws.com" };
      expect(asDriftRole("kms:Decrypt", SECRETS_KEY, viaSsm, DELEGATING_KEY_POLICY)).to.not.equal(
        "Allowed",
      );
      const parameter = throughSsm("/any/secure-string");
      expect(asDriftRole("kms:Decrypt", SECRETS_KEY, parameter, DELEGATING_KEY_POLICY)).to.equal(
        "ExplicitlyDenied",
      );
    });
  });

  it("matches the identity parameter names the region units use", () => {
    const names = identityParameterNames("/livepeer-fleet/prod-us-east-1");
    const pattern = /^\/.*\/orchestrator\/.*$/; // parameter/*/orchestrator/* in IAM terms
    expect(names.keystore).to.match(pattern);
    expect(names.passphrase).to.match(pattern);
  });

  it("uses an existing OIDC provider and grants the state backend when configured", () => {
    const existing = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    const f = evaluate("prod", {
      "livepeer-fleet:driftCheck": {
        oidcProviderArn: existing,
        stateBucket: "acme-pulumi-state",
        secretsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abcd-1234",
      },
    });
    expect(ofType(f, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")).to.have.length(0);
    const trust = policyOf(one(f, "aws:iam/role:Role", "prod-drift"), "assumeRolePolicy");
    expect(trust.Statement[0].Principal).to.deep.equal({ Federated: existing });
    const limits = policyOf(one(f, "aws:iam/rolePolicy:RolePolicy", "-drift-limits")).Statement;
    const allows = limits.filter((s) => s.Effect === "Allow").map((s) => s.Sid);
    expect(allows).to.deep.equal(["ReadPulumiState", "PulumiSecretsProvider"]);
    const noData = limits.find((s) => s.Sid === "NoObjectDataOutsideState")!;
    expect(noData.NotResource).to.equal("arn:aws:s3:::acme-pulumi-state/*");
  });

  it("exports the role ARN for the workflow's DRIFT_ROLE_ARN variable", () => {
    expect(e.outputs.driftRoleArn).to.equal("arn:aws:iam:us-east-1:123456789012:prod-drift");
  });
});
