// `npm run amis`: looks up the current AMI id of each image kind a region stack boots from the SSM
// public parameters (AMI_PARAMETERS, in the stack's region) and pins it in the stack file's
// `livepeer-fleet:amis` block. The SSM client is injected; the file edit keeps every other byte.
import { GetParametersCommand } from "@aws-sdk/client-ssm";
import { NAMESPACE, type RegionConfig } from "../config/schema";
import { amiParameter, requiredAmiKinds, type AmiKind } from "../config/amis";
import { setConfigEntries } from "./yaml-edit";

/** The subset of the AWS SDK v3 SSMClient this uses (public parameters: GetParameters). */
export interface SsmParameterReader {
  send(command: GetParametersCommand): Promise<{
    Parameters?: { Name?: string; Value?: string }[];
    InvalidParameters?: string[];
  }>;
}

export class AmiLookupError extends Error {
  override name = "AmiLookupError";
}

export interface AmiPin {
  kind: AmiKind;
  parameter: string;
  /** Who boots it, e.g. `chain node (r7i.2xlarge)`. */
  roles: string[];
  /** The id the parameter holds now. */
  current: string;
  /** The id the stack pins today, if any. */
  pinned?: string;
}

const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

/** One GetParameters call for every kind the stack needs; every answer must be an AMI id. */
export async function lookUpAmis(c: RegionConfig, ssm: SsmParameterReader): Promise<AmiPin[]> {
  const kinds = requiredAmiKinds(c).map((k) => ({ ...k, parameter: amiParameter(c, k.kind) }));
  const names = [...new Set(kinds.map((k) => k.parameter))];
  const out = await ssm.send(new GetParametersCommand({ Names: names }));
  if (out.InvalidParameters && out.InvalidParameters.length > 0) {
    throw new AmiLookupError(
      `no such public parameter in this region: ${out.InvalidParameters.join(", ")} ` +
        `(the image may not be published here; pick another image or region)`,
    );
  }
  const values = new Map((out.Parameters ?? []).map((p) => [p.Name ?? "", p.Value ?? ""]));
  return kinds.map(({ kind, parameter, roles }) => {
    const current = values.get(parameter);
    if (current === undefined || !AMI_ID.test(current)) {
      throw new AmiLookupError(
        `${parameter} did not return an AMI id (got ${JSON.stringify(current)})`,
      );
    }
    return { kind, parameter, roles, current, pinned: c.amis[kind] };
  });
}

/** The stack file with every kind pinned to its current id. */
export function pinAmis(text: string, pins: readonly AmiPin[]): string {
  return setConfigEntries(
    text,
    `${NAMESPACE}:amis`,
    Object.fromEntries(pins.map((p) => [p.kind, p.current])),
  );
}

/** One line per kind: what is pinned and what the parameter holds. */
export function describePins(pins: readonly AmiPin[]): string[] {
  return pins.map((p) => {
    const state =
      p.pinned === undefined
        ? "not pinned yet"
        : p.pinned === p.current
          ? "pinned, current"
          : `pinned ${p.pinned}: a newer image is out`;
    return `${NAMESPACE}:amis.${p.kind}: ${p.current} (${state}; ${p.roles.join(", ")}; ${p.parameter})`;
  });
}
