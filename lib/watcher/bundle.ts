// Bundles the reward watcher Lambda with esbuild while the Pulumi program runs, so `pulumi up`
// needs no separate build step and the deployed code is always the code in this checkout.
// Everything it imports (ethers, the two AWS SDK clients) goes into the bundle: the function does
// not depend on whichever SDK version the Lambda runtime happens to ship.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { OFFLINE_PLAN_ENV } from "../runtime/releases";

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

/**
 * `npm run plan` builds the bundle once and hands its file and sha256 to every evaluation child
 * through these variables (esbuild takes ~0.3 s of CPU per build; twenty children would spend
 * six seconds making the same bytes). Honoured only in the offline plan: `pulumi up` always
 * bundles this checkout itself.
 */
export const PREBUILT_BUNDLE_ENV = "LIVEPEER_FLEET_WATCHER_BUNDLE";
export const PREBUILT_SHA256_ENV = "LIVEPEER_FLEET_WATCHER_BUNDLE_SHA256";

let cached: Bundle | undefined;

const sha256 = (code: string) => createHash("sha256").update(code).digest("hex");

export function bundleWatcher(): Bundle {
  if (cached) return cached;
  cached = prebuilt() ?? build();
  return cached;
}

/** The bundle `npm run plan` made, checked against its sha256; undefined outside the plan. */
function prebuilt(): Bundle | undefined {
  const file = process.env[PREBUILT_BUNDLE_ENV];
  if (!file || process.env[OFFLINE_PLAN_ENV] !== "1") return undefined;
  const code = fs.readFileSync(file, "utf8");
  const digest = sha256(code);
  if (digest !== process.env[PREBUILT_SHA256_ENV]) {
    throw new Error(`${file}: watcher bundle sha256 ${digest} is not the one the plan built`);
  }
  return { code, sha256: digest };
}

/**
 * Writes the bundle into dir for the plan's children; returns the environment that makes
 * bundleWatcher() read it instead of building.
 */
export function writePrebuiltBundle(dir: string): Record<string, string> {
  const b = bundleWatcher();
  const file = path.join(dir, "reward-watcher.js");
  fs.writeFileSync(file, b.code);
  return { [PREBUILT_BUNDLE_ENV]: file, [PREBUILT_SHA256_ENV]: b.sha256 };
}

function build(): Bundle {
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
  return { code, sha256: sha256(code) };
}
