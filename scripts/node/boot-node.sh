#!/usr/bin/env bash
# boot-node.sh: turns a fresh instance into an orchestrator+transcoder node. Run once per boot
# by user data after it wrote /etc/livepeer-fleet/node.env and /opt/livepeer-fleet; idempotent.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_env

base_setup
if [[ $LF_GPU == true ]]; then
  # The GPU AMI ships the NVIDIA driver; a node whose GPUs are gone must not take work.
  nvidia-smi -L >&2 || die "GPU instance but nvidia-smi sees no GPU"
fi
"$LF_ROOT/bin/install-release.sh" "$LF_LIVEPEER_URL" "$LF_LIVEPEER_SHA256" "$LF_ROOT/livepeer" \
  livepeer livepeer_cli
install -d -m 0700 -o livepeer -g livepeer /var/lib/livepeer
install_units livepeer.service livepeer-health.service
systemctl start livepeer.service livepeer-health.service
log "node up: go-livepeer on :$LF_SERVICE_PORT for $LF_ORCH_ADDR, health on :$LF_HEALTH_PORT"
