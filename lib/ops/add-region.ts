// `npm run add-region`: plans and applies the two file changes that add a region to a fleet (a new
// region stack file and one more entry in the fleet's regions list), validated with the same
// loaders `pulumi up` uses, and written all-or-nothing. Everything takes the project directory,
// so tests run it on a temporary copy of the repository.
import * as fs from "node:fs";
import * as path from "node:path";
import { Document, isMap, parseDocument } from "yaml";
import { isAddress } from "ethers";
import { KNOWN_REGIONS, parseStackName, regionStackName, stackFileName } from "../stack";
import { NAMESPACE, REGION_KEYS, type RegionConfig } from "../config/schema";
import {
  ConfigError,
  ConfigProblem,
  checkFleetMembership,
  loadFleetConfig,
  loadRegionConfig,
} from "../config/load";
import { listStacks, readProjectConfig, readStackConfig } from "../config/sources";
import { nextFreeCidr } from "./cidr-pick";
import { appendToSequence } from "./yaml-edit";
import { FileChange, RefusedError } from "./files";
import { deployContext, renderText as renderDeployOrder } from "./deploy-order";

export interface AddRegionOptions {
  projectDir: string;
  fleet: string;
  region: string;
  /** Existing stack whose file is the template (its comments are kept). */
  from?: string;
  /** Path of a YAML or JSON file whose content becomes `livepeer-fleet:demand`. */
  demandFile?: string;
  /** Orchestrator address when not copying a stack and the fleet's regions disagree. */
  orchestrator?: string;
  /**
   * The new region's own redeemer account (livepeer.redeemerAddress). Required: every region
   * sends its redemptions from its own account, so no template or other region can supply it.
   */
  redeemer?: string;
}

export interface AddRegionPlan {
  stack: string;
  cidr: string;
  changes: FileChange[];
  /** What the operator should know about the new file (values dropped from the template...). */
  notes: string[];
  /** The numbered deploy checklist for the new stack (lib/ops/deploy-order.ts), as printed. */
  nextSteps: string[];
}

/** Keys that are only true of the region they were written for: never copied by --from. */
const REGION_SPECIFIC: { path: string[]; why: string }[] = [
  {
    path: [`${NAMESPACE}:chainNode`, "dataVolume", "snapshotId"],
    why: "a snapshot lives in one region; the new unit starts from an empty volume",
  },
  {
    path: [`${NAMESPACE}:identity`, "parameterPrefix"],
    why: "it points at the template stack's keystore; the new stack defaults to its own path",
  },
  {
    path: [`${NAMESPACE}:demand`],
    why: "demand is measured per region; pass --demand FILE or run demand:sync later",
  },
  {
    path: [`${NAMESPACE}:livepeer`, "redeemerAddress"],
    why: "each region has its own redeemer account; the new one is --redeemer",
  },
];

function fail(msg: string): never {
  throw new RefusedError(msg);
}

function readDoc(file: string): Document {
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  if (doc.errors.length > 0)
    fail(`${path.basename(file)} is not valid YAML: ${doc.errors[0].message}`);
  return doc;
}

/** Reads a demand profile file: YAML or JSON, a mapping, optionally wrapped in its config key. */
export function readDemand(file: string): Document["contents"] {
  if (!fs.existsSync(file)) fail(`--demand ${file}: no such file`);
  const doc = readDoc(file);
  let node = doc.contents;
  // Accept a whole stack-file fragment too: `config:` and/or `livepeer-fleet:demand:` wrappers.
  for (const wrapper of ["config", `${NAMESPACE}:demand`]) {
    if (isMap(node) && node.items.length === 1 && node.has(wrapper)) {
      node = node.get(wrapper, true) as Document["contents"];
    }
  }
  if (!isMap(node) || node.items.length === 0) {
    fail(
      `--demand ${file}: expected a non-empty mapping (the demand block), got ${describe(node)}`,
    );
  }
  const text = JSON.stringify(doc.toJS());
  if (text.includes('"secure"')) fail(`--demand ${file}: a demand profile holds no secrets`);
  return node;
}

function describe(node: unknown): string {
  if (node === null || node === undefined) return "an empty file";
  if (isMap(node)) return "an empty mapping";
  return "a scalar or a list";
}

function fleetOrchestrator(
  projectDir: string,
  fleet: string,
  regions: string[],
): string | undefined {
  const seen = new Set<string>();
  for (const r of regions) {
    const values = readStackConfig(projectDir, regionStackName(fleet, r));
    const lp = values?.[`${NAMESPACE}:livepeer`] as { orchestratorAddress?: unknown } | undefined;
    if (typeof lp?.orchestratorAddress === "string") seen.add(lp.orchestratorAddress);
  }
  return seen.size === 1 ? [...seen][0] : undefined;
}

/** The redeemer account each region stack of the project names, by stack. */
function redeemersInUse(projectDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const stack of listStacks(projectDir)) {
    const lp = readStackConfig(projectDir, stack)?.[`${NAMESPACE}:livepeer`] as
      { redeemerAddress?: unknown } | undefined;
    if (typeof lp?.redeemerAddress === "string") out.set(stack, lp.redeemerAddress.toLowerCase());
  }
  return out;
}

