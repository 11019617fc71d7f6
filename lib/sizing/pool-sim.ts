// Minute-by-minute replay of one region's transcoding capacity against a demand trace, as EC2
// Auto Scaling and go-livepeer would run it. Pure and deterministic for a seed.
//
// go-livepeer, as modelled (github.com/livepeer/go-livepeer):
//  - Pooled admission: an orchestrator with -maxSessions auto admits sessions up to the sum of its
//    connected transcoders' capacities (core/orchestrator.go serveTranscoder -> SetMaxSessions);
//    a full orchestrator refuses GetOrchestrator (server/rpc.go verifyOrchestratorReq ->
//    CheckCapacity -> ErrOrchCap), and that session goes to another operator.
//  - A new session goes to the orchestrator's least-loaded transcoder (RemoteTranscoderManager
//    selectTranscoder, byLoadFactor) and stays there; a session stays with its orchestrator.
//  - A transcoder connects to one orchestrator (cmd/livepeer/starter/starter.go RunTranscoder(n,
//    orchURLs[0].Host, ...)); here the one in its own AZ.
//  - A transcoder that goes away: its sessions' next segments go to another transcoder of the
//    same orchestrator (selectTranscoder drops the dead one; Transcode retries a fatal error
//    except a timeout). With no free slot there, the session fails: counted interrupted.
//  - Discovery: the NLB sends each GetOrchestrator to one healthy orchestrator (flow hash:
//    uniform here); healthy = at least one transcoder connected.
// The previous design ("combined") is one process per node: every node its own orchestrator
// and transcoder, so a node that goes away takes its sessions with it.
//
// EC2 Auto Scaling, as modelled (AWS docs cited in lib/sizing/design.ts):
//  - CloudWatch: datapoints every minute (or 10 s), visible `delayMinutes` later. Target tracking's
//    alarms: scale out after `highDatapoints` datapoints above target, scale in after
//    `lowDatapoints` below lowFraction x target; each decision uses the newest visible datapoint
//    with the capacity it was measured against (what the instance warm-up rule achieves), and
//    scale-in waits until scale-out's instances have warmed up. The desired capacity is the
//    maximum over the policies (target tracking, the predictive forecast for the hour, a
//    scheduled minimum), within min/max.
//  - Predictive scaling: a forecast every 6 hours (lib/sizing/forecast.ts, a stand-in), capacity
//    for each hour set `bufferMinutes` before it; it never scales in by itself.
//  - Warm pool: stopped instances start in warm-boot time instead of a cold boot; the pool
//    refills to max(minSize, maxPrepared - desired); with reuse, scale-in returns instances.
//  - Spot: an interruption notice `noticeMinutes` before termination; the group replaces the
//    instance after it is gone. Scale-in removes capacity above the on-demand base first.
import { nextRefusedSessions } from "../demand/metrics";
import { MINUTES_PER_DAY } from "./demand-model";
import { FORECAST_REFRESH_HOURS, forecastLoad } from "./forecast";
import type { InstanceTypeSpec, PolicySpec, SimResult, SimSetup } from "./pool-spec";
import { Rng, between, stream } from "./rng";

export type {
  AlarmSpec,
  BootMinutes,
  InstanceTypeSpec,
  PolicySpec,
  SimResult,
  SimSetup,
} from "./pool-spec";

type State = "booting" | "service" | "warmPreparing" | "warmStopped" | "warmStarting" | "gone";

interface Node {
  type: InstanceTypeSpec;
  orch: number;
  state: State;
  readyAt: number;
  spot: boolean;
  terminateAt: number;
  sessions: Set<number>;
}

const SERVING: ReadonlySet<State> = new Set(["booting", "service", "warmStarting"]);
const RUNNING: ReadonlySet<State> = new Set([
  "booting",
  "service",
  "warmPreparing",
  "warmStarting",
]);

