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
target=$(pick_orchestrator "${az: -1}" "$id" "$LF_ORCHESTRATORS") ||
  die "LF_ORCHESTRATORS names no orchestrator"
[[ $target =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] || die "bad orchestrator address: $target"
# Per-instance settings the units read beside node.env: which orchestrator this one works for.
umask 022
cat >/etc/livepeer-fleet/boot.env <<ENV
LF_ORCH_TARGET='$target'
LF_HEALTH_EXTRA_ARGS='--orch-addr $target'
ENV

"$LF_ROOT/bin/install-release.sh" "$LF_LIVEPEER_URL" "$LF_LIVEPEER_SHA256" "$LF_ROOT/livepeer" \
  livepeer livepeer_cli
install -d -m 0700 -o livepeer -g livepeer /var/lib/livepeer
install_units livepeer-transcoder.service livepeer-health.service
systemctl start livepeer-transcoder.service livepeer-health.service
# The metrics agent (a no-op when the fleet names no metrics store). Serving never waits on it.
"$LF_ROOT/bin/metrics-setup.sh" || log "WARNING: metrics agent setup failed; serving without it"
log "transcoder up in $az: working for $target, -maxSessions $LF_MAX_SESSIONS"
