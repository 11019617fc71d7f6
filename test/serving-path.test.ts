// The region's serving path, addressing only: stand-in go-livepeer orchestrator processes
// (test/helpers/orchestrator-double.ts: per-process auth-token and ticket secrets, go-livepeer's
// checks and error strings) behind a real HAProxy in TCP mode with `balance roundrobin`, standing
// in for the internet-facing NLB on 8935: it sees only TCP flows (TLS passes through) and may send
// each new connection to any target, as the NLB's flow hash does. A stand-in gateway
// (test/helpers/gateway-double.ts) runs sessions the way go-livepeer's gateway does: discovery on
// the service URI, then segments to OrchestratorInfo.transcoder.
//
// What it shows: when every orchestrator advertises its own address (-serviceAddr), discovery may
// land anywhere and every segment still reaches the process that issued its credentials; when
// every orchestrator advertises the load balancer, segments land on processes that never issued
// their auth token and are refused. And a full orchestrator refuses discovery, which is why full
// orchestrators are taken out of the NLB's rotation rather than left to refuse gateways.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { GatewayDouble, SessionOutcome } from "./helpers/gateway-double";
import { freePort } from "./helpers/net";
import { Proc, waitFor } from "./helpers/node-runtime";
import { LP_ERRORS, OrchestratorDouble, toHex } from "./helpers/orchestrator-double";
import { requireTools } from "./helpers/tools";

const SESSIONS = 200;
const SEGMENTS_PER_SESSION = 5;
const CONCURRENCY = 7; // see runSessions
const RECIPIENT = toHex(Buffer.alloc(20, 0x42)); // the orchestrator's on-chain address
const NO_CAP = 1_000_000; // capacity is not what the addressing runs measure

/** HAProxy in TCP round-robin mode on one loopback port: the NLB stand-in. */
class NlbStandIn {
  private constructor(
    readonly proc: Proc,
    readonly port: number,
    private readonly socket: string,
  ) {}

