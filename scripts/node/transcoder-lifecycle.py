#!/usr/bin/python3
"""Lifecycle agent of a livepeer-fleet transcoder: serves only while Auto Scaling wants it in
service, drains before it leaves, and completes the group's lifecycle hooks.

Every --interval seconds it reads the instance's target lifecycle state from instance metadata
(IMDSv2 meta-data/autoscaling/target-lifecycle-state) and the spot interruption notice
(meta-data/spot/instance-action), then:
  InService           starts --unit (go-livepeer -transcoder) unless active, and with --launch-hook,
                      completes that hook (CONTINUE) as soon as --health-url answers 200: the
                      health agent's verdict that go-livepeer is up, connected to its
                      orchestrator, and sees its GPU. When the only failing check stays the
                      orchestrator link for --link-wait-polls polls in a row (its orchestrator
                      down, replaced or its AZ out), it completes the hook on local readiness
                      all the same: abandoning would relaunch every new transcoder of the AZ
                      until the orchestrator is back, and a link fault that is this instance's
                      own (a stale secret) is the health agent's to report (SetInstanceHealth).
                      A transcoder that is not even locally ready (no GPU, go-livepeer not
                      answering, or no agent at all) is left to the hook's heartbeat timeout,
                      whose default result (ABANDON) makes Auto Scaling replace the instance.
  Warmed:*            (entering the warm pool) never starts --unit; stops it if it ran this boot
                      (scale-in back into the pool), then completes the hook Auto Scaling waits
                      on there: --drain-hook after serving this boot, else --launch-hook.
  Terminated          stops --unit, then completes --drain-hook.
  Standby, Detached   stops --unit.
  spot notice         stops --unit (EC2 terminates the instance two minutes after the notice,
                      hook or not); nothing to complete.
  absent (404)        does nothing yet: Auto Scaling has not set a target.
Stopping go-livepeer ends its connection to the orchestrator, which sends that transcoder's
segments to its other transcoders (core/orchestrator.go RemoteTranscoderManager.Transcode
retries a segment whose transcoder failed fatally; selectTranscoder drops the dead one).

A hook with no action waiting (AWS: ValidationError "No active Lifecycle Action found with
instance ID", e.g. an instance launched before the hooks existed) is logged and taken as done;
if the expected hook has none, the other one is tried once.

State that must survive a restart of this agent within one boot (whether go-livepeer served
this boot, which hooks were completed for which target) lives in --state-dir (a runtime
directory, emptied at every boot); status.json there counts the polls for operators and tests.

Flags: --health-url, --unit, --interval, [--launch-hook NAME], [--drain-hook NAME],
[--state-dir], [--systemctl], [--aws-timeout], [--once] (one poll, then exit: tests).
"""
# AWS behaviour relied on (EC2 Auto Scaling user guide, awsdocs/amazon-ec2-auto-scaling-user-
# guide@7d90761 doc_source/): retrieving-target-lifecycle-state-through-imds.md (the item, its
# values InService, Terminated, Detached, Standby, Warmed:Stopped/Running/Hibernated/Terminated,
# 404 until Auto Scaling set one); warm-pool-instance-lifecycle.md (a launch hook pauses an
# instance at Warmed:Pending:Wait and again at Pending:Wait when it leaves the pool; with
# ReuseOnScaleIn an instance returning to the pool pauses at Warmed:Pending:Wait for the
# TERMINATING hook); adding-lifecycle-hooks.md and completing-lifecycle-hooks.md (complete by
# instance id; heartbeat 30-7200 s; default result ABANDON replaces a launching instance, both
# results let a terminating one go); lifecycle-hooks.md (a hook does not keep a spot instance past
# its two-minute notice). EC2 user guide, "Spot Instance interruption notices": the
# spot/instance-action item appears with the notice and is 404 before it.
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import awsapi

WARM_PREFIX = "Warmed:"


def log(msg):
    print(msg[:500], flush=True)


