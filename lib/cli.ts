// The operator commands' shared command line: one flag parser (`--name value`, `--name=value`,
// repeatable flags and booleans), `--help` on every command, one UsageError that names the flag
// and the usage line, and one set of exit codes (docs/cli.md). No dependency: a handful of small
// scripts do not need a CLI framework.

export class UsageError extends Error {
  override name = "UsageError";
}

/** `--help` was given: the command prints this text on stdout and exits 0. */
export class HelpRequested extends Error {
  override name = "HelpRequested";
  constructor(readonly text: string) {
    super(text);
  }
}

/** Every command exits with one of these (docs/cli.md#exit-codes). */
export const EXIT_OK = 0;
/** The command ran and found something: drift, an alert, a plan short of demand. */
export const EXIT_FINDING = 1;
/** The command could not do its job: invalid config, unreachable service, refused change. */
export const EXIT_COULD_NOT_RUN = 2;
/** Wrong command line (BSD sysexits EX_USAGE). */
export const EXIT_USAGE = 64;

/** Where the exit codes are documented, once for every command. */
export const EXIT_CODES_DOC = "docs/cli.md#exit-codes";

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

export interface HelpText {
  /** The usage line, e.g. `npm run plan -- [--stack NAME]... [--json]`. */
  usage: string;
  /** One or two sentences: what the command does. */
  about: string;
  /** Each flag and what it does, in the order to print. */
  flags?: [string, string][];
  /** What exit code 1 means for this command, when it can happen. */
  finding?: string;
}

/** The --help text every command prints: usage, what it does, flags, exit codes. */
export function helpText(h: HelpText): string {
  const lines = [`usage: ${h.usage}`];
  if (h.about) lines.push("", h.about);
  if (h.flags && h.flags.length > 0) {
    lines.push("");
    const width = Math.max(...h.flags.map(([f]) => f.length));
    for (const [flag, what] of h.flags) lines.push(`  ${flag.padEnd(width)}  ${what}`);
    lines.push(`  ${"--help".padEnd(width)}  this text`);
  }
  lines.push(
    "",
    `exit: 0 ok${h.finding ? `, 1 ${h.finding}` : ""}, 2 could not run, 64 wrong usage ` +
      `(${EXIT_CODES_DOC})`,
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Parses argv against spec. `--help` anywhere throws HelpRequested with `help` (default: the
 * usage line and the exit codes); anything the spec does not know throws UsageError with the
 * usage line appended.
 */
export function parseFlags<S extends FlagSpec>(
  argv: string[],
  spec: S,
  usage: string,
  help?: string,
): Flags<S> {
  if (argv.includes("--help")) {
    throw new HelpRequested(help ?? helpText({ usage, about: "" }));
  }
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
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
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

/**
 * Runs a script's main and exits with its code. HelpRequested prints on stdout (exit 0),
 * UsageError on stderr (64); anything else unexpected prints and exits 2 (could not run).
 */
export function runMain(main: () => Promise<number> | number): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => exitAfterFlush(code),
      (err: unknown) => {
        if (err instanceof HelpRequested) {
          process.stdout.write(err.text);
          return exitAfterFlush(EXIT_OK);
        }
        if (err instanceof UsageError) {
          process.stderr.write(`${err.message}\n`);
          return exitAfterFlush(EXIT_USAGE);
        }
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        exitAfterFlush(EXIT_COULD_NOT_RUN);
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
