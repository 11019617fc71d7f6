#!/usr/bin/env bash
# install-release.sh URL SHA256 DEST_DIR BINARY...
# Downloads a release tarball, refuses it unless its sha256 is exactly the pinned one, and
# installs the named binaries from anywhere inside it into DEST_DIR. Idempotent: a binary set
# already installed from the same sha256 is kept (a marker file records which archive it is).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

(($# >= 4)) || die "usage: install-release.sh URL SHA256 DEST_DIR BINARY..."
url=$1 sha=$2 dest=$3
shift 3
[[ $url == https://* ]] || die "refusing a non-https release URL: $url"
# An empty or malformed pin means config never supplied it: never install unverified code.
[[ $sha =~ ^[0-9a-f]{64}$ ]] || die "no valid sha256 pinned for $url (set it in the stack config)"

marker="$dest/.sha256"
if [[ -f $marker && $(<"$marker") == "$sha" ]]; then
  log "already installed: $url"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
retry 5 10 curl --fail --silent --show-error --location --proto '=https' \
  --max-time 600 -o "$work/archive.tar.gz" "$url"
echo "$sha  $work/archive.tar.gz" | sha256sum --check --status ||
  die "sha256 mismatch for $url: got $(sha256sum "$work/archive.tar.gz" | cut -d' ' -f1)"
mkdir "$work/x"
tar -xzf "$work/archive.tar.gz" -C "$work/x" --no-same-owner
install -d -m 0755 "$dest"
for bin in "$@"; do
  found=$(find "$work/x" -type f -name "$bin" -print -quit)
  [[ -n $found ]] || die "$bin not found in $url"
  install -m 0755 "$found" "$dest/$bin"
done
echo "$sha" >"$marker"
log "installed $* from $url (sha256 verified)"
