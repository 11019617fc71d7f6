// Reordering network.availabilityZones must move nothing: not the chain node's protected data
// volume, not the single NAT gateway, not a logical name. The real program under the mock monitor,
// each stack with its AZ list as written and reversed.
import { expect } from "chai";
import type { Evaluation } from "../lib/plan/evaluate";
import { anchorAz } from "../lib/config/schema";
import { evaluate, ofType } from "./helpers/program";

/** What an AZ reorder must not change: every logical name, and every AZ-bound placement. */
function placement(e: Evaluation) {
  const byId = new Map(e.resources.map((r) => [`${r.name}-id`, r.name]));
  return {
    names: e.resources.map((r) => `${r.type}::${r.name}`).sort(),
    azs: e.resources
      .filter((r) => typeof r.inputs.availabilityZone === "string")
      .map((r) => `${r.name}@${String(r.inputs.availabilityZone)}`)
      .sort(),
    nat: ofType(e, "aws:ec2/natGateway:NatGateway")
      .map((r) => `${r.name}->${byId.get(String(r.inputs.subnetId))}`)
      .sort(),
    routes: ofType(e, "aws:ec2/routeTable:RouteTable")
      .map((r) => `${r.name}->${JSON.stringify(r.inputs.routes)}`)
      .sort(),
    chainSubnets: ofType(e, "aws:autoscaling/group:Group")
      .filter((r) => r.name.endsWith("-chain-asg"))
      .map((r) => (r.inputs.vpcZoneIdentifiers as string[]).map((s) => byId.get(s)).sort()),
  };
}

describe("AZ order moves nothing (mock monitor, AZ lists reordered)", function () {
  it("anchors to the alphabetically first letter, whatever the order", function () {
    expect(anchorAz(["c", "a", "b"])).to.equal("a");
    expect(anchorAz(["b", "c"])).to.equal("b");
  });

  for (const [stack, written, reordered] of [
    ["prod-us-east-1", ["a", "b", "c"], ["c", "a", "b"]],
    // A single NAT gateway and a default chain AZ: the cases the list's order used to decide.
    ["prod-eu-west-1", ["a", "b"], ["b", "a"]],
  ] as const) {
    it(`${stack}: [${written.join(", ")}] and [${reordered.join(", ")}] build the same placement`, function () {
      const a = evaluate(stack, { "livepeer-fleet:network": { availabilityZones: [...written] } });
      const b = evaluate(stack, {
        "livepeer-fleet:network": { availabilityZones: [...reordered] },
      });
      const pa = placement(a);
      expect(pa.azs.some((x) => x.includes("-chain-data@"))).to.equal(true);
      expect(pa.nat.length).to.be.greaterThan(0);
      expect(placement(b)).to.deep.equal(pa);
    });
  }

  it("keeps the single NAT gateway and the chain volume in AZ a when b comes first", function () {
    const e = evaluate("prod-eu-west-1", {
      "livepeer-fleet:network": { availabilityZones: ["b", "a"] },
    });
    const p = placement(e);
    expect(p.nat).to.deep.equal(["prod-eu-west-1-net-nat-a->prod-eu-west-1-net-public-a"]);
    expect(p.azs.filter((x) => x.includes("-chain-data@"))).to.deep.equal([
      "prod-eu-west-1-chain-data@eu-west-1a",
    ]);
  });
});
