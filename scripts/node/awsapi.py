#!/usr/bin/env python3
"""The few AWS API calls a node makes, with the standard library only.

Ubuntu's AMI has python3 but no AWS CLI (and installing one is an unpinned download), so this
signs requests itself (Signature Version 4) with the instance role's credentials from IMDSv2.

  awsapi.py ssm-get NAME OUTFILE          SecureString value -> OUTFILE (mode 0400, O_EXCL);
                                          the value is never printed or logged
  awsapi.py ec2-volume VOLUME_ID          prints "<state> <attached instance or ->"
  awsapi.py ec2-attach VOLUME_ID INSTANCE_ID DEVICE
  awsapi.py route53-upsert ZONE_ID NAME IP TTL
  awsapi.py imds PATH                     prints an instance metadata value (IMDSv2)

Endpoints can be pointed elsewhere (tests use local stand-ins): LF_IMDS_ENDPOINT,
LF_AWS_ENDPOINT_<SSM|EC2|ROUTE53|MONITORING|AUTOSCALING>.
"""
# The health agent imports this module to publish its CloudWatch metrics (put_metrics and
# own_group_name below) and sets TIMEOUT to its own, shorter, bound per call.
import datetime
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

TIMEOUT = 10
IMDS = os.environ.get("LF_IMDS_ENDPOINT", "http://169.254.169.254")
EC2_NS = "{http://ec2.amazonaws.com/doc/2016-11-15/}"
R53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
AS_NS = "http://autoscaling.amazonaws.com/doc/2011-01-01/"


class AwsError(Exception):
    pass


def _http(req):
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.read()
    except urllib.error.HTTPError as e:
        # AWS error bodies name the code and message, never a parameter value.
        body = e.read()[:500].decode("utf-8", "replace")
        raise AwsError("%s %s: HTTP %d %s" % (req.get_method(), req.full_url.split("?")[0], e.code, body))


def imds(path):
    tok = _http(urllib.request.Request(IMDS + "/latest/api/token", method="PUT",
                                       headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"}))
    return _http(urllib.request.Request(IMDS + "/latest/" + path.lstrip("/"),
                                        headers={"X-aws-ec2-metadata-token": tok.decode()})).decode()


def credentials():
    role = imds("meta-data/iam/security-credentials/").split("\n")[0].strip()
    c = json.loads(imds("meta-data/iam/security-credentials/" + role))
    return c["AccessKeyId"], c["SecretAccessKey"], c.get("Token")


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign(method, url, region, service, headers, body, creds, now=None):
    """Returns headers (a new dict) carrying a SigV4 Authorization for the request."""
    access, secret, token = creds
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amzdate = now.strftime("%Y%m%dT%H%M%SZ")
    day = amzdate[:8]
    u = urllib.parse.urlsplit(url)
    h = dict(headers)
    h["host"] = u.netloc
    h["x-amz-date"] = amzdate
    if token:
        h["x-amz-security-token"] = token
    names = sorted(k.lower() for k in h)
    lower = {k.lower(): " ".join(str(v).split()) for k, v in h.items()}
    query = "&".join(sorted("%s=%s" % (urllib.parse.quote(k, safe="-_.~"),
                                       urllib.parse.quote(v, safe="-_.~"))
                            for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True)))
    canonical = "\n".join([
        method, urllib.parse.quote(u.path or "/", safe="/-_.~"), query,
        "".join("%s:%s\n" % (n, lower[n]) for n in names), ";".join(names),
        hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (day, region, service)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), day), region), service),
                "aws4_request")
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    h["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        access, scope, ";".join(names), sig)
    del h["host"]  # urllib sets Host itself
    return h


class Client:
    def __init__(self):
        self.region = os.environ.get("LF_AWS_REGION") or imds("meta-data/placement/region")
        self.creds = credentials()

    def call(self, service, method, path, headers, body=b"", region=None):
        default = "https://%s.%s.amazonaws.com" % (service, self.region)
        if service == "route53":
            default = "https://route53.amazonaws.com"
        base = os.environ.get("LF_AWS_ENDPOINT_" + service.upper(), default)
        url = base.rstrip("/") + path
        h = sign(method, url, region or self.region, service, headers, body, self.creds)
        return _http(urllib.request.Request(url, data=body or None, method=method, headers=h))

    # The query protocol (EC2, CloudWatch, Auto Scaling): a form-encoded body, an XML reply.
    def query(self, service, version, params):
        body = urllib.parse.urlencode(dict(params, Version=version)).encode()
        xml = self.call(service, "POST", "/", {
            "content-type": "application/x-www-form-urlencoded; charset=utf-8"}, body)
        return ET.fromstring(xml)

    def ec2(self, params):
        return self.query("ec2", "2016-11-15", params)


def ssm_get(name, out):
    c = Client()
    body = json.dumps({"Name": name, "WithDecryption": True}).encode()
    raw = c.call("ssm", "POST", "/", {"content-type": "application/x-amz-json-1.1",
                                      "x-amz-target": "AmazonSSM.GetParameter"}, body)
    value = json.loads(raw)["Parameter"]["Value"]
    # O_EXCL: never follow or overwrite a file someone else put there; 0400 from the start.
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o400)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    print("wrote %s from %s" % (out, name), file=sys.stderr)


