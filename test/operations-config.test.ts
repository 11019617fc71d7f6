// The operations config keys directly: defaults derived from other keys, cross-field rules.
import { expect } from "chai";
import { RegionConfigSchema, resolveDerived } from "../lib/config/schema";

const minimal = {
  network: { cidr: "10.20.0.0/16" },
  livepeer: {
    orchestratorAddress: "0x11D12AfEF50b1FeE02146020533857d35936035D",
    redeemerAddress: "0x00000000000000000000000000000000000000C3",
  },
};

describe("operations config (schema and derived defaults)", () => {
  it("derives the watcher's Controller, chain, parameter and gas account from the unit", () => {
    const c = resolveDerived(RegionConfigSchema.parse(minimal), "prod-ap-south-1");
    // No hourUtc: the hour comes from the demand planner, or its fallback (lib/sizing/region.ts).
    expect(c.maintenance).to.deep.equal({ restartSyncTimeoutMinutes: 20 });
    expect(c.snapshots).to.deep.equal({ retainCount: 7 });
    expect(c.rewardWatcher).to.include({
      controllerAddress: "0xD8E8328501E9645d16Cf49539efC04f734606ee4",
      chainId: 42161,
      rpcUrlParameter: "/livepeer-fleet/prod-ap-south-1/watcher/rpc-url",
      scheduleMinutes: 10,
    });
    // The region's redeemer pays the redemptions' gas, the orchestrator account reward's.
    expect(c.rewardWatcher.gasAccounts).to.deep.equal([
      minimal.livepeer.redeemerAddress,
      minimal.livepeer.orchestratorAddress,
    ]);
    // Every orchestrator (two by default) should be in discovery.
    expect(c.alarms.minHealthyTargets).to.equal(2);
    expect(c.alarms.subscriptions).to.deep.equal([]);
  });

  it("takes the healthy-target floor from the number of orchestrators", () => {
    const c = resolveDerived(
      RegionConfigSchema.parse({
        ...minimal,
        network: { cidr: "10.20.0.0/16", availabilityZones: ["a", "b", "c"] },
        orchestrators: { count: 3 },
      }),
      "prod-ap-south-1",
    );
    expect(c.alarms.minHealthyTargets).to.equal(3);
  });

  it("rejects what cannot work, each at its own key path", () => {
    const r = RegionConfigSchema.safeParse({
      ...minimal,
      // A network go-livepeer knows that has no preset here: Controller and chain id required.
      livepeer: { ...minimal.livepeer, network: "mainnet" },
      alarms: {
        minHealthyTargets: 9,
        nodeGroupAtMaxMinutes: 7,
        subscriptions: [
          { protocol: "email", endpoint: "a@example.com" },
          { protocol: "email", endpoint: "a@example.com" },
        ],
      },
    });
    expect(r.success).to.equal(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).to.include.members([
      "rewardWatcher.controllerAddress",
      "rewardWatcher.chainId",
      "alarms.nodeGroupAtMaxMinutes",
      "alarms.subscriptions",
    ]);
  });

  it("rejects a minimum healthy count the orchestrators can never reach", () => {
    const r = RegionConfigSchema.safeParse({ ...minimal, alarms: { minHealthyTargets: 9 } });
    expect(r.success).to.equal(false);
    expect(r.error!.issues.map((i) => i.path.join("."))).to.deep.equal([
      "alarms.minHealthyTargets",
    ]);
  });
});
