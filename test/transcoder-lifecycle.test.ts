// The transcoder's lifecycle agent (scripts/node/transcoder-lifecycle.py) for real, under Debian's
// python3-boto3, against STAND-INS: IMDSv2 (the target lifecycle state and the spot notice are
// metadata items that are 404 until set), Auto Scaling (the query protocol, SigV4 verified;
// DescribeAutoScalingInstances and CompleteLifecycleAction recorded, "No active Lifecycle Action"
// answered as AWS does), the health agent's /healthz, and a stand-in for systemctl that keeps
// the unit's state in a file and logs every call. Each poll is one `--once` run of the agent over
// the same state directory, so the tests step through a transcoder's life deterministically.
import { expect } from "chai";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import type * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import {
  AwsCall,
  AwsFault,
  AwsStandIn,
  INSTANCE_ID,
  ImdsStandIn,
  SYSTEM_PYTHON,
  awsEnv,
  requireBoto3,
} from "./helpers/aws-stand-ins";
import { NODE_DIR, Proc, startAgent } from "./helpers/node-runtime";
import { freePort, listen } from "./helpers/net";
import { requireTools } from "./helpers/tools";

const TARGET = "meta-data/autoscaling/target-lifecycle-state";
const SPOT = "meta-data/spot/instance-action";
const GROUP = "test-us-east-1-tc-asg-0a1b2c3";
const UNIT = "livepeer-transcoder.service";
const LAUNCH = "test-us-east-1-tc-launch";
const DRAIN = "test-us-east-1-tc-drain";

/** systemctl for the agent: the unit's state in a file, every call logged. */
const SYSTEMCTL = `#!/bin/bash
set -euo pipefail
dir=$LF_TEST_SYSTEMD
echo "$*" >>"$dir/calls"
case $1 in
  is-active) [[ $(cat "$dir/state" 2>/dev/null) == active ]] ;;
  start) echo active >"$dir/state" ;;
  stop) echo inactive >"$dir/state" ;;
  *) exit 1 ;;
esac
`;

interface Completion {
  hook: string;
  group: string;
  result: string;
  instance: string;
  /** The systemctl calls made before this one arrived. */
  systemctlBefore: string[];
  signatureOk: boolean;
}

