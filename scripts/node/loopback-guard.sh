#!/usr/bin/env bash
# loopback-guard.sh PORT USER (ExecStartPre=+ of the chain node's go-livepeer units: runs as root)
# Lets only root and USER connect to 127.0.0.1:PORT, the unit's go-livepeer CLI. That CLI has no
# authentication and serves fund-moving routes with the unit's key unlocked (/transferTokens,
# /unbond, /withdrawStake, /bond: go-livepeer server/webserver.go cliWebServerHandlers), so
# binding it to loopback is not enough: any local process (the health agent, HAProxy, a
# compromised neighbour) could call it. An iptables OUTPUT rule matches the connecting socket's
# owner (xt_owner: locally generated packets only, which loopback connections are) and resets
# every other uid's connection before it reaches the listener.
#
# Run before every start of the unit, not once at boot: iptables rules do not survive a reboot,
# and user data runs once per instance. Idempotent: the per-port chain is replaced atomically
# (iptables-restore --noflush redefines only the chains it declares), and the jump to it is
# inserted once. Test seam: none (tests run it as root in a network namespace).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

port=${1:?usage: loopback-guard.sh PORT USER}
user=${2:?usage: loopback-guard.sh PORT USER}
if ! [[ $port =~ ^[0-9]{1,5}$ ]] || ((port < 1 || port > 65535)); then die "bad port $port"; fi
uid=$(id -u -- "$user") || die "no such user $user"
chain=LF-CLI-$port

# Declaring the chain flushes it; the three rules replace it in one commit, so there is never a
# moment in which the port is open to everyone.
iptables-restore --noflush <<EOF
*filter
:$chain - [0:0]
-A $chain -m owner --uid-owner 0 -j RETURN
-A $chain -m owner --uid-owner $uid -j RETURN
-A $chain -p tcp -j REJECT --reject-with tcp-reset
COMMIT
EOF
jump=(OUTPUT -o lo -p tcp --dport "$port" -j "$chain")
iptables -C "${jump[@]}" 2>/dev/null || iptables -I "${jump[@]:0:1}" 1 "${jump[@]:1}"
log "127.0.0.1:$port: only root and $user (uid $uid) may connect"
