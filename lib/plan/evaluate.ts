// Evaluates the real program for one stack under the Pulumi SDK's mock monitor and records every
// resource registration (type, name, parent, provider, protect, ignoreChanges, inputs) and every
// invoke. The Pulumi runtime is one per process: call this once per process (scripts/plan-stack.ts
// runs it in a child process per stack).
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { deserializeProperties, specialSigKey, specialSecretSig } from "@pulumi/pulumi/runtime/rpc";
import type {
  RegisterResourceRequest,
  RegisterResourceResponse,
} from "@pulumi/pulumi/proto/resource_pb";
import { effectiveConfig } from "../config/sources";
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
  ignoreChanges: string[];
  dependsOn: string[];
  inputs: Record<string, unknown>;
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
      state.dnsName = `${name}.elb.${region}.amazonaws.com`;
      state.arnSuffix = `net/${name}/0123456789abcdef`;
      break;
    case "aws:lb/targetGroup:TargetGroup":
      state.arnSuffix = `targetgroup/${name}/0123456789abcdef`;
      break;
    case "aws:ec2/eip:Eip":
      state.publicIp = "203.0.113.10";
      state.allocationId = `eipalloc-${name}`;
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

class RecordingMonitor extends MockMonitor {
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
    await super.registerResource(req, (err: unknown, res: RegisterResourceResponse) => {
      if (!err) {
        this.sink.push({
          urn: res.getUrn(),
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent(),
          provider: req.getProvider(),
          custom: req.getCustom(),
          protect: req.getProtect() === true,
          ignoreChanges: req.getIgnorechangesList(),
          dependsOn: req.getDependenciesList(),
          inputs,
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

/** Runs the program at projectDir/index.ts for one stack under mocks. Once per process. */
export async function evaluateStack(opts: EvaluateOptions): Promise<Evaluation> {
  const role = parseStackName(opts.stack);
  const region = role.role === "region" ? role.region : "us-east-1";
  const resources: RecordedResource[] = [];
  const invokes: RecordedInvoke[] = [];
  const mocks: pulumi.runtime.Mocks = {
    newResource: (args) => ({
      id: `${args.name}-id`,
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
  await pulumi.runtime.setMocks(mocks, "livepeer-fleet", opts.stack, false);
  pulumi.runtime.setMockOptions(
    new RecordingMonitor(mocks, resources),
    "livepeer-fleet",
    opts.stack,
    false,
  );
  pulumi.runtime.setAllConfig(opts.config ?? effectiveConfig(opts.projectDir, opts.stack));
  // The program refuses to deploy a stack that lacks release pins; the offline plan shows it
  // (index.ts lists them as deployBlockers) so `npm run plan` works before they are filled in.
  if (opts.asDeploy) delete process.env[OFFLINE_PLAN_ENV];
  else process.env[OFFLINE_PLAN_ENV] = "1";

  let program: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require(path.join(opts.projectDir, "index.ts")) as Record<string, unknown>;
  } catch (err) {
    // Tell the caller how much was registered before the program failed: invalid config must
    // fail before the first resource.
    if (err instanceof Error) Object.assign(err, { registeredBeforeError: resources.length });
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
