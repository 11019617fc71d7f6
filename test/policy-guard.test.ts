// The program's policy guard (policy/guard.ts): the pack's rules run inside the program, on each
// resource's literal inputs, before the resource is registered. Unit tests of the guard, then two
// programs under the SDK's mock monitor in a child process each (the runtime is one per process):
// a fixture program whose component builds a violating child, and the real program with a config
// that makes it build a violating resource.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { literalProps, PolicyGuard, PolicyGuardError } from "../policy/guard";
import { PolicyContext, UNKNOWN } from "../policy/rules";
import { effectiveConfig } from "../lib/config/sources";
import { deepMerge } from "../lib/config/load";
import { PROJECT_DIR } from "./helpers/program";

const ctx: PolicyContext = {
  publicPorts: [{ protocol: "tcp", port: 8935, why: "Livepeer service" }],
  vpcCidrs: ["10.10.0.0/16"],
};
const KEY = "arn:aws:kms:us-east-1:123456789012:key/unit";

interface RunResult {
  registered: string[] | null;
  error?: { name: string; message: string };
}

/** Runs PROJECT_DIR/index.ts for `stack` with `config` in test/fixtures/guard-runner.ts. */
function run(projectDir: string, stack: string, config: Record<string, unknown>): RunResult {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lf-guard-")), "config.json");
  fs.writeFileSync(file, JSON.stringify(config));
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(__dirname, "fixtures", "guard-runner.ts"),
      projectDir,
      stack,
      file,
    ],
    { cwd: PROJECT_DIR, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`runner failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as RunResult;
}

/** A stack's config from its files, deep-merged with overrides (full keys). */
function stackConfig(stack: string, overrides: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(effectiveConfig(PROJECT_DIR, stack))) {
    merged[k] = typeof v === "string" && /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  for (const [k, v] of Object.entries(overrides)) merged[k] = deepMerge(merged[k], v);
  return merged;
}

describe("policy guard: rules checked inside the program", () => {
  it("reads a resource's literal inputs; outputs, resources and assets are unknown", () => {
    const out = literalProps({
      cidrIpv4: "0.0.0.0/1",
      ports: [22, { to: 23 }],
      kmsKeyId: pulumi.output(KEY),
      pending: Promise.resolve("x"),
      code: new pulumi.asset.StringAsset("print(1)"),
      when: new Date(0),
    });
    expect(out).to.deep.equal({
      cidrIpv4: "0.0.0.0/1",
      ports: [22, { to: 23 }],
      kmsKeyId: UNKNOWN,
      pending: UNKNOWN,
      code: UNKNOWN,
      when: UNKNOWN,
    });
  });

  it("names each broken rule of a literal violation, and passes what it cannot know", () => {
    const guard = new PolicyGuard(ctx);
    const v = guard.check({
      type: "aws:ec2/launchTemplate:LaunchTemplate",
      name: "lt",
      props: {
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 },
        blockDeviceMappings: [
          { deviceName: "/dev/sdf", ebs: { encrypted: "true", kmsKeyId: KEY } },
        ],
      },
    });
    expect(v.map((x) => x.rule).sort()).to.deep.equal([
      "block-device-customer-key",
      "imdsv2-required",
      "unit-key-only",
    ]);
    const known = guard.check({
      type: "aws:ebs/volume:Volume",
      name: "v",
      props: { encrypted: true, kmsKeyId: UNKNOWN },
    });
    expect(known).to.deep.equal([]);
  });

  it("runs the stack rules against the resources registered before", () => {
    const guard = new PolicyGuard(ctx);
    guard.check({ type: "aws:kms/alias:Alias", name: "a", props: { name: "alias/unit" } });
    const own = guard.check({
      type: "aws:ssm/parameter:Parameter",
      name: "p",
      props: { type: "SecureString", keyId: "alias/unit" },
    });
    expect(own).to.deep.equal([]);
    const foreign = guard.check({
      type: "aws:ssm/parameter:Parameter",
      name: "q",
      props: { type: "SecureString", keyId: "arn:aws:kms:us-east-1:999999999999:key/x" },
    });
    expect(foreign.map((x) => x.rule)).to.deep.equal(["unit-key-only"]);
  });

  it("refuses with a RunError naming the resource, each rule and what to do", () => {
    const err = new PolicyGuardError("aws:lb/listener:Listener", "l", [
      { rule: "load-balancer-port-allowlist", message: "listener l uses port 8545" },
    ]);
    expect(pulumi.RunError.isInstance(err)).to.equal(true);
    expect(err.message).to.include('aws:lb/listener:Listener "l"');
    expect(err.message).to.include("load-balancer-port-allowlist: listener l uses port 8545");
    expect(err.message).to.include("Deploy with the policy pack");
  });

  describe("under the mock monitor (child processes)", function () {
    this.timeout(120_000);

    it("stops a program at a component's violating child, before it is registered", () => {
      const r = run(path.join(__dirname, "fixtures", "guard-program"), "prod-us-east-1", {});
      expect(r.error?.name).to.equal("PolicyGuardError");
      expect(r.error?.message).to.include(
        'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule "bad-ssh"',
      );
      expect(r.error?.message).to.include("no-ssh-ingress");
      expect(r.error?.message).to.include("public-ingress-allowlist");
      expect(r.error?.message).to.include("128.0.0.0/1");
      // Registered: what came before. Not registered: the violating child and all after it.
      expect(r.registered).to.include.members(["fixture-aws", "ok-sg", "bad"]);
      expect(r.registered).not.to.include("bad-ssh");
      expect(r.registered).not.to.include("after");
    });

    it("stops the real program when its config makes it build a violating resource", () => {
      // The health agent on go-livepeer's CLI port passes the schema today (it only has to
      // differ from the service port), but the node group would then open 7935 to the VPC and
      // health-check it: the guard refuses that resource.
      const r = run(
        PROJECT_DIR,
        "prod-us-east-1",
        stackConfig("prod-us-east-1", { "livepeer-fleet:livepeer": { healthPort: 7935 } }),
      );
      expect(r.error?.name).to.equal("PolicyGuardError");
      expect(r.error?.message).to.include("livepeer-cli-port-never-exposed");
      const refused = /"([^"]+)" breaks the policy pack/.exec(r.error?.message ?? "")?.[1];
      expect(refused, r.error?.message).to.be.a("string");
      expect(r.registered).to.have.length.greaterThan(0);
      expect(r.registered).not.to.include(refused);
    });

    it("lets the shipped stacks through (the guard is on in every plan and test run)", () => {
      const r = run(PROJECT_DIR, "prod-us-east-1", stackConfig("prod-us-east-1", {}));
      expect(r.error).to.equal(undefined);
      expect(r.registered).to.have.length.greaterThan(100);
    });
  });
});
