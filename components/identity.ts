import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

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

/** SSM parameter names of the orchestrator identity under a prefix. */
export function identityParameterNames(prefix: string): { keystore: string; passphrase: string } {
  return {
    keystore: `${prefix}/orchestrator/keystore`,
    passphrase: `${prefix}/orchestrator/passphrase`,
  };
}

/**
 * SSM parameter name of the orchestrator secret (go-livepeer -orchSecret), which orchestrators
 * and transcoders share: random, created by an operator command, never in state or user data.
 */
export function orchestratorSecretParameterName(prefix: string): string {
  return `${prefix}/transcoding/orch-secret`;
}

/** IAM statements that read one SecureString and decrypt it only through SSM. */
export function secretReadStatements(a: {
  partition: string;
  region: string;
  accountId: string;
  keyArn: string;
  parameterName: string;
  sid: string;
}): Record<string, unknown>[] {
  const arn = `arn:${a.partition}:ssm:${a.region}:${a.accountId}:parameter${a.parameterName}`;
  return [
    { Sid: a.sid, Effect: "Allow", Action: "ssm:GetParameter", Resource: arn },
    {
      // SSM encrypts each SecureString with its ARN as the encryption context.
      Sid: `${a.sid}Decrypt`,
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: a.keyArn,
      Condition: {
        StringEquals: {
          "kms:ViaService": `ssm.${a.region}.amazonaws.com`,
          "kms:EncryptionContext:PARAMETER_ARN": arn,
        },
      },
    },
  ];
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
  /** The orchestrator secret orchestrators and transcoders share (-orchSecret). */
  public readonly orchestratorSecretParameterName: string;
  public readonly readPolicy: aws.iam.Policy;

  constructor(name: string, args: IdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("livepeer-fleet:identity:Identity", name, {}, opts);
    const names = identityParameterNames(args.parameterPrefix);
    this.keystoreParameterName = names.keystore;
    this.passphraseParameterName = names.passphrase;
    this.orchestratorSecretParameterName = orchestratorSecretParameterName(args.parameterPrefix);

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
      { parent: this },
    );

    this.registerOutputs({
      keystoreParameterName: this.keystoreParameterName,
      passphraseParameterName: this.passphraseParameterName,
      readPolicyArn: this.readPolicy.arn,
    });
  }
}
