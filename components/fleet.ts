import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { FleetConfig } from "../lib/config/schema";
import { regionStackName } from "../lib/stack";

export interface FleetArgs {
  fleet: string;
  config: FleetConfig;
}

/** GitHub Actions' OIDC issuer and the audience aws-actions/configure-aws-credentials requests. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

/**
 * Who may assume the drift-check role: a GitHub Actions job of exactly this repository on exactly
 * this branch (GitHub's `sub` claim `repo:OWNER/REPO:ref:refs/heads/BRANCH`; the audience pinned
 * as GitHub's "Configuring OpenID Connect in Amazon Web Services" recommends). Scheduled runs use
 * the default branch; a manual run from another branch, a fork or another repository is refused.
 */
export function driftTrustPolicy(a: {
  oidcProviderArn: string;
  repository: string;
  branch: string;
}): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GitHubDriftWorkflow",
        Effect: "Allow",
        Principal: { Federated: a.oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
            [`${GITHUB_OIDC_HOST}:sub`]: `repo:${a.repository}:ref:refs/heads/${a.branch}`,
          },
        },
      },
    ],
  };
}

/**
 * What the drift role gets beyond AWS's ReadOnlyAccess (which covers the Describe/Get/List calls a
 * refresh makes for every resource type the fleet uses, including ones added later): the state
 * backend when it is an S3 bucket and KMS secrets key, and explicit denies for data a refresh never
 * reads, above all the orchestrator key. The unit key's policy lets any principal of the account
 * decrypt through SSM, so without these denies a read-only role could read the keystore.
 */
export function driftRolePolicy(a: {
  partition: string;
  accountId: string;
  stateBucket?: string;
  secretsKeyArn?: string;
}): Record<string, unknown> {
  const identityParams = `arn:${a.partition}:ssm:*:${a.accountId}:parameter/*/orchestrator/*`;
  const bucketObjects = a.stateBucket ? `arn:${a.partition}:s3:::${a.stateBucket}/*` : undefined;
  const statements: Record<string, unknown>[] = [
    {
      Sid: "NeverReadOrchestratorIdentity",
      Effect: "Deny",
      Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParameterHistory"],
      Resource: identityParams,
    },
    {
      // Path reads would return the identity too; a refresh reads parameters one by one.
      Sid: "NoParameterPathReads",
      Effect: "Deny",
      Action: "ssm:GetParametersByPath",
      Resource: "*",
    },
    {
      // SSM encrypts each SecureString with the context PARAMETER_ARN: this holds whichever way
      // a decrypt of the identity were attempted.
      Sid: "NeverDecryptOrchestratorIdentity",
      Effect: "Deny",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringLike: { "kms:EncryptionContext:PARAMETER_ARN": identityParams } },
    },
    {
      Sid: "NoSecretValues",
      Effect: "Deny",
      Action: "secretsmanager:GetSecretValue",
      Resource: "*",
    },
    {
      // No fleet resource keeps data in S3; only a self-managed state backend is read.
      Sid: "NoObjectDataOutsideState",
      Effect: "Deny",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      ...(bucketObjects ? { NotResource: bucketObjects } : { Resource: "*" }),
    },
  ];
  if (a.stateBucket) {
    statements.push({
      // A self-managed backend: the check reads checkpoints and takes and releases the lock.
      Sid: "PulumiStateBackend",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
      Resource: [`arn:${a.partition}:s3:::${a.stateBucket}`, bucketObjects],
    });
  }
  if (a.secretsKeyArn) {
    statements.push({
      Sid: "PulumiSecretsProvider",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: a.secretsKeyArn,
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The fleet stack: what is fleet-wide rather than regional. It owns a provider in the home
 * region, the role the scheduled drift check assumes from GitHub Actions (and, unless config
 * names an existing one, the account's GitHub OIDC provider), and publishes the region stacks.
 */
export class Fleet extends pulumi.ComponentResource {
  public readonly provider: aws.Provider;
  public readonly regionStacks: string[];
  public readonly driftRole: aws.iam.Role;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:fleet:Fleet", name, {}, opts);
    const dc = args.config.driftCheck;
    const tags = { ...args.config.tags, "livepeer-fleet:fleet": args.fleet };
    this.provider = new aws.Provider(
      `${name}-aws`,
      { region: args.config.homeRegion as aws.Region },
      { parent: this },
    );
    const child = { parent: this, provider: this.provider };
    const accountId = aws.getCallerIdentityOutput({}, child).accountId;
    const partition = aws.getPartitionOutput({}, child).partition;

    // One provider per issuer URL and account: created here unless config names the one that
    // exists. AWS validates GitHub's tokens against its own trusted CAs, so no thumbprint.
    const oidcProviderArn: pulumi.Input<string> =
      dc.oidcProviderArn ??
      new aws.iam.OpenIdConnectProvider(
        `${name}-github-oidc`,
        {
          url: `https://${GITHUB_OIDC_HOST}`,
          clientIdLists: [GITHUB_OIDC_AUDIENCE],
          tags: { ...tags, Name: `${name}-github-oidc` },
        },
        child,
      ).arn;

    this.driftRole = new aws.iam.Role(
      `${name}-drift`,
      {
        description: `Read-only drift check of fleet ${args.fleet} from ${dc.githubRepository}`,
        assumeRolePolicy: pulumi.output(oidcProviderArn).apply((arn) =>
          JSON.stringify(
            driftTrustPolicy({
              oidcProviderArn: arn,
              repository: dc.githubRepository,
              branch: dc.branch,
            }),
          ),
        ),
        // The workflow's job times out after an hour; so does its session.
        maxSessionDuration: 3600,
        tags: { ...tags, Name: `${name}-drift` },
      },
      child,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-drift-read-only`,
      {
        role: this.driftRole.name,
        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/ReadOnlyAccess`,
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-drift-limits`,
      {
        role: this.driftRole.id,
        policy: pulumi.all([partition, accountId]).apply(([p, acct]) =>
          JSON.stringify(
            driftRolePolicy({
              partition: p,
              accountId: acct,
              stateBucket: dc.stateBucket,
              secretsKeyArn: dc.secretsKeyArn,
            }),
          ),
        ),
      },
      child,
    );

    this.regionStacks = args.config.regions.map((r) => regionStackName(args.fleet, r));
    this.registerOutputs({ regionStacks: this.regionStacks, driftRoleArn: this.driftRole.arn });
  }
}
