// Config for demand-driven sizing: the region's demand profile, the capacity model per instance
// type and the sizing policy. Grouped here (imported by schema.ts) so the sizing keys stay in
// one place; docs/sizing.md explains every number. Pure: no Pulumi imports.
import { z } from "zod";
import { KNOWN_REGIONS } from "../stack";
import { HOURS, Rendition, SizingError, planCapacity } from "../sizing/planner";
import { addDerived } from "./derived";
import { WEIGHT_RANGE, spotCandidates } from "../sizing/pool";

export const SIZING_DEFAULTS = {
  /** Plan for 125% of the measured peak: demand grows between syncs and peaks are not flat. */
  headroom: 0.25,
  /** N+1: one node can fail or be replaced by an instance refresh without dropping streams. */
  spareNodes: 1,
  /** GPU nodes boot in ~10 minutes (healthCheckGracePeriodSeconds 600): start them 15 early. */
  scaleUpLeadMinutes: 15,
  /**
   * Maintenance hour when a stack has no demand profile yet (then nothing says which is quiet):
   * 04:00 UTC, the night in the Americas and early morning in Europe.
   */
  maintenanceHourUtc: 4,
} as const;

/**
 * Bitrates (kbit/s) of the renditions of go-livepeer's cmd/livepeer_bench/transcodingOptions.json
 * (`bitrate` 3000000, 1600000, 800000, 250000 bit/s), by rendition name: a ladder entry with one
 * of these names and no bitrateKbps of its own is priced at this rate.
 */
export const BENCH_LADDER_KBPS: Readonly<Record<string, number>> = {
  "720p0": 3000,
  "480p0": 1600,
  "360p0": 800,
  "240p0": 250,
};

/**
 * The ladder most streams on the network use: go-livepeer's cmd/livepeer_bench
 * transcodingOptions.json (240p/360p/480p/720p, fps 0 = the source's) on the 1080p30 source
 * livepeer_bench ships. Used when a stack has no ladder of its own. The source's bitrate is the
 * gateway's and unknown here.
 */
export const COMMON_LADDER: Rendition[] = [
  { name: "source", width: 1920, height: 1080, fps: 30 },
  { name: "720p0", width: 1280, height: 720, fps: 30, bitrateKbps: BENCH_LADDER_KBPS["720p0"] },
  { name: "480p0", width: 854, height: 480, fps: 30, bitrateKbps: BENCH_LADDER_KBPS["480p0"] },
  { name: "360p0", width: 640, height: 360, fps: 30, bitrateKbps: BENCH_LADDER_KBPS["360p0"] },
  { name: "240p0", width: 426, height: 240, fps: 30, bitrateKbps: BENCH_LADDER_KBPS["240p0"] },
];

/** A rendition's bitrate: its own, else the livepeer_bench ladder's for its name, else unknown. */
export function renditionKbps(r: Rendition): number | undefined {
  return (
    r.bitrateKbps ??
    (Object.hasOwn(BENCH_LADDER_KBPS, r.name) ? BENCH_LADDER_KBPS[r.name] : undefined)
  );
}

export const SOURCE_RENDITION = "source";

export const RenditionSchema = z.strictObject({
  /** "source" for the source's own rendition; a go-livepeer profile name for the others. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "expected a rendition name such as P720p30fps16x9"),
  width: z.number().int().min(16).max(7680),
  height: z.number().int().min(16).max(4320),
  fps: z.number().positive().max(240),
  /**
   * Encoded bitrate in kbit/s. Default: livepeer_bench's for the names 720p0/480p0/360p0/240p0,
   * else unknown (the plan then leaves that rendition out of data transfer and says so).
   */
  bitrateKbps: z.number().int().min(1).max(200_000).optional(),
});

