#!/usr/bin/env bash
# nitro-resume-first-sync.sh ROOT (chain-client.service ExecStartPre for Nitro)
#
# ROOT is Nitro's persistent directory on the data volume (/home/user/.arbitrum in the container).
# Nitro's instance directory is ROOT/<chain>/nitro: --persistent.chain defaults to the chain's name
# (arb1) under --persistent.global-config, and go-ethereum's node appends the program name
# (OffchainLabs/nitro cmd/nitro/config/config.go chainDefaults "persistent.chain", cmd/nitro/nitro.go
# stackConf.DataDir; go-ethereum node/config.go instanceDir).
#
# On a first start with an empty database Nitro downloads the snapshot into <instance>/tmp
# (cmd/nitro/init/init.go initializeAndDownloadInit) and removes it only when the download returns.
# A first sync interrupted by a reboot, a refresh or a stop leaves that directory behind, and every
# later start fails for good: initializeAndDownloadInit refuses an existing tmp ("tmp directory for
# downloading init file already exists") and checkEmptyDatabaseDir refuses any entry other than
# LOCK, classic-msg and l2chaindata. While the database is still empty nothing of value is in tmp,
# so it is removed and the download starts again. With a database (an extraction that was cut off,
# or anything else) nothing is touched: that needs a person.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

root=${1:?usage: nitro-resume-first-sync.sh ROOT}

# Entries Nitro's checkEmptyDatabaseDir accepts in an instance directory that has no database yet.
allowed_when_empty() {
  case $1 in LOCK | classic-msg | l2chaindata) return 0 ;; *) return 1 ;; esac
}

# True when the instance directory holds nothing but tmp and empty leftovers of Nitro's own.
database_empty() {
  local inst=$1 entry name
  for entry in "$inst"/* "$inst"/.[!.]*; do
    [[ -e $entry || -L $entry ]] || continue
    name=${entry##*/}
    [[ $name == tmp ]] && continue
    allowed_when_empty "$name" || return 1
    # LOCK is a file; the database directories must not hold anything yet.
    if [[ -d $entry && -n $(find "$entry" -mindepth 1 -print -quit) ]]; then
      return 1
    fi
  done
  return 0
}

shopt -s nullglob
for inst in "$root"/*/nitro; do
  [[ -d $inst/tmp ]] || continue
  if database_empty "$inst"; then
    log "removing $inst/tmp: a first snapshot download was interrupted; Nitro starts it again"
    rm -rf -- "$inst/tmp"
  else
    log "leaving $inst/tmp: the database is not empty, so this is not an interrupted download." \
      "If Nitro refuses to start, stop chain-client.service, move $inst aside and start it again" \
      "to sync from a fresh snapshot (docs/operations.md, Chain node lagging or down)"
  fi
done
