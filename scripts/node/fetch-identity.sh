#!/usr/bin/env bash
# fetch-identity.sh ROLE DIR (ExecStartPre of the chain node's go-livepeer units)
# One account's keystore and passphrase, from its SSM SecureStrings (KMS, decrypted by SSM)
# straight into DIR, the unit's tmpfs RuntimeDirectory owned by the service user. ROLE says whose:
#   redeemer      the region's own redeemer account (LF_REDEEMER_KEYSTORE_PARAM,
#                 LF_REDEEMER_PASSPHRASE_PARAM), expected to be LF_REDEEMER_ACCOUNT, and refused
#                 outright when it is the orchestrator's (LF_ORCH_ADDR): the reward service sends
#                 from that account, and two senders on one account race on nonces;
#   orchestrator  the on-chain orchestrator's key (LF_ORCH_KEYSTORE_PARAM,
#                 LF_ORCH_PASSPHRASE_PARAM), expected to be LF_ORCH_ADDR, in the home region's
#                 reward service only (LF_REWARD_SERVICE=1; elsewhere IAM denies the read anyway).
# Files are 0400 from creation; the passphrase is only ever a file go-livepeer reads through
# -ethPassword PATH: never an argument, an environment variable, a log line or a byte on disk.
# The keystore must hold exactly the expected account: with -ethAcctAddr naming an account the
# keystore lacks, go-livepeer creates a fresh one (eth/accountmanager.go NewAccountManager).
# Refuses to write anything while core dumps are possible for the unit (require_no_core_dumps:
# LimitCORE=0 sets the hard limit the whole unit, go-livepeer included, inherits).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_env
umask 0277

usage="usage: fetch-identity.sh redeemer|orchestrator DIR"
role=${1:?$usage}
dir=${2:?$usage}
case $role in
  redeemer)
    keystore_param=${LF_REDEEMER_KEYSTORE_PARAM:-}
    passphrase_param=${LF_REDEEMER_PASSPHRASE_PARAM:-}
    want=${LF_REDEEMER_ACCOUNT:-}
    ;;
  orchestrator)
    [[ ${LF_REWARD_SERVICE:-0} == 1 ]] ||
      die "the orchestrator key is fetched only by the home region's reward service (LF_REWARD_SERVICE=1)"
    keystore_param=${LF_ORCH_KEYSTORE_PARAM:-}
    passphrase_param=${LF_ORCH_PASSPHRASE_PARAM:-}
    want=${LF_ORCH_ADDR:-}
    ;;
  *) die "$usage" ;;
esac
[[ -n $keystore_param && -n $passphrase_param && -n $want ]] ||
  die "the $role keystore's parameter names or address are missing from $LF_ENV_FILE"
[[ -n ${LF_ORCH_ADDR:-} ]] || die "LF_ORCH_ADDR is missing from $LF_ENV_FILE"
require_no_core_dumps
[[ $(stat -f -c %T "$dir") == tmpfs ]] || die "$dir is not on tmpfs; refusing to write key material"

key=$dir/keystore/$role.json
clean() { rm -rf -- "$dir/keystore" "$dir/eth-password"; }
clean
install -d -m 0700 -- "$dir/keystore"
awsapi=("$LF_ROOT/bin/awsapi.py")
retry 5 5 "${awsapi[@]}" ssm-get "$keystore_param" "$key"
retry 5 5 "${awsapi[@]}" ssm-get "$passphrase_param" "$dir/eth-password"

addr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("address",""))' \
  "$key" 2>/dev/null || true)
addr=${addr#0x}
orch=${LF_ORCH_ADDR#0x}
if [[ $role == redeemer && ${addr,,} == "${orch,,}" ]]; then
  clean
  die "the keystore in $keystore_param is the orchestrator's account $LF_ORCH_ADDR: the redeemer needs its own (one account, one sender); import the region's redeemer key"
fi
want=${want#0x}
if [[ ${addr,,} != "${want,,}" ]]; then
  clean
  die "the keystore in $keystore_param is not for 0x$want (it is for 0x${addr:-?}); re-import it"
fi
log "$role identity for 0x$want in $dir (tmpfs, 0400)"
