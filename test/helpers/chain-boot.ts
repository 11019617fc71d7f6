// Stand-ins for the chain node's boot: an EC2 STAND-IN that holds one EBS volume's state as EC2
// reports it and moves it on one step per DescribeVolumes call (a deterministic clock for
// "the old instance lets go"), recording stubs for the system commands a boot runs (systemd,
// apt, docker, sleep), real loop devices for the volume, and an HTTPS server for a release.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { AwsFault, AwsStandIn, type AwsCall } from "./aws-stand-ins";
import { freePort } from "./net";

/** botocore's ec2 model: VolumeState and VolumeAttachmentState. */
export type VolumeState = "creating" | "available" | "in-use" | "deleting" | "deleted" | "error";
export type AttachmentState = "attaching" | "attached" | "detaching" | "detached" | "busy";

/**
 * One EBS volume behind EC2's DescribeVolumes and AttachVolume (query protocol "ec2", XML as the
 * EC2 API reference shows it). Error answers are EC2's codes ("Error codes for the Amazon EC2
 * API"): VolumeInUse for a volume attached to an instance, IncorrectState for one that is not
 * available, InvalidVolume.NotFound for another id. DetachVolume has no handler: a call of it is
 * answered InvalidAction and stays in `api.calls` for the tests to find.
 */
export class Ec2VolumeStandIn {
  readonly api: AwsStandIn;
  state: VolumeState = "available";
  attachment?: { instance: string; state: AttachmentState };
  /** Applied one per DescribeVolumes call, before it is answered: how the world moves on. */
  timeline: (() => void)[] = [];
  /** DescribeVolumes answers that still say "attaching" after an AttachVolume. */
  attachingLooks = 1;
  /** Runs when an attachment becomes "attached": the device appears on the instance. */
  onAttached?: (instance: string) => void;
  /** Runs before an AttachVolume is decided: another instance may take the volume first. */
  beforeAttach?: () => void;
  /** What happened, in order: "describe <state> <holder> <attachment>", "attach <result>". */
  events: string[] = [];
  private attachingLeft = 0;

  constructor(
    readonly volumeId: string,
    region: string,
  ) {
    this.api = new AwsStandIn("ec2", "ec2", { region });
    this.api.on("DescribeVolumes", (c) => this.describe(c));
    this.api.on("AttachVolume", (c) => this.attach(c));
  }

  /** Held by `instance` in attachment state `state` (in-use). */
  heldBy(instance: string, state: AttachmentState = "attached"): this {
    this.state = "in-use";
    this.attachment = { instance, state };
    return this;
  }

  /** The attachment is gone: the volume is available. */
  release(): void {
    this.state = "available";
    this.attachment = undefined;
  }

  calls(action: string): AwsCall[] {
    return this.api.signed(action);
  }

  private describe(c: AwsCall): string | AwsFault {
    const asked = c.params.get("VolumeId.1");
    if (asked !== this.volumeId) {
      return new AwsFault("InvalidVolume.NotFound", `The volume '${asked}' does not exist.`);
    }
    this.timeline.shift()?.();
    if (this.attachment?.state === "attaching") {
      if (this.attachingLeft > 0) this.attachingLeft--;
      else {
        this.attachment.state = "attached";
        this.onAttached?.(this.attachment.instance);
      }
    }
    const a = this.attachment;
    this.events.push(`describe ${this.state} ${a?.instance ?? "-"} ${a?.state ?? "-"}`);
    const attachments = a
      ? `<item><volumeId>${this.volumeId}</volumeId><instanceId>${a.instance}</instanceId>` +
        `<device>/dev/sdf</device><status>${a.state}</status>` +
        "<attachTime>2025-01-01T00:00:00.000Z</attachTime>" +
        "<deleteOnTermination>false</deleteOnTermination></item>"
      : "";
    return (
      `<volumeSet><item><volumeId>${this.volumeId}</volumeId><size>2000</size>` +
      "<availabilityZone>us-east-1a</availabilityZone>" +
      `<status>${this.state}</status><createTime>2025-01-01T00:00:00.000Z</createTime>` +
      `<attachmentSet>${attachments}</attachmentSet><volumeType>gp3</volumeType>` +
      "<iops>6000</iops><throughput>500</throughput><encrypted>true</encrypted>" +
      "<multiAttachEnabled>false</multiAttachEnabled></item></volumeSet>"
    );
  }

  private attach(c: AwsCall): string | AwsFault {
    const vol = c.params.get("VolumeId");
    const instance = String(c.params.get("InstanceId"));
    if (vol !== this.volumeId) {
      return new AwsFault("InvalidVolume.NotFound", `The volume '${vol}' does not exist.`);
    }
    this.beforeAttach?.();
    let answer: string | AwsFault;
    if (this.state === "in-use") {
      answer = new AwsFault("VolumeInUse", `${vol} is already attached to an instance`);
    } else if (this.state !== "available") {
      answer = new AwsFault("IncorrectState", `${vol} is not 'available'.`);
    } else {
      this.state = "in-use";
      this.attachment = { instance, state: "attaching" };
      this.attachingLeft = this.attachingLooks;
      answer =
        "<attachTime>2025-01-01T00:00:00.000Z</attachTime><device>/dev/sdf</device>" +
        `<instanceId>${instance}</instanceId><status>attaching</status>` +
        `<volumeId>${vol}</volumeId>`;
    }
    this.events.push(`attach ${answer instanceof AwsFault ? answer.code : "attaching"}`);
    return answer;
  }
}