export const DemandSchema = z.strictObject({
  /**
   * Peak concurrent source streams for each UTC hour 00..23 (24 values), written by
   * `npm run demand:sync` from livepeer_current_sessions_total. Default: none, and then the node
   * group stays at nodeGroup.minSize with target tracking alone.
   */
  peakStreams: z
    .array(z.number().int("expected whole streams").min(0).max(100_000))
    .length(HOURS, `expected ${HOURS} values, one per UTC hour 00..23`)
    .optional(),
  /**
   * The ladder every stream is transcoded to, the source's own rendition (name "source") first
   * among equals. Default: the network's common ladder on a 1080p30 source (COMMON_LADDER).
   */
  ladder: z
    .array(RenditionSchema)
    .min(2, "expected the source rendition and at least one output")
    .refine((l) => l.filter((r) => r.name === SOURCE_RENDITION).length === 1, {
      message: `expected exactly one rendition named "${SOURCE_RENDITION}" (the source's own)`,
    })
    .refine((l) => new Set(l.map((r) => r.name)).size === l.length, {
      message: "expected each rendition name once",
    })
    .default(COMMON_LADDER.map((r) => ({ ...r }))),
});

const sourceNote = z.string().min(12, "say where the number comes from (a URL, a benchmark run)");

/**
 * Whether a pixelsPerSecond is a livepeer_bench measurement (pixelsSource names the run: GPU,
 * go-livepeer version, source, ladder, the ratio table) or an estimate. The plan shows which, so
 * a number nobody measured is never read as one that was.
 */
export const PIXELS_BASES = ["measured", "estimated"] as const;
export type PixelsBasis = (typeof PIXELS_BASES)[number];

export const InstanceCapacitySchema = z.strictObject({
  /** Transcoded pixels per second one instance sustains with real-time margin (docs/sizing.md). */
  pixelsPerSecond: z.number().positive().max(1e12),
  /** Where pixelsPerSecond comes from. */
  pixelsSource: sourceNote,
  /**
   * "measured" (a livepeer_bench run, cited in pixelsSource) or "estimated". Default
   * "estimated": a number is a measurement only when someone says which run it came from.
   */
  pixelsBasis: z.enum(PIXELS_BASES).default("estimated"),
  /** On-demand USD per hour: `default` plus optional per-region prices (region wins). */
  hourlyUsd: z.record(z.string(), z.number().positive().max(1000)).superRefine((prices, ctx) => {
    if (!("default" in prices)) {
      ctx.addIssue({ code: "custom", message: "expected a `default` price" });
    }
    for (const k of Object.keys(prices)) {
      if (k !== "default" && !KNOWN_REGIONS.has(k)) {
        ctx.addIssue({ code: "custom", path: [k], message: "expected `default` or an AWS region" });
      }
    }
  }),
  /** Where hourlyUsd comes from. */
  priceSource: sourceNote,
});

/**
 * Capacity model per instance type, keyed by instance type. Project-wide in Pulumi.yaml; a stack
 * overrides one number (deep merge) after measuring its own nodes with livepeer_bench.
 */
export const CapacityModelSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "expected an EC2 instance type key"),
  InstanceCapacitySchema,
);

export const SizingPolicySchema = z.strictObject({
  /** Spare capacity above the peak, as a fraction 0-3. Default 0.25. */
  headroom: z.number().min(0).max(3).default(SIZING_DEFAULTS.headroom),
  /** Whole spare nodes on top (N+1). Default 1. */
  spareNodes: z.number().int().min(0).max(50).default(SIZING_DEFAULTS.spareNodes),
  /** Minutes before its hour a scale-up runs (node boot time). 0-59, default 15. */
  scaleUpLeadMinutes: z.number().int().min(0).max(59).default(SIZING_DEFAULTS.scaleUpLeadMinutes),
});

/** Region stack keys this file adds to REGION_KEYS. */
export const SIZING_KEYS = {
  demand: DemandSchema.prefault({}),
  capacityModel: CapacityModelSchema.default({}),
  sizing: SizingPolicySchema.prefault({}),
} as const;

export type DemandConfig = z.output<typeof DemandSchema>;
export type CapacityModel = z.output<typeof CapacityModelSchema>;
export type InstanceCapacity = z.output<typeof InstanceCapacitySchema>;
export type SizingPolicyConfig = z.output<typeof SizingPolicySchema>;

interface SizingFields {
  demand: DemandConfig;
  capacityModel: CapacityModel;
  sizing: SizingPolicyConfig;
  nodeGroup: {
    instanceType: string;
    minSize: number;
    maxSize: number;
    maxSessions?: number;
    spot: boolean;
  };
}

