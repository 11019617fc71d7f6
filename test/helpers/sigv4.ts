// Signature checks for the local AWS API stand-ins: a request signed by scripts/node/awsapi.py
// is re-signed with the AWS SDK's own SigV4 signer (@smithy/signature-v4) and must match it, so
// a stand-in accepting a request also proves the node's signing is what AWS computes.
import { createHash, createHmac } from "node:crypto";
import type * as http from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";

/** Role credentials the IMDS stand-ins hand out; test-only values. */
export const TEST_CREDS = {
  accessKeyId: "AKIDTESTONLY",
  secretAccessKey: "test-only-secret",
  sessionToken: "test-only-token",
};

/** node:crypto behind the SDK's hash interface (HMAC when given a secret). */
type Source = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Source) =>
  typeof d === "string"
    ? Buffer.from(d)
    : ArrayBuffer.isView(d)
      ? Buffer.from(d.buffer, d.byteOffset, d.byteLength)
      : Buffer.from(d);
export class NodeSha256 {
  private h;
  constructor(secret?: Source) {
    this.h = secret ? createHmac("sha256", bytes(secret)) : createHash("sha256");
  }
  update(data: Source): void {
    this.h.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
  reset(): void {}
}

/**
 * True when `req`'s Authorization is exactly what the SDK computes for the same request at the
 * same x-amz-date, for `service` in `region`. `headers` names the request headers (besides
 * host, x-amz-date and the token, which the signer adds) that the caller is expected to sign.
 */
export async function sigV4Matches(
  req: http.IncomingMessage,
  body: string,
  a: { service: string; region: string; headers: string[] },
): Promise<boolean> {
  const signer = new SignatureV4({
    service: a.service,
    region: a.region,
    credentials: TEST_CREDS,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const h = req.headers;
  const when = new Date(
    String(h["x-amz-date"]).replace(
      /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/,
      "$1-$2-$3T$4:$5:$6Z",
    ),
  );
  if (Number.isNaN(when.getTime())) return false;
  const expected = await signer.sign(
    {
      method: req.method ?? "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      path: req.url ?? "/",
      headers: {
        host: String(h.host),
        ...Object.fromEntries(a.headers.map((n) => [n, String(h[n])])),
      },
      body,
      query: {},
    },
    { signingDate: when },
  );
  return expected.headers.authorization === h.authorization;
}
