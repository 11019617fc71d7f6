#!/usr/bin/env bash
# Shared helpers for the node boot scripts (sourced, never run). Logs go to stderr, which the
# boot's systemd/cloud-init journal captures; nothing secret is ever passed to these helpers.
# shellcheck shell=bash

LF_ROOT=${LF_ROOT:-/opt/livepeer-fleet}
LF_ENV_FILE=${LF_ENV_FILE:-/etc/livepeer-fleet/node.env}

log() { printf '%s livepeer-fleet[%s]: %s\n' "$(date -u +%FT%TZ)" "${0##*/}" "$*" >&2; }
die() {
  log "FATAL: $*"
  exit 1
}

# retry N SECONDS CMD...: bounded retries for calls that fail transiently (apt locks, AWS APIs).
retry() {
  local tries=$1 pause=$2 n=1
  shift 2
  until "$@"; do
    if ((n >= tries)); then
      log "giving up after $n attempts: $1"
      return 1
    fi
    log "attempt $n failed, retrying in ${pause}s: $1"
    sleep "$pause"
    n=$((n + 1))
  done
}

# Key material is written only by a process that can never dump core: the soft AND hard
# RLIMIT_CORE must be 0 (the unit's LimitCORE=0), or the process could raise the limit again and
# a crash of go-livepeer, which holds the key in memory, would write it to disk. The kernel
# core_pattern is a pipe on Ubuntu; its helpers (apport, systemd-coredump) honour the limit.
require_no_core_dumps() {
  [[ $(ulimit -Sc) == 0 && $(ulimit -Hc) == 0 ]] ||
    die "core dumps are possible (ulimit -c $(ulimit -Sc), hard $(ulimit -Hc)): refusing to handle key material; the unit needs LimitCORE=0"
}

# Loads the rendered, non-secret node settings (written by user data) into the environment.
load_env() {
  [[ -r $LF_ENV_FILE ]] || die "missing $LF_ENV_FILE (written by user data)"
  set -a
  # shellcheck source=/dev/null
  . "$LF_ENV_FILE"
  set +a
}

# Installs the time, log and package basics both node kinds share; arguments are extra packages.
# shellcheck disable=SC2120 # the orchestrator node needs no extra package
base_setup() {
  install -d -m 0755 /etc/systemd/journald.conf.d /etc/chrony/sources.d
  install -m 0644 "$LF_ROOT/conf/journald-livepeer-fleet.conf" \
    /etc/systemd/journald.conf.d/livepeer-fleet.conf
  systemctl restart systemd-journald
  export DEBIAN_FRONTEND=noninteractive
  retry 10 6 apt-get update -q
  # python3-boto3 (Ubuntu's archive): the maintained AWS client awsapi.py and the agent use.
  retry 5 10 apt-get install -y -q --no-install-recommends chrony python3 python3-boto3 \
    ca-certificates curl "$@"
  # Ubuntu's chrony.conf reads /etc/chrony/sources.d: the Amazon Time Sync Service goes first.
  install -m 0644 "$LF_ROOT/conf/amazon-time-sync.sources" \
    /etc/chrony/sources.d/amazon-time-sync.sources
  systemctl restart chrony
  # No core dumps (conf/sysctl-livepeer-fleet.conf). Apport would rewrite core_pattern each time it
  # starts (after systemd-sysctl at boot): masked, so the drop-in holds on every boot.
  systemctl mask --now apport.service >/dev/null 2>&1 || true
  install -m 0644 "$LF_ROOT/conf/sysctl-livepeer-fleet.conf" /etc/sysctl.d/99-livepeer-fleet.conf
  sysctl -q -p /etc/sysctl.d/99-livepeer-fleet.conf
  id livepeer >/dev/null 2>&1 || useradd --system --home-dir /var/lib/livepeer \
    --create-home --shell /usr/sbin/nologin livepeer
}

# pick_orchestrator LETTER INSTANCE_ID LIST: the host:port a transcoder works for. LIST is the
# env's LF_ORCHESTRATORS, "a=host:port,b=host:port". go-livepeer connects a transcoder to the
# first -orchAddr only (starter.go: RunTranscoder(n, orchURLs[0].Host, ...)), so the choice is
# made here: the orchestrator in this instance's own AZ (media never crosses AZs), else one of
# the others chosen by the instance id, which spreads an AZ's transcoders over them evenly.
pick_orchestrator() {
  local letter=$1 id=$2 list=$3 entry
  local -a entries
  IFS=, read -r -a entries <<<"$list"
  ((${#entries[@]} > 0)) || return 1
  for entry in "${entries[@]}"; do
    if [[ ${entry%%=*} == "$letter" ]]; then
      printf '%s\n' "${entry#*=}"
      return 0
    fi
  done
  mapfile -t entries < <(printf '%s\n' "${entries[@]}" | sort)
  local n sum
  sum=$(printf '%s' "$id" | cksum | cut -d' ' -f1)
  n=$((sum % ${#entries[@]}))
  printf '%s\n' "${entries[$n]#*=}"
}

# chain_units: the go-livepeer and helper units a chain node runs (the chain client aside), one
# per line. Every region: the health agent, the RPC proxy and the region's redeemer (its own
# account). The home region only (LF_REWARD_SERVICE=1, rendered from the fleet's homeRegion):
# the reward service, the one process with the orchestrator's key. Anything else is refused: a
# missing flag must not silently start, or silently skip, the reward service.
chain_units() {
  printf '%s\n' livepeer-health.service rpc-proxy.service livepeer-redeemer.service
  case ${LF_REWARD_SERVICE:-} in
    1) printf '%s\n' livepeer-reward.service ;;
    0) ;;
    *) die "LF_REWARD_SERVICE is '${LF_REWARD_SERVICE:-}', expected 0 or 1" ;;
  esac
}

# max_sessions_for TYPE LIST: the -maxSessions LIST ("type=n,type=n", the env's
# LF_MAX_SESSIONS_BY_TYPE) gives TYPE; fails when it names none, or a number that is not one.
max_sessions_for() {
  local type=$1 list=$2 entry
  local -a entries
  IFS=, read -r -a entries <<<"$list"
  for entry in "${entries[@]}"; do
    if [[ ${entry%%=*} == "$type" && ${entry#*=} =~ ^[1-9][0-9]*$ ]]; then
      printf '%s\n' "${entry#*=}"
      return 0
    fi
  done
  return 1
}

# Installs the fleet's units and enables them (they read /etc/livepeer-fleet/node.env).
install_units() {
  local u
  for u in "$@"; do
    install -m 0644 "$LF_ROOT/units/$u" "/etc/systemd/system/$u"
  done
  systemctl daemon-reload
  systemctl enable "$@"
}
