import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { NODE_KINDS, type NodeKind } from "../lib/runtime-contract";
import { buildBundle } from "../lib/node-bundle";
import type { BundleRef } from "../lib/runtime/values";
import type { UnitTags } from "./unit-scope";

export interface NodeFilesArgs {
  /** The unit's customer-managed key: every object is encrypted with it. */
  keyArn: pulumi.Input<string>;
  tags: UnitTags;
}

/**
 * Old bundle versions stay readable this long after a newer one replaced them: a launch template
 * version that still names one (an instance refresh rolling back, a scale-out during a deploy)
 * can still boot. Older ones expire, and the newest few are kept whatever their age.
 */
export const NONCURRENT_DAYS = 30;
export const NONCURRENT_KEPT = 5;

/** Object key of a kind's bundle; its version id (in the user data) pins the exact bytes. */
export function bundleKey(kind: NodeKind): string {
  return `node-files/${kind}.tar.gz`;
}

/**
 * The bucket policy: TLS only. The "only through the VPC's gateway endpoint" rule lives on the
 * instances' own Allow (bundleReadStatements), not here as a Deny for every principal: the
 * provider reads each object back after writing it (terraform-provider-aws
 * internal/service/s3/object.go resourceObjectRead -> findObjectByBucketAndKey -> HeadObject,
 * which needs s3:GetObject), from the deploying machine outside the VPC, so a bucket-wide Deny
 * would fail every `pulumi up` and refresh that touches a bundle.
 */
export function nodeFilesBucketPolicy(a: { bucketArn: string }): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TlsOnly",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [a.bucketArn, `${a.bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

/**
 * IAM statements that let one instance kind read its own bundle (and decrypt it through S3), only
 * through the VPC's S3 gateway endpoint: aws:SourceVpce is set on requests that arrive through it
 * (S3 user guide, "Controlling access from VPC endpoints with bucket policies"; the key is global,
 * IAM user guide "AWS global condition context keys"), so a stolen instance credential used
 * outside the VPC reads nothing.
 */
export function bundleReadStatements(a: {
  bucketArn: string;
  kind: NodeKind;
  keyArn: string;
  region: string;
  endpointId: string;
}): Record<string, unknown>[] {
  const object = `${a.bucketArn}/${bundleKey(a.kind)}`;
  return [
    {
      Sid: "ReadOwnNodeFiles",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: object,
      Condition: { StringEquals: { "aws:SourceVpce": a.endpointId } },
    },
    {
      // SSE-KMS objects are decrypted by S3 on the caller's behalf, with the object's ARN as the
      // encryption context (S3 user guide, "Using server-side encryption with AWS KMS keys").
      Sid: "DecryptOwnNodeFilesThroughS3",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: a.keyArn,
      Condition: {
        StringEquals: {
          "kms:ViaService": `s3.${a.region}.amazonaws.com`,
          "kms:EncryptionContext:aws:s3:arn": object,
        },
      },
    },
  ];
}

/**
 * The node runtime's delivery: a private, versioned, KMS-encrypted bucket of the unit with one
 * object per instance kind (lib/node-bundle.ts), which each kind's role may read only through the
 * VPC's S3 gateway endpoint (bundleReadStatements). User data names the bucket, key, version and sha256; the bootstrap refuses anything
 * else.
 */
export class NodeFiles extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly bundles: Record<NodeKind, pulumi.Output<BundleRef>>;

  constructor(name: string, args: NodeFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:nodes:NodeFiles", name, {}, opts);
    const child = { parent: this };
    const tagged = (n: string) => ({ ...args.tags, Name: n });

    this.bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        // Emptied with the stack: it holds only build artifacts, rebuilt by every deploy.
        forceDestroy: true,
        tags: tagged(`${name}-bucket`),
      },
      child,
    );
    const bucket = this.bucket.id;
    const block = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-block`,
      {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
      child,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, versioningConfiguration: { status: "Enabled" } },
      child,
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket,
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: "aws:kms",
              kmsMasterKeyId: args.keyArn,
            },
            // Off: with a bucket key the KMS context would be the bucket, and the instances'
            // decrypt grants could no longer be scoped to their own object.
            bucketKeyEnabled: false,
          },
        ],
      },
      child,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket,
        rules: [
          {
            id: "expire-old-bundles",
            status: "Enabled",
            filter: { prefix: "node-files/" },
            noncurrentVersionExpiration: {
              noncurrentDays: NONCURRENT_DAYS,
              newerNoncurrentVersions: NONCURRENT_KEPT,
            },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { ...child, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket,
        policy: this.bucket.arn.apply((bucketArn) =>
          JSON.stringify(nodeFilesBucketPolicy({ bucketArn })),
        ),
      },
      // The account's public-access block settles first, so the policy is never judged alone.
      { ...child, dependsOn: [block] },
    );

    const bundles = {} as Record<NodeKind, pulumi.Output<BundleRef>>;
    for (const kind of NODE_KINDS) {
      const built = buildBundle(kind);
      const object = new aws.s3.BucketObjectv2(
        `${name}-${kind}`,
        {
          bucket,
          key: bundleKey(kind),
          contentBase64: Buffer.from(built.bytes).toString("base64"),
          contentType: "application/gzip",
          serverSideEncryption: "aws:kms",
          kmsKeyId: args.keyArn,
          tags: { ...tagged(`${name}-${kind}`), "livepeer-fleet:sha256": built.sha256 },
        },
        { ...child, dependsOn: [versioning, encryption] },
      );
      bundles[kind] = pulumi
        .all([object.bucket, object.key, object.versionId])
        .apply(([b, key, versionId]): BundleRef => ({
          bucket: b,
          key,
          versionId: versionId ?? "",
          sha256: built.sha256,
        }));
    }
    this.bundles = bundles;
    this.registerOutputs({ bucket: this.bucket.id });
  }
}
