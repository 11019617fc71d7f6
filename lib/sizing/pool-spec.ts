// What the sizing simulator (lib/sizing/pool-sim.ts) takes and returns: a scaling policy as
// EC2 Auto Scaling would run it, the replay's setup and its result. Types only.
import type { DemandTrace } from "./demand-model";

export interface InstanceTypeSpec {
  name: string;
  /** Sessions one transcoder of this type carries (its -maxSessions). */
  sessions: number;
  hourlyUsd: number;
  spotHourlyUsd: number;
  /** Capacity units one instance counts for in the group (1, or its sessions when weighted). */
  weight: number;
  /** Root volume USD per hour, paid running or stopped. */
  volumeHourlyUsd: number;
}

export interface BootMinutes {
  coldMin: number;
  coldMax: number;
  warmMin: number;
  warmMax: number;
}

export interface AlarmSpec {
  highDatapoints: number;
  lowDatapoints: number;
  lowFraction: number;
}

export interface PolicySpec {
  name: string;
  /**
   * pooled: a few orchestrators, one per AZ, each pooling its AZ's transcoders; combined: every
   * node its own orchestrator and transcoder (the previous design).
   */
  architecture:
    | {
        kind: "pooled";
        orchestrators: number;
        /**
         * Which orchestrators discovery sends a session to. "any": every one with a transcoder
         * (health = go-livepeer up, transcoders registered). "room": only those with a free slot
         * (the health check also fails while the orchestrator is full), so a full orchestrator
         * does not refuse a session another one could take.
         */
        routing: "any" | "room";
        /**
         * Scale-in protection, kept by the orchestrators: an orchestrator with less than one
         * transcoder's worth of free slots protects its transcoders, so scale-in only removes a
         * transcoder whose sessions the others of its orchestrator can take.
         */
        protectUnabsorbable: boolean;
      }
    | { kind: "combined" };
  /** Launch choices (several: capacity-optimised spot across them, uniformly here). */
  types: InstanceTypeSpec[];
  minSize: number;
  maxSize: number;
  initialDesired: number;
  targetTracking?: {
    /** utilisation: (served + refused) / pool capacity; sessionsPerNode: average served per node. */
    metric: "utilisation" | "sessionsPerNode";
    target: number;
    warmupMinutes: number;
    /** The metric's period: 60, or 10 for a high-resolution metric (datapoints every 10 s). */
    periodSeconds: number;
    /** A minute's datapoints are evaluated this many minutes after the minute. */
    delayMinutes: number;
  };
  predictive?: { targetUtilisation: number; bufferMinutes: number };
  /** Recurring daily minimum size from minute-of-day (UTC). */
  schedule?: { minuteOfDay: number; minSize: number }[];
  warmPool?: { minSize: number; maxPrepared: number; reuseOnScaleIn: boolean };
  spot?: { onDemandBase: number; interruptionsPerInstanceDay: number; noticeMinutes: number };
}

export interface SimSetup {
  trace: DemandTrace;
  /** Minutes simulated: [start, end); measured: [measureFrom, end). */
  start: number;
  measureFrom: number;
  end: number;
  /** Load metric history by absolute hour before `start` (the forecast's training data). */
  history: number[];
  boot: BootMinutes;
  alarms: AlarmSpec;
  meanSessionMinutes: number;
  /**
   * Minutes a refused session keeps asking (a gateway retrying discovery). 0: a refused session
   * goes to another operator for good, which is what go-livepeer's gateway does with an
   * orchestrator that answered OrchestratorCapped for that stream.
   */
  retryMinutes: number;
  seed: number;
}

export interface SimResult {
  costUsd: number;
  /** The part of costUsd paid for warm-pool instances (preparing runs, stopped volumes). */
  warmPoolUsd: number;
  /** The part paid for instances booting (not yet serving). */
  bootingUsd: number;
  offeredSessionMinutes: number;
  servedSessionMinutes: number;
  refused: number;
  interruptedByScaleIn: number;
  interruptedBySpot: number;
  movedSessions: number;
  activities: number;
  /** Per measured minute: sessions the connected transcoders carry, served, refused. */
  capacity: Int32Array;
  served: Int32Array;
  refusedPerMinute: Int32Array;
}
