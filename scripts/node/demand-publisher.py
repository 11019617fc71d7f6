#!/usr/bin/python3
"""Demand publisher of a livepeer-fleet orchestrator: every --interval seconds it puts the
region's demand as this orchestrator sees it to CloudWatch (high resolution), every datapoint
with the --dimension Unit=<stack> only, so all orchestrators of a unit land in one metric whose
Sum is the region's (lib/demand/metrics.ts says how each value is read back):

  --metric-served            livepeer_current_sessions_total: sessions being transcoded
  --metric-capacity          livepeer_max_sessions_total: with -maxSessions auto, the sum of
                             the connected transcoders' capacities
  --metric-refused-requests  new sessions refused because the orchestrator was full, counted
                             in the interval (Sum over any period = the count in it)
  --metric-refused-sessions  refused sessions that would still be running: each refusal counts
                             1 and decays by 1/--mean-session-minutes per minute
  --metric-pixels            pixels per second transcoded, per rendition (--rendition-dimension;
                             the source's own rendition as "source")

Where the values come from (go-livepeer's Prometheus endpoint --metrics-url, names as in
monitor/census.go; samples summed over their label sets):
  - served, capacity: the gauges above (a gauge go-livepeer does not expose gives no datapoint:
    unknown is not zero).
  - pixels: between two scrapes, livepeer_segment_transcoded_total per `profiles` ladder
    (segments the orchestrator had transcoded, core/orchestrator.go transcodeSeg ->
    SegmentTranscoded) times the mean source segment duration, livepeer_source_segment_duration
    _seconds _sum / _count (recorded for every segment the orchestrator receives,
    server/segment_rpc.go ServeSegment -> SegmentEmerged), gives seconds of video per ladder;
    times each rendition's width x height x fps (its profile name: --profile NAME=WxHxFPS, else
    an lpms name P<h>p<fps>fps<a>x<b>, else <h>p<n> at 16:9 and the source's fps, as
    lib/demand/profiles.ts reads them), and the source's (--source WxHxFPS: the stack's
    configured source rendition, not measured: go-livepeer exports no source resolution).
  - refusals: go-livepeer counts none and logs none for a GetOrchestrator it refuses when full
    (server/rpc.go getOrchestrator -> verifyOrchestratorReq -> CheckCapacity returns ErrOrchCap
    silently). It does log a segment refused for a session it has no room for:
    'Cannot process manifest err="OrchestratorCapped"' (server/segment_rpc.go verifySegCreds,
    clog.Errorf at the default -v 3, with the session's orchSessionID). This publisher follows
    the orchestrator unit's journal (--journalctl --journal-unit) and counts those lines, each
    orchSessionID once per --dedup-minutes (a gateway drops an orchestrator that answered
    OrchestratorCapped for that stream, server/broadcast.go sessionErrStrings, so it rarely
    sends a second). Counted: sessions refused at their first segment (discovery said yes, the
    orchestrator filled before the segment came). Not counted: sessions refused at discovery.
    The refusal metrics are a lower bound; while the orchestrator is full, ServedSessions equals
    PoolCapacitySessions and the utilisation target tracking follows is at or above 1 anyway.
    With the journal unreadable, no refusal datapoint (unknown is not zero).
"""
# Every name, URL, dimension and number comes from the command line, which the user data renders
# from lib/demand/metrics.ts and lib/runtime/values.ts; the names written below are go-livepeer's.
import argparse
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import awsapi

SERVED = "livepeer_current_sessions_total"
CAPACITY = "livepeer_max_sessions_total"
SEGMENTS = "livepeer_segment_transcoded_total"
DURATION = "livepeer_source_segment_duration_seconds"
CAPPED = 'Cannot process manifest err="OrchestratorCapped"'
SOURCE = "source"


def log(msg):
    print(msg[:500], flush=True)


# --- Prometheus text --------------------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*')


