#!/usr/bin/env bash
# Nightly chain-node restart, run by SSM Run Command from the region unit's maintenance window
# (components/chain-restart.ts renders the settings below into the command document).
#
# Restarts the chain client, then waits, bounded, until the chain node's health agent reports the
# client itself synced and fresh again (HEALTH_URL is the agent's chain check of the local client,
# not the proxy, which stays up on hosted backups). Exits non-zero (failing the invocation, the
# window execution and so paging through the "nightly restart failed" alarm) when the client does
# not come back in time or when the restart would leave the region's nodes without chain access.
# A client that has never been seen synced is still in its first sync (for Nitro a snapshot download
# of hours): it is not restarted, since a restart would only start that over.
set -euo pipefail

: "${CHAIN_UNIT:?systemd unit of the chain client}"
: "${PROXY_UNIT:?systemd unit of the JSON-RPC failover proxy}"
: "${HEALTH_URL:?chain health endpoint, 200 when synced}"
: "${SYNC_TIMEOUT_SECONDS:?seconds to wait for synced}"
: "${POLL_SECONDS:?seconds between health checks}"
: "${FIRST_SYNC_MARKER:?file on the data volume recording that the client was once synced}"

log() { printf '%s chain-restart: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
health() { curl --silent --output /dev/null --write-out '%{http_code}' --max-time 5 "$HEALTH_URL" || true; }

# The marker lives on the persistent data volume, so a replaced instance keeps what the volume's
# client has done; it is written whenever this job sees the client synced.
status=$(health)
if [ "$status" = "200" ]; then
  touch "$FIRST_SYNC_MARKER"
elif [ ! -e "$FIRST_SYNC_MARKER" ]; then
  log "not restarting $CHAIN_UNIT: it has never been seen synced (health answer: $status," \
    "no $FIRST_SYNC_MARKER), so it is still in its first sync and a restart would start it over"
  exit 0
fi

# While the client restarts, the nodes reach the chain only through the proxy's hosted backups.
# Without the proxy a restart is an outage for every node of the region: refuse and page instead.
if ! systemctl is-active --quiet "$PROXY_UNIT"; then
  log "refusing to restart $CHAIN_UNIT: $PROXY_UNIT is not active, nodes would lose chain access"
  exit 1
fi

log "restarting $CHAIN_UNIT"
# Blocks until the old process has stopped (the unit's long stop timeout lets the client flush
# its database) and the new one has been started.
systemctl restart "$CHAIN_UNIT"

deadline=$(($(date +%s) + SYNC_TIMEOUT_SECONDS))
while true; do
  # First check after one poll interval: the health agent must see the new process, not a
  # verdict cached from before the restart.
  sleep "$POLL_SECONDS"
  status=$(health)
  if [ "$status" = "200" ]; then
    touch "$FIRST_SYNC_MARKER"
    log "$CHAIN_UNIT is back and synced"
    exit 0
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    log "$CHAIN_UNIT not synced ${SYNC_TIMEOUT_SECONDS}s after the restart (last health answer: $status)"
    systemctl status --no-pager --lines=20 "$CHAIN_UNIT" || true
    exit 1
  fi
done
