#!/usr/bin/python3
"""Health agent of a livepeer-fleet node: GET /healthz answers 200 only when every check of its
mode passes, else 503, always with a JSON body naming each check and why it failed.

Modes (--mode) and their checks
  chain         the chain node (HAProxy's check of its local backend, the nightly restart's
                "synced again" wait): chain_synced (eth_syncing is false) and chain_head (the
                latest block of --eth-url is younger than --max-head-age).
  orchestrator  the discovery load balancer's target health: livepeer (go-livepeer's /healthz at
                --livepeer-url, TLS with a self-signed certificate), transcoders (the CLI
                --status-url parses and reports at least --min-transcoders registered
                transcoders) and chain_head (through the region's RPC proxy, --eth-url). A chain
                outage takes the orchestrator out of discovery (503) and nothing else.
  transcoder    an operator's status page, loopback only: livepeer (go-livepeer's CLI
                --status-url answers), gpu (with --gpu: nvidia-smi -L lists a GPU) and orchestrator (an
                ESTABLISHED TCP connection from this host to --orch-addr, read from
                /proc/net/tcp and /proc/net/tcp6).

Instance health (orchestrator and transcoder): a fault watcher thread runs every
--fault-interval seconds and tells Auto Scaling the instance is Unhealthy (SetInstanceHealth,
grace period respected) when an instance-LOCAL fault has been seen in --fault-checks consecutive
checks; it reports once per such streak, and again only if the instance is still here after
another full streak. Local faults:
  orchestrator  livepeer_down: go-livepeer's /healthz fails while the chain answers through the
                proxy (with the chain unreachable too the fault is not local: go-livepeer cannot
                start without its chain, and a new instance would not help).
  transcoder    gpu (with --gpu): no GPU visible; livepeer_down: the CLI does not answer; orchestrator_link:
                no connection to the orchestrator while its port accepts connections (a stale
                secret or a registration that gave up; with the port closed it is not local).
The watcher never looks at /healthz's verdict: the chain never makes an instance unhealthy.

Publishing (--publish, every --publish-interval seconds, to --namespace with every --dimension
NAME=VALUE on each datapoint):
  chain         --metric-chain-synced (1/0, the /healthz verdict) and --metric-chain-head-age
                (seconds; no datapoint when the client does not answer).
  orchestrator  go-livepeer's gauges from --metrics-url (its -monitor endpoint):
                livepeer_current_sessions_total -> --metric-sessions, livepeer_max_sessions_total
                -> --metric-max-sessions, livepeer_transcoders_number -> --metric-transcoders,
                livepeer_transcoders_capacity -> --metric-transcoder-capacity (a gauge go-livepeer
                does not expose yet gives no datapoint: unknown is not zero).
  transcoder    nothing.

Flags
  every mode    --mode, --port (0: any), --bind (default 127.0.0.1), --timeout (per check,
                default 1 s), --aws-timeout (per AWS call, default 5 s), --check-args (validate
                the command line, exit 0 or 2, serve nothing)
  chain         --eth-url, --max-head-age; with --publish: --namespace, --dimension...,
                --metric-chain-synced, --metric-chain-head-age, [--publish-interval]
  orchestrator  --eth-url, --max-head-age, --livepeer-url, --status-url, --min-transcoders,
                --fault-interval, --fault-checks; with --publish: --namespace, --dimension...,
                --metrics-url, --metric-sessions, --metric-max-sessions, --metric-transcoders,
                --metric-transcoder-capacity, [--publish-interval]
  transcoder    --status-url, --orch-addr HOST:PORT, --fault-interval, --fault-checks,
                [--gpu], [--nvidia-smi]; --bind must be a loopback address; no --publish

Paths: GET /healthz runs the checks (200/503) and adds the fault watcher's and the publisher's
state; GET /state returns only that state, without running checks. Every check runs in its own
thread with its own timeout and the reply goes out at a 1.5 s deadline whatever a check is
doing; AWS calls happen only in the watcher and publisher threads, so a slow or dead AWS API
never delays or changes an answer.
"""
# Every port, URL, metric name, namespace, dimension and threshold comes from the command line,
# which the user data renders from lib/runtime-contract.ts; nothing here repeats them. The only
# names written below are go-livepeer's own (its Prometheus gauges, its /status fields).
import argparse
import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import awsapi

