import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DescribeParametersCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { encryptKeystoreJson, Wallet } from "ethers";
import { main } from "../scripts/identity-import";
import { SsmSender } from "../lib/identity/import";
import { PROJECT_DIR } from "./helpers/program";

const PASSPHRASE = "correct horse battery staple";
const STACK = "prod-us-east-1";
const KEYSTORE_NAME = `/livepeer-fleet/${STACK}/orchestrator/keystore`;
const PASSPHRASE_NAME = `/livepeer-fleet/${STACK}/orchestrator/passphrase`;

/** A fake SSMClient: records every command, knows which names exist, never talks to AWS. */
class FakeSsm implements SsmSender {
  sent: (DescribeParametersCommand | PutParameterCommand)[] = [];
  constructor(public existing: string[] = []) {}
  send(command: DescribeParametersCommand | PutParameterCommand): Promise<unknown> {
    this.sent.push(command);
    if (command instanceof DescribeParametersCommand) {
      const wanted = command.input.ParameterFilters?.[0]?.Values ?? [];
      return Promise.resolve({
        Parameters: this.existing.filter((n) => wanted.includes(n)).map((Name) => ({ Name })),
      });
    }
    return Promise.resolve({ Version: 1 });
  }
  get puts(): PutParameterCommand["input"][] {
    return this.sent.filter((c) => c instanceof PutParameterCommand).map((c) => c.input);
  }
}

