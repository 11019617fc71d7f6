// Evaluates the real program for one stack under the Pulumi SDK's mock monitor and records every
// resource registration (type, name, parent, provider, protect, ignoreChanges, inputs) and every
// invoke. The Pulumi runtime is one per process, so stacks are evaluated one after another, never
// at once: each evaluation resets it (setMocks resets every runtime setting, the stack resource
// and the config) and runs the program module afresh. scripts/plan-stack.ts --serve plans many
// stacks in one process this way; test/plan.test.ts checks that a stack evaluated after another
// is recorded exactly as in a process of its own.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { deserializeProperties, specialSigKey, specialSecretSig } from "@pulumi/pulumi/runtime/rpc";
import type {
  RegisterResourceRequest,
  RegisterResourceResponse,
} from "@pulumi/pulumi/proto/resource_pb";
import { effectiveConfig, stackDir } from "../config/sources";
import { parseStackName } from "../stack";
import { OFFLINE_PLAN_ENV } from "../runtime/releases";

export const MOCK_ACCOUNT_ID = "123456789012";
export const SECRET = "[secret]";

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** Parent URN ("" for the stack's direct children). */
  parent: string;
  provider: string;
  custom: boolean;
  protect: boolean;
  /** Kept in the cloud when Pulumi deletes it (a refactor, a destroy). */
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  dependsOn: string[];
  inputs: Record<string, unknown>;
  /** What the mock provider returned: id and state (inputs plus computed ids and ARNs). */
  outputs?: Record<string, unknown>;
}

export interface RecordedInvoke {
  token: string;
  inputs: Record<string, unknown>;
  provider: string;
}

export interface Evaluation {
  stack: string;
  resources: RecordedResource[];
  invokes: RecordedInvoke[];
  outputs: Record<string, unknown>;
}

/** Thrown for an invoke the mocks do not know: a new data source must be mocked on purpose. */
export class UnmockedInvokeError extends Error {
  override name = "UnmockedInvokeError";
}

function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    if (o[specialSigKey] === specialSecretSig) return SECRET;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, redact(x)]));
  }
  return v;
}

