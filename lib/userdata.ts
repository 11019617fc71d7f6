// Renders an instance's EC2 user data: a short bash script that writes /etc/livepeer-fleet/node.env
// (validated, single-quoted, no secrets) and scripts/node/bootstrap.sh, then runs the bootstrap,
// which fetches the kind's node-file bundle from the unit's bucket, checks its sha256 and runs
// boot-<kind>.sh from it (lib/node-bundle.ts, components/node-files.ts). A kind with a boot
// deadline (LF_BOOT_DEADLINE_SECONDS: the chain node) also gets scripts/node/boot-deadline.sh,
// armed before the bootstrap runs. Secrets never pass through here: the instances fetch them from
// SSM themselves.
import * as fs from "node:fs";
import * as path from "node:path";
import { NODE_DIR } from "./node-bundle";

/** EC2's user data limit, counted before base64. */
export const USER_DATA_LIMIT = 16384;
export const ENV_FILE = "/etc/livepeer-fleet/node.env";
export const BOOTSTRAP_PATH = "/usr/local/sbin/livepeer-fleet-bootstrap";
/**
 * scripts/node/boot-deadline.sh, for the kinds whose env sets LF_BOOT_DEADLINE_SECONDS (the chain
 * node): in user data because it must work when the bundle never arrives.
 */
export const BOOT_DEADLINE_PATH = "/usr/local/sbin/livepeer-fleet-boot-deadline";

export class UnsafeValueError extends Error {
  override name = "UnsafeValueError";
}

// No quote, backslash, $, backtick or newline: safe inside '...' for bash and for systemd's
// EnvironmentFile parser, and safe as a word in a unit's ExecStart after expansion.
const SAFE = /^[A-Za-z0-9 ._:/@=+,-]*$/;

export type EnvValue = string | number | boolean;
export type Env = [string, EnvValue][];

/** One `KEY='value'` line; throws on anything that could escape the quotes. */
export function envLine(key: string, value: EnvValue): string {
  if (!/^LF_[A-Z0-9_]+$/.test(key)) throw new UnsafeValueError(`bad variable name ${key}`);
  const v = String(value);
  if (!SAFE.test(v) || v.length > 2048) {
    throw new UnsafeValueError(
      `${key}: value longer than 2048 or with characters outside [A-Za-z0-9 ._:/@=+,-]`,
    );
  }
  return `${key}='${v}'`;
}

export interface RenderedUserData {
  /** The script (what EC2 stores and the plan and tests read). */
  script: string;
  /** What the launch template's userData input takes. */
  base64: string;
}

function heredoc(dest: string, content: string, mode: string, tag: string): string {
  if (content.split("\n").includes(tag)) throw new UnsafeValueError(`${dest} contains ${tag}`);
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `cat >${dest} <<'${tag}'\n${body}${tag}\nchmod ${mode} ${dest}\n`;
}

/**
 * The user data of one instance kind: its env file, the bootstrap, and a run of it (with the boot
 * deadline armed first when the env sets one).
 */
export function renderUserData(env: Env, nodeDir = NODE_DIR): RenderedUserData {
  const keys = env.map(([k]) => k);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new UnsafeValueError(`${dup} set twice`);
  const kind = env.find(([k]) => k === "LF_KIND")?.[1];
  if (kind === undefined) throw new UnsafeValueError("LF_KIND is required");
  const deadline = env.find(([k]) => k === "LF_BOOT_DEADLINE_SECONDS")?.[1];
  if (deadline !== undefined && !/^[1-9]\d*$/.test(String(deadline))) {
    throw new UnsafeValueError("LF_BOOT_DEADLINE_SECONDS must be a positive whole number");
  }
  const script = [
    "#!/bin/bash\n",
    `# livepeer-fleet ${String(kind)} user data (lib/userdata.ts): validated values, no secrets.\n`,
    "set -euo pipefail\numask 022\n",
    `install -d -m 0755 ${path.posix.dirname(ENV_FILE)}\n`,
    heredoc(ENV_FILE, env.map(([k, v]) => envLine(k, v)).join("\n"), "0644", "LF_ENV_EOF"),
    heredoc(
      BOOTSTRAP_PATH,
      fs.readFileSync(path.join(nodeDir, "bootstrap.sh"), "utf8"),
      "0755",
      "LF_BOOTSTRAP_EOF",
    ),
    ...(deadline === undefined
      ? [`exec ${BOOTSTRAP_PATH}\n`]
      : [
          heredoc(
            BOOT_DEADLINE_PATH,
            fs.readFileSync(path.join(nodeDir, "boot-deadline.sh"), "utf8"),
            "0755",
            "LF_DEADLINE_EOF",
          ),
          // Armed before anything can fail; a boot that fails outright reports at once instead
          // of waiting for the deadline.
          `${BOOT_DEADLINE_PATH} arm ${String(deadline)}\n`,
          `${BOOTSTRAP_PATH} || exec ${BOOT_DEADLINE_PATH} expire\n`,
        ]),
  ].join("");
  const bytes = Buffer.byteLength(script);
  if (bytes > USER_DATA_LIMIT) {
    throw new Error(`${String(kind)} user data is ${bytes} bytes, over EC2's ${USER_DATA_LIMIT}`);
  }
  return { script, base64: Buffer.from(script).toString("base64") };
}

/** Parses a rendered env file back (tests and the plan read what an instance would get). */
export function parseEnv(script: string): Record<string, string> {
  const m = /<<'LF_ENV_EOF'\n([\s\S]*?)\nLF_ENV_EOF/.exec(script);
  if (!m) throw new Error("no env file in this user data");
  const out: Record<string, string> = {};
  for (const line of m[1].split("\n")) {
    const kv = /^(LF_[A-Z0-9_]+)='(.*)'$/.exec(line);
    if (!kv) throw new Error(`unexpected env line: ${line}`);
    out[kv[1]] = kv[2];
  }
  return out;
}
