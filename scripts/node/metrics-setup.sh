#!/usr/bin/env bash
# metrics-setup.sh: the node's metrics agent, run once per boot by boot-orchestrator.sh and
# boot-transcoder.sh after base_setup; idempotent. Installs Ubuntu's prometheus and
# prometheus-node-exporter, renders the agent's config from node.env (render-prometheus.py) and
# starts the agent, the node exporter and, on GPU transcoders, gpu-metrics.py. Every listener is
# on 127.0.0.1: nothing opens a port, the agent only sends (remote write).
#
#   metrics-setup.sh                    set up and start (on an instance)
#   metrics-setup.sh --mode-args LINE   print the agent's mode flags for a `prometheus --version`
#                                       first line (a test seam; used below)
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

STATE=/var/lib/livepeer-prometheus

# Agent mode arrived in Prometheus 2.32 behind --enable-feature=agent and became --agent in 3.0
# (Prometheus CHANGELOG 2.32.0 and 3.0.0). Ubuntu 24.04 ships 2.45 and Debian 12 2.42: agent
# mode. Ubuntu 22.04 (the GPU AMI) ships 2.31: no agent mode, so it runs as a server with a
# two-hour local TSDB instead; its query API is on loopback like every other listener here.
mode_args() {
  local line=$1 major minor
  if [[ $line =~ version\ ([0-9]+)\.([0-9]+)\. ]]; then
    major=${BASH_REMATCH[1]}
    minor=${BASH_REMATCH[2]}
  else
    return 1
  fi
  if ((major >= 3)); then
    printf '%s\n' "--agent --storage.agent.path=$STATE"
  elif ((major == 2 && minor >= 32)); then
    printf '%s\n' "--enable-feature=agent --storage.agent.path=$STATE"
  else
    printf '%s\n' "--storage.tsdb.path=$STATE --storage.tsdb.retention.time=2h"
  fi
}

if [[ ${1:-} == --mode-args ]]; then
  mode_args "${2:?usage: metrics-setup.sh --mode-args VERSION-LINE}" || exit 1
  exit 0
fi

load_env
if [[ -z ${LF_PROM_REMOTE_WRITE_URL:-} ]]; then
  log "node.env names no metrics store: no metrics agent on this node"
  exit 0
fi

# The packages' own units serve on every interface (:9090, :9100) with the packaged configs:
# masked before the install would start them. Ours run the same binaries on loopback.
systemctl mask prometheus.service prometheus-node-exporter.service
export DEBIAN_FRONTEND=noninteractive
retry 5 10 apt-get install -y -q --no-install-recommends prometheus prometheus-node-exporter

version=$(prometheus --version 2>&1 | head -n 1)
args=$(mode_args "$version") || die "cannot read the Prometheus version from: $version"
id=$(retry 5 2 "$LF_ROOT/bin/awsapi.py" imds meta-data/instance-id)
umask 022
/usr/bin/python3 "$LF_ROOT/bin/render-prometheus.py" --instance "$id" \
  --out /etc/livepeer-fleet/prometheus.yml || die "could not render the metrics agent's config"
printf "LF_PROM_MODE_ARGS='%s'\n" "$args" >/etc/livepeer-fleet/prometheus.env

units=(livepeer-prometheus.service livepeer-node-exporter.service)
[[ -n ${LF_GPU_EXPORTER_PORT:-} ]] && units+=(livepeer-gpu-metrics.service)
install_units "${units[@]}"
systemctl restart "${units[@]}"
log "metrics agent up ($version: $args), writing to $LF_PROM_REMOTE_WRITE_URL${LF_PROM_SHARE_URL:+ and sharing demand with $LF_PROM_SHARE_URL}"
