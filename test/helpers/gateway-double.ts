// A STAND-IN for the gateway (broadcaster) side of Livepeer sessions, doing what go-livepeer's
// gateway does on the wire (checked at v0.9.1):
// - Discovery: server/rpc.go GetOrchestratorInfo dials the orchestrator's service URI (the one
//   registered on chain), calls GetOrchestrator and closes the connection (`defer conn.Close()`),
//   so the media that follows never rides the discovery connection.
// - The session keeps the returned OrchestratorInfo (server/broadcast.go: `OrchestratorInfo:
//   od.RemoteInfo`) and SubmitSegment (server/segment_rpc.go) POSTs each segment to
//   `ti.Transcoder + "/segment"` with the Livepeer-Segment header (SegData carrying the auth
//   token, genSegCreds) and the Livepeer-Payment header (genPayment: the ticket params from that
//   OrchestratorInfo, ExpectedPrice = its PriceInfo). TLS is not verified (tlsConfig
//   InsecureSkipVerify: true): orchestrators use self-signed certificates.
// - A 200 answer carries a refreshed OrchestratorInfo that replaces the session's
//   (updateSession in server/broadcast.go); a non-200 answer's trimmed body is the error.
// Every segment here opens a new TCP connection. go-livepeer's segment client keeps an idle
// connection for a minute (httpClient IdleConnTimeout), so in production a session's first
// segment always opens a new flow and later ones do again after an idle minute; a new flow per
// segment is the case where every request is routed afresh.
import * as crypto from "node:crypto";
import * as https from "node:https";
import {
  GET_ORCHESTRATOR_PATH,
  Hex,
  OrchestratorInfo,
  PAYMENT_HEADER,
  Payment,
  SEGMENT_HEADER,
  SegData,
  TranscodeResult,
  encodeHeader,
  toHex,
} from "./orchestrator-double";

export interface SegmentOutcome {
  /** HTTP status; 0 when the request itself failed (connection error). */
  status: number;
  /** The orchestrator's error text (trimmed), as SubmitSegment reports it. */
  error?: string;
}

export interface SessionOutcome {
  discovery: { ok: true; transcoder: string } | { ok: false; error: string };
  segments: SegmentOutcome[];
}

interface Reply {
  status: number;
  body: string;
}

/** One HTTPS POST on a connection of its own (agent: false). */
function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        agent: false,
        rejectUnauthorized: false,
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export class GatewayDouble {
  /** The gateway's account: Payment.Sender and the ticket sender. */
  readonly address: Hex = toHex(crypto.randomBytes(20));
  private nonce = 0;
  private readonly segment = crypto.randomBytes(4096); // stands in for an MPEG-TS segment

  /** GetOrchestratorInfo: throws the error a real gateway would log. */
  async getOrchestrator(serviceURI: string): Promise<OrchestratorInfo> {
    const reply = await post(
      serviceURI + GET_ORCHESTRATOR_PATH,
      JSON.stringify({ address: this.address }),
      { "content-type": "application/json" },
    );
    if (reply.status !== 200) {
      const { desc } = JSON.parse(reply.body) as { desc: string };
      throw new Error(
        `Could not get orchestrator orch=${serviceURI}: rpc error: code = Unknown desc = ${desc}`,
      );
    }
    return JSON.parse(reply.body) as OrchestratorInfo;
  }

  /** SubmitSegment to `info.transcoder` with `info`'s auth token and ticket params. */
  async submitSegment(
    info: OrchestratorInfo,
    seq: number,
  ): Promise<SegmentOutcome & { info?: OrchestratorInfo }> {
    const segData: SegData = {
      manifestId: "stream",
      seq,
      duration: 2000,
      auth_token: info.auth_token,
    };
    const payment: Payment = {
      sender: this.address,
      ticket_params: info.ticket_params,
      expiration_params: info.ticket_params.expiration_params,
      ticket_sender_params: [{ sender_nonce: ++this.nonce, sig: "0x" }],
      expected_price: info.price_info,
    };
    let reply: Reply;
    try {
      reply = await post(info.transcoder + "/segment", this.segment, {
        "content-type": "video/MP2T",
        [SEGMENT_HEADER]: encodeHeader(segData),
        [PAYMENT_HEADER]: encodeHeader(payment),
      });
    } catch (e) {
      return { status: 0, error: String(e) };
    }
    if (reply.status !== 200) return { status: reply.status, error: reply.body.trim() };
    return { status: 200, info: (JSON.parse(reply.body) as TranscodeResult).info };
  }

  /** One session: discovery through `serviceURI`, then `segments` segments in order. */
  async session(serviceURI: string, segments: number): Promise<SessionOutcome> {
    let info: OrchestratorInfo;
    try {
      info = await this.getOrchestrator(serviceURI);
    } catch (e) {
      return { discovery: { ok: false, error: (e as Error).message }, segments: [] };
    }
    const out: SessionOutcome = {
      discovery: { ok: true, transcoder: info.transcoder },
      segments: [],
    };
    for (let seq = 0; seq < segments; seq++) {
      const r = await this.submitSegment(info, seq);
      if (r.info) info = r.info; // updateSession
      out.segments.push({ status: r.status, error: r.error });
    }
    return out;
  }
}
