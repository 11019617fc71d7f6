// `pulumi up` runs on an operator's machine from a production install (`npm ci --omit=dev` must be
// enough): every module the program, the deploy gate and the watcher bundle import at deploy time,
// and the tools the engine and the gate run, must come from `dependencies`, never from
// `devDependencies` alone. The import graph is read by esbuild (the bundler the program itself uses
// for the watcher), the dev flags from package-lock.json (npm marks a package `dev: true` when only
// devDependencies reach it).
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";
import { buildSync } from "esbuild";
import { GATE_COMMAND } from "../components/deploy-gate";
import { WATCHER_ENTRY } from "../lib/watcher/bundle";
import { PROJECT_DIR } from "./helpers/program";

interface PackageJson {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
interface LockFile {
  packages: Record<string, { dev?: boolean; version?: string }>;
}

const pkg = JSON.parse(
  fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8"),
) as PackageJson;
const lock = JSON.parse(
  fs.readFileSync(path.join(PROJECT_DIR, "package-lock.json"), "utf8"),
) as LockFile;

/** What `pulumi up` executes: the program, the deploy gate's script, the watcher it bundles. */
const DEPLOY_ENTRIES = [
  path.join(PROJECT_DIR, "index.ts"),
  path.join(PROJECT_DIR, "scripts", "deploy-gate.ts"),
  WATCHER_ENTRY,
];

/**
 * Needed at deploy time but never imported by the program:
 * - typescript: the nodejs language host compiles index.ts with the project's TypeScript and falls
 *   back to a vendored 3.8 otherwise (@pulumi/pulumi tsutils.js typeScriptRequireStrings);
 * - @types/node: that compile type-checks (ts-node's default; cmd/run/run.js transpileOnly);
 * - tsx: the deploy gate's command (components/deploy-gate.ts GATE_COMMAND).
 */
const DEPLOY_TOOLS = ["typescript", "@types/node", "tsx"];

function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function importedPackages(): string[] {
  const result = buildSync({
    entryPoints: DEPLOY_ENTRIES,
    bundle: true,
    platform: "node",
    packages: "external",
    write: false,
    outdir: path.join(PROJECT_DIR, "bin", "deps-check"),
    metafile: true,
    logLevel: "silent",
  });
  const builtins = new Set(builtinModules);
  const out = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imp of input.imports) {
      // esbuild lists the edges of type-only imports as external relative paths: not packages.
      if (!imp.external || /^[./]/.test(imp.path)) continue;
      if (imp.path.startsWith("node:") || builtins.has(imp.path)) continue;
      out.add(packageOf(imp.path));
    }
  }
  return [...out].sort();
}

describe("deploy-time dependencies (what npm ci --omit=dev installs)", function () {
  const imported = importedPackages();

  it("finds the program's imports (sanity)", function () {
    expect(imported).to.include.members([
      "@pulumi/pulumi",
      "@pulumi/aws",
      "esbuild",
      "ethers",
      "@aws-sdk/client-elastic-load-balancing-v2",
      "@aws-sdk/client-auto-scaling",
      "@aws-sdk/client-ssm",
      "@aws-sdk/client-cloudwatch",
    ]);
  });

  for (const name of [...imported, ...DEPLOY_TOOLS]) {
    it(`${name}: in dependencies and installed without dev packages`, function () {
      expect(
        pkg.dependencies,
        `move ${name} from devDependencies to dependencies`,
      ).to.have.property(name);
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, `${name} in package-lock.json (run npm install)`).to.exist;
      expect(entry.dev, `${name} is dev-only in package-lock.json`).to.not.equal(true);
    });
  }

  it("runs the gate with the tsx of dependencies", function () {
    expect(GATE_COMMAND).to.match(/^\.\/node_modules\/\.bin\/tsx /);
  });

  it("type-checks the program without test-only type packages", function () {
    // ts-node loads tsconfig.json's compilerOptions.types at `pulumi up`: a name there that only a
    // devDependency provides fails the deploy with TS2688 after `npm ci --omit=dev`.
    const tsconfig = JSON.parse(
      fs.readFileSync(path.join(PROJECT_DIR, "tsconfig.json"), "utf8"),
    ) as {
      compilerOptions: { types?: string[] };
    };
    for (const t of tsconfig.compilerOptions.types ?? []) {
      expect(pkg.dependencies, `tsconfig types: ${t}`).to.have.property(`@types/${t}`);
    }
  });
});
