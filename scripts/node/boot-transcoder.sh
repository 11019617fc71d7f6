#!/usr/bin/env bash
# boot-transcoder.sh: turns a fresh (GPU) instance into a transcoder of the region's pool. Run
# once per boot by the bootstrap (user data) after it unpacked the node files; idempotent.
#
# A transcoder has no chain access, no key and no inbound port: it dials one orchestrator
# (-orchAddr), registers with the shared -orchSecret and its -maxSessions, and transcodes what
# that orchestrator sends it (go-livepeer server/ot_rpc.go RunTranscoder).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_env

base_setup
if [[ $LF_GPU == true ]]; then
  # The GPU AMI ships the NVIDIA driver; an instance whose GPUs are gone must not take work.
  nvidia-smi -L >&2 || die "GPU instance but nvidia-smi sees no GPU"
fi

api=$LF_ROOT/bin/awsapi.py
az=$(retry 5 2 "$api" imds meta-data/placement/availability-zone)
id=$(retry 5 2 "$api" imds meta-data/instance-id)
# -maxSessions by this instance's own type: a spot pool mixes types of different capacity, and
# the orchestrator admits sessions up to the sum of what its transcoders register.
type=$(retry 5 2 "$api" imds meta-data/instance-type)
sessions=$(max_sessions_for "$type" "$LF_MAX_SESSIONS_BY_TYPE") ||
  die "no -maxSessions for instance type $type in LF_MAX_SESSIONS_BY_TYPE ($LF_MAX_SESSIONS_BY_TYPE)"
target=$(pick_orchestrator "${az: -1}" "$id" "$LF_ORCHESTRATORS") ||
  die "LF_ORCHESTRATORS names no orchestrator"
[[ $target =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] || die "bad orchestrator address: $target"
# Per-instance settings the units read beside node.env: which orchestrator this one works for.
umask 022
cat >/etc/livepeer-fleet/boot.env <<ENV
LF_ORCH_TARGET='$target'
LF_MAX_SESSIONS='$sessions'
LF_HEALTH_EXTRA_ARGS='--orch-addr $target'
ENV

"$LF_ROOT/bin/install-release.sh" "$LF_LIVEPEER_URL" "$LF_LIVEPEER_SHA256" "$LF_ROOT/livepeer" \
  livepeer livepeer_cli
install -d -m 0700 -o livepeer -g livepeer /var/lib/livepeer
# go-livepeer is installed but not enabled: the lifecycle agent starts it only while Auto
# Scaling's target state is InService (never while the instance is warmed for the warm pool),
# at this boot and at every later start from the warm pool.
install -m 0644 "$LF_ROOT/units/livepeer-transcoder.service" /etc/systemd/system/
install_units livepeer-health.service livepeer-lifecycle.service
# The metrics agent (a no-op when the fleet names no metrics store). Serving never waits on it,
# and it never starts go-livepeer: only the lifecycle agent does.
"$LF_ROOT/bin/metrics-setup.sh" || log "WARNING: metrics agent setup failed; serving without it"
# The lifecycle agent starts last: on an instance being warmed it completes the launch hook at
# once, and Auto Scaling then stops the instance. Anything still installing would be cut off
# mid-way (user data does not run again when a warm-pool instance starts).
systemctl start livepeer-health.service livepeer-lifecycle.service
log "transcoder ready in $az ($type): works for $target with -maxSessions $sessions once in service"