describe("transcoder lifecycle agent (IMDS, Auto Scaling, health and systemctl stand-ins)", function () {
  const imds = new ImdsStandIn();
  const autoscaling = new AwsStandIn("autoscaling", "query");
  let health: http.Server;
  let healthUrl = "";
  let healthy = false;
  /** The 503 body: the health agent's run_checks report names its failed checks, sorted. */
  let failed: string[] = [];
  let dir: string;
  let systemd: string;
  let state: string;
  let completions: Completion[] = [];
  /** Hooks with an action waiting on this instance (CompleteLifecycleAction clears one). */
  let waiting = new Set<string>();
  let failNext: AwsFault | undefined;

  before(async function () {
    requireTools(this, "python3", "bash");
    requireBoto3(this);
    await Promise.all([imds.start(), autoscaling.start()]);
    autoscaling.on(
      "DescribeAutoScalingInstances",
      (c) =>
        `<AutoScalingInstances><member><InstanceId>${String(c.params.get("InstanceIds.member.1"))}</InstanceId>` +
        `<AutoScalingGroupName>${GROUP}</AutoScalingGroupName><AvailabilityZone>us-east-1a</AvailabilityZone>` +
        `<LifecycleState>Pending:Wait</LifecycleState><HealthStatus>HEALTHY</HealthStatus>` +
        `<ProtectedFromScaleIn>false</ProtectedFromScaleIn></member></AutoScalingInstances>`,
    );
    autoscaling.on("CompleteLifecycleAction", (c: AwsCall) => {
      const hook = String(c.params.get("LifecycleHookName"));
      if (failNext) {
        const f = failNext;
        failNext = undefined;
        return f;
      }
      if (!waiting.has(hook)) {
        // AWS's answer when no action waits (e.g. convox/rack#2432, va.gov-cms#1719).
        return new AwsFault(
          "ValidationError",
          `No active Lifecycle Action found with instance ID ${String(c.params.get("InstanceId"))}`,
        );
      }
      waiting.delete(hook);
      completions.push({
        hook,
        group: String(c.params.get("AutoScalingGroupName")),
        result: String(c.params.get("LifecycleActionResult")),
        instance: String(c.params.get("InstanceId")),
        systemctlBefore: calls(),
        signatureOk: c.signatureOk,
      });
      // AWS answers an empty <CompleteLifecycleActionResult/>, which botocore expects (the
      // operation's output shape has a resultWrapper): a blank body makes the stand-in write it.
      return " ";
    });
    const h = await listen(
      (_req, res) =>
        void res
          .writeHead(healthy ? 200 : 503)
          .end(JSON.stringify(healthy ? { status: "ok", failed: [] } : { status: "fail", failed })),
    );
    health = h.server;
    healthUrl = `http://127.0.0.1:${h.port}/healthz`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lf-lifecycle-"));
    fs.writeFileSync(path.join(dir, "systemctl"), SYSTEMCTL, { mode: 0o755 });
  });

  beforeEach(function () {
    systemd = fs.mkdtempSync(path.join(dir, "systemd-"));
    state = fs.mkdtempSync(path.join(dir, "state-"));
    completions = [];
    waiting = new Set();
    failNext = undefined;
    healthy = false;
    failed = ["livepeer", "orchestrator"];
    autoscaling.calls = [];
    delete imds.values[TARGET];
    delete imds.values[SPOT];
  });

  after(async function () {
    await Promise.all([imds.stop(), autoscaling.stop()]);
    health?.closeAllConnections();
    await new Promise((r) => (health ? health.close(r) : r(undefined)));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function calls(): string[] {
    const f = path.join(systemd, "calls");
    return fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n") : [];
  }
  const changes = () => calls().filter((c) => !c.startsWith("is-active"));

  /** One poll of the agent (a fresh process over the same state directory). */
  function poll(hooks: { launch?: boolean; drain?: boolean } = { launch: true, drain: true }) {
    const args = [
      path.join(NODE_DIR, "transcoder-lifecycle.py"),
      ...["--health-url", healthUrl, "--unit", UNIT, "--interval", "1", "--once"],
      ...["--link-wait-polls", "3"],
      ...["--state-dir", state, "--systemctl", path.join(dir, "systemctl"), "--aws-timeout", "5"],
      ...(hooks.launch ? ["--launch-hook", LAUNCH] : []),
      ...(hooks.drain ? ["--drain-hook", DRAIN] : []),
    ];
    const env = {
      ...awsEnv(imds, { AUTOSCALING: autoscaling }),
      LF_TEST_SYSTEMD: systemd,
      PYTHONDONTWRITEBYTECODE: "1",
    };
    return new Promise<{ code: number; out: string; status: Record<string, unknown> }>(
      (resolve) => {
        const child = spawn(SYSTEM_PYTHON, args, { env });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 60000);
        child.on("close", (code) => {
          clearTimeout(timer);
          const status = JSON.parse(
            fs.readFileSync(path.join(state, "status.json"), "utf8"),
          ) as Record<string, unknown>;
          resolve({ code: code ?? -1, out, status });
        });
      },
    );
  }

  it("before Auto Scaling sets a target (404): does nothing at all", async function () {
    const r = await poll();
    expect(r.code, r.out).to.equal(0);
    expect(r.status).to.include({ polls: 1, target: null, served: false, last_error: null });
    expect(calls()).to.deep.equal([]);
    expect(autoscaling.calls).to.deep.equal([]);
    expect(r.out).to.include("target lifecycle state: none yet (404)");
  });

  it("a new instance warmed for the warm pool: never starts go-livepeer, completes the launch hook once", async function () {
    imds.values[TARGET] = "Warmed:Stopped";
    waiting.add(LAUNCH);
    const once = await poll();
    expect(once.status.done, once.out).to.deep.equal([`Warmed:Stopped|${LAUNCH}`]);
    expect(changes()).to.deep.equal([]);
    expect(completions).to.have.length(1);
    expect(completions[0]).to.deep.include({
      hook: LAUNCH,
      group: GROUP,
      result: "CONTINUE",
      instance: INSTANCE_ID,
      signatureOk: true,
    });
    // Once per target: the next poll (the instance not stopped yet) does not complete it again.
    const again = await poll();
    expect(autoscaling.signed("CompleteLifecycleAction"), again.out).to.have.length(1);
    // IMDSv2 for every metadata read, the new items included.
    expect(imds.requests.filter((q) => q.path === TARGET).every((q) => q.token)).to.equal(true);
  });

  it("in service: starts go-livepeer, and completes the launch hook only once the health agent says it is registered", async function () {
    imds.values[TARGET] = "InService";
    waiting.add(LAUNCH);
    const first = await poll();
    expect(changes()).to.deep.equal([`start ${UNIT}`]);
    expect(first.status).to.include({ served: true });
    expect(completions).to.deep.equal([]);
    await poll();
    // Started already: not again; still not registered: still no completion.
    expect(changes()).to.deep.equal([`start ${UNIT}`]);
    expect(completions).to.deep.equal([]);
    healthy = true;
    await poll();
    expect(completions.map((c) => [c.hook, c.result])).to.deep.equal([[LAUNCH, "CONTINUE"]]);
    expect(completions[0].systemctlBefore).to.include(`start ${UNIT}`);
  });

  it("in service, ready but its orchestrator unreachable: completes the launch hook after --link-wait-polls polls in a row, not before", async function () {
    // Abandoning would relaunch every new transcoder of the AZ while its orchestrator is down.
    imds.values[TARGET] = "InService";
    waiting.add(LAUNCH);
    failed = ["orchestrator"];
    await poll();
    await poll();
    expect(completions).to.deep.equal([]);
    // A poll where go-livepeer is not answering either breaks the run.
    failed = ["livepeer", "orchestrator"];
    const broken = await poll();
    expect(broken.status).to.include({ link_waits: 0 });
    failed = ["orchestrator"];
    await poll();
    await poll();
    expect(completions).to.deep.equal([]);
    const third = await poll();
    expect(third.out).to.match(/completing the launch hook on local readiness/);
    expect(completions.map((c) => [c.hook, c.result])).to.deep.equal([[LAUNCH, "CONTINUE"]]);
    // Done: later polls neither count nor complete again.
    await poll();
    expect(completions).to.have.length(1);
  });

  it("in service but not ready on its own (no GPU): never completes the launch hook, whose ABANDON replaces it", async function () {
    imds.values[TARGET] = "InService";
    waiting.add(LAUNCH);
    failed = ["gpu", "orchestrator"];
    for (let i = 0; i < 5; i++) await poll();
    expect(completions).to.deep.equal([]);
  });

  it("scale-in: stops go-livepeer first, then completes the drain hook", async function () {
    imds.values[TARGET] = "InService";
    healthy = true;
    await poll({ drain: true });
    imds.values[TARGET] = "Terminated";
    waiting.add(DRAIN);
    const r = await poll({ drain: true });
    expect(changes()).to.deep.equal([`start ${UNIT}`, `stop ${UNIT}`]);
    expect(completions).to.have.length(1);
    expect(completions[0]).to.deep.include({ hook: DRAIN, result: "CONTINUE", group: GROUP });
    // The orchestrator had lost this transcoder before Auto Scaling was told to go on.
    expect(completions[0].systemctlBefore).to.include(`stop ${UNIT}`);
    expect(r.out).to.match(/stopping livepeer-transcoder\.service \(its orchestrator moves/);
  });

  it("scale-in back into the warm pool after serving: stops go-livepeer, completes the TERMINATING hook there", async function () {
    imds.values[TARGET] = "InService";
    await poll();
    imds.values[TARGET] = "Warmed:Stopped";
    waiting.add(DRAIN);
    await poll();
    expect(changes()).to.deep.equal([`start ${UNIT}`, `stop ${UNIT}`]);
    expect(completions.map((c) => c.hook)).to.deep.equal([DRAIN]);
  });

  it("the expected hook has nothing waiting: says so and completes the other one", async function () {
    imds.values[TARGET] = "Warmed:Stopped";
    // A fresh instance would wait on the launch hook; this one waits on the drain hook.
    waiting.add(DRAIN);
    const r = await poll();
    expect(r.out).to.match(
      /lifecycle hook test-us-east-1-tc-launch: nothing waiting \(.*No active Lifecycle Action/,
    );
    expect(completions.map((c) => c.hook)).to.deep.equal([DRAIN]);
  });

  it("a hook with nothing waiting at all (an instance older than the hooks) is taken as done", async function () {
    imds.values[TARGET] = "InService";
    healthy = true;
    const r = await poll();
    expect(r.code).to.equal(0);
    expect(r.status).to.include({ last_error: null });
    await poll();
    // Asked once, not at every poll.
    expect(autoscaling.signed("CompleteLifecycleAction")).to.have.length(1);
  });

  it("an AWS error is retried at the next poll, not taken as done", async function () {
    imds.values[TARGET] = "Terminated";
    waiting.add(DRAIN);
    failNext = new AwsFault("ResourceContention", "You already have a pending update", 500);
    const failed = await poll();
    expect(failed.status.last_error).to.match(/CompleteLifecycleAction: ResourceContention/);
    expect(completions).to.deep.equal([]);
    await poll();
    expect(completions.map((c) => c.hook)).to.deep.equal([DRAIN]);
  });

  it("a spot interruption notice: stops go-livepeer and completes nothing (EC2 terminates it anyway)", async function () {
    imds.values[TARGET] = "InService";
    await poll();
    imds.values[SPOT] = '{"action": "terminate", "time": "2026-03-02T08:22:00Z"}';
    waiting.add(DRAIN);
    const r = await poll();
    expect(changes()).to.deep.equal([`start ${UNIT}`, `stop ${UNIT}`]);
    expect(completions).to.deep.equal([]);
    expect(r.out).to.include("spot interruption notice");
  });

  it("standby: stops go-livepeer; back in service: starts it again", async function () {
    imds.values[TARGET] = "InService";
    await poll({});
    imds.values[TARGET] = "Standby";
    await poll({});
    imds.values[TARGET] = "InService";
    await poll({});
    expect(changes()).to.deep.equal([`start ${UNIT}`, `stop ${UNIT}`, `start ${UNIT}`]);
    expect(autoscaling.calls).to.deep.equal([]);
  });

  it("refuses a command line without its unit, health URL or interval", async function () {
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync(SYSTEM_PYTHON, [path.join(NODE_DIR, "transcoder-lifecycle.py")], {
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--health-url.*--unit.*--interval/);
  });

  it("refuses --link-wait-polls that is not a whole number of at least 1, starting nothing", async function () {
    const { spawnSync } = await import("node:child_process");
    for (const bad of ["0", "-3", "2.5", "soon"]) {
      const r = spawnSync(
        SYSTEM_PYTHON,
        [
          path.join(NODE_DIR, "transcoder-lifecycle.py"),
          ...["--health-url", healthUrl, "--unit", UNIT, "--interval", "1"],
          ...["--systemctl", path.join(dir, "systemctl"), "--link-wait-polls", bad],
        ],
        { encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
      );
      expect(r.status, bad).to.equal(2);
      expect(r.stderr, bad).to.match(/--link-wait-polls/);
    }
    expect(calls()).to.deep.equal([]);
  });

  describe("reading the real health agent's /healthz (transcoder mode)", function () {
    // The lifecycle agent's "ready on its own" is the health agent's 503 naming only the
    // orchestrator check; this runs both for real, so a change to the agent's report that the
    // lifecycle agent would misread fails here.
    let cli: http.Server | undefined;
    let agent: Proc | undefined;
    let saved = "";
    async function realAgent(statusUrl: string): Promise<void> {
      const closed = await freePort(); // nothing listens: the orchestrator is down
      const started = await startAgent(
        [
          ...["--mode", "transcoder", "--status-url", statusUrl],
          ...["--orch-addr", `127.0.0.1:${closed}`],
          // The fault watcher's first check has no streak to report; no later check runs here.
          ...["--fault-interval", "3600", "--fault-checks", "3"],
        ],
        awsEnv(imds, { AUTOSCALING: autoscaling }),
      );
      agent = started.proc;
      saved = healthUrl;
      healthUrl = started.url;
    }
    afterEach(async function () {
      await agent?.stop();
      agent = undefined;
      if (saved) healthUrl = saved;
      saved = "";
      cli?.closeAllConnections();
      await new Promise((r) => (cli ? cli.close(r) : r(undefined)));
      cli = undefined;
    });

    it("go-livepeer answering, orchestrator unreachable: completes the launch hook after the link wait", async function () {
      // go-livepeer's CLI /status (common.NodeStatus as JSON).
      const c = await listen(
        (_req, res) =>
          void res
            .writeHead(200, { "Content-Type": "application/json" })
            .end(JSON.stringify({ Version: "0.9.1" })),
      );
      cli = c.server;
      await realAgent(`http://127.0.0.1:${c.port}/status`);
      imds.values[TARGET] = "InService";
      waiting.add(LAUNCH);
      await poll();
      await poll();
      expect(completions).to.deep.equal([]);
      const third = await poll();
      expect(third.status).to.include({ link_waits: 3 });
      expect(completions.map((x) => [x.hook, x.result])).to.deep.equal([[LAUNCH, "CONTINUE"]]);
    });

    it("go-livepeer's CLI not answering either: never completes (the hook's ABANDON replaces it)", async function () {
      await realAgent(`http://127.0.0.1:${await freePort()}/status`);
      imds.values[TARGET] = "InService";
      waiting.add(LAUNCH);
      for (let i = 0; i < 4; i++) {
        const r = await poll();
        expect(r.status).to.include({ link_waits: 0 });
      }
      expect(completions).to.deep.equal([]);
    });
  });
});
