#!/usr/bin/python3
"""The few AWS API calls a node makes, through boto3 (Ubuntu's python3-boto3).

  awsapi.py ssm-get NAME OUTFILE           SecureString value -> OUTFILE (mode 0400, created with
                                           O_EXCL|O_NOFOLLOW); the value is never printed or logged
  awsapi.py ec2-volume VOLUME_ID           prints "<state> <attached instance or -> <attachment
                                           state or ->"
  awsapi.py ec2-attach VOLUME_ID INSTANCE_ID DEVICE
  awsapi.py ec2-associate-address ALLOCATION_ID
                                           associates the Elastic IP with this instance (taking it
                                           over from a previous holder); prints the association id
  awsapi.py route53-upsert ZONE_ID NAME IP TTL
                                           UPSERTs an A record and waits (at most 60 s) for INSYNC
  awsapi.py set-instance-health Unhealthy  tells Auto Scaling this instance is unhealthy (the
                                           group's health check grace period is respected)
  awsapi.py set-instance-health-now Unhealthy
                                           the same, even inside the grace period (a verdict
                                           that waiting cannot change: a boot that failed)
  awsapi.py imds PATH                      prints an instance metadata value (IMDSv2)
  awsapi.py complete-lifecycle-action HOOK GROUP CONTINUE|ABANDON
                                           completes this instance's action of a lifecycle hook

Exit status 0 on success, 1 on a failed call (one line on stderr naming the call and AWS's error
code and message, never a parameter value or a secret), 2 on a usage error.

Credentials: only the instance role's, through botocore's own instance-metadata provider
(IMDSv2). Region: LF_AWS_REGION, else the instance's (IMDS). Endpoints can be pointed elsewhere
(tests use local stand-ins): LF_AWS_ENDPOINT_<SSM|EC2|ROUTE53|MONITORING|AUTOSCALING> become the
client's endpoint_url; LF_IMDS_ENDPOINT is mapped onto botocore's AWS_EC2_METADATA_SERVICE_ENDPOINT.
"""
# Why boto3 and these exact calls: the instance images carry Ubuntu's python3-boto3 (noble:
# 1.34, jammy, the GPU Deep Learning AMI's base: 1.20 with botocore 1.23; the tests run Debian
# 12's 1.26 with botocore 1.29). Everything below exists in all three: the client methods and
# their parameters (each service's service-2.json), Config(connect_timeout, read_timeout,
# retries={"max_attempts": 0}), the Route 53 waiter ResourceRecordSetsChanged with WaiterConfig,
# botocore.session's get_component/register_component("credential_provider") and
# CredentialResolver.get_provider("iam-role") (botocore/credentials.py). The health agent
# imports this module: put_metrics, own_group_name, set_instance_health and TIMEOUT are its API;
# the transcoder lifecycle agent also uses imds_optional and complete_lifecycle_action, the
# orchestrators' demand publisher put_high_resolution.
# Wire protocols (service-2.json metadata.protocol, the same in those three): SSM json 1.1, EC2
# ec2, Auto Scaling and CloudWatch query, Route 53 rest-xml. botocore 1.43.54 and later model
# CloudWatch as smithy-rpc-v2-cbor first (json and query as alternatives): irrelevant to the
# Ubuntu packages, but a test stand-in speaking query would refuse such a client.
import os
import sys
import threading
import urllib.error
import urllib.request

import boto3
import boto3.session
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialResolver
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError, WaiterError

# Seconds to connect and to read, per call (IMDS included). The health agent sets its own,
# shorter, bound before its first call.
TIMEOUT = 10.0

_IMDS_DEFAULT = "http://169.254.169.254/"
# botocore reads the IMDS endpoint from this variable (configprovider.py, config variable
# ec2_metadata_service_endpoint, in botocore 1.23, 1.29 and 1.34 alike). botocore 1.23 appends
# "latest/..." to it without a separator (utils.py IMDSFetcher), so it must end with "/".
_IMDS_VAR = "AWS_EC2_METADATA_SERVICE_ENDPOINT"
if os.environ.get("LF_IMDS_ENDPOINT"):
    os.environ[_IMDS_VAR] = os.environ["LF_IMDS_ENDPOINT"]
