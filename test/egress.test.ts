// Egress per tier (components/egress.ts) under the mock monitor, built in-process from the fixture
// unit: each tier's exact set of outbound rules, and a table of what each tier dials (from the
// sources cited in components/egress.ts) checked against those rules with security-group
// semantics: a packet leaves when some rule of its group has its protocol, a port range holding
// its port and a destination holding its address (a CIDR, or membership of a referenced group).
import { expect } from "chai";
import { buildUnit } from "./helpers/components";
import { fixtureDesign } from "./fixtures/region";
import { ofType } from "./helpers/program";
import type { Evaluation, RecordedResource } from "../lib/plan/evaluate";
import { chainNodeEgress, orchestratorEgress } from "../components/egress";

const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const ORCH_SG = "test-us-east-1-orch-sg-id";
const CHAIN_SG = "test-us-east-1-chain-sg-id";

interface Rule {
  name: string;
  proto: string;
  from: number;
  to: number;
  dest: string;
}

function rulesOf(e: Evaluation, sg: string): Rule[] {
  return ofType(e, EGRESS)
    .filter((r: RecordedResource) => r.inputs.securityGroupId === sg)
    .map((r) => ({
      name: r.name,
      proto: String(r.inputs.ipProtocol),
      from: Number(r.inputs.fromPort),
      to: Number(r.inputs.toPort),
      dest: String(r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId),
    }));
}

/** Where a packet goes: an address (and, inside the VPC, the groups of its instance). */
interface Dest {
  what: string;
  proto: "tcp" | "udp";
  port: number;
  ip: string;
  groups?: string[];
}

const ipToInt = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(base) / size);
}

/** Security-group egress semantics for one packet. */
function leaves(rules: Rule[], d: Dest): boolean {
  return rules.some(
    (r) =>
      (r.proto === "-1" || r.proto === d.proto) &&
      (r.proto === "-1" || (d.port >= r.from && d.port <= r.to)) &&
      (r.dest.includes("/") ? inCidr(d.ip, r.dest) : (d.groups ?? []).includes(r.dest)),
  );
}

// Public addresses standing in for the services (documentation ranges, RFC 5737).
const INTERNET_HOST = "198.51.100.10";
const CHAIN_NODE = { ip: "10.20.1.50", groups: [CHAIN_SG] };

/** What an orchestrator dials (components/egress.ts orchestratorEgress and its sources). */
const ORCHESTRATOR_NEEDS: Dest[] = [
  { what: "the chain node's RPC proxy (-ethUrl)", proto: "tcp", port: 8545, ...CHAIN_NODE },
  { what: "the chain node's redeemer (-redeemerAddr)", proto: "tcp", port: 8935, ...CHAIN_NODE },
  {
    what: "EC2, Route 53, Auto Scaling, CloudWatch APIs",
    proto: "tcp",
    port: 443,
    ip: "203.0.113.5",
  },
  { what: "SSM interface endpoints in the VPC", proto: "tcp", port: 443, ip: "10.20.3.7" },
  { what: "S3 (gateway endpoint, public addresses)", proto: "tcp", port: 443, ip: "52.216.8.1" },
  { what: "go-livepeer release on GitHub", proto: "tcp", port: 443, ip: "140.82.112.3" },
  { what: "a gateway's object store (segment URL)", proto: "tcp", port: 443, ip: INTERNET_HOST },
  { what: "Ubuntu archive", proto: "tcp", port: 80, ip: "91.189.91.83" },
];

/** What a Nitro chain node dials (components/egress.ts chainNodeEgress and its sources). */
const NITRO_NEEDS: Dest[] = [
  {
    what: "EC2 (attach), Route 53, Auto Scaling, CloudWatch",
    proto: "tcp",
    port: 443,
    ip: "203.0.113.5",
  },
  { what: "hosted RPC backup", proto: "tcp", port: 443, ip: INTERNET_HOST },
  { what: "L1 and beacon RPC", proto: "tcp", port: 443, ip: "198.51.100.20" },
  { what: "Arbitrum sequencer feed (wss)", proto: "tcp", port: 443, ip: "198.51.100.30" },
  { what: "snapshot.arbitrum.foundation", proto: "tcp", port: 443, ip: "198.51.100.40" },
  { what: "Docker Hub registry", proto: "tcp", port: 443, ip: "198.51.100.50" },
  { what: "Ubuntu archive", proto: "tcp", port: 80, ip: "91.189.91.83" },
];

/** Never needed by any tier: mail, SSH and arbitrary ports out, and UDP beyond what is listed. */
const NEVER: Dest[] = [
  { what: "SMTP to the internet", proto: "tcp", port: 25, ip: INTERNET_HOST },
  { what: "SSH to the internet", proto: "tcp", port: 22, ip: INTERNET_HOST },
  { what: "a high TCP port on the internet", proto: "tcp", port: 8080, ip: INTERNET_HOST },
  { what: "UDP on the internet", proto: "udp", port: 51820, ip: INTERNET_HOST },
  { what: "SSH inside the VPC", proto: "tcp", port: 22, ip: "10.20.1.60" },
];

