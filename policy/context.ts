// What the rules need to know about a stack, from its validated config: the ports it may open to
// the internet, its VPC (a source inside it is not public) and its health-check ports. One
// function for the policy pack (adapter.ts, from the stack files) and the program's guard (from
// the config index.ts has just validated), so both judge a stack the same way. Pure.
import type { RegionConfig } from "../lib/config/schema";
import type { AllowedPort, PolicyContext } from "./rules";

export function regionPolicyContext(c: RegionConfig): PolicyContext {
  const ports: AllowedPort[] = [
    { protocol: "tcp", port: c.livepeer.servicePort, why: "Livepeer service" },
  ];
  const p2p = c.chainNode.p2pPort;
  if (p2p !== undefined) {
    ports.push({ protocol: "tcp", port: p2p, why: "chain P2P, configured" });
    ports.push({ protocol: "udp", port: p2p, why: "chain P2P, configured" });
  }
  return {
    publicPorts: ports,
    vpcCidrs: [c.network.cidr],
    healthCheckPorts: [c.livepeer.healthPort],
  };
}

/** A fleet stack opens nothing and has no VPC: every literal source is outside. */
export function fleetPolicyContext(): PolicyContext {
  return { publicPorts: [], vpcCidrs: [], healthCheckPorts: [] };
}
