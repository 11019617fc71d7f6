// User data rendering (lib/userdata.ts) and its wiring into both launch templates, under the
// mock monitor: validated and quoted values, under EC2's 16 KB, deterministic, no secrets, and
// the pins a stack still lacks listed instead of invented.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ChainUserDataValues,
  NodeUserDataValues,
  USER_DATA_LIMIT,
  UnsafeValueError,
  envLine,
  renderChainUserData,
  renderNodeUserData,
} from "../lib/userdata";
import { RegionConfigSchema, resolveDerived } from "../lib/config/schema";
import { deployBlockers } from "../lib/runtime/releases";
import { evaluate, one, policyOf, runProgram } from "./helpers/program";
import { NODE_DIR } from "./helpers/node-runtime";
import { TEST_IDENTITY } from "./helpers/test-identity";

const SHA = "a".repeat(64);
const PINNED = {
  "livepeer-fleet:nodeRuntime": {
    goLivepeer: { sha256: { cpu: "1".repeat(64), gpu: "2".repeat(64) } },
    nitro: { digest: `sha256:${"3".repeat(64)}` },
    pricePerUnit: "1200",
  },
};

const chainValues: ChainUserDataValues = {
  stack: "prod-us-east-1",
  network: "arbitrum-one-mainnet",
  orchestratorAddress: "0x11D12AfEF50b1FeE02146020533857d35936035D",
  client: "nitro",
  livepeerUrl:
    "https://github.com/livepeer/go-livepeer/releases/download/v0.9.1/livepeer-linux-amd64.tar.gz",
  livepeerSha256: SHA,
  nitroImage: `offchainlabs/nitro-node:v3.9.4-7f582c3@sha256:${SHA}`,
  nitroChainId: 42161,
  dataVolumeId: "vol-0123456789abcdef0",
  zoneId: "Z0123456789ABCDEFGHIJ",
  chainHost: "chain.prod-us-east-1.livepeer-fleet.internal",
  rpcPort: 8545,
  redeemerPort: 8935,
  keystoreParameter: "/livepeer-fleet/prod-us-east-1/orchestrator/keystore",
  passphraseParameter: "/livepeer-fleet/prod-us-east-1/orchestrator/passphrase",
  rpcEndpointsParameter: "/livepeer-fleet/prod-us-east-1/chain/rpc-endpoints",
  maxChainHeadAgeSeconds: 60,
};
const nodeValues: NodeUserDataValues = {
  stack: "prod-us-east-1",
  network: "arbitrum-one-mainnet",
  orchestratorAddress: "0x11D12AfEF50b1FeE02146020533857d35936035D",
  gpu: true,
  livepeerUrl:
    "https://github.com/livepeer/go-livepeer/releases/download/v0.9.1/livepeer-linux-gpu-amd64.tar.gz",
  livepeerSha256: SHA,
  ethUrl: "http://chain.prod-us-east-1.livepeer-fleet.internal:8545",
  redeemerAddr: "chain.prod-us-east-1.livepeer-fleet.internal:8935",
  serviceAddr: "o.example.com:8935",
  servicePort: 8935,
  healthPort: 8936,
  maxSessions: 12,
  pricePerUnit: "0.5USD",
  pixelsPerUnit: "1",
  autoAdjustPrice: true,
  maxChainHeadAgeSeconds: 60,
};

function envOf(script: string): Record<string, string> {
  const m = /node\.env <<'LF_FILE_EOF'\n([\s\S]*?)\nLF_FILE_EOF/.exec(script);
  if (!m) throw new Error("no node.env in the script");
  const pairs = m[1].split("\n").map((l): [string, string] => {
    const kv = /^(\w+)='(.*)'$/.exec(l)!;
    return [kv[1], kv[2]];
  });
  return Object.fromEntries(pairs);
}

function decode(base64: unknown): string {
  return gunzipSync(Buffer.from(String(base64), "base64")).toString("utf8");
}

