// User data and each instance kind's env file (lib/userdata.ts, lib/runtime/values.ts): validated
// and quoted values, a short script under EC2's 16 KB that only writes the env and runs the
// bootstrap, no secrets, and the units' go-livepeer command lines checked against go-livepeer's
// own flag list (test/fixtures/go-livepeer-flags.txt, from cmd/livepeer/starter/flags.go v0.9.1).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  Env,
  USER_DATA_LIMIT,
  UnsafeValueError,
  envLine,
  parseEnv,
  renderUserData,
} from "../lib/userdata";
import { chainEnv, orchestratorEnv, transcoderEnv, BundleRef } from "../lib/runtime/values";
import { RegionConfigSchema, resolveDerived } from "../lib/config/schema";
import { deployBlockers } from "../lib/runtime/releases";
import { NODE_DIR } from "../lib/node-bundle";
import {
  FIXTURE_ORCHESTRATOR,
  FIXTURE_REDEEMER,
  fixtureDesign,
  SERVICE_DNS,
} from "./fixtures/region";
import { CHAIN_BOOT, PORTS } from "../lib/runtime-contract";
import { TEST_IDENTITY } from "./helpers/test-identity";
import { runProgram } from "./helpers/program";

const FLAGS = new Set(
  fs
    .readFileSync(path.join(__dirname, "fixtures", "go-livepeer-flags.txt"), "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#")),
);

const bundle = (kind: string): BundleRef => ({
  bucket: "lf-files-bucket",
  key: `node-files/${kind}.tar.gz`,
  versionId: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
  sha256: "a".repeat(64),
});

const d = fixtureDesign();
const named = fixtureDesign({}, { serviceDns: SERVICE_DNS });
const PREFIX = "/livepeer-fleet/test-us-east-1";
const chainIds = {
  bundle: bundle("chain"),
  dataVolumeId: "vol-0123456789abcdef0",
  zoneId: "Z0123456789ABCDEFGHIJ",
  redeemerIdentity: {
    keystore: `${PREFIX}/redeemer/keystore`,
    passphrase: `${PREFIX}/redeemer/passphrase`,
  },
  orchestratorIdentity: {
    keystore: `${PREFIX}/orchestrator/keystore`,
    passphrase: `${PREFIX}/orchestrator/passphrase`,
  },
};
/** The same unit when the fleet's home region is another one: no reward service here. */
const away = fixtureDesign({}, { homeRegion: "eu-west-1" });
const envs: Record<string, Env> = {
  chain: chainEnv(d, chainIds),
  orchestrator: orchestratorEnv(d, "a", {
    bundle: bundle("orchestrator"),
    allocationId: "eipalloc-0123456789abcdef0",
    publicDns: "ec2-203-0-113-7.compute-1.amazonaws.com",
    zoneId: "Z0123456789ABCDEFGHIJ",
    orchSecretParameter: "/livepeer-fleet/test-us-east-1/orch-secret",
  }),
  transcoder: transcoderEnv(d, {
    bundle: bundle("transcoder"),
    orchSecretParameter: "/livepeer-fleet/test-us-east-1/orch-secret",
  }),
};
const asMap = (env: Env) => Object.fromEntries(env.map(([k, v]) => [k, String(v)]));

/** A unit's ExecStart with ${VAR} and $VAR expanded from `vars` and continuation lines joined. */
function execStart(unit: string, vars: Record<string, string>): string[] {
  const text = fs.readFileSync(path.join(NODE_DIR, "units", unit), "utf8").replace(/\\\n\s*/g, "");
  const line = /^ExecStart=(.*)$/m.exec(text)![1];
  const expanded = line.replace(/\$\{?([A-Z0-9_]+)\}?/g, (_, v: string) => {
    expect(vars, `${unit} uses $${v}`).to.have.property(v);
    return vars[v];
  });
  return expanded.split(/\s+/).filter(Boolean);
}

function flagsOf(argv: string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) continue;
    const [name, inline] = a.replace(/^-+/, "").split("=");
    const next = argv[i + 1];
    out.set(name, inline ?? (next && !next.startsWith("-") ? next : true));
  }
  return out;
}