/** Invoke results, by token. Anything else throws. */
export function mockCall(
  token: string,
  inputs: Record<string, unknown>,
  region: string,
): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: MOCK_ACCOUNT_ID,
        arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/plan`,
        userId: "AIDAPLAN",
        id: MOCK_ACCOUNT_ID,
      };
    case "aws:index/getPartition:getPartition":
      return {
        partition: "aws",
        dnsSuffix: "amazonaws.com",
        id: "aws",
        reverseDnsPrefix: "com.amazonaws",
      };
    case "aws:ssm/getParameter:getParameter":
      // Public AMI parameters: a stable fake id so plans are reproducible.
      return {
        name: inputs.name,
        value: "ami-0123456789abcdef0",
        insecureValue: "ami-0123456789abcdef0",
        type: "String",
        version: 1,
        arn: `arn:aws:ssm:${region}::parameter${String(inputs.name)}`,
        id: inputs.name,
      };
    default:
      throw new UnmockedInvokeError(
        `invoke ${token} is not mocked: add it to lib/plan/evaluate.ts mockCall on purpose`,
      );
  }
}

/** A small stable hash for mock ids (not cryptographic). */
function hashOf(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}

function service(type: string): string {
  return type.split(":")[1]?.split("/")[0] ?? "unknown";
}

/** Computed outputs a real provider would return, so dependents resolve to readable values. */
export function mockState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  region: string,
): Record<string, unknown> {
  const arn = `arn:aws:${service(type)}:${region}:${MOCK_ACCOUNT_ID}:${name}`;
  // An explicit physical name where the program sets one (ELBv2 names), else the logical name.
  const physical = typeof inputs.name === "string" ? inputs.name : name;
  const state: Record<string, unknown> = { ...inputs, arn };
  switch (type) {
    case "aws:kms/key:Key":
      state.keyId = `${name}-key-id`;
      state.arn = `arn:aws:kms:${region}:${MOCK_ACCOUNT_ID}:key/${name}-key-id`;
      break;
    case "aws:ec2/launchTemplate:LaunchTemplate":
      state.latestVersion = 1;
      state.defaultVersion = 1;
      break;
    case "aws:lb/loadBalancer:LoadBalancer":
      state.dnsName = `${physical}-0123456789abcdef.elb.${region}.amazonaws.com`;
      state.arnSuffix = `net/${physical}/0123456789abcdef`;
      // An NLB's canonical hosted zone (alias records point at it); a fixed fake id here.
      state.zoneId = "ZNLBPLANMOCK";
      break;
    case "aws:lb/targetGroup:TargetGroup":
      state.arnSuffix = `targetgroup/${physical}/0123456789abcdef`;
      break;
    case "aws:ec2/eip:Eip": {
      // A documentation address (RFC 5737) per EIP, and EC2's public DNS form for it.
      const ip = `203.0.113.${10 + (hashOf(name) % 200)}`;
      state.publicIp = ip;
      state.publicDns =
        region === "us-east-1"
          ? `ec2-${ip.replace(/\./g, "-")}.compute-1.amazonaws.com`
          : `ec2-${ip.replace(/\./g, "-")}.${region}.compute.amazonaws.com`;
      state.allocationId = `eipalloc-${name}`;
      break;
    }
    case "aws:s3/bucket:Bucket":
      state.bucket = `${name}-plan`;
      state.arn = `arn:aws:s3:::${name}-plan`;
      break;
    case "aws:s3/bucketObjectv2:BucketObjectv2":
      state.versionId = `v-${hashOf(typeof inputs.contentBase64 === "string" ? inputs.contentBase64 : "").toString(16)}`;
      break;
    case "aws:cloudwatch/logGroup:LogGroup":
      // The real ARN format: IAM policies and EventBridge targets are built from it.
      state.name = typeof inputs.name === "string" ? inputs.name : name;
      state.arn = `arn:aws:logs:${region}:${MOCK_ACCOUNT_ID}:log-group:${String(state.name)}`;
      break;
    case "aws:route53/zone:Zone":
      state.zoneId = `Z${name.toUpperCase().replace(/[^A-Z0-9]/g, "")}`.slice(0, 20);
      break;
    case "aws:autoscaling/group:Group":
    case "aws:iam/role:Role":
      state.name = inputs.name ?? `${name}-physical`;
      break;
    default:
      if (state.name === undefined) state.name = name;
  }
  return state;
}

/** The root resource the language host wraps every program in (sdk runtime/stack.ts). */
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

class RecordingMonitor extends MockMonitor {
  private rootUrn = "";

  constructor(
    mocks: pulumi.runtime.Mocks,
    private readonly sink: RecordedResource[],
  ) {
    super(mocks);
  }

  override async registerResource(
    req: RegisterResourceRequest,
    callback: (err: unknown, res: RegisterResourceResponse) => void,
  ): Promise<void> {
    const object = req.getObject();
    const inputs = (object ? redact(deserializeProperties(object)) : {}) as Record<string, unknown>;
    // The engine leaves the root stack's type out of its children's URNs
    // (urn:pulumi:STACK::PROJECT::TYPE::NAME), where MockMonitor would prefix it: present the
    // stack's children as top-level so the plan's URNs are a deployment's (the runbooks quote them).
    if (this.rootUrn !== "" && req.getParent() === this.rootUrn) req.setParent("");
    await super.registerResource(req, (err: unknown, res: RegisterResourceResponse) => {
      if (!err && req.getType() === ROOT_STACK_TYPE) {
        this.rootUrn = res.getUrn();
      } else if (!err) {
        const state = res.getObject();
        this.sink.push({
          urn: res.getUrn(),
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent(),
          provider: req.getProvider(),
          custom: req.getCustom(),
          protect: req.getProtect() === true,
          retainOnDelete: req.getRetainondelete() === true,
          deleteBeforeReplace: req.getDeletebeforereplace() === true,
          ignoreChanges: req.getIgnorechangesList(),
          dependsOn: req.getDependenciesList(),
          inputs,
          outputs: {
            id: res.getId(),
            ...((state ? redact(deserializeProperties(state)) : {}) as Record<string, unknown>),
          },
        });
      }
      callback(err, res);
    });
  }
}

export interface EvaluateOptions {
  projectDir: string;
  stack: string;
  /** Config map to use instead of the project + stack files (tests). */
  config?: Record<string, string>;
  /**
   * Evaluate as `pulumi preview`/`up` would: without the offline plan's leave to render an
   * undeployable stack, so the program refuses it (the deploy order's tests). Default false.
   */
  asDeploy?: boolean;
}

/** Waits until every registration already sent has been answered (the SDK's RPC queue drains). */
function settle(): Promise<void> {
  return pulumi.runtime.disconnect();
}

/** The region the mocks give a stack's ARNs: its own, or us-east-1 for the fleet stack. */
export function evaluationRegion(stack: string): string {
  const role = parseStackName(stack);
  return role.role === "region" ? role.region : "us-east-1";
}

/**
 * Installs the recording mock monitor for `stack` in this process: every registration and invoke
 * from then on lands in the returned arrays. The program evaluation below uses it, and component
 * tests use it to build components in-process from fixture args.
 */
export async function installRecordingMocks(
  stack: string,
  region: string,
): Promise<{ resources: RecordedResource[]; invokes: RecordedInvoke[] }> {
  const resources: RecordedResource[] = [];
  const invokes: RecordedInvoke[] = [];
  const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => ({
      // A bucket's id is its name; everything else gets a readable fake id.
      id: args.type === "aws:s3/bucket:Bucket" ? `${args.name}-plan` : `${args.name}-id`,
      state: args.type.startsWith("pulumi:providers:")
        ? {}
        : mockState(args.type, args.name, args.inputs as Record<string, unknown>, region),
    }),
    call: (args) => {
      invokes.push({
        token: args.token,
        inputs: args.inputs as Record<string, unknown>,
        provider: args.provider ?? "",
      });
      return mockCall(args.token, args.inputs as Record<string, unknown>, region);
    },
  };
  await pulumi.runtime.setMocks(mocks, "livepeer-fleet", stack, false);
  pulumi.runtime.setMockOptions(
    new RecordingMonitor(mocks, resources),
    "livepeer-fleet",
    stack,
    false,
  );
  return { resources, invokes };
}

/**
 * A program that throws rejects the root stack's promises more than once (its outputs, its data),
 * some after the evaluation has returned: the first is caught by evaluateStack, the others must
 * not crash the process (an evaluation worker goes on with the next stack). Any other unhandled
 * rejection still does.
 */
const programErrors = new WeakSet<object>();
let ignoring = false;
function ignoreRepeatedProgramErrors(): void {
  if (ignoring) return;
  ignoring = true;
  process.on("unhandledRejection", (reason) => {
    if (typeof reason === "object" && reason !== null && programErrors.has(reason)) return;
    setImmediate(() => {
      throw reason;
    });
  });
}

/** Runs the program at projectDir/index.ts for one stack under mocks. One at a time. */
export async function evaluateStack(opts: EvaluateOptions): Promise<Evaluation> {
  const region = evaluationRegion(opts.stack);
  const { resources, invokes } = await installRecordingMocks(opts.stack, region);
  pulumi.runtime.setAllConfig(
    opts.config ?? effectiveConfig(opts.projectDir, opts.stack, stackDir(opts.projectDir)),
  );
  // The program refuses to deploy a stack that lacks release pins; the offline plan shows it
  // (index.ts lists them as deployBlockers) so `npm run plan` works before they are filled in.
  if (opts.asDeploy) delete process.env[OFFLINE_PLAN_ENV];
  else process.env[OFFLINE_PLAN_ENV] = "1";

  let program: Record<string, unknown> = {};
  const entry = path.join(opts.projectDir, "index.ts");
  // The program builds its stack when its module runs: run it again for this stack. The modules
  // it imports keep no state between stacks (classes and pure functions; the watcher bundle,
  // cached, is the same bytes for every stack).
  delete require.cache[require.resolve(entry)];
  ignoreRepeatedProgramErrors();
  try {
    // Inside a root stack resource, as the language host runs a program: stack transformations
    // (the policy guard) need it, and resources get the same parents and URNs as in a deployment.
    await pulumi.runtime.runInPulumiStack(() => {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        program = require(entry) as Record<string, unknown>;
      } catch (err) {
        if (typeof err === "object" && err !== null) programErrors.add(err);
        throw err;
      }
      return Promise.resolve(undefined);
    });
  } catch (err) {
    // Tell the caller how much was registered before the program failed: invalid config must
    // fail before the first resource (and the policy guard before the resource it refuses).
    await settle();
    if (err instanceof Error) {
      Object.assign(err, {
        registeredBeforeError: resources.length,
        registeredNames: resources.map((r) => r.name),
      });
    }
    throw err;
  }
  const outputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(program)) {
    outputs[k] = pulumi.Output.isInstance(v)
      ? await new Promise((resolve) => v.apply(resolve))
      : Array.isArray(v)
        ? await Promise.all(
            v.map((x: unknown) =>
              pulumi.Output.isInstance(x) ? new Promise((resolve) => x.apply(resolve)) : x,
            ),
          )
        : v;
  }
  await pulumi.runtime.disconnect();
  return {
    stack: opts.stack,
    resources,
    invokes,
    outputs: redact(outputs) as Record<string, unknown>,
  };
}
