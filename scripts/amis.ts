// `npm run amis -- --stack NAME [--write]`
// Looks up the current AMI id of each image kind the region stack boots (the SSM public parameters
// in lib/config/schema.ts AMI_PARAMETERS, read in the stack's region) and prints them next to what
// the stack pins; with --write it pins them in Pulumi.<stack>.yaml (livepeer-fleet:amis), keeping
// every other line. A read-only AWS call: credentials for the account, any role that may read
// public parameters. Exit 0 done, 2 refused or lookup failed (nothing written), 64 usage.
import * as fs from "node:fs";
import * as path from "node:path";
import { SSMClient } from "@aws-sdk/client-ssm";
import { parseFlags, runMain, UsageError } from "../lib/cli";
import { ConfigError } from "../lib/config/load";
import { AmiParameterConflict } from "../lib/config/amis";
import { StackNameError } from "../lib/stack";
import { loadStack } from "../lib/ops/stack-config";
import { applyAll } from "../lib/ops/files";
import { YamlEditError } from "../lib/ops/yaml-edit";
import {
  AmiLookupError,
  describePins,
  lookUpAmis,
  pinAmis,
  SsmParameterReader,
} from "../lib/ops/amis";

const USAGE = "npm run amis -- --stack NAME [--write]";
export const EXIT_REFUSED = 2;

export interface AmisDeps {
  projectDir: string;
  ssm: (region: string) => SsmParameterReader;
  out: (text: string) => void;
  err: (text: string) => void;
}

export async function main(argv: string[], deps: AmisDeps): Promise<number> {
  const f = parseFlags(argv, { stack: "string", write: "boolean" }, USAGE);
  if (!f.stack) throw new UsageError(`--stack is required\nusage: ${USAGE}`);
  try {
    const s = loadStack(deps.projectDir, f.stack);
    if (s.kind !== "region") {
      throw new AmiLookupError(`${f.stack} is a fleet stack; AMIs are pinned per region stack`);
    }
    const pins = await lookUpAmis(s.config, deps.ssm(s.role.region));
    const lines = describePins(pins);
    if (!f.write) {
      deps.out(
        `${[...lines, `dry run: add --write to pin these in ${path.basename(s.file)}`].join("\n")}\n`,
      );
      return 0;
    }
    const text = fs.readFileSync(s.file, "utf8");
    const next = pinAmis(text, pins);
    if (next === text) {
      deps.out(`${[...lines, `${path.basename(s.file)} already pins these`].join("\n")}\n`);
      return 0;
    }
    applyAll([{ file: s.file, content: next, mode: "replace" }]);
    deps.out(
      `${[...lines, `wrote ${path.basename(s.file)}: review the diff and commit it`].join("\n")}\n`,
    );
    return 0;
  } catch (err) {
    const known = [
      ConfigError,
      StackNameError,
      AmiLookupError,
      AmiParameterConflict,
      YamlEditError,
    ];
    if (known.some((k) => err instanceof k)) {
      deps.err(`amis: ${(err as Error).message}\n`);
      return EXIT_REFUSED;
    }
    const e = err as { name?: string; message?: string };
    if (e.name && e.message) {
      // An AWS SDK error (credentials, network, throttling): nothing was written.
      deps.err(`amis: could not read the public parameters: ${e.name}: ${e.message}\n`);
      return EXIT_REFUSED;
    }
    throw err;
  }
}

if (require.main === module) {
  runMain(() =>
    main(process.argv.slice(2), {
      projectDir: path.resolve(__dirname, ".."),
      ssm: (region) => new SSMClient({ region }),
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
    }),
  );
}
