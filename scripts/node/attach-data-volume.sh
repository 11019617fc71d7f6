#!/usr/bin/env bash
# attach-data-volume.sh VOLUME_ID MOUNTPOINT
# Attaches the unit's tagged chain data volume to this instance (IAM allows it only for volumes
# and instances tagged for this unit), waits until EC2 reports it attached here, finds its NVMe
# device by volume id and hands it to mount-data-volume.sh.
#
# During a replacement the previous instance may still hold the volume: Auto Scaling terminates
# an unhealthy instance and, while it is terminating, launches the new one (User Guide, "View the
# reason for health check failures"), and an instance refresh with minHealthyPercentage 0 does the
# same. The old instance lets go when it has shut down (its chain client gets up to 11 minutes to
# flush: units/nitro/chain-client.service TimeoutStopSec). So this script only ever waits: it
# asks for the volume when DescribeVolumes says `available` and never detaches it from anyone.
# DetachVolume (let alone Force, which "can lead to data loss or a corrupted file system": API
# reference, DetachVolume) would take the data from a node that may be alive; the role is not
# even allowed to. If two instances ask at once, EC2 attaches it to one and answers the other
# VolumeInUse or IncorrectState ("Error codes for the Amazon EC2 API"), which then keeps waiting.
# An instance that never gets the volume fails its boot, and its boot deadline
# (boot-deadline.sh) has it replaced: the node holding the volume is never touched.
#
# States (botocore's ec2 model: VolumeState creating|available|in-use|deleting|deleted|error,
# VolumeAttachmentState attaching|attached|detaching|detached|busy): in-use and attached to this
# instance is done; available is asked for; creating (a volume still being made from a snapshot)
# and in-use elsewhere or in any other attachment state are waited for; deleting, deleted and
# error can never attach, so they fail at once.
#
#   LF_ATTACH_ATTEMPTS, LF_ATTACH_POLL_SECONDS  how often to look, and the pause between looks
#                  (the env file has them from lib/runtime-contract.ts CHAIN_BOOT)
#   LF_DISK_BY_ID  where the NVMe links appear (default /dev/disk/by-id; tests point it elsewhere)
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

vol=${1:?usage: attach-data-volume.sh VOLUME_ID MOUNTPOINT}
mnt=${2:?usage: attach-data-volume.sh VOLUME_ID MOUNTPOINT}
attempts=${LF_ATTACH_ATTEMPTS:-180}
pause=${LF_ATTACH_POLL_SECONDS:-5}
by_id=${LF_DISK_BY_ID:-/dev/disk/by-id}
[[ $vol =~ ^vol-[0-9a-f]{8,17}$ ]] || die "not a volume id: $vol"
[[ $attempts =~ ^[1-9][0-9]*$ ]] || die "LF_ATTACH_ATTEMPTS must be a positive number (got $attempts)"
[[ $pause =~ ^[0-9]+$ ]] || die "LF_ATTACH_POLL_SECONDS must be a whole number (got $pause)"
api=$LF_ROOT/bin/awsapi.py
me=$(retry 5 2 "$api" imds meta-data/instance-id)

attached="" last=""
for ((n = 1; n <= attempts; n++)); do
  state=""
  if seen=$("$api" ec2-volume "$vol"); then
    read -r state holder astate <<<"$seen"
    # ec2-volume prints "-" for an attachment field that is not there.
    [[ $holder == - ]] && holder=""
    [[ $astate == - ]] && astate=""
    if [[ $state == in-use && $holder == "$me" && $astate == attached ]]; then
      attached=yes
      break
    elif [[ $state == in-use && $holder != "$me" ]]; then
      now="held by $holder ($astate): waiting for it to let go (never detached from here)"
    else
      now="$state${holder:+ $holder}${astate:+ $astate}"
    fi
  else
    now="DescribeVolumes failed (the line above says why)"
  fi
  # One line per change, not one per look: a 15-minute wait stays readable.
  [[ $now == "$last" ]] || log "$vol: $now (look $n of $attempts)"
  last=$now
  case $state in
    available)
      # Free: ask for it. Refused means it went elsewhere first; the next look says where.
      "$api" ec2-attach "$vol" "$me" /dev/sdf || true
      ;;
    in-use | creating | "") ;; # attaching here, someone else's, still being made, or unknown yet
    deleting | deleted | error)
      die "$vol is $state and can never attach: restore the chain volume from a snapshot" \
        "(docs/operations.md, Restore the chain volume from a snapshot)"
      ;;
    *) die "DescribeVolumes gave $vol an unknown state: $state" ;;
  esac
  if ((n < attempts)); then sleep "$pause"; fi
done
[[ -n $attached ]] ||
  die "$vol did not attach to $me in $attempts looks ${pause}s apart (last: $last);" \
    "it is never taken from another instance: this boot fails and its deadline replaces it"
log "$vol attached to $me"

# Nitro instances expose EBS as NVMe; the serial (and so the by-id link) is the volume id
# without its dash. Never guess a device by name: only this link names this volume.
dev=$by_id/nvme-Amazon_Elastic_Block_Store_${vol/-/}
for _ in $(seq 1 60); do
  [[ -b $dev ]] && break
  udevadm settle --timeout=5 2>/dev/null || true
  sleep 1
done
[[ -b $dev ]] || die "$dev did not appear"
"$LF_ROOT/bin/mount-data-volume.sh" "$dev" "$mnt"
