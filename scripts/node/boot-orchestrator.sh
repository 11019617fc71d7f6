#!/usr/bin/env bash
# boot-orchestrator.sh: turns a fresh instance into one orchestrator slot of the region. Run once
# per boot by the bootstrap (user data) after it unpacked the node files; idempotent.
#
# The slot's identity is its address: it takes its own Elastic IP (so the name it advertises with
# -serviceAddr always reaches this process: go-livepeer's session auth token and ticket secrets
# are per process, core/orchestrator.go AuthToken, pm/recipient.go) and publishes the private
# name the region's transcoders dial (o-<letter>.<private zone>).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_env

api=$LF_ROOT/bin/awsapi.py
# First, while the launch-time public address still carries traffic: the API calls below need
# the internet, and everything after them (apt, downloads) then goes out through the EIP.
retry 10 6 "$api" ec2-associate-address "$LF_EIP_ALLOCATION_ID"
ip=$(retry 5 2 "$api" imds meta-data/local-ipv4)
retry 5 10 "$api" route53-upsert "$LF_ZONE_ID" "$LF_PRIVATE_NAME" "$ip" 30

base_setup
# Orchestrators never transcode: the CPU build.
"$LF_ROOT/bin/install-release.sh" "$LF_LIVEPEER_URL" "$LF_LIVEPEER_SHA256" "$LF_ROOT/livepeer" \
  livepeer livepeer_cli
install -d -m 0700 -o livepeer -g livepeer /var/lib/livepeer
install_units livepeer-orchestrator.service livepeer-health.service livepeer-demand.service
systemctl start livepeer-orchestrator.service livepeer-health.service livepeer-demand.service
# The metrics agent (a no-op when the fleet names no metrics store). Serving never waits on it.
"$LF_ROOT/bin/metrics-setup.sh" || log "WARNING: metrics agent setup failed; serving without it"
log "orchestrator $LF_SLOT up: $LF_SERVICE_ADDR ($LF_PRIVATE_NAME for transcoders) for $LF_ORCH_ADDR"
