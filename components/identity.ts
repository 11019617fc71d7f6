import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { keyParameterNames, orchSecretParameterName } from "../lib/identity/names";
import { secretReadPolicy } from "../lib/iam/policies";

export interface IdentityArgs {
  region: string;
  accountId: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  /** SSM path prefix, e.g. /livepeer-fleet/prod-us-east-1. */
  parameterPrefix: string;
  /** The unit key the SecureStrings are encrypted with. */
  keyArn: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** SSM parameter names of the orchestrator identity under a prefix (lib/identity/names.ts). */
export function identityParameterNames(prefix: string): { keystore: string; passphrase: string } {
  return keyParameterNames(prefix, "orchestrator");
}

/**
 * The orchestrator identity's read grant: exactly the two parameters, and the unit key only
 * through SSM. Its decrypt right is not yet limited to the two parameters' encryption context
 * (secretReadPolicy does that for the other secrets): the chain node that holds it today is also
 * given every other read by AmazonSSMManagedInstanceCore, so narrowing it alone would change
 * nothing; it moves to secretReadPolicy when the serving-path split gives it to the home region's
 * chain node only.
 */
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
 * The unit's key material and shared secrets: the SSM SecureString names of the orchestrator's and
 * the redeemer's keystore and passphrase and of the orchestrator secret, and the IAM policies that
 * read exactly those. The values are put there by `npm run identity:import` and
 * `npm run orch-secret` and never pass through Pulumi config or state, so this component creates
 * no parameter. The orchestrator identity is for the home region's chain node (reward service),
 * the redeemer identity for each region's chain node (go-livepeer doc/multi-o.md), the
 * orchestrator secret for the orchestrators and transcoders (-orchSecret).
 */
export class Identity extends pulumi.ComponentResource {
  public readonly keystoreParameterName: string;
  public readonly passphraseParameterName: string;
  public readonly redeemerKeystoreParameterName: string;
  public readonly redeemerPassphraseParameterName: string;
  public readonly orchSecretParameterName: string;
  /** Reads the orchestrator keystore and passphrase. */
  public readonly readPolicy: aws.iam.Policy;
  /** Reads this unit's redeemer keystore and passphrase, decrypting only those. */
  public readonly redeemerReadPolicy: aws.iam.Policy;
  /** Reads this unit's orchestrator secret, decrypting only it. */
  public readonly orchSecretReadPolicy: aws.iam.Policy;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:identity:Identity", name, {}, opts);
    const names = identityParameterNames(args.parameterPrefix);
    const redeemer = keyParameterNames(args.parameterPrefix, "redeemer");
    this.keystoreParameterName = names.keystore;
    this.passphraseParameterName = names.passphrase;
    this.redeemerKeystoreParameterName = redeemer.keystore;
    this.redeemerPassphraseParameterName = redeemer.passphrase;
    this.orchSecretParameterName = orchSecretParameterName(args.parameterPrefix);
    const child = { parent: this };

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
      child,
    );

    const reader = (suffix: string, description: string, sid: string, parameters: string[]) =>
      new aws.iam.Policy(
        `${name}-${suffix}`,
        {
          description,
          policy: pulumi
            .all([args.partition, args.accountId, args.keyArn])
            .apply(([partition, accountId, keyArn]) =>
              JSON.stringify(
                secretReadPolicy({
                  partition,
                  region: args.region,
                  accountId,
                  keyArn,
                  names: parameters,
                  sid,
                }),
              ),
            ),
          tags: { ...args.tags, Name: `${name}-${suffix}` },
        },
        child,
      );
    this.redeemerReadPolicy = reader(
      "redeemer-read",
      "Read this region's redeemer keystore and passphrase SecureStrings",
      "RedeemerIdentity",
      [redeemer.keystore, redeemer.passphrase],
    );
    this.orchSecretReadPolicy = reader(
      "orch-secret-read",
      "Read the orchestrator secret shared by this region's orchestrators and transcoders",
      "OrchSecret",
      [this.orchSecretParameterName],
    );

    this.registerOutputs({
      keystoreParameterName: this.keystoreParameterName,
      passphraseParameterName: this.passphraseParameterName,
      redeemerKeystoreParameterName: this.redeemerKeystoreParameterName,
      redeemerPassphraseParameterName: this.redeemerPassphraseParameterName,
      orchSecretParameterName: this.orchSecretParameterName,
      readPolicyArn: this.readPolicy.arn,
      redeemerReadPolicyArn: this.redeemerReadPolicy.arn,
      orchSecretReadPolicyArn: this.orchSecretReadPolicy.arn,
    });
  }
}
