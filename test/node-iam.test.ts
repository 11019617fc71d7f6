// Every AWS call a node makes is allowed to its role. The calls are read from the node files each
// kind ships (lib/iam/node-calls.ts: awsapi.py's own boto3 calls, the commands the kind's scripts
// run, the health agent's flags in the rendered user data), the request each becomes is built from
// the plan (the resource ARN, its tags, the condition keys AWS sets), and an IAM evaluation engine
// (@cloud-copilot/iam-simulate, lib/iam/access.ts Simulator) decides it against the role's policies
// as the program renders them. A call whose request the test cannot build fails it: a new call is
// evaluated or the suite says so.
import { expect } from "chai";
import { Simulator, decideRead, type Decision, type SecretRef } from "../lib/iam/access";
import { extractAccessModel, type RoleModel } from "../lib/iam/extract";
import { awsapiCommands, awsapiFunctions, nodeCalls, type NodeCall } from "../lib/iam/node-calls";
import type { Evaluation, RecordedResource } from "../lib/plan/evaluate";
import { parseEnv } from "../lib/userdata";
import { parseStackName } from "../lib/stack";
import { listStacks } from "../lib/config/sources";
import type { NodeKind } from "../lib/runtime-contract";
import { evaluate, PROJECT_DIR } from "./helpers/program";
import { requireBotocore } from "./helpers/tools";
import type { PolicyDocument } from "../lib/iam/policies";

interface Request {
  resource: string;
  context: Record<string, string | string[]>;
  resourcePolicy?: { document: PolicyDocument; name: string };
}

interface Node {
  kind: NodeKind;
  lt: RecordedResource;
  env: Record<string, string>;
  role: RoleModel;
  group: RecordedResource;
}

const out = (r: RecordedResource, key: string) => r.outputs?.[key];

function kindOf(lt: RecordedResource): NodeKind {
  if (lt.name.endsWith("-chain-lt")) return "chain";
  if (/-orch-[a-z]-lt$/.test(lt.name)) return "orchestrator";
  if (lt.name.endsWith("-tc-lt")) return "transcoder";
  throw new Error(`which node kind is launch template ${lt.name}?`);
}

/** Each launch template of a region stack with its rendered env, its role and its group. */
function nodesOf(e: Evaluation, roles: RoleModel[]): Node[] {
  const byType = (t: string) => e.resources.filter((r) => r.type === t);
  return byType("aws:ec2/launchTemplate:LaunchTemplate").map((lt) => {
    const env = parseEnv(Buffer.from(String(lt.inputs.userData), "base64").toString());
    const profileArn = (lt.inputs.iamInstanceProfile as { arn: string }).arn;
    const profile = byType("aws:iam/instanceProfile:InstanceProfile").find(
      (p) => out(p, "arn") === profileArn,
    )!;
    // The profile names its role by the role's physical name (role.name).
    const role = roles.find(
      (r) => r.stack === e.stack && r.roleName === String(profile.inputs.role),
    )!;
    const group = byType("aws:autoscaling/group:Group").find(
      (g) => (g.inputs.launchTemplate as { id: string }).id === out(lt, "id"),
    )!;
    expect(role, `${lt.name}: role`).to.not.equal(undefined);
    expect(group, `${lt.name}: group`).to.not.equal(undefined);
    return { kind: kindOf(lt), lt, env, role, group };
  });
}

const tagContext = (tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));

function instanceTags(lt: RecordedResource, type: string): Record<string, string> | undefined {
  return (
    lt.inputs.tagSpecifications as { resourceType: string; tags: Record<string, string> }[]
  ).find((s) => s.resourceType === type)?.tags;
}

/**
 * The requests AWS authorizes for one call (an action may be authorized on several resources, each
 * must be allowed), built from the plan. Undefined: no model for this action yet.
 */
