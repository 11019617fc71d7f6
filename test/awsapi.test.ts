// scripts/node/awsapi.py, the node's AWS-call layer (boto3), for real: every command of its CLI
// runs under Debian's python3-boto3 against local STAND-INS for IMDSv2 and the AWS APIs, each
// speaking the wire protocol botocore's model names for it and verifying the SigV4 signature
// with the AWS SDK's own signer (helpers/aws-stand-ins.ts). What the boot scripts rely on: exit
// status, the one line of output they parse, files and their modes, and errors that name the
// call but never a value.
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  AwsFault,
  AwsStandIn,
  INSTANCE_ID,
  ImdsStandIn,
  SYSTEM_PYTHON,
  awsEnv,
  requireBoto3,
  route53Route,
} from "./helpers/aws-stand-ins";
import { NODE_DIR } from "./helpers/node-runtime";
import { TEST_CREDS } from "./helpers/sigv4";

const SECRET_VALUE = "test-only secret value 9c2e71";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs awsapi.py asynchronously: the stand-ins live in this process and must keep answering. */
function awsapi(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(SYSTEM_PYTHON, [path.join(NODE_DIR, "awsapi.py"), ...args], {
      env: { ...env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe("awsapi.py through boto3 (IMDS, SSM, EC2, Route 53 and Auto Scaling stand-ins)", function () {
  const imds = new ImdsStandIn();
  const ssm = new AwsStandIn("ssm", "json");
  const ec2 = new AwsStandIn("ec2", "ec2");
  const autoscaling = new AwsStandIn("autoscaling", "query");
  // Route 53 is global: botocore signs it for us-east-1 whatever the instance's region.
  const route53 = new AwsStandIn("route53", "rest-xml", {
    region: "us-east-1",
    route: route53Route,
  });
  let env: NodeJS.ProcessEnv;
  let tmp: string;
  let changeStatus: string[] = [];

  before(async function () {
    requireBoto3(this);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-awsapi-"));
    await Promise.all([imds, ssm, ec2, autoscaling, route53].map((s) => s.start()));
    env = awsEnv(imds, { SSM: ssm, EC2: ec2, AUTOSCALING: autoscaling, ROUTE53: route53 });

    ssm.on("GetParameter", (c) =>
      c.json.Name === "/lf/test/secret"
        ? {
            Parameter: { Name: c.json.Name, Type: "SecureString", Value: SECRET_VALUE, Version: 1 },
          }
        : new AwsFault("ParameterNotFound", ""),
    );
    ec2.on("DescribeVolumes", (c) =>
      c.params.get("VolumeId.1") === "vol-0aaaaaaaaaaaaaaa1"
        ? "<volumeSet><item><volumeId>vol-0aaaaaaaaaaaaaaa1</volumeId><status>in-use</status>" +
          "<attachmentSet><item><volumeId>vol-0aaaaaaaaaaaaaaa1</volumeId>" +
          `<instanceId>${INSTANCE_ID}</instanceId><device>/dev/sdf</device>` +
          "<status>attached</status></item></attachmentSet></item></volumeSet>"
        : "<volumeSet><item><volumeId>vol-0bbbbbbbbbbbbbbb2</volumeId><status>available</status>" +
          "<attachmentSet/></item></volumeSet>",
    );
    ec2.on(
      "AttachVolume",
      () => "<volumeId>vol-0bbbbbbbbbbbbbbb2</volumeId><status>attaching</status>",
    );
    ec2.on(
      "AssociateAddress",
      () => "<return>true</return><associationId>eipassoc-1</associationId>",
    );
    autoscaling.on("SetInstanceHealth", () => "");
    route53.on(
      "ChangeResourceRecordSets",
      () =>
        '<ChangeResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">' +
        "<ChangeInfo><Id>/change/C0TESTCHANGE</Id><Status>PENDING</Status>" +
        "<SubmittedAt>2024-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo>" +
        "</ChangeResourceRecordSetsResponse>",
    );
    route53.on(
      "GetChange",
      () =>
        '<GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">' +
        `<ChangeInfo><Id>/change/C0TESTCHANGE</Id><Status>${changeStatus.shift() ?? "INSYNC"}</Status>` +
        "<SubmittedAt>2024-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo></GetChangeResponse>",
    );
  });

  beforeEach(function () {
    for (const s of [ssm, ec2, autoscaling, route53]) s.calls = [];
    imds.requests = [];
    imds.secret = TEST_CREDS.secretAccessKey;
  });

  after(async function () {
    await Promise.all([imds, ssm, ec2, autoscaling, route53].map((s) => s.stop()));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("botocore's own models name the protocols the stand-ins speak", function () {
    const r = spawnSync(
      SYSTEM_PYTHON,
      [
        "-c",
        "import botocore, botocore.session, json; s = botocore.session.get_session(); " +
          "print(json.dumps({n: s.get_service_model(n).metadata for n in " +
          "['ssm', 'ec2', 'autoscaling', 'cloudwatch', 'route53']}))",
      ],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).to.equal(0);
    const meta = JSON.parse(r.stdout) as Record<
      string,
      { protocol: string; endpointPrefix: string; jsonVersion?: string }
    >;
    const seen = Object.fromEntries(
      Object.entries(meta).map(([n, m]) => [n, [m.protocol, m.endpointPrefix]]),
    );
    expect(seen).to.deep.equal({
      ssm: ["json", "ssm"],
      ec2: ["ec2", "ec2"],
      autoscaling: ["query", "autoscaling"],
      cloudwatch: ["query", "monitoring"],
      route53: ["rest-xml", "route53"],
    });
    expect(meta.ssm.jsonVersion).to.equal("1.1");
  });

  it("ssm-get writes the decrypted value to a new 0400 file, printing and logging nothing of it", async function () {
    const out = path.join(tmp, "secret");
    const r = await awsapi(["ssm-get", "/lf/test/secret", out], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(fs.readFileSync(out, "utf8")).to.equal(SECRET_VALUE);
    expect((fs.statSync(out).mode & 0o777).toString(8)).to.equal("400");
    expect(r.stdout).to.equal("");
    expect(r.stderr).not.to.include(SECRET_VALUE);
    expect(ssm.signed("GetParameter").map((c) => c.json)).to.deep.equal([
      { Name: "/lf/test/secret", WithDecryption: true },
    ]);
    // Credentials through botocore's IMDSv2 provider: every metadata read carried a token.
    expect(imds.requests.length).to.be.above(0);
    expect(imds.requests.every((q) => q.token)).to.equal(true);
  });

  it("ssm-get never overwrites a file nor follows a symlink (O_EXCL|O_NOFOLLOW)", async function () {
    const existing = path.join(tmp, "existing");
    fs.writeFileSync(existing, "keep");
    const target = path.join(tmp, "target");
    fs.writeFileSync(target, "keep");
    const link = path.join(tmp, "link");
    fs.symlinkSync(target, link);
    for (const out of [existing, link]) {
      const r = await awsapi(["ssm-get", "/lf/test/secret", out], env);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal(
        "awsapi ssm-get failed: cannot create the output file: File exists\n",
      );
      expect(r.stdout + r.stderr).not.to.include(SECRET_VALUE);
    }
    expect(fs.readFileSync(existing, "utf8")).to.equal("keep");
    expect(fs.readFileSync(target, "utf8")).to.equal("keep");
  });

  it("a failed call is one line naming the operation and AWS's code, exit 1, no file", async function () {
    const out = path.join(tmp, "missing");
    const r = await awsapi(["ssm-get", "/lf/test/absent", out], env);
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split("\n")).to.deep.equal([
      "awsapi ssm-get failed: GetParameter: ParameterNotFound:",
    ]);
    expect(fs.existsSync(out)).to.equal(false);
  });

  it("signs with the instance role only: credentials in the environment are ignored", async function () {
    const out = path.join(tmp, "role-only");
    const r = await awsapi(["ssm-get", "/lf/test/secret", out], {
      ...env,
      AWS_ACCESS_KEY_ID: "AKIDFROMENVIRONMENT",
      AWS_SECRET_ACCESS_KEY: "secret-from-environment",
      AWS_SESSION_TOKEN: "token-from-environment",
    });
    expect(r.code, r.stderr).to.equal(0);
    expect(ssm.calls.map((c) => c.signatureOk)).to.deep.equal([true]);
  });

  it("a wrong signature is refused by the stand-in (its check bites): exit 1, no secret in the line", async function () {
    imds.secret = "not-the-secret";
    const r = await awsapi(["ssm-get", "/lf/test/secret", path.join(tmp, "refused")], env);
    expect(r.code).to.equal(1);
    expect(ssm.calls.map((c) => c.signatureOk)).to.deep.equal([false]);
    expect(r.stderr).to.match(/GetParameter: SignatureDoesNotMatch/);
    expect(r.stderr).not.to.include("not-the-secret");
  });

  it("LF_AWS_REGION overrides the instance's region (the credential scope names it)", async function () {
    const east = new AwsStandIn("ssm", "json", { region: "us-east-1" });
    east.on("GetParameter", () => ({ Parameter: { Name: "x", Type: "SecureString", Value: "v" } }));
    await east.start();
    try {
      const r = await awsapi(["ssm-get", "/lf/test/secret", path.join(tmp, "east")], {
        ...env,
        LF_AWS_ENDPOINT_SSM: east.url,
        LF_AWS_REGION: "us-east-1",
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(east.signed("GetParameter")).to.have.length(1);
    } finally {
      await east.stop();
    }
  });

  it("an endpoint that does not answer: one bounded line, exit 1", async function () {
    const r = await awsapi(["ec2-volume", "vol-0aaaaaaaaaaaaaaa1"], {
      ...env,
      LF_AWS_ENDPOINT_EC2: "http://127.0.0.1:9",
    });
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
    expect(r.stderr).to.match(/^awsapi ec2-volume failed: DescribeVolumes: Could not connect/);
  });

  it("ec2-volume prints state, holder and attachment state for attach-data-volume.sh", async function () {
    const held = await awsapi(["ec2-volume", "vol-0aaaaaaaaaaaaaaa1"], env);
    expect(held.code, held.stderr).to.equal(0);
    expect(held.stdout).to.equal(`in-use ${INSTANCE_ID} attached\n`);
    const free = await awsapi(["ec2-volume", "vol-0bbbbbbbbbbbbbbb2"], env);
    expect(free.stdout).to.equal("available - -\n");
    const [call] = ec2.signed("DescribeVolumes");
    expect(call.params.get("Version")).to.equal("2016-11-15");
    expect(call.params.get("VolumeId.1")).to.equal("vol-0aaaaaaaaaaaaaaa1");
  });

  it("ec2-attach asks EC2 to attach the volume to the instance as the device", async function () {
    const r = await awsapi(["ec2-attach", "vol-0bbbbbbbbbbbbbbb2", INSTANCE_ID, "/dev/sdf"], env);
    expect(r.code, r.stderr).to.equal(0);
    const [call] = ec2.signed("AttachVolume");
    expect(Object.fromEntries(call.params)).to.deep.include({
      VolumeId: "vol-0bbbbbbbbbbbbbbb2",
      InstanceId: INSTANCE_ID,
      Device: "/dev/sdf",
    });
  });

  it("ec2-associate-address takes the Elastic IP over for this instance with one call (its role may not describe addresses)", async function () {
    const r = await awsapi(["ec2-associate-address", "eipalloc-0123456789abcdef0"], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal("eipassoc-1\n");
    const [assoc] = ec2.signed("AssociateAddress");
    expect(Object.fromEntries(assoc.params)).to.deep.include({
      AllocationId: "eipalloc-0123456789abcdef0",
      InstanceId: INSTANCE_ID, // from IMDS
      AllowReassociation: "true",
    });
    expect(ec2.signed("DescribeAddresses")).to.deep.equal([]);
  });

  it("route53-upsert UPSERTs the A record, signed for us-east-1, and waits for INSYNC", async function () {
    changeStatus = ["PENDING"];
    const r = await awsapi(
      ["route53-upsert", "Z0123456789ABCDEFGHIJ", "chain.eu-west-1.lf.internal", "10.0.1.23", "30"],
      env,
    );
    expect(r.code, r.stderr).to.equal(0);
    const [change] = route53.signed("ChangeResourceRecordSets");
    expect(change.path).to.match(/^\/2013-04-01\/hostedzone\/Z0123456789ABCDEFGHIJ\/rrset\/?$/);
    const rrset = /<ResourceRecordSet>(.*)<\/ResourceRecordSet>/.exec(change.body)?.[1];
    expect(rrset).to.equal(
      "<Name>chain.eu-west-1.lf.internal</Name><Type>A</Type><TTL>30</TTL>" +
        "<ResourceRecords><ResourceRecord><Value>10.0.1.23</Value></ResourceRecord></ResourceRecords>",
    );
    expect(change.body).to.include("<Action>UPSERT</Action>");
    // PENDING once, then INSYNC: two looks at the change.
    expect(route53.signed("GetChange").map((c) => c.path)).to.deep.equal([
      "/2013-04-01/change/C0TESTCHANGE",
      "/2013-04-01/change/C0TESTCHANGE",
    ]);
    expect(route53.calls.every((c) => c.signatureOk)).to.equal(true);
  });

  it("set-instance-health Unhealthy: this instance, grace period respected", async function () {
    const r = await awsapi(["set-instance-health", "Unhealthy"], env);
    expect(r.code, r.stderr).to.equal(0);
    const [call] = autoscaling.signed("SetInstanceHealth");
    expect(Object.fromEntries(call.params)).to.deep.equal({
      Action: "SetInstanceHealth",
      Version: "2011-01-01",
      InstanceId: INSTANCE_ID,
      HealthStatus: "Unhealthy",
      ShouldRespectGracePeriod: "true",
    });
    const bad = await awsapi(["set-instance-health", "Sick"], env);
    expect(bad.code).to.equal(1);
    expect(autoscaling.calls).to.have.length(1);
  });

  it("set-instance-health-now Unhealthy: this instance, even inside the grace period", async function () {
    const r = await awsapi(["set-instance-health-now", "Unhealthy"], env);
    expect(r.code, r.stderr).to.equal(0);
    const [call] = autoscaling.signed("SetInstanceHealth");
    expect(Object.fromEntries(call.params)).to.deep.equal({
      Action: "SetInstanceHealth",
      Version: "2011-01-01",
      InstanceId: INSTANCE_ID,
      HealthStatus: "Unhealthy",
      ShouldRespectGracePeriod: "false",
    });
  });

  it("imds prints a metadata value read with an IMDSv2 token", async function () {
    const r = await awsapi(["imds", "meta-data/local-ipv4"], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal("10.0.1.23\n");
    expect(imds.requests).to.deep.equal([{ path: "meta-data/local-ipv4", token: true }]);
  });

  it("a usage error prints the usage and exits 2, calling nothing", async function () {
    const r = await awsapi(["ec2-attach", "vol-0bbbbbbbbbbbbbbb2"], env);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("ec2-associate-address ALLOCATION_ID");
    expect(ec2.calls).to.deep.equal([]);
  });
});
