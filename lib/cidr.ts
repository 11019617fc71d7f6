// IPv4 CIDR arithmetic for the VPC layout and for add-region's non-overlapping blocks. Pure.

export interface Cidr {
  /** The address as written, as a 32-bit unsigned number. */
  base: number;
  /** The network address (base with host bits cleared). */
  network: number;
  prefix: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses "a.b.c.d/n"; undefined when it is not a valid IPv4 CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base, network: base - (base % 2 ** (32 - prefix)), prefix };
}

export function formatCidr(network: number, prefix: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256);
  return `${octets.join(".")}/${prefix}`;
}

/** The netnum-th block of prefix+newbits inside cidr (Terraform's cidrsubnet). */
export function cidrSubnet(cidr: string, newbits: number, netnum: number): string {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const prefix = c.prefix + newbits;
  if (prefix > 32) throw new Error(`${cidr} cannot be split by ${newbits} more bits`);
  if (netnum < 0 || netnum >= 2 ** newbits) {
    throw new Error(`${cidr} has no block ${netnum} of /${prefix}`);
  }
  return formatCidr(c.network + netnum * 2 ** (32 - prefix), prefix);
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) throw new Error(`not IPv4 CIDRs: ${a}, ${b}`);
  const xEnd = x.network + 2 ** (32 - x.prefix);
  const yEnd = y.network + 2 ** (32 - y.prefix);
  return x.network < yEnd && y.network < xEnd;
}

/**
 * The region unit's subnet layout: the VPC is cut into 16 equal blocks. AZ letter a..f takes
 * public block 0..5 and private block 8..13, so the block depends on the letter, never on the
 * list position, and adding an AZ never renumbers (and so never replaces) an existing subnet.
 */
export function subnetCidrs(
  vpcCidr: string,
  azLetter: string,
): { public: string; private: string } {
  const i = "abcdef".indexOf(azLetter);
  if (azLetter.length !== 1 || i < 0) throw new Error(`not an AZ letter a-f: ${azLetter}`);
  return { public: cidrSubnet(vpcCidr, 4, i), private: cidrSubnet(vpcCidr, 4, 8 + i) };
}
