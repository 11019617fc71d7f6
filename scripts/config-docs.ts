// `npm run docs:config -- [--check]`: rewrites the "default" column of docs/config.md from the
// schema's defaults (lib/config/docs.ts). --check changes nothing and exits 1 when the column is
// out of date (test/docs.test.ts runs the same check).
import * as fs from "node:fs";
import * as path from "node:path";
import { helpText, parseFlags, runMain, EXIT_FINDING } from "../lib/cli";
import { syncDefaultsColumn } from "../lib/config/docs";

const USAGE = "npm run docs:config -- [--check]";
const HELP = helpText({
  usage: USAGE,
  about:
    "Sets the default column of docs/config.md from the config schema's defaults (keys without a " +
    "schema default keep their written text).",
  flags: [["--check", "change nothing; exit 1 if the column is out of date"]],
  finding: "the column is out of date (--check)",
});

export function main(argv: string[], projectDir: string): number {
  const f = parseFlags(argv, { check: "boolean" }, USAGE, HELP);
  const file = path.join(projectDir, "docs", "config.md");
  const doc = fs.readFileSync(file, "utf8");
  const next = syncDefaultsColumn(doc);
  if (next === doc) {
    process.stdout.write("docs/config.md: the default column matches the schema\n");
    return 0;
  }
  if (f.check) {
    process.stderr.write(
      "docs/config.md: the default column is out of date: npm run docs:config\n",
    );
    return EXIT_FINDING;
  }
  fs.writeFileSync(file, next);
  process.stdout.write("docs/config.md: default column rewritten from the schema\n");
  return 0;
}

if (require.main === module) {
  runMain(() => main(process.argv.slice(2), path.resolve(__dirname, "..")));
}
