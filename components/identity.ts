import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface IdentityArgs {
  provider: aws.Provider;
  region: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** SSM path prefix, e.g. /livepeer-fleet/prod-us-east-1. */
  parameterPrefix: string;
  /** The unit key the SecureStrings are encrypted with. */
  keyArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** SSM parameter names of the orchestrator identity under a prefix. */
export function identityParameterNames(prefix: string): { keystore: string; passphrase: string } {
  return {
    keystore: `${prefix}/orchestrator/keystore`,
    passphrase: `${prefix}/orchestrator/passphrase`,
  };
}

/** The read grant: exactly the two parameters, and the unit key only through SSM. */
export function identityReadPolicy(a: {
  partition: string;
  region: string;
  accountId: string;
  keyArn: string;
  names: { keystore: string; passphrase: string };
}): Record<string, unknown> {
  const arn = (n: string) => `arn:${a.partition}:ssm:${a.region}:${a.accountId}:parameter${n}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadOrchestratorIdentity",
        Effect: "Allow",
        Action: ["ssm:GetParameter"],
        Resource: [arn(a.names.keystore), arn(a.names.passphrase)],
      },
      {
        Sid: "DecryptThroughSsmOnly",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: a.keyArn,
        Condition: { StringEquals: { "kms:ViaService": `ssm.${a.region}.amazonaws.com` } },
      },
    ],
  };
}

/**
 * The orchestrator identity: the SSM SecureString names for the on-chain orchestrator's keystore
 * and passphrase, and an IAM policy that reads exactly those. The values are put there by
 * `npm run identity:import` and never pass through Pulumi config or state, so this component
 * creates no parameter. Only the chain node (redeemer and reward caller) is granted the policy:
 * orchestrator nodes run with their own throwaway keys and -ethOrchAddr (go-livepeer doc/multi-o.md).
 */
export class Identity extends pulumi.ComponentResource {
  public readonly keystoreParameterName: string;
  public readonly passphraseParameterName: string;
  public readonly readPolicy: aws.iam.Policy;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:identity:Identity", name, {}, opts);
    const names = identityParameterNames(args.parameterPrefix);
    this.keystoreParameterName = names.keystore;
    this.passphraseParameterName = names.passphrase;

    this.readPolicy = new aws.iam.Policy(
      `${name}-read`,
      {
        description: "Read the orchestrator keystore and passphrase SecureStrings",
        policy: pulumi
          .all([args.partition, args.accountId, args.keyArn])
          .apply(([partition, accountId, keyArn]) =>
            JSON.stringify(
              identityReadPolicy({ partition, region: args.region, accountId, keyArn, names }),
            ),
          ),
        tags: { ...args.tags, Name: `${name}-read` },
      },
      { parent: this, provider: args.provider },
    );

    this.registerOutputs({
      keystoreParameterName: this.keystoreParameterName,
      passphraseParameterName: this.passphraseParameterName,
      readPolicyArn: this.readPolicy.arn,
    });
  }
}
