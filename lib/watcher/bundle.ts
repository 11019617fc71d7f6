// Bundles the reward watcher Lambda with esbuild while the Pulumi program runs, so `pulumi up`
// needs no separate build step and the deployed code is always the code in this checkout.
// Everything it imports (ethers, the two AWS SDK clients) goes into the bundle: the function does
// not depend on whichever SDK version the Lambda runtime happens to ship.
import { createHash } from "node:crypto";
import * as path from "node:path";
import { buildSync } from "esbuild";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const WATCHER_ENTRY = path.join(PROJECT_ROOT, "scripts", "reward-watcher-lambda.ts");
/**
 * The watcher Lambda's runtime: the newest Node.js runtime both @pulumi/aws's Runtime enum and AWS
 * Lambda offer. AWS's "Lambda runtimes" page (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html)
 * lists nodejs24.x (Amazon Linux 2023) with deprecation on Apr 30, 2028 and function updates blocked
 * from Jul 1, 2028; nodejs20.x was deprecated Apr 30, 2026 (creating functions blocked from Aug 31,
 * 2026) and nodejs22.x follows on Apr 30, 2027. A deprecated runtime stops first `pulumi up` (create)
 * and then every later one (update), so move on before those dates.
 */
export const WATCHER_RUNTIME = "nodejs24.x";
/** Node.js major the bundle targets: the runtime's (esbuild `target`). */
export const WATCHER_NODE_TARGET = `node${/^nodejs(\d+)\.x$/.exec(WATCHER_RUNTIME)![1]}`;

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
