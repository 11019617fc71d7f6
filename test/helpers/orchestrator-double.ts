// A STAND-IN for one go-livepeer orchestrator process, faithful where addressing matters: the
// secrets it makes at start, what GetOrchestrator advertises, and how a segment's auth token and
// payment are checked. Every citation is to go-livepeer's source (checked at v0.9.1).
//
// - Per-process HMAC secret for session auth tokens: NewOrchestrator sets
//   `secret: common.RandomBytesGenerator(32)` (core/orchestrator.go); AuthToken() signs
//   HMAC-SHA256(secret, sessionID || big.Int(expiration).Bytes()).
// - Per-process ticket recipient secret: pm.NewRecipient fills `secret [32]byte` from crypto/rand
//   (pm/recipient.go). TicketParams() draws a random seed and advertises
//   recipientRandHash = keccak256(leftPad32(recipient.rand(seed, sender, faceValue, winProb,
//   expirationBlock, price, expirationParams))), where rand() is HMAC-SHA256 over those fields'
//   big-endian bytes. On payment, ReceiveTicket recomputes rand() with ITS secret and
//   validator.ValidateTicket (pm/validator.go) rejects a mismatch with
//   errInvalidTicketRecipientRand.
// - GetOrchestrator (server/rpc.go getOrchestrator): verifyOrchestratorReq -> CheckCapacity(""),
//   refused as "Invalid orchestrator request: OrchestratorCapped" (core.ErrOrchCap) when
//   len(SegmentChans) >= MaxSessions; else orchestratorInfoWithCaps returns
//   `Transcoder: serviceURI` (the node's -serviceAddr, made https:// by getServiceURI in
//   cmd/livepeer/starter/starter.go), fresh ticket params and AuthToken(RandomManifestID(), now +
//   authTokenValidPeriod (30 min)).
// - Segments (server/segment_rpc.go ServeSegment): getPayment (402 on a bad header), then
//   verifySegCreds (403): "invalid auth token" when AuthToken(sessionId, expiration) differs,
//   "expired auth token", then CheckCapacity(sessionId) (a known session always passes); then
//   ProcessPayment (400, core/orchestrator.go) -> Recipient.ReceiveTicket. A session occupies
//   capacity from its first transcoded segment (getSegmentChan in core/orchestrator.go). The 200
//   answer carries a refreshed OrchestratorInfo with the SAME auth token and new ticket params.
//
// Not modelled (they do not depend on which process answers): gRPC framing (GetOrchestrator is a
// JSON POST on the gRPC method's path here), the gateway's signatures (VerifySig, the ticket
// signature: checked after recipientRand with the gateway's key), sender-nonce replay, ticket
// expiry against the chain, transcoding itself, session expiry (transcodeLoopTimeout).
import * as crypto from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import { keccak256 } from "ethers";

/** 0x-hex bytes on the wire (go-livepeer's protobuf []byte fields). */
export type Hex = string;

// Field names follow the json tags of the protobuf structs in net/lp_rpc.pb.go.
export interface AuthToken {
  token: Hex;
  session_id: string;
  expiration: number;
}
export interface TicketExpirationParams {
  creation_round: number;
  creation_round_block_hash: Hex;
}
export interface TicketParams {
  recipient: Hex;
  face_value: Hex;
  win_prob: Hex;
  recipient_rand_hash: Hex;
  seed: Hex;
  expiration_block: Hex;
  expiration_params: TicketExpirationParams;
}
export interface PriceInfo {
  pricePerUnit: number;
  pixelsPerUnit: number;
}
export interface OrchestratorInfo {
  transcoder: string;
  ticket_params: TicketParams;
  price_info: PriceInfo;
  address: Hex;
  auth_token: AuthToken;
}
export interface Payment {
  ticket_params?: TicketParams;
  sender: Hex;
  expiration_params?: TicketExpirationParams;
  ticket_sender_params: { sender_nonce: number; sig: Hex }[];
  expected_price: PriceInfo;
}
export interface SegData {
  manifestId: string;
  seq: number;
  duration: number;
  auth_token?: AuthToken;
}
export interface TranscodeResult {
  seq: number;
  data: { segments: { url: string; pixels: number }[] };
  info: OrchestratorInfo;
}

