// `npm run orch-secret` logic: the orchestrator secret (go-livepeer -orchSecret) that the unit's
// orchestrators and transcoders share. Made here from a CSPRNG and written straight into an SSM
// SecureString under the unit key: it is never printed, never on a command line, never in Pulumi
// config or state. The SSM client and the random source are injected (tests use stand-ins).
import { randomBytes } from "node:crypto";
import { type SsmSender, SecretWriteError, writeSecureStrings } from "./ssm";

/** 256 bits: the secret authenticates transcoders and AI workers to an internet-facing process. */
export const ORCH_SECRET_BYTES = 32;

/**
 * Lowercase hex of `bytes` random bytes. Hex because go-livepeer sends the secret in an HTTP
 * header (server/ot_rpc.go, ai_worker.go: `Credentials`) and reads it through
 * common.ReadFromFile, which trims whitespace: hex has neither header-unsafe characters nor
 * whitespace.
 */
export function newOrchSecret(random: (n: number) => Buffer = randomBytes): string {
  const b = random(ORCH_SECRET_BYTES);
  if (b.length !== ORCH_SECRET_BYTES) throw new Error("the random source returned too few bytes");
  return b.toString("hex");
}

export class OrchSecretError extends Error {
  override name = "OrchSecretError";
}

export interface OrchSecretTarget {
  stack: string;
  name: string;
  kmsKeyId: string;
}

/**
 * Writes a new secret. Without `rotate`, refuses when one exists; with it, deletes the old one
 * and recreates it so its history keeps no old value.
 */
export async function writeOrchSecret(
  ssm: SsmSender,
  target: OrchSecretTarget,
  rotate: boolean,
  wait: (ms: number) => Promise<void>,
  random?: (n: number) => Buffer,
): Promise<{ replaced: boolean }> {
  try {
    const r = await writeSecureStrings(
      ssm,
      [
        {
          name: target.name,
          value: newOrchSecret(random),
          what: "orchestrator secret (-orchSecret)",
        },
      ],
      {
        stack: target.stack,
        kmsKeyId: target.kmsKeyId,
        command: "npm run orch-secret",
        replace: rotate,
        replaceHint:
          'pass --rotate to replace it (see docs/operations.md, "Rotate the orchestrator secret")',
        wait,
      },
    );
    return { replaced: r.replaced.length > 0 };
  } catch (err) {
    if (err instanceof SecretWriteError) throw new OrchSecretError(err.message);
    throw err;
  }
}
