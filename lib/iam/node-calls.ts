// Which AWS actions each node kind performs at run time, read from the node files it ships, so an
// IAM evaluation can prove its role allows every one (test/node-iam.test.ts). Nothing here is a
// hand-kept list of actions: the boto3 operations come from scripts/node/awsapi.py's own calls
// (and the waiters' operations from botocore's waiter models), the commands each kind runs from
// its bundle's scripts (lib/node-bundle.ts), and the health agent's calls from the flags its
// rendered command line carries. A call added to a script is evaluated without anyone listing it.
import * as fs from "node:fs";
import * as path from "node:path";
import { botocoreDataDir } from "../checks/botocore";
import { NODE_DIR, bundleFiles } from "../node-bundle";
import type { NodeKind } from "../runtime-contract";

/** One AWS action a node performs, and where in the node files it comes from. */
export interface NodeCall {
  action: string;
  via: string;
  /**
   * The command's arguments as written in the script: `$LF_X` as `LF_X` (a node.env variable the
   * caller can look up in the rendered user data), a shell variable set from node.env as the
   * variables it may hold (`LF_A|LF_B`), anything else verbatim.
   */
  args?: string[];
}

const snake = (camel: string) => camel.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

function serviceJson(service: string, file: "service-2.json" | "waiters-2.json"): unknown {
  const dir = path.join(botocoreDataDir(), service);
  const version = fs
    .readdirSync(dir)
    .filter((v) => fs.existsSync(path.join(dir, v, "service-2.json")))
    .sort()
    .pop();
  if (!version) throw new Error(`no botocore model for ${service} in ${botocoreDataDir()}`);
  return JSON.parse(fs.readFileSync(path.join(dir, version, file), "utf8"));
}

/** `service:Operation` of a boto3 client method, by the service model's own operation names. */
export function actionOf(service: string, method: string): string {
  const ops = Object.keys(
    (serviceJson(service, "service-2.json") as { operations: object }).operations,
  );
  const op = ops.find((o) => snake(o) === method);
  if (!op) throw new Error(`botocore's ${service} model has no operation for ${service}.${method}`);
  return `${service}:${op}`;
}

/** `service:Operation` a boto3 waiter polls (botocore waiters-2.json). */
export function waiterActionOf(service: string, waiter: string): string {
  const waiters = (
    serviceJson(service, "waiters-2.json") as {
      waiters: Record<string, { operation: string }>;
    }
  ).waiters;
  const name = Object.keys(waiters).find((w) => snake(w) === waiter);
  if (!name) throw new Error(`botocore's ${service} model has no waiter ${waiter}`);
  return `${service}:${waiters[name].operation}`;
}

/**
 * The actions each top-level function of awsapi.py performs, its own `_call(service, method)` and
 * waiters plus those of the functions it calls.
 */
