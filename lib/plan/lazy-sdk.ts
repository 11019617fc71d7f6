// The Pulumi SDK modules the plan's evaluation child registers lazily (lib/plan/child-init.ts).
// Kept apart so tests can read the list without registering anything in their own process.
import Module from "node:module";
import * as path from "node:path";

// The SDK's closure serializer. runtime/index.ts requires runtime/closure/serializeClosure.ts
// and runtime/closure/codePaths.ts at load time; the first pulls in the TypeScript compiler
// (parseFunction.ts -> typescript-shim.ts), the second npm's @npmcli/arborist with pacote and
// sigstore. Only serializeFunction and computeCodePaths use them: they turn a JavaScript
// callback into Lambda code, which this program never does (the watcher Lambda is an esbuild
// bundle, lib/watcher/bundle.ts). Here both modules are registered as their exported functions,
// each loading the real module on its first call, so a future caller still gets the real thing.
// test/plan.test.ts checks that these names are still every export the SDK's modules have.
export const LAZY_SDK_MODULES: Record<string, readonly string[]> = {
  "runtime/closure/serializeClosure.js": ["serializeFunction", "serializeFunctionAsync"],
  "runtime/closure/codePaths.js": ["computeCodePaths", "findWorkspaceRoot"],
};

export const SDK_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));

function registerLazy(file: string, names: readonly string[]): void {
  let real: Record<string, (...args: unknown[]) => unknown> | undefined;
  const stub = new Module(file);
  const load = () => {
    if (!real) {
      delete require.cache[file];
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known at run time
      real = require(file) as Record<string, (...args: unknown[]) => unknown>;
      require.cache[file] = stub;
    }
    return real;
  };
  const exports: Record<string, unknown> = {};
  Object.defineProperty(exports, "__esModule", { value: true });
  for (const name of names) exports[name] = (...args: unknown[]) => load()[name](...args);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = exports;
  require.cache[file] = stub;
}

/** Registers every LAZY_SDK_MODULES entry; call before the SDK is first imported. */
export function registerLazySdkModules(): void {
  for (const [rel, names] of Object.entries(LAZY_SDK_MODULES)) {
    registerLazy(path.join(SDK_DIR, rel), names);
  }
}
