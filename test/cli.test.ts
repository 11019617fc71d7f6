// One command line for every operator command (lib/cli.ts, docs/cli.md): each npm script answers
// --help with exit 0, rejects an unknown flag with exit 64, and --json output can be piped the way
// the README shows it.
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EXIT_CODES_DOC, HelpRequested, helpText, parseFlags, UsageError } from "../lib/cli";
import { PROJECT_DIR } from "./helpers/program";

/** Scripts that run a development tool (its own --help), not an operator command. */
const DEV_TOOLS = new Set(["test", "typecheck", "lint", "format"]);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function npm(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn("npm", args, { cwd: PROJECT_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs fn over items, two at a time (the machine's cores are shared). */
async function pooled<T, R>(items: T[], fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

describe("operator commands", function () {
  this.timeout(300_000);
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const commands = Object.keys(pkg.scripts).filter((s) => !DEV_TOOLS.has(s));

  it("every npm script is an operator command run by tsx, or a known development tool", () => {
    expect(commands).to.include.members(["plan", "report", "bench", "drift", "watch:reward"]);
    for (const name of commands) {
      expect(pkg.scripts[name], name).to.match(/^tsx scripts\/[a-z-]+\.ts$/);
    }
  });

  it("every one answers --help on stdout with exit 0, naming the exit codes' doc", async () => {
    const runs = await pooled(commands, (name) => npm(["run", "--silent", name, "--", "--help"]));
    runs.forEach((r, i) => {
      const name = commands[i];
      expect(r.code, `${name}: ${r.stderr}`).to.equal(0);
      expect(r.stdout, name).to.match(/^usage: npm run /);
      expect(r.stdout, name).to.include(EXIT_CODES_DOC);
      expect(r.stderr, name).to.equal("");
    });
  });

  it("every one rejects an unknown flag with exit 64 naming it", async () => {
    const runs = await pooled(commands, (name) =>
      npm(["run", "--silent", name, "--", "--no-such-flag"]),
    );
    runs.forEach((r, i) => {
      expect(r.code, `${commands[i]}: ${r.stderr}`).to.equal(64);
      expect(r.stderr, commands[i]).to.include("unknown flag --no-such-flag");
      expect(r.stdout, commands[i]).to.equal("");
    });
  });

  it("the commands pulumi up and the plan run answer --help too", () => {
    for (const script of ["deploy-gate.ts", "plan-stack.ts"]) {
      const r = spawnSync(
        process.execPath,
        ["--import", "tsx", path.join(PROJECT_DIR, "scripts", script), "--help"],
        { cwd: PROJECT_DIR, encoding: "utf8" },
      );
      expect(r.status, `${script}: ${r.stderr}`).to.equal(0);
      expect(r.stdout, script).to.match(/^usage: /);
    }
  });

  it("docs/cli.md documents the exit codes and lists every command", () => {
    const doc = fs.readFileSync(path.join(PROJECT_DIR, "docs", "cli.md"), "utf8");
    expect(doc).to.include("## Exit codes");
    for (const code of ["| 0 |", "| 1 |", "| 2 |", "| 64 |"]) expect(doc).to.include(code);
    for (const name of commands) expect(doc, name).to.include(`npm run ${name}`);
  });

  it("the README's pipe works: `npm run -s plan -- --json` is JSON on stdout, npm's banner is not", async () => {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
    expect(readme).to.include("npm run -s plan -- --json | jq");
    const [silent, plain] = await pooled(
      [
        ["run", "-s", "plan", "--", "--json", "--stack", "prod"],
        ["run", "plan", "--", "--json", "--stack", "prod"],
      ],
      (args) => npm(args),
    );
    expect(silent.code, silent.stderr).to.equal(0);
    const doc = JSON.parse(silent.stdout) as { stacks: { stack: string }[]; fleet: unknown };
    expect(doc.stacks.map((s) => s.stack)).to.deep.equal(["prod"]);
    // Why the README says -s: without it npm writes `> livepeer-fleet@... plan` to stdout first.
    expect(plain.stdout.trimStart()).to.match(/^> livepeer-fleet@/);
  });
});

describe("parseFlags", () => {
  const spec = { stack: "strings", json: "boolean", out: "string", days: "integer" } as const;
  it("reads --name value, --name=value, repeated and boolean flags", () => {
    expect(
      parseFlags(["--stack", "a", "--stack=b", "--json", "--out=x.json", "--days", "3"], spec, "u"),
    ).to.deep.equal({ stack: ["a", "b"], json: true, out: "x.json", days: 3 });
  });

  it("--help anywhere asks for the help text, even next to a wrong flag", () => {
    const help = helpText({ usage: "npm run x", about: "Does x.", flags: [["--json", "JSON"]] });
    expect(() => parseFlags(["--bogus", "--help"], spec, "npm run x", help)).to.throw(
      HelpRequested,
    );
    try {
      parseFlags(["--help"], spec, "npm run x", help);
    } catch (err) {
      expect((err as HelpRequested).text).to.equal(help);
    }
    expect(help).to.equal(
      "usage: npm run x\n\nDoes x.\n\n  --json  JSON\n  --help  this text\n\n" +
        `exit: 0 ok, 2 could not run, 64 wrong usage (${EXIT_CODES_DOC})\n`,
    );
  });

  it("rejects unknown flags, missing values, stray arguments and inherited names", () => {
    for (const argv of [
      ["--nope"],
      ["--out"],
      ["stray"],
      ["--days", "x"],
      ["--json=1"],
      ["--out", "a", "--out", "b"],
      ["--constructor", "x"],
    ]) {
      expect(() => parseFlags(argv, spec, "npm run x"), argv.join(" ")).to.throw(
        UsageError,
        /\nusage: npm run x$/,
      );
    }
  });
});