describe("egress per tier (fixture unit under the mock monitor)", function () {
  let nitro: Evaluation;
  let geth: Evaluation;
  before(async function () {
    nitro = await buildUnit(fixtureDesign());
    geth = await buildUnit(
      fixtureDesign({
        chainNode: { client: "geth" },
        nodeRuntime: { geth: { release: "1.14.12-293a300d", sha256: "4".repeat(64) } },
      }),
    );
  });

  it("no rule anywhere in the unit allows all traffic or every port", function () {
    for (const e of [nitro, geth]) {
      for (const r of ofType(e, EGRESS)) {
        expect(r.inputs.ipProtocol, r.name).to.be.oneOf(["tcp", "udp"]);
        expect(Number(r.inputs.toPort) - Number(r.inputs.fromPort), r.name).to.be.below(65535);
        expect(r.name, r.name).not.to.match(/-all-out$/);
      }
    }
  });

  it("orchestrators: exactly HTTPS and HTTP out, and the chain node's RPC proxy and redeemer", function () {
    expect(rulesOf(nitro, ORCH_SG)).to.have.deep.members([
      {
        name: "test-us-east-1-orch-https-out",
        proto: "tcp",
        from: 443,
        to: 443,
        dest: "0.0.0.0/0",
      },
      { name: "test-us-east-1-orch-http-out", proto: "tcp", from: 80, to: 80, dest: "0.0.0.0/0" },
      {
        name: "test-us-east-1-chain-clients-rpc-out",
        proto: "tcp",
        from: 8545,
        to: 8545,
        dest: CHAIN_SG,
      },
      {
        name: "test-us-east-1-chain-clients-redeemer-out",
        proto: "tcp",
        from: 8935,
        to: 8935,
        dest: CHAIN_SG,
      },
    ]);
  });

  it("chain node on Nitro: exactly HTTPS and HTTP out (Nitro has no peer-to-peer networking)", function () {
    expect(rulesOf(nitro, CHAIN_SG)).to.have.deep.members([
      {
        name: "test-us-east-1-chain-https-out",
        proto: "tcp",
        from: 443,
        to: 443,
        dest: "0.0.0.0/0",
      },
      { name: "test-us-east-1-chain-http-out", proto: "tcp", from: 80, to: 80, dest: "0.0.0.0/0" },
    ]);
  });

  it("chain node on geth: HTTPS, HTTP and devp2p over TCP and UDP to unprivileged ports", function () {
    expect(rulesOf(geth, CHAIN_SG)).to.have.deep.members([
      {
        name: "test-us-east-1-chain-https-out",
        proto: "tcp",
        from: 443,
        to: 443,
        dest: "0.0.0.0/0",
      },
      { name: "test-us-east-1-chain-http-out", proto: "tcp", from: 80, to: 80, dest: "0.0.0.0/0" },
      {
        name: "test-us-east-1-chain-p2p-tcp-out",
        proto: "tcp",
        from: 1024,
        to: 65535,
        dest: "0.0.0.0/0",
      },
      {
        name: "test-us-east-1-chain-p2p-udp-out",
        proto: "udp",
        from: 1024,
        to: 65535,
        dest: "0.0.0.0/0",
      },
    ]);
  });

  it("each tier reaches everything it dials", function () {
    const orch = rulesOf(nitro, ORCH_SG);
    for (const d of ORCHESTRATOR_NEEDS)
      expect(leaves(orch, d), `orchestrator: ${d.what}`).to.equal(true);
    const chain = rulesOf(nitro, CHAIN_SG);
    for (const d of NITRO_NEEDS) expect(leaves(chain, d), `chain node: ${d.what}`).to.equal(true);
    const gethRules = rulesOf(geth, CHAIN_SG);
    for (const d of [
      ...NITRO_NEEDS.filter((n) => !n.what.startsWith("Docker")),
      {
        what: "a devp2p peer on geth's default port",
        proto: "tcp",
        port: 30303,
        ip: INTERNET_HOST,
      },
      { what: "discovery on geth's default port", proto: "udp", port: 30303, ip: INTERNET_HOST },
      { what: "a devp2p peer on a port of its own", proto: "tcp", port: 40404, ip: INTERNET_HOST },
    ] as Dest[]) {
      expect(leaves(gethRules, d), `geth chain node: ${d.what}`).to.equal(true);
    }
  });

  it("and nothing else: no mail, SSH or other ports; the orchestrators reach nothing else of the chain node", function () {
    const orch = rulesOf(nitro, ORCH_SG);
    const chain = rulesOf(nitro, CHAIN_SG);
    for (const d of NEVER) {
      expect(leaves(orch, d), `orchestrator: ${d.what}`).to.equal(false);
      expect(leaves(chain, d), `chain node: ${d.what}`).to.equal(false);
    }
    // The chain client's own RPC (loopback on the node) and the redeemer's CLI are not reachable.
    for (const port of [8547, 7935, 22]) {
      expect(leaves(orch, { what: "", proto: "tcp", port, ...CHAIN_NODE }), String(port)).to.equal(
        false,
      );
    }
    const gethRules = rulesOf(geth, CHAIN_SG);
    for (const d of NEVER.filter((n) => n.port < 1024)) {
      expect(leaves(gethRules, d), `geth chain node: ${d.what}`).to.equal(false);
    }
  });

  it("rule descriptions fit EC2's rule description characters", function () {
    for (const r of [
      ...orchestratorEgress(),
      ...chainNodeEgress("geth"),
      ...chainNodeEgress("nitro"),
    ]) {
      expect(r.description, r.key).to.match(/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,255}$/);
    }
  });
});
