#!/usr/bin/env bash
# boot-chain.sh: turns a fresh Ubuntu instance into the region's chain node. Run once per boot
# by the bootstrap (user data) after it unpacked the node files into /opt/livepeer-fleet;
# every step is idempotent, so a reboot or a re-run converges to the same state.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_env

DATA=/var/lib/chain-data
# iptables: the go-livepeer CLI guards (loopback-guard.sh) and Nitro's isolation rules.
extra=(haproxy iptables)
[[ $LF_CHAIN_CLIENT == nitro ]] && extra+=(docker.io)
base_setup "${extra[@]}"
# Debian's own haproxy.service would grab the packaged config: rpc-proxy.service replaces it.
systemctl disable --now haproxy.service || true

"$LF_ROOT/bin/attach-data-volume.sh" "$LF_DATA_VOLUME_ID" "$DATA"
# The redeemer's tickets DB lives on the persistent volume: losing it loses unredeemed tickets.
install -d -m 0700 -o livepeer -g livepeer "$DATA/livepeer"
# A command substitution, not <(...): a refused LF_REWARD_SERVICE must stop the boot here.
unit_list=$(chain_units)
mapfile -t units <<<"$unit_list"
# The home region's reward service: the orchestrator's key, under its own user, runtime directory
# and data directory, so the redeemer's process can neither read that key nor call its CLI.
if [[ " ${units[*]} " == *" livepeer-reward.service "* ]]; then
  id livepeer-reward >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin livepeer-reward
  install -d -m 0700 -o livepeer-reward -g livepeer-reward "$DATA/reward"
fi
case $LF_CHAIN_CLIENT in
  nitro)
    # The nitro-node image runs as uid 1000.
    install -d -m 0700 -o 1000 -g 1000 "$DATA/nitro"
    retry 5 30 docker pull --quiet "$LF_NITRO_IMAGE"
    ;;
  geth)
    id chain >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin chain
    install -d -m 0700 -o chain -g chain "$DATA/geth"
    "$LF_ROOT/bin/install-release.sh" "$LF_GETH_URL" "$LF_GETH_SHA256" "$LF_ROOT/geth" geth
    ;;
  *) die "unknown LF_CHAIN_CLIENT $LF_CHAIN_CLIENT" ;;
esac
"$LF_ROOT/bin/install-release.sh" "$LF_LIVEPEER_URL" "$LF_LIVEPEER_SHA256" "$LF_ROOT/livepeer" \
  livepeer livepeer_cli

# Publish this instance as chain.<zone>: every node's -ethUrl and -redeemerAddr use that name.
ip=$(retry 5 2 "$LF_ROOT/bin/awsapi.py" imds meta-data/local-ipv4)
retry 5 10 "$LF_ROOT/bin/awsapi.py" route53-upsert "$LF_ZONE_ID" "$LF_CHAIN_HOST" "$ip" 30

install -m 0644 "$LF_ROOT/units/$LF_CHAIN_CLIENT/chain-client.service" \
  /etc/systemd/system/chain-client.service
install_units "${units[@]}"
systemctl enable chain-client.service
systemctl start chain-client.service "${units[@]}"
# Boot is over once the units are started: what follows (a first chain sync may take hours) is
# the chain client's business, not a failed boot. Disarm the deadline user data armed
# (boot-deadline.sh); it refuses when the deadline already expired, and this boot then fails.
if [[ -n ${LF_BOOT_DEADLINE:-} ]]; then
  "$LF_BOOT_DEADLINE" complete
else
  log "no boot deadline in the env file: a failed boot would not be replaced"
fi
log "chain node up: $LF_CHAIN_CLIENT behind rpc-proxy on :$LF_RPC_PORT, redeemer" \
  "$LF_REDEEMER_ACCOUNT on :$LF_REDEEMER_PORT; started ${units[*]}"
