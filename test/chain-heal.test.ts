// The chain node heals itself without racing its volume: the real boot scripts (bash, Debian's
// python3-boto3 through scripts/node/awsapi.py) against STAND-INS for IMDSv2, EC2 (one EBS
// volume whose state moves one step per DescribeVolumes call: test/helpers/chain-boot.ts),
// Route 53 and Auto Scaling, each speaking the protocol botocore's model names and checking SigV4
// (helpers/aws-stand-ins.ts), with recording stubs for systemd, apt, docker and sleep (so no wait
// is real: a test's "time" is the sum of the pauses the scripts asked for) and real loop devices
// and mounts for the volume.
//   1. boot-deadline.sh: arm, complete, expire (SetInstanceHealth, or power-off without the API).
//   2. attach-data-volume.sh: waits for the old instance to let go, never detaches, gives up in
//      bounded looks, fails at once on a volume that can never attach.
//   3. The chain node's rendered user data end to end in a mount namespace of its own (its /etc,
//      /opt, /usr/local/sbin and /var/lib are scratch copies; the mounts vanish with it): the
//      bootstrap fetches the real chain bundle from an S3 stand-in, boot-chain.sh attaches and
//      mounts the volume, installs go-livepeer from an HTTPS stand-in, publishes the private name
//      and starts the units; every failure ends in a report, and only a completed boot publishes.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  AwsFault,
  AwsStandIn,
  INSTANCE_ID,
  ImdsStandIn,
  awsEnv,
  requireBoto3,
  route53Route,
} from "./helpers/aws-stand-ins";
import {
  Ec2VolumeStandIn,
  detachLoop,
  httpsFile,
  ipCertificate,
  loopDevice,
  onFilesystem,
  requireMountNamespace,
  releaseTarball,
  run,
  scratch,
  stubCommands,
  stubLog,
} from "./helpers/chain-boot";
import { NODE_DIR } from "./helpers/node-runtime";
import { S3StandIn, s3StandIn } from "./helpers/s3-stand-in";
import { requireRoot, requireTools } from "./helpers/tools";
import { buildBundle } from "../lib/node-bundle";
import { chainEnv } from "../lib/runtime/values";
import { CHAIN_BOOT } from "../lib/runtime-contract";
import { renderUserData, type Env } from "../lib/userdata";
import { fixtureDesign } from "./fixtures/region";

const DEADLINE = path.join(NODE_DIR, "boot-deadline.sh");
const ATTACH = path.join(NODE_DIR, "attach-data-volume.sh");
const VOLUME = "vol-0123456789abcdef0";
const OLD_INSTANCE = "i-0aaaaaaaaaaaaaaa1";
const OTHER_INSTANCE = "i-0bbbbbbbbbbbbbbb2";
const REGION = "us-east-1";

/** An /opt/livepeer-fleet whose bin/ is scripts/node: what the bundle unpacks to. */
function unpackedRoot(dir: string): string {
  const root = path.join(dir, "opt-livepeer-fleet");
  fs.mkdirSync(root, { recursive: true });
  fs.symlinkSync(NODE_DIR, path.join(root, "bin"));
  return root;
}

function healthReports(asg: AwsStandIn): Record<string, string>[] {
  return asg.signed("SetInstanceHealth").map((c) => Object.fromEntries(c.params));
}

const REPORT = {
  Action: "SetInstanceHealth",
  Version: "2011-01-01",
  InstanceId: INSTANCE_ID,
  HealthStatus: "Unhealthy",
  // A failed boot does not get better inside the group's grace period: not respected.
  ShouldRespectGracePeriod: "false",
};