/** go-livepeer's own error strings, so the tests assert what a real gateway would log. */
export const LP_ERRORS = {
  orchCap: "OrchestratorCapped", // core.ErrOrchCap
  discoveryRefused: "Invalid orchestrator request: ", // getOrchestrator's prefix
  authToken: "invalid auth token", // verifySegCreds
  expiredAuthToken: "expired auth token",
  missingAuthToken: "missing auth token",
  recipient: "invalid ticket recipient", // pm/validator.go
  sender: "invalid ticket sender",
  recipientRand: "invalid recipientRand for ticket recipientRandHash",
} as const;

export const GET_ORCHESTRATOR_PATH = "/net.Orchestrator/GetOrchestrator"; // net/lp_rpc_grpc.pb.go
export const SEGMENT_HEADER = "Livepeer-Segment"; // server/segment_rpc.go segmentHeader
export const PAYMENT_HEADER = "Livepeer-Payment"; // paymentHeader
const AUTH_TOKEN_VALID_S = 30 * 60; // server/rpc.go authTokenValidPeriod
const PARAMS_EXPIRATION_BLOCKS = 40n; // pm/recipient.go paramsExpirationBlock

// ---- byte helpers mirroring Go's big.Int.Bytes() (big-endian, no leading zeros) ----
export const toHex = (b: Buffer): Hex => "0x" + b.toString("hex");
export const fromHex = (h: Hex): Buffer => Buffer.from(h.replace(/^0x/, ""), "hex");
const toBig = (b: Buffer): bigint => (b.length ? BigInt(toHex(b)) : 0n);
function bigBytes(n: bigint): Buffer {
  if (n === 0n) return Buffer.alloc(0);
  const h = n.toString(16);
  return Buffer.from(h.length % 2 ? "0" + h : h, "hex");
}
const leftPad32 = (b: Buffer): Buffer => Buffer.concat([Buffer.alloc(32 - b.length), b]);
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/** common.RatPriceInfo: big.NewRat(pricePerUnit, pixelsPerUnit), which is kept reduced. */
function ratPrice(p: PriceInfo): [bigint, bigint] {
  if (p.pixelsPerUnit === 0) throw new Error("pixels per unit is 0");
  const [n, d] = [BigInt(p.pricePerUnit), BigInt(p.pixelsPerUnit)];
  const g = gcd(n < 0n ? -n : n, d) || 1n;
  return [n / g, d / g];
}

/** TicketExpirationParams.AuxData (pm/ticket.go): empty when both are zero. */
function auxData(e: TicketExpirationParams | undefined): Buffer {
  const hash = fromHex(e?.creation_round_block_hash ?? "0x");
  if (!e || (e.creation_round === 0 && toBig(hash) === 0n)) return Buffer.alloc(0);
  return Buffer.concat([leftPad32(bigBytes(BigInt(e.creation_round))), leftPad32(hash)]);
}

export interface OrchestratorDoubleOptions {
  /** A label for reports ("o1"). */
  name: string;
  /** Loopback port the process listens on (its service port, 8935 in production). */
  port: number;
  /** -serviceAddr: what GetOrchestrator advertises as OrchestratorInfo.transcoder. */
  serviceAddr: string;
  /** -maxSessions (go-livepeer's default is 10, cmd/livepeer/starter/starter.go). */
  maxSessions: number;
  /** The on-chain orchestrator address every process of one orchestrator shares (-ethOrchAddr
   * becomes the ticket recipient in starter.go), so only the secrets tell processes apart. */
  recipient: Hex;
  tls: { key: Buffer; cert: Buffer };
}

/** One stand-in go-livepeer orchestrator process on loopback (HTTPS like port 8935). */
export class OrchestratorDouble {
  readonly name: string;
  readonly serviceURI: string;
  readonly stats = { discoveries: 0, refusedDiscoveries: 0, segmentsAccepted: 0, rejected: 0 };
  /** core.LivepeerNode.SegmentChans: sessions holding capacity, keyed by auth token session id. */
  readonly sessions = new Set<string>();
  // Made once per process, never shared: the whole point of this stand-in.
  private readonly authSecret = crypto.randomBytes(32);
  private readonly recipientSecret = crypto.randomBytes(32);
  private server?: https.Server;
  private readonly price: PriceInfo = { pricePerUnit: 1200, pixelsPerUnit: 1 };
  private readonly lastL1Block = 20_000_000n;

