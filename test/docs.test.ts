// docs/config.md is the reference users read: every schema key must be documented there.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import type { z } from "zod";
import { FLEET_KEYS, REGION_KEYS } from "../lib/config/schema";
import { PROJECT_DIR } from "./helpers/program";
import { configLeaves, syncDefaultsColumn } from "../lib/config/docs";

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}

/** Leaf key paths of a zod schema, through optional/default/pipe wrappers. */
function keyPaths(schema: z.ZodType, prefix: string): string[] {
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  if (def.innerType) return keyPaths(def.innerType, prefix);
  if (def.type === "pipe" && def.in) return keyPaths(def.in, prefix);
  if (def.type === "object" && def.shape) {
    return Object.entries(def.shape).flatMap(([k, v]) =>
      keyPaths(v, prefix ? `${prefix}.${k}` : k),
    );
  }
  return [prefix];
}

describe("docs/config.md", () => {
  const doc = fs.readFileSync(path.join(PROJECT_DIR, "docs", "config.md"), "utf8");
  const all = [...Object.entries(REGION_KEYS), ...Object.entries(FLEET_KEYS)].flatMap(([k, s]) =>
    keyPaths(s as z.ZodType, k),
  );

  it("finds the schema's keys (sanity)", () => {
    expect(all).to.include.members(["network.cidr", "chainNode.dataVolume.iops", "regions"]);
  });

  it("documents every config key", () => {
    const missing = all.filter((k) => !doc.includes(`\`${k}\``));
    expect(missing, "add these to docs/config.md").to.deep.equal([]);
  });

  it("shows each schema default as the schema has it (npm run docs:config)", () => {
    const leaves = configLeaves();
    expect(leaves.map((l) => l.keyPath)).to.have.members(all);
    const withDefault = leaves.filter((l) => l.default);
    expect(withDefault.length).to.be.greaterThan(40);
    expect(syncDefaultsColumn(doc), "run npm run docs:config").to.equal(doc);
    // The rendering itself, on a few keys a reader relies on.
    for (const row of [
      "| `network.availabilityZones` | `[a, b]` |",
      "| `livepeer.servicePort` | `8935` |",
      '| `nodeRuntime.pixelsPerUnit` | `"1"` |',
      "| `deployGate.enabled` | `true` |",
    ]) {
      expect(doc).to.include(row);
    }
  });
});