describe("chain node self-healing: boot-deadline.sh (IMDS and Auto Scaling stand-ins, systemd stubs)", function () {
  const imds = new ImdsStandIn();
  const asg = new AwsStandIn("autoscaling", "query");
  let answer: () => string | AwsFault = () => "";
  let dir: string;
  let root: string;

  before(async function () {
    requireTools(this, "bash", "flock");
    requireBoto3(this);
    await Promise.all([imds.start(), asg.start()]);
    asg.on("SetInstanceHealth", () => answer());
    dir = scratch("lf-deadline-");
    root = unpackedRoot(dir);
  });
  after(async function () {
    await Promise.all([imds.stop(), asg.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh boot: its own state dir and stub logs. */
  function boot(name: string, opts: { bundle?: boolean; failing?: string[] } = {}) {
    const d = path.join(dir, name);
    fs.mkdirSync(d);
    const bin = stubCommands(d, ["systemd-run", "systemctl", "sleep"], opts.failing);
    const env = {
      ...awsEnv(imds, { AUTOSCALING: asg }),
      PATH: `${bin}:${process.env.PATH}`,
      LF_ROOT: opts.bundle === false ? path.join(d, "no-bundle") : root,
      LF_BOOT_STATE_DIR: path.join(d, "run"),
    };
    const deadline = (...args: string[]) => run("bash", [DEADLINE, ...args], env);
    return { d, env, deadline, log: (stub: string) => stubLog(d, stub) };
  }

  beforeEach(function () {
    asg.calls = [];
    answer = () => "";
  });

  it("arm starts a transient timer that runs `expire` after the given seconds", async function () {
    const b = boot("arm");
    const r = await b.deadline("arm", "2700");
    expect(r.code, r.out).to.equal(0);
    expect(b.log("systemd-run")).to.deep.equal([
      "--unit=livepeer-fleet-boot-deadline --description=livepeer-fleet boot deadline " +
        `--on-active=2700s --timer-property=AccuracySec=1s -- ${DEADLINE} expire`,
    ]);
    expect(r.out).to.match(
      /armed: this instance is marked Unhealthy unless its boot completes within 2700s/,
    );
    for (const bad of ["", "0", "45m", "-1"]) {
      const refused = await b.deadline("arm", bad);
      expect(refused.code, bad).to.equal(2);
    }
    expect(b.log("systemd-run")).to.have.length(1);
  });

  it("a failed arm is loud but does not stop the boot", async function () {
    const b = boot("arm-fails", { failing: ["systemd-run"] });
    const r = await b.deadline("arm", "2700");
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/WARNING: could not arm the boot deadline/);
  });

  it("a completed boot disarms it: the timer's expire then reports nothing", async function () {
    const b = boot("completed");
    expect((await b.deadline("complete")).code).to.equal(0);
    expect(b.log("systemctl")).to.deep.equal(["stop livepeer-fleet-boot-deadline.timer"]);
    const r = await b.deadline("expire");
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/boot completed at .*: nothing to do/);
    expect(asg.calls).to.deep.equal([]);
    expect(b.log("systemctl")).not.to.include("poweroff");
  });

  it("an unfinished boot at the deadline: SetInstanceHealth Unhealthy for its own instance, and a late `complete` is refused", async function () {
    const b = boot("expired");
    const r = await b.deadline("expire");
    expect(r.code, r.out).to.equal(0);
    expect(healthReports(asg)).to.deep.equal([REPORT]);
    expect(asg.calls.every((c) => c.signatureOk)).to.equal(true);
    expect(fs.existsSync(path.join(b.d, "run", "boot-expired"))).to.equal(true);
    const late = await b.deadline("complete");
    expect(late.code).to.equal(1);
    expect(late.out).to.match(
      /finished after its deadline expired .*: this instance is being replaced/,
    );
    expect(fs.existsSync(path.join(b.d, "run", "boot-complete"))).to.equal(false);
    // The timer, after an early report (the boot exited with an error), reports again.
    await b.deadline("expire");
    expect(healthReports(asg)).to.deep.equal([REPORT, REPORT]);
    expect(b.log("systemctl")).to.deep.equal([]);
  });

  it("Auto Scaling refusing five times: power off, so the group's EC2 check replaces the instance", async function () {
    answer = () => new AwsFault("Throttling", "Rate exceeded");
    const b = boot("refused");
    const r = await b.deadline("expire");
    expect(r.code, r.out).to.equal(0);
    expect(asg.signed("SetInstanceHealth")).to.have.length(5);
    expect(b.log("sleep")).to.deep.equal(["10", "10", "10", "10"]);
    expect(r.out).to.match(/SetInstanceHealth: Throttling: Rate exceeded/);
    expect(b.log("systemctl")).to.deep.equal(["poweroff"]);
  });

  it("no bundle (its download failed): power off without calling anything", async function () {
    const b = boot("no-bundle", { bundle: false });
    const r = await b.deadline("expire");
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/the node-file bundle never arrived/);
    expect(asg.calls).to.deep.equal([]);
    expect(b.log("systemctl")).to.deep.equal(["poweroff"]);
  });
});

describe("chain node self-healing: attach-data-volume.sh (IMDS and EC2 stand-ins, a real loop device)", function () {
  const imds = new ImdsStandIn();
  let dir: string;
  let root: string;
  const devices: string[] = [];
  const mounts: string[] = [];

  before(async function () {
    requireRoot(this);
    requireTools(this, "bash", "losetup", "mkfs.ext4", "blkid", "wipefs", "findmnt");
    requireBoto3(this);
    await imds.start();
    dir = scratch("lf-attach-");
    root = unpackedRoot(dir);
  });
  after(async function () {
    for (const m of mounts.reverse()) await run("umount", [m], process.env);
    for (const d of devices) detachLoop(d);
    await imds.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A volume stand-in backed by a fresh loop device whose by-id link appears when attached. */
  async function setup(name: string, prepare?: (file: string) => void) {
    const d = path.join(dir, name);
    fs.mkdirSync(path.join(d, "by-id"), { recursive: true });
    const dev = loopDevice(d, "vol", prepare);
    devices.push(dev);
    const vol = new Ec2VolumeStandIn(VOLUME, "eu-west-1");
    vol.onAttached = (instance) => {
      if (instance === INSTANCE_ID) {
        fs.symlinkSync(
          dev,
          path.join(d, "by-id", `nvme-Amazon_Elastic_Block_Store_${VOLUME.replace("-", "")}`),
        );
      }
    };
    await vol.api.start();
    const bin = stubCommands(d, ["sleep", "udevadm"]);
    const mnt = path.join(d, "mnt");
    const attach = async (attempts = 10) => {
      const r = await run("bash", [ATTACH, VOLUME, mnt], {
        ...awsEnv(imds, { EC2: vol.api }),
        PATH: `${bin}:${process.env.PATH}`,
        LF_ROOT: root,
        LF_ATTACH_ATTEMPTS: String(attempts),
        LF_ATTACH_POLL_SECONDS: "5",
        LF_DISK_BY_ID: path.join(d, "by-id"),
        LF_FSTAB: path.join(d, "fstab"),
      });
      if (fs.existsSync(mnt) && spawnMounted(mnt)) mounts.push(mnt);
      return r;
    };
    return { d, dev, vol, mnt, attach, slept: () => stubLog(d, "sleep").map(Number) };
  }

  /** A directory mkfs.ext4 -d copies in: the chain data of an earlier boot. */
  function seedDir(): string {
    const seed = path.join(dir, "seed");
    fs.mkdirSync(path.join(seed, "chain"), { recursive: true });
    fs.writeFileSync(path.join(seed, "chain", "block-1"), "synced");
    return seed;
  }

  const spawnMounted = (mnt: string) =>
    fs
      .readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .some((l) => l.split(" ")[1] === mnt);

  it("a free volume: attaches it to this instance as /dev/sdf, waits for `attached`, mounts its device", async function () {
    const s = await setup("free");
    try {
      const r = await s.attach();
      expect(r.code, r.out).to.equal(0);
      const [call] = s.vol.calls("AttachVolume");
      expect(Object.fromEntries(call.params)).to.deep.include({
        VolumeId: VOLUME,
        InstanceId: INSTANCE_ID,
        Device: "/dev/sdf",
      });
      expect(s.vol.events).to.deep.equal([
        "describe available - -",
        "attach attaching",
        `describe in-use ${INSTANCE_ID} attaching`,
        `describe in-use ${INSTANCE_ID} attached`,
      ]);
      expect(spawnMounted(s.mnt)).to.equal(true);
      expect(fs.readFileSync(path.join(s.d, "fstab"), "utf8")).to.match(
        / \S+\/mnt ext4 defaults,noatime,nofail 0 2/,
      );
    } finally {
      await s.vol.api.stop();
    }
  });

  it("a replacement: waits while the old instance holds and detaches it, asks only once it is available, never detaches", async function () {
    const s = await setup("replacement");
    try {
      s.vol.heldBy(OLD_INSTANCE);
      s.vol.timeline = [
        () => undefined,
        () => undefined,
        () => (s.vol.attachment!.state = "detaching"),
        () => undefined,
        () => s.vol.release(),
      ];
      const r = await s.attach();
      expect(r.code, r.out).to.equal(0);
      expect(s.vol.events).to.deep.equal([
        `describe in-use ${OLD_INSTANCE} attached`,
        `describe in-use ${OLD_INSTANCE} attached`,
        `describe in-use ${OLD_INSTANCE} detaching`,
        `describe in-use ${OLD_INSTANCE} detaching`,
        "describe available - -",
        "attach attaching",
        `describe in-use ${INSTANCE_ID} attaching`,
        `describe in-use ${INSTANCE_ID} attached`,
      ]);
      expect(s.vol.api.calls.map((c) => c.action)).not.to.include("DetachVolume");
      // One line per change of what it saw, not one per look.
      expect(r.out.match(/held by i-0aaaaaaaaaaaaaaa1 \(attached\)/g)).to.have.length(1);
      expect(r.out.match(/held by i-0aaaaaaaaaaaaaaa1 \(detaching\)/g)).to.have.length(1);
      // Six pauses of LF_ATTACH_POLL_SECONDS between its seven looks.
      expect(s.slept(), r.out).to.deep.equal([5, 5, 5, 5, 5, 5]);
      expect(spawnMounted(s.mnt)).to.equal(true);
    } finally {
      await s.vol.api.stop();
    }
  });

  it("a race it loses (VolumeInUse) and a live holder that never lets go: gives up after its looks, never detaches, mounts nothing", async function () {
    const s = await setup("lost");
    try {
      s.vol.beforeAttach = () => s.vol.heldBy(OTHER_INSTANCE, "attaching");
      const r = await s.attach(4);
      expect(r.code).to.equal(1);
      expect(s.vol.events).to.deep.equal([
        "describe available - -",
        "attach VolumeInUse",
        `describe in-use ${OTHER_INSTANCE} attached`,
        `describe in-use ${OTHER_INSTANCE} attached`,
        `describe in-use ${OTHER_INSTANCE} attached`,
      ]);
      expect(r.out).to.match(
        /AttachVolume: VolumeInUse: vol-0123456789abcdef0 is already attached to an instance/,
      );
      expect(r.out).to.match(
        /did not attach to i-0123456789abcdef0 in 4 looks 5s apart .* it is never taken from another instance/,
      );
      expect(s.vol.api.calls.map((c) => c.action)).not.to.include("DetachVolume");
      expect(s.slept()).to.deep.equal([5, 5, 5]);
      expect(spawnMounted(s.mnt)).to.equal(false);
    } finally {
      await s.vol.api.stop();
    }
  });

  it("a reboot: the volume is already attached here, so no AttachVolume; its files are kept", async function () {
    const s = await setup("reboot", (file) => {
      // The previous boot's filesystem, with the chain's data on it.
      execFileSync("mkfs.ext4", ["-q", "-F", "-d", seedDir(), file]);
    });
    try {
      s.vol.heldBy(INSTANCE_ID);
      s.vol.onAttached?.(INSTANCE_ID);
      const r = await s.attach();
      expect(r.code, r.out).to.equal(0);
      expect(s.vol.calls("AttachVolume")).to.deep.equal([]);
      expect(s.vol.events).to.deep.equal([`describe in-use ${INSTANCE_ID} attached`]);
      expect(r.out).not.to.match(/creating ext4/);
      expect(fs.readFileSync(path.join(s.mnt, "chain", "block-1"), "utf8")).to.equal("synced");
    } finally {
      await s.vol.api.stop();
    }
  });

  for (const state of ["error", "deleting", "deleted"] as const) {
    it(`a volume in state ${state} can never attach: fails at the first look`, async function () {
      const s = await setup(`state-${state}`);
      try {
        s.vol.state = state;
        const r = await s.attach();
        expect(r.code).to.equal(1);
        expect(r.out).to.match(
          new RegExp(`${VOLUME} is ${state} and can never attach: restore the chain volume`),
        );
        expect(s.vol.events).to.deep.equal([`describe ${state} - -`]);
        expect(s.slept()).to.deep.equal([]);
      } finally {
        await s.vol.api.stop();
      }
    });
  }

  it("DescribeVolumes failing for a while is waited out", async function () {
    const s = await setup("throttled");
    try {
      let refusals = 2;
      const describe = s.vol.api.handlers.DescribeVolumes;
      s.vol.api.on("DescribeVolumes", (c) =>
        refusals-- > 0
          ? new AwsFault("RequestLimitExceeded", "Request limit exceeded.", 503)
          : describe(c),
      );
      const r = await s.attach();
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.match(/DescribeVolumes: RequestLimitExceeded/);
      expect(s.vol.calls("AttachVolume")).to.have.length(1);
    } finally {
      await s.vol.api.stop();
    }
  });
});

describe("chain node self-healing: its user data end to end (mount namespace; S3, EC2, Route 53, Auto Scaling and IMDS stand-ins)", function () {
  const d = fixtureDesign();
  const imds = new ImdsStandIn();
  const route53 = new AwsStandIn("route53", "rest-xml", {
    region: "us-east-1",
    route: route53Route,
  });
  const asg = new AwsStandIn("autoscaling", "query", { region: REGION });
  const object = { bucket: "lf-test-files", key: "node-files/chain.tar.gz", versionId: "v1" };
  let dir: string;
  let s3: S3StandIn;
  let release: Awaited<ReturnType<typeof httpsFile>>;
  let certFile: string;
  let releaseSha: string;
  let bundleSha: string;
  const devices: string[] = [];

  before(async function () {
    requireRoot(this);
    requireTools(this, "bash", "unshare", "losetup", "mkfs.ext4", "blkid", "wipefs", "findmnt");
    requireTools(this, "flock", "curl", "openssl", "tar", "sha256sum");
    requireMountNamespace(this);
    requireBoto3(this);
    dir = scratch("lf-chain-boot-");
    imds.values["meta-data/placement/region"] = REGION;
    route53.on(
      "ChangeResourceRecordSets",
      () =>
        '<ChangeResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">' +
        "<ChangeInfo><Id>/change/C0BOOT</Id><Status>PENDING</Status>" +
        "<SubmittedAt>2025-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo>" +
        "</ChangeResourceRecordSetsResponse>",
    );
    route53.on(
      "GetChange",
      () =>
        '<GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">' +
        "<ChangeInfo><Id>/change/C0BOOT</Id><Status>INSYNC</Status>" +
        "<SubmittedAt>2025-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo></GetChangeResponse>",
    );
    asg.on("SetInstanceHealth", () => "");
    await Promise.all([imds.start(), route53.start(), asg.start()]);
    const bundle = buildBundle("chain");
    bundleSha = bundle.sha256;
    s3 = await s3StandIn(object, Buffer.from(bundle.bytes), REGION);
    const tls = ipCertificate(dir);
    certFile = tls.certFile;
    const tarball = releaseTarball(dir, ["livepeer", "livepeer_cli"]);
    releaseSha = createHash("sha256").update(tarball).digest("hex");
    release = await httpsFile(tls, "/livepeer-linux-amd64.tar.gz", tarball);
  });

  after(async function () {
    for (const dev of devices) detachLoop(dev);
    await Promise.all([imds.stop(), route53.stop(), asg.stop(), s3?.close(), release?.close()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(function () {
    route53.calls = [];
    asg.calls = [];
    s3.requests.length = 0;
  });

  /** The chain node's env as lib/runtime/values.ts renders it, pointed at the stand-ins. */
  function chainNodeEnv(attachAttempts: number): Env {
    const env = chainEnv(d, {
      bundle: { ...object, sha256: bundleSha },
      dataVolumeId: VOLUME,
      zoneId: "Z0123456789ABCDEFGHIJ",
      redeemerIdentity: {
        keystore: "/livepeer-fleet/test-us-east-1/redeemer/keystore",
        passphrase: "/livepeer-fleet/test-us-east-1/redeemer/passphrase",
      },
      orchestratorIdentity: {
        keystore: "/livepeer-fleet/test-us-east-1/orchestrator/keystore",
        passphrase: "/livepeer-fleet/test-us-east-1/orchestrator/passphrase",
      },
    });
    const over: Record<string, string | number> = {
      LF_LIVEPEER_URL: release.url,
      LF_LIVEPEER_SHA256: releaseSha,
      LF_ATTACH_ATTEMPTS: attachAttempts,
    };
    return env.map(([k, v]) => [k, k in over ? over[k] : v]);
  }

  /**
   * Boots one instance: its rendered user data runs as root in a mount namespace whose /etc (a
   * copy of this machine's, plus the livepeer user), /opt, /usr/local/sbin and /var/lib are
   * scratch directories, so nothing of this machine is touched and every mount ends with it.
   */
  async function bootInstance(
    name: string,
    vol: Ec2VolumeStandIn,
    dev: string,
    opts: { attachAttempts?: number } = {},
  ) {
    const sb = path.join(dir, name);
    for (const sub of ["opt", "usr-local-sbin", "var-lib", "by-id", "run"]) {
      fs.mkdirSync(path.join(sb, sub), { recursive: true });
    }
    fs.cpSync("/etc", path.join(sb, "etc"), { recursive: true, verbatimSymlinks: true });
    fs.appendFileSync(
      path.join(sb, "etc", "passwd"),
      "livepeer:x:64990:64990::/var/lib/livepeer:/usr/sbin/nologin\n" +
        // The home region's reward service user (useradd is a stub here).
        "livepeer-reward:x:64991:64991::/nonexistent:/usr/sbin/nologin\n",
    );
    fs.appendFileSync(
      path.join(sb, "etc", "group"),
      "livepeer:x:64990:\nlivepeer-reward:x:64991:\n",
    );
    vol.onAttached = (instance) => {
      if (instance !== INSTANCE_ID) return;
      fs.symlinkSync(
        dev,
        path.join(sb, "by-id", `nvme-Amazon_Elastic_Block_Store_${VOLUME.replace("-", "")}`),
      );
    };
    const bin = stubCommands(sb, [
      "apt-get",
      "systemctl",
      "systemd-run",
      "docker",
      "sleep",
      "udevadm",
      "useradd",
    ]);
    const userData = path.join(sb, "user-data.sh");
    fs.writeFileSync(userData, renderUserData(chainNodeEnv(opts.attachAttempts ?? 10)).script);
    const ns = [
      'mount --bind "$SB/etc" /etc',
      'mount --bind "$SB/opt" /opt',
      'mount --bind "$SB/usr-local-sbin" /usr/local/sbin',
      'mount --bind "$SB/var-lib" /var/lib',
      'exec bash "$SB/user-data.sh"',
    ].join(" && ");
    const env = {
      ...awsEnv(imds, { EC2: vol.api, ROUTE53: route53, AUTOSCALING: asg }),
      PATH: `${bin}:${process.env.PATH}`,
      SB: sb,
      // The bootstrap's boto3 takes the instance role from the IMDS stand-in, like awsapi.py.
      AWS_EC2_METADATA_SERVICE_ENDPOINT: `${imds.url}/`,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      LF_AWS_ENDPOINT_S3: s3.url,
      CURL_CA_BUNDLE: certFile,
      LF_DISK_BY_ID: path.join(sb, "by-id"),
      LF_BOOT_STATE_DIR: path.join(sb, "run"),
      HOME: sb,
    };
    const r = await run("unshare", ["--mount", "--propagation", "private", "bash", "-c", ns], env);
    return {
      ...r,
      sb,
      log: (stub: string) => stubLog(sb, stub),
      state: (f: string) => fs.existsSync(path.join(sb, "run", f)),
      /** The timer at the deadline, as systemd would run it (no test seams but the stand-ins'). */
      timer: () =>
        run("bash", [path.join(sb, "usr-local-sbin", "livepeer-fleet-boot-deadline"), "expire"], {
          ...env,
          LF_ROOT: path.join(sb, "opt", "livepeer-fleet"),
        }),
    };
  }

  const armed = `--unit=livepeer-fleet-boot-deadline --description=livepeer-fleet boot deadline --on-active=${CHAIN_BOOT.deadlineSeconds}s --timer-property=AccuracySec=1s -- /usr/local/sbin/livepeer-fleet-boot-deadline expire`;
  const upserts = () => route53.signed("ChangeResourceRecordSets");

  it("a replacement boots: waits for the old instance to let go, mounts its data, publishes chain.<zone>, starts the units, disarms the deadline", async function () {
    const dev = loopDevice(dir, "replacement", (file) => {
      const seed = path.join(dir, "seed-replacement");
      fs.mkdirSync(path.join(seed, "chain"), { recursive: true });
      fs.writeFileSync(path.join(seed, "chain", "block-1"), "synced by the old instance");
      execFileSync("mkfs.ext4", ["-q", "-F", "-d", seed, file]);
    });
    devices.push(dev);
    const vol = new Ec2VolumeStandIn(VOLUME, REGION).heldBy(OLD_INSTANCE);
    vol.timeline = [
      () => undefined,
      () => (vol.attachment!.state = "detaching"),
      () => vol.release(),
    ];
    await vol.api.start();
    try {
      const b = await bootInstance("replacement", vol, dev);
      expect(b.code, b.out).to.equal(0);
      expect(b.log("systemd-run")).to.deep.equal([armed]);
      // The bundle at its pinned version, signed with the role's credentials from IMDS.
      expect(s3.requests.map((q) => q.signed)).to.deep.equal([true]);
      expect(s3.requests[0].path).to.include("versionId=v1");
      expect(vol.events).to.deep.equal([
        `describe in-use ${OLD_INSTANCE} attached`,
        `describe in-use ${OLD_INSTANCE} detaching`,
        "describe available - -",
        "attach attaching",
        `describe in-use ${INSTANCE_ID} attaching`,
        `describe in-use ${INSTANCE_ID} attached`,
      ]);
      expect(vol.api.calls.map((c) => c.action)).not.to.include("DetachVolume");
      expect(release.gets).to.include("/livepeer-linux-amd64.tar.gz");
      const [upsert] = upserts();
      expect(upsert.path).to.match(/^\/2013-04-01\/hostedzone\/Z0123456789ABCDEFGHIJ\/rrset\/?$/);
      expect(upsert.body).to.include("<Action>UPSERT</Action>");
      expect(/<ResourceRecordSet>(.*)<\/ResourceRecordSet>/.exec(upsert.body)?.[1]).to.equal(
        `<Name>${d.chainHost}</Name><Type>A</Type><TTL>30</TTL>` +
          "<ResourceRecords><ResourceRecord><Value>10.0.1.23</Value></ResourceRecord></ResourceRecords>",
      );
      expect(b.log("docker")).to.deep.equal([
        `pull --quiet ${d.config.nodeRuntime.nitro.image}:${d.config.nodeRuntime.nitro.tag}@${d.config.nodeRuntime.nitro.digest}`,
      ]);
      const systemctl = b.log("systemctl");
      expect(systemctl).to.include(
        // The fixture is the fleet's home region: the reward service starts there too.
        "start chain-client.service livepeer-health.service rpc-proxy.service livepeer-redeemer.service livepeer-reward.service",
      );
      // Disarmed only after the units were started.
      expect(systemctl.at(-1)).to.equal("stop livepeer-fleet-boot-deadline.timer");
      expect(b.state("boot-complete")).to.equal(true);
      expect(b.state("boot-expired")).to.equal(false);
      // The old instance's data is still there, and the redeemer's directory is the livepeer user's.
      expect(
        fs
          .readFileSync(path.join(b.sb, "etc", "fstab"), "utf8")
          .split("\n")
          .filter((l) => l.includes("/var/lib/chain-data")),
      ).to.have.length(1);
      expect(onFilesystem(dev, "cat chain/block-1; stat -c '%n %u %a' livepeer nitro")).to.equal(
        "synced by the old instance" + "livepeer 64990 700\nnitro 1000 700\n",
      );
      // The deadline passes later (a first sync may still be running): nothing is reported.
      const t = await b.timer();
      expect(t.code, t.out).to.equal(0);
      expect(t.out).to.match(/nothing to do/);
      expect(asg.calls).to.deep.equal([]);
    } finally {
      await vol.api.stop();
    }
  });

  it("a live node never lets go: the new instance gives up, reports itself Unhealthy at once, publishes nothing, starts nothing", async function () {
    const dev = loopDevice(dir, "held");
    devices.push(dev);
    const vol = new Ec2VolumeStandIn(VOLUME, REGION).heldBy(OTHER_INSTANCE);
    await vol.api.start();
    try {
      const b = await bootInstance("held", vol, dev, { attachAttempts: 3 });
      expect(b.code, b.out).to.equal(0);
      expect(b.out).to.match(/did not attach .* never taken from another instance/);
      expect(vol.events).to.deep.equal(Array(3).fill(`describe in-use ${OTHER_INSTANCE} attached`));
      expect(vol.api.calls.map((c) => c.action)).to.deep.equal([
        "DescribeVolumes",
        "DescribeVolumes",
        "DescribeVolumes",
      ]);
      expect(healthReports(asg)).to.deep.equal([REPORT]);
      expect(upserts()).to.deep.equal([]);
      expect(b.log("systemctl").filter((l) => l.startsWith("start"))).to.deep.equal([]);
      expect(b.state("boot-expired")).to.equal(true);
      expect(b.state("boot-complete")).to.equal(false);
      expect(b.log("systemctl")).not.to.include("poweroff");
    } finally {
      await vol.api.stop();
    }
  });

  it("a volume holding something that is not its filesystem: the mount refuses, the instance reports itself Unhealthy, the data is untouched", async function () {
    const dev = loopDevice(dir, "foreign", (file) => {
      const fd = fs.openSync(file, "r+");
      fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 8192);
      fs.closeSync(fd);
    });
    devices.push(dev);
    const head = () =>
      createHash("sha256")
        .update(fs.readFileSync(dev).subarray(0, 1 << 20))
        .digest("hex");
    const before = head();
    const vol = new Ec2VolumeStandIn(VOLUME, REGION);
    await vol.api.start();
    try {
      const b = await bootInstance("foreign", vol, dev);
      expect(b.code, b.out).to.equal(0);
      expect(b.out).to.match(/REFUSING: .* holds data but no filesystem signature/);
      expect(healthReports(asg)).to.deep.equal([REPORT]);
      expect(upserts()).to.deep.equal([]);
      expect(head()).to.equal(before);
    } finally {
      await vol.api.stop();
    }
  });

  it("the bundle is refused (its sha256 is not the pinned one): nothing runs, the instance powers off", async function () {
    const good = s3.serve;
    s3.serve = Buffer.concat([good, Buffer.from("tampered")]);
    const dev = loopDevice(dir, "no-bundle");
    devices.push(dev);
    const vol = new Ec2VolumeStandIn(VOLUME, REGION);
    await vol.api.start();
    try {
      const b = await bootInstance("no-bundle", vol, dev);
      expect(b.code, b.out).to.equal(0);
      expect(b.out).to.match(/refusing it/);
      expect(b.out).to.match(/the node-file bundle never arrived/);
      expect(vol.api.calls).to.deep.equal([]);
      expect(asg.calls).to.deep.equal([]);
      expect(b.log("systemctl")).to.deep.equal(["poweroff"]);
    } finally {
      s3.serve = good;
      await vol.api.stop();
    }
  });
});
