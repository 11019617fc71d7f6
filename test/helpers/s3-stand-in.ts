// A STAND-IN for S3's GetObject, as the user-data bootstrap (scripts/node/bootstrap.sh) calls it
// through boto3: path-style requests, answered only when their SigV4 signature is the one S3
// would compute (re-computed with the AWS SDK's own signer, S3 flavour: no double path encoding,
// x-amz-content-sha256 signed) and 403 SignatureDoesNotMatch otherwise; one object at one version.
import type * as http from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import { listen } from "./net";
import { NodeSha256, TEST_CREDS } from "./sigv4";

/** True when the request carries the signature S3 would compute for it in `region`. */
export async function s3SignatureMatches(
  req: http.IncomingMessage,
  region: string,
): Promise<boolean> {
  const auth = String(req.headers.authorization ?? "");
  const signed = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(";") ?? [];
  // S3 requires the payload hash to be signed (S3 API reference, "Signature Calculations for the
  // Authorization Header").
  if (!signed.includes("x-amz-content-sha256") || !signed.includes("host")) return false;
  const when = new Date(
    String(req.headers["x-amz-date"]).replace(
      /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/,
      "$1-$2-$3T$4:$5:$6Z",
    ),
  );
  if (Number.isNaN(when.getTime())) return false;
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const signer = new SignatureV4({
    service: "s3",
    region,
    credentials: TEST_CREDS,
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const expected = await signer.sign(
    {
      method: req.method ?? "GET",
      protocol: "http:",
      hostname: "127.0.0.1",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(signed.map((h) => [h, String(req.headers[h])])),
    },
    { signingDate: when },
  );
  return expected.headers.authorization === auth;
}

export interface S3Object {
  bucket: string;
  key: string;
  versionId: string;
}

export interface S3StandIn {
  port: number;
  url: string;
  requests: { path: string; signed: boolean }[];
  /** What GET of the object returns; swap it to serve a tampered bundle. */
  serve: Buffer;
  close(): Promise<void>;
}

/** Serves `body` as `object` (that version only), to requests signed for `region`. */
export async function s3StandIn(
  object: S3Object,
  body: Buffer,
  region: string,
): Promise<S3StandIn> {
  const stand = { requests: [], serve: body } as unknown as S3StandIn;
  const { server, port } = await listen((req, res) => {
    void (async () => {
      const signed = await s3SignatureMatches(req, region);
      stand.requests.push({ path: req.url ?? "", signed });
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (!signed) {
        res.writeHead(403, { "content-type": "application/xml" });
        res.end("<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>");
      } else if (
        req.method !== "GET" ||
        url.pathname !== `/${object.bucket}/${object.key}` ||
        url.searchParams.get("versionId") !== object.versionId
      ) {
        res.writeHead(404, { "content-type": "application/xml" });
        res.end("<Error><Code>NoSuchKey</Code><Message>no</Message></Error>");
      } else {
        res.writeHead(200, {
          "content-type": "application/gzip",
          "content-length": String(stand.serve.length),
          "x-amz-version-id": object.versionId,
          "x-amz-server-side-encryption": "aws:kms",
        });
        res.end(stand.serve);
      }
    })();
  });
  stand.port = port;
  stand.url = `http://127.0.0.1:${port}`;
  stand.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return stand;
}
