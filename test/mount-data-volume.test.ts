// scripts/node/mount-data-volume.sh on real loop devices (losetup -f: whatever device is free),
// each backed by a sparse file in a temp dir. fstab is a scratch file (LF_FSTAB), never /etc/fstab.
// Every device is detached and every mount undone in after(), whatever failed.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { requireRoot, requireTools } from "./helpers/tools";
import { NODE_DIR } from "./helpers/node-runtime";

const SCRIPT = path.join(NODE_DIR, "mount-data-volume.sh");
const SIZE = 64 * 1024 * 1024;

function sha256File(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

describe("mount-data-volume.sh on loop devices", function () {
  let dir: string;
  let fstab: string;
  const devices: string[] = [];
  const mounts: string[] = [];

  before(function () {
    requireRoot(this);
    requireTools(this, "losetup", "mkfs.ext4", "mkfs.ext2", "blkid", "wipefs", "findmnt");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-mount-"));
    fstab = path.join(dir, "fstab");
    fs.writeFileSync(fstab, "# scratch fstab\nLABEL=cloudimg-rootfs / ext4 defaults 0 1\n");
  });

  after(function () {
    for (const m of mounts.reverse()) spawnSync("umount", [m]);
    for (const d of devices) spawnSync("losetup", ["-d", d]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function loop(name: string, prepare?: (file: string) => void): { dev: string; file: string } {
    const file = path.join(dir, `${name}.img`);
    fs.writeFileSync(file, "");
    fs.truncateSync(file, SIZE);
    prepare?.(file);
    const dev = execFileSync("losetup", ["-f", "--show", file], { encoding: "utf8" }).trim();
    devices.push(dev);
    return { dev, file };
  }

  function run(dev: string, mnt: string): { code: number; out: string } {
    const r = spawnSync("bash", [SCRIPT, dev, mnt], {
      encoding: "utf8",
      env: { ...process.env, LF_FSTAB: fstab },
    });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  }

  const mountedSource = (mnt: string) =>
    spawnSync("findmnt", ["-n", "-o", "SOURCE", "--mountpoint", mnt], {
      encoding: "utf8",
    }).stdout.trim();

  it("formats a blank device, mounts it and adds one UUID,nofail fstab line; re-runs keep files intact", function () {
    const { dev } = loop("blank");
    const mnt = path.join(dir, "data");
    let r = run(dev, mnt);
    expect(r.code, r.out).to.equal(0);
    mounts.push(mnt);
    expect(mountedSource(mnt)).to.equal(dev);
    const uuid = execFileSync("blkid", ["-p", "-o", "value", "-s", "UUID", dev], {
      encoding: "utf8",
    }).trim();
    expect(
      execFileSync("blkid", ["-p", "-o", "value", "-s", "TYPE", dev], { encoding: "utf8" }).trim(),
    ).to.equal("ext4");
    const entry = `UUID=${uuid} ${mnt} ext4 defaults,noatime,nofail 0 2`;
    expect(fs.readFileSync(fstab, "utf8").split("\n")).to.include(entry);

    // Files written now must survive every later run byte for byte.
    fs.mkdirSync(path.join(mnt, "chain"));
    for (let i = 0; i < 5; i++) {
      fs.writeFileSync(
        path.join(mnt, "chain", `f${i}`),
        createHash("sha256").update(`block ${i}`).digest(),
      );
    }
    const sums = () =>
      fs
        .readdirSync(path.join(mnt, "chain"))
        .map((f) => `${f}:${sha256File(path.join(mnt, "chain", f))}`);
    const before = sums();

    // Re-run while mounted: a no-op.
    r = run(dev, mnt);
    expect(r.code, r.out).to.equal(0);
    expect(sums()).to.deep.equal(before);

    // A reboot: unmounted, run again (twice), same filesystem, same files, one fstab line.
    execFileSync("umount", [mnt]);
    mounts.pop();
    for (let i = 0; i < 2; i++) {
      r = run(dev, mnt);
      expect(r.code, r.out).to.equal(0);
      expect(r.out).not.to.match(/creating/);
    }
    mounts.push(mnt);
    expect(mountedSource(mnt)).to.equal(dev);
    expect(
      execFileSync("blkid", ["-p", "-o", "value", "-s", "UUID", dev], { encoding: "utf8" }).trim(),
    ).to.equal(uuid);
    expect(sums()).to.deep.equal(before);
    expect(
      fs
        .readFileSync(fstab, "utf8")
        .split("\n")
        .filter((l) => l.includes(mnt)),
    ).to.deep.equal([entry]);
    expect(fs.readFileSync(fstab, "utf8")).to.include("LABEL=cloudimg-rootfs");
  });

  const refusals: [string, (file: string) => void, RegExp][] = [
    [
      "a foreign filesystem (ext2)",
      (file) => execFileSync("mkfs.ext2", ["-q", "-F", file]),
      /holds a ext2 filesystem, expected ext4/,
    ],
    [
      "a DOS partition table",
      (file) => {
        // One MBR partition entry (type 0x83 from LBA 2048) and the 0x55AA boot signature.
        const mbr = Buffer.alloc(512);
        mbr.writeUInt8(0x83, 446 + 4);
        mbr.writeUInt32LE(2048, 446 + 8);
        mbr.writeUInt32LE(SIZE / 512 - 2048, 446 + 12);
        mbr.writeUInt16LE(0xaa55, 510);
        const fd = fs.openSync(file, "r+");
        fs.writeSync(fd, mbr, 0, 512, 0);
        fs.closeSync(fd);
      },
      /partition table/,
    ],
    [
      "data without any filesystem signature",
      (file) => {
        const fd = fs.openSync(file, "r+");
        fs.writeSync(fd, Buffer.from("unrecognised bytes that are not zeros"), 0, 37, 4096);
        fs.closeSync(fd);
      },
      /holds data but no filesystem signature/,
    ],
  ];
  for (const [what, prepare, reason] of refusals) {
    it(`refuses a device with ${what} and leaves it untouched`, function () {
      const { dev, file } = loop(what.replace(/\W+/g, "-"), prepare);
      const sumBefore = sha256File(file);
      const fstabBefore = fs.readFileSync(fstab, "utf8");
      const mnt = path.join(dir, `m-${devices.length}`);
      const r = run(dev, mnt);
      expect(r.code, r.out).to.equal(3);
      expect(r.out).to.match(reason);
      expect(mountedSource(mnt)).to.equal("");
      spawnSync("losetup", ["-d", dev]);
      devices.splice(devices.indexOf(dev), 1);
      expect(sha256File(file), "backing file unchanged").to.equal(sumBefore);
      expect(fs.readFileSync(fstab, "utf8")).to.equal(fstabBefore);
    });
  }

  it("refuses something that is not a block device", function () {
    const r = run(path.join(dir, "fstab"), path.join(dir, "nowhere"));
    expect(r.code).to.equal(3);
    expect(r.out).to.match(/not a block device/);
  });
});