if os.environ.get(_IMDS_VAR) and not os.environ[_IMDS_VAR].endswith("/"):
    os.environ[_IMDS_VAR] += "/"

# boto3 service name -> the suffix of its LF_AWS_ENDPOINT_ variable (the endpoint prefix).
_ENDPOINT_VARS = {"ssm": "SSM", "ec2": "EC2", "route53": "ROUTE53", "cloudwatch": "MONITORING",
                  "autoscaling": "AUTOSCALING"}


class AwsError(Exception):
    """A failed call, already phrased for the one line main() prints."""


def imds(path):
    """An instance metadata value over IMDSv2 (token first: the launch templates require it)."""
    base = os.environ.get(_IMDS_VAR) or _IMDS_DEFAULT
    try:
        req = urllib.request.Request(base + "latest/api/token", method="PUT",
                                     headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"})
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            token = r.read().decode()
        req = urllib.request.Request(base + "latest/" + path.lstrip("/"),
                                     headers={"X-aws-ec2-metadata-token": token})
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.read().decode()
    except urllib.error.HTTPError as e:
        raise AwsError("imds %s: HTTP %d" % (path, e.code))
    except OSError as e:
        raise AwsError("imds %s: %s" % (path, getattr(e, "reason", e)))


_lock = threading.Lock()
_session = None
_clients = {}


def _boto_session():
    botocore_session = botocore.session.get_session()
    # IMDS may answer slowly right after boot: 2 s and 3 attempts instead of 1 s and 1.
    botocore_session.set_config_variable("metadata_service_timeout", 2)
    botocore_session.set_config_variable("metadata_service_num_attempts", 3)
    # Only the instance role: a stray AWS_* variable or ~/.aws file on a node must never decide
    # whose credentials sign its calls. "iam-role" is the provider botocore builds from the same
    # session config (IMDS endpoint included), so refresh before expiry stays botocore's job.
    role = botocore_session.get_component("credential_provider").get_provider("iam-role")
    botocore_session.register_component("credential_provider", CredentialResolver([role]))
    region = os.environ.get("LF_AWS_REGION") or imds("meta-data/placement/region")
    return boto3.session.Session(botocore_session=botocore_session, region_name=region)


def client(service):
    """A cached boto3 client (clients are thread-safe; the health agent calls from two threads)."""
    global _session
    with _lock:
        if service in _clients:
            return _clients[service]
        if _session is None:
            _session = _boto_session()
        # A client made without credentials would never get any: check first, and retry the
        # whole lookup on the next call.
        if _session.get_credentials() is None:
            raise AwsError("no instance role credentials from the instance metadata service")
        c = _session.client(
            service,
            # Route 53 is global: botocore signs it for us-east-1 whatever the session's region
            # (credentialScope of its aws-global endpoint). Naming that region keeps the scope the
            # same when a test points endpoint_url at a stand-in.
            region_name="us-east-1" if service == "route53" else None,
            endpoint_url=os.environ.get("LF_AWS_ENDPOINT_" + _ENDPOINT_VARS[service]) or None,
            # No retries inside botocore: every caller has its own (the boot scripts' retry, the
            # agent's next round), and a bounded call must stay bounded.
            config=Config(connect_timeout=TIMEOUT, read_timeout=TIMEOUT,
                          retries={"max_attempts": 0}))
        _clients[service] = c
        return c


def _call(service, method, **params):
    """One API call; any failure becomes an AwsError naming the operation, never a parameter."""
    c = client(service)
    name = c.meta.method_to_api_mapping.get(method, method)  # describe_volumes -> DescribeVolumes
    try:
        return getattr(c, method)(**params)
    except ClientError as e:
        err = e.response.get("Error", {})
        raise AwsError(" ".join(("%s: %s:" % (name, err.get("Code", "?")),
                                 _one_line(err.get("Message", "")))).strip())
    except ParamValidationError:  # its text quotes the values
        raise AwsError("%s: invalid parameters" % name)
    except BotoCoreError as e:
        raise AwsError("%s: %s" % (name, _one_line(str(e))))


def _one_line(text):
    return " ".join(str(text).split())[:300]


def instance_id():
    return imds("meta-data/instance-id").strip()


def ssm_get(name, out):
    value = _call("ssm", "get_parameter", Name=name, WithDecryption=True)["Parameter"]["Value"]
    # O_EXCL and O_NOFOLLOW: never follow or overwrite a file someone else put there; 0400 from
    # the start, so the value is never readable by anyone else, not even for a moment.
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     0o400)
    except OSError as e:
        raise AwsError("cannot create the output file: %s" % e.strerror)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    print("wrote %s from %s" % (out, name), file=sys.stderr)


