// The example values the shipped stack files carry so that `npm run plan` works on a fresh clone.
// Deploying them would register someone else's orchestrator address, trust a repository that is not
// yours, or send alarms to a domain nobody owns: each is a deploy blocker until replaced. Pure.
import { NAMESPACE } from "./schema";

/** The orchestrator address in the shipped region stack files: an example, not yours. */
export const EXAMPLE_ORCHESTRATOR = "0x11D12AfEF50b1FeE02146020533857d35936035D";
/**
 * The redeemer accounts in the shipped region stack files: placeholders (no key exists for
 * them), one per shipped region because no two regions may share a redeemer account.
 */
export const EXAMPLE_REDEEMERS: readonly string[] = [
  "0x1000000000000000000000000000000000000001",
  "0x1000000000000000000000000000000000000002",
];
/** The GitHub repository in the shipped fleet stack file. */
export const EXAMPLE_GITHUB_REPOSITORY = "example-org/livepeer-fleet";

/**
 * Host names under the domains reserved for documentation (RFC 2606 section 3: example.com,
 * example.net, example.org; RFC 2606 section 2: the .example TLD), as a whole label sequence.
 */
const EXAMPLE_DOMAIN =
  /(^|[^A-Za-z0-9-])((?:[A-Za-z0-9-]+\.)*example\.(?:com|net|org)|(?:[A-Za-z0-9-]+\.)+example)(?![A-Za-z0-9-])/i;

export function exampleDomainIn(value: string): string | undefined {
  return EXAMPLE_DOMAIN.exec(value)?.[2];
}

export interface ExampleValue {
  keyPath: string;
  message: string;
}

/** Every string of a config value with an example domain, with its key path. */
function exampleDomains(value: unknown, keyPath: string): ExampleValue[] {
  if (typeof value === "string") {
    const d = exampleDomainIn(value);
    return d
      ? [
          {
            keyPath,
            message: `${d} is a reserved example domain (RFC 2606): replace it with one you own`,
          },
        ]
      : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => exampleDomains(v, `${keyPath}[${i}]`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => exampleDomains(v, `${keyPath}.${k}`));
  }
  return [];
}

/** Example values left in a region stack's config (validated, with defaults filled in). */
export function regionExampleValues(
  c: { livepeer: { orchestratorAddress: string; redeemerAddress: string } },
  stackFile: string,
): ExampleValue[] {
  const out: ExampleValue[] = [];
  if (c.livepeer.orchestratorAddress.toLowerCase() === EXAMPLE_ORCHESTRATOR.toLowerCase()) {
    out.push({
      keyPath: `${NAMESPACE}:livepeer.orchestratorAddress`,
      message:
        `${EXAMPLE_ORCHESTRATOR} is the shipped example: set your registered orchestrator's ` +
        `address in ${stackFile}`,
    });
  }
  if (EXAMPLE_REDEEMERS.includes(c.livepeer.redeemerAddress.toLowerCase())) {
    out.push({
      keyPath: `${NAMESPACE}:livepeer.redeemerAddress`,
      message:
        `${c.livepeer.redeemerAddress} is a shipped placeholder: set this region's own redeemer ` +
        `account (fund it with ETH, import its key with identity:import --role redeemer) in ` +
        stackFile,
    });
  }
  for (const [key, value] of Object.entries(c as Record<string, unknown>)) {
    out.push(...exampleDomains(value, `${NAMESPACE}:${key}`));
  }
  return out;
}

/** Example values left in a fleet stack's config. */
export function fleetExampleValues(
  c: { driftCheck: { githubRepository: string } },
  stackFile: string,
): ExampleValue[] {
  const out: ExampleValue[] = [];
  if (c.driftCheck.githubRepository.toLowerCase() === EXAMPLE_GITHUB_REPOSITORY) {
    out.push({
      keyPath: `${NAMESPACE}:driftCheck.githubRepository`,
      message:
        `${EXAMPLE_GITHUB_REPOSITORY} is the shipped example: set the owner/name of your ` +
        `repository in ${stackFile} (the drift role trusts exactly it)`,
    });
  }
  for (const [key, value] of Object.entries(c as Record<string, unknown>)) {
    out.push(...exampleDomains(value, `${NAMESPACE}:${key}`));
  }
  return out;
}