  constructor(readonly opts: OrchestratorDoubleOptions) {
    this.name = opts.name;
    // getServiceURI: "https://" is prepended when -serviceAddr has no scheme.
    this.serviceURI = /^https?:\/\//.test(opts.serviceAddr)
      ? opts.serviceAddr
      : `https://${opts.serviceAddr}`;
  }

  start(): Promise<void> {
    const server = https.createServer(this.opts.tls, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.handle(req, Buffer.concat(chunks), res));
    });
    this.server = server;
    return new Promise((r) => server.listen(this.opts.port, "127.0.0.1", r));
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  /** Orchestrator.AuthToken: HMAC-SHA256(secret, sessionID || big.Int(expiration).Bytes()). */
  authToken(sessionId: string, expiration: number): AuthToken {
    const mac = crypto.createHmac("sha256", this.authSecret);
    mac.update(Buffer.concat([Buffer.from(sessionId), bigBytes(BigInt(expiration))]));
    return { token: toHex(mac.digest()), session_id: sessionId, expiration };
  }

  /** core orchestrator.CheckCapacity. */
  checkCapacity(sessionId: string): Error | undefined {
    if (this.sessions.has(sessionId)) return undefined;
    return this.sessions.size >= this.opts.maxSessions ? new Error(LP_ERRORS.orchCap) : undefined;
  }

  /** recipient.rand (pm/recipient.go): HMAC-SHA256 over the ticket fields, as a big integer. */
  private recipientRand(
    seed: Buffer,
    sender: Buffer,
    faceValue: Buffer,
    winProb: Buffer,
    expirationBlock: Buffer,
    price: PriceInfo,
    exp: TicketExpirationParams | undefined,
  ): Buffer {
    const [num, den] = ratPrice(price);
    const mac = crypto.createHmac("sha256", this.recipientSecret);
    for (const part of [seed, sender, faceValue, winProb, expirationBlock])
      mac.update(bigBytes(toBig(part)));
    mac.update(bigBytes(num));
    mac.update(bigBytes(den));
    mac.update(auxData(exp));
    // rand is new(big.Int).SetBytes(h.Sum(nil)); every use left-pads it back to 32 bytes
    // (ethcommon.LeftPadBytes(rand.Bytes(), 32)), which is the digest itself.
    return mac.digest();
  }

  /** recipient.TicketParams: a fresh random seed and the hash of its recipientRand. */
  private ticketParams(sender: Hex): TicketParams {
    const seed = bigBytes(toBig(crypto.randomBytes(32)));
    const faceValue = bigBytes(10n ** 15n);
    const winProb = bigBytes(2n ** 200n);
    const expirationBlock = bigBytes(this.lastL1Block + PARAMS_EXPIRATION_BLOCKS);
    const exp: TicketExpirationParams = {
      creation_round: 3500,
      creation_round_block_hash: toHex(crypto.createHash("sha256").update("round").digest()),
    };
    const rand = this.recipientRand(
      seed,
      fromHex(sender),
      faceValue,
      winProb,
      expirationBlock,
      this.price,
      exp,
    );
    return {
      recipient: this.opts.recipient,
      face_value: toHex(faceValue),
      win_prob: toHex(winProb),
      recipient_rand_hash: keccak256(rand),
      seed: toHex(seed),
      expiration_block: toHex(expirationBlock),
      expiration_params: exp,
    };
  }

  /** orchestratorInfoWithCaps: Transcoder is this process's own serviceURI, whatever answered. */
  orchestratorInfo(sender: Hex, token?: AuthToken): OrchestratorInfo {
    const sessionId = crypto.randomBytes(4).toString("hex"); // core.RandomManifestID
    return {
      transcoder: this.serviceURI,
      ticket_params: this.ticketParams(sender),
      price_info: this.price,
      address: this.opts.recipient,
      auth_token:
        token ?? this.authToken(sessionId, Math.floor(Date.now() / 1000) + AUTH_TOKEN_VALID_S),
    };
  }

  /** core orchestrator.ProcessPayment -> recipient.ReceiveTicket -> validator.ValidateTicket. */
  private processPayment(p: Payment): Error | undefined {
    if (!p.ticket_params) return undefined; // price 0: nothing to check
    const tp = p.ticket_params;
    // One ReceiveTicket per ticket; the tickets of a batch differ only in nonce and signature,
    // which this stand-in does not check, so one check stands for all of them.
    if (p.ticket_sender_params.length === 0) return undefined;
    if (toBig(fromHex(tp.recipient)) !== toBig(fromHex(this.opts.recipient)))
      return new Error(LP_ERRORS.recipient);
    if (toBig(fromHex(p.sender)) === 0n) return new Error(LP_ERRORS.sender);
    // ProcessPayment takes the price from payment.ExpectedPrice and the expiration params from
    // payment.ExpirationParams, and rand() uses THIS process's secret.
    const rand = this.recipientRand(
      fromHex(tp.seed),
      fromHex(p.sender),
      fromHex(tp.face_value),
      fromHex(tp.win_prob),
      fromHex(tp.expiration_block),
      p.expected_price,
      p.expiration_params,
    );
    if (keccak256(rand) !== toHex(leftPad32(fromHex(tp.recipient_rand_hash))))
      return new Error(LP_ERRORS.recipientRand);
    return undefined;
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    // net/http's http.Error: text/plain, message plus newline.
    const fail = (code: number, msg: string) => {
      this.stats.rejected++;
      res.writeHead(code, { "content-type": "text/plain; charset=utf-8" }).end(msg + "\n");
    };
    if (req.method === "POST" && req.url === GET_ORCHESTRATOR_PATH) {
      const orchReq = JSON.parse(body.toString() || "{}") as { address?: Hex };
      const capErr = this.checkCapacity("");
      if (capErr) {
        this.stats.refusedDiscoveries++;
        // A gRPC error status; the gateway sees "rpc error: code = Unknown desc = <msg>".
        res
          .writeHead(500, { "content-type": "application/json" })
          .end(
            JSON.stringify({ code: "Unknown", desc: LP_ERRORS.discoveryRefused + capErr.message }),
          );
        return;
      }
      this.stats.discoveries++;
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(this.orchestratorInfo(orchReq.address ?? "0x")));
      return;
    }
    if (req.method === "POST" && req.url === "/segment") {
      let payment: Payment;
      let seg: SegData;
      try {
        // An absent header decodes to an empty Payment in getPayment (price 0).
        payment = decodeHeader<Payment>(req.headers[PAYMENT_HEADER.toLowerCase()], EMPTY_PAYMENT);
      } catch (e) {
        return fail(402, `base64 decode error: ${String(e)}`);
      }
      try {
        seg = decodeHeader<SegData>(req.headers[SEGMENT_HEADER.toLowerCase()]);
      } catch {
        return fail(403, "ErrorSegEncoding");
      }
      // verifySegCreds
      const tok = seg.auth_token;
      if (!tok) return fail(403, LP_ERRORS.missingAuthToken);
      if (this.authToken(tok.session_id, tok.expiration).token !== tok.token)
        return fail(403, LP_ERRORS.authToken);
      if (Date.now() / 1000 > tok.expiration) return fail(403, LP_ERRORS.expiredAuthToken);
      const capErr = this.checkCapacity(tok.session_id);
      if (capErr) return fail(403, capErr.message);
      // ServeSegment: refreshed info (same token), then the payment.
      const info = this.orchestratorInfo(payment.sender, tok);
      const payErr = this.processPayment(payment);
      if (payErr) return fail(400, payErr.message);
      // getSegmentChan: the session now holds capacity.
      this.sessions.add(tok.session_id);
      this.stats.segmentsAccepted++;
      const result: TranscodeResult = {
        seq: seg.seq,
        data: {
          segments: [{ url: `${this.serviceURI}/stream/${seg.seq}.ts`, pixels: body.length }],
        },
        info,
      };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result));
      return;
    }
    res.writeHead(404).end("404 page not found\n");
  }
}

/** Headers carry base64 of the message (protobuf in go-livepeer, JSON here). */
export function encodeHeader(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString("base64");
}
function decodeHeader<T>(h: string | string[] | undefined, absent?: T): T {
  if (typeof h !== "string" || !h) {
    if (absent) return absent;
    throw new Error("missing header");
  }
  return JSON.parse(Buffer.from(h, "base64").toString()) as T;
}
const EMPTY_PAYMENT: Payment = {
  sender: "0x",
  ticket_sender_params: [],
  expected_price: { pricePerUnit: 0, pixelsPerUnit: 1 },
};