class Agent:
    def __init__(self, a):
        self.a = a
        self.group = None
        os.makedirs(a.state_dir, exist_ok=True)
        self.path = os.path.join(a.state_dir, "state.json")
        self.status_path = os.path.join(a.state_dir, "status.json")
        self.state = self._load()
        self.polls = 0
        self.last_target = ""  # not a state: the first poll logs what it finds
        self.last_error = None

    # --- persistent state (this boot) ---------------------------------------------------------

    def _load(self):
        try:
            with open(self.path) as f:
                doc = json.load(f)
            if isinstance(doc, dict):
                return {"served": bool(doc.get("served")), "done": list(doc.get("done") or []),
                        "link_waits": int(doc.get("link_waits") or 0)}
        except (OSError, ValueError):
            pass
        return {"served": False, "done": [], "link_waits": 0}

    def _save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f)
        os.replace(tmp, self.path)

    def _status(self):
        tmp = self.status_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"polls": self.polls, "target": self.last_target,
                       "served": self.state["served"], "done": self.state["done"],
                       "link_waits": self.state["link_waits"],
                       "last_error": self.last_error}, f)
        os.replace(tmp, self.status_path)

    # --- the transcoder unit --------------------------------------------------------------------

    def systemctl(self, verb):
        r = subprocess.run([self.a.systemctl, verb, self.a.unit], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise RuntimeError("systemctl %s %s: exit %d %s" % (
                verb, self.a.unit, r.returncode, " ".join((r.stderr or "").split())[:200]))

    def active(self):
        r = subprocess.run([self.a.systemctl, "is-active", "--quiet", self.a.unit],
                           capture_output=True, timeout=30)
        return r.returncode == 0

    def start(self):
        # systemd restarts a crashed transcoder itself (Restart=always); this starts it when it
        # was never started this boot, or was stopped for Standby.
        if not self.active():
            log("target InService: starting %s" % self.a.unit)
            self.systemctl("start")
        if not self.state["served"]:
            self.state["served"] = True
            self._save()

    def stop(self, why):
        if self.active():
            log("%s: stopping %s (its orchestrator moves its segments to other transcoders)" % (
                why, self.a.unit))
            self.systemctl("stop")
            log("%s stopped" % self.a.unit)

    # --- lifecycle hooks ------------------------------------------------------------------------

    def readiness(self):
        """"registered" (200), "local" (503 naming only the orchestrator link as failed: this
        instance is ready, its orchestrator is not reachable) or "not"."""
        try:
            with urllib.request.urlopen(self.a.health_url, timeout=2) as r:
                return "registered" if r.status == 200 else "not"
        except urllib.error.HTTPError as e:
            try:
                failed = json.loads(e.read().decode()).get("failed")
            except (OSError, ValueError, AttributeError):
                return "not"
            return "local" if e.code == 503 and failed == ["orchestrator"] else "not"
        except (urllib.error.URLError, OSError):
            return "not"

    def launch_ready(self):
        """Whether to complete the launch hook now (target InService)."""
        r = self.readiness()
        if r == "registered":
            return True
        waits = self.state["link_waits"] + 1 if r == "local" else 0
        if waits != self.state["link_waits"]:
            self.state["link_waits"] = waits
            self._save()
        if waits >= self.a.link_wait_polls:
            log("ready but not connected to its orchestrator for %d polls: completing the launch "
                "hook on local readiness (it reconnects by itself)" % waits)
            return True
        return False

    def complete(self, target, hook, other=None):
        key = "%s|%s" % (target, hook)
        if not hook or key in self.state["done"]:
            return
        if self.group is None:
            self.group = awsapi.own_group_name()
        try:
            awsapi.complete_lifecycle_action(hook, self.group, "CONTINUE")
            log("lifecycle hook %s completed (CONTINUE) for target %s" % (hook, target))
        except awsapi.NoActiveLifecycleAction as e:
            log("lifecycle hook %s: nothing waiting (%s)" % (hook, e))
            if other:
                self.state["done"].append(key)
                return self.complete(target, other)
        self.state["done"].append(key)
        self._save()

    # --- one poll -------------------------------------------------------------------------------

    def once(self):
        notice = awsapi.imds_optional("meta-data/spot/instance-action")
        target = awsapi.imds_optional("meta-data/autoscaling/target-lifecycle-state")
        if target != self.last_target:
            log("target lifecycle state: %s" % (target or "none yet (404)"))
            self.last_target = target
        if notice:
            self.stop("spot interruption notice %s" % " ".join(notice.split())[:200])
            return
        if target is None:
            return
        if target == "InService":
            self.start()
            if (self.a.launch_hook and "%s|%s" % (target, self.a.launch_hook) not in
                    self.state["done"] and self.launch_ready()):
                self.complete(target, self.a.launch_hook)
        elif target in ("Terminated", WARM_PREFIX + "Terminated"):
            self.stop("target %s" % target)
            self.complete(target, self.a.drain_hook)
        elif target.startswith(WARM_PREFIX):
            self.stop("target %s" % target)
            # Returning to the pool after serving: the TERMINATING hook waits; a new instance
            # being warmed: the LAUNCHING one.
            first, second = ((self.a.drain_hook, self.a.launch_hook) if self.state["served"]
                             else (self.a.launch_hook, self.a.drain_hook))
            self.complete(target, first, other=second)
        else:  # Standby, Detached
            self.stop("target %s" % target)

    def run(self):
        while True:
            try:
                self.once()
                self.last_error = None
            except Exception as e:  # logged; the next poll tries again
                self.last_error = " ".join(str(e).split())[:300]
                log("lifecycle poll failed: %s" % self.last_error)
            self.polls += 1
            try:
                self._status()
            except OSError as e:
                log("cannot write status: %s" % e)
            if self.a.once:
                return
            time.sleep(self.a.interval)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--health-url", required=True, help="the health agent's /healthz (loopback)")
    p.add_argument("--unit", required=True, help="go-livepeer's transcoder unit")
    p.add_argument("--interval", type=float, required=True, help="seconds between polls")
    p.add_argument("--launch-hook", help="the group's EC2_INSTANCE_LAUNCHING hook, if any")
    p.add_argument("--drain-hook", help="the group's EC2_INSTANCE_TERMINATING hook, if any")
    p.add_argument("--link-wait-polls", type=int, required=True,
                   help="polls in a row with only the orchestrator link failing before the launch "
                        "hook is completed on local readiness")
    p.add_argument("--state-dir", default="/run/livepeer-lifecycle")
    p.add_argument("--systemctl", default="systemctl")
    p.add_argument("--aws-timeout", type=float, default=5.0, help="per AWS call, seconds")
    p.add_argument("--once", action="store_true", help="poll once and exit")
    p.add_argument("--check-args", action="store_true",
                   help="only validate the command line (exit 0 or 2), run nothing")
    a = p.parse_args(argv)
    if a.interval <= 0:
        p.error("--interval must be positive")
    if a.link_wait_polls < 1:
        p.error("--link-wait-polls must be at least 1")
    return a


def main():
    a = parse()
    if a.check_args:
        print("lifecycle agent arguments ok")
        return
    awsapi.TIMEOUT = a.aws_timeout
    log("lifecycle agent: every %gs, launch hook %s, drain hook %s, unit %s" % (
        a.interval, a.launch_hook or "-", a.drain_hook or "-", a.unit))
    Agent(a).run()


if __name__ == "__main__":
    sys.exit(main())