function requestsFor(
  call: NodeCall,
  n: Node,
  e: Evaluation,
  ctx: { region: string; accountId: string; keyArn: string; keyPolicy: PolicyDocument },
): Request[] | undefined {
  const { region, accountId } = ctx;
  const arn = (service: string, r: string) => `arn:aws:${service}:${region}:${accountId}:${r}`;
  const instance = {
    resource: arn("ec2", "instance/i-0123456789abcdef0"),
    context: tagContext(instanceTags(n.lt, "instance") ?? {}),
  };
  const arg = (i: number) => {
    const a = call.args?.[i] ?? "";
    return /^LF_/.test(a) ? n.env[a] : a;
  };
  switch (call.action) {
    case "s3:GetObjectVersion": {
      const objectArn = `arn:aws:s3:::${n.env.LF_BUNDLE_BUCKET}/${n.env.LF_BUNDLE_KEY}`;
      const endpoint = e.resources.find((r) => r.name.endsWith("-net-s3-endpoint"))!;
      const bucketPolicy = e.resources.find((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy")!;
      return [
        {
          resource: objectArn,
          context: { "aws:SourceVpce": String(out(endpoint, "id")), "aws:SecureTransport": "true" },
          resourcePolicy: {
            document: JSON.parse(String(bucketPolicy.inputs.policy)) as PolicyDocument,
            name: bucketPolicy.name,
          },
        },
      ];
    }
    case "ec2:AssociateAddress": {
      const eip = e.resources.find(
        (r) => r.type === "aws:ec2/eip:Eip" && out(r, "allocationId") === arg(0),
      )!;
      return [
        {
          resource: arn("ec2", `elastic-ip/${arg(0)}`),
          context: tagContext(eip.inputs.tags as Record<string, string>),
        },
        instance,
        {
          resource: arn("ec2", "network-interface/eni-0123456789abcdef0"),
          context: tagContext(instanceTags(n.lt, "network-interface") ?? {}),
        },
      ];
    }
    case "ec2:DescribeVolumes":
      return [{ resource: "*", context: {} }];
    case "ec2:AttachVolume": {
      const volume = e.resources.find(
        (r) => r.type === "aws:ebs/volume:Volume" && out(r, "id") === n.env.LF_DATA_VOLUME_ID,
      )!;
      return [
        {
          resource: arn("ec2", `volume/${n.env.LF_DATA_VOLUME_ID}`),
          context: tagContext(volume.inputs.tags as Record<string, string>),
        },
        instance,
      ];
    }
    case "route53:ChangeResourceRecordSets":
      return [
        {
          resource: `arn:aws:route53:::hostedzone/${arg(0)}`,
          context: {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [arg(1).toLowerCase()],
            "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
          },
        },
      ];
    case "route53:GetChange":
      return [{ resource: "arn:aws:route53:::change/C0123456789ABCDEFGHIJ", context: {} }];
    case "autoscaling:SetInstanceHealth":
    case "autoscaling:CompleteLifecycleAction": {
      const tags = Object.fromEntries(
        (n.group.inputs.tags as { key: string; value: string }[]).map((t) => [t.key, t.value]),
      );
      const name = `${n.group.name}-physical`;
      return [
        {
          resource: arn(
            "autoscaling",
            `autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${name}`,
          ),
          context: tagContext(tags),
        },
      ];
    }
    case "cloudwatch:PutMetricData": {
      // Whatever a node publishes names its namespace on an agent's command line in node.env
      // (LF_HEALTH_ARGS, LF_DEMAND_ARGS...): each one must be allowed.
      const namespaces = new Set(
        Object.values(n.env).flatMap((v) => [...v.matchAll(/--namespace (\S+)/g)].map((m) => m[1])),
      );
      expect(namespaces.size, `${n.lt.name}: a --namespace in node.env`).to.be.greaterThan(0);
      return [...namespaces].map((ns) => ({
        resource: "*",
        context: { "cloudwatch:namespace": ns },
      }));
    }
    case "autoscaling:DescribeAutoScalingInstances":
      return [{ resource: "*", context: {} }];
    default:
      return undefined;
  }
}

/** Decides every call of every node of a stack; returns one line per call that is not allowed. */
async function denied(e: Evaluation, sim: Simulator): Promise<string[]> {
  const stack = e.stack;
  const model = extractAccessModel([e]);
  const key = model.unitKeys.get(stack)!;
  const region = key.region;
  const home = e.resources.some((r) => r.name.endsWith("-identity-read"));
  const ctx = { region, accountId: model.accountId, keyArn: key.arn, keyPolicy: key.policy };
  const problems: string[] = [];
  for (const n of nodesOf(e, model.roles)) {
    const calls = nodeCalls(n.kind, n.env);
    for (const call of calls) {
      const where = `${stack} ${n.lt.name} (${n.kind}): ${call.action} [${call.via}]`;
      if (call.action === "ssm:GetParameter") {
        // A SecureString read is the SSM read and the decrypt through SSM, as decideRead asks.
        // Every parameter the node's env names for this fetch must be readable (a variable the
        // kind leaves empty, like the orchestrator key outside the home region, is not fetched).
        const vars = (call.args?.[0] ?? "").split("|").filter((v) => v.startsWith("LF_"));
        if (vars.length === 0) {
          problems.push(`${where}: the parameter (${call.args?.[0] ?? "?"}) is not from node.env`);
          continue;
        }
        const names = vars.map((v) => n.env[v]).filter((v): v is string => !!v);
        if (names.length === 0) {
          problems.push(`${where}: none of ${vars.join(", ")} is set in the user data`);
        }
        for (const name of names) {
          const ref: SecretRef = {
            stack,
            region,
            home,
            secret: { id: "chain-rpc-endpoints", name, readers: [], suffix: "" },
            arn: `arn:aws:ssm:${region}:${model.accountId}:parameter${name}`,
            key,
          };
          const d = await decideRead(sim, n.role, ref, model.accountId);
          if (!d.ssmReads.includes("ssm:GetParameter") || d.decrypt !== "Allowed") {
            problems.push(
              `${where} ${name}: read ${d.ssmReads.join(",") || "denied"}, decrypt ${d.decrypt}`,
            );
          }
        }
        continue;
      }
      const requests = requestsFor(call, n, e, ctx);
      if (!requests) {
        problems.push(`${where}: no request model for this action in test/node-iam.test.ts`);
        continue;
      }
      for (const r of requests) {
        const d: Decision = await sim.decide({
          role: n.role,
          accountId: model.accountId,
          action: call.action,
          resource: r.resource,
          context: { ...r.context, "aws:RequestedRegion": region },
          resourcePolicy: r.resourcePolicy,
        });
        if (d !== "Allowed") problems.push(`${where} on ${r.resource}: ${d}`);
      }
      if (call.action === "s3:GetObjectVersion") {
        // S3 decrypts an SSE-KMS object with the caller's permission (S3 user guide, "Using
        // server-side encryption with AWS KMS keys"): the object's ARN is the encryption context.
        const objectArn = `arn:aws:s3:::${n.env.LF_BUNDLE_BUCKET}/${n.env.LF_BUNDLE_KEY}`;
        const d = await sim.decide({
          role: n.role,
          accountId: model.accountId,
          action: "kms:Decrypt",
          resource: key.arn,
          context: {
            "kms:ViaService": `s3.${region}.amazonaws.com`,
            "kms:EncryptionContext:aws:s3:arn": objectArn,
            "kms:EncryptionContextKeys": ["aws:s3:arn"],
            "kms:CallerAccount": model.accountId,
            "aws:RequestedRegion": region,
          },
          resourcePolicy: { document: key.policy, name: `${stack} unit key policy` },
        });
        if (d !== "Allowed") problems.push(`${where}: kms:Decrypt of the bundle: ${d}`);
      }
    }
  }
  return problems;
}

describe("every AWS call a node makes is allowed to its role (calls read from the node files, IAM evaluation engine over the plan)", function () {
  this.timeout(300_000);
  before(function () {
    requireBotocore(this);
  });

  it("reads awsapi.py's calls through the functions it calls, and each command's function", function () {
    const source = [
      "def helper():",
      '    return _call("ec2", "describe_addresses", AllocationIds=[])',
      "",
      "def take(a):",
      '    _call("ec2", "associate_address", AllocationId=a)',
      "    helper()",
      "",
      "def upsert(z):",
      '    client("route53").get_waiter("resource_record_sets_changed").wait(Id=z)',
      "",
      "COMMANDS = {",
      '    "take": (lambda a: print(take(a)), 1),',
      '    "upsert": (upsert, 1),',
      "}",
    ].join("\n");
    expect(awsapiFunctions(source).get("take")).to.deep.equal([
      "ec2:AssociateAddress",
      "ec2:DescribeAddresses",
    ]);
    // The waiter's operation, from botocore's waiter model.
    expect(awsapiFunctions(source).get("upsert")).to.deep.equal(["route53:GetChange"]);
    expect([...awsapiCommands(source)]).to.deep.equal([
      ["take", "take"],
      ["upsert", "upsert"],
    ]);
  });

  it("derives each kind's calls from its bundle and its agent's flags", function () {
    const actions = (k: NodeKind, args: string, more: Record<string, string> = {}) =>
      nodeCalls(k, { LF_HEALTH_ARGS: args, ...more }).map((c) => c.action);
    expect(actions("orchestrator", "--mode orchestrator")).to.include.members([
      "ec2:AssociateAddress",
      "route53:ChangeResourceRecordSets",
      "route53:GetChange",
      "ssm:GetParameter",
    ]);
    expect(actions("transcoder", "--mode transcoder")).to.not.include("ec2:AssociateAddress");
    expect(
      actions("transcoder", "--mode transcoder --publish --fault-checks 8"),
    ).to.include.members(["cloudwatch:PutMetricData", "autoscaling:SetInstanceHealth"]);
    expect(actions("chain", "--mode chain")).to.include.members([
      "ec2:AttachVolume",
      "ec2:DescribeVolumes",
    ]);
    // The boot deadline rides in user data, not the bundle: its call counts where it is armed.
    expect(actions("chain", "--mode chain")).to.not.include("autoscaling:SetInstanceHealth");
    expect(actions("chain", "--mode chain", { LF_BOOT_DEADLINE_SECONDS: "2700" })).to.include(
      "autoscaling:SetInstanceHealth",
    );
  });

  const sim = new Simulator();
  for (const stack of listStacks(PROJECT_DIR).filter((s) => parseStackName(s).role === "region")) {
    it(`${stack}: every call of every node is allowed`, async function () {
      expect(await denied(evaluate(stack), sim)).to.deep.equal([]);
    });
  }

  it("fails when a role loses a permission its node uses (the Elastic IP statement removed)", async function () {
    const e = JSON.parse(JSON.stringify(evaluate("prod-us-east-1"))) as Evaluation;
    const policy = e.resources.find((r) => r.name === "prod-us-east-1-orch-b-self")!;
    const doc = JSON.parse(String(policy.inputs.policy)) as { Statement: { Sid?: string }[] };
    doc.Statement = doc.Statement.filter((x) => x.Sid !== "TakeOwnElasticIp");
    policy.inputs.policy = JSON.stringify(doc);
    const problems = await denied(e, sim);
    expect(problems).to.have.length(3);
    for (const p of problems) {
      expect(p).to.match(
        /^prod-us-east-1 prod-us-east-1-orch-b-lt \(orchestrator\): ec2:AssociateAddress /,
      );
      expect(p).to.match(/ImplicitlyDenied$/);
    }
  });
});
