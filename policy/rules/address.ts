// IP address ranges as the policy rules need them: every way AWS accepts a CIDR source parsed to
// the block of addresses it covers, so "is this source inside the VPC?" is a range comparison and
// not a string comparison. Written out because a string list of "anywhere" spellings missed
// 0.0.0.0/1 + 128.0.0.0/1, ::/1 + 8000::/1, 0::/0 and ::0/0. Pure.

/** An address block: its family and its first and last address. */
export interface Block {
  family: 4 | 6;
  first: bigint;
  last: bigint;
}

const V4_PART = /^(0|[1-9]\d{0,2})$/;

/** "a.b.c.d" to a 32-bit number; undefined when any part is not a decimal 0-255. */
function parseV4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Leading zeros are refused: inet_aton reads "010" as octal, so its meaning is ambiguous.
    if (!V4_PART.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

/**
 * An IPv6 address in any RFC 4291 section 2.2 text form (full, "::"-compressed, leading zeros,
 * either case, a trailing dotted IPv4 part) to a 128-bit number; undefined when it is none.
 */
function parseV6(text: string): bigint | undefined {
  let s = text.toLowerCase();
  const lastColon = s.lastIndexOf(":");
  const dotted = s.slice(lastColon + 1);
  if (dotted.includes(".")) {
    // "::ffff:192.0.2.1" is "::ffff:c000:201": rewrite the IPv4 part as its two groups.
    const v4 = parseV4(dotted);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  const missing = 8 - head.length - rest.length;
  // "::" stands for one or more zero groups; without it all eight must be written.
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...Array<string>(missing).fill("0"), ...rest];
  return words.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}

/**
 * Parses a CIDR block ("10.0.0.0/16", "::/0", "0::/0", "8000::/1", "10.0.0.5/8" with host bits).
 * Host bits are ignored, as AWS ignores them: the block is what the prefix covers. A bare address
 * is a single-address block. Undefined for anything that is not an IPv4 or IPv6 CIDR.
 */
export function parseBlock(text: string): Block | undefined {
  const t = text.trim();
  const slash = t.indexOf("/");
  const addr = slash < 0 ? t : t.slice(0, slash);
  const prefixText = slash < 0 ? undefined : t.slice(slash + 1);
  const family: 4 | 6 = addr.includes(":") ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const value = family === 4 ? parseV4(addr) : parseV6(addr);
  if (value === undefined) return undefined;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > bits) return undefined;
  }
  const hostBits = BigInt(bits - prefix);
  const first = (value >> hostBits) << hostBits;
  const last = first | ((1n << hostBits) - 1n);
  return { family, first, last };
}

/** True when every address of `inner` is inside `outer`. */
export function within(inner: Block, outer: Block): boolean {
  return inner.family === outer.family && outer.first <= inner.first && inner.last <= outer.last;
}

/**
 * The private address space (RFC 1918 for IPv4, RFC 4193 unique local addresses for IPv6): what
 * "inside" means to a caller that does not know the unit's VPC.
 */
export const PRIVATE_SPACE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

/**
 * True when the source block `cidr` covers any address outside every block of `inside`. Text that
 * does not parse is treated as public: a rule cannot prove it harmless.
 */
export function coversOutside(cidr: string, inside: readonly string[]): boolean {
  const b = parseBlock(cidr);
  if (!b) return true;
  return !inside.some((i) => {
    const o = parseBlock(i);
    return o !== undefined && within(b, o);
  });
}
