// The operator scripts' shared flag parser: `--name value`, `--name=value`, repeatable flags and
// booleans, with one UsageError that names the flag and the usage line. No dependency: four small
// scripts do not need a CLI framework.

export class UsageError extends Error {
  override name = "UsageError";
}

/** Exit code for a wrong command line (BSD sysexits EX_USAGE, as `npm run plan` uses). */
export const EXIT_USAGE = 64;

type FlagKind = "string" | "strings" | "boolean" | "integer";

export type FlagSpec = Record<string, FlagKind>;

type ValueOf<K extends FlagKind> = K extends "string"
  ? string | undefined
  : K extends "strings"
    ? string[]
    : K extends "boolean"
      ? boolean
      : number | undefined;

export type Flags<S extends FlagSpec> = { [K in keyof S]: ValueOf<S[K]> };

/** Parses argv against spec; throws UsageError (with `usage` appended) for anything else. */
export function parseFlags<S extends FlagSpec>(argv: string[], spec: S, usage: string): Flags<S> {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(spec)) {
    out[name] = kind === "strings" ? [] : kind === "boolean" ? false : undefined;
  }
  const fail = (msg: string): never => {
    throw new UsageError(`${msg}\nusage: ${usage}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) fail(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (kind === undefined) fail(`unknown flag --${name}`);
    if (kind === "boolean") {
      if (eq >= 0) fail(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) {
      fail(`--${name} needs a value`);
    }
    if (kind === "strings") (out[name] as string[]).push(value);
    else if (kind === "integer") {
      if (!/^\d+$/.test(value)) fail(`--${name} expects a whole number, got "${value}"`);
      out[name] = Number(value);
    } else {
      if (out[name] !== undefined) fail(`--${name} given twice`);
      out[name] = value;
    }
  }
  return out as Flags<S>;
}

/** Runs a script's main and exits with its code; unexpected errors print and exit 2. */
export function runMain(main: () => Promise<number> | number): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => exitAfterFlush(code),
      (err: unknown) => {
        if (err instanceof UsageError) {
          process.stderr.write(`${err.message}\n`);
          return exitAfterFlush(EXIT_USAGE);
        }
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        exitAfterFlush(2);
      },
    );
}

/**
 * Exiting a CLI: process.exit() right after a large write to a pipe truncates the output (stdout
 * to a pipe is asynchronous), so flush both streams first.
 */
export function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
