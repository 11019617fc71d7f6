#!/usr/bin/env bash
# nitro-config.sh DIR (chain-client.service ExecStartPre for Nitro)
# Nitro follows Arbitrum One from its parent chain (Ethereum L1 RPC and beacon endpoints). Those
# URLs carry API keys, so they come from the same SSM SecureString as the proxy's backups and
# reach Nitro as a --conf.file in tmpfs, never as command-line flags.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_env
umask 0077

dir=${1:?usage: nitro-config.sh DIR}
rm -f -- "$dir/endpoints.json" "$dir/nitro.json"
retry 5 5 "$LF_ROOT/bin/awsapi.py" ssm-get "$LF_RPC_ENDPOINTS_PARAM" "$dir/endpoints.json"
python3 - "$dir/endpoints.json" "$dir/nitro.json" <<'PY'
import json, os, sys
e = json.load(open(sys.argv[1]))
url, beacon = e.get("parentChainUrl"), e.get("parentChainBeaconUrl")
if not (isinstance(url, str) and url.startswith(("https://", "wss://"))
        and isinstance(beacon, str) and beacon.startswith("https://")):
    sys.exit("nitro-config: the endpoints parameter needs parentChainUrl and parentChainBeaconUrl")
conf = {"parent-chain": {"connection": {"url": url}, "blob-client": {"beacon-url": beacon}}}
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
with os.fdopen(fd, "w") as f:
    json.dump(conf, f)
PY
rm -f -- "$dir/endpoints.json"
# The nitro-node image runs as uid 1000 ("user"); only it may read the file.
chown 1000:1000 -- "$dir/nitro.json"
