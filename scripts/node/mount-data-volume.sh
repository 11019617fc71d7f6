#!/usr/bin/env bash
# mount-data-volume.sh DEVICE MOUNTPOINT
# Mounts a persistent data volume. It creates a filesystem ONLY on a device that is entirely
# blank (no filesystem or partition-table signature and only zeros in its first MiB, as a new
# EBS volume reads); it never touches a device holding another filesystem type, a partition
# table or unrecognised data: it fails loudly instead (exit 3). Re-runs and reboots are no-ops
# apart from making sure it is mounted. The fstab entry is by UUID with nofail, so a missing
# volume never blocks boot.
#   LF_FSTYPE  filesystem to expect/create (default ext4)
#   LF_FSTAB   fstab to maintain (default /etc/fstab; tests point it at a scratch file)
set -euo pipefail

log() { printf 'mount-data-volume: %s\n' "$*" >&2; }
refuse() {
  log "REFUSING: $*"
  exit 3
}

(($# == 2)) || {
  log "usage: mount-data-volume.sh DEVICE MOUNTPOINT"
  exit 2
}
dev=$1 mnt=$2
fstype=${LF_FSTYPE:-ext4}
fstab=${LF_FSTAB:-/etc/fstab}
[[ $fstype == ext4 || $fstype == xfs ]] || refuse "unsupported LF_FSTYPE $fstype"
[[ $mnt == /* ]] || refuse "mount point must be an absolute path: $mnt"
dev=$(readlink -f -- "$dev")
[[ -b $dev ]] || refuse "$dev is not a block device"

# Already mounted here (a re-run or a reboot that fstab handled): only keep fstab right.
current=$(findmnt -n -o SOURCE --mountpoint "$mnt" 2>/dev/null || true)
if [[ -n $current && $(readlink -f -- "$current") != "$dev" ]]; then
  refuse "$mnt is already a mount point of $current, not $dev"
fi
if [[ -z $current ]] && findmnt -n --source "$dev" >/dev/null 2>&1; then
  refuse "$dev is mounted elsewhere: $(findmnt -n -o TARGET --source "$dev" | tr '\n' ' ')"
fi

# Low-level probe (-p): reads the device itself, never a cached answer.
probe() { blkid -p -o value -s "$1" -- "$dev" 2>/dev/null || true; }
if [[ -z $current ]]; then
  type=$(probe TYPE)
  pttype=$(probe PTTYPE)
  if [[ -n $pttype ]]; then
    refuse "$dev carries a $pttype partition table; a data volume must be a bare filesystem"
  fi
  if [[ -n $(lsblk -n -r -o NAME -- "$dev" | tail -n +2) ]]; then
    refuse "$dev has partitions"
  fi
  if [[ -z $type ]]; then
    # wipefs lists every signature blkid knows of, including ones without a TYPE.
    if [[ -n $(wipefs --no-act --noheadings -- "$dev" 2>/dev/null) ]]; then
      refuse "$dev has an unrecognised signature: $(wipefs --no-act -- "$dev" | tr '\n' ' ')"
    fi
    if ! cmp --silent --bytes=1048576 -- "$dev" /dev/zero; then
      refuse "$dev holds data but no filesystem signature; not formatting it"
    fi
    log "$dev is blank: creating $fstype"
    case $fstype in
      ext4) mkfs.ext4 -q -L lf-data -m 0 -- "$dev" ;;
      xfs) mkfs.xfs -q -L lf-data -- "$dev" ;;
    esac
    type=$(probe TYPE)
  fi
  [[ $type == "$fstype" ]] || refuse "$dev holds a ${type:-unknown} filesystem, expected $fstype"
  install -d -m 0755 -- "$mnt"
  mount -t "$fstype" -o noatime -- "$dev" "$mnt"
  log "mounted $dev ($fstype) on $mnt"
fi

uuid=$(probe UUID)
[[ -n $uuid ]] || refuse "no UUID on $dev"
entry="UUID=$uuid $mnt $fstype defaults,noatime,nofail 0 2"
touch -- "$fstab"
if ! grep -qxF -- "$entry" "$fstab"; then
  # Drop any stale line for this mount point or UUID, then add ours (atomic replace).
  tmp=$(mktemp "$fstab.XXXXXX")
  awk -v m="$mnt" -v u="UUID=$uuid" '!($2 == m || $1 == u)' "$fstab" >"$tmp"
  echo "$entry" >>"$tmp"
  chmod 0644 "$tmp"
  mv -f -- "$tmp" "$fstab"
  log "fstab: $entry"
fi
