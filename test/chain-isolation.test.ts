// The chain node's isolation rules, for real, in network namespaces (root): loopback-guard.sh
// (only root and the service's own user may connect to a go-livepeer CLI port) and
// nitro-isolation.sh firewall (the Nitro container's bridge: no route to the instance metadata
// service, no new connection in but the P2P port, none to the host). Each script runs as its unit
// runs it, as root, inside a namespace of its own; listeners and callers are real sockets, callers
// of other users run under setpriv. A STAND-IN for Docker's DOCKER-USER chain (created and jumped
// to from FORWARD, as dockerd does) takes the place of dockerd; veth pairs stand in for the
// container's bridge port and the instance's uplink, an address on the far side for IMDS.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NODE_DIR, Proc, waitFor } from "./helpers/node-runtime";
import { requireRoot, requireTools } from "./helpers/tools";

const PYTHON = "/usr/bin/python3";
/** Binds every ADDR:PORT given (before saying so), then accepts and closes forever. */
const LISTENER = `
import socket, sys, threading
socks = []
for spec in sys.argv[1:]:
    a, p = spec.rsplit(":", 1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, int(p))); s.listen(16); socks.append(s)
def serve(s):
    while True:
        c, _ = s.accept(); c.close()
for s in socks:
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
`;
/** Connects once; prints "connected" or the errno (a REJECT answers at once: no timeout race). */
const PROBE = `
import socket, sys
a, p = sys.argv[1].rsplit(":", 1)
s = socket.socket(); s.settimeout(10)
try:
    s.connect((a, int(p))); print("connected")
except socket.timeout:
    print("timeout")
except OSError as e:
    print("errno %d" % e.errno)
`;
const ECONNREFUSED = "errno 111";
const EHOSTUNREACH = "errno 113";