describe("identity:import", () => {
  const wallet = Wallet.createRandom();
  let dir: string;
  let keystore: string;

  before(async () => {
    // A small scrypt N keeps the test fast; production keystores use N = 2^18.
    keystore = await encryptKeystoreJson(
      { address: wallet.address, privateKey: wallet.privateKey },
      PASSPHRASE,
      { scrypt: { N: 16 } },
    );
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-identity-"));
    for (const f of ["Pulumi.yaml", "Pulumi.prod.yaml"]) {
      fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
    }
    fs.writeFileSync(
      path.join(dir, `Pulumi.${STACK}.yaml`),
      [
        "config:",
        "  livepeer-fleet:network:",
        "    cidr: 10.10.0.0/16",
        "  livepeer-fleet:livepeer:",
        `    orchestratorAddress: "${wallet.address}"`,
        "",
      ].join("\n"),
    );
    fs.writeFileSync(path.join(dir, "keystore.json"), keystore);
    fs.writeFileSync(path.join(dir, "pass.txt"), `${PASSPHRASE}\n`);
    fs.writeFileSync(path.join(dir, "wrong.txt"), "not the passphrase\n");
  });

  async function run(argv: string[], ssm: FakeSsm, stdinPassphrase = PASSPHRASE) {
    let out = "";
    let err = "";
    const code = await main(argv, {
      projectDir: dir,
      ssm: (region) => {
        expect(region).to.equal("us-east-1");
        return ssm;
      },
      readPassphrase: () => Promise.resolve(stdinPassphrase),
      out: (t) => (out += t),
      err: (t) => (err += t),
    });
    // Whatever happened, neither secret nor any part of the key ever reaches the output.
    // ethers writes the v3 `Crypto` key capitalised (geth's spelling); both are valid.
    const parsed = JSON.parse(keystore) as { Crypto: { ciphertext: string; mac: string } };
    for (const secret of [
      PASSPHRASE,
      wallet.privateKey,
      wallet.privateKey.slice(2),
      parsed.Crypto.ciphertext,
      parsed.Crypto.mac,
    ]) {
      expect(out + err).not.to.include(secret);
    }
    return { code, out, err };
  }

  const args = (...extra: string[]) => [
    "--stack",
    STACK,
    "--keystore",
    path.join(dir, "keystore.json"),
    ...extra,
  ];

  it("writes keystore and passphrase as SecureStrings under the unit key", async () => {
    const ssm = new FakeSsm();
    const r = await run(args("--passphrase-file", path.join(dir, "pass.txt")), ssm);
    expect(r.code, r.err).to.equal(0);
    expect(ssm.puts.map((p) => p.Name)).to.deep.equal([KEYSTORE_NAME, PASSPHRASE_NAME]);
    for (const p of ssm.puts) {
      expect(p).to.include({
        Type: "SecureString",
        KeyId: `alias/livepeer-fleet/${STACK}`,
        Overwrite: false,
      });
      expect(p.Tags).to.deep.equal([{ Key: "livepeer-fleet:unit", Value: STACK }]);
    }
    // The file's trailing newline is not part of the passphrase.
    expect(ssm.puts[1].Value).to.equal(PASSPHRASE);
    expect(JSON.parse(ssm.puts[0].Value!)).to.deep.equal(JSON.parse(keystore));
    expect(r.out).to.include(wallet.address);
  });

  it("reads the passphrase from stdin when no file is given", async () => {
    const ssm = new FakeSsm();
    const r = await run(args(), ssm);
    expect(r.code, r.err).to.equal(0);
    expect(ssm.puts).to.have.length(2);
  });

  it("refuses a wrong passphrase and writes nothing", async () => {
    const ssm = new FakeSsm();
    const r = await run(args("--passphrase-file", path.join(dir, "wrong.txt")), ssm);
    expect(r.code).to.equal(2);
    expect(r.err).to.include("does not decrypt the keystore");
    expect(ssm.sent).to.have.length(0);
  });

  it("refuses files that are not a JSON keystore v3, without echoing them", async () => {
    const cases: [string, string, RegExp][] = [
      ["garbage.json", "s3cr3t-not-json {", /is not JSON/],
      ["v1.json", JSON.stringify({ version: 1, Crypto: {} }), /not a JSON keystore v3/],
      ["list.json", "[1,2]", /not a JSON object/],
      [
        "nomac.json",
        JSON.stringify({ ...JSON.parse(keystore), Crypto: { cipher: "aes-128-ctr" } }),
        /not a JSON keystore v3|crypto\./,
      ],
    ];
    for (const [name, content, message] of cases) {
      fs.writeFileSync(path.join(dir, name), content);
      const ssm = new FakeSsm();
      const r = await run(
        [
          "--stack",
          STACK,
          "--keystore",
          path.join(dir, name),
          "--passphrase-file",
          path.join(dir, "pass.txt"),
        ],
        ssm,
      );
      expect(r.code, name).to.equal(2);
      expect(r.err, name).to.match(message);
      expect(r.err).not.to.include("s3cr3t");
      expect(ssm.sent, name).to.have.length(0);
    }
  });

  it("refuses to overwrite existing parameters without --force", async () => {
    const ssm = new FakeSsm([PASSPHRASE_NAME]);
    const r = await run(args("--passphrase-file", path.join(dir, "pass.txt")), ssm);
    expect(r.code).to.equal(2);
    expect(r.err).to.include(`already in SSM: ${PASSPHRASE_NAME}`).and.include("--force");
    expect(ssm.puts).to.have.length(0);
  });

  it("overwrites with --force (no tags: SSM rejects Tags with Overwrite)", async () => {
    const ssm = new FakeSsm([KEYSTORE_NAME, PASSPHRASE_NAME]);
    const r = await run(args("--passphrase-file", path.join(dir, "pass.txt"), "--force"), ssm);
    expect(r.code, r.err).to.equal(0);
    expect(ssm.puts.map((p) => [p.Name, p.Overwrite, p.Tags])).to.deep.equal([
      [KEYSTORE_NAME, true, undefined],
      [PASSPHRASE_NAME, true, undefined],
    ]);
  });

  it("reports a failed write without echoing what AWS quotes back", async () => {
    const ssm = new FakeSsm();
    const send = ssm.send.bind(ssm);
    ssm.send = (c) => {
      if (c instanceof PutParameterCommand && c.input.Name === PASSPHRASE_NAME) {
        void send(c);
        const e = new Error(`1 validation error: Value '${c.input.Value}' at 'value' failed`);
        e.name = "ValidationException";
        return Promise.reject(e);
      }
      return send(c);
    };
    const r = await run(args("--passphrase-file", path.join(dir, "pass.txt")), ssm);
    expect(r.code).to.equal(2);
    expect(r.err)
      .to.include("ValidationException")
      .and.include(`already written: ${KEYSTORE_NAME}`);
  });

  it("refuses a key that is not the stack's orchestrator", async () => {
    const other = Wallet.createRandom();
    const otherKeystore = await encryptKeystoreJson(
      { address: other.address, privateKey: other.privateKey },
      PASSPHRASE,
      { scrypt: { N: 16 } },
    );
    fs.writeFileSync(path.join(dir, "other.json"), otherKeystore);
    const ssm = new FakeSsm();
    const r = await run(
      [
        "--stack",
        STACK,
        "--keystore",
        path.join(dir, "other.json"),
        "--passphrase-file",
        path.join(dir, "pass.txt"),
      ],
      ssm,
    );
    expect(r.code).to.equal(2);
    expect(r.err).to.include(`holds ${other.address}`);
    expect(ssm.sent).to.have.length(0);
  });

  it("refuses an empty passphrase and a fleet stack", async () => {
    const ssm = new FakeSsm();
    const empty = await run(args(), ssm, "\n");
    expect(empty.code).to.equal(2);
    expect(empty.err).to.include("passphrase is empty");
    const fleet = await run(
      ["--stack", "prod", "--keystore", path.join(dir, "keystore.json")],
      ssm,
    );
    expect(fleet.code).to.equal(2);
    expect(ssm.sent).to.have.length(0);
  });
});
