#!/usr/bin/env bash
# attach-data-volume.sh VOLUME_ID MOUNTPOINT
# Attaches the unit's tagged chain data volume to this instance (IAM allows it only for volumes
# and instances tagged for this unit), waits until EC2 reports it attached here, finds its NVMe
# device by volume id and hands it to mount-data-volume.sh. During an instance replacement the
# old instance may still hold the volume: wait (bounded) for it to let go.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

vol=${1:?usage: attach-data-volume.sh VOLUME_ID MOUNTPOINT}
mnt=${2:?usage: attach-data-volume.sh VOLUME_ID MOUNTPOINT}
[[ $vol =~ ^vol-[0-9a-f]{8,17}$ ]] || die "not a volume id: $vol"
api=$LF_ROOT/bin/awsapi.py
me=$(retry 5 2 "$api" imds meta-data/instance-id)

attached=""
for _ in $(seq 1 120); do # 120 x 5 s: the old instance gets 10 minutes to let go
  read -r state holder astate < <(retry 3 5 "$api" ec2-volume "$vol")
  if [[ $state == in-use && $holder == "$me" && $astate == attached ]]; then
    attached=yes
    break
  elif [[ $state == available ]]; then
    "$api" ec2-attach "$vol" "$me" /dev/sdf || log "attach call failed; will look again"
  else
    log "$vol is $state (held by $holder, $astate); waiting"
  fi
  sleep 5
done
[[ -n $attached ]] || die "$vol did not attach to $me within 10 minutes"

# Nitro instances expose EBS as NVMe; the serial (and so the by-id link) is the volume id
# without its dash. Never guess a device by name: only this link names this volume.
dev=/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${vol/-/}
for _ in $(seq 1 60); do
  [[ -b $dev ]] && break
  udevadm settle --timeout=5 || true
  sleep 1
done
[[ -b $dev ]] || die "$dev did not appear"
"$LF_ROOT/bin/mount-data-volume.sh" "$dev" "$mnt"
