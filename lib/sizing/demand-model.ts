// Synthetic demand for the sizing bench, minute by minute and session by session, from a seed.
//
// A day's intended concurrency is the region's hourly profile (interpolated per minute) times the
// day's level: growth, a weekend factor and day-to-day noise. Spike days add one 3-5x jump of
// that level, either a step (all at once) or a 15-minute ramp, held for 30-90 minutes. Sessions
// arrive as a Poisson process whose rate keeps the expected number alive on the curve, and last
// an exponential time (mean `meanSessionMinutes`): when a spike ends its sessions drain as
// streams end, they do not vanish. What a policy is judged on is the sessions, not the curve.
import { Rng, between, exponentialMinutes, normal, poisson, stream } from "./rng";

export const MINUTES_PER_DAY = 1440;

export type DayKind = "ordinary" | "step" | "ramp";
export const DAY_KINDS: readonly DayKind[] = ["ordinary", "step", "ramp"];

export interface SpikeSpec {
  /** The demand jumps to this many times its level (drawn per spike in [min, max]). */
  minFactor: number;
  maxFactor: number;
  /** How long the raised demand lasts before arrivals fall back (drawn in [min, max]). */
  minHoldMinutes: number;
  maxHoldMinutes: number;
  /** A ramp spike reaches its factor linearly over this many minutes; a step at once. */
  rampMinutes: number;
}

export interface DemandSpec {
  /** Mean concurrent sessions per UTC hour 00..23 on an ordinary weekday at day 0. */
  profile: readonly number[];
  /** Weekend (Saturday, Sunday) level relative to a weekday. */
  weekendFactor: number;
  /** Day-to-day level noise: sigma of a mean-one lognormal factor. */
  dayLevelSigma: number;
  /** Compound growth of the level per day. */
  growthPerDay: number;
  meanSessionMinutes: number;
  spike: SpikeSpec;
}

export interface DayPlan {
  /** Day index from the trace start (day 0 is a Monday). */
  day: number;
  kind: DayKind;
  weekend: boolean;
  level: number;
  spike?: { start: number; factor: number; holdMinutes: number; rampMinutes: number };
}

export interface DemandTrace {
  days: DayPlan[];
  minutes: number;
  /** The intended concurrency per minute (what arrivals aim for). */
  curve: Float64Array;
  /** Sessions, sorted by arrival minute; a session is alive in [arrival, arrival + duration). */
  arrival: Int32Array;
  duration: Int32Array;
  /** Demand sessions alive per minute: the offered concurrency a policy is judged against. */
  offered: Int32Array;
}

/** A run of days generated from one named random stream. */
export interface Segment {
  label: string;
  kinds: readonly DayKind[];
}

export function isWeekend(day: number): boolean {
  return day % 7 === 5 || day % 7 === 6;
}

/** The profile at minute-of-day m: hourly values sit at the middle of their hour, linear between. */
export function profileAt(profile: readonly number[], m: number): number {
  const x = m / 60 - 0.5;
  const h0 = Math.floor(x);
  const f = x - h0;
  const a = profile[(h0 + 24) % 24];
  const b = profile[(h0 + 25) % 24];
  return a + (b - a) * f;
}

function spikeMultiplier(d: DayPlan, t: number): number {
  const s = d.spike;
  if (!s || t < s.start || t >= s.start + s.rampMinutes + s.holdMinutes) return 1;
  if (s.rampMinutes === 0) return s.factor;
  return 1 + (s.factor - 1) * Math.min(1, (t - s.start) / s.rampMinutes);
}

function planDays(spec: DemandSpec, seg: Segment, first: number, r: Rng): DayPlan[] {
  return seg.kinds.map((kind, i) => {
    const day = first + i;
    const weekend = isWeekend(day);
    const sigma = spec.dayLevelSigma;
    const level =
      Math.pow(1 + spec.growthPerDay, day) *
      (weekend ? spec.weekendFactor : 1) *
      Math.exp(sigma * normal(r) - (sigma * sigma) / 2);
    const plan: DayPlan = { day, kind, weekend, level };
    if (kind !== "ordinary") {
      const sp = spec.spike;
      const hold = between(r, sp.minHoldMinutes, sp.maxHoldMinutes);
      const ramp = kind === "ramp" ? sp.rampMinutes : 0;
      // Anywhere in the day, but over before midnight so each spike belongs to its day.
      const latest = MINUTES_PER_DAY - hold - ramp - 1;
      plan.spike = {
        start: day * MINUTES_PER_DAY + between(r, 0, Math.max(0, latest)),
        factor: sp.minFactor + (sp.maxFactor - sp.minFactor) * r(),
        holdMinutes: hold,
        rampMinutes: ramp,
      };
    }
    return plan;
  });
}

