// Builds components in this process under the recording mock monitor (lib/plan/evaluate.ts) and
// returns every registration: component tests assert the inputs of specific resources without
// running the whole program or reading the shipped stack files.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Evaluation, RecordedResource, installRecordingMocks } from "../../lib/plan/evaluate";
import { RegionUnit } from "../../components/region-unit";
import type { RegionDesign } from "../../lib/design";

/** Runs `build` under fresh mocks for `stack` and waits until every registration is recorded. */
export async function buildInProcess(
  stack: string,
  region: string,
  build: () => void,
): Promise<Evaluation> {
  const { resources, invokes } = await installRecordingMocks(stack, region);
  build();
  await pulumi.runtime.disconnect();
  return { stack, resources, invokes, outputs: {} };
}

/** A whole region unit built from a design, through its own regional provider. */
export function buildUnit(d: RegionDesign): Promise<Evaluation> {
  return buildInProcess(d.stack, d.region, () => {
    const provider = new aws.Provider(`${d.stack}-aws`, { region: d.region as aws.Region });
    new RegionUnit(d.stack, { design: d }, { providers: [provider] });
  });
}

export function byName(e: Evaluation, type: string, suffix: string): RecordedResource {
  const found = e.resources.filter((r) => r.type === type && r.name.endsWith(suffix));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type} named *${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`,
    );
  }
  return found[0];
}