function sh(cmd: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`${cmd.join(" ")}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A connection attempt from inside `ns`, as `uid` (root when undefined). */
function connect(ns: string, target: string, uid?: number): string {
  const as =
    uid === undefined ? [] : ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups"];
  // cwd "/": a user without access to this checkout's directory can still start Python.
  const r = spawnSync("ip", ["netns", "exec", ns, ...as, PYTHON, "-c", PROBE, target], {
    encoding: "utf8",
    cwd: "/",
  });
  return `${r.stdout}${r.stderr}`.trim();
}

describe("chain node isolation in network namespaces (iptables, real sockets)", function () {
  const tag = `lf${process.pid}`;
  const namespaces: string[] = [];
  const procs: Proc[] = [];
  let tmp: string;

  function netns(name: string): string {
    const ns = `${tag}-${name}`;
    sh(["ip", "netns", "add", ns]);
    namespaces.push(ns);
    sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
    return ns;
  }

  async function listen(ns: string, ...specs: string[]): Promise<void> {
    const p = new Proc("ip", ["netns", "exec", ns, PYTHON, "-c", LISTENER, ...specs]);
    procs.push(p);
    await waitFor(
      "a listener",
      () => Promise.resolve(p.out.includes("listening") || p.exited),
      10000,
      20,
    );
    if (!p.out.includes("listening")) throw new Error(`listener failed: ${p.out}`);
  }

  before(function () {
    requireRoot(this);
    requireTools(this, "ip", "iptables", "iptables-restore", "setpriv");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lf-isolation-"));
  });

  after(async function () {
    await Promise.all(procs.map((p) => p.stop()));
    for (const ns of namespaces) spawnSync("ip", ["netns", "del", ns]);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("loopback-guard.sh: a go-livepeer CLI port for root and its service's user only", function () {
    let ns: string;
    const PORT = 7935;
    const SERVICE = "nobody";
    const SERVICE_UID = 65534;
    const STRANGER_UID = 4242;

    before(async function () {
      ns = netns("cli");
      const guard = path.join(NODE_DIR, "loopback-guard.sh");
      // Twice: it runs before every start of the unit and must converge to one set of rules.
      for (let i = 0; i < 2; i++)
        sh(["ip", "netns", "exec", ns, "bash", guard, String(PORT), SERVICE]);
      await listen(ns, `127.0.0.1:${PORT}`, `127.0.0.1:${PORT + 1}`);
    });

    it("leaves exactly one jump and one three-rule chain after repeated runs", function () {
      const rules = sh(["ip", "netns", "exec", ns, "iptables", "-S"]).split("\n");
      expect(rules.filter((r) => r.startsWith("-A OUTPUT"))).to.deep.equal([
        `-A OUTPUT -o lo -p tcp -m tcp --dport ${PORT} -j LF-CLI-${PORT}`,
      ]);
      expect(rules.filter((r) => r.startsWith(`-A LF-CLI-${PORT}`))).to.deep.equal([
        `-A LF-CLI-${PORT} -m owner --uid-owner 0 -j RETURN`,
        `-A LF-CLI-${PORT} -m owner --uid-owner ${SERVICE_UID} -j RETURN`,
        `-A LF-CLI-${PORT} -p tcp -j REJECT --reject-with tcp-reset`,
      ]);
    });

    it("root and the service's user connect; any other user is refused at once", function () {
      expect(connect(ns, `127.0.0.1:${PORT}`)).to.equal("connected");
      expect(connect(ns, `127.0.0.1:${PORT}`, SERVICE_UID)).to.equal("connected");
      expect(connect(ns, `127.0.0.1:${PORT}`, STRANGER_UID)).to.equal(ECONNREFUSED);
    });

    it("guards that port alone: the stranger still reaches the next one", function () {
      expect(connect(ns, `127.0.0.1:${PORT + 1}`, STRANGER_UID)).to.equal("connected");
    });

    it("refuses a user that does not exist, and a port that is not one", function () {
      const guard = path.join(NODE_DIR, "loopback-guard.sh");
      const run = (...args: string[]) =>
        spawnSync("ip", ["netns", "exec", ns, "bash", guard, ...args], { encoding: "utf8" });
      expect(run(String(PORT), "no-such-user-lf").stderr).to.match(/no such user no-such-user-lf/);
      expect(run("70000", SERVICE).stderr).to.match(/bad port 70000/);
      expect(run("70000", SERVICE).status).to.not.equal(0);
    });
  });

  describe("nitro-isolation.sh firewall: the container's bridge", function () {
    let host: string;
    let container: string;
    let outside: string;
    const BRIDGE_HOST = "172.30.0.1";
    const CONTAINER = "172.30.0.2";
    const IMDS = "169.254.169.254";
    /** Another link-local address on the far side: the VPC's DNS resolver (169.254.169.253). */
    const RESOLVER = "169.254.169.253";
    const P2P = 30303;

    function firewall(p2p: string): void {
      const env = path.join(tmp, `node-${p2p || "none"}.env`);
      fs.writeFileSync(env, `LF_CHAIN_P2P_PORT='${p2p}'\n`);
      sh(
        [
          "ip",
          "netns",
          "exec",
          host,
          "bash",
          path.join(NODE_DIR, "nitro-isolation.sh"),
          "firewall",
        ],
        { ...process.env, LF_ENV_FILE: env },
      );
    }

    before(async function () {
      host = netns("host");
      container = netns("ctr");
      outside = netns("out");
      const ip = (ns: string, ...args: string[]) => sh(["ip", "-n", ns, ...args]);
      // The container's end of the bridge is named as the network's bridge (lf-chain) on the host.
      sh([
        "ip",
        "link",
        "add",
        "lf-chain",
        "netns",
        host,
        "type",
        "veth",
        "peer",
        "name",
        "c0",
        "netns",
        container,
      ]);
      sh([
        "ip",
        "link",
        "add",
        "up0",
        "netns",
        host,
        "type",
        "veth",
        "peer",
        "name",
        "o0",
        "netns",
        outside,
      ]);
      ip(host, "addr", "add", `${BRIDGE_HOST}/24`, "dev", "lf-chain");
      ip(host, "link", "set", "lf-chain", "up");
      ip(host, "addr", "add", "10.99.0.1/24", "dev", "up0");
      ip(host, "link", "set", "up0", "up");
      ip(host, "route", "add", "169.254.169.0/24", "via", "10.99.0.2");
      ip(container, "addr", "add", `${CONTAINER}/24`, "dev", "c0");
      ip(container, "link", "set", "c0", "up");
      ip(container, "route", "add", "default", "via", BRIDGE_HOST);
      ip(outside, "addr", "add", "10.99.0.2/24", "dev", "o0");
      ip(outside, "link", "set", "o0", "up");
      ip(outside, "addr", "add", `${IMDS}/32`, "dev", "lo");
      ip(outside, "addr", "add", `${RESOLVER}/32`, "dev", "lo");
      ip(outside, "route", "add", "172.30.0.0/24", "via", "10.99.0.1");
      sh(["ip", "netns", "exec", host, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
      // dockerd's part: the DOCKER-USER chain, jumped to from FORWARD.
      sh(["ip", "netns", "exec", host, "iptables", "-N", "DOCKER-USER"]);
      sh(["ip", "netns", "exec", host, "iptables", "-A", "FORWARD", "-j", "DOCKER-USER"]);
      await listen(outside, `${IMDS}:80`, `${RESOLVER}:80`);
      await listen(container, `0.0.0.0:8547`, `0.0.0.0:${P2P}`);
      await listen(host, `0.0.0.0:8545`);
    });

    it("control: without the rules the container reaches IMDS and the host, and the world reaches it", function () {
      expect(connect(container, `${IMDS}:80`)).to.equal("connected");
      expect(connect(container, `${BRIDGE_HOST}:8545`)).to.equal("connected");
      expect(connect(outside, `${CONTAINER}:8547`)).to.equal("connected");
    });

    it("refuses without DOCKER-USER (docker.service not up) rather than start the container open", function () {
      const lone = netns("lone");
      const env = path.join(tmp, "lone.env");
      fs.writeFileSync(env, "LF_CHAIN_P2P_PORT=''\n");
      const r = spawnSync(
        "ip",
        ["netns", "exec", lone, "bash", path.join(NODE_DIR, "nitro-isolation.sh"), "firewall"],
        { encoding: "utf8", env: { ...process.env, LF_ENV_FILE: env } },
      );
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.match(/no DOCKER-USER chain/);
    });

    it("with the rules (installed twice): no route to IMDS, the resolver still reachable", function () {
      firewall("");
      firewall("");
      const rules = sh(["ip", "netns", "exec", host, "iptables", "-S"]).split("\n");
      expect(rules.filter((r) => r === "-A DOCKER-USER -j LF-CHAIN-CLIENT")).to.have.length(1);
      expect(rules.filter((r) => r.startsWith("-A INPUT"))).to.have.length(1);
      expect(connect(container, `${IMDS}:80`)).to.equal(EHOSTUNREACH);
      expect(connect(container, `${RESOLVER}:80`)).to.equal("connected");
    });

    it("nothing outside opens a connection to the container; the host still reaches its RPC", function () {
      expect(connect(outside, `${CONTAINER}:8547`)).to.equal(EHOSTUNREACH);
      expect(connect(outside, `${CONTAINER}:${P2P}`)).to.equal(EHOSTUNREACH);
      expect(connect(host, `${CONTAINER}:8547`)).to.equal("connected");
    });

    it("the container opens no connection to the host itself, on any of its addresses", function () {
      expect(connect(container, `${BRIDGE_HOST}:8545`)).to.equal(EHOSTUNREACH);
      expect(connect(container, `10.99.0.1:8545`)).to.equal(EHOSTUNREACH);
    });

    it("with a P2P port configured, that port alone opens to the world", function () {
      firewall(String(P2P));
      expect(connect(outside, `${CONTAINER}:${P2P}`)).to.equal("connected");
      expect(connect(outside, `${CONTAINER}:8547`)).to.equal(EHOSTUNREACH);
      expect(connect(container, `${IMDS}:80`)).to.equal(EHOSTUNREACH);
    });
  });
});
