// Bundles the reward watcher Lambda with esbuild while the Pulumi program runs, so `pulumi up`
// needs no separate build step and the deployed code is always the code in this checkout.
// Everything it imports (ethers, the two AWS SDK clients) goes into the bundle: the function does
// not depend on whichever SDK version the Lambda runtime happens to ship.
import { createHash } from "node:crypto";
import * as path from "node:path";
import { buildSync } from "esbuild";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const WATCHER_ENTRY = path.join(PROJECT_ROOT, "scripts", "reward-watcher-lambda.ts");
/** Node.js major the bundle targets; the function's runtime must match (nodejs20.x). */
export const WATCHER_NODE_TARGET = "node20";

export interface Bundle {
  /** index.js: CommonJS, exports handler and makeHandler. */
  code: string;
  sha256: string;
}

let cached: Bundle | undefined;

export function bundleWatcher(): Bundle {
  if (cached) return cached;
  const result = buildSync({
    entryPoints: [WATCHER_ENTRY],
    bundle: true,
    platform: "node",
    target: WATCHER_NODE_TARGET,
    format: "cjs",
    write: false,
    // Paths in the output relative to the project: the same checkout bundles to the same bytes
    // on every machine, so an unchanged watcher is never a diff.
    absWorkingDir: PROJECT_ROOT,
    legalComments: "none",
    logLevel: "silent",
  });
  const code = result.outputFiles[0].text;
  cached = { code, sha256: createHash("sha256").update(code).digest("hex") };
  return cached;
}
