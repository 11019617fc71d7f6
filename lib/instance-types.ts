// What an EC2 instance type name says about the instance, for the config schema and the pool's
// spot types alike. Pure, and importing nothing, so both can use it without a cycle.

/** GPU instance families: they get the GPU AMI and the GPU health checks. */
export function isGpuInstanceType(instanceType: string): boolean {
  return /^(g\d|p\d|gr\d)[a-z]*\./.test(instanceType);
}

/**
 * Graviton families (a1, and a "g" right after the generation: c7g, m6gd, g5g, im4gn): arm64,
 * where the pool's AMIs are x86_64.
 */
export function isArmInstanceType(instanceType: string): boolean {
  return /^a1\./.test(instanceType) || /^[a-z]+\d+g/.test(instanceType);
}