  static async start(
    dir: string,
    port: number,
    targets: { name: string; port: number }[],
  ): Promise<NlbStandIn> {
    const socket = path.join(dir, `haproxy-${port}.sock`);
    const cfg = path.join(dir, `haproxy-${port}.cfg`);
    fs.writeFileSync(
      cfg,
      [
        "global",
        `  stats socket ${socket} mode 600 level admin`,
        "defaults",
        "  mode tcp",
        "  timeout connect 5s",
        "  timeout client 60s",
        "  timeout server 60s",
        "frontend nlb",
        `  bind 127.0.0.1:${port}`,
        "  default_backend orchestrators",
        "backend orchestrators",
        "  balance roundrobin",
        // No health checks: every target is in rotation unless disabled through the runtime API.
        ...targets.map((t) => `  server ${t.name} 127.0.0.1:${t.port}`),
        "",
      ].join("\n"),
    );
    execFileSync("haproxy", ["-c", "-q", "-f", cfg]);
    const nlb = new NlbStandIn(new Proc("haproxy", ["-db", "-f", cfg]), port, socket);
    // Ready when its runtime API reports the frontend open with every target listed.
    await waitFor(
      "HAProxy's runtime API to report the frontend open",
      async () => {
        if (nlb.proc.exited) throw new Error(`haproxy exited:\n${nlb.proc.out}`);
        const rows = await nlb.stat();
        const fe = rows.find((r) => r.pxname === "nlb" && r.svname === "FRONTEND");
        const servers = rows.filter((r) => r.pxname === "orchestrators" && r.svname !== "BACKEND");
        return fe?.status === "OPEN" && servers.length === targets.length;
      },
      10000,
      50,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${nlb.proc.out}`);
    });
    return nlb;
  }

  get uri(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** One command on HAProxy's runtime API (the socket closes after the answer). */
  admin(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let out = "";
      const c = net.createConnection(this.socket, () => c.end(command + "\n"));
      c.on("data", (d: Buffer) => (out += d.toString()));
      c.on("end", () => resolve(out));
      c.on("error", reject);
    });
  }

  async stat(): Promise<Record<string, string>[]> {
    const [header, ...lines] = (await this.admin("show stat")).trim().split("\n");
    const cols = header.replace(/^# /, "").split(",");
    return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], v])));
  }

  /** TCP connections the frontend has accepted so far. */
  async connections(): Promise<number> {
    const fe = (await this.stat()).find((r) => r.pxname === "nlb" && r.svname === "FRONTEND");
    return Number(fe?.stot);
  }
}

interface Harness {
  orchs: OrchestratorDouble[];
  nlb: NlbStandIn;
}

interface Summary {
  segments: number;
  rejected: number;
  errors: Map<string, number>;
  firstSegmentRejected: number;
  discoveryFailures: string[];
}

function summarise(outcomes: SessionOutcome[]): Summary {
  const s: Summary = {
    segments: 0,
    rejected: 0,
    errors: new Map(),
    firstSegmentRejected: 0,
    discoveryFailures: [],
  };
  for (const o of outcomes) {
    if (!o.discovery.ok) s.discoveryFailures.push(o.discovery.error);
    o.segments.forEach((seg, i) => {
      s.segments++;
      if (seg.status === 200) return;
      s.rejected++;
      if (i === 0) s.firstSegmentRejected++;
      const key = `${seg.status} ${seg.error}`;
      s.errors.set(key, (s.errors.get(key) ?? 0) + 1);
    });
  }
  return s;
}

/**
 * SESSIONS sessions, CONCURRENCY at a time. Round-robin is deterministic where the NLB's flow hash
 * is not: if sessions ran in lock-step with a multiple of N in flight, every connection of a
 * session would come back to the same target and hide the failure. With 7 in flight (coprime
 * with 2 and 3) lock-step moves each connection one target on, and any drift mixes them, so the
 * old addressing shows at least its flow-hash share of failures on any machine's scheduling.
 */
async function runSessions(gw: GatewayDouble, serviceURI: string): Promise<SessionOutcome[]> {
  const outcomes: SessionOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < SESSIONS) {
      next++;
      outcomes.push(await gw.session(serviceURI, SEGMENTS_PER_SESSION));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

describe("serving path: stand-in go-livepeer orchestrators behind HAProxy (TCP round-robin, the NLB stand-in)", function () {
  let dir: string;
  let tls: { key: Buffer; cert: Buffer };
  const running: Harness[] = [];

  before(function () {
    requireTools(this, "haproxy", "openssl");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-serving-"));
    // ECDSA P-256, self-signed, like the certificate go-livepeer makes for itself
    // (server/cert.go genKey: ecdsa.GenerateKey(elliptic.P256(), ...)).
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        ...["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
        ...["-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")],
      ],
      { stdio: "ignore" },
    );
    tls = {
      key: fs.readFileSync(path.join(dir, "key.pem")),
      cert: fs.readFileSync(path.join(dir, "cert.pem")),
    };
  });

  afterEach(async function () {
    for (const h of running.splice(0)) {
      await h.nlb.proc.stop();
      for (const o of h.orchs) await o.stop();
    }
  });

  after(function () {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `count` orchestrator processes, each on its own port, behind one HAProxy port. */
  async function startHarness(
    count: number,
    advertise: "own address" | "load balancer",
    maxSessions = NO_CAP,
  ): Promise<Harness> {
    const nlbPort = await freePort();
    const orchs: OrchestratorDouble[] = [];
    for (let i = 1; i <= count; i++) {
      const port = await freePort();
      const serviceAddr = `127.0.0.1:${advertise === "own address" ? port : nlbPort}`;
      const o = new OrchestratorDouble({
        name: `o${i}`,
        port,
        serviceAddr,
        maxSessions,
        recipient: RECIPIENT,
        tls,
      });
      await o.start();
      orchs.push(o);
    }
    const nlb = await NlbStandIn.start(
      dir,
      nlbPort,
      orchs.map((o) => ({ name: o.name, port: o.opts.port })),
    );
    const h = { orchs, nlb };
    running.push(h);
    return h;
  }

  describe("stand-in orchestrator: credentials are per process, as in go-livepeer", function () {
    let a: OrchestratorDouble;
    let b: OrchestratorDouble;
    const gw = new GatewayDouble();

    beforeEach(async function () {
      ({
        orchs: [a, b],
      } = await startHarness(2, "own address"));
    });

    it("accepts a segment with its own auth token and ticket params and answers with its own refreshed info", async function () {
      const info = await gw.getOrchestrator(a.serviceURI);
      expect(info.transcoder).to.equal(a.serviceURI);
      const r = await gw.submitSegment(info, 0);
      expect(r.error).to.equal(undefined);
      expect(r.status).to.equal(200);
      // ServeSegment keeps the auth token and issues new ticket params.
      expect(r.info?.auth_token).to.deep.equal(info.auth_token);
      expect(r.info?.ticket_params.seed).to.not.equal(info.ticket_params.seed);
      expect((await gw.submitSegment(r.info!, 1)).status).to.equal(200);
    });

    it("refuses another process's auth token with 403 'invalid auth token' (verifySegCreds)", async function () {
      const fromB = await gw.getOrchestrator(b.serviceURI);
      const r = await gw.submitSegment({ ...fromB, transcoder: a.serviceURI }, 0);
      expect(r).to.deep.include({ status: 403, error: LP_ERRORS.authToken });
    });

    it("refuses another process's ticket params under its own token with 400 'invalid recipientRand' (ValidateTicket)", async function () {
      const fromA = await gw.getOrchestrator(a.serviceURI);
      const fromB = await gw.getOrchestrator(b.serviceURI);
      // Same recipient address on both: only the per-process recipient secret tells them apart.
      expect(fromB.ticket_params.recipient).to.equal(fromA.ticket_params.recipient);
      const r = await gw.submitSegment({ ...fromA, ticket_params: fromB.ticket_params }, 0);
      expect(r).to.deep.include({ status: 400, error: LP_ERRORS.recipientRand });
      expect(a.sessions.size, "a refused payment opens no session").to.equal(0);
    });
  });

  describe("addressing: discovery through the NLB, segments to OrchestratorInfo.transcoder", function () {
    for (const count of [2, 3]) {
      it(`${count} stand-in orchestrators each advertising its own address: ${SESSIONS} sessions through the NLB, 0 auth or payment failures, media bypasses the NLB`, async function () {
        const { orchs, nlb } = await startHarness(count, "own address");
        const outcomes = await runSessions(new GatewayDouble(), nlb.uri);
        const s = summarise(outcomes);
        const own = new Set(orchs.map((o) => o.serviceURI));
        console.log(
          `    own addresses, ${count} processes: ${s.segments} segments, ${s.rejected} rejected; ` +
            `discoveries per process ${orchs.map((o) => o.stats.discoveries).join("/")}; ` +
            `NLB connections ${await nlb.connections()}`,
        );
        expect(s.discoveryFailures).to.deep.equal([]);
        expect(outcomes.every((o) => o.discovery.ok && own.has(o.discovery.transcoder))).to.equal(
          true,
        );
        expect(Object.fromEntries(s.errors)).to.deep.equal({});
        expect(s.segments).to.equal(SESSIONS * SEGMENTS_PER_SESSION);
        // Discovery really was spread over every process by the load balancer...
        for (const o of orchs) expect(o.stats.discoveries, o.name).to.be.above(0);
        expect(orchs.reduce((n, o) => n + o.stats.segmentsAccepted, 0)).to.equal(s.segments);
        // ...and the NLB carried discovery only: one connection per session, no media.
        expect(await nlb.connections()).to.equal(SESSIONS);
      });

      it(`${count} stand-in orchestrators all advertising the load balancer: segments land on processes that did not issue their token and are refused`, async function () {
        const { orchs, nlb } = await startHarness(count, "load balancer");
        const outcomes = await runSessions(new GatewayDouble(), nlb.uri);
        const s = summarise(outcomes);
        const rate = s.rejected / s.segments;
        console.log(
          `    load balancer address, ${count} processes: ${s.segments} segments, ${s.rejected} rejected ` +
            `(${(100 * rate).toFixed(1)}%; (N-1)/N = ${((100 * (count - 1)) / count).toFixed(1)}%); ` +
            `first segment rejected in ${s.firstSegmentRejected}/${SESSIONS} sessions ` +
            `(${((100 * s.firstSegmentRejected) / SESSIONS).toFixed(1)}%); NLB connections ${await nlb.connections()}`,
        );
        expect(s.discoveryFailures).to.deep.equal([]);
        expect(
          outcomes.every((o) => o.discovery.ok && o.discovery.transcoder === nlb.uri),
        ).to.equal(true);
        // The auth token is checked before the payment, so that is the error every refusal shows.
        expect([...s.errors.keys()]).to.deep.equal([`403 ${LP_ERRORS.authToken}`]);
        expect(rate, "share of segment requests refused").to.be.above(0.25);
        expect(s.firstSegmentRejected / SESSIONS, "share of sessions refused at once").to.be.above(
          0.25,
        );
        expect(orchs.reduce((n, o) => n + o.stats.rejected, 0)).to.equal(s.rejected);
        expect(await nlb.connections()).to.equal(SESSIONS * (1 + SEGMENTS_PER_SESSION));
      });
    }
  });

  describe("capacity: -maxSessions per process", function () {
    it("a full stand-in orchestrator refuses discovery with OrchestratorCapped at the gateway until it is taken out of rotation; its live sessions keep working", async function () {
      const MAX = 2;
      const { orchs, nlb } = await startHarness(2, "own address", MAX);
      const [full, other] = orchs;
      const gw = new GatewayDouble();
      // Fill one process: discovery straight to it, then a first segment opens each session.
      const live = [];
      for (let i = 0; i < MAX; i++) {
        const info = await gw.getOrchestrator(full.serviceURI);
        const r = await gw.submitSegment(info, 0);
        expect(r.status).to.equal(200);
        live.push(r.info!);
      }
      expect(full.sessions.size).to.equal(MAX);

      const discover = async (n: number) => {
        const refused: string[] = [];
        const servedBy: string[] = [];
        for (let i = 0; i < n; i++) {
          try {
            servedBy.push((await gw.getOrchestrator(nlb.uri)).transcoder);
          } catch (e) {
            refused.push((e as Error).message);
          }
        }
        return { refused, servedBy };
      };

      const inRotation = await discover(10);
      console.log(
        `    capacity: full process in rotation: ${inRotation.refused.length}/10 discoveries refused`,
      );
      expect(inRotation.refused.length).to.be.above(0);
      const expected =
        `Could not get orchestrator orch=${nlb.uri}: rpc error: code = Unknown desc = ` +
        `${LP_ERRORS.discoveryRefused}${LP_ERRORS.orchCap}`;
      expect(new Set(inRotation.refused)).to.deep.equal(new Set([expected]));
      expect(full.stats.refusedDiscoveries).to.equal(inRotation.refused.length);
      expect(new Set(inRotation.servedBy)).to.deep.equal(new Set([other.serviceURI]));

      // Taking it out of discovery (here HAProxy's runtime API; in the region the target's health)
      // ends the refusals...
      await nlb.admin(`disable server orchestrators/${full.name}`);
      const outOfRotation = await discover(10);
      expect(outOfRotation.refused).to.deep.equal([]);
      expect(new Set(outOfRotation.servedBy)).to.deep.equal(new Set([other.serviceURI]));

      // ...without touching its live sessions: their segments go to its own address, and
      // CheckCapacity passes for a session it already holds.
      for (const [i, info] of live.entries()) {
        const r = await gw.submitSegment(info, 1);
        expect(r.status, `live session ${i}: ${r.error}`).to.equal(200);
      }
    });
  });
});
