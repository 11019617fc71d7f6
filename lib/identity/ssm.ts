// Writing secrets into SSM Parameter Store for the operator commands (identity:import,
// orch-secret): SecureStrings under the unit key, tagged with their unit, and replacements that
// leave no old value behind. The SSM client is injected (tests use a stand-in); no value is ever
// put in an error message.
import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
} from "@aws-sdk/client-ssm";

export type SsmCommand =
  | DescribeParametersCommand
  | PutParameterCommand
  | DeleteParameterCommand
  | GetParameterHistoryCommand;

/** The subset of the AWS SDK v3 SSMClient the commands use. */
export interface SsmSender {
  send(command: SsmCommand): Promise<unknown>;
}

/** A refusal: nothing written unless the message says so. */
export class SecretWriteError extends Error {
  override name = "SecretWriteError";
}

/**
 * "After deleting a parameter, wait for at least 30 seconds to create a parameter with the same
 * name." (SSM API Reference, DeleteParameter.)
 */
export const RECREATE_AFTER_DELETE_MS = 30_000;

/** The commands' real wait between delete and recreate, said out loud so nobody cancels it. */
export function sleepAfterDelete(ms: number): Promise<void> {
  process.stderr.write(`deleted; waiting ${ms / 1000} s before recreating (SSM DeleteParameter)\n`);
  return new Promise((resolve) => setTimeout(resolve, ms));
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

/** Names of the parameters that already exist. DescribeParameters never reads a value. */
export async function existingParameters(ssm: SsmSender, names: string[]): Promise<string[]> {
  const out = (await ssm.send(
    new DescribeParametersCommand({
      ParameterFilters: [{ Key: "Name", Option: "Equals", Values: names }],
    }),
  )) as { Parameters?: { Name?: string }[] };
  return (out.Parameters ?? []).map((p) => p.Name ?? "").filter((n) => names.includes(n));
}

export interface SecretValue {
  name: string;
  value: string;
  /** What it is, for the parameter's description (never the value). */
  what: string;
}

export interface WriteOptions {
  stack: string;
  /** The unit key's alias, alias/livepeer-fleet/<stack>. */
  kmsKeyId: string;
  /** The command that wrote them, for the description. */
  command: string;
  /** Replace existing parameters (delete, wait, recreate) instead of refusing. */
  replace: boolean;
  /** How to replace, for the refusal message (e.g. "pass --force"). */
  replaceHint: string;
  /** Waits `ms` (the real command sleeps; tests advance a clock). */
  wait: (ms: number) => Promise<void>;
}

export interface WriteResult {
  written: string[];
  /** Names deleted first (a replacement). */
  replaced: string[];
}

/**
 * Writes every value as a new SecureString (version 1) under the unit key, tagged with the unit.
 * A replacement deletes the old parameters first and recreates them, rather than overwriting:
 * an overwrite keeps every earlier version in the parameter's history, where GetParameterHistory
 * with decryption returns the old keystore and passphrase; a new parameter starts again at
 * version 1 (SSM User Guide, "Working with parameter versions"). Afterwards GetParameterHistory
 * must show exactly one version of each, or this fails loudly.
 */
export async function writeSecureStrings(
  ssm: SsmSender,
  values: SecretValue[],
  o: WriteOptions,
): Promise<WriteResult> {
  const names = values.map((v) => v.name);
  const secrets = values.map((v) => v.value);
  const fail = (what: string, err: unknown, done: string): never => {
    throw new SecretWriteError(`${what}: ${safeAwsError(err, secrets)}${done}`);
  };
  let found: string[] = [];
  try {
    found = await existingParameters(ssm, names);
  } catch (err) {
    fail("could not check for existing parameters", err, "");
  }
  if (found.length > 0 && !o.replace) {
    throw new SecretWriteError(`already in SSM: ${found.join(", ")}; ${o.replaceHint}`);
  }
  const replaced: string[] = [];
  for (const name of found) {
    try {
      await ssm.send(new DeleteParameterCommand({ Name: name }));
    } catch (err) {
      fail(
        `deleting ${name} failed`,
        err,
        replaced.length ? ` (deleted: ${replaced.join(", ")})` : "",
      );
    }
    replaced.push(name);
  }
  if (replaced.length > 0) await o.wait(RECREATE_AFTER_DELETE_MS);

  const written: string[] = [];
  const missing = () => names.filter((n) => !written.includes(n));
  for (const v of values) {
    try {
      await ssm.send(
        new PutParameterCommand({
          Name: v.name,
          Value: v.value,
          Type: "SecureString",
          KeyId: o.kmsKeyId,
          Overwrite: false,
          Tier: "Standard",
          Description: `livepeer-fleet ${o.stack}: ${v.what}, written by ${o.command}`,
          Tags: [{ Key: "livepeer-fleet:unit", Value: o.stack }],
        }),
      );
    } catch (err) {
      const state = replaced.length
        ? ` (deleted before: ${replaced.join(", ")}; not written now: ${missing().join(", ")}; re-run the command)`
        : written.length
          ? ` (already written: ${written.join(", ")}; re-run with the replace flag)`
          : "";
      fail(`writing ${v.name} failed`, err, state);
    }
    written.push(v.name);
  }

  for (const name of names) {
    let versions: number;
    try {
      const h = (await ssm.send(
        new GetParameterHistoryCommand({ Name: name, WithDecryption: false }),
      )) as { Parameters?: unknown[]; NextToken?: string };
      versions = (h.Parameters ?? []).length + (h.NextToken ? 1 : 0);
    } catch (err) {
      return fail(`checking the history of ${name} failed`, err, " (the values are written)");
    }
    if (versions !== 1) {
      throw new SecretWriteError(
        `${name}: GetParameterHistory shows ${versions} versions after the write, expected 1; ` +
          `delete the parameter (aws ssm delete-parameter) and run the command again`,
      );
    }
  }
  return { written, replaced };
}
