#!/usr/bin/env bash
# nitro-isolation.sh network|firewall (ExecStartPre of the Nitro chain-client.service, as root)
# Nitro runs in a container on its own bridge network, not on the host's network: with
# --network host it shared the host's loopback (the go-livepeer CLIs on 127.0.0.1, which move
# funds with the keys unlocked) and reached the instance metadata service, whose role credentials
# read the region's secrets (the IMDSv2 hop limit does not apply to host networking).
#
#   network   creates the bridge network lf-chain (interface lf-chain) once; docker keeps it
#             across restarts. Ports published without an address bind to 127.0.0.1 on it
#             (com.docker.network.bridge.host_binding_ipv4, docs.docker.com "Packet filtering
#             and firewalls"); the unit publishes the RPC explicitly on 127.0.0.1 as well.
#   firewall  installs, before every start of the container (iptables rules do not survive a
#             reboot), the rules that confine it:
#             - no route to the instance metadata service: what the container sends to
#               169.254.169.254 is forwarded through the host, so the FORWARD chain sees it, and
#               DOCKER-USER is the chain Docker runs before its own rules there and never touches
#               (docs.docker.com "Packet filtering and firewalls": "Add iptables policies before
#               Docker's rules"). Rejected rather than dropped: a caller fails at once instead of
#               hanging on a timeout. The network has no IPv6, so IMDS's IPv6 address is
#               unreachable anyway.
#             - nothing from outside opens a connection to the container except the chain
#               client's P2P port when the stack opens one (LF_CHAIN_P2P_PORT): Docker before
#               28.0 forwards packets for ports published on 127.0.0.1 from hosts on the same L2
#               segment (moby/moby#45610; the same page). The host's own connections to the
#               published RPC do not pass FORWARD.
#             - nothing in the container opens a connection to the host itself (INPUT from the
#               bridge): not the RPC proxy, not the redeemer's port, not the health agent. Replies
#               to the host's own connections (ESTABLISHED) still pass.
# Idempotent: the chain is redefined atomically (iptables-restore --noflush), each jump inserted
# once. Test seams: LF_ENV_FILE (for LF_CHAIN_P2P_PORT).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_env

NET=lf-chain
CHAIN=LF-CHAIN-CLIENT
IMDS=169.254.169.254

case ${1:-} in
  network)
    if ! docker network inspect "$NET" >/dev/null 2>&1; then
      docker network create --driver bridge \
        --opt com.docker.network.bridge.name="$NET" \
        --opt com.docker.network.bridge.host_binding_ipv4=127.0.0.1 "$NET" >/dev/null
      log "created docker network $NET"
    fi
    ;;
  firewall)
    p2p=${LF_CHAIN_P2P_PORT:-}
    [[ -z $p2p || $p2p =~ ^[0-9]{1,5}$ ]] || die "bad LF_CHAIN_P2P_PORT $p2p"
    iptables -n -L DOCKER-USER >/dev/null 2>&1 || die "no DOCKER-USER chain: is docker.service up?"
    rules=(
      "-A $CHAIN -i $NET -d $IMDS/32 -j REJECT --reject-with icmp-admin-prohibited"
    )
    if [[ -n $p2p ]]; then
      rules+=(
        "-A $CHAIN -o $NET -p tcp --dport $p2p -j RETURN"
        "-A $CHAIN -o $NET -p udp --dport $p2p -j RETURN"
      )
    fi
    rules+=("-A $CHAIN -o $NET ! -i $NET -m conntrack --ctstate NEW -j REJECT --reject-with icmp-admin-prohibited")
    printf '%s\n' "*filter" ":$CHAIN - [0:0]" "${rules[@]}" "COMMIT" | iptables-restore --noflush
    iptables -C DOCKER-USER -j "$CHAIN" 2>/dev/null || iptables -I DOCKER-USER 1 -j "$CHAIN"
    host=(INPUT -i "$NET" -m conntrack --ctstate NEW -j REJECT --reject-with icmp-admin-prohibited)
    iptables -C "${host[@]}" 2>/dev/null || iptables -I "${host[@]:0:1}" 1 "${host[@]:1}"
    log "$NET: no route to $IMDS, no new connection in${p2p:+ but P2P $p2p}, none to the host"
    ;;
  *) die "usage: nitro-isolation.sh network|firewall" ;;
esac
