// Suites that need a Debian tool (shellcheck, haproxy, promtool, losetup...) call requireTools()
// in a `before` hook. Without the tool they skip LOUDLY; with CI_REQUIRE_TOOLS=1 (set by .ci/run)
// a missing tool fails the suite instead, so CI can never pass by skipping.
import { spawnSync } from "node:child_process";
import { BotocoreModels } from "../../lib/checks/botocore";

export function hasTool(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).status === 0;
}

export function requireTools(ctx: Mocha.Context, ...cmds: string[]): void {
  const missing = cmds.filter((c) => !hasTool(c));
  if (missing.length === 0) return;
  const msg = `missing tool(s): ${missing.join(", ")} (apt-get install them; .ci/run does)`;
  if (process.env.CI_REQUIRE_TOOLS === "1")
    throw new Error(`${msg}; CI_REQUIRE_TOOLS=1 forbids skipping`);
  console.warn(`\n  !!! SKIPPING "${ctx.test?.parent?.title ?? "suite"}": ${msg}\n`);
  ctx.skip();
}

/** Root is needed for loop devices and mounts; same skip/fail rule as a missing tool. */
export function requireRoot(ctx: Mocha.Context): void {
  if (process.getuid?.() === 0) return;
  const msg = "needs root (loop devices, mount)";
  if (process.env.CI_REQUIRE_TOOLS === "1")
    throw new Error(`${msg}; CI_REQUIRE_TOOLS=1 forbids skipping`);
  console.warn(`\n  !!! SKIPPING "${ctx.test?.parent?.title ?? "suite"}": ${msg}\n`);
  ctx.skip();
}

/**
 * The AWS API models (Debian's python3-botocore, lib/checks/botocore.ts); same skip/fail rule as a
 * missing tool.
 */
export function requireBotocore(ctx: Mocha.Context): void {
  if (new BotocoreModels().available()) return;
  const msg =
    "missing python3-botocore (its JSON API models; apt-get install python3-botocore, .ci/run does)";
  if (process.env.CI_REQUIRE_TOOLS === "1")
    throw new Error(`${msg}; CI_REQUIRE_TOOLS=1 forbids skipping`);
  console.warn(`\n  !!! SKIPPING "${ctx.test?.parent?.title ?? "suite"}": ${msg}\n`);
  ctx.skip();
}
