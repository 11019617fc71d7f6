// Renders scripts/node/chain-restart.sh into the SSM command document the nightly maintenance window
// runs. The one place values enter the script: each is validated, then single-quoted.
import * as fs from "node:fs";
import * as path from "node:path";
import { CHAIN_HEALTH_PORT, UNITS } from "../runtime-contract";

export const RESTART_SCRIPT = path.resolve(
  __dirname,
  "..",
  "..",
  "scripts",
  "node",
  "chain-restart.sh",
);

/**
 * Where the chain node mounts its persistent data volume (scripts/node/boot-chain.sh DATA, the
 * chain client units' RequiresMountsFor).
 */
export const CHAIN_DATA_DIR = "/var/lib/chain-data";

export interface RestartSettings {
  chainUnit: string;
  proxyUnit: string;
  /** The chain node's own health endpoint: 200 when the local client is synced and fresh. */
  healthUrl: string;
  syncTimeoutSeconds: number;
  pollSeconds: number;
  /** File on the data volume the job writes once it has seen the client synced. */
  firstSyncMarker: string;
}

/** What the unit runs: the runtime contract's unit names and the chain node's health endpoint. */
export function defaultRestartSettings(syncTimeoutMinutes: number): RestartSettings {
  return {
    chainUnit: UNITS.chainClient,
    proxyUnit: UNITS.rpcProxy,
    healthUrl: `http://127.0.0.1:${CHAIN_HEALTH_PORT}/healthz`,
    syncTimeoutSeconds: syncTimeoutMinutes * 60,
    pollSeconds: 10,
    firstSyncMarker: `${CHAIN_DATA_DIR}/.livepeer-fleet-first-sync-done`,
  };
}

/**
 * Seconds systemd may take to stop and start the client before the wait for sync even begins:
 * chain clients get a long stop timeout to flush their databases (minutes, not seconds).
 */
export const STOP_START_ALLOWANCE_SECONDS = 15 * 60;

const SAFE = /^[A-Za-z0-9@%+=:,./_-]+$/;
const HEREDOC = "LIVEPEER_FLEET_CHAIN_RESTART";

function assertSafe(name: string, v: string): string {
  if (!SAFE.test(v)) throw new Error(`${name}: unsafe value for the restart script: ${v}`);
  return v;
}

function assertSeconds(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > 24 * 3600) {
    throw new Error(`${name}: expected whole seconds 1-86400, got ${v}`);
  }
  return v;
}

/** The script with its settings as shell assignments right after `set -euo pipefail`. */
export function renderRestartScript(s: RestartSettings): string {
  const settings = [
    "# Settings rendered by lib/maintenance/restart-document.ts.",
    `CHAIN_UNIT='${assertSafe("chainUnit", s.chainUnit)}'`,
    `PROXY_UNIT='${assertSafe("proxyUnit", s.proxyUnit)}'`,
    `HEALTH_URL='${assertSafe("healthUrl", s.healthUrl)}'`,
    `SYNC_TIMEOUT_SECONDS='${assertSeconds("syncTimeoutSeconds", s.syncTimeoutSeconds)}'`,
    `POLL_SECONDS='${assertSeconds("pollSeconds", s.pollSeconds)}'`,
    `FIRST_SYNC_MARKER='${assertSafe("firstSyncMarker", s.firstSyncMarker)}'`,
  ].join("\n");
  const source = fs.readFileSync(RESTART_SCRIPT, "utf8");
  const marker = "set -euo pipefail\n";
  if (!source.includes(marker)) throw new Error(`${RESTART_SCRIPT}: no "${marker.trim()}" line`);
  const script = source.replace(marker, `${marker}\n${settings}\n`);
  // SSM expands {{ name }} in documents; the heredoc delimiter must not occur in the script.
  if (script.includes("{{") || script.includes(HEREDOC)) {
    throw new Error(`${RESTART_SCRIPT}: contains "{{" or the heredoc delimiter`);
  }
  return script;
}

/**
 * The runCommand lines: POSIX sh (whatever shell the SSM agent uses) writes the script to a
 * private temporary file and runs it with bash, so the script's exit status is the command's.
 */
export function restartCommandLines(s: RestartSettings): string[] {
  return [
    "set -e",
    'script="$(mktemp)"',
    "trap 'rm -f \"$script\"' EXIT",
    `cat > "$script" <<'${HEREDOC}'`,
    ...renderRestartScript(s).trimEnd().split("\n"),
    HEREDOC,
    'bash "$script"',
  ];
}

/** The SSM Command document (schema 2.2) as JSON text. */
export function restartDocument(s: RestartSettings): string {
  return JSON.stringify(
    {
      schemaVersion: "2.2",
      description:
        "Restart the chain client once it has finished its first sync, wait (bounded) until the chain node reports it synced again, fail otherwise.",
      mainSteps: [
        {
          action: "aws:runShellScript",
          name: "restartChainClient",
          precondition: { StringEquals: ["platformType", "Linux"] },
          inputs: {
            // Past this the agent kills the step and the invocation fails (TimedOut).
            timeoutSeconds: String(s.syncTimeoutSeconds + STOP_START_ALLOWANCE_SECONDS),
            runCommand: restartCommandLines(s),
          },
        },
      ],
    },
    null,
    2,
  );
}
