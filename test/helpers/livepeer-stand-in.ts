// A local STAND-IN for go-livepeer, as the health agent sees it. Orchestrator: /healthz on the
// service port over TLS with a self-signed certificate (server/mediaserver.go registers it,
// server/handlers.go healthzHandler answers 200 with no body), and on the CLI port /status
// (common.NodeStatus as JSON: server/handlers.go statusHandler, server/mediaserver.go
// GetNodeStatus) and, with -monitor, /metrics (Prometheus text, monitor/census.go gauges with
// node_id/node_type labels). Transcoder: the CLI port only (starter.go TranscoderCliPort), its
// /status with no registered transcoders and LocalTranscoding true.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./net";

export type Behaviour = "ok" | "slow" | "error" | "not-json";

/** A throwaway self-signed certificate for 127.0.0.1, made with openssl. */
export function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
        ...["-subj", "/CN=127.0.0.1"],
        ...["-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")],
      ],
      { stdio: "ignore" },
    );
    return {
      key: fs.readFileSync(path.join(dir, "key.pem")),
      cert: fs.readFileSync(path.join(dir, "cert.pem")),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export class LivepeerStandIn {
  healthz: Behaviour = "ok";
  status: Behaviour = "ok";
  /** Remote transcoders registered with this orchestrator: their capacities. */
  transcoders: number[] = [15];
  /** Gauges /metrics exposes (go-livepeer's names); a missing one is not exposed at all. */
  gauges: Record<string, number> = {};
  /** false: samples without labels, as an exporter without node tags would write them. */
  labelled = true;
  /**
   * Counters and histograms /metrics exposes besides the gauges, as sample lines in go-livepeer's
   * form (its opencensus Prometheus exporter: `name{labels} value`), e.g.
   * livepeer_segment_transcoded_total{profiles="P240p30fps16x9,P360p30fps16x9",...} 12.
   */
  series: string[] = [];
  tlsPort = 0;
  cliPort = 0;
  private servers: (http.Server | https.Server)[] = [];

  constructor(readonly mode: "orchestrator" | "transcoder") {}

  get healthzUrl(): string {
    return `https://127.0.0.1:${this.tlsPort}/healthz`;
  }
  get statusUrl(): string {
    return `http://127.0.0.1:${this.cliPort}/status`;
  }
  get metricsUrl(): string {
    return `http://127.0.0.1:${this.cliPort}/metrics`;
  }

  private nodeStatus(): Record<string, unknown> {
    const orch = this.mode === "orchestrator";
    const registered = orch
      ? this.transcoders.map((capacity, i) => ({
          Address: `10.0.2.${15 + i}:40412`,
          Capacity: capacity,
        }))
      : [];
    return {
      Manifests: {},
      InternalManifests: {},
      StreamInfo: {},
      OrchestratorPool: [],
      OrchestratorPoolInfos: null,
      Version: "0.9.1",
      GolangRuntimeVersion: "go1.23.4",
      GOArch: "amd64",
      GOOS: "linux",
      RegisteredTranscodersNumber: registered.length,
      RegisteredTranscoders: registered,
      LocalTranscoding: !orch,
      BroadcasterPrices: {},
    };
  }

  private metrics(): string {
    const tags = '{node_id="ip-10-10-3-7",node_type="orch"}';
    const labels = this.labelled ? tags : "";
    const lines = [
      "# HELP go_goroutines Number of goroutines that currently exist.",
      "# TYPE go_goroutines gauge",
      "go_goroutines 212",
      // A neighbour whose name ends like one the agent reads.
      "# TYPE livepeer_fast_verification_enabled_current_sessions_total gauge",
      `livepeer_fast_verification_enabled_current_sessions_total${tags} 99`,
    ];
    for (const [name, value] of Object.entries(this.gauges)) {
      lines.push(`# HELP ${name} ${name}`, `# TYPE ${name} gauge`, `${name}${labels} ${value}`);
    }
    lines.push(...this.series);
    return `${lines.join("\n")}\n`;
  }

  async start(cert?: { key: Buffer; cert: Buffer }): Promise<this> {
    const answer =
      (which: "healthz" | "status") => (req: http.IncomingMessage, res: http.ServerResponse) => {
        const b = this[which];
        const send = () => {
          if (b === "error") res.writeHead(500).end("boom");
          else if (which === "healthz") res.writeHead(200).end();
          else if (req.url === "/metrics")
            res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(this.metrics());
          else if (req.url !== "/status") res.writeHead(404).end();
          else if (b === "not-json") res.writeHead(200).end("<html>");
          else
            res
              .writeHead(200, { "content-type": "application/json" })
              .end(JSON.stringify(this.nodeStatus()));
        };
        if (b === "slow") setTimeout(send, 5000).unref();
        else send();
      };
    const listen = async (s: http.Server | https.Server) => {
      const port = await freePort();
      await new Promise<void>((r) => s.listen(port, "127.0.0.1", r));
      this.servers.push(s);
      return port;
    };
    this.cliPort = await listen(http.createServer(answer("status")));
    if (this.mode === "orchestrator") {
      this.tlsPort = await listen(https.createServer(cert ?? selfSignedCert(), answer("healthz")));
    }
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    this.servers = [];
  }
}