describe("user data rendering", function () {
  for (const [kind, env] of Object.entries(envs)) {
    it(`${kind}: a short bash script under EC2's 16 KB that writes the env and runs the bootstrap`, function () {
      const r = renderUserData(env);
      // The chain node's also carries its boot deadline (it must work without the bundle).
      expect(Buffer.byteLength(r.script)).to.be.below(
        kind === "chain" ? (USER_DATA_LIMIT * 3) / 4 : USER_DATA_LIMIT / 2,
      );
      expect(Buffer.from(r.base64, "base64").toString("utf8")).to.equal(r.script);
      expect(r.script.startsWith("#!/bin/bash\n")).to.equal(true);
      const n = spawnSync("bash", ["-n"], { input: r.script, encoding: "utf8" });
      expect(n.status, n.stderr).to.equal(0);
      expect(r.script).to.include(fs.readFileSync(path.join(NODE_DIR, "bootstrap.sh"), "utf8"));
      expect(r.script).to.match(
        kind === "chain"
          ? /\n\/usr\/local\/sbin\/livepeer-fleet-bootstrap \|\| exec \/usr\/local\/sbin\/livepeer-fleet-boot-deadline expire\n$/
          : /\nexec \/usr\/local\/sbin\/livepeer-fleet-bootstrap\n$/,
      );
      expect(parseEnv(r.script)).to.deep.equal(asMap(env));
    });
  }

  it("chain: the boot deadline is written and armed before the bootstrap runs; other kinds have none", function () {
    const chain = renderUserData(envs.chain).script;
    const deadline = fs.readFileSync(path.join(NODE_DIR, "boot-deadline.sh"), "utf8");
    expect(chain).to.include(
      `cat >/usr/local/sbin/livepeer-fleet-boot-deadline <<'LF_DEADLINE_EOF'\n${deadline}LF_DEADLINE_EOF\n`,
    );
    const lines = chain.split("\n");
    const arm = lines.indexOf(
      `/usr/local/sbin/livepeer-fleet-boot-deadline arm ${CHAIN_BOOT.deadlineSeconds}`,
    );
    const run = lines.findIndex((l) => l.startsWith("/usr/local/sbin/livepeer-fleet-bootstrap"));
    expect(arm).to.be.above(0);
    expect(run).to.equal(arm + 1);
    expect(parseEnv(chain)).to.include({
      LF_BOOT_DEADLINE: "/usr/local/sbin/livepeer-fleet-boot-deadline",
      LF_BOOT_DEADLINE_SECONDS: String(CHAIN_BOOT.deadlineSeconds),
      LF_ATTACH_ATTEMPTS: String(CHAIN_BOOT.attachAttempts),
      LF_ATTACH_POLL_SECONDS: String(CHAIN_BOOT.attachPollSeconds),
    });
    for (const kind of ["orchestrator", "transcoder"]) {
      const script = renderUserData(envs[kind]).script;
      expect(script, kind).not.to.include("boot-deadline");
      expect(parseEnv(script), kind).not.to.have.property("LF_BOOT_DEADLINE_SECONDS");
    }
    expect(() =>
      renderUserData([...envs.transcoder, ["LF_BOOT_DEADLINE_SECONDS", "45m"]]),
    ).to.throw(UnsafeValueError);
  });

  it("is deterministic: the same values give the same bytes", function () {
    expect(renderUserData(envs.transcoder).base64).to.equal(renderUserData(envs.transcoder).base64);
  });

  it("rejects any value that could break out of its quotes, and a key set twice", function () {
    for (const bad of ["a'b", "$(id)", "`id`", "a\nb", "a\\b", 'a"b', "a;b"]) {
      expect(() => envLine("LF_X", bad), JSON.stringify(bad)).to.throw(UnsafeValueError);
    }
    const price = fixtureDesign({ nodeRuntime: { pricePerUnit: "1200" } });
    price.config.nodeRuntime.pricePerUnit = "1'; rm -rf / #";
    expect(() =>
      renderUserData(
        orchestratorEnv(price, "a", {
          bundle: bundle("orchestrator"),
          allocationId: "eipalloc-1",
          publicDns: "x",
          zoneId: "Z1",
          orchSecretParameter: "/p",
        }),
      ),
    ).to.throw(UnsafeValueError);
    expect(() =>
      renderUserData([
        ["LF_KIND", "chain"],
        ["LF_KIND", "chain"],
      ]),
    ).to.throw(/twice/);
    expect(envLine("LF_X", "http://chain.x:8545")).to.equal("LF_X='http://chain.x:8545'");
  });

  it("contains no secret value of the test identity", function () {
    for (const env of Object.values(envs)) {
      const script = renderUserData(env).script;
      for (const secret of TEST_IDENTITY.secrets) expect(script).not.to.include(secret);
    }
  });

  it("sets every variable a unit of its kind reads (node.env, or boot.env written at boot)", function () {
    const units: [string, string][] = [
      ["orchestrator", "livepeer-orchestrator.service"],
      ["orchestrator", "livepeer-health.service"],
      ["transcoder", "livepeer-transcoder.service"],
      ["transcoder", "livepeer-health.service"],
      ["transcoder", "livepeer-lifecycle.service"],
      ["orchestrator", "livepeer-demand.service"],
      ["chain", "nitro/chain-client.service"],
      ["chain", "geth/chain-client.service"],
      ["chain", "livepeer-redeemer.service"],
      ["chain", "livepeer-reward.service"],
      ["chain", "rpc-proxy.service"],
      ["chain", "livepeer-health.service"],
    ];
    // boot-transcoder.sh writes these into /etc/livepeer-fleet/boot.env before starting units.
    const bootTc = fs.readFileSync(path.join(NODE_DIR, "boot-transcoder.sh"), "utf8");
    expect(bootTc).to.match(/^LF_ORCH_TARGET='\$target'$/m);
    expect(bootTc).to.match(/^LF_HEALTH_EXTRA_ARGS='--orch-addr \$target'$/m);
    expect(bootTc).to.match(/^LF_MAX_SESSIONS='\$sessions'$/m);
    const boot: Record<string, string[]> = {
      transcoder: ["LF_ORCH_TARGET", "LF_MAX_SESSIONS", "LF_HEALTH_EXTRA_ARGS"],
    };
    for (const [kind, unit] of units) {
      const text = fs.readFileSync(path.join(NODE_DIR, "units", unit), "utf8");
      const vars = new Set(
        (text.match(/\$\{?LF_[A-Z0-9_]+/g) ?? []).map((v) => v.replace(/[${]/g, "")),
      );
      const set = new Set([...Object.keys(asMap(envs[kind])), ...(boot[kind] ?? [])]);
      for (const v of vars) {
        // The health unit's extra args are optional (boot.env exists on transcoders only).
        if (v === "LF_HEALTH_EXTRA_ARGS" && kind !== "transcoder") continue;
        expect(set.has(v), `${kind}: ${unit} reads ${v}`).to.equal(true);
      }
    }
  });
});

describe("the health agent's command line of each kind, checked by the agent itself", function () {
  for (const kind of Object.keys(envs)) {
    it(`${kind}: LF_HEALTH_ARGS (plus boot.env's extra args) pass health-agent.py --check-args`, function () {
      const env = asMap(envs[kind]);
      const extra =
        kind === "transcoder"
          ? ["--orch-addr", "o-a.test-us-east-1.livepeer-fleet.internal:8935"]
          : [];
      const r = spawnSync(
        "/usr/bin/python3",
        [
          path.join(NODE_DIR, "health-agent.py"),
          ...env.LF_HEALTH_ARGS.split(" "),
          ...extra,
          "--check-args",
        ],
        { encoding: "utf8" },
      );
      expect(r.status, `${r.stdout}${r.stderr}`).to.equal(0);
      expect(r.stdout).to.include(`health agent arguments ok (${kind})`);
    });
  }
});

describe("the lifecycle agent's and the demand publisher's command lines, checked by themselves", function () {
  for (const [kind, script, variable] of [
    ["transcoder", "transcoder-lifecycle.py", "LF_LIFECYCLE_ARGS"],
    ["orchestrator", "demand-publisher.py", "LF_DEMAND_ARGS"],
  ] as const) {
    it(`${kind}: ${variable} passes ${script} --check-args`, function () {
      const r = spawnSync(
        "/usr/bin/python3",
        [path.join(NODE_DIR, script), ...asMap(envs[kind])[variable].split(" "), "--check-args"],
        { encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
      );
      expect(r.status, `${r.stdout}${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/arguments ok/);
    });
  }
});

describe("go-livepeer command lines (units + env) against go-livepeer's own flags", function () {
  const orch = flagsOf(execStart("livepeer-orchestrator.service", asMap(envs.orchestrator)));
  const tc = flagsOf(
    execStart("livepeer-transcoder.service", {
      ...asMap(envs.transcoder),
      // boot.env: boot-transcoder.sh's choices for this instance (its orchestrator, its type's
      // -maxSessions from LF_MAX_SESSIONS_BY_TYPE).
      LF_ORCH_TARGET: "o-a.test-us-east-1.livepeer-fleet.internal:8935",
      LF_MAX_SESSIONS: String(d.transcoderMaxSessions),
    }),
  );
  const redeemer = flagsOf(execStart("livepeer-redeemer.service", asMap(envs.chain)));
  const reward = flagsOf(execStart("livepeer-reward.service", asMap(envs.chain)));

  it("uses only flags go-livepeer v0.9.1 defines (cmd/livepeer/starter/flags.go)", function () {
    for (const [unit, flags] of [
      ["orchestrator", orch],
      ["transcoder", tc],
      ["redeemer", redeemer],
      ["reward", reward],
    ] as const) {
      for (const f of flags.keys()) expect(FLAGS.has(f), `${unit}: -${f}`).to.equal(true);
    }
  });

  it("orchestrator: -orchestrator (not -transcoder), -orchSecret from tmpfs, -maxSessions auto, its own -serviceAddr", function () {
    expect(orch.get("orchestrator")).to.equal(true);
    expect(orch.has("transcoder")).to.equal(false);
    expect(orch.get("orchSecret")).to.equal("/run/livepeer/orch-secret");
    expect(orch.get("maxSessions")).to.equal("auto");
    expect(orch.get("serviceAddr")).to.equal("ec2-203-0-113-7.compute-1.amazonaws.com:8935");
    expect(orch.get("ethOrchAddr")).to.equal(FIXTURE_ORCHESTRATOR);
    expect(orch.get("redeemerAddr")).to.equal("chain.test-us-east-1.livepeer-fleet.internal:8935");
    expect(orch.get("ethUrl")).to.equal("http://chain.test-us-east-1.livepeer-fleet.internal:8545");
    expect(orch.get("cliAddr")).to.match(/^127\.0\.0\.1:/);
    expect(orch.get("reward")).to.equal("false");
    expect(orch.has("monitor")).to.equal(true);
    expect(orch.get("pricePerUnit")).to.equal("1200");
  });

  it("orchestrator with a fleet zone advertises its name there", function () {
    const env = orchestratorEnv(named, "b", {
      bundle: bundle("orchestrator"),
      allocationId: "eipalloc-1",
      publicDns: "ec2-203-0-113-8.compute-1.amazonaws.com",
      zoneId: "Z1",
      orchSecretParameter: "/p",
    });
    expect(asMap(env).LF_SERVICE_ADDR).to.equal("o-b.us-east-1.orch.example.net:8935");
  });

  it("transcoder: -transcoder, -orchAddr, -orchSecret, its capacity; no chain, no key", function () {
    expect(tc.get("transcoder")).to.equal(true);
    expect(tc.has("orchestrator")).to.equal(false);
    expect(tc.get("orchAddr")).to.equal("o-a.test-us-east-1.livepeer-fleet.internal:8935");
    expect(tc.get("orchSecret")).to.equal("/run/livepeer/orch-secret");
    expect(tc.get("maxSessions")).to.equal(String(d.transcoderMaxSessions));
    expect(tc.get("nvidia")).to.equal("all");
    for (const chain of [
      "ethUrl",
      "ethKeystorePath",
      "ethAcctAddr",
      "ethPassword",
      "ethOrchAddr",
    ]) {
      expect(tc.has(chain), chain).to.equal(false);
    }
  });

  it("redeemer: -redeemer -reward=false with the region's own redeemer account, tickets paying the orchestrator, CLI on loopback", function () {
    expect(redeemer.get("redeemer")).to.equal(true);
    expect(redeemer.get("reward")).to.equal("false");
    expect(redeemer.get("ethAcctAddr")).to.equal(FIXTURE_REDEEMER);
    expect(redeemer.get("ethAcctAddr")).to.not.equal(d.config.livepeer.orchestratorAddress);
    // The ticket recipient (starter.go recipientAddr): fees go to the orchestrator.
    expect(redeemer.get("ethOrchAddr")).to.equal(d.config.livepeer.orchestratorAddress);
    expect(redeemer.get("ethKeystorePath")).to.equal("/run/livepeer-redeemer/keystore");
    expect(redeemer.get("ethPassword")).to.equal("/run/livepeer-redeemer/eth-password");
    expect(redeemer.get("cliAddr")).to.equal(`127.0.0.1:${PORTS.orchestratorCli}`);
    expect(redeemer.get("httpAddr")).to.equal("0.0.0.0:8935");
    expect(redeemer.get("dataDir")).to.equal("/var/lib/chain-data/livepeer");
    for (const other of ["orchestrator", "transcoder"]) expect(redeemer.has(other)).to.equal(false);
  });

  it("reward service: the orchestrator's own key and -reward=true, neither redeemer nor orchestrator, its own CLI, keystore and data directory", function () {
    expect(reward.get("reward")).to.equal("true");
    expect(reward.get("ethAcctAddr")).to.equal(d.config.livepeer.orchestratorAddress);
    for (const other of ["redeemer", "orchestrator", "transcoder", "ethOrchAddr", "httpAddr"]) {
      expect(reward.has(other), other).to.equal(false);
    }
    // A node without a type gets no default CLI address (starter.go): it must be explicit.
    expect(reward.get("cliAddr")).to.equal(`127.0.0.1:${PORTS.rewardCli}`);
    expect(reward.get("ethKeystorePath")).to.equal("/run/livepeer-reward/keystore");
    expect(reward.get("ethPassword")).to.equal("/run/livepeer-reward/eth-password");
    expect(reward.get("dataDir")).to.equal("/var/lib/chain-data/reward");
    // Never the redeemer's keystore, password, data directory or CLI.
    for (const f of ["ethKeystorePath", "ethPassword", "dataDir", "cliAddr", "ethAcctAddr"]) {
      expect(reward.get(f), f).to.not.equal(redeemer.get(f));
    }
  });

  it("renders the orchestrator key's names and the reward service flag only for the home region", function () {
    const home = asMap(envs.chain);
    expect(home).to.include({
      LF_REWARD_SERVICE: "1",
      LF_REWARD_CLI_PORT: String(PORTS.rewardCli),
      LF_ORCH_KEYSTORE_PARAM: `${PREFIX}/orchestrator/keystore`,
      LF_ORCH_PASSPHRASE_PARAM: `${PREFIX}/orchestrator/passphrase`,
      LF_REDEEMER_KEYSTORE_PARAM: `${PREFIX}/redeemer/keystore`,
      LF_REDEEMER_PASSPHRASE_PARAM: `${PREFIX}/redeemer/passphrase`,
      LF_REDEEMER_ACCOUNT: FIXTURE_REDEEMER,
    });
    const other = asMap(chainEnv(away, chainIds));
    expect(other.LF_REWARD_SERVICE).to.equal("0");
    expect(other.LF_REDEEMER_KEYSTORE_PARAM).to.equal(`${PREFIX}/redeemer/keystore`);
    for (const k of ["LF_ORCH_KEYSTORE_PARAM", "LF_ORCH_PASSPHRASE_PARAM", "LF_REWARD_CLI_PORT"]) {
      expect(other, k).not.to.have.property(k);
    }
    expect(Object.values(other).join(" ")).not.to.include("/orchestrator/");
  });

  it("chain_units (common.sh): the reward service only where LF_REWARD_SERVICE=1, refusing anything else", function () {
    const units = (value: string | undefined) =>
      spawnSync("bash", ["-c", `. "${path.join(NODE_DIR, "common.sh")}" && chain_units`], {
        encoding: "utf8",
        env: {
          PATH: process.env.PATH,
          ...(value === undefined ? {} : { LF_REWARD_SERVICE: value }),
        },
      });
    const base = ["livepeer-health.service", "rpc-proxy.service", "livepeer-redeemer.service"];
    const home = units(asMap(envs.chain).LF_REWARD_SERVICE);
    expect(home.stdout.trim().split("\n")).to.deep.equal([...base, "livepeer-reward.service"]);
    const other = units(asMap(chainEnv(away, chainIds)).LF_REWARD_SERVICE);
    expect(other.stdout.trim().split("\n")).to.deep.equal(base);
    for (const bad of [undefined, "", "yes"]) {
      const r = units(bad);
      expect(r.status, String(bad)).to.not.equal(0);
      expect(r.stderr).to.match(/LF_REWARD_SERVICE is/);
    }
    // boot-chain.sh installs and starts exactly that list, next to the chain client.
    const boot = fs.readFileSync(path.join(NODE_DIR, "boot-chain.sh"), "utf8");
    expect(boot).to.match(/^unit_list=\$\(chain_units\)$/m);
    expect(boot).to.match(/^install_units "\$\{units\[@\]\}"$/m);
    expect(boot).to.match(/^systemctl start chain-client\.service "\$\{units\[@\]\}"$/m);
  });

  it("every go-livepeer unit holding a key: its own tmpfs runtime directory, key fetched before start, no core dumps, its CLI guarded", function () {
    const unit = (u: string) => fs.readFileSync(path.join(NODE_DIR, "units", u), "utf8");
    const seen = new Set<string>();
    for (const [u, role, dir, port, user] of [
      ["livepeer-redeemer.service", "redeemer", "livepeer-redeemer", "LF_CLI_PORT", "livepeer"],
      [
        "livepeer-reward.service",
        "orchestrator",
        "livepeer-reward",
        "LF_REWARD_CLI_PORT",
        "livepeer-reward",
      ],
    ]) {
      const text = unit(u);
      expect(text, u).to.match(new RegExp(`^RuntimeDirectory=${dir}$`, "m"));
      expect(text, u).to.match(/^RuntimeDirectoryMode=0700$/m);
      expect(text, u).to.match(/^LimitCORE=0$/m);
      expect(text, u).to.match(new RegExp(`^User=${user}$`, "m"));
      expect(text, u).to.match(
        new RegExp(
          `^ExecStartPre=/opt/livepeer-fleet/bin/fetch-identity\\.sh ${role} /run/${dir}$`,
          "m",
        ),
      );
      // As root ("+"): only root and the unit's own user may connect to its CLI.
      expect(text, u).to.match(
        new RegExp(
          `^ExecStartPre=\\+/opt/livepeer-fleet/bin/loopback-guard\\.sh \\$\\{${port}\\} ${user}$`,
          "m",
        ),
      );
      expect(seen.has(dir)).to.equal(false);
      seen.add(dir);
    }
    for (const u of [
      "livepeer-orchestrator.service",
      "livepeer-transcoder.service",
      "rpc-proxy.service",
    ]) {
      expect(unit(u), u).to.match(/^LimitCORE=0$/m);
    }
  });
});

describe("the Nitro container's isolation (unit + env)", function () {
  const docker = (design = d) =>
    execStart("nitro/chain-client.service", asMap(chainEnv(design, chainIds)));
  const publishes = (argv: string[]) =>
    argv.flatMap((a, i) => (a === "--publish" ? [argv[i + 1]] : []));

  it("runs on its own bridge network with no capabilities, no privilege gain, no core dumps", function () {
    const argv = docker();
    const i = argv.indexOf("run");
    const opts = argv.slice(i, argv.indexOf(asMap(envs.chain).LF_NITRO_IMAGE));
    expect(opts.join(" ")).to.include("--network lf-chain");
    expect(opts).not.to.include("host");
    expect(opts.join(" ")).to.include("--cap-drop ALL");
    expect(opts.join(" ")).to.include("--security-opt no-new-privileges");
    expect(opts.join(" ")).to.include("--ulimit core=0:0");
    expect(opts).not.to.include("--privileged");
    expect(opts.join(" ")).not.to.match(/--cap-add/);
  });

  it("publishes its RPC on the host's loopback only, the P2P port only when the stack opens one", function () {
    expect(publishes(docker())).to.deep.equal(["127.0.0.1:8547:8547"]);
    const argv = docker();
    // Nitro listens inside the container; the published port reaches the container's address.
    expect(argv).to.include("--http.addr=0.0.0.0");
    expect(argv).to.include(`--http.port=${PORTS.localRpc}`);
    const p2p = fixtureDesign({ chainNode: { p2pPort: 30303 } });
    expect(publishes(docker(p2p))).to.deep.equal([
      "127.0.0.1:8547:8547",
      "30303:30303/tcp",
      "30303:30303/udp",
    ]);
    expect(asMap(chainEnv(p2p, chainIds)).LF_CHAIN_P2P_PORT).to.equal("30303");
    expect(asMap(envs.chain).LF_CHAIN_P2P_PORT).to.equal("");
  });

  it("installs the network and its firewall, as root, before every start of the container", function () {
    const text = fs.readFileSync(
      path.join(NODE_DIR, "units", "nitro", "chain-client.service"),
      "utf8",
    );
    const pre = [...text.matchAll(/^ExecStartPre=(.*)$/gm)].map((m) => m[1]);
    expect(pre.slice(0, 2)).to.deep.equal([
      "+/opt/livepeer-fleet/bin/nitro-isolation.sh network",
      "+/opt/livepeer-fleet/bin/nitro-isolation.sh firewall",
    ]);
    expect(text).to.match(/^LimitCORE=0$/m);
  });
});

describe("deploy blockers (pure)", function () {
  // An address of one's own and pinned AMIs: the blockers below are the runtime pins alone.
  const base = {
    network: { cidr: "10.10.0.0/16" },
    livepeer: {
      orchestratorAddress: "0x00000000000000000000000000000000000000B2",
      redeemerAddress: "0x00000000000000000000000000000000000000C3",
    },
    amis: { ubuntu: "ami-0aaaaaaaaaaaaaaa1", gpu: "ami-0bbbbbbbbbbbbbbb2" },
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
  it("asks for each AMI kind the stack boots, and for an address of one's own", function () {
    expect(
      blockers({
        amis: {},
        livepeer: {
          orchestratorAddress: "0x11D12AfEF50b1FeE02146020533857d35936035D",
          redeemerAddress: "0x1000000000000000000000000000000000000001",
        },
        nodeRuntime: {
          goLivepeer: { sha256: { cpu: "1".repeat(64), gpu: "2".repeat(64) } },
          nitro: { digest: `sha256:${"3".repeat(64)}` },
          pricePerUnit: "1200",
        },
      }),
    ).to.deep.equal([
      "livepeer-fleet:amis.ubuntu",
      "livepeer-fleet:amis.gpu",
      "livepeer-fleet:livepeer.orchestratorAddress",
      "livepeer-fleet:livepeer.redeemerAddress",
    ]);
  });
  it("is empty once everything is pinned", function () {
    expect(
      blockers({
        nodeRuntime: {
          goLivepeer: { sha256: { cpu: "1".repeat(64), gpu: "2".repeat(64) } },
          nitro: { digest: `sha256:${"3".repeat(64)}` },
          pricePerUnit: "1200",
        },
      }),
    ).to.deep.equal([]);
  });
});

describe("the shipped region stacks' user data (program under the mock monitor)", function () {
  it("renders user data on every launch template of a stack without pins, and lists what it lacks", function () {
    const o = runProgram("prod-us-east-1");
    expect(o.code, o.stderr).to.equal(0);
    const lts = o.evaluation!.resources.filter(
      (r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate",
    );
    expect(lts.map((l) => l.name)).to.have.members([
      "prod-us-east-1-chain-lt",
      "prod-us-east-1-orch-a-lt",
      "prod-us-east-1-orch-b-lt",
      "prod-us-east-1-orch-c-lt",
      "prod-us-east-1-tc-lt",
    ]);
    for (const lt of lts) {
      expect(Buffer.from(String(lt.inputs.userData), "base64").toString()).to.match(
        /^#!\/bin\/bash/,
      );
    }
    expect(
      (o.evaluation!.outputs.deployBlockers as string[]).map((b) => b.split(":")[1]),
    ).to.deep.equal([
      "amis.ubuntu",
      "amis.gpu",
      "nodeRuntime.goLivepeer.sha256.cpu",
      "nodeRuntime.goLivepeer.sha256.gpu",
      "nodeRuntime.nitro.digest",
      "nodeRuntime.pricePerUnit",
      "livepeer.orchestratorAddress",
      "livepeer.redeemerAddress",
      // The fleet file's pin of its metrics workspace (lib/runtime/metrics.ts).
      "metrics.ampWorkspaceId",
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
