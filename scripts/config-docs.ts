// `npm run docs:config -- [--check]`: rewrites the generated parts of the docs: the "default"
// column of docs/config.md from the schema's defaults (lib/config/docs.ts), and the deploy-order
// checklist in README.md and docs/operations.md (lib/ops/deploy-order.ts). --check changes nothing
// and exits 1 when any is out of date (test/docs.test.ts and test/deploy-order.test.ts check too).
import * as fs from "node:fs";
import * as path from "node:path";
import { helpText, parseFlags, runMain, EXIT_FINDING } from "../lib/cli";
import { syncDefaultsColumn } from "../lib/config/docs";
import { replaceDeployOrder } from "../lib/ops/deploy-order";

const USAGE = "npm run docs:config -- [--check]";
const HELP = helpText({
  usage: USAGE,
  about:
    "Sets the default column of docs/config.md from the config schema's defaults (keys without a " +
    "schema default keep their written text) and the deploy-order checklist in README.md and " +
    "docs/operations.md from lib/ops/deploy-order.ts.",
  flags: [["--check", "change nothing; exit 1 if anything is out of date"]],
  finding: "a generated part is out of date (--check)",
});

const GENERATED: { file: string; what: string; sync: (doc: string) => string }[] = [
  { file: "docs/config.md", what: "the default column", sync: syncDefaultsColumn },
  { file: "README.md", what: "the deploy-order checklist", sync: replaceDeployOrder },
  { file: "docs/operations.md", what: "the deploy-order checklist", sync: replaceDeployOrder },
];

export function main(argv: string[], projectDir: string): number {
  const f = parseFlags(argv, { check: "boolean" }, USAGE, HELP);
  let stale = false;
  for (const g of GENERATED) {
    const file = path.join(projectDir, g.file);
    const doc = fs.readFileSync(file, "utf8");
    const next = g.sync(doc);
    if (next === doc) {
      process.stdout.write(`${g.file}: ${g.what} is up to date\n`);
    } else if (f.check) {
      process.stderr.write(`${g.file}: ${g.what} is out of date: npm run docs:config\n`);
      stale = true;
    } else {
      fs.writeFileSync(file, next);
      process.stdout.write(`${g.file}: ${g.what} rewritten\n`);
    }
  }
  return stale ? EXIT_FINDING : 0;
}

if (require.main === module) {
  runMain(() => main(process.argv.slice(2), path.resolve(__dirname, "..")));
}