DEADLINE = 1.5  # seconds for all checks together; the reply goes out right after


class CheckFailed(Exception):
    pass


def log(msg):
    print(msg[:500], flush=True)  # journald keeps stdout; a line is bounded whatever it quotes


def _get(url, timeout, limit=65536):
    ctx = None
    if url.startswith("https://"):
        # go-livepeer serves a self-signed certificate on 127.0.0.1: reachability is the point.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=ctx) as r:
            return r.status, r.read(limit)
    except urllib.error.HTTPError as e:
        raise CheckFailed("HTTP %d from %s" % (e.code, url))
    except OSError as e:
        raise CheckFailed("%s unreachable: %s" % (url, getattr(e, "reason", e)))


def _rpc(url, method, params, timeout):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            reply = json.loads(r.read(1 << 20))
    except urllib.error.HTTPError as e:
        raise CheckFailed("HTTP %d from %s" % (e.code, url))
    except (OSError, ValueError) as e:
        raise CheckFailed("%s unreachable: %s" % (url, getattr(e, "reason", e)))
    if "error" in reply:
        raise CheckFailed("%s error: %s" % (method, reply["error"]))
    return reply.get("result")


# --- checks: each returns a detail string or raises CheckFailed -------------------------------

def check_livepeer(a):
    status, _ = _get(a.livepeer_url, a.timeout)
    return "HTTP %d" % status


def node_status(a):
    """go-livepeer's CLI GET /status: common.NodeStatus as JSON (server/handlers.go
    statusHandler, common/types.go NodeStatus)."""
    _, body = _get(a.status_url, a.timeout, 1 << 20)
    try:
        doc = json.loads(body)
    except ValueError:
        raise CheckFailed("%s is not JSON" % a.status_url)
    if not isinstance(doc, dict):
        raise CheckFailed("%s is not a JSON object" % a.status_url)
    return doc


def check_cli(a):
    return "version %s" % node_status(a).get("Version", "?")


def check_transcoders(a):
    # RegisteredTranscodersNumber is len(liveTranscoders) of the RemoteTranscoderManager
    # (server/mediaserver.go GetNodeStatus, core/orchestrator.go RegisteredTranscodersCount);
    # RegisteredTranscoders lists {Address, Capacity} (common.RemoteTranscoderInfo).
    doc = node_status(a)
    n = doc.get("RegisteredTranscodersNumber")
    if not isinstance(n, int):
        raise CheckFailed("no RegisteredTranscodersNumber in %s" % a.status_url)
    capacity = sum(t.get("Capacity") or 0 for t in doc.get("RegisteredTranscoders") or []
                   if isinstance(t, dict))
    if n < a.min_transcoders:
        raise CheckFailed("%d transcoder(s) registered (min %d)" % (n, a.min_transcoders))
    return "%d transcoder(s) registered, capacity %d" % (n, capacity)


def head_age(a):
    block = _rpc(a.eth_url, "eth_getBlockByNumber", ["latest", False], a.timeout)
    if not block or "timestamp" not in block:
        raise CheckFailed("no latest block")
    return int(block["number"], 16), time.time() - int(block["timestamp"], 16)


def check_chain_head(a):
    number, age = head_age(a)
    if age > a.max_head_age:
        raise CheckFailed("head %s is %ds old (max %ds)" % (number, age, a.max_head_age))
    return "head %d, %ds old" % (number, max(age, 0))


def check_synced(a):
    s = _rpc(a.eth_url, "eth_syncing", [], a.timeout)
    if s not in (False, None):
        raise CheckFailed("syncing: %s" % json.dumps(s)[:200])
    return "not syncing"


def check_gpu(a):
    smi = shutil.which(a.nvidia_smi)
    if not smi:
        raise CheckFailed("%s not found" % a.nvidia_smi)
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, timeout=a.timeout, text=True)
    except subprocess.TimeoutExpired:
        raise CheckFailed("nvidia-smi timed out")
    gpus = [line for line in out.stdout.splitlines() if line.startswith("GPU ")]
    if out.returncode != 0 or not gpus:
        raise CheckFailed("no GPU visible (nvidia-smi exit %d)" % out.returncode)
    return "%d GPU(s)" % len(gpus)


