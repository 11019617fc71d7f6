// Seeded randomness for the sizing bench: every draw comes from a stream named by the bench's
// seed and a label ("demand/train", "spot/new design"), so one seed reproduces a run exactly and
// two parts of a run never share draws (a policy's spot interruptions do not shift the demand).

/** A deterministic uniform [0, 1) stream. */
export type Rng = () => number;

/** mulberry32: small, fast, good enough for simulation (not for anything secret). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the label, mixed with the seed: independent streams per (seed, label). */
export function stream(seed: number, label: string): Rng {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return mulberry32(h);
}

/** Standard normal (Box-Muller). */
export function normal(r: Rng): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** A Poisson count with mean `mean` (Knuth below 30, a rounded normal above: both exact enough). */
export function poisson(r: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(r)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = r();
  while (p > limit) {
    k++;
    p *= r();
  }
  return k;
}

/** Whole minutes >= 1, exponentially distributed with mean `mean`. */
export function exponentialMinutes(r: Rng, mean: number): number {
  return Math.max(1, Math.round(-mean * Math.log(1 - r())));
}

/** Uniform integer in [lo, hi]. */
export function between(r: Rng, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}
