// The operator commands that put secrets into SSM: identity:import (orchestrator and redeemer
// keystores) and orch-secret, against an SSM STAND-IN that behaves like Parameter Store where it
// matters here: versions and their history (GetParameterHistory), PutParameter refusing an
// existing name without Overwrite and Tags together with Overwrite, DeleteParameter removing the
// parameter with its history, and refusing to recreate a name sooner than 30 s after deleting it
// (SSM API Reference, DeleteParameter, says to wait 30 s; the error the stand-in then returns is
// its own invention).
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
} from "@aws-sdk/client-ssm";
import { encryptKeystoreJson, Wallet } from "ethers";
import { main } from "../scripts/identity-import";
import { main as orchSecretMain } from "../scripts/orch-secret";
import { passphraseOf } from "../lib/identity/import";
import { newOrchSecret } from "../lib/identity/orch-secret";
import { RECREATE_AFTER_DELETE_MS, type SsmCommand, type SsmSender } from "../lib/identity/ssm";
import { UsageError } from "../lib/cli";
import { PROJECT_DIR } from "./helpers/program";

const PASSPHRASE = "correct horse battery staple";
const HOME = "prod-us-east-1";
const OTHER = "prod-eu-west-1";
const names = (stack: string, role: string) => ({
  keystore: `/livepeer-fleet/${stack}/${role}/keystore`,
  passphrase: `/livepeer-fleet/${stack}/${role}/passphrase`,
});

interface Version {
  Value: string;
  Version: number;
  KeyId?: string;
  Type?: string;
}

function awsError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** Parameter Store stand-in: versions, history, delete, the 30 s rule. Never talks to AWS. */
class SsmStandIn implements SsmSender {
  sent: SsmCommand[] = [];
  clock = 0;
  readonly params = new Map<string, { versions: Version[]; tags?: unknown }>();
  private readonly deletedAt = new Map<string, number>();

  /** A parameter with `values.length` versions already in its history. */
  seed(name: string, ...values: string[]): void {
    this.params.set(name, {
      versions: values.map((Value, i) => ({ Value, Version: i + 1, Type: "SecureString" })),
    });
  }

  wait = (ms: number): Promise<void> => {
    this.clock += ms;
    return Promise.resolve();
  };