def ec2_volume(volume):
    vols = _call("ec2", "describe_volumes", VolumeIds=[volume])["Volumes"]
    if not vols:
        raise AwsError("DescribeVolumes: no such volume")
    att = (vols[0].get("Attachments") or [{}])[0]
    print("%s %s %s" % (vols[0]["State"], att.get("InstanceId") or "-", att.get("State") or "-"))


def ec2_attach(volume, instance, device):
    _call("ec2", "attach_volume", VolumeId=volume, InstanceId=instance, Device=device)
    print("attach requested: %s -> %s as %s" % (volume, instance, device), file=sys.stderr)


def ec2_associate_address(allocation):
    """Associates the Elastic IP with this instance; returns the association id."""
    # AllowReassociation: during a replacement the old instance may still hold the address
    # (AssociateAddress in the EC2 API reference: it is then moved to this instance). The answer's
    # AssociationId is all there is to print: the role may call AssociateAddress only (no
    # DescribeAddresses), and nothing on the node needs the public IP itself.
    answer = _call("ec2", "associate_address", AllocationId=allocation, InstanceId=instance_id(),
                   AllowReassociation=True)
    if not answer.get("AssociationId"):
        raise AwsError("AssociateAddress: the answer has no AssociationId")
    return answer["AssociationId"]


def route53_upsert(zone, name, ip, ttl, delay=2, attempts=30):
    if not str(ttl).isdigit():
        raise AwsError("TTL must be a whole number of seconds")
    change = _call("route53", "change_resource_record_sets", HostedZoneId=zone, ChangeBatch={
        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
            "Name": name, "Type": "A", "TTL": int(ttl), "ResourceRecords": [{"Value": ip}]}}]})
    try:
        # Bounded: a private zone's change is in sync within seconds; 30 x 2 s at most.
        client("route53").get_waiter("resource_record_sets_changed").wait(
            Id=change["ChangeInfo"]["Id"], WaiterConfig={"Delay": delay, "MaxAttempts": attempts})
    except WaiterError as e:
        last = e.last_response or {}
        status = (last.get("ChangeInfo") or {}).get("Status") or (
            last.get("Error") or {}).get("Code") or "no answer"
        raise AwsError("GetChange: not INSYNC after %d s (last: %s)" % (delay * attempts, status))
    except BotoCoreError as e:
        raise AwsError("GetChange: %s" % _one_line(str(e)))
    print("%s -> %s in sync" % (name, ip), file=sys.stderr)


def imds_optional(path):
    """An instance metadata value, or None when the item is absent (HTTP 404): the target
    lifecycle state before Auto Scaling has set one, spot/instance-action without a notice."""
    try:
        return imds(path).strip()
    except AwsError as e:
        if str(e).endswith("HTTP 404"):
            return None
        raise


class NoActiveLifecycleAction(AwsError):
    """CompleteLifecycleAction for a hook with no action waiting on this instance."""