/**
 * Recording stubs on PATH: each logs its arguments (one line per call) to `<log dir>/<name>.log`
 * and succeeds, except where `fail` names it. `sleep` returns at once: the stand-in clock is the
 * sum of its arguments.
 */
export function stubCommands(dir: string, names: string[], fail: string[] = []): string {
  const bin = path.join(dir, "stub-bin");
  fs.mkdirSync(bin, { recursive: true });
  for (const name of names) {
    fs.writeFileSync(
      path.join(bin, name),
      `#!/bin/sh\necho "$*" >>"${path.join(dir, `${name}.log`)}"\nexit ${fail.includes(name) ? 1 : 0}\n`,
      { mode: 0o755 },
    );
  }
  return bin;
}

/** The lines a stub logged (none when it was never called). */
export function stubLog(dir: string, name: string): string[] {
  const file = path.join(dir, `${name}.log`);
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/**
 * A mount namespace can be made (root with CAP_SYS_ADMIN, as the loop-device suites need); same
 * skip/fail rule as a missing tool.
 */
export function requireMountNamespace(ctx: Mocha.Context): void {
  const r = spawnSync("unshare", ["--mount", "--propagation", "private", "true"]);
  if (r.status === 0) return;
  const msg = "cannot make a mount namespace (unshare --mount needs root with CAP_SYS_ADMIN)";
  if (process.env.CI_REQUIRE_TOOLS === "1")
    throw new Error(`${msg}; CI_REQUIRE_TOOLS=1 forbids skipping`);
  console.warn(`\n  !!! SKIPPING "${ctx.test?.parent?.title ?? "suite"}": ${msg}\n`);
  ctx.skip();
}

/** A sparse file on a loop device (losetup -f: whatever device is free). */
export function loopDevice(dir: string, name: string, prepare?: (file: string) => void): string {
  const file = path.join(dir, `${name}.img`);
  fs.writeFileSync(file, "");
  fs.truncateSync(file, 64 * 1024 * 1024);
  prepare?.(file);
  return execFileSync("losetup", ["-f", "--show", file], { encoding: "utf8" }).trim();
}

export function detachLoop(dev: string): void {
  spawnSync("losetup", ["-d", dev]);
}

/**
 * Runs `cmd` on a device's filesystem mounted read-only in a mount namespace of its own (gone,
 * with the mount, when the command exits). Returns its stdout.
 */
export function onFilesystem(dev: string, cmd: string): string {
  const r = spawnSync(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      'm=$(mktemp -d) && mount -o ro "$1" "$m" && cd "$m" && sh -c "$2"',
      "sh",
      dev,
      cmd,
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`on ${dev}: ${cmd}: ${r.stderr}`);
  return r.stdout;
}

/** A self-signed certificate for 127.0.0.1 (an IP subject alternative name: curl checks it). */
export function ipCertificate(dir: string): { key: Buffer; cert: Buffer; certFile: string } {
  const keyFile = path.join(dir, "https-key.pem");
  const certFile = path.join(dir, "https-cert.pem");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
      ...["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyFile, "-out", certFile],
    ],
    { stdio: "ignore" },
  );
  return { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile), certFile };
}

/** An HTTPS server answering GET `urlPath` with `body`, 404 otherwise. */
export async function httpsFile(
  tls: { key: Buffer; cert: Buffer },
  urlPath: string,
  body: Buffer,
): Promise<{ url: string; gets: string[]; close(): Promise<void> }> {
  const port = await freePort();
  const gets: string[] = [];
  const server = https.createServer(tls, (req, res) => {
    gets.push(String(req.url));
    if (req.method === "GET" && req.url === urlPath) res.writeHead(200).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  return {
    url: `https://127.0.0.1:${port}${urlPath}`,
    gets,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A gzip'd tar holding the named files (each an executable stub). */
export function releaseTarball(dir: string, names: string[]): Buffer {
  const src = fs.mkdtempSync(path.join(dir, "release-"));
  fs.mkdirSync(path.join(src, "livepeer-linux-amd64"));
  for (const n of names) {
    fs.writeFileSync(path.join(src, "livepeer-linux-amd64", n), "#!/bin/sh\nexit 0\n", {
      mode: 0o755,
    });
  }
  const out = path.join(dir, "release.tar.gz");
  execFileSync("tar", ["-czf", out, "-C", src, "livepeer-linux-amd64"]);
  return fs.readFileSync(out);
}

export interface Run {
  code: number;
  out: string;
}

/** Runs a command asynchronously (the stand-ins live in this process and must keep answering). */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { ...env, PYTHONDONTWRITEBYTECODE: "1" } });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), 120_000);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

/** A scratch directory under the system's temp dir. */
export function scratch(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