def samples(text, name):
    """[(labels, value)] of metric `name` in Prometheus text exposition format."""
    out = []
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m or m.group(1) != name:
            continue
        labels = {}
        body = m.group(3) or ""
        pos = 0
        while pos < len(body):
            lm = _LABEL.match(body, pos)
            if not lm:
                raise ValueError("bad labels: %s" % line[:100])
            labels[lm.group(1)] = re.sub(r'\\(.)', lambda x: {"n": "\n"}.get(x.group(1), x.group(1)),
                                         lm.group(2))
            pos = lm.end()
        out.append((labels, float(m.group(4))))
    return out


def total(text, name):
    """The sum of `name`'s samples, None when there is none."""
    found = samples(text, name)
    return sum(v for _, v in found) if found else None


def by_label(text, name, label):
    """{label value: sum of samples}."""
    out = {}
    for labels, v in samples(text, name):
        key = labels.get(label, "")
        out[key] = out.get(key, 0.0) + v
    return out


# --- renditions ---------------------------------------------------------------------------------

def _size(text):
    m = re.match(r'^(\d+)x(\d+)x(\d+(?:\.\d+)?)$', text)
    if not m:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHTxFPS (got %r)" % text)
    return int(m.group(1)), int(m.group(2)), float(m.group(3))


def _profile(text):
    name, sep, size = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError("expected NAME=WIDTHxHEIGHTxFPS (got %r)" % text)
    return name, _size(size)


def _even_width(height, aw, ah):
    # lib/demand/profiles.ts widthFor: rounded to the nearest even number (encoders need it).
    # JavaScript's Math.round rounds halves up; Python's round() to even: floor(x + 0.5).
    return int((height * aw / ah / 2) + 0.5) * 2


def rendition_size(name, known, source):
    """(w, h, fps) of a profile name, or None when the name does not say its size."""
    if name in known:
        return known[name]
    m = re.match(r'^P(\d{2,4})p(\d{1,3})fps(\d{1,2})x(\d{1,2})$', name)
    if m:
        h, fps, aw, ah = (int(x) for x in m.groups())
        return _even_width(h, aw, ah), h, float(fps)
    m = re.match(r'^(\d{2,4})p\d*$', name)
    if m:
        h = int(m.group(1))
        return _even_width(h, 16, 9), h, source[2]
    return None


def rendition_pixels(segments, duration_sum, duration_count, seconds, known, source):
    """Pixels per second per rendition over `seconds`, from the deltas of the segment counters
    per `profiles` label and of the source duration histogram; (pixels, unknown names)."""
    if seconds <= 0 or duration_count <= 0:
        return {}, []
    mean = duration_sum / duration_count
    px = {}
    unknown = []
    for ladder, n in segments.items():
        if n <= 0:
            continue
        video = n * mean  # seconds of video of this ladder
        w, h, fps = source
        px[SOURCE] = px.get(SOURCE, 0.0) + video * w * h * fps / seconds
        for name in [x for x in ladder.split(",") if x]:
            size = rendition_size(name, known, source)
            if size is None:
                unknown.append(name)
                continue
            px[name] = px.get(name, 0.0) + video * size[0] * size[1] * size[2] / seconds
    return px, sorted(set(unknown))


def next_refused_sessions(previous, refused_this_minute, mean_session_minutes):
    """lib/demand/metrics.ts nextRefusedSessions, the same arithmetic (a test compares them)."""
    return previous * (1 - 1 / mean_session_minutes) + refused_this_minute


# --- refusals from the journal ------------------------------------------------------------------