export function awsapiFunctions(source: string): Map<string, string[]> {
  const bodies = new Map<string, string>();
  const parts = source.split(/^def (\w+)\(/m);
  for (let i = 1; i < parts.length; i += 2) {
    // A body ends at the next top-level statement.
    bodies.set(parts[i], parts[i + 1].split(/\n(?=[A-Za-z_])/)[0]);
  }
  const direct = new Map<string, string[]>();
  for (const [name, body] of bodies) {
    const actions = [
      ...[...body.matchAll(/_call\("(\w+)", "(\w+)"/g)].map((m) => actionOf(m[1], m[2])),
      ...[...body.matchAll(/client\("(\w+)"\)\.get_waiter\("(\w+)"\)/g)].map((m) =>
        waiterActionOf(m[1], m[2]),
      ),
    ];
    direct.set(name, actions);
  }
  const resolve = (name: string, seen: Set<string>): string[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    const body = bodies.get(name) ?? "";
    const callees = [...bodies.keys()].filter(
      (f) => f !== name && new RegExp(`(?<![\\w.])${f}\\(`).test(body),
    );
    return [...(direct.get(name) ?? []), ...callees.flatMap((f) => resolve(f, seen))];
  };
  return new Map([...bodies.keys()].map((f) => [f, [...new Set(resolve(f, new Set()))]]));
}

/** awsapi.py's command-line commands and the function each runs. */
export function awsapiCommands(source: string): Map<string, string> {
  const table = /^COMMANDS = \{([\s\S]*?)^\}/m.exec(source)?.[1];
  if (!table) throw new Error("awsapi.py: no COMMANDS table");
  return new Map(
    [...table.matchAll(/"([a-z0-9-]+)":\s*\((?:lambda[^:]*:\s*(?:print\()?)?(\w+)/g)].map((m) => [
      m[1],
      m[2],
    ]),
  );
}

/**
 * The health agent's AWS calls follow from its flags (scripts/node/health-agent.py): `--publish`
 * puts metrics, `--fault-checks` reports its own instance Unhealthy.
 */
const AGENT_FLAG_CALLS: [RegExp, string][] = [
  [/(^|\s)--publish(\s|$)/, "put_metrics"],
  [/(^|\s)--fault-checks\s/, "set_instance_health"],
];

/**
 * Every AWS action one node kind performs, given its rendered node.env: the awsapi.py commands
 * its bundle's shell scripts run (and the boot deadline's, which user data carries when the env
 * sets LF_BOOT_DEADLINE_SECONDS: lib/userdata.ts), the health agent's calls for its command line
 * (LF_HEALTH_ARGS), every awsapi function the bundle's other Python agents call, and the
 * bootstrap's read of the bundle (S3 GetObject with a VersionId, which
 * S3 authorizes as s3:GetObjectVersion: S3 API reference, GetObject).
 */
export function nodeCalls(
  kind: NodeKind,
  env: Record<string, string>,
  nodeDir = NODE_DIR,
): NodeCall[] {
  const healthArgs = env.LF_HEALTH_ARGS ?? "";
  const source = fs.readFileSync(path.join(nodeDir, "awsapi.py"), "utf8");
  const functions = awsapiFunctions(source);
  const commands = awsapiCommands(source);
  const out: NodeCall[] = [
    { action: "s3:GetObjectVersion", via: "bootstrap.sh (the bundle, by version)" },
  ];
  const add = (fn: string, via: string, args?: string[]) => {
    const actions = functions.get(fn);
    if (!actions) throw new Error(`awsapi.py has no function ${fn} (${via})`);
    for (const action of actions) out.push({ action, via, ...(args ? { args } : {}) });
  };
  const scripts = [
    ...bundleFiles(kind)
      .map((f) => f.src)
      .filter((f) => f.endsWith(".sh")),
    ...(env.LF_BOOT_DEADLINE_SECONDS ? ["boot-deadline.sh"] : []),
  ];
  for (const src of scripts) {
    const text = fs.readFileSync(path.join(nodeDir, src), "utf8");
    for (const [command, fn] of commands) {
      // "$LF_ROOT/bin/awsapi.py" CMD, "$api" CMD, "${awsapi[@]}" CMD
      const use = new RegExp(
        `(awsapi\\.py"?|\\$api"?|awsapi\\[@\\]\\}"?)\\s+${command}(?=\\s|$)([^\\n|;&)]*)`,
        "gm",
      );
      for (const m of text.matchAll(use)) {
        const args = m[2]
          .trim()
          .split(/\s+/)
          .filter(Boolean)
          .map((t) => {
            const lf = /^"?\$\{?(LF_[A-Z0-9_]+)\}?"?$/.exec(t)?.[1];
            if (lf) return lf;
            // A shell variable the script sets from node.env (`x=${LF_A:-}` in one branch,
            // `x=${LF_B:-}` in another): every LF_ variable it may hold, as "LF_A|LF_B".
            const local = /^"?\$\{?([a-z_][a-z0-9_]*)\}?"?$/.exec(t)?.[1];
            if (!local) return t;
            const from = [
              ...text.matchAll(new RegExp(`\\b${local}=\\$\\{?(LF_[A-Z0-9_]+)`, "g")),
            ].map((a) => a[1]);
            return from.length > 0 ? from.join("|") : t;
          });
        add(fn, `${path.basename(src)}: awsapi.py ${command}`, args);
      }
    }
  }
  // The bundle's other Python agents (the demand publisher, the lifecycle agent): every awsapi
  // function they call.
  const agents = bundleFiles(kind)
    .map((f) => f.src)
    .filter((f) => f.endsWith(".py") && !/(^|\/)(awsapi|health-agent)\.py$/.test(f));
  for (const src of agents) {
    const text = fs.readFileSync(path.join(nodeDir, src), "utf8");
    for (const m of new Set([...text.matchAll(/\bawsapi\.(\w+)\(/g)].map((x) => x[1]))) {
      add(m, `${path.basename(src)}: awsapi.${m}`);
    }
  }
  for (const [flag, fn] of AGENT_FLAG_CALLS) {
    if (flag.test(healthArgs))
      add(fn, `health-agent.py ${flag.source.replace(/\\s|[()|^$]/g, "")}`);
  }
  const seen = new Set<string>();
  return out.filter((c) => {
    const k = `${c.action} ${c.via} ${(c.args ?? []).join(" ")}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
