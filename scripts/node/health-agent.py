#!/usr/bin/env python3
"""Health agent: GET /healthz answers 200 only when every check passes, else 503, always with a
JSON body naming each failed check. Standard library only (no dependency to patch on the box).

Modes
  node   the load balancer's check on an orchestrator/transcoder node: go-livepeer's /healthz
         (TLS, self-signed) and CLI /status answer, the chain is reachable through the region's
         proxy and its head is fresh, and (with --gpu) the GPUs are visible to nvidia-smi.
  chain  the chain node's own check (HAProxy's check of the local backend and the nightly
         restart's "synced again" wait): the local client answers, is not syncing, and its head
         is fresh.

Every check runs in its own thread with its own timeout, and the reply is sent at the overall
deadline whatever a check is doing, so the agent answers within 2 s and never hangs.
--publish also puts CloudWatch metrics every minute from a thread of its own.
"""
# Publishing (--publish; names as in lib/runtime-contract.ts, checked by
# test/metrics-publish.test.ts): chain mode ChainSynced (1/0, the /healthz verdict) and
# ChainHeadAgeSeconds with dimension Unit=--unit, for the chain alarms; node mode CurrentSessions,
# go-livepeer's livepeer_current_sessions_total from --metrics-url, with the one dimension
# AutoScalingGroupName, for target tracking. It lives here rather than in a timer-driven sibling
# because ChainSynced must come from the same checks and threshold as the chain /healthz, and
# because every byte of a second script and two units would count against the chain node's
# 16 KB of user data. The
# server is threaded and the publisher is a daemon thread that catches everything, with a
# timeout on every call: a slow or dead CloudWatch delays a datapoint, never a health answer.
import argparse
import json
import shutil
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import awsapi

DEADLINE = 1.5  # seconds for all checks together; the reply goes out right after


class CheckFailed(Exception):
    pass


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


def check_livepeer(a):
    status, _ = _get(a.livepeer_url, a.timeout)
    return "HTTP %d" % status


def check_status(a):
    status, body = _get(a.status_url, a.timeout)
    try:
        doc = json.loads(body)
    except ValueError:
        raise CheckFailed("/status is not JSON")
    if not isinstance(doc, dict):
        raise CheckFailed("/status is not a JSON object")
    return "HTTP %d, version %s" % (status, doc.get("Version", "?"))


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
    gpus = [l for l in out.stdout.splitlines() if l.startswith("GPU ")]
    if out.returncode != 0 or not gpus:
        raise CheckFailed("no GPU visible (nvidia-smi exit %d)" % out.returncode)
    return "%d GPU(s)" % len(gpus)


def checks_for(a):
    if a.mode == "chain":
        return {"chain_synced": check_synced, "chain_head": check_chain_head}
    c = {"livepeer": check_livepeer, "status": check_status, "chain_head": check_chain_head}
    if a.gpu:
        c["gpu"] = check_gpu
    return c


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


NAMESPACE = "LivepeerFleet"
SESSIONS = "livepeer_current_sessions_total"  # go-livepeer monitor/census.go: a gauge


# Sum of the samples of `name` in Prometheus text (one per node_id/node_type label set).
def prom_sum(text, name):
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
        data.append(("ChainHeadAgeSeconds", max(age, 0), "Seconds"))
        check_synced(a)
        synced = age <= a.max_head_age
    except CheckFailed:  # no answer: not synced, age unknown (no datapoint rather than a guess)
        synced = False
    data.append(("ChainSynced", int(synced), "None"))
    return data, [("Unit", a.unit)]


def node_metrics(a):
    _, body = _get(a.metrics_url, a.timeout, 1 << 22)
    n = prom_sum(body.decode("utf-8", "replace"), SESSIONS)
    if n is None:  # unknown is not zero
        raise CheckFailed("no %s at %s" % (SESSIONS, a.metrics_url))
    return [("CurrentSessions", n, "Count")], [("AutoScalingGroupName", a.group)]


def publish_once(a):
    # A client per round: fresh role credentials (they rotate), for a few IMDS calls.
    c = awsapi.Client()
    if a.mode == "node" and not a.group:
        a.group = awsapi.own_group_name(c)
    data, dims = (chain_metrics if a.mode == "chain" else node_metrics)(a)
    awsapi.put_metrics(c, NAMESPACE, data, dims)


# Runs for the life of the agent. Logs the first failure of a streak, then every 15th, each
# line cut to 300 characters: a CloudWatch outage must not flood the journal.
def publisher(a):
    failures = 0
    next_at = time.monotonic()
    while True:
        try:
            publish_once(a)
            if failures:
                print("metrics: published again after %d failure(s)" % failures, flush=True)
            failures = 0
        except Exception as e:  # nothing may stop this thread, let alone the agent
            failures += 1
            if failures % 15 == 1:
                print(("metrics: publish failed (%d in a row): %r" % (failures, e))[:300],
                      flush=True)
        # A fixed cadence (one datapoint per alarm period); after an overrun, go again at once.
        next_at = max(next_at + a.publish_interval, time.monotonic())
        time.sleep(max(0.0, next_at - time.monotonic()))


def handler_for(a):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/healthz":
                self._send(404, {"error": "only GET /healthz"})
                return
            report = run_checks(a)
            self._send(200 if report["status"] == "ok" else 503, report)

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


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", choices=["node", "chain"], required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--eth-url", required=True, help="JSON-RPC URL whose head is checked")
    p.add_argument("--max-head-age", type=int, default=60, help="seconds")
    p.add_argument("--livepeer-url", default="https://127.0.0.1:8935/healthz")
    p.add_argument("--status-url", default="http://127.0.0.1:7935/status")
    p.add_argument("--gpu", action="store_true", help="require visible NVIDIA GPUs")
    p.add_argument("--nvidia-smi", default="nvidia-smi", help="nvidia-smi to ask (path or name)")
    p.add_argument("--timeout", type=float, default=1.0, help="per-check timeout, seconds")
    p.add_argument("--publish", action="store_true", help="put CloudWatch metrics too")
    p.add_argument("--publish-interval", type=float, default=60.0, help="seconds")
    p.add_argument("--publish-timeout", type=float, default=5.0, help="per AWS call, seconds")
    p.add_argument("--unit", help="chain mode: the stack name (dimension Unit)")
    p.add_argument("--metrics-url", default="http://127.0.0.1:7935/metrics",
                   help="node mode: go-livepeer's Prometheus endpoint (-monitor)")
    a = p.parse_args(argv)
    a.timeout = min(a.timeout, DEADLINE)
    if a.publish and a.mode == "chain" and not a.unit:
        p.error("--publish in chain mode needs --unit")
    # The node's Auto Scaling group, looked up by the publisher on its first round.
    a.group = None
    return a


def main():
    a = parse()
    server = ThreadingHTTPServer((a.bind, a.port), handler_for(a))
    server.daemon_threads = True
    print("health agent (%s) on %s:%d" % (a.mode, a.bind, server.server_address[1]), flush=True)
    if a.publish:
        awsapi.TIMEOUT = a.publish_timeout
        threading.Thread(target=publisher, args=(a,), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
