// A STAND-IN for go-livepeer's /metrics as its Prometheus exporter writes it, for the metrics
// agent's tests. What it mirrors, from go-livepeer and the exporter it uses:
//  - names: namespace "livepeer" + the view name (monitor/census.go InitCensus:
//    prometheus.NewExporter{Namespace: "livepeer"}; contrib.go.opencensus.io/exporter/prometheus
//    metricName), no suffix added: Count and Sum views become counters, LastValue gauges,
//    Distribution histograms with _bucket/_sum/_count and census.go's bucket bounds;
//  - labels: node_id ("<eth address>-<hostname>", starter.go lpmon.NodeID) and node_type ("orch",
//    "trcr"), plus each view's own TagKeys (profiles/trusted/verified, error_code, ...);
//  - where each series comes from: an orchestrator records sessions, capacity, segments received
//    and transcoded, pixels, tickets and gas; a transcoder its own segments and transcode time.
// Counters grow on every scrape so rates are positive. Also: the Go and process collectors'
// series go-livepeer registers, and BAIT series a community receiver must never see (a ladder
// with free-form profile names; per-stream series with manifest_id and client_ip, as
// -metricsPerStream -metricsClientIP would add).
import * as http from "node:http";
import { freePort } from "./net";

export const ORCH_NODE_ID = "0x3b2f5d1e8c7a4b6f9e0d1c2b3a4f5e6d7c8b9a0f-ip-10-20-1-37";
export const TRANSCODER_NODE_ID = "ip-10-20-129-4";
/** A client address a per-stream series would carry: must never reach the community receiver. */
export const BAIT_CLIENT_IP = "203.0.113.77";
export const BAIT_MANIFEST_ID = "a1b2c3d4-stream";
export const STANDARD_LADDER = "P144p30fps16x9,P240p30fps16x9,P360p30fps16x9,P720p30fps16x9";
export const JSON_LADDER = "240p0,360p0,720p0";
export const CUSTOM_LADDER = "acme-hd,acme-sd";

// census.go view bounds.
const TRANSCODE_TIME_BOUNDS = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 10];
const SEGMENT_DURATION_BOUNDS = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 10, 15, 20];

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** Histogram lines for `n` observations of `value` each. */
function histogram(
  name: string,
  l: Record<string, string>,
  bounds: number[],
  n: number,
  value: number,
): string[] {
  const out = bounds.map(
    (b) => `${name}_bucket${labels({ ...l, le: String(b) })} ${value <= b ? n : 0}`,
  );
  out.push(`${name}_bucket${labels({ ...l, le: "+Inf" })} ${n}`);
  out.push(`${name}_sum${labels(l)} ${n * value}`, `${name}_count${labels(l)} ${n}`);
  return out;
}

export class LivepeerMetricsStandIn {
  port = 0;
  scrapes = 0;
  private server?: http.Server;

  constructor(readonly mode: "orchestrator" | "transcoder") {}

  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  text(): string {
    const k = ++this.scrapes;
    const orch = this.mode === "orchestrator";
    const base = {
      node_id: orch ? ORCH_NODE_ID : TRANSCODER_NODE_ID,
      node_type: orch ? "orch" : "trcr",
    };
    const out: string[] = [
      "# HELP go_goroutines Number of goroutines that currently exist.",
      "# TYPE go_goroutines gauge",
      "go_goroutines 212",
      "# TYPE process_open_fds gauge",
      "process_open_fds 183",
      "# TYPE process_max_fds gauge",
      "process_max_fds 1048576",
      "# TYPE livepeer_versions gauge",
      `livepeer_versions${labels({ ...base, compiler: "gc", goarch: "amd64", goos: "linux", goversion: "go1.23.4", livepeerversion: "0.9.1" })} 1`,
    ];
    const counter = (name: string, l: Record<string, string>, v: number) =>
      out.push(`# TYPE ${name} counter`, `${name}${labels(l)} ${v}`);
    const gauge = (name: string, l: Record<string, string>, v: number) =>
      out.push(`# TYPE ${name} gauge`, `${name}${labels(l)} ${v}`);
    const segs = 9 * k;
    const ladder = (profiles: string) => ({
      ...base,
      profiles,
      trusted: "trusted",
      verified: "verified",
    });
    if (orch) {
      gauge("livepeer_current_sessions_total", base, 3);
      gauge("livepeer_max_sessions_total", base, 15);
      gauge("livepeer_transcoders_number", base, 1);
      gauge("livepeer_transcoders_capacity", base, 15);
      gauge("livepeer_transcoders_load", base, 3);
      gauge("livepeer_suggested_gas_price", base, 0.01);
      // 10 segments received per scrape, 9 + 0.5 come back transcoded: 0.5 failed.
      counter("livepeer_segment_source_emerged_unprocessed_total", base, 10 * k);
      out.push("# TYPE livepeer_segment_transcoded_total counter");
      out.push(`livepeer_segment_transcoded_total${labels(ladder(STANDARD_LADDER))} ${segs}`);
      out.push(
        `livepeer_segment_transcoded_total${labels(ladder(JSON_LADDER))} ${Math.floor(k / 2)}`,
      );
      out.push(`livepeer_segment_transcoded_total${labels(ladder(CUSTOM_LADDER))} ${k}`);
      out.push("# TYPE livepeer_source_segment_duration_seconds histogram");
      out.push(
        ...histogram(
          "livepeer_source_segment_duration_seconds",
          base,
          SEGMENT_DURATION_BOUNDS,
          10 * k,
          2,
        ),
      );
      out.push("# TYPE livepeer_mil_pixels_processed counter");
      out.push(`livepeer_mil_pixels_processed${labels(base)} ${55.3 * k}`);
      // BAIT: what -metricsPerStream -metricsClientIP would add.
      out.push(
        `livepeer_mil_pixels_processed${labels({ client_ip: BAIT_CLIENT_IP, ...base, manifest_id: BAIT_MANIFEST_ID })} ${3.1 * k}`,
      );
      counter("livepeer_ticket_value_recv", base, 1200.5 * k);
      counter("livepeer_tickets_recv", base, 40 * k);
      counter("livepeer_winning_tickets_recv", base, Math.floor(k / 10));
      counter(
        "livepeer_payment_recv_errors",
        { ...base, error_code: "PaymentError" },
        Math.floor(k / 3),
      );
      out.push("# TYPE livepeer_transcode_time_seconds histogram");
      out.push(
        ...histogram(
          "livepeer_transcode_time_seconds",
          ladder(STANDARD_LADDER),
          TRANSCODE_TIME_BOUNDS,
          segs,
          0.7,
        ),
      );
    } else {
      out.push("# TYPE livepeer_segment_transcoded_total counter");
      out.push(`livepeer_segment_transcoded_total${labels(ladder(STANDARD_LADDER))} ${segs}`);
      out.push("# TYPE livepeer_transcode_time_seconds histogram");
      out.push(
        ...histogram(
          "livepeer_transcode_time_seconds",
          ladder(STANDARD_LADDER),
          TRANSCODE_TIME_BOUNDS,
          segs,
          0.4,
        ),
      );
      gauge("livepeer_transcoders_number", base, 0);
    }
    return `${out.join("\n")}\n`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      if (req.url !== "/metrics") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(this.text());
    });
    this.port = await freePort();
    await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", r));
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((r) => this.server!.close(r));
  }
}