# --- the transcoder's link to its orchestrator --------------------------------------------------
#
# go-livepeer connects a transcoder to exactly one orchestrator, the first of -orchAddr
# (cmd/livepeer/starter/starter.go: RunTranscoder(n, orchURLs[0].Host, ...)), over one gRPC
# stream that lives as long as the registration (server/ot_rpc.go runTranscoder). A wrong secret
# ends the registration goroutine for good while the process stays up (checkTranscoderError
# turns errSecret into a RemoteTranscoderFatalError, and RunTranscoder's backoff then stops), and
# a lost connection is retried with a backoff of up to a minute (expb.MaxInterval): so "no
# ESTABLISHED connection to the orchestrator's address" is the one sign of both, visible without
# privileges in /proc/net/tcp{,6} of this network namespace.

TCP_ESTABLISHED = "01"  # the st column: include/net/tcp_states.h TCP_ESTABLISHED = 1


def proc_ip(hexaddr, byteorder=sys.byteorder):
    """An address as /proc/net/tcp{,6} prints it -> its text form.

    The kernel prints an IPv4 address as one %08X of the __be32 it holds (net/ipv4/tcp_ipv4.c
    get_tcp4_sock) and an IPv6 address as four %08X of its s6_addr32 words (net/ipv6/tcp_ipv6.c
    get_tcp6_sock): each 32-bit word is stored in network byte order but printed as the CPU
    reads it. On a little-endian CPU (x86_64, arm64: every EC2 type) each word's bytes appear
    reversed, 127.0.0.1 as 0100007F and ::1 as 00000000000000000000000001000000; on a big-endian
    CPU they appear in order (7F000001). Ports are converted with ntohs before printing, so they
    read as plain hex on either. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, a dual-stack
    socket talking IPv4) is returned as a.b.c.d."""
    raw = b"".join(int(hexaddr[i:i + 8], 16).to_bytes(4, byteorder)
                   for i in range(0, len(hexaddr), 8))
    if len(raw) == 16 and raw[:12] == b"\0" * 10 + b"\xff\xff":
        raw = raw[12:]
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def established_remotes(text, byteorder=sys.byteorder):
    """{(remote ip, remote port)} of the ESTABLISHED sockets in /proc/net/tcp or tcp6 text."""
    out = set()
    for line in text.splitlines()[1:]:  # the first line names the columns
        f = line.split()
        if len(f) < 4 or f[3] != TCP_ESTABLISHED:
            continue
        addr, port = f[2].split(":")
        out.add((proc_ip(addr, byteorder), int(port, 16)))
    return out


def orch_endpoints(a):
    """The orchestrator's (ip, port) pairs, resolved now: its name follows replacements."""
    return endpoints(a.orch_host, a.orch_port)


