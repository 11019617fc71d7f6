// Identity and secret handling on the node, for real: fetch-identity.sh, throwaway-identity.sh
// and rpc-proxy-config.sh run against local STAND-INS for the instance metadata service (IMDSv2
// only) and SSM GetParameter (helpers/aws-stand-ins.ts), through awsapi.py and boto3. The SSM
// stand-in verifies every request's SigV4 signature with the AWS SDK's own signer and refuses a
// wrong one. Key material lands in a tmpfs mounted for the test (root).
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AwsFault, AwsStandIn, ImdsStandIn, awsEnv, requireBoto3 } from "./helpers/aws-stand-ins";
import { requireRoot, requireTools } from "./helpers/tools";
import { NODE_DIR } from "./helpers/node-runtime";
import { TEST_IDENTITY } from "./helpers/test-identity";

const PARAMS: Record<string, string> = {
  "/lf/test/orchestrator/keystore": TEST_IDENTITY.keystore,
  "/lf/test/orchestrator/passphrase": TEST_IDENTITY.passphrase,
  "/lf/test/chain/rpc-endpoints": TEST_IDENTITY.endpoints,
};

describe("identity and secrets on the node (IMDS and SSM stand-ins, tmpfs)", function () {
  let tmp: string;
  let runDir: string;
  let root: string;
  let env: NodeJS.ProcessEnv;
  const imds = new ImdsStandIn();
  // LF_AWS_REGION below: the credential scope must name us-east-1, not the IMDS region.
  const ssm = new AwsStandIn("ssm", "json", { region: "us-east-1" });
  /** Every GetParameter the SSM stand-in saw, with whether its signature checked out. */
  const ssmCalls = () =>
    ssm.calls.map((c) => ({
      name: String(c.json.Name),
      decrypt: c.json.WithDecryption === true,
      signatureOk: c.signatureOk,
    }));
  const hidden = new Set<string>();

  before(async function () {
    requireRoot(this);
    requireTools(this, "python3", "mount", "haproxy");
    requireBoto3(this);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-node-identity-"));
    runDir = path.join(tmp, "run");
    fs.mkdirSync(runDir);
    spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", runDir]);
    root = path.join(tmp, "opt");
    fs.mkdirSync(path.join(root, "bin"), { recursive: true });
    for (const f of fs.readdirSync(NODE_DIR).filter((f) => /\.(sh|py)$/.test(f))) {
      fs.symlinkSync(path.join(NODE_DIR, f), path.join(root, "bin", f));
    }
    fs.symlinkSync(path.join(NODE_DIR, "conf"), path.join(root, "conf"));

    await imds.start();
    await ssm.start();
    ssm.on("GetParameter", (c) => {
      const name = String(c.json.Name);
      const value = hidden.has(name) ? undefined : PARAMS[name];
      if (value === undefined) return new AwsFault("ParameterNotFound", "");
      return { Parameter: { Name: name, Type: "SecureString", Value: value } };
    });

    const envFile = path.join(tmp, "node.env");
    fs.writeFileSync(
      envFile,
      [
        `LF_ORCH_ADDR='${TEST_IDENTITY.address}'`,
        "LF_IDENTITY_KEYSTORE_PARAM='/lf/test/orchestrator/keystore'",
        "LF_IDENTITY_PASSPHRASE_PARAM='/lf/test/orchestrator/passphrase'",
        "LF_RPC_ENDPOINTS_PARAM='/lf/test/chain/rpc-endpoints'",
        "LF_RPC_PORT='18545'",
        "LF_LOCAL_RPC_PORT='18547'",
        "LF_CHAIN_HEALTH_PORT='18937'",
        "",
      ].join("\n"),
    );
    env = {
      ...awsEnv(imds, { SSM: ssm }),
      LF_ROOT: root,
      LF_ENV_FILE: envFile,
      LF_AWS_REGION: "us-east-1",
    };
  });

  after(async function () {
    await Promise.all([imds.stop(), ssm.stop()]);
    if (runDir) spawnSync("umount", [runDir]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  // Asynchronous: the stand-ins live in this process and must keep answering meanwhile.
  function run(script: string, dir: string): Promise<{ code: number; log: string }> {
    return new Promise((resolve) => {
      const child = spawn("bash", [path.join(root, "bin", script), dir], { env });
      let log = "";
      child.stdout.on("data", (d: Buffer) => (log += d.toString()));
      child.stderr.on("data", (d: Buffer) => (log += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 60000);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, log });
      });
    });
  }

  function expectNoSecret(text: string): void {
    for (const s of TEST_IDENTITY.secrets) expect(text, "a secret leaked").not.to.include(s);
  }

  const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

  it("fetch-identity.sh puts keystore and passphrase in tmpfs, 0400, signed and decrypted via SSM, logging no secret", async function () {
    const dir = path.join(runDir, "livepeer-redeemer");
    fs.mkdirSync(dir, { mode: 0o700 });
    const r = await run("fetch-identity.sh", dir);
    expect(r.code, r.log).to.equal(0);
    expect(fs.readFileSync(path.join(dir, "eth-password"), "utf8")).to.equal(
      TEST_IDENTITY.passphrase,
    );
    expect(fs.readFileSync(path.join(dir, "keystore", "orchestrator.json"), "utf8")).to.equal(
      TEST_IDENTITY.keystore,
    );
    expect(mode(path.join(dir, "eth-password"))).to.equal("400");
    expect(mode(path.join(dir, "keystore", "orchestrator.json"))).to.equal("400");
    expect(mode(path.join(dir, "keystore"))).to.equal("700");
    expect(ssmCalls().filter((c) => c.name.startsWith("/lf/test/orchestrator/"))).to.deep.equal([
      { name: "/lf/test/orchestrator/keystore", decrypt: true, signatureOk: true },
      { name: "/lf/test/orchestrator/passphrase", decrypt: true, signatureOk: true },
    ]);
    expectNoSecret(r.log);
  });

  it("fetch-identity.sh refuses a directory that is not tmpfs", async function () {
    const dir = path.join(tmp, "on-disk");
    fs.mkdirSync(dir);
    const r = await run("fetch-identity.sh", dir);
    expect(r.code).to.not.equal(0);
    expect(r.log).to.match(/not on tmpfs/);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it("fetch-identity.sh refuses, and removes, a keystore of another address", async function () {
    const dir = path.join(runDir, "wrong-key");
    fs.mkdirSync(dir, { mode: 0o700 });
    const envFile = String(env.LF_ENV_FILE);
    const original = fs.readFileSync(envFile, "utf8");
    fs.writeFileSync(
      envFile,
      original.replace(TEST_IDENTITY.address, "0x11D12AfEF50b1FeE02146020533857d35936035D"),
    );
    try {
      const r = await run("fetch-identity.sh", dir);
      expect(r.code).to.not.equal(0);
      expect(r.log).to.match(/is not for 0x11D12AfEF50b1FeE02146020533857d35936035D/);
      expect(fs.readdirSync(dir)).to.deep.equal([]);
      expectNoSecret(r.log);
    } finally {
      fs.writeFileSync(envFile, original);
    }
  });

  it("throwaway-identity.sh writes a random passphrase config (0400) and an empty keystore, logging neither", async function () {
    const dir = path.join(runDir, "livepeer");
    fs.mkdirSync(dir, { mode: 0o700 });
    const r = await run("throwaway-identity.sh", dir);
    expect(r.code, r.log).to.equal(0);
    const conf = fs.readFileSync(path.join(dir, "secret.conf"), "utf8");
    const m = /^ethPassword ([0-9a-f]{64})\n$/.exec(conf);
    expect(m, conf.replace(/[0-9a-f]{64}/, "<hex>")).to.not.equal(null);
    expect(mode(path.join(dir, "secret.conf"))).to.equal("400");
    expect(fs.readdirSync(path.join(dir, "keystore"))).to.deep.equal([]);
    expect(r.log).not.to.include(m![1]);
    const again = await run("throwaway-identity.sh", dir);
    expect(again.code, again.log).to.equal(0);
    expect(fs.readFileSync(path.join(dir, "secret.conf"), "utf8")).to.equal(conf);
  });

  it("rpc-proxy-config.sh renders HAProxy's config from the SecureString into tmpfs, logging no key", async function () {
    const dir = path.join(runDir, "rpc-proxy");
    fs.mkdirSync(dir, { mode: 0o700 });
    const r = await run("rpc-proxy-config.sh", dir);
    expect(r.code, r.log).to.equal(0);
    const cfg = fs.readFileSync(path.join(dir, "haproxy.cfg"), "utf8");
    expect(cfg).to.include("server hosted1 arb.example.invalid:443 ssl verify required");
    expect(cfg).to.include("bind 0.0.0.0:18545");
    expect(mode(path.join(dir, "haproxy.cfg"))).to.equal("400");
    expect(fs.existsSync(path.join(dir, "endpoints.json")), "fetched JSON removed").to.equal(false);
    expectNoSecret(r.log);
  });

  it("rpc-proxy-config.sh still starts the proxy, local-only and loudly, when the backups cannot be read", async function () {
    const dir = path.join(runDir, "rpc-proxy-nobackups");
    fs.mkdirSync(dir, { mode: 0o700 });
    hidden.add("/lf/test/chain/rpc-endpoints");
    try {
      const r = await run("rpc-proxy-config.sh", dir);
      expect(r.code, r.log).to.equal(0);
      expect(r.log).to.match(/WARNING: cannot read \/lf\/test\/chain\/rpc-endpoints/);
      const cfg = fs.readFileSync(path.join(dir, "haproxy.cfg"), "utf8");
      expect(cfg).to.include("server local 127.0.0.1:18547");
      expect(cfg).not.to.include("hosted1");
    } finally {
      hidden.delete("/lf/test/chain/rpc-endpoints");
    }
  });

  it("no unit file or rendered-config template carries a secret value", function () {
    const texts = fs
      .readdirSync(path.join(NODE_DIR, "units"), { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".service"))
      .map((f) => fs.readFileSync(path.join(NODE_DIR, "units", f), "utf8"));
    for (const t of texts) expectNoSecret(t);
    // The passphrase reaches go-livepeer only as a path: -ethPassword /run/..., never a value.
    const redeemer = fs.readFileSync(
      path.join(NODE_DIR, "units", "livepeer-redeemer.service"),
      "utf8",
    );
    expect(redeemer).to.match(/-ethPassword \/run\/livepeer-redeemer\/eth-password/);
  });
});