/**
 * What AWS would refuse of a spot pool, or what cannot work with one, each on the key to change:
 * the types' weights are their -maxSessions and AWS takes weights of 1-999 only
 * (LaunchTemplateOverrides.WeightedCapacity: "Value must be in the range of 1-999"); one
 * nodeGroup.maxSessions cannot be every type's weight; and the pool needs a capacity model for
 * its own type. (A warm pool with spot is never built: AWS refuses PutWarmPool on a group with a
 * mixed instances policy, API reference.)
 */
function refineSpot(c: SizingFields, ctx: z.RefinementCtx): void {
  if (!c.nodeGroup.spot) return;
  const type = c.nodeGroup.instanceType;
  const from = ["nodeGroup.spot", "nodeGroup.instanceType", "capacityModel", "demand.ladder"];
  if (!c.capacityModel[type]) {
    addDerived(ctx, {
      path: ["nodeGroup", "spot"],
      message:
        `spot weights each type by its own sessions: add livepeer-fleet:capacityModel.${type} ` +
        `(docs/sizing.md) or set nodeGroup.spot to false`,
      from,
    });
    return;
  }
  if (c.nodeGroup.maxSessions !== undefined) {
    addDerived(ctx, {
      path: ["nodeGroup", "maxSessions"],
      message:
        "with nodeGroup.spot each type's -maxSessions (and weight) comes from its own capacity " +
        "model: remove nodeGroup.maxSessions, or set nodeGroup.spot to false",
      from: ["nodeGroup.spot", "nodeGroup.maxSessions"],
    });
  }
  for (const t of spotCandidates(type, c.capacityModel, c.demand.ladder).types) {
    if (t.sessions > WEIGHT_RANGE.max) {
      addDerived(ctx, {
        path: ["capacityModel", t.instanceType, "pixelsPerSecond"],
        message:
          `${t.instanceType} carries ${t.sessions} streams of the ladder, and a spot pool weights ` +
          `it by them: AWS takes weights of ${WEIGHT_RANGE.min}-${WEIGHT_RANGE.max} only`,
        from,
      });
    }
  }
}

/**
 * Cross-field checks, run by the region schema: the instance type has a capacity model when a
 * demand profile needs one, and the bounds can serve the profile. Issues land on the key the
 * user should change.
 */
export function refineSizing(c: SizingFields, ctx: z.RefinementCtx): void {
  refineSpot(c, ctx);
  const type = c.nodeGroup.instanceType;
  const model = c.capacityModel[type];
  if (!model) {
    if (c.demand.peakStreams === undefined) return; // no profile: nothing to size from yet
    addDerived(ctx, {
      from: ["nodeGroup.instanceType", `capacityModel.${type}`, "demand.peakStreams"],
      path: ["nodeGroup", "instanceType"],
      message:
        `no capacity model for ${type}, which the demand profile needs: add ` +
        `livepeer-fleet:capacityModel.${type} (pixelsPerSecond, hourlyUsd, sources) to Pulumi.yaml ` +
        `or this stack (docs/sizing.md), or use one of: ${Object.keys(c.capacityModel).join(", ")}`,
    });
    return;
  }
  if (c.nodeGroup.minSize > c.nodeGroup.maxSize) return; // reported by the region schema
  try {
    planCapacity({
      // Without a profile only the ladder-fits-a-node check applies: plan an idle day.
      peakStreams: c.demand.peakStreams ?? new Array<number>(HOURS).fill(0),
      ladder: c.demand.ladder,
      nodePixelsPerSecond: model.pixelsPerSecond,
      sessionsPerNode: c.nodeGroup.maxSessions,
      policy: { ...c.sizing, minSize: c.nodeGroup.minSize, maxSize: c.nodeGroup.maxSize },
    });
  } catch (err) {
    if (!(err instanceof SizingError)) throw err;
    const path =
      err.field === "maxSize"
        ? ["nodeGroup", "maxSize"]
        : err.field === "pixelsPerSecond"
          ? ["capacityModel", type, "pixelsPerSecond"]
          : ["demand", "peakStreams"];
    addDerived(ctx, {
      path,
      message: err.message,
      from: [
        "nodeGroup.instanceType",
        "nodeGroup.minSize",
        "nodeGroup.maxSize",
        `capacityModel.${type}`,
        "demand",
        "sizing",
      ],
    });
  }
}