def complete_lifecycle_action(hook, group, result="CONTINUE"):
    """Completes this instance's action of lifecycle hook `hook` (by instance id: no token)."""
    if result not in ("CONTINUE", "ABANDON"):
        raise ValueError("lifecycle action result must be CONTINUE or ABANDON")
    try:
        _call("autoscaling", "complete_lifecycle_action", LifecycleHookName=hook,
              AutoScalingGroupName=group, LifecycleActionResult=result,
              InstanceId=instance_id())
    except AwsError as e:
        # Auto Scaling answers ValidationError "No active Lifecycle Action found with instance
        # ID ..." when nothing waits (completed already, timed out, or another hook's turn).
        if "ValidationError" in str(e) and "No active Lifecycle Action" in str(e):
            raise NoActiveLifecycleAction(str(e))
        raise


def set_instance_health(status, respect_grace_period=True):
    if status not in ("Healthy", "Unhealthy"):
        raise ValueError("health status must be Healthy or Unhealthy")
    # ShouldRespectGracePeriod: a node still inside its group's grace period (booting, syncing
    # its first state) is left alone, as Auto Scaling's own checks would. The boot deadline's
    # verdict (a boot that failed) does not get better with time, so it passes False.
    _call("autoscaling", "set_instance_health", InstanceId=instance_id(), HealthStatus=status,
          ShouldRespectGracePeriod=respect_grace_period)


def put_metrics(namespace, metrics, dimensions):
    """CloudWatch PutMetricData: metrics as [(name, value, unit)], each with the same dimensions
    [(name, value)]."""
    dims = [{"Name": n, "Value": v} for n, v in dimensions]
    _call("cloudwatch", "put_metric_data", Namespace=namespace, MetricData=[
        {"MetricName": n, "Value": float(v), "Unit": u, "Dimensions": dims} for n, v, u in metrics])


def put_high_resolution(namespace, data):
    """CloudWatch PutMetricData with StorageResolution 1 (kept at 1-second resolution, so a
    10-second period can be read: CloudWatch user guide, "High-resolution metrics"): data as
    [(name, value, unit, [(dimension, value)])]."""
    _call("cloudwatch", "put_metric_data", Namespace=namespace, MetricData=[
        {"MetricName": n, "Value": float(v), "Unit": u, "StorageResolution": 1,
         "Dimensions": [{"Name": dn, "Value": dv} for dn, dv in dims]}
        for n, v, u, dims in data])


def own_group_name():
    """This instance's Auto Scaling group. Its aws:autoscaling:groupName tag is not in IMDS
    (instance metadata tags are off), and user data cannot carry it (the group is created after
    the launch template that holds the user data), so Auto Scaling is asked by instance id."""
    found = _call("autoscaling", "describe_auto_scaling_instances",
                  InstanceIds=[instance_id()])["AutoScalingInstances"]
    if not found:
        raise AwsError("DescribeAutoScalingInstances: this instance is in no Auto Scaling group")
    return found[0]["AutoScalingGroupName"]


COMMANDS = {
    "ssm-get": (ssm_get, 2),
    "ec2-volume": (ec2_volume, 1),
    "ec2-attach": (ec2_attach, 3),
    "ec2-associate-address": (lambda a: print(ec2_associate_address(a)), 1),
    "route53-upsert": (route53_upsert, 4),
    "set-instance-health": (set_instance_health, 1),
    "set-instance-health-now": (lambda status: set_instance_health(status, False), 1),
    "imds": (lambda p: print(imds(p)), 1),
    "complete-lifecycle-action": (complete_lifecycle_action, 3),
}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS or len(argv) - 2 != COMMANDS[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        COMMANDS[argv[1]][0](*argv[2:])
    except (AwsError, OSError, KeyError, ValueError) as e:
        # Every message is built above from the operation, AWS's code and message, or a fixed
        # text (an IMDS error names the metadata path it asked for); never from a value.
        print("awsapi %s failed: %s" % (argv[1], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
