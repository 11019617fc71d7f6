// Config that would quietly widen what the unit exposes: a chain P2P port (opened to the internet)
// on a port a unit process already listens on, and geth flags that move a listener. Both are
// refused before any resource is registered, naming the key. Also: the port inventory
// (lib/config/ports.ts) agrees with the files that really use each port.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { ConfigError, loadRegionConfig } from "../lib/config/load";
import { readProjectConfig } from "../lib/config/sources";
import { parseStackName } from "../lib/stack";
import {
  collisions,
  GO_LIVEPEER_PORTS,
  LIVEPEER_CLI_PORT,
  LOCAL_RPC_PORT,
  RPC_RELAY_PORTS,
  unitPorts,
} from "../lib/config/ports";
import { gethFlagProblems } from "../lib/config/node-runtime";
import { CHAIN_HEALTH_PORT, PORTS } from "../lib/runtime-contract";
import { DEFAULTS } from "../lib/config/schema";
import { PROJECT_DIR } from "./helpers/program";

const region = parseStackName("prod-us-east-1") as Extract<
  ReturnType<typeof parseStackName>,
  { role: "region" }
>;

function load(stackValues: Record<string, unknown>) {
  return loadRegionConfig(region, {
    projectValues: readProjectConfig(PROJECT_DIR),
    stackValues: {
      "livepeer-fleet:network": { cidr: "10.20.0.0/16" },
      "livepeer-fleet:livepeer": {
        orchestratorAddress: "0x11D12AfEF50b1FeE02146020533857d35936035D",
        redeemerAddress: "0x00000000000000000000000000000000000000C3",
      },
      ...stackValues,
    },
  });
}

/** Every problem reported at `keyPath`, one per line (undefined: none). */
function problem(stackValues: Record<string, unknown>, keyPath: string): string | undefined {
  try {
    load(stackValues);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const messages = err.problems.filter((p) => p.keyPath === keyPath).map((p) => p.message);
    return messages.length > 0 ? messages.join("\n") : undefined;
  }
  return undefined;
}

const NODE_DIR = path.join(PROJECT_DIR, "scripts", "node");
const read = (...p: string[]) => fs.readFileSync(path.join(NODE_DIR, ...p), "utf8");

