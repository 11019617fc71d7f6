// `npm run orch-secret -- --stack NAME [--rotate]`
// Creates the region unit's orchestrator secret (go-livepeer -orchSecret, shared by its
// orchestrators and transcoders): 32 random bytes from the operating system's CSPRNG, written
// straight into an SSM SecureString under the unit's KMS key. The value is never printed, never
// an argument, never in Pulumi state. --rotate replaces an existing secret (deleted and
// recreated: no old value stays in its history). Exit 0 written, 2 refused, 64 wrong usage.
import * as path from "node:path";
import { SSMClient } from "@aws-sdk/client-ssm";
import { parseFlags, runMain, UsageError } from "../lib/cli";
import { ConfigError, loadRegionConfig } from "../lib/config/load";
import { readProjectConfig, readStackConfig } from "../lib/config/sources";
import { orchSecretParameterName } from "../lib/identity/names";
import { OrchSecretError, writeOrchSecret } from "../lib/identity/orch-secret";
import { sleepAfterDelete, type SsmSender } from "../lib/identity/ssm";
import { parseStackName, unitKeyAliasName } from "../lib/stack";

const USAGE = "npm run orch-secret -- --stack NAME [--rotate]";

export interface OrchSecretDeps {
  projectDir: string;
  ssm: (region: string) => SsmSender;
  out: (text: string) => void;
  err: (text: string) => void;
  wait: (ms: number) => Promise<void>;
  /** The random source; the real command uses node:crypto randomBytes. */
  random?: (n: number) => Buffer;
}

export async function main(argv: string[], deps: OrchSecretDeps): Promise<number> {
  const f = parseFlags(argv, { stack: "string", rotate: "boolean" }, USAGE);
  if (!f.stack) throw new UsageError(`--stack is required\nusage: ${USAGE}`);
  try {
    const role = parseStackName(f.stack);
    if (role.role !== "region") {
      throw new OrchSecretError(
        `${f.stack} is a fleet stack; the secret belongs to a region stack`,
      );
    }
    const stackValues = readStackConfig(deps.projectDir, f.stack);
    if (!stackValues) throw new OrchSecretError(`Pulumi.${f.stack}.yaml not found`);
    const config = loadRegionConfig(role, {
      stackValues,
      projectValues: readProjectConfig(deps.projectDir),
    });
    const target = {
      stack: f.stack,
      name: orchSecretParameterName(config.identity.parameterPrefix),
      kmsKeyId: `alias/${unitKeyAliasName(f.stack)}`,
    };
    const r = await writeOrchSecret(
      deps.ssm(role.region),
      target,
      f.rotate,
      deps.wait,
      deps.random,
    );
    deps.out(
      `${r.replaced ? "replaced" : "wrote"} ${target.name} in ${role.region} ` +
        `(SecureString, KMS ${target.kmsKeyId}; the value is not shown)\n` +
        "orchestrators and transcoders read it at boot: replace both groups together to use it " +
        '(docs/operations.md, "Rotate the orchestrator secret")\n',
    );
    return 0;
  } catch (err) {
    if (err instanceof OrchSecretError || err instanceof ConfigError) {
      deps.err(`orch-secret refused: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  runMain(() =>
    main(process.argv.slice(2), {
      projectDir: path.resolve(__dirname, ".."),
      // Credentials from the standard chain (AWS_PROFILE, SSO, environment...).
      ssm: (region) => new SSMClient({ region }),
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
      wait: sleepAfterDelete,
    }),
  );
}
