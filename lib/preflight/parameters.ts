// The SSM parameters a region stack reads at run time and an operator puts there before the first
// `pulumi up`. One list: a parameter added later is one line here (with the deploy step that puts
// it), and preflight checks it exists as a SecureString under the unit key.
import type { RegionConfig } from "../config/schema";
import type { DeployStepId } from "../ops/deploy-order";
import { identityParameterNames } from "../../components/identity";

export interface RequiredParameter {
  name: string;
  /** What it holds, for messages. */
  what: string;
  /** The deploy step that puts it (lib/ops/deploy-order.ts): its commands are the fix. */
  step: DeployStepId;
}

export function requiredParameters(c: RegionConfig): RequiredParameter[] {
  const id = identityParameterNames(c.identity.parameterPrefix);
  return [
    { name: id.keystore, what: "the orchestrator keystore", step: "identity" },
    { name: id.passphrase, what: "the orchestrator keystore's passphrase", step: "identity" },
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
    // The orchestrator secret (step "orchestratorSecret") joins here with the transcoder split.
  ];
}