class Refusals:
    """Follows the orchestrator's journal and counts refused sessions (see the module text)."""

    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.count = 0
        self.seen = {}  # orchSessionID -> monotonic time first counted
        self.reading = False
        self.error = None

    def take(self):
        """(refusals since the last take, or None while the journal is unreadable)."""
        with self.lock:
            if not self.reading:
                self.count = 0
                return None
            n, self.count = self.count, 0
            return n

    def line(self, text):
        if CAPPED not in text:
            return
        m = re.search(r'\borchSessionID=(\S+)', text)
        now = time.monotonic()
        with self.lock:
            horizon = now - self.a.dedup_minutes * 60
            for k in [k for k, t in self.seen.items() if t < horizon]:
                del self.seen[k]
            if m:
                if m.group(1) in self.seen:
                    return
                self.seen[m.group(1)] = now
            self.count += 1

    def run(self):
        cmd = [self.a.journalctl, "--unit", self.a.journal_unit, "--follow", "--lines", "0",
               "--output", "cat"]
        while True:
            try:
                p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, errors="replace")
            except OSError as e:
                self._down("cannot run %s: %s" % (self.a.journalctl, e))
                time.sleep(self.a.interval)
                continue
            with self.lock:
                self.reading = True
            for text in p.stdout:
                self.line(text)
            err = " ".join((p.stderr.read() or "").split())[:200]
            p.wait()
            self._down("%s exited %s %s" % (self.a.journalctl, p.returncode, err))
            time.sleep(self.a.interval)

    def _down(self, why):
        with self.lock:
            self.reading = False
            self.error = why
        log("refusals: journal unreadable: %s" % why)


# --- the publisher ------------------------------------------------------------------------------

class Publisher:
    def __init__(self, a, refusals):
        self.a = a
        self.refusals = refusals
        self.previous = None  # (monotonic time, segments by ladder, duration sum, count)
        self.gauge = 0.0  # refused sessions as of the last minute boundary
        self.minute_refusals = 0
        self.minute_start = time.monotonic()
        self.warned = set()

    def refused(self, now):
        """(refused requests this interval, refused-sessions gauge), or (None, None)."""
        n = self.refusals.take()
        if n is None:
            return None, None
        while now - self.minute_start >= self.a.decay_seconds:
            self.gauge = next_refused_sessions(self.gauge, self.minute_refusals,
                                               self.a.mean_session_minutes)
            self.minute_refusals = 0
            self.minute_start += self.a.decay_seconds
        self.minute_refusals += n
        return n, self.gauge + self.minute_refusals

    def datapoints(self, text, now):
        unit = [tuple(self.a.dimension)]
        data = []
        served, capacity = total(text, SERVED), total(text, CAPACITY)
        if served is None and capacity is not None:
            # go-livepeer records its current-sessions gauge only when a session starts or ends
            # (core/orchestrator.go: getSegmentChan and endTranscodingSession call
            # monitor.CurrentSessions): before its first session there is no series. With its
            # capacity known that is 0 served, not unknown; else a quiet new region has no
            # utilisation datapoint and target tracking never scales in.
            served = 0.0
        for flag, v in (("metric_served", served), ("metric_capacity", capacity)):
            if v is not None:
                data.append((getattr(self.a, flag), v, "Count", unit))
        n, gauge = self.refused(now)
        if n is not None:
            data.append((self.a.metric_refused_requests, n, "Count", unit))
            data.append((self.a.metric_refused_sessions, gauge, "Count", unit))
        segs = by_label(text, SEGMENTS, "profiles")
        dsum, dcount = total(text, DURATION + "_sum"), total(text, DURATION + "_count")
        if dsum is not None and dcount is not None:
            prev, self.previous = self.previous, (now, segs, dsum, dcount)
            if prev is not None:
                deltas = {k: v - prev[1].get(k, 0.0) for k, v in segs.items()}
                if all(v >= 0 for v in deltas.values()) and dcount >= prev[3]:
                    px, unknown = rendition_pixels(deltas, dsum - prev[2], dcount - prev[3],
                                                   now - prev[0], self.a.known, self.a.source)
                    for name in [u for u in unknown if u not in self.warned]:
                        self.warned.add(name)
                        log("pixels: profile %s does not say its size: left out" % name)
                    for name, v in sorted(px.items()):
                        data.append((self.a.metric_pixels, v, "Count/Second",
                                     unit + [(self.a.rendition_dimension, name)]))
                # else: a counter went back (go-livepeer restarted): this interval is unknown.
        return data

    def once(self):
        try:
            with urllib.request.urlopen(self.a.metrics_url, timeout=self.a.timeout) as r:
                text = r.read(1 << 22).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as e:
            raise RuntimeError("%s unreachable: %s" % (self.a.metrics_url, getattr(e, "reason", e)))
        data = self.datapoints(text, time.monotonic())
        if data:
            awsapi.put_high_resolution(self.a.namespace, data)
        return len(data)

    # Logs the first failure of a streak, then every 30th: a CloudWatch outage must not flood the
    # journal this publisher reads its neighbour's lines from.
    def run(self):
        streak = 0
        next_at = time.monotonic()
        while True:
            try:
                self.once()
                if streak:
                    log("demand: published again after %d failure(s)" % streak)
                streak = 0
            except Exception as e:  # nothing may stop the publisher
                streak += 1
                if streak % 30 == 1:
                    log("demand: publish failed (%d in a row): %s" % (streak, str(e)[:300]))
            next_at = max(next_at + self.a.interval, time.monotonic())
            time.sleep(max(0.0, next_at - time.monotonic()))


