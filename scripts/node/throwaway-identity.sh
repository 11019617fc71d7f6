#!/usr/bin/env bash
# throwaway-identity.sh DIR
# An orchestrator node's own, disposable account (go-livepeer doc/multi-o.md: each node has its
# own keypair and works for the on-chain address given by -ethOrchAddr; it never sees the
# orchestrator's key). DIR is the unit's tmpfs RuntimeDirectory, so the key dies with the unit.
#
# go-livepeer creates the account itself when the keystore is empty, but encrypts it with the
# raw -ethPassword string (eth/accountmanager.go NewAccountManager) while Unlock reads a file at
# that path (common.ReadFromFile): with -ethPassword PATH a new account is encrypted with the
# path and then fails to unlock. So the random passphrase goes into a go-livepeer -config file
# (`ethPassword VALUE`, 0400, tmpfs): read by go-livepeer itself, never on argv, in the
# environment, in logs (PrintConfig redacts EthPassword) or on disk.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
umask 0277

dir=${1:?usage: throwaway-identity.sh DIR}
require_no_core_dumps
[[ $(stat -f -c %T "$dir") == tmpfs ]] || die "$dir is not on tmpfs; refusing to write key material"
install -d -m 0700 -- "$dir/keystore"
if [[ ! -s $dir/secret.conf ]]; then
  # printf is a shell builtin: the passphrase never becomes a process argument.
  pass=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  printf 'ethPassword %s\n' "$pass" >"$dir/secret.conf"
  unset pass
  rm -f -- "$dir"/keystore/*
fi
log "throwaway node identity ready in $dir (tmpfs)"
