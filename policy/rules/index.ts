// Every rule of the pack, in one list the policy pack and the tests share.
import { Rule } from "./resource";
import {
  blockDeviceCustomerKey,
  ebsVolumeCustomerKey,
  kmsKeyRotation,
  secureStringCustomerKey,
} from "./encryption";
import { cliPortNeverExposed, noSshIngress, publicIngressAllowlist } from "./network";
import { chainDataProtected, imdsV2Required, ssmScheduleNotOnDeploy } from "./operations";

export const RULES: readonly Rule[] = [
  ebsVolumeCustomerKey,
  blockDeviceCustomerKey,
  secureStringCustomerKey,
  kmsKeyRotation,
  imdsV2Required,
  noSshIngress,
  publicIngressAllowlist,
  cliPortNeverExposed,
  chainDataProtected,
  ssmScheduleNotOnDeploy,
];

export * from "./resource";
