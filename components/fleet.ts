import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { FleetConfig } from "../lib/config/schema";
import { regionStackName } from "../lib/stack";
import { ampRemoteWriteUrl } from "../lib/runtime/metrics";
import { OFFLINE_PLAN_ENV } from "../lib/runtime/releases";

export interface FleetArgs {
  fleet: string;
  config: FleetConfig;
}

/** GitHub Actions' OIDC issuer and the audience aws-actions/configure-aws-credentials requests. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";
/** The workflow file the drift role trusts: only its jobs may assume the role. */
export const DRIFT_WORKFLOW = ".github/workflows/drift.yml";

/**
 * Who may assume the drift-check role: a job of exactly this workflow file, from this branch, of
 * this repository, through GitHub's OIDC provider, audience pinned (GitHub's "Configuring OpenID
 * Connect in Amazon Web Services").
 * - `job_workflow_ref` (`OWNER/REPO/.github/workflows/drift.yml@refs/heads/BRANCH`): the workflow
 *   file and the ref it was read from. STS validates this GitHub claim as the condition key
 *   token.actions.githubusercontent.com:job_workflow_ref since January 2026 (AWS What's New
 *   "AWS STS supports validation of identity provider claims"; the Service Authorization
 *   Reference lists it for sts:AssumeRoleWithWebIdentity), so no customised `sub` claim is
 *   needed. GitHub sets it for every job; for a job that is not in a reusable workflow it names
 *   the workflow file itself. Another workflow of the repository, even on this branch, is refused.
 * - `sub` (`repo:OWNER/REPO:ref:refs/heads/BRANCH`, or the immutable form
 *   `repo:OWNER@ID/REPO@ID:ref:...` that repositories created since July 2026 emit, per
 *   aws-actions/configure-aws-credentials' README): a run of this branch, not of an environment
 *   or a pull request. GitHub's AWS guide (and IAM's note in it) says to always check `sub`.
 */
export function driftTrustPolicy(a: {
  oidcProviderArn: string;
  repository: string;
  branch: string;
}): Record<string, unknown> {
  const [owner, name] = a.repository.split("/");
  const ref = `refs/heads/${a.branch}`;
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
            [`${GITHUB_OIDC_HOST}:job_workflow_ref`]: `${a.repository}/${DRIFT_WORKFLOW}@${ref}`,
          },
          StringLike: {
            [`${GITHUB_OIDC_HOST}:sub`]: [
              `repo:${a.repository}:ref:${ref}`,
              `repo:${owner}@*/${name}@*:ref:${ref}`,
            ],
          },
        },
      },
    ],
  };
}

/**
 * What the drift role gets beyond AWS's ReadOnlyAccess (which covers the Describe/Get/List calls a
 * refresh makes for every resource type the fleet uses, including ones added later), and explicit
 * denies for everything a refresh never needs:
 * - state: read only. `pulumi refresh --preview-only` takes no lock and writes no checkpoint on a
 *   self-managed backend since Pulumi 3.229.0 (pkg/backend/diy/backend.go, diyBackend.Refresh:
 *   PreviewOnly skips b.Lock; pulumi/pulumi#22385); the workflow pins 3.248.0. Every object write
 *   and delete in the bucket is denied, so the role cannot rewrite a checkpoint (drop `protect`,
 *   change an output) or plant a lock that blocks deploys.
 * - secrets: no decrypt of any SSM SecureString. SSM encrypts each one with the encryption context
 *   PARAMETER_ARN (Systems Manager User Guide, "How AWS Systems Manager Parameter Store uses AWS
 *   KMS"); a decrypt carrying that key is denied whatever the key, so neither the orchestrator
 *   identity nor the RPC endpoint and watcher parameters (API keys in their URLs) can be read,
 *   although the unit key's policy lets any principal of the account use it through SSM.
 * - the stack secrets key (awskms:// secrets provider): decrypt only when called directly, as the
 *   Pulumi CLI does, never through another service.
 */
export function driftRolePolicy(a: {
  partition: string;
  accountId: string;
  stateBucket?: string;
  secretsKeyArn?: string;
}): Record<string, unknown> {
  const identityParams = `arn:${a.partition}:ssm:*:${a.accountId}:parameter/*/orchestrator/*`;
  const bucket = a.stateBucket ? `arn:${a.partition}:s3:::${a.stateBucket}` : undefined;
  const bucketObjects = bucket ? `${bucket}/*` : undefined;
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
      Sid: "NeverDecryptParameters",
      Effect: "Deny",
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { Null: { "kms:EncryptionContext:PARAMETER_ARN": "false" } },
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
  if (bucket && bucketObjects) {
    statements.push(
      {
        Sid: "ReadPulumiState",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:ListBucket"],
        Resource: [bucket, bucketObjects],
      },
      {
        Sid: "NeverWritePulumiState",
        Effect: "Deny",
        Action: [
          "s3:PutObject",
          "s3:DeleteObject",
          "s3:DeleteObjectVersion",
          "s3:PutObjectAcl",
          "s3:PutObjectRetention",
          "s3:PutObjectLegalHold",
          "s3:RestoreObject",
        ],
        Resource: bucketObjects,
      },
    );
  }
  if (a.secretsKeyArn) {
    statements.push({
      Sid: "PulumiSecretsProvider",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: a.secretsKeyArn,
      // The CLI calls KMS itself; kms:ViaService is present only when a service calls for you.
      Condition: { Null: { "kms:ViaService": "true" } },
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
  /** The fleet's metrics store (metrics.store "amp"): every node remote-writes here. */
  public readonly metricsWorkspace?: aws.amp.Workspace;
  public readonly metricsRemoteWriteUrl?: pulumi.Output<string>;

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

    const m = args.config.metrics;
    if (m.store === "amp") {
      const home = args.config.homeRegion;
      this.metricsWorkspace = new aws.amp.Workspace(
        `${name}-metrics`,
        { alias: `livepeer-fleet-${args.fleet}`, tags: { ...tags, Name: `${name}-metrics` } },
        // Months of the fleet's metrics: deleting the workspace deletes them.
        { ...child, protect: true },
      );
      // Region stacks read the id from the fleet file (metrics.ampWorkspaceId): a pin naming
      // another workspace would have every node write where this fleet never looks.
      const pinned = m.ampWorkspaceId;
      this.metricsRemoteWriteUrl = this.metricsWorkspace.id.apply((id) => {
        const deploying = !pulumi.runtime.isDryRun() && process.env[OFFLINE_PLAN_ENV] !== "1";
        if (deploying && pinned !== undefined && pinned !== id) {
          throw new pulumi.RunError(
            `livepeer-fleet:metrics.ampWorkspaceId is ${pinned}, but this fleet's workspace is ` +
              `${id}: set ${id} in the fleet file (region stacks write to the id it names)`,
          );
        }
        return ampRemoteWriteUrl(home, id);
      });
    }

    this.regionStacks = args.config.regions.map((r) => regionStackName(args.fleet, r));
    this.registerOutputs({
      regionStacks: this.regionStacks,
      driftRoleArn: this.driftRole.arn,
      metricsWorkspaceId: this.metricsWorkspace?.id,
      metricsRemoteWriteUrl: this.metricsRemoteWriteUrl,
    });
  }
}
