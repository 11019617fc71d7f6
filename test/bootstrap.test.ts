// The user-data bootstrap (scripts/node/bootstrap.sh) run for real: Debian's /usr/bin/python3 with
// python3-boto3 fetches a kind's bundle from a local S3 stand-in that, like S3, answers only a
// request whose SigV4 signature is right (re-computed with the AWS SDK's own signer, S3 flavour:
// no double path encoding, x-amz-content-sha256 signed) and 403 SignatureDoesNotMatch otherwise.
// A good bundle is unpacked and its boot script runs; a tampered one is refused before anything
// is unpacked or run.
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildBundle, NODE_DIR } from "../lib/node-bundle";
import { envLine } from "../lib/userdata";
import { TEST_CREDS } from "./helpers/sigv4";
import { S3StandIn, s3StandIn } from "./helpers/s3-stand-in";
import { requireTools } from "./helpers/tools";

const REGION = "us-east-1";
const BUCKET = "lf-test-files";
const KEY = "node-files/transcoder.tar.gz";
const VERSION = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY";

function run(cmd: string, env: Record<string, string>): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    const p = spawn("bash", [cmd], { env: { PATH: process.env.PATH ?? "", ...env } });
    let err = "";
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("close", (code) => resolve({ code: code ?? -1, err }));
  });
}

describe("user-data bootstrap against an S3 stand-in (real boto3, SigV4 checked)", function () {
  let tmp: string;
  let nodeDir: string;
  let bundle: ReturnType<typeof buildBundle>;
  let stand: S3StandIn;

  before(async function () {
    requireTools(this, "bash", "tar", "sha256sum");
    const py = spawn("/usr/bin/python3", ["-c", "import boto3"]);
    const ok = await new Promise<boolean>((r) => py.on("close", (c) => r(c === 0)));
    if (!ok) requireTools(this, "python3-boto3-for-/usr/bin/python3");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-bootstrap-"));
    // The real transcoder file set, with a boot script that records that (and where) it ran.
    nodeDir = path.join(tmp, "node");
    fs.cpSync(NODE_DIR, nodeDir, { recursive: true });
    fs.writeFileSync(
      path.join(nodeDir, "boot-transcoder.sh"),
      '#!/usr/bin/env bash\nset -euo pipefail\necho "booted from $0" >"$LF_MARKER"\n',
    );
    bundle = buildBundle("transcoder", nodeDir);
    stand = await s3StandIn(
      { bucket: BUCKET, key: KEY, versionId: VERSION },
      Buffer.from(bundle.bytes),
      REGION,
    );
  });
  after(async () => {
    await stand?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  function envFile(name: string, sha: string): string {
    const file = path.join(tmp, `${name}.env`);
    const lines = [
      envLine("LF_KIND", "transcoder"),
      envLine("LF_REGION", REGION),
      envLine("LF_BUNDLE_BUCKET", BUCKET),
      envLine("LF_BUNDLE_KEY", KEY),
      envLine("LF_BUNDLE_VERSION", VERSION),
      envLine("LF_BUNDLE_SHA256", sha),
    ];
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  }

  function envFor(name: string, sha: string, creds = TEST_CREDS): Record<string, string> {
    return {
      LF_ENV_FILE: envFile(name, sha),
      LF_ROOT: path.join(tmp, name, "opt"),
      LF_AWS_ENDPOINT_S3: `http://127.0.0.1:${stand.port}`,
      LF_RETRY_SECONDS: "0",
      LF_MARKER: path.join(tmp, `${name}.marker`),
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_SESSION_TOKEN: creds.sessionToken,
      // No shared config or credential files of this machine.
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      HOME: tmp,
    };
  }

  it("fetches the pinned version with a signed request, unpacks it and runs the kind's boot script", async function () {
    stand.requests.length = 0;
    const r = await run(path.join(NODE_DIR, "bootstrap.sh"), envFor("good", bundle.sha256));
    expect(r.code, r.err).to.equal(0);
    expect(stand.requests.every((q) => q.signed)).to.equal(true);
    expect(stand.requests.some((q) => q.path.includes(`versionId=${VERSION}`))).to.equal(true);
    const root = path.join(tmp, "good", "opt");
    expect(fs.readFileSync(path.join(tmp, "good.marker"), "utf8")).to.include(
      `${root}/bin/boot-transcoder.sh`,
    );
    expect(fs.statSync(path.join(root, "bin", "fetch-secret.sh")).mode & 0o777).to.equal(0o755);
    expect(
      fs.statSync(path.join(root, "units", "livepeer-transcoder.service")).mode & 0o777,
    ).to.equal(0o644);
  });

  it("refuses a bundle whose sha256 is not the pinned one: nothing unpacked, nothing run", async function () {
    const tampered = Buffer.from(bundle.bytes);
    tampered[tampered.length - 10] ^= 0xff;
    stand.serve = tampered;
    try {
      const r = await run(path.join(NODE_DIR, "bootstrap.sh"), envFor("tampered", bundle.sha256));
      expect(r.code).to.not.equal(0);
      expect(r.err).to.include("refusing it");
      expect(fs.existsSync(path.join(tmp, "tampered", "opt"))).to.equal(false);
      expect(fs.existsSync(path.join(tmp, "tampered.marker"))).to.equal(false);
    } finally {
      stand.serve = Buffer.from(bundle.bytes);
    }
  });

  it("fails (and runs nothing) when S3 refuses the request: a wrong key's signature does not match", async function () {
    const r = await run(
      path.join(NODE_DIR, "bootstrap.sh"),
      envFor("unsigned", bundle.sha256, { ...TEST_CREDS, secretAccessKey: "not-the-secret" }),
    );
    expect(r.code).to.not.equal(0);
    expect(r.err).to.include("SignatureDoesNotMatch");
    expect(fs.existsSync(path.join(tmp, "unsigned.marker"))).to.equal(false);
  });

  it("refuses an env file without a proper pin before fetching anything", async function () {
    stand.requests.length = 0;
    const r = await run(path.join(NODE_DIR, "bootstrap.sh"), envFor("nopin", "not-a-sha"));
    expect(r.code).to.not.equal(0);
    expect(r.err).to.include("LF_BUNDLE_SHA256 is not a sha256");
    expect(stand.requests).to.deep.equal([]);
  });
});