/** Every VPC CIDR any stack file in the project uses (all fleets: VPCs may be peered later). */
export function usedCidrs(projectDir: string): string[] {
  const out: string[] = [];
  for (const stack of listStacks(projectDir)) {
    const net = readStackConfig(projectDir, stack)?.[`${NAMESPACE}:network`] as
      { cidr?: unknown } | undefined;
    if (typeof net?.cidr === "string") out.push(net.cidr);
  }
  return out;
}

/** Paths of `secure:` values: ciphertext for one stack that no other stack can decrypt. */
function securePaths(v: unknown, at: string[] = []): string[][] {
  if (typeof v !== "object" || v === null) return [];
  const o = v as Record<string, unknown>;
  if (!Array.isArray(v) && Object.keys(o).length === 1 && typeof o.secure === "string") return [at];
  if (Array.isArray(v)) return []; // a list is replaced whole; a secret inside one is not supported
  return Object.entries(o).flatMap(([k, x]) => securePaths(x, [...at, k]));
}

function configOf(doc: Document): Record<string, unknown> {
  const js = doc.toJS() as { config?: Record<string, unknown> } | null;
  return js?.config ?? {};
}

/** URNs of the unit key and its alias (components/region-unit.ts -> keys.ts). */
export function unitKeyUrns(stack: string): string[] {
  const keys = `urn:pulumi:${stack}::livepeer-fleet::livepeer-fleet:region:RegionUnit$livepeer-fleet:keys:Keys`;
  return [
    `${keys}$aws:kms/key:Key::${stack}-keys-key`,
    `${keys}$aws:kms/alias:Alias::${stack}-keys-alias`,
  ];
}

