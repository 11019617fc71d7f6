// The SSM parameters a region stack reads at run time and an operator puts there before the first
// `pulumi up`. One list: a parameter added later is one line here (with the deploy step that puts
// it), and preflight checks it exists as a SecureString under the unit key.
import type { RegionConfig } from "../config/schema";
import type { DeployStepId } from "../ops/deploy-order";
import { keyParameterNames, orchSecretParameterName } from "../identity/names";

export interface RequiredParameter {
  name: string;
  /** What it holds, for messages. */
  what: string;
  /** The deploy step that puts it (lib/ops/deploy-order.ts): its commands are the fix. */
  step: DeployStepId;
}

/**
 * `homeRegion`: whether the stack is its fleet's home region, the only unit that holds the
 * orchestrator's own key (its chain node runs the reward service; lib/iam/secrets.ts).
 */
export function requiredParameters(c: RegionConfig, homeRegion: boolean): RequiredParameter[] {
  const prefix = c.identity.parameterPrefix;
  const orchestrator = keyParameterNames(prefix, "orchestrator");
  const redeemer = keyParameterNames(prefix, "redeemer");
  const keys: RequiredParameter[] = homeRegion
    ? [
        { name: orchestrator.keystore, what: "the orchestrator keystore", step: "identity" },
        {
          name: orchestrator.passphrase,
          what: "the orchestrator keystore's passphrase",
          step: "identity",
        },
      ]
    : [];
  return [
    ...keys,
    { name: redeemer.keystore, what: "the region's redeemer keystore", step: "identity" },
    {
      name: redeemer.passphrase,
      what: "the redeemer keystore's passphrase",
      step: "identity",
    },
    {
      name: c.nodeRuntime.rpcEndpointsParameter,
      what: "the chain endpoints (hosted backups, Nitro's L1 and beacon URLs)",
      step: "rpcEndpoints",
    },
    {
      name: c.rewardWatcher.rpcUrlParameter,
      what: "the reward watcher's RPC URL",
      step: "watcherUrl",
    },
    {
      name: orchSecretParameterName(prefix),
      what: "the orchestrator secret (-orchSecret) of the unit's orchestrators and transcoders",
      step: "orchestratorSecret",
    },
  ];
}
