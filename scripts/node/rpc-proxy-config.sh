#!/usr/bin/env bash
# rpc-proxy-config.sh DIR (rpc-proxy.service ExecStartPre, as the haproxy user)
# Fetches the hosted backup endpoints (an SSM SecureString: their URLs carry API keys) into the
# unit's tmpfs DIR, renders HAProxy's config there (0400) and checks it. Without readable
# backups the proxy still starts with the local node alone: losing the backups must not also
# take away the local chain.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_env
umask 0277

dir=${1:?usage: rpc-proxy-config.sh DIR}
endpoints=$dir/endpoints.json
rm -f -- "$endpoints" "$dir/haproxy.cfg"
if ! retry 3 5 "$LF_ROOT/bin/awsapi.py" ssm-get "$LF_RPC_ENDPOINTS_PARAM" "$endpoints"; then
  log "WARNING: cannot read $LF_RPC_ENDPOINTS_PARAM: the proxy has NO hosted backups"
  rm -f -- "$endpoints"
  echo '{"backups": []}' >"$endpoints"
fi
"$LF_ROOT/bin/render-rpc-proxy.py" "$endpoints" "$LF_ROOT/conf/rpc-proxy.cfg.tmpl" \
  "$dir/haproxy.cfg" --listen "0.0.0.0:$LF_RPC_PORT" --local "127.0.0.1:$LF_LOCAL_RPC_PORT" \
  --local-check-port "$LF_CHAIN_HEALTH_PORT"
rm -f -- "$endpoints"
haproxy -c -q -f "$dir/haproxy.cfg"