def ec2_volume(vol):
    root = Client().ec2({"Action": "DescribeVolumes", "VolumeId.1": vol})
    item = root.find(".//%svolumeSet/%sitem" % (EC2_NS, EC2_NS))
    if item is None:
        raise AwsError("volume %s not found" % vol)
    state = item.findtext(EC2_NS + "status")
    att = item.find(".//%sattachmentSet/%sitem" % (EC2_NS, EC2_NS))
    inst = att.findtext(EC2_NS + "instanceId") if att is not None else None
    astate = att.findtext(EC2_NS + "status") if att is not None else None
    print("%s %s %s" % (state, inst or "-", astate or "-"))


def ec2_attach(vol, inst, device):
    Client().ec2({"Action": "AttachVolume", "VolumeId": vol, "InstanceId": inst, "Device": device})
    print("attach requested: %s -> %s as %s" % (vol, inst, device), file=sys.stderr)


def route53_upsert(zone, name, ip, ttl):
    c = Client()
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ChangeResourceRecordSetsRequest xmlns=\"%s\">"
            "<ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>%s</Name>"
            "<Type>A</Type><TTL>%d</TTL><ResourceRecords><ResourceRecord><Value>%s</Value>"
            "</ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch>"
            "</ChangeResourceRecordSetsRequest>") % (R53_NS, name, int(ttl), ip)
    xml = ET.fromstring(c.call("route53", "POST", "/2013-04-01/hostedzone/%s/rrset" % zone,
                               {"content-type": "text/xml"}, body.encode(), region="us-east-1"))
    change = (xml.findtext(".//{%s}Id" % R53_NS) or "").split("/")[-1]
    for _ in range(30):  # bounded: Route 53 propagates private zones within seconds
        got = ET.fromstring(c.call("route53", "GET", "/2013-04-01/change/%s" % change, {},
                                   region="us-east-1"))
        if got.findtext(".//{%s}Status" % R53_NS) == "INSYNC":
            print("%s -> %s in sync" % (name, ip), file=sys.stderr)
            return
        time.sleep(2)
    raise AwsError("route53 change %s not in sync after 60s" % change)


# CloudWatch PutMetricData: metrics as [(name, value, unit)], each with the same dimensions.
def put_metrics(client, namespace, metrics, dimensions):
    p = {"Action": "PutMetricData", "Namespace": namespace}
    for i, (name, value, unit) in enumerate(metrics, 1):
        m = "MetricData.member.%d." % i
        p.update({m + "MetricName": name, m + "Value": "%.10g" % value, m + "Unit": unit})
        for j, (dname, dvalue) in enumerate(dimensions, 1):
            p[m + "Dimensions.member.%d.Name" % j] = dname
            p[m + "Dimensions.member.%d.Value" % j] = dvalue
    client.query("monitoring", "2010-08-01", p)


# This instance's Auto Scaling group. Its aws:autoscaling:groupName tag is not in IMDS (instance
# metadata tags are off), and user data cannot carry it (the group is created after the launch
# template that holds the user data), so Auto Scaling is asked by instance id.
def own_group_name(client):
    inst = imds("meta-data/instance-id")
    root = client.query("autoscaling", "2011-01-01", {
        "Action": "DescribeAutoScalingInstances", "InstanceIds.member.1": inst})
    name = root.findtext(".//{%s}AutoScalingGroupName" % AS_NS)
    if not name:
        raise AwsError("%s is in no Auto Scaling group" % inst)
    return name


COMMANDS = {"ssm-get": (ssm_get, 2), "ec2-volume": (ec2_volume, 1), "ec2-attach": (ec2_attach, 3),
            "route53-upsert": (route53_upsert, 4), "imds": (lambda p: print(imds(p)), 1)}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS or len(argv) - 2 != COMMANDS[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        COMMANDS[argv[1]][0](*argv[2:])
    except (AwsError, OSError, KeyError, ValueError, ET.ParseError) as e:
        print("awsapi %s failed: %s" % (argv[1], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
