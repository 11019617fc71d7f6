import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT_DIR } from "./helpers/program";
import { requireTools } from "./helpers/tools";
import { RunningPrometheus, startPrometheus } from "./helpers/prometheus";

const STACK = "prod-us-east-1";
const FILE = `Pulumi.${STACK}.yaml`;
const DAYS = 3;
// A fixed window in the past, whole UTC hours: the answer does not depend on when tests run.
const END = Date.UTC(2026, 9, 12, 0, 0, 0) / 1000;
const START = END - DAYS * 86_400;
const PEAKS = [
  44, 50, 52, 47, 38, 30, 21, 15, 11, 9, 10, 12, 16, 20, 24, 27, 30, 32, 35, 37, 39, 40, 41, 42,
];
const HD = "240p0,360p0,480p0,720p0";
const LOW = "P144p30fps16x9,P240p30fps16x9";

const copies: string[] = [];
after(() => copies.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A copy of the project's stack files in a temp dir: the test edits the copy, never the repo. */
function projectCopy(edit?: (text: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-sync-"));
  copies.push(dir);
  for (const f of ["Pulumi.yaml", "Pulumi.prod.yaml", FILE]) {
    fs.copyFileSync(path.join(PROJECT_DIR, f), path.join(dir, f));
  }
  if (edit)
    fs.writeFileSync(path.join(dir, FILE), edit(fs.readFileSync(path.join(dir, FILE), "utf8")));
  return dir;
}

function sync(
  dir: string,
  url: string,
  ...extra: string[]
): Promise<{ code: number; out: string; err: string }> {
  const args = [
    "--import",
    "tsx",
    path.join(PROJECT_DIR, "scripts", "demand-sync.ts"),
    "--prometheus",
    url,
    "--stack",
    STACK,
    "--days",
    String(DAYS),
    "--end",
    new Date(END * 1000).toISOString(),
    "--project-dir",
    dir,
    ...extra,
  ];
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, {
      cwd: PROJECT_DIR,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("close", (code) => resolve({ code: code ?? 1, out, err }));
  });
}

const demandOf = (dir: string) =>
  (
    parse(fs.readFileSync(path.join(dir, FILE), "utf8")) as {
      config: Record<string, { peakStreams: number[]; ladder: { name: string }[] }>;
    }
  ).config["livepeer-fleet:demand"];

describe("demand:sync against a real Prometheus", function () {
  let prom: RunningPrometheus | undefined;
  before(async function () {
    requireTools(this, "prometheus", "promtool");
    prom = await startPrometheus({
      start: START,
      end: END,
      peaks: PEAKS,
      nodes: 3,
      ladders: { [HD]: 40, [LOW]: 8 },
    });
  });
  after(async () => prom?.stop());

  it("writes the generated profile and the heaviest common ladder, nothing else", async () => {
    // Start from a different ladder so the sync has to rewrite it.
    const dir = projectCopy((t) => t.replace(/ {6}- \{ name: "(720|480|360)p0".*\n/g, ""));
    const before = fs.readFileSync(path.join(dir, FILE), "utf8");
    const r = await sync(dir, prom!.url, "--write");
    expect(r.code, r.err).to.equal(0);
    const demand = demandOf(dir);
    expect(demand.peakStreams).to.deep.equal(PEAKS);
    expect(demand.ladder.map((l) => l.name)).to.deep.equal([
      "source",
      "720p0",
      "480p0",
      "360p0",
      "240p0",
    ]);
    const after = fs.readFileSync(path.join(dir, FILE), "utf8");
    // Every line outside the demand values (comments included) is byte-identical.
    const keep = (t: string) =>
      t.split("\n").filter((l) => !/^ {4}peakStreams: |^ {6}- \{ name: /.test(l));
    expect(keep(after)).to.deep.equal(keep(before));
    expect(after).to.include(
      '      - { name: source, width: 1920, height: 1080, fps: 30 }\n      - { name: "720p0", width: 1280, height: 720, fps: 30 }',
    );
    expect(r.out).to.match(/ladder 83% of segments: 240p0,360p0,480p0,720p0/);
  });

  it("shows the change without --write and leaves the file alone", async () => {
    const dir = projectCopy();
    const before = fs.readFileSync(path.join(dir, FILE));
    const r = await sync(dir, prom!.url);
    expect(r.code, r.err).to.equal(0);
    expect(r.out)
      .to.match(/^\* 01:00 +80 -> 50 /m)
      .and.include("dry run: add --write");
    expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
  });

  it("refuses a window longer than the history (partial series)", async () => {
    const dir = projectCopy();
    const before = fs.readFileSync(path.join(dir, FILE));
    const r = await sync(dir, prom!.url, "--write", "--days", "5");
    expect(r.code).to.equal(2);
    expect(r.err).to.include("partial series").and.include("file left as is");
    expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
  });

  it("refuses an empty answer (a selector that matches nothing)", async () => {
    const dir = projectCopy();
    const before = fs.readFileSync(path.join(dir, FILE));
    const r = await sync(dir, prom!.url, "--write", "--selector", 'job="elsewhere"');
    expect(r.code).to.equal(2);
    expect(r.err).to.include("empty answer").and.include('job="elsewhere"');
    expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
  });
});

type Handler = (url: URL) => { status: number; body: string };

/** A fake Prometheus answering each request with `handler`. */
async function fakePrometheus(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const srv = http.createServer((req, res) => {
    const a = handler(new URL(req.url ?? "/", "http://x"));
    res.writeHead(a.status, { "content-type": "application/json" });
    res.end(a.body);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(() => r())) };
}

const ok = (data: unknown) => ({ status: 200, body: JSON.stringify({ status: "success", data }) });
const hourly = (value: (i: number) => string, count = DAYS * 24) =>
  Array.from({ length: count }, (_, i) => [START + 3600 * (i + 1), value(i)]);
const sessions = (values: unknown[][]) =>
  ok({ resultType: "matrix", result: [{ metric: {}, values }] });
const ladders = ok({
  resultType: "vector",
  result: [{ metric: { profiles: HD }, value: [END, "100"] }],
});

const BROKEN: Record<string, { handler: Handler; message: RegExp }> = {
  "an HTTP error": {
    handler: () => ({ status: 503, body: "Service Unavailable" }),
    message: /HTTP 503/,
  },
  "a Prometheus error": {
    handler: () => ({
      status: 422,
      body: JSON.stringify({ status: "error", errorType: "execution", error: "query timed out" }),
    }),
    message: /HTTP 422, execution: query timed out/,
  },
  "an empty series": {
    handler: () => ok({ resultType: "matrix", result: [] }),
    message: /empty answer/,
  },
  "a partial series": { handler: () => sessions(hourly(() => "5", 40)), message: /partial series/ },
  "a NaN value": {
    handler: () => sessions(hourly((i) => (i === 30 ? "NaN" : "5"))),
    message: /value NaN at/,
  },
  "an infinite value": {
    handler: () => sessions(hourly((i) => (i === 2 ? "+Inf" : "5"))),
    message: /value \+Inf at/,
  },
  "two series where one sum was asked": {
    handler: () =>
      ok({
        resultType: "matrix",
        result: [
          { metric: {}, values: hourly(() => "1") },
          { metric: { a: "b" }, values: hourly(() => "1") },
        ],
      }),
    message: /expected one summed series, got 2/,
  },
  "a NaN in the ladder counts": {
    handler: (u) =>
      u.pathname.endsWith("query_range")
        ? sessions(hourly(() => "5"))
        : ok({ resultType: "vector", result: [{ metric: { profiles: HD }, value: [END, "NaN"] }] }),
    message: /livepeer_segment_transcoded_total: value NaN/,
  },
  "a ladder of unknown profiles": {
    handler: (u) =>
      u.pathname.endsWith("query_range")
        ? sessions(hourly(() => "5"))
        : ok({
            resultType: "vector",
            result: [{ metric: { profiles: "fancy,hd" }, value: [END, "9"] }],
          }),
    message: /profile "fancy" does not say its resolution.*--keep-ladder/,
  },
};

describe("demand:sync with broken Prometheus answers", () => {
  for (const [kind, { handler, message }] of Object.entries(BROKEN)) {
    it(`leaves the stack file byte-identical on ${kind}`, async () => {
      const fake = await fakePrometheus(handler);
      const dir = projectCopy();
      const before = fs.readFileSync(path.join(dir, FILE));
      try {
        const r = await sync(dir, fake.url, "--write");
        expect(r.code, r.out).to.equal(2);
        expect(r.err).to.match(message).and.include("file left as is");
      } finally {
        await fake.close();
      }
      expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
    });
  }

  it("refuses a profile the stack's maxSize cannot serve, naming the key (exit 1, a finding)", async () => {
    const fake = await fakePrometheus((u) =>
      u.pathname.endsWith("query_range")
        ? sessions(hourly((i) => (i % 24 === 20 ? "400" : "5")))
        : ladders,
    );
    const dir = projectCopy();
    const before = fs.readFileSync(path.join(dir, FILE));
    try {
      const r = await sync(dir, fake.url, "--write");
      expect(r.code, r.out + r.err).to.equal(1);
      expect(r.err)
        .to.include("livepeer-fleet:nodeGroup.maxSize")
        .and.include("maxSize 8 cannot cover");
    } finally {
      await fake.close();
    }
    expect(fs.readFileSync(path.join(dir, FILE)).equals(before)).to.equal(true);
  });
});
