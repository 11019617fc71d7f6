#!/usr/bin/env bash
# fetch-identity.sh DIR
# The chain node's orchestrator identity: keystore and passphrase from SSM SecureStrings (KMS,
# decrypted by SSM) straight into DIR, the redeemer unit's tmpfs RuntimeDirectory owned by the
# service user. Files are 0400 from creation; the passphrase is only ever a file go-livepeer
# reads through -ethPassword PATH: never an argument, an environment variable, a log line or
# a byte on disk. The keystore must be the configured orchestrator's: go-livepeer would
# otherwise create and use a fresh account (eth/accountmanager.go NewAccountManager).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_env
umask 0277

dir=${1:?usage: fetch-identity.sh DIR}
[[ $(stat -f -c %T "$dir") == tmpfs ]] || die "$dir is not on tmpfs; refusing to write key material"
rm -rf -- "$dir/keystore" "$dir/eth-password"
install -d -m 0700 -- "$dir/keystore"
awsapi=("$LF_ROOT/bin/awsapi.py")
retry 5 5 "${awsapi[@]}" ssm-get "$LF_IDENTITY_KEYSTORE_PARAM" "$dir/keystore/orchestrator.json"
retry 5 5 "${awsapi[@]}" ssm-get "$LF_IDENTITY_PASSPHRASE_PARAM" "$dir/eth-password"

addr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("address",""))' \
  "$dir/keystore/orchestrator.json" 2>/dev/null || true)
want=${LF_ORCH_ADDR#0x}
if [[ ${addr,,} != "${want,,}" ]]; then
  rm -rf -- "$dir/keystore" "$dir/eth-password"
  die "the keystore in $LF_IDENTITY_KEYSTORE_PARAM is not for $LF_ORCH_ADDR (it is for 0x${addr:-?}); re-import it"
fi
log "orchestrator identity for $LF_ORCH_ADDR in $dir (tmpfs, 0400)"
