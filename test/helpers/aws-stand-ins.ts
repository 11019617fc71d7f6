// Local STAND-INS for the AWS APIs the nodes call (scripts/node/awsapi.py, through botocore):
// IMDSv2, and one HTTP server per service speaking that service's wire protocol as botocore's
// model names it (service-2.json `protocol`, the same in botocore 1.23, 1.29 and 1.34: SSM
// json 1.1, EC2 ec2, Auto Scaling and CloudWatch query, Route 53 rest-xml; test/awsapi.test.ts
// checks the installed botocore still says so). Botocore's model for CloudWatch says
// smithy-rpc-v2-cbor from 1.43.54 on (with json and query as alternatives): a node with such a
// botocore would send CBOR, which the CloudWatch stand-in refuses as an unknown action.
// Every request's SigV4 signature is verified as AWS does (helpers/sigv4.ts); a wrong one gets
// AWS's 403 SignatureDoesNotMatch. Calls are recorded with their decoded parameters.
import { spawnSync } from "node:child_process";
import type * as http from "node:http";
import { listen, readBody } from "./net";
import { TEST_CREDS, sigV4Matches } from "./sigv4";

/** Debian's interpreter: python3-boto3 is installed for it (pyenv's python3 on PATH has none). */
export const SYSTEM_PYTHON = "/usr/bin/python3";
export const REGION = "eu-west-1";
export const INSTANCE_ID = "i-0123456789abcdef0";

/** python3-boto3 must be importable by SYSTEM_PYTHON: skip loudly, or fail under CI. */
export function requireBoto3(ctx: Mocha.Context): void {
  const r = spawnSync(SYSTEM_PYTHON, ["-c", "import boto3"], { encoding: "utf8" });
  if (r.status === 0) return;
  const msg = `${SYSTEM_PYTHON} cannot import boto3 (apt-get install python3-boto3; .ci/run does)`;
  if (process.env.CI_REQUIRE_TOOLS === "1")
    throw new Error(`${msg}; CI_REQUIRE_TOOLS=1 forbids skipping`);
  console.warn(`\n  !!! SKIPPING "${ctx.test?.parent?.title ?? "suite"}": ${msg}\n`);
  ctx.skip();
}

abstract class StandIn {
  port = 0;
  private server?: http.Server;
  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async start(): Promise<this> {
    const s = await listen((req, res) => this.handle(req, res));
    this.server = s.server;
    this.port = s.port;
    return this;
  }
  stop(): Promise<unknown> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}

/** IMDSv2 only (as with httpTokens=required): a token first, then role credentials and values. */
export class ImdsStandIn extends StandIn {
  /** A wrong secret makes every signature wrong: the service stand-ins must notice. */
  secret = TEST_CREDS.secretAccessKey;
  values: Record<string, string> = {
    "meta-data/instance-id": INSTANCE_ID,
    "meta-data/placement/region": REGION,
    "meta-data/local-ipv4": "10.0.1.23",
  };
  /** Paths asked for, and whether with a token. */
  requests: { path: string; token: boolean }[] = [];
  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = String(req.url).replace(/^\/latest\//, "");
    if (req.method === "PUT" && req.url === "/latest/api/token") {
      // EC2 refuses a token request without a TTL.
      if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"])
        return void res.writeHead(400).end();
      return void res.end("imds-token");
    }
    const token = req.headers["x-aws-ec2-metadata-token"] === "imds-token";
    this.requests.push({ path, token });
    if (!token) return void res.writeHead(401).end();
    if (path === "meta-data/iam/security-credentials/") return void res.end("test-role");
    if (path === "meta-data/iam/security-credentials/test-role") {
      return void res.end(
        JSON.stringify({
          Code: "Success",
          LastUpdated: new Date().toISOString(),
          Type: "AWS-HMAC",
          AccessKeyId: TEST_CREDS.accessKeyId,
          SecretAccessKey: this.secret,
          Token: TEST_CREDS.sessionToken,
          Expiration: new Date(Date.now() + 6 * 3600_000).toISOString().replace(/\.\d+Z$/, "Z"),
        }),
      );
    }
    if (path in this.values) return void res.end(this.values[path]);
    res.writeHead(404).end();
  }
}

export type Protocol = "json" | "query" | "ec2" | "rest-xml";

export interface AwsCall {
  action: string;
  signatureOk: boolean;
  method: string;
  path: string;
  body: string;
  /** query and ec2: the form parameters. */
  params: URLSearchParams;
  /** json: the parsed body. */
  json: Record<string, unknown>;
}

/** An AWS error reply: the stand-in renders it in the protocol's error format. */
export class AwsFault {
  constructor(
    readonly code: string,
    readonly message: string,
    readonly status = 400,
  ) {}
}

/**
 * What a handler returns: query: the inner XML of <Action>Result ("" for none); ec2: the inner
 * XML of <Action>Response; rest-xml: the whole document; json: the reply object.
 */
type Result = string | Record<string, unknown> | AwsFault;
export type Handler = (call: AwsCall) => Result | Promise<Result>;

const XMLNS: Record<string, string> = {
  autoscaling: "http://autoscaling.amazonaws.com/doc/2011-01-01/",
  monitoring: "http://monitoring.amazonaws.com/doc/2010-08-01/",
  ec2: "http://ec2.amazonaws.com/doc/2016-11-15/",
  route53: "https://route53.amazonaws.com/doc/2013-04-01/",
};

