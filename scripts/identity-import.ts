// `npm run identity:import -- --stack NAME --role orchestrator|redeemer --keystore FILE
//    [--passphrase-file FILE] [--force]`
// Puts a keystore and its passphrase into SSM Parameter Store as SecureStrings under the region
// unit's KMS key, at the names the stack's chain node reads: the orchestrator's (only for the
// fleet's home region, whose chain node runs the reward service) or the region's redeemer's.
// Without --passphrase-file the passphrase is read from stdin (piped) or asked for with echo off;
// it is never a command-line argument. --force deletes and recreates existing parameters (no old
// version stays in their history). Exit 0 written, 2 refused (nothing written unless the message
// says otherwise), 64 wrong usage.
import * as fs from "node:fs";
import { SSMClient } from "@aws-sdk/client-ssm";
import * as path from "node:path";
import { helpText, parseFlags, runMain, UsageError } from "../lib/cli";
import { parseStackName, unitKeyAliasName } from "../lib/stack";
import { ConfigError, loadFleetConfig, loadRegionConfig } from "../lib/config/load";
import { readProjectConfig, readStackConfig } from "../lib/config/sources";
import { sleepAfterDelete } from "../lib/identity/ssm";
import { KEY_ROLES, type KeyRole, keyParameterNames } from "../lib/identity/names";
import { IdentityImportError, importIdentity, SsmSender } from "../lib/identity/import";

const USAGE =
  "npm run identity:import -- --stack NAME --role orchestrator|redeemer --keystore FILE " +
  "[--passphrase-file FILE] [--force]";

const HELP = helpText({
  usage: USAGE,
  about:
    "Puts the orchestrator keystore and its passphrase into SSM Parameter Store as SecureStrings " +
    "under the region unit's KMS key, where the stack's chain node reads them. Needs AWS " +
    "credentials. The passphrase comes from --passphrase-file, a pipe, or a prompt; never argv.",
  flags: [
    ["--stack NAME", "the region stack (required)"],
    ["--keystore FILE", "the go-livepeer keystore JSON (required)"],
    ["--passphrase-file FILE", "read the passphrase from FILE"],
    ["--force", "replace parameters that already hold a different key"],
  ],
});

export interface ImportDeps {
  projectDir: string;
  ssm: (region: string) => SsmSender;
  /** Used when there is no --passphrase-file. */
  readPassphrase: () => Promise<string>;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Waits between deleting and recreating a parameter (--force). */
  wait: (ms: number) => Promise<void>;
}

export async function main(argv: string[], deps: ImportDeps): Promise<number> {
  const f = parseFlags(
    argv,
    {
      stack: "string",
      role: "string",
      keystore: "string",
      "passphrase-file": "string",
      force: "boolean",
    },
    USAGE,
    HELP,
  );
  if (!f.stack || !f.keystore || !f.role) {
    throw new UsageError(`--stack, --role and --keystore are required\nusage: ${USAGE}`);
  }
  const keyRole = f.role as KeyRole;
  if (!KEY_ROLES.includes(keyRole)) {
    throw new UsageError(
      `--role must be orchestrator or redeemer, got "${f.role}"\nusage: ${USAGE}`,
    );
  }
  try {
    const role = parseStackName(f.stack);
    if (role.role !== "region") {
      throw new IdentityImportError(
        `${f.stack} is a fleet stack; the identity belongs to a region stack`,
      );
    }
    const stackValues = readStackConfig(deps.projectDir, f.stack);
    if (!stackValues) throw new IdentityImportError(`Pulumi.${f.stack}.yaml not found`);
    const projectValues = readProjectConfig(deps.projectDir);
    const config = loadRegionConfig(role, { stackValues, projectValues });
    if (keyRole === "orchestrator") {
      const fleet = parseStackName(role.fleet);
      const fleetValues = readStackConfig(deps.projectDir, role.fleet);
      if (fleet.role !== "fleet" || !fleetValues) {
        throw new IdentityImportError(`Pulumi.${role.fleet}.yaml (the fleet stack) not found`);
      }
      const home = loadFleetConfig(fleet, { stackValues: fleetValues, projectValues }).homeRegion;
      if (home !== role.region) {
        throw new IdentityImportError(
          `the orchestrator key lives only in the fleet's home region (${home}, ` +
            `livepeer-fleet:homeRegion in Pulumi.${role.fleet}.yaml), not in ${f.stack}: ` +
            `import this region's redeemer key with --role redeemer`,
        );
      }
    }
    const keystoreText = readFile(f.keystore, "keystore");
    const passphraseFile = f["passphrase-file"];
    const passphraseText =
      passphraseFile !== undefined
        ? readFile(passphraseFile, "passphrase")
        : await deps.readPassphrase();
    const target = {
      stack: f.stack,
      role: keyRole,
      names: keyParameterNames(config.identity.parameterPrefix, keyRole),
      kmsKeyId: `alias/${unitKeyAliasName(f.stack)}`,
      orchestratorAddress: config.livepeer.orchestratorAddress,
      redeemerAddress: config.livepeer.redeemerAddress,
    };
    const r = await importIdentity(
      deps.ssm(role.region),
      target,
      keystoreText,
      passphraseText,
      f.force,
      deps.wait,
    );
    deps.out(
      (r.replaced.length > 0 ? `deleted ${r.replaced.join(" and ")} with their history\n` : "") +
        `wrote ${r.written.join(" and ")} in ${role.region} (SecureString, KMS ${target.kmsKeyId}) ` +
        `for ${keyRole} ${r.address}\n` +
        `the chain node reads them at boot: replace it to pick up a new key (docs/operations.md)\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof IdentityImportError || err instanceof ConfigError) {
      deps.err(`identity:import refused: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

function readFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    // The code (ENOENT, EACCES) and the path only: never content.
    throw new IdentityImportError(
      `cannot read the ${what} file ${file} (${(err as NodeJS.ErrnoException).code})`,
    );
  }
}

/** Reads piped stdin whole, or asks on the terminal with echo off. */
async function readPassphraseFromStdin(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = "";
    for await (const chunk of stdin) text += String(chunk);
    return text;
  }
  process.stderr.write("keystore passphrase (not shown): ");
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  return new Promise((resolve, reject) => {
    let buf = "";
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") {
          stdin.setRawMode(false);
          stdin.off("data", onData);
          stdin.pause();
          process.stderr.write("\n");
          resolve(buf);
          return;
        }
        if (ch === "\u0003") {
          stdin.setRawMode(false);
          reject(new UsageError("cancelled"));
          return;
        }
        buf = ch === "\u007f" || ch === "\b" ? buf.slice(0, -1) : buf + ch;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}

if (require.main === module) {
  runMain(() =>
    main(process.argv.slice(2), {
      projectDir: path.resolve(__dirname, ".."),
      // Credentials from the standard chain (AWS_PROFILE, SSO, environment...).
      ssm: (region) => new SSMClient({ region }),
      readPassphrase: readPassphraseFromStdin,
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
      wait: sleepAfterDelete,
    }),
  );
}
