#!/usr/bin/env bash
# fetch-secret.sh DIR (ExecStartPre of the orchestrator and transcoder units)
# The orchestrator secret transcoders register with: from its SSM SecureString straight into
# DIR/orch-secret, DIR being the unit's tmpfs RuntimeDirectory. 0400 from creation; go-livepeer
# reads it through `-orchSecret PATH`: never an argument, an environment variable or a log line.
#
# Fails rather than start without it: go-livepeer's common.ReadFromFile returns the PATH ITSELF
# when the file is missing, a directory or empty (common/readfromfile.go), so a missing file
# would make the secret the publicly known string "/run/livepeer/orch-secret".
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_env
umask 0277

dir=${1:?usage: fetch-secret.sh DIR}
require_no_core_dumps
[[ $(stat -f -c %T "$dir") == tmpfs ]] || die "$dir is not on tmpfs; refusing to write key material"
file=$dir/orch-secret
rm -f -- "$file"
retry 5 5 "$LF_ROOT/bin/awsapi.py" ssm-get "$LF_ORCH_SECRET_PARAM" "$file"
# go-livepeer trims whitespace (ReadFromFile: strings.TrimSpace); count what it will use.
len=$(tr -d '[:space:]' <"$file" | wc -c)
if ((len < 32)); then
  rm -f -- "$file"
  die "$LF_ORCH_SECRET_PARAM holds $len characters after trimming; expected at least 32 (re-create it)"
fi
log "orchestrator secret in $file (tmpfs, 0400)"
