// `npm run identity:import` logic: checks that a keystore is a JSON keystore v3 that the given
// passphrase decrypts to the stack's orchestrator address, then writes both as SSM SecureStrings
// under the region unit's KMS key, at the names the stack's nodes read. Neither value is ever
// printed, logged, put in an error message or passed on a command line. The SSM client is
// injected, so tests use a fake one.
import {
  DescribeParametersCommand,
  PutParameterCommand,
  type PutParameterCommandInput,
} from "@aws-sdk/client-ssm";
import { decryptKeystoreJson, getAddress, isKeystoreJson } from "ethers";

/** The subset of the AWS SDK v3 SSMClient this uses. */
export interface SsmSender {
  send(command: DescribeParametersCommand | PutParameterCommand): Promise<unknown>;
}

export interface IdentityTarget {
  stack: string;
  /** SSM names (identityParameterNames of the stack's prefix). */
  names: { keystore: string; passphrase: string };
  /** KMS key for the SecureStrings: the unit key's alias, alias/livepeer-fleet/<stack>. */
  kmsKeyId: string;
  /** The on-chain orchestrator address the stack is configured with. */
  orchestratorAddress: string;
}

export class IdentityImportError extends Error {
  override name = "IdentityImportError";
}

function refuse(msg: string): never {
  throw new IdentityImportError(msg);
}

/** Checks the file is keystore v3 JSON; returns it compacted. Never echoes its content. */
export function checkKeystore(text: string): { json: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input: never pass it on.
    refuse("the keystore file is not JSON (expected an Ethereum JSON keystore v3)");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    refuse("the keystore file is not a JSON object (expected an Ethereum JSON keystore v3)");
  }
  const k = parsed as Record<string, unknown>;
  const json = JSON.stringify(k);
  if (Number(k.version) !== 3 || !isKeystoreJson(json)) {
    refuse(
      `the keystore file is not a JSON keystore v3 (version: ${JSON.stringify(k.version ?? null)})`,
    );
  }
  const crypto = (k.crypto ?? k.Crypto) as Record<string, unknown> | undefined;
  const missing = ["cipher", "ciphertext", "cipherparams", "kdf", "kdfparams", "mac"].filter(
    (f) => crypto?.[f] === undefined,
  );
  if (missing.length > 0) refuse(`the keystore has no crypto.${missing.join(", crypto.")}`);
  return { json };
}

/**
 * The passphrase as written to SSM: a passphrase file usually ends with a newline that is not
 * part of the passphrase, so the stripped text is tried first, then the text as is.
 */
export async function unlock(
  keystoreJson: string,
  passphraseText: string,
): Promise<{ passphrase: string; address: string }> {
  const stripped = passphraseText.replace(/\r?\n$/, "");
  if (stripped.length === 0) {
    refuse("the passphrase is empty: a blank passphrase leaves the key unprotected at rest");
  }
  for (const candidate of [...new Set([stripped, passphraseText])]) {
    try {
      const account = await decryptKeystoreJson(keystoreJson, candidate);
      return { passphrase: candidate, address: account.address };
    } catch {
      // ethers: "incorrect password" (or a corrupt keystore); try the next form, say nothing.
    }
  }
  return refuse("the passphrase does not decrypt the keystore (or the keystore is corrupt)");
}

/** Names of the parameters that already exist. DescribeParameters never reads a value. */
async function existing(ssm: SsmSender, names: string[]): Promise<string[]> {
  const out = (await ssm.send(
    new DescribeParametersCommand({
      ParameterFilters: [{ Key: "Name", Option: "Equals", Values: names }],
    }),
  )) as { Parameters?: { Name?: string }[] };
  return (out.Parameters ?? []).map((p) => p.Name ?? "").filter((n) => names.includes(n));
}

/** An AWS error without anything that could echo a value (validation errors quote inputs). */
export function safeAwsError(err: unknown, secrets: string[]): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  let msg = String(e.message ?? "");
  for (const s of secrets) {
    if (s.length >= 4)
      msg = msg.split(s).join("[redacted]").split(JSON.stringify(s)).join("[redacted]");
  }
  msg = msg.replace(/Value '[^']*'/g, "Value '[redacted]'").slice(0, 300);
  const status = e.$metadata?.httpStatusCode;
  return `${e.name ?? "Error"}${status ? ` (HTTP ${status})` : ""}: ${msg}`;
}

export interface ImportResult {
  address: string;
  written: string[];
}

/**
 * Validates, then writes keystore then passphrase. Refuses (IdentityImportError, nothing written)
 * when either parameter exists and `force` is false, or when the key is not the stack's.
 */
export async function importIdentity(
  ssm: SsmSender,
  target: IdentityTarget,
  keystoreText: string,
  passphraseText: string,
  force: boolean,
): Promise<ImportResult> {
  // ethers checks the keystore's own `address` field against the decrypted key.
  const { json } = checkKeystore(keystoreText);
  const { passphrase, address } = await unlock(json, passphraseText);
  if (address !== getAddress(target.orchestratorAddress)) {
    refuse(
      `the keystore holds ${address}, but ${target.stack} is configured for orchestrator ` +
        `${target.orchestratorAddress}: import that orchestrator's key, or fix ` +
        `livepeer-fleet:livepeer.orchestratorAddress in Pulumi.${target.stack}.yaml`,
    );
  }
  const names = [target.names.keystore, target.names.passphrase];
  const secrets = [json, passphrase, passphraseText];
  let found: string[];
  try {
    found = await existing(ssm, names);
  } catch (err) {
    return refuse(`could not check for existing parameters: ${safeAwsError(err, secrets)}`);
  }
  if (found.length > 0 && !force) {
    refuse(
      `already in SSM: ${found.join(", ")}; pass --force to replace (see docs/operations.md, "Rotate the orchestrator key")`,
    );
  }
  const written: string[] = [];
  for (const [name, value, what] of [
    [target.names.keystore, json, "orchestrator keystore (JSON v3)"],
    [target.names.passphrase, passphrase, "orchestrator keystore passphrase"],
  ] as const) {
    const input: PutParameterCommandInput = {
      Name: name,
      Value: value,
      Type: "SecureString",
      KeyId: target.kmsKeyId,
      Overwrite: force,
      Tier: "Standard",
      Description: `livepeer-fleet ${target.stack}: ${what}, written by npm run identity:import`,
    };
    // SSM rejects Tags together with Overwrite; new parameters get the unit tag.
    if (!force) input.Tags = [{ Key: "livepeer-fleet:unit", Value: target.stack }];
    try {
      await ssm.send(new PutParameterCommand(input));
    } catch (err) {
      const done =
        written.length > 0 ? ` (already written: ${written.join(", ")}; re-run with --force)` : "";
      return refuse(`writing ${name} failed: ${safeAwsError(err, secrets)}${done}`);
    }
    written.push(name);
  }
  return { address, written };
}