def _dimension(text):
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError("expected NAME=VALUE (got %r)" % text)
    return (name, value)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    req = {"required": True}
    p.add_argument("--metrics-url", help="go-livepeer's Prometheus endpoint (-monitor)", **req)
    p.add_argument("--namespace", help="CloudWatch namespace", **req)
    p.add_argument("--dimension", type=_dimension, help="NAME=VALUE: the unit", **req)
    p.add_argument("--interval", type=float, help="seconds between datapoints", **req)
    for m in ("served", "capacity", "refused-requests", "refused-sessions", "pixels"):
        p.add_argument("--metric-" + m, metavar="NAME", help="CloudWatch metric name", **req)
    p.add_argument("--rendition-dimension", help="the pixels' second dimension", **req)
    p.add_argument("--mean-session-minutes", type=float, help="refused sessions' decay", **req)
    p.add_argument("--source", type=_size, help="the source rendition WxHxFPS", **req)
    p.add_argument("--profile", type=_profile, action="append", default=[],
                   help="NAME=WxHxFPS of a profile name (repeat)")
    p.add_argument("--journal-unit", help="the orchestrator's systemd unit", **req)
    p.add_argument("--journalctl", default="journalctl")
    p.add_argument("--dedup-minutes", type=float, default=10.0)
    p.add_argument("--decay-seconds", type=float, default=60.0,
                   help="the decay's minute (tests shorten it)")
    p.add_argument("--timeout", type=float, default=2.0, help="per scrape, seconds")
    p.add_argument("--aws-timeout", type=float, default=5.0, help="per AWS call, seconds")
    p.add_argument("--check-args", action="store_true",
                   help="only validate the command line (exit 0 or 2), run nothing")
    a = p.parse_args(argv)
    problems = []
    if a.interval <= 0:
        problems.append("--interval must be positive")
    if a.mean_session_minutes < 1:
        problems.append("--mean-session-minutes must be at least 1")
    if problems:
        p.error("; ".join(problems))
    a.known = dict(a.profile)
    return a


def main():
    a = parse()
    if a.check_args:
        print("demand publisher arguments ok")
        return
    awsapi.TIMEOUT = a.aws_timeout
    log("demand publisher: every %gs to %s (%s=%s)" % (a.interval, a.namespace, *a.dimension))
    refusals = Refusals(a)
    threading.Thread(target=refusals.run, daemon=True).start()
    Publisher(a, refusals).run()


if __name__ == "__main__":
    sys.exit(main())
