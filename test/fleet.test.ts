import { expect } from "chai";
import { evaluate, one, ofType, policyOf } from "./helpers/program";
import { identityParameterNames } from "../components/identity";

describe("fleet stack (prod under the mock monitor)", () => {
  const e = evaluate("prod");
  const role = one(e, "aws:iam/role:Role", "prod-drift");

  it("trusts only this repository's branch through GitHub OIDC, audience pinned", () => {
    const trust = policyOf(role, "assumeRolePolicy").Statement;
    expect(trust).to.have.length(1);
    expect(trust[0]).to.deep.include({
      Effect: "Allow",
      Action: "sts:AssumeRoleWithWebIdentity",
      Principal: { Federated: "arn:aws:iam:us-east-1:123456789012:prod-github-oidc" },
      Condition: {
        StringEquals: {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:sub":
            "repo:example-org/livepeer-fleet:ref:refs/heads/main",
        },
      },
    });
    const oidc = one(e, "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "-github-oidc");
    expect(oidc.inputs.url).to.equal("https://token.actions.githubusercontent.com");
    expect(oidc.inputs.clientIdLists).to.deep.equal(["sts.amazonaws.com"]);
  });

  it("reads everything through ReadOnlyAccess but never the orchestrator identity", () => {
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
    expect(bySid.NeverDecryptOrchestratorIdentity.Condition).to.deep.equal({
      StringLike: {
        "kms:EncryptionContext:PARAMETER_ARN":
          "arn:aws:ssm:*:123456789012:parameter/*/orchestrator/*",
      },
    });
    expect(limits.filter((s) => s.Effect === "Allow")).to.have.length(0);
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
    expect(allows).to.deep.equal(["PulumiStateBackend", "PulumiSecretsProvider"]);
    const noData = limits.find((s) => s.Sid === "NoObjectDataOutsideState")!;
    expect(noData.NotResource).to.equal("arn:aws:s3:::acme-pulumi-state/*");
  });

  it("exports the role ARN for the workflow's DRIFT_ROLE_ARN variable", () => {
    expect(e.outputs.driftRoleArn).to.equal("arn:aws:iam:us-east-1:123456789012:prod-drift");
  });
});