/** Validates and plans; writes nothing. Throws RefusedError or ConfigError with what to do. */
export function planAddRegion(o: AddRegionOptions): AddRegionPlan {
  const { projectDir, fleet, region } = o;
  if (!KNOWN_REGIONS.has(region)) {
    fail(`"${region}" is not an AWS region known to @pulumi/aws (e.g. eu-central-1)`);
  }
  const fleetRole = parseStackName(fleet);
  if (fleetRole.role !== "fleet") fail(`"${fleet}" is not a fleet stack name (e.g. prod)`);
  const fleetFile = path.join(projectDir, stackFileName(fleet));
  if (!fs.existsSync(fleetFile)) fail(`${stackFileName(fleet)} not found in ${projectDir}`);
  const fleetText = fs.readFileSync(fleetFile, "utf8");
  const fleetValues = configOf(readDoc(fleetFile));
  const regions = fleetValues[`${NAMESPACE}:regions`];
  if (!Array.isArray(regions)) fail(`${stackFileName(fleet)} has no ${NAMESPACE}:regions list`);
  const listed = regions as string[];
  if (listed.includes(region)) fail(`${region} is already in fleet ${fleet}`);
  const stack = regionStackName(fleet, region);
  const stackFile = path.join(projectDir, stackFileName(stack));
  if (fs.existsSync(stackFile))
    fail(`${stackFileName(stack)} already exists; refusing to overwrite it`);

  const redeemer = o.redeemer;
  if (redeemer === undefined) {
    fail(
      `pass --redeemer 0x...: ${region}'s own redeemer account (it sends the region's ticket ` +
        `redemptions and pays their gas; never the orchestrator's or another region's; see ` +
        `docs/operations.md, "Key ceremony")`,
    );
  }
  const redeemerText: string = redeemer;
  if (!isAddress(redeemer)) fail(`--redeemer ${redeemerText}: not an Ethereum address`);
  for (const [other, address] of redeemersInUse(projectDir)) {
    if (address === redeemer.toLowerCase()) {
      fail(
        `--redeemer ${redeemer} is ${other}'s redeemer account already: two redeemers sending ` +
          `from one account race on nonces; create a new account for ${region}`,
      );
    }
  }
  const notes: string[] = [];
  const cidrs = usedCidrs(projectDir);
  let doc: Document;
  let prefix = 16;
  if (o.from !== undefined) {
    const fromFile = path.join(projectDir, stackFileName(o.from));
    if (!fs.existsSync(fromFile)) fail(`--from ${o.from}: ${stackFileName(o.from)} not found`);
    if (parseStackName(o.from).role !== "region") fail(`--from ${o.from}: not a region stack`);
    doc = readDoc(fromFile);
    const fromCidr = doc.getIn([`config`, `${NAMESPACE}:network`, "cidr"]);
    const m = typeof fromCidr === "string" ? /\/(\d+)$/.exec(fromCidr) : null;
    if (m) prefix = Number(m[1]);
    for (const p of securePaths(configOf(doc))) {
      doc.deleteIn(["config", ...p]);
      notes.push(
        `not copied from ${o.from}: ${p.join(".")} (a secret is encrypted for one stack; ` +
          `set it with pulumi config set --secret --stack ${stack})`,
      );
    }
    for (const r of REGION_SPECIFIC) {
      if (doc.hasIn(["config", ...r.path])) {
        doc.deleteIn(["config", ...r.path]);
        notes.push(`not copied from ${o.from}: ${r.path.join(".")} (${r.why})`);
      }
    }
    // The template's header names its own region: it is replaced, wherever the parser put it
    // (a comment right above `config:` belongs to that key).
    const contents = doc.contents;
    if (isMap(contents)) {
      contents.commentBefore = undefined;
      const first = contents.items[0]?.key as { commentBefore?: string | null } | undefined;
      if (first) first.commentBefore = undefined;
    }
    doc.commentBefore =
      ` Region stack: one region unit of the ${fleet} fleet in ${region}.\n` +
      ` Written by \`npm run add-region\` from ${stackFileName(o.from)}; review every value.`;
  } else {
    const address = o.orchestrator ?? fleetOrchestrator(projectDir, fleet, listed);
    if (address === undefined) {
      fail(
        `the fleet's region stacks do not agree on one orchestrator address: pass ` +
          `--orchestrator 0x... or --from STACK`,
      );
    }
    doc = new Document({
      config: {
        [`${NAMESPACE}:network`]: { cidr: "" },
        [`${NAMESPACE}:livepeer`]: { orchestratorAddress: address, redeemerAddress: redeemer },
      },
    });
    doc.commentBefore =
      ` Region stack: one region unit of the ${fleet} fleet in ${region}.\n` +
      ` Written by \`npm run add-region\` from the project defaults (Pulumi.yaml); review it.`;
  }
  const given = o.orchestrator;
  if (given !== undefined) {
    if (!isAddress(given)) fail(`--orchestrator ${o.orchestrator}: not an Ethereum address`);
    doc.setIn(["config", `${NAMESPACE}:livepeer`, "orchestratorAddress"], given);
  }
  doc.setIn(["config", `${NAMESPACE}:livepeer`, "redeemerAddress"], redeemer);
  const cidr = nextFreeCidr(cidrs, prefix);
  if (cidr === undefined) fail(`no free /${prefix} block left in 10.0.0.0/8 for ${region}`);
  doc.setIn(["config", `${NAMESPACE}:network`, "cidr"], cidr);
  if (o.demandFile !== undefined) {
    doc.setIn(["config", `${NAMESPACE}:demand`], readDemand(o.demandFile));
  }
  const newFleetText = appendToSequence(fleetText, ["config", `${NAMESPACE}:regions`], region);
  const newFleetValues = configOf(parseDocument(newFleetText));
  // Flow lists as the shipped files write them: [a, b], not [ a, b ].
  const render = () => doc.toString({ flowCollectionPadding: false });
  const { config: resolved, homeRegion } = validate(
    projectDir,
    fleet,
    stack,
    parseDocument(render()),
    newFleetValues,
  );
  // The chain node's AZ is written out: its protected data volume must never move because someone
  // edits the AZ list later (the default only follows the list's alphabetically first letter).
  const azPath = ["config", `${NAMESPACE}:chainNode`, "availabilityZone"];
  if (!doc.hasIn(azPath)) {
    if (!doc.hasIn(["config", `${NAMESPACE}:chainNode`])) {
      doc.setIn(["config", `${NAMESPACE}:chainNode`], doc.createNode({}));
    }
    doc.setIn(azPath, resolved.chainNode.availabilityZone);
  }
  const stackText = render();
  validate(projectDir, fleet, stack, parseDocument(stackText), newFleetValues);

  return {
    stack,
    cidr,
    notes,
    changes: [
      { file: stackFile, content: stackText, mode: "create" },
      { file: fleetFile, content: newFleetText, mode: "replace" },
    ],
    nextSteps: [
      `0. Review both files in a pull request`,
      `     git add ${stackFileName(stack)} ${stackFileName(fleet)}`,
      // The one deploy order (README, docs/operations.md and preflight use the same).
      ...renderDeployOrder(deployContext(stack, fleet, region, resolved, homeRegion)),
    ],
  };
}

/** The new files must load exactly as `pulumi up` would load them; returns the region's config. */
function validate(
  projectDir: string,
  fleet: string,
  stack: string,
  stackDoc: Document,
  fleetValues: Record<string, unknown>,
): { config: RegionConfig; homeRegion: string } {
  const projectValues = readProjectConfig(projectDir);
  const stackValues = configOf(stackDoc);
  // The demand block's schema may not exist in this checkout yet: then it is checked for shape
  // only (readDemand) and left to the schema that lands with it.
  if (!("demand" in REGION_KEYS)) delete stackValues[`${NAMESPACE}:demand`];
  const role = parseStackName(stack);
  const fleetRole = parseStackName(fleet);
  if (role.role !== "region" || fleetRole.role !== "fleet")
    fail(`bad stack names ${stack}, ${fleet}`);
  const problems: ConfigProblem[] = [];
  let homeRegion = "";
  try {
    homeRegion = loadFleetConfig(fleetRole, {
      stackValues: fleetValues,
      projectValues,
    }).homeRegion;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  const region = role;
  problems.push(...checkFleetMembership(region, fleetValues));
  let config: RegionConfig | undefined;
  try {
    config = loadRegionConfig(region, { stackValues, projectValues });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return { config, homeRegion };
}