describe("config: chain P2P port never collides with a unit port", () => {
  const P2P = "livepeer-fleet:chainNode.p2pPort";
  const taken: [number, RegExp][] = [
    [8545, /JSON-RPC failover proxy.*chainNode\.rpcPort/],
    [8935, /redeemer.*chainNode\.redeemerPort/],
    [8936, /node health agent/],
    [CHAIN_HEALTH_PORT, /chain node health agent/],
    [LOCAL_RPC_PORT, /chain client JSON-RPC/],
    [8551, /geth engine API/],
    [7935, /orchestrator\/redeemer CLI/],
    [6935, /transcoder CLI/],
    [5935, /broadcaster CLI/],
    [18600, /RPC proxy relays/],
    [18607, /RPC proxy relays/],
  ];
  for (const [port, named] of taken) {
    it(`refuses ${port}, naming what listens there`, () => {
      const m = problem({ "livepeer-fleet:chainNode": { p2pPort: port } }, P2P);
      expect(m, `no problem reported for ${port}`).to.be.a("string");
      expect(m).to.match(named);
      expect(m).to.include("opened to the internet");
    });
  }

  it("follows the configured ports, not only the defaults", () => {
    const moved = { rpcPort: 9545, redeemerPort: 9935 };
    expect(problem({ "livepeer-fleet:chainNode": { ...moved, p2pPort: 9545 } }, P2P)).to.match(
      /9545/,
    );
    expect(problem({ "livepeer-fleet:chainNode": { ...moved, p2pPort: 8545 } }, P2P)).to.equal(
      undefined,
    );
  });

  it("accepts a free port such as 30303 or 18608", () => {
    for (const p2pPort of [30303, 18608]) {
      expect(load({ "livepeer-fleet:chainNode": { p2pPort } }).chainNode.p2pPort).to.equal(p2pPort);
    }
  });

  it("the inventory matches the files that use each fixed port", () => {
    expect(PORTS.localRpc).to.equal(LOCAL_RPC_PORT);
    expect(LIVEPEER_CLI_PORT).to.equal(GO_LIVEPEER_PORTS.orchestratorCli);
    // The units bind go-livepeer's CLI to loopback on the port their env file gives them.
    for (const unit of [
      "livepeer-orchestrator.service",
      "livepeer-transcoder.service",
      "livepeer-redeemer.service",
    ]) {
      expect(read("units", unit)).to.include("-cliAddr 127.0.0.1:${LF_CLI_PORT}");
    }
    // The RPC proxy's relays: base port and at most `count` hosted backups.
    const proxy = read("render-rpc-proxy.py");
    expect(proxy).to.match(new RegExp(`^RELAY_BASE_PORT = ${RPC_RELAY_PORTS.base}$`, "m"));
    expect(proxy).to.include(`len(backups) > ${RPC_RELAY_PORTS.count}`);
    // geth keeps its engine API on loopback at its default port (no --authrpc.port override).
    const geth = read("units", "geth", "chain-client.service");
    expect(geth).to.include("--authrpc.addr 127.0.0.1");
    expect(geth).not.to.include("--authrpc.port");
    // Every configurable port of the defaults is in the list, once per key.
    const defaults = {
      servicePort: DEFAULTS.servicePort,
      healthPort: DEFAULTS.healthPort,
      rpcPort: DEFAULTS.rpcPort,
      redeemerPort: DEFAULTS.redeemerPort,
    };
    const sources = unitPorts(defaults).map((u) => u.source);
    for (const key of [
      "livepeer.servicePort",
      "livepeer.healthPort",
      "chainNode.rpcPort",
      "chainNode.redeemerPort",
    ]) {
      expect(sources).to.include(key);
    }
    expect(collisions(30303, defaults)).to.deep.equal([]);
  });
});

describe("config: geth flags from an allowlist", () => {
  const FLAGS = "livepeer-fleet:nodeRuntime.geth.networkFlags";
  const geth = (networkFlags: string) => ({
    "livepeer-fleet:nodeRuntime": { geth: { networkFlags } },
  });

  for (const ok of ["--mainnet", "--sepolia --cache=4096", "--hoodi --gcmode=full --maxpeers=50"]) {
    it(`accepts ${ok}`, () => {
      expect(load(geth(ok)).nodeRuntime.geth.networkFlags).to.equal(ok);
    });
  }

  const refused: [string, RegExp][] = [
    ["--ws.addr=0.0.0.0", /--ws\.addr is not an allowed geth flag.*unit file/],
    ["--mainnet --http.addr=0.0.0.0", /--http\.addr is not an allowed geth flag/],
    ["--http", /--http is not an allowed/],
    ["--authrpc.addr=0.0.0.0", /--authrpc\.addr is not an allowed/],
    ["--port=30304", /--port is not an allowed/],
    ["--datadir=/tmp/x", /--datadir is not an allowed/],
    ["--mainnet --sepolia", /at most one network flag/],
    ["--sepolia=true", /takes no value/],
    ["--cache 4096", /expected --flag or --flag=value, got "4096"/],
    ["--cache=lots", /--cache expects =<integer/],
    ["--gcmode=fast", /--gcmode expects =full\|archive/],
    ["", /at least one geth flag/],
  ];
  for (const [flags, message] of refused) {
    it(`refuses ${JSON.stringify(flags)} with a clear message at the key`, () => {
      expect(problem(geth(flags), FLAGS)).to.match(message);
    });
  }

  it("lists every problem of a flag string at once", () => {
    expect(gethFlagProblems("--ws --ws.addr=0.0.0.0 --cache=x")).to.have.length(3);
  });
});