/** Headers each protocol must sign besides host, x-amz-date and the token. */
const REQUIRED: Record<Protocol, string[]> = {
  // The target names the action outside the signed body.
  json: ["content-type", "x-amz-target"],
  query: ["content-type"],
  ec2: ["content-type"],
  // Method, path and body are in the canonical request anyway.
  "rest-xml": [],
};

export class AwsStandIn extends StandIn {
  calls: AwsCall[] = [];
  handlers: Record<string, Handler> = {};

  /**
   * `service` is the signing name (ssm, ec2, autoscaling, monitoring, route53); `route` maps a
   * rest-xml request to its action name.
   */
  constructor(
    readonly service: string,
    readonly protocol: Protocol,
    readonly opts: { region?: string; route?: (method: string, path: string) => string } = {},
  ) {
    super();
  }

  on(action: string, handler: Handler): this {
    this.handlers[action] = handler;
    return this;
  }

  /** Calls of `action` whose signature checked out. */
  signed(action?: string): AwsCall[] {
    return this.calls.filter((c) => c.signatureOk && (!action || c.action === action));
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    void readBody(req).then(async (body) => {
      const path = new URL(String(req.url), "http://stand-in").pathname;
      const params = new URLSearchParams(this.protocol.match(/query|ec2/) ? body : "");
      let json: Record<string, unknown> = {};
      if (this.protocol === "json") json = JSON.parse(body || "{}") as Record<string, unknown>;
      const action =
        this.protocol === "json"
          ? String(req.headers["x-amz-target"]).replace(/^.*\./, "")
          : this.protocol === "rest-xml"
            ? (this.opts.route?.(String(req.method), path) ?? "Unknown")
            : String(params.get("Action"));
      const signatureOk = await sigV4Matches(req, body, {
        service: this.service,
        region: this.opts.region ?? REGION,
        required: REQUIRED[this.protocol],
      });
      const call = { action, signatureOk, method: String(req.method), path, body, params, json };
      this.calls.push(call);
      const handler = this.handlers[action];
      const result = !signatureOk
        ? new AwsFault(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            403,
          )
        : handler
          ? await handler(call)
          : new AwsFault("InvalidAction", `${action} is not valid for this stand-in`);
      if (res.destroyed) return;
      this.reply(res, action, result);
    });
  }

  private reply(res: http.ServerResponse, action: string, r: Result): void {
    const ns = XMLNS[this.service] ?? "";
    const xml = (status: number, doc: string) =>
      res
        .writeHead(status, { "content-type": "text/xml" })
        .end(`<?xml version="1.0" encoding="UTF-8"?>\n${doc}`);
    if (this.protocol === "json") {
      const type = { "content-type": "application/x-amz-json-1.1" };
      if (r instanceof AwsFault)
        res.writeHead(r.status, type).end(JSON.stringify({ __type: r.code, message: r.message }));
      else res.writeHead(200, type).end(JSON.stringify(r));
      return;
    }
    if (r instanceof AwsFault) {
      const err = `<Code>${r.code}</Code><Message>${r.message}</Message>`;
      if (this.protocol === "ec2")
        xml(
          r.status,
          `<Response><Errors><Error>${err}</Error></Errors><RequestID>r-1</RequestID></Response>`,
        );
      else
        xml(
          r.status,
          `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type>${err}</Error><RequestId>r-1</RequestId></ErrorResponse>`,
        );
      return;
    }
    if (typeof r !== "string") throw new Error(`${action}: an XML protocol's handler returns XML`);
    const inner = r;
    if (this.protocol === "rest-xml") xml(200, inner);
    else if (this.protocol === "ec2")
      xml(
        200,
        `<${action}Response xmlns="${ns}"><requestId>r-1</requestId>${inner}</${action}Response>`,
      );
    else
      xml(
        200,
        `<${action}Response xmlns="${ns}">` +
          (inner ? `<${action}Result>${inner}</${action}Result>` : "") +
          `<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`,
      );
  }
}

/** Route 53's two calls by method and path (botocore's requestUri, trailing slash included). */
export function route53Route(method: string, path: string): string {
  if (method === "POST" && /^\/2013-04-01\/hostedzone\/[^/]+\/rrset\/?$/.test(path))
    return "ChangeResourceRecordSets";
  if (method === "GET" && /^\/2013-04-01\/change\/[^/]+$/.test(path)) return "GetChange";
  return "Unknown";
}

/** The environment that points awsapi.py at the stand-ins. */
export function awsEnv(
  imds: ImdsStandIn,
  services: Partial<Record<"SSM" | "EC2" | "ROUTE53" | "MONITORING" | "AUTOSCALING", AwsStandIn>>,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  // As on an instance: no AWS_* variable (a developer's AWS_PROFILE or config file must not
  // reach botocore) and no region override, so the region comes from IMDS.
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(base).filter(([k]) => !k.startsWith("AWS_") && k !== "LF_AWS_REGION"),
  );
  env.LF_IMDS_ENDPOINT = imds.url;
  for (const [name, s] of Object.entries(services)) env[`LF_AWS_ENDPOINT_${name}`] = s.url;
  return env;
}
