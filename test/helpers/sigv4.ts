// Signature checks for the local AWS API stand-ins. A request signed by the node (botocore, from
// scripts/node/awsapi.py) is verified the way AWS verifies it: the credential scope must name
// the expected key, date, region and service; the SignedHeaders list must cover what the
// protocol needs signed; then the request is re-signed over exactly those headers with the AWS
// SDK for JavaScript's own SigV4 signer (@smithy/signature-v4) and the signatures must match.
// Two independent implementations agreeing also shows the node signed with the role
// credentials the IMDS stand-in handed out, and nothing else.
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

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/**
 * True when `req`'s Authorization is exactly what the SDK computes for the same request at the
 * same x-amz-date, for `service` in `region`, over the headers the request says it signed.
 * `required` names headers (besides host, x-amz-date and x-amz-security-token, always required)
 * that must be among them: e.g. x-amz-target for the JSON protocol, whose target names the
 * action outside the body.
 */
export async function sigV4Matches(
  req: http.IncomingMessage,
  body: string,
  a: { service: string; region: string; required: string[] },
): Promise<boolean> {
  const h = req.headers;
  const m = AUTH.exec(String(h.authorization));
  const date = String(h["x-amz-date"]);
  if (!m || !/^\d{8}T\d{6}Z$/.test(date)) return false;
  const [, key, day, region, service, signed] = m;
  if (key !== TEST_CREDS.accessKeyId || day !== date.slice(0, 8)) return false;
  if (region !== a.region || service !== a.service) return false;
  const names = signed.split(";");
  const must = ["host", "x-amz-date", "x-amz-security-token", ...a.required];
  if (!must.every((n) => names.includes(n))) return false;
  const signer = new SignatureV4({
    service: a.service,
    region: a.region,
    credentials: TEST_CREDS,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const when = new Date(
    date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"),
  );
  const url = new URL(req.url ?? "/", "http://stand-in");
  const expected = await signer.sign(
    {
      method: req.method ?? "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      path: url.pathname,
      // The signer adds x-amz-date and the token itself.
      headers: Object.fromEntries(
        names
          .filter((n) => n !== "x-amz-date" && n !== "x-amz-security-token")
          .map((n) => [n, String(h[n])]),
      ),
      body,
      query: Object.fromEntries(url.searchParams),
    },
    { signingDate: when },
  );
  return expected.headers.authorization === h.authorization;
}
