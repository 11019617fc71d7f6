// `npm run identity:import` logic: checks that a keystore is a JSON keystore v3 that the given
// passphrase decrypts, to the stack's orchestrator address (role orchestrator) or to the stack's
// redeemer account, never the orchestrator (role redeemer), then writes both as SSM SecureStrings under the
// region unit's KMS key, at the names the stack's chain node reads. Neither value is ever
// printed, logged, put in an error message or passed on a command line. The SSM client is
// injected, so tests use a stand-in.
import { decryptKeystoreJson, getAddress, isKeystoreJson } from "ethers";
import type { KeyRole } from "./names";
import { SecretWriteError, type SsmSender, writeSecureStrings } from "./ssm";

export type { SsmSender } from "./ssm";

export interface IdentityTarget {
  stack: string;
  role: KeyRole;
  /** SSM names (keyParameterNames of the stack's prefix and the role). */
  names: { keystore: string; passphrase: string };
  /** KMS key for the SecureStrings: the unit key's alias, alias/livepeer-fleet/<stack>. */
  kmsKeyId: string;
  /** The on-chain orchestrator address the stack is configured with. */
  orchestratorAddress: string;
  /** The region's redeemer account the stack is configured with (livepeer.redeemerAddress). */
  redeemerAddress: string;
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
 * Go's unicode.IsSpace (src/unicode/graphic.go): the Latin-1 spaces and the Unicode White_Space
 * property. strings.TrimSpace trims exactly these at both ends.
 */
const GO_SPACE =
  "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const GO_TRIMMED = new RegExp(`^[${GO_SPACE}]|[${GO_SPACE}]$`);

/**
 * The passphrase as written to SSM: the text without the one final newline a passphrase file
 * usually ends with. Refused when what is left starts or ends with whitespace: go-livepeer reads
 * -ethPassword through common.ReadFromFile, which returns strings.TrimSpace of the file
 * (go-livepeer common/readfromfile.go; eth/accountmanager.go Unlock), so such a passphrase would
 * import fine and never unlock the key on the node.
 */
export function passphraseOf(text: string): string {
  const passphrase = text.replace(/\r?\n$/, "");
  if (passphrase.length === 0) {
    refuse("the passphrase is empty: a blank passphrase leaves the key unprotected at rest");
  }
  if (GO_TRIMMED.test(passphrase)) {
    refuse(
      "the passphrase starts or ends with whitespace: go-livepeer trims the passphrase it reads " +
        "(common.ReadFromFile), so the node could never unlock this keystore; re-encrypt the key " +
        "with a passphrase without leading or trailing whitespace",
    );
  }
  return passphrase;
}

/** The keystore's address, if `passphrase` decrypts it; refuses otherwise. */
export async function unlock(
  keystoreJson: string,
  passphrase: string,
): Promise<{ address: string }> {
  try {
    const account = await decryptKeystoreJson(keystoreJson, passphrase);
    return { address: account.address };
  } catch {
    // ethers: "incorrect password" (or a corrupt keystore): say nothing more.
    return refuse("the passphrase does not decrypt the keystore (or the keystore is corrupt)");
  }
}

export { safeAwsError } from "./ssm";

export interface ImportResult {
  address: string;
  written: string[];
  /** Parameters deleted and recreated (--force). */
  replaced: string[];
}

const WHAT: Record<KeyRole, string> = {
  orchestrator: "orchestrator",
  redeemer: "redeemer",
};

/**
 * Validates, then writes keystore then passphrase. Refuses (IdentityImportError, nothing written)
 * when either parameter exists and `force` is false, when an orchestrator key is not the stack's
 * orchestrator, when a redeemer key is not the stack's redeemer account (the chain node refuses
 * it at boot: fetch-identity.sh), or when it is the orchestrator's: one account, one sender (go-livepeer
 * doc/multi-o.md; two processes sending from one account race on nonces). With `force` the
 * existing parameters are deleted and recreated, so their history keeps no old value.
 */
export async function importIdentity(
  ssm: SsmSender,
  target: IdentityTarget,
  keystoreText: string,
  passphraseText: string,
  force: boolean,
  wait: (ms: number) => Promise<void>,
): Promise<ImportResult> {
  // ethers checks the keystore's own `address` field against the decrypted key.
  const { json } = checkKeystore(keystoreText);
  const passphrase = passphraseOf(passphraseText);
  const { address } = await unlock(json, passphrase);
  const orchestrator = getAddress(target.orchestratorAddress);
  if (target.role === "orchestrator" && address !== orchestrator) {
    refuse(
      `the keystore holds ${address}, but ${target.stack} is configured for orchestrator ` +
        `${target.orchestratorAddress}: import that orchestrator's key, or fix ` +
        `livepeer-fleet:livepeer.orchestratorAddress in Pulumi.${target.stack}.yaml`,
    );
  }
  if (target.role === "redeemer" && address === orchestrator) {
    refuse(
      `the keystore holds the orchestrator's account ${address}: a redeemer needs its own ` +
        "account (one account, one sender; the reward service sends from the orchestrator's), " +
        'see docs/operations.md, "Key ceremony"',
    );
  }
  if (target.role === "redeemer" && address !== getAddress(target.redeemerAddress)) {
    refuse(
      `the keystore holds ${address}, but ${target.stack} is configured for redeemer account ` +
        `${target.redeemerAddress}: import that account's key, or fix ` +
        `livepeer-fleet:livepeer.redeemerAddress in Pulumi.${target.stack}.yaml`,
    );
  }
  const what = WHAT[target.role];
  try {
    const r = await writeSecureStrings(
      ssm,
      [
        { name: target.names.keystore, value: json, what: `${what} keystore (JSON v3)` },
        { name: target.names.passphrase, value: passphrase, what: `${what} keystore passphrase` },
      ],
      {
        stack: target.stack,
        kmsKeyId: target.kmsKeyId,
        command: "npm run identity:import",
        replace: force,
        replaceHint: `pass --force to replace them (see docs/operations.md, "Rotate the ${what} key")`,
        wait,
      },
    );
    return { address, written: r.written, replaced: r.replaced };
  } catch (err) {
    if (err instanceof SecretWriteError) refuse(err.message);
    throw err;
  }
}
