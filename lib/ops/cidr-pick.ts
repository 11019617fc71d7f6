// Picks a VPC block for a new region that overlaps no existing stack's block. Pure.
import { cidrsOverlap, formatCidr, parseCidr } from "../cidr";

const TEN_SLASH_8 = { network: 10 * 2 ** 24, size: 2 ** 24 };

/**
 * The first /prefix block inside 10.0.0.0/8 that overlaps none of `used`, scanning upwards from
 * just after the highest used block inside 10/8 and then wrapping around, so new regions follow
 * the fleet's existing numbering (10.10, 10.11 -> 10.12). Undefined when 10/8 is full.
 */
export function nextFreeCidr(used: readonly string[], prefix = 16): string | undefined {
  if (prefix < 16 || prefix > 22) throw new Error(`prefix /${prefix} outside /16-/22`);
  const step = 2 ** (32 - prefix);
  const count = TEN_SLASH_8.size / step;
  const inTen = used
    .map((c) => parseCidr(c))
    .filter((c): c is NonNullable<typeof c> => c !== undefined)
    .filter(
      (c) => c.network >= TEN_SLASH_8.network && c.network < TEN_SLASH_8.network + TEN_SLASH_8.size,
    );
  let start = 0;
  if (inTen.length > 0) {
    const highestEnd = Math.max(...inTen.map((c) => c.network + 2 ** (32 - c.prefix)));
    start = Math.ceil((highestEnd - TEN_SLASH_8.network) / step) % count;
  }
  for (let i = 0; i < count; i++) {
    const candidate = formatCidr(TEN_SLASH_8.network + ((start + i) % count) * step, prefix);
    if (!used.some((u) => parseCidr(u) !== undefined && cidrsOverlap(u, candidate))) {
      return candidate;
    }
  }
  return undefined;
}
