// Which pinned AMI each instance kind boots (`livepeer-fleet:amis`), and where each pin is looked up.
// Pure: the launch templates, the deploy blockers and `npm run amis` read it.
import { AMI_PARAMETERS, isGpuInstanceType, NAMESPACE, type RegionConfig } from "./schema";

export type AmiKind = keyof typeof AMI_PARAMETERS;

/** GPU instance types boot the GPU image (NVIDIA driver preinstalled); everything else Ubuntu. */
export function amiKind(instanceType: string): AmiKind {
  return isGpuInstanceType(instanceType) ? "gpu" : "ubuntu";
}

/** What an instance kind of the stack boots: its image kind and the pinned id, if set. */
export interface PinnedAmi {
  kind: AmiKind;
  /** The AMI id from `livepeer-fleet:amis.<kind>`; undefined until pinned (a deploy blocker). */
  id?: string;
}

export function pinnedAmi(c: Pick<RegionConfig, "amis">, instanceType: string): PinnedAmi {
  const kind = amiKind(instanceType);
  return { kind, id: c.amis[kind] };
}

/**
 * What a launch template boots: the pinned id. Unpinned, only the offline plan gets this far
 * (index.ts refuses preview and up while `amis.<kind>` is a deploy blocker), and it shows a
 * placeholder rather than looking an id up: an AMI changes only by a reviewed edit of the pin.
 */
export function launchImageId(c: Pick<RegionConfig, "amis">, instanceType: string): string {
  const p = pinnedAmi(c, instanceType);
  return p.id ?? `unpinned-${p.kind}-ami`;
}

/** The instance types of the stack, by role: each needs its kind's pin. */
export function instanceTypes(
  c: Pick<RegionConfig, "chainNode" | "nodeGroup" | "orchestrators">,
): { role: string; instanceType: string }[] {
  return [
    { role: "chain node", instanceType: c.chainNode.instanceType },
    { role: "orchestrators", instanceType: c.orchestrators.instanceType },
    { role: "transcoders", instanceType: c.nodeGroup.instanceType },
  ];
}

/** The image kinds the stack boots, each with the roles that use it (stable order: AMI_PARAMETERS). */
export function requiredAmiKinds(
  c: Pick<RegionConfig, "chainNode" | "nodeGroup" | "orchestrators">,
): { kind: AmiKind; roles: string[] }[] {
  const byKind = new Map<AmiKind, string[]>();
  for (const t of instanceTypes(c)) {
    const k = amiKind(t.instanceType);
    byKind.set(k, [...(byKind.get(k) ?? []), `${t.role} (${t.instanceType})`]);
  }
  return (Object.keys(AMI_PARAMETERS) as AmiKind[])
    .filter((k) => byKind.has(k))
    .map((kind) => ({ kind, roles: byKind.get(kind)! }));
}

export class AmiParameterConflict extends Error {
  override name = "AmiParameterConflict";
}

/**
 * The SSM public parameter a kind's pin is read from: AMI_PARAMETERS, except that the nodes'
 * kind follows nodeGroup.amiParameter. A custom nodes parameter for the kind the chain node also
 * boots cannot be one pin: that is refused with what to do.
 */
export function amiParameter(
  c: Pick<RegionConfig, "chainNode" | "nodeGroup">,
  kind: AmiKind,
): string {
  const nodesKind = amiKind(c.nodeGroup.instanceType);
  const custom = c.nodeGroup.amiParameter;
  if (kind !== nodesKind || custom === AMI_PARAMETERS[kind]) return AMI_PARAMETERS[kind];
  if (amiKind(c.chainNode.instanceType) === kind) {
    throw new AmiParameterConflict(
      `${NAMESPACE}:nodeGroup.amiParameter (${custom}) differs from the ${kind} image the chain node ` +
        `boots (${AMI_PARAMETERS[kind]}), but both share the pin ${NAMESPACE}:amis.${kind}: drop ` +
        `nodeGroup.amiParameter or use a GPU node type`,
    );
  }
  return custom;
}