export function simulate(p: PolicySpec, s: SimSetup): SimResult {
  const { trace, boot, alarms } = s;
  const rng: Rng = stream(s.seed, `sim/${p.name}`);
  const spotRng: Rng = stream(s.seed, `spot/${p.name}`);
  const arch = p.architecture;
  const pooled = arch.kind === "pooled";
  const orchCount = arch.kind === "pooled" ? arch.orchestrators : 0;
  // The group's instances; terminated ones leave the list at the next minute.
  let nodes: Node[] = [];
  const where = new Array<Node | undefined>(trace.arrival.length);
  const perUnit = p.types[0].sessions / p.types[0].weight;
  const measured = s.end - s.measureFrom;
  const res: SimResult = {
    costUsd: 0,
    warmPoolUsd: 0,
    bootingUsd: 0,
    offeredSessionMinutes: 0,
    servedSessionMinutes: 0,
    refused: 0,
    interruptedByScaleIn: 0,
    interruptedBySpot: 0,
    movedSessions: 0,
    activities: 0,
    capacity: new Int32Array(measured),
    served: new Int32Array(measured),
    refusedPerMinute: new Int32Array(measured),
  };
  const history = s.history.slice(0, Math.floor(s.start / 60));
  const datapoints: { value: number; basis: number }[] = [];
  const forecastCaps = new Map<number, number>();
  let desired = p.initialDesired;
  let refusedGauge = 0;
  let lastScaleOut = -Infinity;
  let hourSum = 0;
  let retrying: number[] = [];
  const inWindow = (t: number) => t >= s.measureFrom;

  const coldBoot = () => between(rng, boot.coldMin, boot.coldMax);
  const units = (states: ReadonlySet<State>) =>
    nodes.reduce((u, n) => u + (states.has(n.state) ? n.type.weight : 0), 0);

  function launch(t: number): void {
    const spotOn = p.spot !== undefined;
    const onDemandUnits = nodes.reduce(
      (u, n) => u + (SERVING.has(n.state) && !n.spot ? n.type.weight : 0),
      0,
    );
    const asSpot = spotOn && onDemandUnits >= p.spot!.onDemandBase;
    const type = asSpot ? p.types[Math.floor(rng() * p.types.length)] : p.types[0];
    // The group balances AZs; a transcoder joins its own AZ's orchestrator.
    const perAz = new Array<number>(Math.max(1, orchCount)).fill(0);
    for (const n of nodes) if (SERVING.has(n.state)) perAz[n.orch]++;
    const orch = pooled ? perAz.indexOf(Math.min(...perAz)) : 0;
    const warm =
      nodes.find((n) => n.state === "warmStopped" && n.orch === orch) ??
      nodes.find((n) => n.state === "warmStopped");
    if (warm && !asSpot) {
      warm.state = "warmStarting";
      warm.readyAt = t + between(rng, boot.warmMin, boot.warmMax);
    } else {
      nodes.push({
        type,
        orch,
        state: "booting",
        readyAt: t + coldBoot(),
        spot: asSpot,
        terminateAt: Infinity,
        sessions: new Set(),
      });
    }
    if (inWindow(t)) res.activities++;
  }

  /** A transcoder leaves: its sessions move to free slots on the same orchestrator, or fail. */
  function release(n: Node, t: number, cause: "scaleIn" | "spot"): void {
    const wasServing = n.state === "service";
    n.state = "gone";
    if (!wasServing) return;
    const peers = nodes.filter((m) => m.state === "service" && pooled && m.orch === n.orch);
    for (const id of n.sessions) {
      const to = leastLoaded(peers);
      if (to) {
        to.sessions.add(id);
        where[id] = to;
        if (inWindow(t)) res.movedSessions++;
      } else {
        where[id] = undefined;
        if (inWindow(t)) {
          if (cause === "spot") res.interruptedBySpot++;
          else res.interruptedByScaleIn++;
        }
      }
    }
    n.sessions.clear();
    if (inWindow(t)) res.activities++;
  }

  function leastLoaded(candidates: Node[]): Node | undefined {
    let best: Node | undefined;
    let bestLoad = Infinity;
    for (const m of candidates) {
      const load = m.sessions.size / m.type.sessions;
      if (m.sessions.size < m.type.sessions && load < bestLoad) {
        best = m;
        bestLoad = load;
      }
    }
    return best;
  }

  function admit(id: number): boolean {
    const live = nodes.filter((n) => n.state === "service");
    if (live.length === 0) return false;
    let pool: Node[];
    if (arch.kind === "pooled") {
      let healthy = [...new Set(live.map((n) => n.orch))].sort((a, b) => a - b);
      if (arch.routing === "room") {
        const withRoom = healthy.filter((o) => free(o) > 0);
        // An NLB with no healthy target sends to all of them (fail open).
        if (withRoom.length > 0) healthy = withRoom;
      }
      const orch = healthy[Math.floor(rng() * healthy.length)];
      pool = live.filter((n) => n.orch === orch);
    } else {
      pool = [live[Math.floor(rng() * live.length)]];
    }
    const to = leastLoaded(pool);
    if (!to) return false;
    to.sessions.add(id);
    where[id] = to;
    return true;
  }

  /** Free session slots of orchestrator `o` (connected capacity minus sessions). */
  function free(o: number): number {
    let f = 0;
    for (const n of nodes)
      if (n.state === "service" && n.orch === o) f += n.type.sessions - n.sessions.size;
    return f;
  }

  function protectedNode(n: Node): boolean {
    return arch.kind === "pooled" && arch.protectUnabsorbable && free(n.orch) < n.type.sessions;
  }

  function scaleIn(t: number): void {
    let current = units(SERVING);
    while (current > desired) {
      const pending = nodes.filter((n) => n.state === "booting" || n.state === "warmStarting");
      const live = nodes.filter((n) => n.state === "service" && !protectedNode(n));
      let victim: Node | undefined = pending[pending.length - 1];
      if (!victim) {
        const spotFirst = live.filter((n) => n.spot);
        const from = spotFirst.length > 0 ? spotFirst : live;
        // Default termination policy: balance AZs first, then any instance there.
        const perOrch = new Map<number, Node[]>();
        for (const n of from) perOrch.set(n.orch, [...(perOrch.get(n.orch) ?? []), n]);
        const biggest = [...perOrch.values()].sort((a, b) => b.length - a.length)[0];
        victim = biggest?.[Math.floor(rng() * biggest.length)];
      }
      if (!victim || current - victim.type.weight < desired) return;
      current -= victim.type.weight;
      const reuse = p.warmPool?.reuseOnScaleIn && !victim.spot;
      if (victim.state === "service") release(victim, t, "scaleIn");
      victim.state = reuse ? "warmStopped" : "gone";
    }
  }

  function refillWarmPool(t: number): void {
    const w = p.warmPool;
    if (!w) return;
    const want = Math.max(w.minSize, w.maxPrepared - desired);
    const warm = nodes.filter((n) => n.state === "warmPreparing" || n.state === "warmStopped");
    for (let i = warm.length; i < want; i++) {
      nodes.push({
        type: p.types[0],
        orch: i % Math.max(1, orchCount),
        state: "warmPreparing",
        readyAt: t + coldBoot(),
        spot: false,
        terminateAt: Infinity,
        sessions: new Set(),
      });
    }
    const stopped = warm.filter((n) => n.state === "warmStopped");
    for (let i = warm.length; i > want && stopped.length > 0; i--) stopped.pop()!.state = "gone";
  }

  function floorAt(t: number): number {
    let floor = p.minSize;
    if (p.predictive) {
      const hour = Math.floor((t + p.predictive.bufferMinutes) / 60);
      floor = Math.max(floor, forecastCaps.get(hour) ?? 0);
    }
    if (p.schedule && p.schedule.length > 0) {
      const m = t % MINUTES_PER_DAY;
      const sorted = [...p.schedule].sort((a, b) => a.minuteOfDay - b.minuteOfDay);
      const act = sorted.filter((a) => a.minuteOfDay <= m).pop() ?? sorted[sorted.length - 1];
      floor = Math.max(floor, act.minSize);
    }
    return Math.min(floor, p.maxSize);
  }

  // Sessions alive when the replay starts come in at its first minute.
  const ends: number[][] = Array.from({ length: s.end - s.start + 1 }, () => []);
  let next = 0;
  const arrivalsAt = (t: number): number[] => {
    const ids: number[] = [];
    while (next < trace.arrival.length && trace.arrival[next] <= t) {
      const end = trace.arrival[next] + trace.duration[next];
      if (end > t) {
        ids.push(next);
        if (end < s.end) ends[end - s.start].push(next);
      }
      next++;
    }
    return ids;
  };

  for (let i = 0; i < desired; i++) {
    nodes.push({
      type: p.types[0],
      orch: i % Math.max(1, orchCount),
      state: "service",
      readyAt: s.start,
      spot: p.spot !== undefined && i >= p.spot.onDemandBase,
      terminateAt: Infinity,
      sessions: new Set(),
    });
  }
  refillWarmPool(s.start);
  for (const n of nodes) if (n.state === "warmPreparing") n.state = "warmStopped";

  for (let t = s.start; t < s.end; t++) {
    nodes = nodes.filter((n) => n.state !== "gone");
    // 1. Instances finish booting; spot notices come due.
    for (const n of nodes) {
      if (n.readyAt <= t) {
        if (n.state === "booting" || n.state === "warmStarting") n.state = "service";
        else if (n.state === "warmPreparing") n.state = "warmStopped";
      }
      if (n.terminateAt <= t && n.state !== "gone") release(n, t, "spot");
    }
    if (p.spot) {
      const rate = p.spot.interruptionsPerInstanceDay / MINUTES_PER_DAY;
      for (const n of nodes) {
        if (n.spot && SERVING.has(n.state) && n.terminateAt === Infinity && spotRng() < rate) {
          n.terminateAt = t + p.spot.noticeMinutes;
        }
      }
    }
    // 2. Sessions end, then new ones ask for capacity.
    for (const id of ends[t - s.start]) {
      where[id]?.sessions.delete(id);
      where[id] = undefined;
    }
    let refusedNow = 0;
    const asking = [
      ...arrivalsAt(t),
      ...retrying.filter((id) => t < trace.arrival[id] + trace.duration[id]),
    ];
    retrying = [];
    for (const id of asking) {
      if (admit(id)) continue;
      refusedNow++;
      // A gateway that asks again next minute (retryMinutes > 0), until it gives up.
      if (t - trace.arrival[id] < s.retryMinutes) retrying.push(id);
      else if (inWindow(trace.arrival[id])) res.refused++;
    }
    // 3. This minute's datapoint. The refused gauge counts refused sessions that would still be
    // running (each decays with the mean session length): refused demand in sessions.
    refusedGauge = nextRefusedSessions(refusedGauge, refusedNow, s.meanSessionMinutes);
    const live = nodes.filter((n) => n.state === "service");
    const served = live.reduce((x, n) => x + n.sessions.size, 0);
    const capSessions = live.reduce((x, n) => x + n.type.sessions, 0);
    const capUnits = live.reduce((x, n) => x + n.type.weight, 0);
    const tt = p.targetTracking;
    if (tt?.metric === "sessionsPerNode") {
      datapoints.push({ value: live.length ? served / live.length : NaN, basis: live.length });
    } else {
      const demand = served + (tt ? refusedGauge : 0);
      datapoints.push({ value: capSessions ? demand / capSessions : NaN, basis: capUnits });
    }
    hourSum += served + refusedGauge;
    if ((t + 1) % 60 === 0) {
      history[Math.floor(t / 60)] = hourSum / 60;
      hourSum = 0;
    }
    // 4. Predictive scaling refreshes its forecast every few hours.
    if (p.predictive && t % (FORECAST_REFRESH_HOURS * 60) === 0) {
      const nowHour = t / 60;
      const load = forecastLoad(history, nowHour);
      (load ?? []).forEach((l, i) => {
        const capacity = Math.ceil(l / (p.predictive!.targetUtilisation * perUnit) - 1e-9);
        forecastCaps.set(nowHour + i, Math.min(p.maxSize, Math.max(p.minSize, capacity)));
      });
    }
    // 5. Target tracking on the datapoints CloudWatch shows by now.
    if (tt) {
      const visible = datapoints.length - tt.delayMinutes;
      const last = (k: number) => datapoints.slice(Math.max(0, visible - k), Math.max(0, visible));
      const newest = last(1)[0];
      const proposed = newest ? Math.ceil((newest.value * newest.basis) / tt.target - 1e-9) : NaN;
      // A minute here stands for all its datapoints: k datapoints of p seconds span
      // ceil(k p / 60) minutes.
      const span = (k: number) => Math.ceil((k * tt.periodSeconds) / 60);
      const high = last(span(alarms.highDatapoints));
      const low = last(span(alarms.lowDatapoints));
      if (high.length === span(alarms.highDatapoints) && high.every((d) => d.value > tt.target)) {
        if (proposed > desired) {
          desired = Math.min(p.maxSize, proposed);
          lastScaleOut = t;
        }
      } else if (
        low.length === span(alarms.lowDatapoints) &&
        low.every((d) => d.value < alarms.lowFraction * tt.target) &&
        t - lastScaleOut >= tt.warmupMinutes &&
        proposed < desired
      ) {
        desired = proposed;
      }
    }
    desired = Math.min(p.maxSize, Math.max(desired, floorAt(t)));
    // 6. The group moves to its desired capacity.
    while (units(SERVING) < desired) launch(t);
    scaleIn(t);
    refillWarmPool(t);
    // 7. Cost and service of this minute.
    if (inWindow(t)) {
      const i = t - s.measureFrom;
      for (const n of nodes) {
        if (n.state === "gone") continue;
        const price = RUNNING.has(n.state) ? (n.spot ? n.type.spotHourlyUsd : n.type.hourlyUsd) : 0;
        const usd = (price + n.type.volumeHourlyUsd) / 60;
        res.costUsd += usd;
        if (n.state === "warmPreparing" || n.state === "warmStopped") res.warmPoolUsd += usd;
        if (n.state === "booting" || n.state === "warmStarting") res.bootingUsd += usd;
      }
      res.capacity[i] = capSessions;
      res.served[i] = served;
      res.refusedPerMinute[i] = refusedNow;
      res.servedSessionMinutes += served;
      res.offeredSessionMinutes += trace.offered[t];
    }
  }
  return res;
}
