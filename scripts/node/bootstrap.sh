#!/usr/bin/env bash
# bootstrap.sh: the whole of every instance's boot logic that ships in user data. It fetches the
# instance kind's node-file bundle from the unit's private bucket (through the VPC's S3 gateway
# endpoint: the bucket refuses reads from anywhere else), refuses it unless its sha256 is exactly
# the one rendered into the env file, unpacks it into /opt/livepeer-fleet and runs
# boot-<kind>.sh from it. The request is signed by boto3 (Ubuntu's python3-boto3, a maintained
# SigV4 implementation) with the instance role's IMDSv2 credentials: the bundle is encrypted
# with the unit's KMS key, which only signed requests can read.
#
# Test seams (never set on an instance): LF_ENV_FILE, LF_ROOT, LF_AWS_ENDPOINT_S3, LF_PYTHON,
# LF_RETRY_SECONDS.
set -euo pipefail
umask 022

env_file=${LF_ENV_FILE:-/etc/livepeer-fleet/node.env}
root=${LF_ROOT:-/opt/livepeer-fleet}
# Debian/Ubuntu's own interpreter: python3-boto3 from the archive installs for it alone.
python=${LF_PYTHON:-/usr/bin/python3}

log() { printf '%s livepeer-fleet[bootstrap]: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }
die() {
  log "FATAL: $*"
  exit 1
}

[[ -r $env_file ]] || die "missing $env_file (written by user data)"
set -a
# shellcheck source=/dev/null
. "$env_file"
set +a
for v in LF_KIND LF_REGION LF_BUNDLE_BUCKET LF_BUNDLE_KEY LF_BUNDLE_SHA256; do
  [[ -n ${!v:-} ]] || die "$v is empty in $env_file"
done
[[ $LF_BUNDLE_SHA256 =~ ^[0-9a-f]{64}$ ]] || die "LF_BUNDLE_SHA256 is not a sha256"
[[ $LF_KIND =~ ^(chain|orchestrator|transcoder)$ ]] || die "unknown LF_KIND $LF_KIND"

if ! "$python" -c 'import boto3' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  ok=""
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if apt-get update -q && apt-get install -y -q --no-install-recommends python3-boto3; then
      ok=yes
      break
    fi
    log "installing python3-boto3 failed (attempt $attempt); retrying in 10s"
    sleep 10
  done
  [[ -n $ok ]] || die "could not install python3-boto3"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The fetch, bounded and retried inside Python; the value checked here, in the shell, after it.
"$python" - "$work/bundle.tar.gz" <<'PY'
import os, sys, time
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

out = sys.argv[1]
args = {"Bucket": os.environ["LF_BUNDLE_BUCKET"], "Key": os.environ["LF_BUNDLE_KEY"]}
if os.environ.get("LF_BUNDLE_VERSION"):
    args["VersionId"] = os.environ["LF_BUNDLE_VERSION"]
endpoint = os.environ.get("LF_AWS_ENDPOINT_S3") or None
pause = int(os.environ.get("LF_RETRY_SECONDS", "5"))
# SigV4 for S3 (s3v4): what SSE-KMS objects require; explicit so no botocore default decides.
cfg = Config(connect_timeout=10, read_timeout=60, retries={"max_attempts": 5},
             signature_version="s3v4",
             s3={"addressing_style": "path"} if endpoint else {})
s3 = boto3.client("s3", region_name=os.environ["LF_REGION"], endpoint_url=endpoint, config=cfg)
for attempt in range(1, 7):
    try:
        body = s3.get_object(**args)["Body"].read()
        break
    except (BotoCoreError, ClientError) as e:
        print("bootstrap: get %s/%s failed (attempt %d): %s" % (args["Bucket"], args["Key"], attempt, e),
              file=sys.stderr)
        if attempt == 6:
            sys.exit(1)
        time.sleep(pause * attempt)
with open(out, "wb") as f:
    f.write(body)
PY
got=$(sha256sum "$work/bundle.tar.gz" | cut -d' ' -f1)
[[ $got == "$LF_BUNDLE_SHA256" ]] ||
  die "bundle s3://$LF_BUNDLE_BUCKET/$LF_BUNDLE_KEY has sha256 $got, expected $LF_BUNDLE_SHA256: refusing it"

# Unpack beside the live tree and swap, so a re-run never leaves a half-written runtime.
mkdir "$work/x"
tar -xzf "$work/bundle.tar.gz" -C "$work/x" --no-same-owner --no-same-permissions
chmod -R go-w "$work/x"
install -d -m 0755 "$(dirname "$root")"
rm -rf "$root.new"
cp -a "$work/x" "$root.new"
rm -rf "$root.old"
[[ -e $root ]] && mv "$root" "$root.old"
mv "$root.new" "$root"
rm -rf "$root.old"
log "node files for $LF_KIND (sha256 $got) in $root"
exec "$root/bin/boot-$LF_KIND.sh"
