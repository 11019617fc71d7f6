// Every rule of the pack, in lists the policy pack, the program's guard and the tests share.
import { Rule } from "./resource";
import {
  blockDeviceCustomerKey,
  ebsVolumeCustomerKey,
  kmsKeyRotation,
  secureStringCustomerKey,
} from "./encryption";
import {
  cliPortNeverExposed,
  loadBalancerPortAllowlist,
  noSshIngress,
  publicIngressAllowlist,
} from "./network";
import { chainDataProtected, imdsV2Required, ssmScheduleNotOnDeploy } from "./operations";

/** Rules over one resource's inputs (the engine's resource validation policies). */
export const RULES: readonly Rule[] = [
  ebsVolumeCustomerKey,
  blockDeviceCustomerKey,
  secureStringCustomerKey,
  kmsKeyRotation,
  imdsV2Required,
  noSshIngress,
  publicIngressAllowlist,
  loadBalancerPortAllowlist,
  cliPortNeverExposed,
  chainDataProtected,
  ssmScheduleNotOnDeploy,
];

export * from "./resource";
export { STACK_RULES } from "./stack";
export type { StackRule } from "./stack";