/**
 * Generates the days of `segments` back to back from `seed`. Each segment draws from its own
 * stream, so a segment (the training days) is identical whatever follows it.
 */
export function generateDemand(
  spec: DemandSpec,
  segments: readonly Segment[],
  seed: number,
): DemandTrace {
  const days: DayPlan[] = [];
  for (const seg of segments) {
    days.push(...planDays(spec, seg, days.length, stream(seed, `${seg.label}/days`)));
  }
  const minutes = days.length * MINUTES_PER_DAY;
  const curve = new Float64Array(minutes);
  for (const d of days) {
    for (let m = 0; m < MINUTES_PER_DAY; m++) {
      const t = d.day * MINUTES_PER_DAY + m;
      curve[t] = d.level * profileAt(spec.profile, m) * spikeMultiplier(d, t);
    }
  }
  const M = spec.meanSessionMinutes;
  const keep = 1 - 1 / M;
  const arrival: number[] = [];
  const duration: number[] = [];
  let expected = curve[0];
  // Day 0 starts with the curve's sessions already running (no empty warm-up).
  const first = stream(seed, `${segments[0].label}/initial`);
  for (let i = 0; i < poisson(first, curve[0]); i++) {
    arrival.push(0);
    duration.push(exponentialMinutes(first, M));
  }
  let day = 0;
  for (const seg of segments) {
    const r = stream(seed, `${seg.label}/arrivals`);
    for (let i = 0; i < seg.kinds.length; i++, day++) {
      for (let m = day === 0 ? 1 : 0; m < MINUTES_PER_DAY; m++) {
        const t = day * MINUTES_PER_DAY + m;
        // Arrivals that put the expected number alive back on the curve; when the curve falls
        // faster than sessions end, none arrive and the alive count decays with the streams.
        const mean = Math.max(0, curve[t] - expected * keep);
        expected = expected * keep + mean;
        const n = poisson(r, mean);
        for (let k = 0; k < n; k++) {
          arrival.push(t);
          duration.push(exponentialMinutes(r, M));
        }
      }
    }
  }
  const offered = new Int32Array(minutes);
  for (let i = 0; i < arrival.length; i++) {
    const end = Math.min(minutes, arrival[i] + duration[i]);
    for (let t = arrival[i]; t < end; t++) offered[t]++;
  }
  return {
    days,
    minutes,
    curve,
    arrival: Int32Array.from(arrival),
    duration: Int32Array.from(duration),
    offered,
  };
}

/** Mean offered concurrency per hour of the trace (hour index = minute / 60). */
export function hourlyMeans(offered: Int32Array, fromMinute: number, toMinute: number): number[] {
  const out: number[] = [];
  for (let h = Math.floor(fromMinute / 60); h * 60 < toMinute; h++) {
    let s = 0;
    for (let t = h * 60; t < (h + 1) * 60; t++) s += offered[t];
    out.push(s / 60);
  }
  return out;
}

/** Peak offered concurrency per UTC hour of day over [fromDay, toDay): what demand:sync writes. */
export function hourOfDayPeaks(trace: DemandTrace, fromDay: number, toDay: number): number[] {
  const peaks = new Array<number>(24).fill(0);
  for (let t = fromDay * MINUTES_PER_DAY; t < toDay * MINUTES_PER_DAY; t++) {
    const h = Math.floor((t % MINUTES_PER_DAY) / 60);
    peaks[h] = Math.max(peaks[h], trace.offered[t]);
  }
  return peaks;
}

/**
 * Typical peak per UTC hour of day over [fromDay, toDay): for each hour, the median over the
 * days of that hour's peak. A past spike moves the maximum (hourOfDayPeaks) but not this.
 */
export function typicalHourlyPeaks(trace: DemandTrace, fromDay: number, toDay: number): number[] {
  const out: number[] = [];
  for (let h = 0; h < 24; h++) {
    const perDay: number[] = [];
    for (let d = fromDay; d < toDay; d++) {
      let peak = 0;
      for (let t = d * MINUTES_PER_DAY + h * 60; t < d * MINUTES_PER_DAY + (h + 1) * 60; t++) {
        peak = Math.max(peak, trace.offered[t]);
      }
      perDay.push(peak);
    }
    perDay.sort((a, b) => a - b);
    const mid = Math.floor(perDay.length / 2);
    out.push(perDay.length % 2 ? perDay[mid] : (perDay[mid - 1] + perDay[mid]) / 2);
  }
  return out;
}
