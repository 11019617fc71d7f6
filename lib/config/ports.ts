// Every TCP/UDP port a region unit's processes listen on, named, with where the number comes from.
// The config schema uses it to refuse a chain P2P port (the one port a stack may open to the world
// besides the service port) that is already taken: chainNode.p2pPort = 8545 would open the RPC
// proxy to the internet, 8935 the redeemer, with zero policy violations. Pure; it does not import
// the schema (the schema imports it), so configurable ports come in as plain values.
import { CHAIN_HEALTH_PORT, PORTS } from "../runtime-contract";

/** go-livepeer's default ports (cmd/livepeer/starter/starter.go, the *Port constants). */
export const GO_LIVEPEER_PORTS = {
  /** OrchestratorCliPort: the orchestrator's and the redeemer's CLI (fund-moving routes, no auth). */
  orchestratorCli: PORTS.orchestratorCli,
  /** TranscoderCliPort: the CLI of a -transcoder process. */
  transcoderCli: PORTS.transcoderCli,
  /** BroadcasterCliPort: the CLI of a -gateway/-broadcaster process. */
  broadcasterCli: 5935,
} as const;

/** go-livepeer's CLI port for orchestrators; every unit file binds it to 127.0.0.1 only. */
export const LIVEPEER_CLI_PORT = GO_LIVEPEER_PORTS.orchestratorCli;

/**
 * The chain client's own JSON-RPC port on loopback: Nitro's default --http.port, and what the geth
 * unit passes as --http.port (through LF_LOCAL_RPC_PORT).
 */
export const LOCAL_RPC_PORT = PORTS.localRpc;

/**
 * geth's authenticated engine API, on 127.0.0.1 by default (go-ethereum node/defaults.go
 * DefaultAuthPort; the geth unit passes --authrpc.addr 127.0.0.1 and keeps the port).
 */
export const GETH_AUTH_RPC_PORT = 8551;

/**
 * HAProxy's loopback relays, one per hosted RPC backup: RELAY_BASE_PORT + i for at most
 * MAX_BACKUPS backups (scripts/node/render-rpc-proxy.py RELAY_BASE_PORT and its `> 8` check).
 */
export const RPC_RELAY_PORTS = { base: 18600, count: 8 } as const;

/**
 * Loopback ports of the metrics stack on orchestrators and transcoders (scripts/node
 * metrics-setup.sh): every listener binds 127.0.0.1 and no security group opens them. 9090, 9100
 * and 9400 are the Prometheus, node exporter and NVIDIA DCGM exporter defaults, so operators find
 * them where they expect.
 */
export const METRICS_PORTS = {
  /** Prometheus' web listener: in agent mode /-/ready and its own /metrics, no query API. */
  prometheus: 9090,
  /** prometheus-node-exporter: host CPU, memory, disk, network. */
  nodeExporter: 9100,
  /** scripts/node/gpu-metrics.py on GPU transcoders: nvidia-smi readings. */
  gpuExporter: 9400,
} as const;

/** A port the unit uses. */
export interface UnitPort {
  /** First and last port (a single port: equal). */
  from: number;
  to: number;
  /** What listens there. */
  name: string;
  /** Where the number comes from: a config key or a file and constant. */
  source: string;
}

/** The configurable ports, as the region config holds them. */
export interface ConfiguredPorts {
  servicePort: number;
  healthPort: number;
  rpcPort: number;
  redeemerPort: number;
}

/** Every port of a unit, configured and fixed, in one list. */
export function unitPorts(c: ConfiguredPorts): UnitPort[] {
  const one = (port: number, name: string, source: string): UnitPort => ({
    from: port,
    to: port,
    name,
    source,
  });
  return [
    one(c.servicePort, "go-livepeer service (nodes, NLB)", "livepeer.servicePort"),
    one(c.healthPort, "node health agent", "livepeer.healthPort"),
    one(c.rpcPort, "JSON-RPC failover proxy (HAProxy, chain node)", "chainNode.rpcPort"),
    one(c.redeemerPort, "go-livepeer redeemer (chain node)", "chainNode.redeemerPort"),
    one(CHAIN_HEALTH_PORT, "chain node health agent", "lib/runtime-contract.ts CHAIN_HEALTH_PORT"),
    one(
      LOCAL_RPC_PORT,
      "chain client JSON-RPC (loopback)",
      "lib/runtime-contract.ts PORTS.localRpc",
    ),
    one(GETH_AUTH_RPC_PORT, "geth engine API (loopback)", "go-ethereum DefaultAuthPort"),
    one(
      GO_LIVEPEER_PORTS.orchestratorCli,
      "go-livepeer orchestrator/redeemer CLI (loopback)",
      "go-livepeer OrchestratorCliPort",
    ),
    one(
      GO_LIVEPEER_PORTS.transcoderCli,
      "go-livepeer transcoder CLI",
      "go-livepeer TranscoderCliPort",
    ),
    one(
      GO_LIVEPEER_PORTS.broadcasterCli,
      "go-livepeer broadcaster CLI",
      "go-livepeer BroadcasterCliPort",
    ),
    one(METRICS_PORTS.prometheus, "metrics agent (loopback)", "METRICS_PORTS.prometheus"),
    one(METRICS_PORTS.nodeExporter, "node exporter (loopback)", "METRICS_PORTS.nodeExporter"),
    one(METRICS_PORTS.gpuExporter, "GPU exporter (loopback)", "METRICS_PORTS.gpuExporter"),
    {
      from: RPC_RELAY_PORTS.base,
      to: RPC_RELAY_PORTS.base + RPC_RELAY_PORTS.count - 1,
      name: "RPC proxy relays to hosted backups (loopback)",
      source: "scripts/node/render-rpc-proxy.py RELAY_BASE_PORT",
    },
  ];
}

/** The unit ports a candidate port collides with (empty: free). */
export function collisions(port: number, c: ConfiguredPorts): UnitPort[] {
  return unitPorts(c).filter((u) => u.from <= port && port <= u.to);
}

/** "8545 (JSON-RPC failover proxy, chainNode.rpcPort)" for messages. */
export function describePort(u: UnitPort): string {
  const n = u.from === u.to ? String(u.from) : `${u.from}-${u.to}`;
  return `${n} (${u.name}, ${u.source})`;
}