def endpoints(host, port):
    """(ip, port) pairs of HOST:PORT, resolved now."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as e:
        raise CheckFailed("cannot resolve %s: %s" % (host, e))
    return {(_canonical(info[4][0]), port) for info in infos}


def _canonical(ip):
    if ip.startswith("::ffff:") and "." in ip:
        return ip[7:]
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    return socket.inet_ntop(fam, socket.inet_pton(fam, ip.split("%")[0]))


# The watcher's port probe opens a connection to the orchestrator itself; it and every reading
# of /proc/net take this lock, so the probe is never mistaken for the transcoder's connection.
_link_lock = threading.Lock()


def connected_to(targets):
    with _link_lock:
        seen = set()
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(path) as f:
                    seen |= established_remotes(f.read())
            except FileNotFoundError:  # no IPv6 in this kernel
                pass
    return sorted("%s:%d" % t for t in seen & targets)


def port_accepts(a, targets):
    with _link_lock:
        for ip, port in sorted(targets):
            try:
                socket.create_connection((ip, port), timeout=a.timeout).close()
                return True
            except OSError:
                pass
    return False


def check_orchestrator_link(a):
    targets = orch_endpoints(a)
    found = connected_to(targets)
    if not found:
        raise CheckFailed("no ESTABLISHED connection to %s (%s)" % (
            a.orch_addr, ", ".join("%s:%d" % t for t in sorted(targets))))
    return "connected to %s" % ", ".join(found)


def checks_for(a):
    if a.mode == "chain":
        return {"chain_synced": check_synced, "chain_head": check_chain_head}
    if a.mode == "orchestrator":
        return {"livepeer": check_livepeer, "transcoders": check_transcoders,
                "chain_head": check_chain_head}
    checks = {"livepeer": check_cli, "orchestrator": check_orchestrator_link}
    if a.gpu:
        checks["gpu"] = check_gpu
    return checks


def run_checks(a):
    results = {}

    def run(name, fn):
        t0 = time.monotonic()
        try:
            results[name] = {"ok": True, "detail": fn(a)}
        except CheckFailed as e:
            results[name] = {"ok": False, "detail": str(e)}
        except Exception as e:  # a bug in one check must not take the agent down
            results[name] = {"ok": False, "detail": "check error: %r" % e}
        results[name]["ms"] = int((time.monotonic() - t0) * 1000)

    checks = checks_for(a)
    threads = [threading.Thread(target=run, args=(n, f), daemon=True) for n, f in checks.items()]
    end = time.monotonic() + DEADLINE
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    out = {}
    for name in checks:
        out[name] = dict(results.get(name) or {"ok": False, "detail": "timed out"})
    failed = sorted(n for n, r in out.items() if not r["ok"])
    return {"status": "fail" if failed else "ok", "mode": a.mode, "failed": failed, "checks": out}


# --- instance health: the fault watcher ---------------------------------------------------------

def _attempt(fn, a):
    """(ok, detail) of one check function, never raising."""
    try:
        return True, fn(a)
    except CheckFailed as e:
        return False, str(e)
    except Exception as e:
        return False, "check error: %r" % e


def orchestrator_faults(a):
    """{fault: (present, detail)}. present None: a failure that is not instance-local."""
    ok, detail = _attempt(check_livepeer, a)
    if ok:
        return {"livepeer_down": (False, detail)}
    chain_ok, chain = _attempt(head_age, a)
    if not chain_ok:
        return {"livepeer_down": (None, "%s; chain unreadable too (%s): not local" % (detail, chain))}
    # go-livepeer does not start while its remote redeemer is unreachable: it dials -redeemerAddr
    # blocking, with a timeout, and StartLivepeer returns on failure (server/redeemer.go
    # NewRedeemerClient: grpc.WithBlock; cmd/livepeer/starter/starter.go). A redeemer outage on
    # the chain node is then not this instance's fault, and replacing it would not help.
    if a.redeemer_addr:
        host, _, port = a.redeemer_addr.rpartition(":")
        try:
            accepts = port_accepts(a, endpoints(host.strip("[]"), int(port)))
        except CheckFailed as e:
            accepts, why = False, str(e)
        else:
            why = "%s does not accept connections" % a.redeemer_addr
        if not accepts:
            return {"livepeer_down": (None, "%s; redeemer unreachable too (%s): not local"
                                      % (detail, why))}
    return {"livepeer_down": (True, "%s while the chain and the redeemer answer" % detail)}


def transcoder_faults(a):
    cli_ok, cli = _attempt(check_cli, a)
    out = {"livepeer_down": (not cli_ok, cli)}
    if a.gpu:
        gpu_ok, gpu = _attempt(check_gpu, a)
        out["gpu"] = (not gpu_ok, gpu)
    link_ok, link = _attempt(check_orchestrator_link, a)
    if link_ok:
        out["orchestrator_link"] = (False, link)
    else:
        # Only now probe the port: a connection attempt per check would fill the orchestrator's
        # log with TLS handshake errors while everything is fine.
        try:
            accepts = port_accepts(a, orch_endpoints(a))
        except CheckFailed as e:
            out["orchestrator_link"] = (None, "%s: not local" % e)
        else:
            out["orchestrator_link"] = (
                (True, "%s while its port accepts connections" % link) if accepts else
                (None, "%s; its port does not accept connections either: not local" % link))
    return out


class FaultWatcher:
    def __init__(self, a, probe):
        self.a = a
        self.probe = probe
        self.lock = threading.Lock()
        self.checks = 0
        self.streaks = {}
        self.details = {}
        self.reports = 0
        self.report_error = None

    def state(self):
        with self.lock:
            return {"checks": self.checks, "streaks": dict(self.streaks),
                    "details": dict(self.details), "reported": self.reports > 0,
                    "reports": self.reports, "report_error": self.report_error,
                    "threshold": self.a.fault_checks, "interval": self.a.fault_interval}

    def once(self):
        found = self.probe(self.a)
        with self.lock:
            for name, (present, detail) in sorted(found.items()):
                before = self.streaks.get(name, 0)
                now = before + 1 if present else 0
                if present and before == 0:
                    log("fault %s seen (1/%d): %s" % (name, self.a.fault_checks, detail))
                elif present is None and self.details.get(name) != detail:
                    log("fault %s not counted: %s" % (name, detail))
                elif not present and before > 0:
                    log("fault %s cleared after %d check(s)" % (name, before))
                self.streaks[name], self.details[name] = now, detail
            due = sorted(n for n, s in self.streaks.items() if s >= self.a.fault_checks)
        if due:
            self.report(due)
        with self.lock:
            self.checks += 1

    def report(self, due):
        why = "; ".join("%s for %d consecutive checks (%s)" % (n, self.streaks[n],
                                                                 self.details[n]) for n in due)
        # Only an instance Auto Scaling keeps in service is reported. In Standby (an operator
        # looking at it), leaving service or being warmed, go-livepeer is stopped on purpose
        # (the transcoder's lifecycle agent does that), and an Unhealthy mark would have the
        # instance replaced when it comes back. Absent (404) or unreadable: report as usual.
        # The item holds the steady state the instance is moving to: InService, Terminated,
        # Detached, Standby or Warmed:* (EC2 Auto Scaling user guide, "Retrieve the target
        # lifecycle state through instance metadata").
        try:
            target = awsapi.imds_optional("meta-data/autoscaling/target-lifecycle-state")
        except Exception as e:
            target = None
            log("target lifecycle state unreadable (%s): reporting" % " ".join(str(e).split())[:200])
        if target is not None and target != "InService":
            log("instance-local fault: %s; not reported: target lifecycle state is %s" % (why, target))
            with self.lock:
                for n in due:
                    self.streaks[n] = 0
            return
        log("instance-local fault: %s; telling Auto Scaling this instance is Unhealthy" % why)
        try:
            awsapi.set_instance_health("Unhealthy")
        except Exception as e:  # logged, and tried again at the next check
            with self.lock:
                self.report_error = str(e)
            log("SetInstanceHealth failed, will retry at the next check: %s" % e)
            return
        with self.lock:
            self.reports += 1
            self.report_error = None
            # A new streak must build up before another report: once per streak, and again only
            # if the instance is still here after a whole new one (e.g. the call fell inside the
            # group's grace period, which SetInstanceHealth was told to respect).
            for n in due:
                self.streaks[n] = 0
        log("SetInstanceHealth Unhealthy accepted")

    def run(self):
        next_at = time.monotonic()
        while True:
            try:
                self.once()
            except Exception as e:  # nothing may stop this thread
                log("fault watcher error: %r" % e)
            next_at = max(next_at + self.a.fault_interval, time.monotonic())
            time.sleep(max(0.0, next_at - time.monotonic()))


# --- publishing ---------------------------------------------------------------------------------

# go-livepeer's gauges (monitor/census.go: LastValue views, exported with namespace "livepeer"):
# the orchestrator's sessions, its session limit (the sum of its transcoders' capacities with
# -maxSessions auto, core/orchestrator.go serveTranscoder) and its transcoder pool.
ORCH_GAUGES = [("livepeer_current_sessions_total", "metric_sessions"),
               ("livepeer_max_sessions_total", "metric_max_sessions"),
               ("livepeer_transcoders_number", "metric_transcoders"),
               ("livepeer_transcoders_capacity", "metric_transcoder_capacity")]


def prom_sum(text, name):
    """Sum of the samples of `name` in Prometheus text (one per node_id/node_type label set);
    None when there is none."""
    total = None
    for line in text.splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " "):
            try:
                rest = line[line.rfind("}") + 1:] if "{" in line else line[len(name):]
                total = (total or 0) + float(rest.split()[0])
            except (IndexError, ValueError):
                raise CheckFailed("bad sample: %s" % line[:100])
    return total


def chain_metrics(a):
    data = []
    try:
        _, age = head_age(a)
        data.append((a.metric_chain_head_age, max(age, 0), "Seconds"))
        check_synced(a)
        synced = age <= a.max_head_age
    except CheckFailed:  # no answer: not synced, age unknown (no datapoint rather than a guess)
        synced = False
    data.append((a.metric_chain_synced, int(synced), "None"))
    return data


def orchestrator_metrics(a):
    _, body = _get(a.metrics_url, a.timeout, 1 << 22)
    text = body.decode("utf-8", "replace")
    data = []
    for gauge, flag in ORCH_GAUGES:
        value = prom_sum(text, gauge)
        if value is not None:  # unknown is not zero
            data.append((getattr(a, flag), value, "Count"))
    if not data:
        raise CheckFailed("none of %s at %s" % (", ".join(g for g, _ in ORCH_GAUGES),
                                                 a.metrics_url))
    return data


class Publisher:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.rounds = 0
        self.failures = 0
        self.last_error = None

    def state(self):
        with self.lock:
            return {"rounds": self.rounds, "failures": self.failures,
                    "last_error": self.last_error}

    def once(self):
        data = (chain_metrics if self.a.mode == "chain" else orchestrator_metrics)(self.a)
        awsapi.put_metrics(self.a.namespace, data, self.a.dimension)

    # Logs the first failure of a streak, then every 15th, each line bounded: a CloudWatch
    # outage must not flood the journal.
    def run(self):
        streak = 0
        next_at = time.monotonic()
        while True:
            try:
                self.once()
                if streak:
                    log("metrics: published again after %d failure(s)" % streak)
                streak = 0
                error = None
            except Exception as e:  # nothing may stop this thread, let alone the agent
                streak += 1
                error = str(e)
                if streak % 15 == 1:
                    log(("metrics: publish failed (%d in a row): %s" % (streak, e))[:300])
            with self.lock:
                self.rounds += 1
                self.failures += 1 if error else 0
                self.last_error = error
            # A fixed cadence (one datapoint per alarm period); after an overrun, go again at once.
            next_at = max(next_at + self.a.publish_interval, time.monotonic())
            time.sleep(max(0.0, next_at - time.monotonic()))


# --- the server ---------------------------------------------------------------------------------

def handler_for(a, watcher, publisher):
    def state():
        return {"faults": watcher.state() if watcher else None,
                "publish": publisher.state() if publisher else None}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/healthz":
                report = run_checks(a)
                report.update(state())
                self._send(200 if report["status"] == "ok" else 503, report)
            elif path == "/state":
                self._send(200, dict(state(), mode=a.mode))
            else:
                self._send(404, {"error": "GET /healthz or /state"})

        def _send(self, code, doc):
            body = json.dumps(doc, sort_keys=True).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):  # journald gets failures only, not every probe
            if args and str(args[1]) not in ("200", "404"):
                super().log_message(fmt, *args)

    return Handler


NEEDS = {
    "chain": ["eth_url", "max_head_age"],
    "orchestrator": ["eth_url", "max_head_age", "livepeer_url", "status_url", "min_transcoders",
                     "fault_interval", "fault_checks"],
    "transcoder": ["status_url", "orch_addr", "fault_interval", "fault_checks"],
}
PUBLISH_NEEDS = {
    "chain": ["namespace", "dimension", "metric_chain_synced", "metric_chain_head_age"],
    "orchestrator": ["namespace", "dimension", "metrics_url"] + [f for _, f in ORCH_GAUGES],
}


def _dimension(text):
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError("expected NAME=VALUE (got %r)" % text)
    return (name, value)


def _host_port(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT (got %r)" % text)
    return text


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=sorted(NEEDS), required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True, help="0: any free port (tests)")
    p.add_argument("--check-args", action="store_true",
                   help="only validate the command line (exit 0 or 2), serve nothing")
    p.add_argument("--timeout", type=float, default=1.0, help="per-check timeout, seconds")
    p.add_argument("--aws-timeout", type=float, default=5.0, help="per AWS call, seconds")
    p.add_argument("--eth-url", help="JSON-RPC URL whose head is checked")
    p.add_argument("--max-head-age", type=int, help="seconds")
    p.add_argument("--livepeer-url", help="go-livepeer's /healthz on its service port")
    p.add_argument("--status-url", help="go-livepeer's CLI /status")
    p.add_argument("--min-transcoders", type=int, help="registered transcoders needed")
    p.add_argument("--orch-addr", type=_host_port, help="the orchestrator a transcoder serves")
    p.add_argument("--redeemer-addr", type=_host_port,
                   help="the remote redeemer an orchestrator needs to start (-redeemerAddr)")
    p.add_argument("--gpu", action="store_true",
                   help="transcoder: GPU instance, so nvidia-smi must list a GPU (a CPU one has none)")
    p.add_argument("--nvidia-smi", default="nvidia-smi", help="nvidia-smi to ask (path or name)")
    p.add_argument("--fault-interval", type=float, help="seconds between fault checks")
    p.add_argument("--fault-checks", type=int, help="consecutive faulty checks before reporting")
    p.add_argument("--publish", action="store_true", help="put CloudWatch metrics too")
    p.add_argument("--publish-interval", type=float, default=60.0, help="seconds")
    p.add_argument("--namespace", help="CloudWatch namespace")
    p.add_argument("--dimension", type=_dimension, action="append",
                   help="NAME=VALUE on every datapoint (repeat for more)")
    p.add_argument("--metrics-url", help="go-livepeer's Prometheus endpoint (-monitor)")
    for flag in ("chain-synced", "chain-head-age", "sessions", "max-sessions", "transcoders",
                 "transcoder-capacity"):
        p.add_argument("--metric-" + flag, metavar="NAME", help="CloudWatch metric name")
    a = p.parse_args(argv)
    problems = ["--mode %s needs --%s" % (a.mode, f.replace("_", "-"))
                for f in NEEDS[a.mode] if getattr(a, f) is None]
    if a.publish:
        if a.mode == "transcoder":
            problems.append("--mode transcoder publishes nothing: drop --publish")
        else:
            problems += ["--publish in %s mode needs --%s" % (a.mode, f.replace("_", "-"))
                         for f in PUBLISH_NEEDS[a.mode] if getattr(a, f) is None]
    if a.mode == "transcoder" and not a.bind.startswith("127."):
        problems.append("--mode transcoder serves loopback only: --bind 127.0.0.1 (got %s)" % a.bind)
    if a.min_transcoders is not None and a.min_transcoders < 0:
        problems.append("--min-transcoders must be 0 or more")
    if a.fault_checks is not None and a.fault_checks < 1:
        problems.append("--fault-checks must be at least 1")
    if a.fault_interval is not None and a.fault_interval <= 0:
        problems.append("--fault-interval must be positive")
    if problems:
        p.error("\n  ".join(problems))
    a.timeout = min(a.timeout, DEADLINE)
    if a.orch_addr:
        host, _, port = a.orch_addr.rpartition(":")
        a.orch_host, a.orch_port = host.strip("[]"), int(port)
    return a


def main():
    a = parse()
    if a.check_args:
        print("health agent arguments ok (%s)" % a.mode)
        return
    awsapi.TIMEOUT = a.aws_timeout
    watcher = publisher = None
    if a.mode != "chain":
        watcher = FaultWatcher(a, orchestrator_faults if a.mode == "orchestrator"
                               else transcoder_faults)
    if a.publish:
        publisher = Publisher(a)
    server = ThreadingHTTPServer((a.bind, a.port), handler_for(a, watcher, publisher))
    server.daemon_threads = True
    log("health agent (%s) on %s:%d" % (a.mode, a.bind, server.server_address[1]))
    if watcher:
        log("fault watcher: every %gs, reporting after %d consecutive faulty checks" % (
            a.fault_interval, a.fault_checks))
        threading.Thread(target=watcher.run, daemon=True).start()
    if publisher:
        threading.Thread(target=publisher.run, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