  send(command: SsmCommand): Promise<unknown> {
    this.sent.push(command);
    try {
      return Promise.resolve(this.handle(command));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private handle(command: SsmCommand): unknown {
    if (command instanceof DescribeParametersCommand) {
      const wanted = command.input.ParameterFilters?.[0]?.Values ?? [];
      return {
        Parameters: [...this.params.keys()]
          .filter((n) => wanted.includes(n))
          .map((Name) => ({ Name })),
      };
    }
    if (command instanceof DeleteParameterCommand) {
      const name = command.input.Name!;
      if (!this.params.delete(name)) throw awsError("ParameterNotFound", "not found");
      this.deletedAt.set(name, this.clock);
      return {};
    }
    if (command instanceof GetParameterHistoryCommand) {
      const p = this.params.get(command.input.Name!);
      if (!p) throw awsError("ParameterNotFound", "not found");
      return {
        Parameters: p.versions.map((v) => ({
          ...v,
          Value: command.input.WithDecryption ? v.Value : `ciphertext-of-v${v.Version}`,
        })),
      };
    }
    const c = command.input;
    const name = c.Name!;
    const existing = this.params.get(name);
    if (c.Overwrite && c.Tags) {
      throw awsError(
        "ValidationException",
        "Invalid request: tags and overwrite can't be used together",
      );
    }
    if (existing && !c.Overwrite) throw awsError("ParameterAlreadyExists", "exists");
    const deleted = this.deletedAt.get(name);
    if (!existing && deleted !== undefined && this.clock - deleted < RECREATE_AFTER_DELETE_MS) {
      throw awsError("TooManyUpdates", "parameter was deleted less than 30 seconds ago");
    }
    const versions = existing?.versions ?? [];
    const v: Version = {
      Value: c.Value!,
      Version: versions.length + 1,
      KeyId: c.KeyId,
      Type: c.Type,
    };
    this.params.set(name, { versions: [...versions, v], tags: existing?.tags ?? c.Tags });
    return { Version: v.Version };
  }

  get puts(): PutParameterCommand["input"][] {
    return this.sent.filter((c) => c instanceof PutParameterCommand).map((c) => c.input);
  }

  history(name: string): Version[] {
    return this.params.get(name)?.versions ?? [];
  }
}

async function keystoreFor(w: { address: string; privateKey: string }, passphrase: string) {
  // A small scrypt N keeps the test fast; production keystores use N = 2^18.
  return encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, passphrase, {
    scrypt: { N: 16 },
  });
}

describe("identity:import and orch-secret (SSM stand-in)", () => {
  const orchestrator = Wallet.createRandom();
  const redeemer = Wallet.createRandom();
  let dir: string;
  let orchKeystore: string;
  const secrets: string[] = [PASSPHRASE, orchestrator.privateKey, redeemer.privateKey];

  before(async () => {
    orchKeystore = await keystoreFor(orchestrator, PASSPHRASE);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-identity-"));
    for (const f of ["Pulumi.yaml", "Pulumi.prod.yaml"]) {
      fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
    }
    for (const [stack, cidr] of [
      [HOME, "10.10.0.0/16"],
      [OTHER, "10.20.0.0/16"],
    ]) {
      fs.writeFileSync(
        path.join(dir, `Pulumi.${stack}.yaml`),
        [
          "config:",
          "  livepeer-fleet:network:",
          `    cidr: ${cidr}`,
          "  livepeer-fleet:livepeer:",
          `    orchestratorAddress: "${orchestrator.address}"`,
          `    redeemerAddress: "${redeemer.address}"`,
          "",
        ].join("\n"),
      );
    }
    fs.writeFileSync(path.join(dir, "orchestrator.json"), orchKeystore);
    fs.writeFileSync(path.join(dir, "redeemer.json"), await keystoreFor(redeemer, PASSPHRASE));
    fs.writeFileSync(path.join(dir, "pass.txt"), `${PASSPHRASE}\n`);
    fs.writeFileSync(path.join(dir, "wrong.txt"), "not the passphrase\n");
  });

  async function run(argv: string[], ssm: SsmStandIn, stdinPassphrase = PASSPHRASE) {
    let out = "";
    let err = "";
    const code = await main(argv, {
      projectDir: dir,
      ssm: () => ssm,
      readPassphrase: () => Promise.resolve(stdinPassphrase),
      out: (t) => (out += t),
      err: (t) => (err += t),
      wait: ssm.wait,
    });
    // Whatever happened, neither secret nor any part of the key ever reaches the output.
    const parsed = JSON.parse(orchKeystore) as { Crypto: { ciphertext: string; mac: string } };
    for (const secret of [
      ...secrets,
      orchestrator.privateKey.slice(2),
      parsed.Crypto.ciphertext,
      parsed.Crypto.mac,
    ]) {
      expect(out + err).not.to.include(secret);
    }
    return { code, out, err };
  }

  const args = (stack: string, role: string, keystore: string, ...extra: string[]) => [
    "--stack",
    stack,
    "--role",
    role,
    "--keystore",
    path.join(dir, keystore),
    ...extra,
  ];
  const passFile = () => ["--passphrase-file", path.join(dir, "pass.txt")];

  it("writes the orchestrator keystore and passphrase of the home region as SecureStrings under the unit key", async () => {
    const ssm = new SsmStandIn();
    const r = await run(args(HOME, "orchestrator", "orchestrator.json", ...passFile()), ssm);
    expect(r.code, r.err).to.equal(0);
    const n = names(HOME, "orchestrator");
    expect(ssm.puts.map((p) => p.Name)).to.deep.equal([n.keystore, n.passphrase]);
    for (const p of ssm.puts) {
      expect(p).to.include({
        Type: "SecureString",
        KeyId: `alias/livepeer-fleet/${HOME}`,
        Overwrite: false,
      });
      expect(p.Tags).to.deep.equal([{ Key: "livepeer-fleet:unit", Value: HOME }]);
    }
    // The file's trailing newline is not part of the passphrase.
    expect(ssm.history(n.passphrase).map((v) => v.Value)).to.deep.equal([PASSPHRASE]);
    expect(JSON.parse(ssm.history(n.keystore)[0].Value)).to.deep.equal(JSON.parse(orchKeystore));
    expect(r.out).to.include(`orchestrator ${orchestrator.address}`);
  });

  it("refuses the orchestrator key outside the fleet's home region, naming it", async () => {
    const ssm = new SsmStandIn();
    const r = await run(args(OTHER, "orchestrator", "orchestrator.json", ...passFile()), ssm);
    expect(r.code).to.equal(2);
    expect(r.err).to.include("home region (us-east-1").and.include("--role redeemer");
    expect(ssm.sent).to.have.length(0);
  });

  it("writes a redeemer key in any region under <prefix>/redeemer/", async () => {
    for (const stack of [HOME, OTHER]) {
      const ssm = new SsmStandIn();
      const r = await run(args(stack, "redeemer", "redeemer.json", ...passFile()), ssm);
      expect(r.code, r.err).to.equal(0);
      const n = names(stack, "redeemer");
      expect(ssm.puts.map((p) => p.Name)).to.deep.equal([n.keystore, n.passphrase]);
      expect(r.out).to.include(`redeemer ${redeemer.address}`);
    }
  });

  it("refuses the orchestrator's key as a redeemer (one account, one sender)", async () => {
    const ssm = new SsmStandIn();
    const r = await run(args(OTHER, "redeemer", "orchestrator.json", ...passFile()), ssm);
    expect(r.code).to.equal(2);
    expect(r.err).to.include("a redeemer needs its own account");
    expect(ssm.sent).to.have.length(0);
  });

  it("refuses a redeemer key that is not the stack's redeemer account", async () => {
    const ssm = new SsmStandIn();
    const stranger = Wallet.createRandom();
    fs.writeFileSync(path.join(dir, "stranger.json"), await keystoreFor(stranger, PASSPHRASE));
    const r = await run(args(OTHER, "redeemer", "stranger.json", ...passFile()), ssm);
    expect(r.code).to.equal(2);
    expect(r.err).to.include(`holds ${stranger.address}`).and.include("redeemerAddress");
    expect(ssm.sent).to.have.length(0);
  });

  it("refuses an orchestrator key that is not the stack's orchestrator", async () => {
    const ssm = new SsmStandIn();
    const r = await run(args(HOME, "orchestrator", "redeemer.json", ...passFile()), ssm);
    expect(r.code).to.equal(2);
    expect(r.err).to.include(`holds ${redeemer.address}`);
    expect(ssm.sent).to.have.length(0);
  });

  it("needs --role, and only orchestrator or redeemer", async () => {
    const ssm = new SsmStandIn();
    let caught: unknown;
    try {
      await run(["--stack", HOME, "--keystore", path.join(dir, "redeemer.json")], ssm);
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(UsageError);
    caught = undefined;
    try {
      await run(args(HOME, "reward", "redeemer.json"), ssm);
    } catch (e) {
      caught = e;
    }
    expect(String(caught)).to.include("--role must be orchestrator or redeemer");
  });

  it("reads the passphrase from stdin when no file is given", async () => {
    const ssm = new SsmStandIn();
    const r = await run(args(HOME, "redeemer", "redeemer.json"), ssm);
    expect(r.code, r.err).to.equal(0);
    expect(ssm.puts).to.have.length(2);
  });

  it("refuses a wrong passphrase and writes nothing", async () => {
    const ssm = new SsmStandIn();
    const r = await run(
      args(HOME, "redeemer", "redeemer.json", "--passphrase-file", path.join(dir, "wrong.txt")),
      ssm,
    );
    expect(r.code).to.equal(2);
    expect(r.err).to.include("does not decrypt the keystore");
    expect(ssm.sent).to.have.length(0);
  });

  it("refuses a passphrase go-livepeer would trim, even though it decrypts the keystore", async () => {
    const padded = "padded passphrase ";
    fs.writeFileSync(path.join(dir, "padded.json"), await keystoreFor(redeemer, padded));
    fs.writeFileSync(path.join(dir, "padded.txt"), `${padded}\n`);
    const ssm = new SsmStandIn();
    const r = await run(
      args(HOME, "redeemer", "padded.json", "--passphrase-file", path.join(dir, "padded.txt")),
      ssm,
    );
    expect(r.code).to.equal(2);
    expect(r.err).to.include("starts or ends with whitespace").and.include("ReadFromFile");
    expect(r.err).not.to.include(padded);
    expect(ssm.sent).to.have.length(0);
  });

  it("trims like Go's strings.TrimSpace: Unicode White_Space, not the BOM", () => {
    for (const bad of [" pw", "pw\t", "pw\u00a0", "pw\u0085", "\u2003pw", "pw\u3000", "pw\n\n"]) {
      expect(() => passphraseOf(bad), JSON.stringify(bad)).to.throw(/whitespace/);
    }
    // One final newline is the file's, not the passphrase's; U+FEFF is not a space in Go.
    expect(passphraseOf("pw\n")).to.equal("pw");
    expect(passphraseOf("pw\r\n")).to.equal("pw");
    expect(passphraseOf("p w\ufeff")).to.equal("p w\ufeff");
    expect(() => passphraseOf("\n")).to.throw(/empty/);
  });

  it("refuses files that are not a JSON keystore v3, without echoing them", async () => {
    const cases: [string, string, RegExp][] = [
      ["garbage.json", "s3cr3t-not-json {", /is not JSON/],
      ["v1.json", JSON.stringify({ version: 1, Crypto: {} }), /not a JSON keystore v3/],
      ["list.json", "[1,2]", /not a JSON object/],
      [
        "nomac.json",
        JSON.stringify({ ...JSON.parse(orchKeystore), Crypto: { cipher: "aes-128-ctr" } }),
        /not a JSON keystore v3|crypto\./,
      ],
    ];
    for (const [name, content, message] of cases) {
      fs.writeFileSync(path.join(dir, name), content);
      const ssm = new SsmStandIn();
      const r = await run(args(HOME, "orchestrator", name, ...passFile()), ssm);
      expect(r.code, name).to.equal(2);
      expect(r.err, name).to.match(message);
      expect(r.err).not.to.include("s3cr3t");
      expect(ssm.sent, name).to.have.length(0);
    }
  });

  it("refuses to replace existing parameters without --force", async () => {
    const n = names(HOME, "orchestrator");
    const ssm = new SsmStandIn();
    ssm.seed(n.passphrase, "old passphrase");
    const r = await run(args(HOME, "orchestrator", "orchestrator.json", ...passFile()), ssm);
    expect(r.code).to.equal(2);
    expect(r.err).to.include(`already in SSM: ${n.passphrase}`).and.include("--force");
    expect(ssm.puts).to.have.length(0);
    expect(ssm.history(n.passphrase).map((v) => v.Value)).to.deep.equal(["old passphrase"]);
  });

  it("--force deletes and recreates: GetParameterHistory holds no old keystore or passphrase", async () => {
    const n = names(HOME, "orchestrator");
    const ssm = new SsmStandIn();
    ssm.seed(n.keystore, "old keystore 1", "old keystore 2", "old keystore 3");
    ssm.seed(n.passphrase, "old passphrase 1", "old passphrase 2");
    const r = await run(
      args(HOME, "orchestrator", "orchestrator.json", ...passFile(), "--force"),
      ssm,
    );
    expect(r.code, r.err).to.equal(0);
    expect(
      ssm.sent.filter((c) => c instanceof DeleteParameterCommand).map((c) => c.input.Name),
    ).to.deep.equal([n.keystore, n.passphrase]);
    expect(ssm.clock, "waited before recreating").to.equal(RECREATE_AFTER_DELETE_MS);
    for (const name of [n.keystore, n.passphrase]) {
      const h = ssm.history(name);
      expect(
        h.map((v) => v.Version),
        name,
      ).to.deep.equal([1]);
      expect(h.map((v) => v.Value).join()).not.to.include("old ");
    }
    // New parameters, so tagged again (SSM rejects Tags with Overwrite).
    expect(ssm.puts.map((p) => [p.Overwrite, p.Tags])).to.deep.equal([
      [false, [{ Key: "livepeer-fleet:unit", Value: HOME }]],
      [false, [{ Key: "livepeer-fleet:unit", Value: HOME }]],
    ]);
    // The command checked the history itself.
    expect(ssm.sent.filter((c) => c instanceof GetParameterHistoryCommand)).to.have.length(2);
    expect(r.out).to.include("deleted").and.include("with their history");
  });

  it("--force that cannot recreate (no wait: the stand-in's 30 s rule) says what was deleted", async () => {
    const n = names(OTHER, "redeemer");
    const ssm = new SsmStandIn();
    ssm.seed(n.keystore, "old");
    ssm.seed(n.passphrase, "old");
    ssm.wait = () => Promise.resolve(); // a command that forgot to wait
    const r = await run(args(OTHER, "redeemer", "redeemer.json", ...passFile(), "--force"), ssm);
    expect(r.code).to.equal(2);
    expect(r.err)
      .to.include("TooManyUpdates")
      .and.include(`deleted before: ${n.keystore}, ${n.passphrase}`)
      .and.include("re-run");
  });

  it("reports a failed write without echoing what AWS quotes back", async () => {
    const n = names(HOME, "orchestrator");
    const ssm = new SsmStandIn();
    const send = ssm.send.bind(ssm);
    ssm.send = (c) => {
      if (c instanceof PutParameterCommand && c.input.Name === n.passphrase) {
        void send(c);
        ssm.params.delete(n.passphrase);
        return Promise.reject(
          awsError(
            "ValidationException",
            `1 validation error: Value '${c.input.Value}' at 'value' failed`,
          ),
        );
      }
      return send(c);
    };
    const r = await run(args(HOME, "orchestrator", "orchestrator.json", ...passFile()), ssm);
    expect(r.code).to.equal(2);
    expect(r.err).to.include("ValidationException").and.include(`already written: ${n.keystore}`);
  });

  it("refuses an empty passphrase and a fleet stack", async () => {
    const ssm = new SsmStandIn();
    const empty = await run(args(HOME, "redeemer", "redeemer.json"), ssm, "\n");
    expect(empty.code).to.equal(2);
    expect(empty.err).to.include("passphrase is empty");
    const fleet = await run(
      ["--stack", "prod", "--role", "redeemer", "--keystore", path.join(dir, "redeemer.json")],
      ssm,
    );
    expect(fleet.code).to.equal(2);
    expect(ssm.sent).to.have.length(0);
  });

  describe("orch-secret", () => {
    const NAME = `/livepeer-fleet/${HOME}/orch-secret`;
    async function secret(argv: string[], ssm: SsmStandIn, random?: (n: number) => Buffer) {
      let out = "";
      let err = "";
      const code = await orchSecretMain(argv, {
        projectDir: dir,
        ssm: () => ssm,
        out: (t) => (out += t),
        err: (t) => (err += t),
        wait: ssm.wait,
        random,
      });
      for (const v of ssm.history(NAME)) expect(out + err).not.to.include(v.Value);
      return { code, out, err };
    }
    const fixed = (byte: number) => (n: number) => Buffer.alloc(n, byte);

    it("writes 32 random bytes as hex into a SecureString under the unit key, never showing it", async () => {
      const ssm = new SsmStandIn();
      const r = await secret(["--stack", HOME], ssm, fixed(0xab));
      expect(r.code, r.err).to.equal(0);
      expect(ssm.puts).to.have.length(1);
      expect(ssm.puts[0]).to.include({
        Name: NAME,
        Type: "SecureString",
        KeyId: `alias/livepeer-fleet/${HOME}`,
        Value: "ab".repeat(32),
      });
      expect(r.out).to.include("the value is not shown");
    });

    it("draws from the CSPRNG by default: 64 hex characters, never the same twice", () => {
      const a = newOrchSecret();
      const b = newOrchSecret();
      expect(a).to.match(/^[0-9a-f]{64}$/);
      expect(a).not.to.equal(b);
      expect(() => newOrchSecret(() => Buffer.alloc(16))).to.throw(/too few bytes/);
    });

    it("refuses to replace an existing secret without --rotate", async () => {
      const ssm = new SsmStandIn();
      ssm.seed(NAME, "cd".repeat(32));
      const r = await secret(["--stack", HOME], ssm, fixed(1));
      expect(r.code).to.equal(2);
      expect(r.err).to.include("already in SSM").and.include("--rotate");
      expect(ssm.puts).to.have.length(0);
    });

    it("--rotate deletes and recreates it: one version, a new value, no old one in the history", async () => {
      const ssm = new SsmStandIn();
      ssm.seed(NAME, "cd".repeat(32), "ef".repeat(32));
      const r = await secret(["--stack", HOME, "--rotate"], ssm, fixed(0x12));
      expect(r.code, r.err).to.equal(0);
      expect(ssm.history(NAME)).to.deep.equal([
        {
          Value: "12".repeat(32),
          Version: 1,
          KeyId: `alias/livepeer-fleet/${HOME}`,
          Type: "SecureString",
        },
      ]);
      expect(r.out).to.include("replaced");
    });

    it("takes no value on the command line and refuses a fleet stack", async () => {
      const ssm = new SsmStandIn();
      let caught: unknown;
      try {
        await secret(["--stack", HOME, "--value", "x"], ssm);
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(UsageError);
      const fleet = await secret(["--stack", "prod"], ssm);
      expect(fleet.code).to.equal(2);
      expect(ssm.sent).to.have.length(0);
    });
  });
});
