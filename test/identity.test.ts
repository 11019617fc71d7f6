// Identity and secret handling on the node, for real: fetch-identity.sh (the redeemer's own
// account and, in the home region only, the orchestrator's), throwaway-identity.sh and
// rpc-proxy-config.sh run against local STAND-INS for the instance metadata service (IMDSv2 only)
// and SSM GetParameter (helpers/aws-stand-ins.ts), through awsapi.py and boto3. The SSM stand-in
// verifies every request's SigV4 signature with the AWS SDK's own signer and refuses a wrong one.
// Key material lands in a tmpfs mounted for the test (root). The scripts run as their units run
// them, with core dumps off (prlimit --core=0:0, the units' LimitCORE=0), unless a test says not.
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AwsFault, AwsStandIn, ImdsStandIn, awsEnv, requireBoto3 } from "./helpers/aws-stand-ins";
import { requireRoot, requireTools } from "./helpers/tools";
import { NODE_DIR } from "./helpers/node-runtime";
import { TEST_IDENTITY } from "./helpers/test-identity";

// One test key serves as whichever account a test needs: the env file says whose it should be.
const PARAMS: Record<string, string> = {
  "/lf/test/orchestrator/keystore": TEST_IDENTITY.keystore,
  "/lf/test/orchestrator/passphrase": TEST_IDENTITY.passphrase,
  "/lf/test/redeemer/keystore": TEST_IDENTITY.keystore,
  "/lf/test/redeemer/passphrase": TEST_IDENTITY.passphrase,
  "/lf/test/chain/rpc-endpoints": TEST_IDENTITY.endpoints,
};
/** Another account than the test key's: the orchestrator, when the test key is the redeemer's. */
const ORCHESTRATOR = "0x11D12AfEF50b1FeE02146020533857d35936035D";
/** The node.env settings fetch-identity.sh reads (home region: the reward service runs here). */
const BASE_ENV: Record<string, string> = {
  LF_ORCH_ADDR: ORCHESTRATOR,
  LF_REDEEMER_ACCOUNT: TEST_IDENTITY.address,
  LF_REDEEMER_KEYSTORE_PARAM: "/lf/test/redeemer/keystore",
  LF_REDEEMER_PASSPHRASE_PARAM: "/lf/test/redeemer/passphrase",
  LF_REWARD_SERVICE: "1",
  LF_ORCH_KEYSTORE_PARAM: "/lf/test/orchestrator/keystore",
  LF_ORCH_PASSPHRASE_PARAM: "/lf/test/orchestrator/passphrase",
  LF_RPC_ENDPOINTS_PARAM: "/lf/test/chain/rpc-endpoints",
  LF_RPC_PORT: "18545",
  LF_LOCAL_RPC_PORT: "18547",
  LF_CHAIN_HEALTH_PORT: "18937",
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
    requireTools(this, "python3", "mount", "haproxy", "prlimit");
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

    envFile = path.join(tmp, "node.env");
    writeEnv({});
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

  let envFile: string;
  /** node.env: BASE_ENV with `over` on top (undefined: the key is absent). */
  function writeEnv(over: Record<string, string | undefined>): void {
    const vars = { ...BASE_ENV, ...over };
    const lines = Object.entries(vars).flatMap(([k, v]) =>
      v === undefined ? [] : [`${k}='${v}'`],
    );
    fs.writeFileSync(envFile, `${lines.join("\n")}\n`);
  }
  afterEach(() => writeEnv({}));

  // Asynchronous: the stand-ins live in this process and must keep answering meanwhile.
  function run(
    script: string,
    args: string | string[],
    opts: { core?: string } = {},
  ): Promise<{ code: number; log: string }> {
    const argv = [path.join(root, "bin", script), ...(Array.isArray(args) ? args : [args])];
    return new Promise((resolve) => {
      // As the units run them: LimitCORE=0 is soft and hard 0 (prlimit sets both).
      const child = spawn("prlimit", [`--core=${opts.core ?? "0:0"}`, "bash", ...argv], { env });
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

  const ssmNames = (prefix: string) => ssmCalls().filter((c) => c.name.startsWith(prefix));

  it("fetch-identity.sh redeemer: the region's own account into tmpfs, 0400, signed and decrypted via SSM, logging no secret", async function () {
    const dir = path.join(runDir, "livepeer-redeemer");
    fs.mkdirSync(dir, { mode: 0o700 });
    const r = await run("fetch-identity.sh", ["redeemer", dir]);
    expect(r.code, r.log).to.equal(0);
    expect(fs.readFileSync(path.join(dir, "eth-password"), "utf8")).to.equal(
      TEST_IDENTITY.passphrase,
    );
    expect(fs.readFileSync(path.join(dir, "keystore", "redeemer.json"), "utf8")).to.equal(
      TEST_IDENTITY.keystore,
    );
    expect(fs.readdirSync(path.join(dir, "keystore"))).to.deep.equal(["redeemer.json"]);
    expect(mode(path.join(dir, "eth-password"))).to.equal("400");
    expect(mode(path.join(dir, "keystore", "redeemer.json"))).to.equal("400");
    expect(mode(path.join(dir, "keystore"))).to.equal("700");
    expect(ssmNames("/lf/test/redeemer/")).to.deep.equal([
      { name: "/lf/test/redeemer/keystore", decrypt: true, signatureOk: true },
      { name: "/lf/test/redeemer/passphrase", decrypt: true, signatureOk: true },
    ]);
    // The redeemer never asks for the orchestrator's key.
    expect(ssmNames("/lf/test/orchestrator/")).to.deep.equal([]);
    expect(r.log.toLowerCase()).to.include(
      `redeemer identity for ${TEST_IDENTITY.address.toLowerCase()}`,
    );
    expectNoSecret(r.log);
  });

  it("fetch-identity.sh orchestrator: the reward service's key, in the home region only", async function () {
    writeEnv({ LF_ORCH_ADDR: TEST_IDENTITY.address, LF_REDEEMER_ACCOUNT: ORCHESTRATOR });
    const dir = path.join(runDir, "livepeer-reward");
    fs.mkdirSync(dir, { mode: 0o700 });
    const r = await run("fetch-identity.sh", ["orchestrator", dir]);
    expect(r.code, r.log).to.equal(0);
    expect(fs.readdirSync(path.join(dir, "keystore"))).to.deep.equal(["orchestrator.json"]);
    expect(mode(path.join(dir, "keystore", "orchestrator.json"))).to.equal("400");
    expect(ssmNames("/lf/test/orchestrator/").map((c) => c.name)).to.deep.equal([
      "/lf/test/orchestrator/keystore",
      "/lf/test/orchestrator/passphrase",
    ]);
    expectNoSecret(r.log);

    // Another region (LF_REWARD_SERVICE=0, no orchestrator names rendered): refused before any call.
    const before = ssmCalls().length;
    writeEnv({
      LF_ORCH_ADDR: TEST_IDENTITY.address,
      LF_REWARD_SERVICE: "0",
      LF_ORCH_KEYSTORE_PARAM: undefined,
      LF_ORCH_PASSPHRASE_PARAM: undefined,
    });
    const away = path.join(runDir, "livepeer-reward-away");
    fs.mkdirSync(away, { mode: 0o700 });
    const refused = await run("fetch-identity.sh", ["orchestrator", away]);
    expect(refused.code).to.not.equal(0);
    expect(refused.log).to.match(/only by the home region's reward service/);
    expect(fs.readdirSync(away)).to.deep.equal([]);
    expect(ssmCalls().length).to.equal(before);
  });

  it("fetch-identity.sh refuses the orchestrator's key as the redeemer's (one account, one sender), and removes it", async function () {
    writeEnv({ LF_ORCH_ADDR: TEST_IDENTITY.address, LF_REDEEMER_ACCOUNT: ORCHESTRATOR });
    const dir = path.join(runDir, "redeemer-is-orchestrator");
    fs.mkdirSync(dir, { mode: 0o700 });
    const r = await run("fetch-identity.sh", ["redeemer", dir]);
    expect(r.code).to.not.equal(0);
    expect(r.log).to.match(/is the orchestrator's account .*the redeemer needs its own/);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
    expectNoSecret(r.log);
  });

  it("fetch-identity.sh refuses, and removes, a keystore of another address", async function () {
    writeEnv({ LF_REDEEMER_ACCOUNT: "0x00000000000000000000000000000000000000C3" });
    const dir = path.join(runDir, "wrong-key");
    fs.mkdirSync(dir, { mode: 0o700 });
    const r = await run("fetch-identity.sh", ["redeemer", dir]);
    expect(r.code).to.not.equal(0);
    expect(r.log).to.match(/is not for 0x00000000000000000000000000000000000000C3/);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
    expectNoSecret(r.log);
  });

  it("fetch-identity.sh refuses a directory that is not tmpfs, an unknown role, and a process that could dump core", async function () {
    const disk = path.join(tmp, "on-disk");
    fs.mkdirSync(disk);
    const notTmpfs = await run("fetch-identity.sh", ["redeemer", disk]);
    expect(notTmpfs.code).to.not.equal(0);
    expect(notTmpfs.log).to.match(/not on tmpfs/);
    expect(fs.readdirSync(disk)).to.deep.equal([]);

    const dir = path.join(runDir, "checks");
    fs.mkdirSync(dir, { mode: 0o700 });
    const role = await run("fetch-identity.sh", ["reward", dir]);
    expect(role.code).to.not.equal(0);
    expect(role.log).to.match(/usage: fetch-identity.sh redeemer\|orchestrator DIR/);

    const before = ssmCalls().length;
    // Soft 0 but hard unlimited: the process could raise it again (a unit without LimitCORE=0).
    const core = await run("fetch-identity.sh", ["redeemer", dir], { core: "0:unlimited" });
    expect(core.code).to.not.equal(0);
    expect(core.log).to.match(/core dumps are possible .*LimitCORE=0/);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
    expect(ssmCalls().length, "nothing fetched").to.equal(before);
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
    const reward = fs.readFileSync(path.join(NODE_DIR, "units", "livepeer-reward.service"), "utf8");
    expect(reward).to.match(/-ethPassword \/run\/livepeer-reward\/eth-password/);
  });
});