describe("user data rendering", function () {
  const renders = {
    "chain (nitro)": renderChainUserData(chainValues),
    "chain (geth)": renderChainUserData({
      ...chainValues,
      client: "geth",
      nitroImage: undefined,
      gethUrl:
        "https://gethstore.blob.core.windows.net/builds/geth-linux-amd64-1.14.12-293a300d.tar.gz",
      gethSha256: SHA,
      gethNetworkFlags: "--sepolia",
    }),
    "node (GPU)": renderNodeUserData(nodeValues),
    "node (CPU)": renderNodeUserData({ ...nodeValues, gpu: false }),
  };

  for (const [kind, r] of Object.entries(renders)) {
    it(`${kind}: gzip under EC2's 16 KB, inflates to a bash script that parses`, function () {
      console.log(`      ${kind}: ${r.bytes.length} bytes gzipped (${r.script.length} inflated)`);
      expect(r.bytes.length).to.be.below(USER_DATA_LIMIT);
      expect(decode(r.base64)).to.equal(r.script);
      expect(r.script.startsWith("#!/bin/bash\n")).to.equal(true);
      const n = spawnSync("bash", ["-n"], { input: r.script, encoding: "utf8" });
      expect(n.status, n.stderr).to.equal(0);
    });
  }

  it("is deterministic: the same values give the same bytes (no timestamp in the gzip)", function () {
    expect(renderNodeUserData(nodeValues).base64).to.equal(renders["node (GPU)"].base64);
  });

  it("writes the node settings the units and boot scripts read", function () {
    const env = envOf(renders["node (GPU)"].script);
    expect(env).to.include({
      LF_KIND: "node",
      LF_GPU: "true",
      LF_GPU_FLAGS: "-nvidia all",
      LF_ETH_URL: nodeValues.ethUrl,
      LF_REDEEMER_ADDR: nodeValues.redeemerAddr,
      LF_MAX_SESSIONS: "12",
      LF_PRICE_PER_UNIT: "0.5USD",
    });
    expect(env.LF_HEALTH_ARGS).to.include("--gpu").and.include("--port 8936");
    expect(envOf(renders["node (CPU)"].script).LF_GPU_FLAGS).to.equal("");
    // Every ${LF_*} a unit uses is set by the renderer of the kind that installs it.
    const units: [string, string][] = [
      ["node (GPU)", "units/livepeer.service"],
      ["chain (nitro)", "units/nitro/chain-client.service"],
      ["chain (geth)", "units/geth/chain-client.service"],
      ["chain (nitro)", "units/livepeer-redeemer.service"],
      ["chain (nitro)", "units/rpc-proxy.service"],
    ];
    for (const [kind, unit] of units) {
      const vars =
        fs.readFileSync(path.join(NODE_DIR, unit), "utf8").match(/\$\{?LF_[A-Z0-9_]+/g) ?? [];
      const env2 = envOf(renders[kind as keyof typeof renders].script);
      for (const v of vars) expect(env2, `${unit} ${v}`).to.have.property(v.replace(/[${]/g, ""));
    }
  });

  it("rejects any value that could break out of its quotes", function () {
    for (const bad of ["a'b", "$(id)", "`id`", "a\nb", "a\\b", 'a"b', "a;b"]) {
      expect(() => envLine("LF_X", bad), JSON.stringify(bad)).to.throw(UnsafeValueError);
    }
    expect(() => renderNodeUserData({ ...nodeValues, pricePerUnit: "1'; rm -rf / #" })).to.throw(
      UnsafeValueError,
    );
    expect(envLine("LF_X", "http://chain.x:8545")).to.equal("LF_X='http://chain.x:8545'");
  });

  it("contains no secret value of the test identity", function () {
    for (const r of Object.values(renders)) {
      for (const secret of TEST_IDENTITY.secrets) expect(r.script).not.to.include(secret);
    }
  });
});

describe("user data on both launch templates (prod-us-east-1 under the mock monitor)", function () {
  const e = evaluate("prod-us-east-1", PINNED);
  const chainLt = one(e, "aws:ec2/launchTemplate:LaunchTemplate", "-chain-lt");
  const nodeLt = one(e, "aws:ec2/launchTemplate:LaunchTemplate", "-nodes-lt");

  it("renders the chain node's user data with its own volume and zone ids", function () {
    const script = decode(chainLt.inputs.userData);
    const env = envOf(script);
    const volume = one(e, "aws:ebs/volume:Volume", "-chain-data");
    expect(env.LF_DATA_VOLUME_ID).to.equal(`${volume.name}-id`);
    expect(env.LF_ZONE_ID).to.match(/^Z/);
    expect(env).to.include({
      LF_KIND: "chain",
      LF_CHAIN_CLIENT: "nitro",
      LF_CHAIN_ID: "42161",
      LF_CHAIN_HOST: "chain.prod-us-east-1.livepeer-fleet.internal",
      LF_NITRO_IMAGE: `offchainlabs/nitro-node:v3.9.4-7f582c3@sha256:${"3".repeat(64)}`,
      LF_LIVEPEER_SHA256: "1".repeat(64),
      LF_RPC_ENDPOINTS_PARAM: "/livepeer-fleet/prod-us-east-1/chain/rpc-endpoints",
      LF_IDENTITY_PASSPHRASE_PARAM: "/livepeer-fleet/prod-us-east-1/orchestrator/passphrase",
    });
    expect(env.LF_LIVEPEER_URL).to.match(
      /releases\/download\/v0\.9\.1\/livepeer-linux-amd64\.tar\.gz$/,
    );
    expect(script).to.match(/exec \/opt\/livepeer-fleet\/bin\/boot-chain\.sh\n$/);
  });

  it("renders the nodes' user data: GPU build, the region's proxy and redeemer, the NLB as service address", function () {
    const env = envOf(decode(nodeLt.inputs.userData));
    const nlb = one(e, "aws:lb/loadBalancer:LoadBalancer", "-nodes-nlb");
    expect(env).to.include({
      LF_GPU: "true",
      LF_LIVEPEER_SHA256: "2".repeat(64),
      LF_ETH_URL: "http://chain.prod-us-east-1.livepeer-fleet.internal:8545",
      LF_REDEEMER_ADDR: "chain.prod-us-east-1.livepeer-fleet.internal:8935",
      LF_SERVICE_ADDR: `${nlb.name}.elb.us-east-1.amazonaws.com:8935`,
      // The capacity model's sessions per node for g4dn.xlarge (a stack output).
      LF_MAX_SESSIONS: String(e.outputs.maxSessions),
      LF_PRICE_PER_UNIT: "1200",
    });
    expect(env.LF_LIVEPEER_URL).to.match(/livepeer-linux-gpu-amd64\.tar\.gz$/);
    expect(e.outputs.deployBlockers).to.deep.equal([]);
  });

  it("lets the chain node read exactly the endpoints parameter, decrypting only through SSM", function () {
    const p = policyOf(one(e, "aws:iam/rolePolicy:RolePolicy", "-chain-endpoints"));
    expect(p.Statement).to.deep.equal([
      {
        Sid: "ReadChainEndpoints",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource:
          "arn:aws:ssm:us-east-1:123456789012:parameter/livepeer-fleet/prod-us-east-1/chain/rpc-endpoints",
      },
      {
        Sid: "DecryptThroughSsmOnly",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: "arn:aws:kms:us-east-1:123456789012:key/prod-us-east-1-keys-key-key-id",
        Condition: { StringEquals: { "kms:ViaService": "ssm.us-east-1.amazonaws.com" } },
      },
    ]);
  });

  it("keeps user data on both templates for a stack without pins, and lists what it lacks", function () {
    const bare = evaluate("prod-us-east-1");
    for (const lt of ["-chain-lt", "-nodes-lt"]) {
      expect(
        decode(one(bare, "aws:ec2/launchTemplate:LaunchTemplate", lt).inputs.userData),
      ).to.match(/^#!\/bin\/bash/);
    }
    expect((bare.outputs.deployBlockers as string[]).map((b) => b.split(":")[1])).to.deep.equal([
      "nodeRuntime.goLivepeer.sha256.cpu",
      "nodeRuntime.goLivepeer.sha256.gpu",
      "nodeRuntime.nitro.digest",
      "nodeRuntime.pricePerUnit",
    ]);
  });

  it("rejects a malformed pin before registering anything, naming the key", function () {
    const o = runProgram("prod-us-east-1", {
      "livepeer-fleet:nodeRuntime": { goLivepeer: { sha256: { gpu: "not-a-hash" } } },
    });
    expect(o.code).to.equal(2);
    expect(o.stderr)
      .to.include("livepeer-fleet:nodeRuntime.goLivepeer.sha256.gpu")
      .and.include("sha256");
  });
});

describe("deploy blockers (pure)", function () {
  const base = {
    network: { cidr: "10.10.0.0/16" },
    livepeer: { orchestratorAddress: "0x11D12AfEF50b1FeE02146020533857d35936035D" },
  };
  const blockers = (extra: Record<string, unknown>) =>
    deployBlockers(
      resolveDerived(RegionConfigSchema.parse({ ...base, ...extra }), "prod-us-east-1"),
    ).map((b) => b.keyPath);

  it("asks a GPU + Nitro stack for both builds' hashes, the image digest and the price", function () {
    expect(blockers({})).to.have.length(4);
  });
  it("asks a CPU + geth stack for the CPU hash, the geth release and its hash", function () {
    expect(
      blockers({
        nodeGroup: { instanceType: "c6i.2xlarge" },
        chainNode: { client: "geth" },
        nodeRuntime: { pricePerUnit: "1" },
      }),
    ).to.deep.equal([
      "livepeer-fleet:nodeRuntime.goLivepeer.sha256.cpu",
      "livepeer-fleet:nodeRuntime.geth.release",
      "livepeer-fleet:nodeRuntime.geth.sha256",
    ]);
  });
  it("is empty once everything is pinned", function () {
    expect(
      blockers(
        PINNED["livepeer-fleet:nodeRuntime"]
          ? { nodeRuntime: PINNED["livepeer-fleet:nodeRuntime"] }
          : {},
      ),
    ).to.deep.equal([]);
  });
});
