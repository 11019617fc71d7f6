#!/usr/bin/env bash
# boot-deadline.sh arm SECONDS | complete | expire
#
# The chain node's boot deadline. Its group's health check is EC2's (the instance runs), so a boot
# that fails or hangs would stay in service forever. With this, the instance tells Auto Scaling it
# is Unhealthy, and Auto Scaling "terminates and replaces the unhealthy instance" (API reference,
# SetInstanceHealth). In user data, not in the bundle: it must work when the bundle never arrived.
#
#   arm SECONDS  (user data, first) starts a transient systemd timer running `expire` then.
#   complete     (boot-chain.sh, units started) records the boot as complete and stops the timer:
#                what follows (a first chain sync may take hours) is not boot. Refused (exit 1)
#                once expired: the instance is being replaced, and must not look healthy.
#   expire       (the timer; user data at once when the boot exits non-zero) does nothing after
#                `complete`. Otherwise it records the expiry and runs the bundle's `awsapi.py
#                set-instance-health-now Unhealthy` (own instance id from IMDS; even inside the
#                group's grace period: a failed boot does not get better with time). Without the
#                bundle or the API it powers off: Auto Scaling counts an instance that is not
#                running as unhealthy (User Guide, "Health checks for instances in an Auto Scaling
#                group"). Run again (the timer after an early report), it reports again.
#
# `complete` and `expire` take one lock: exactly one of them wins.
# Test seams (never set on an instance): LF_ROOT, LF_BOOT_STATE_DIR.
set -euo pipefail

root=${LF_ROOT:-/opt/livepeer-fleet}
state=${LF_BOOT_STATE_DIR:-/run/livepeer-fleet}
timer=livepeer-fleet-boot-deadline

log() { printf '%s livepeer-fleet[boot-deadline]: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

lock() {
  install -d -m 0755 -- "$state"
  exec 9>"$state/boot.lock"
  flock 9
}

arm() {
  local seconds=$1 self
  [[ $seconds =~ ^[1-9][0-9]*$ ]] || {
    log "arm: SECONDS must be a positive whole number (got '$seconds')"
    exit 2
  }
  self=$(readlink -f -- "$0")
  # A transient timer (systemd.timer OnActiveSec=): gone at the next boot, which is right: user
  # data runs once per instance, and a reboot starts units that have already booted once.
  if systemd-run --unit="$timer" --description="livepeer-fleet boot deadline" \
    --on-active="${seconds}s" --timer-property=AccuracySec=1s -- "$self" expire; then
    log "armed: this instance is marked Unhealthy unless its boot completes within ${seconds}s"
  else
    # Booting on is better than not booting at all; the line says what is missing.
    log "WARNING: could not arm the boot deadline (systemd-run failed): a failed boot will not heal"
  fi
}

finish() {
  lock
  if [[ -e $state/boot-expired ]]; then
    log "the boot finished after its deadline expired ($(<"$state/boot-expired")):" \
      "this instance is being replaced"
    exit 1
  fi
  date -u +%FT%TZ >"$state/boot-complete"
  systemctl stop "$timer.timer" 2>/dev/null || true
  log "boot complete: deadline disarmed"
}

report() {
  local api=$root/bin/awsapi.py attempt
  if [[ -x $api ]]; then
    for attempt in 1 2 3 4 5; do
      if "$api" set-instance-health-now Unhealthy; then
        log "Auto Scaling told this instance is Unhealthy: it terminates it and launches another"
        return 0
      fi
      log "SetInstanceHealth failed (attempt $attempt of 5)"
      if ((attempt < 5)); then sleep 10; fi
    done
  else
    log "no $api (the node-file bundle never arrived)"
  fi
  log "cannot reach Auto Scaling: powering off, so the group's EC2 health check replaces this" \
    "instance"
  systemctl poweroff
}

expire() {
  lock
  if [[ -e $state/boot-complete ]]; then
    log "boot completed at $(<"$state/boot-complete"): nothing to do"
    exit 0
  fi
  [[ -e $state/boot-expired ]] || date -u +%FT%TZ >"$state/boot-expired"
  log "the boot did not complete (started at $(uptime -s 2>/dev/null || echo '?'));" \
    "see this boot's journal (journalctl -b) and /var/log/cloud-init-output.log"
  report
}

case ${1:-} in
  arm) arm "${2:-}" ;;
  complete) finish ;;
  expire) expire ;;
  *)
    log "usage: boot-deadline.sh arm SECONDS | complete | expire"
    exit 2
    ;;
esac
