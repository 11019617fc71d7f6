#!/usr/bin/env python3
"""render-prometheus.py --instance ID --out FILE

Writes the node's Prometheus agent config from its env file (node.env, loaded by
metrics-setup.sh): what it scrapes on loopback, the labels every series carries, and the remote
writes with the rules that decide what leaves the instance. Standard library only.

Scrapes (every LF_PROM_SCRAPE_INTERVAL):
  livepeer      go-livepeer's /metrics. go-livepeer serves it on its CLI listener
                (-cliAddr 127.0.0.1:LF_CLI_PORT, with -monitor): server/webserver.go
                cliWebServerHandlers registers "/metrics" when monitor.Enabled, and
                cmd/livepeer/starter/starter.go starts that listener on *cfg.CliAddr for every node
                type. Names and labels: monitor/census.go (namespace "livepeer").
  node          prometheus-node-exporter: host CPU, memory, disk, network.
  gpu           scripts/node/gpu-metrics.py (GPU transcoders): nvidia-smi readings.
  prometheus    the agent itself: remote-write failures and lag.
Every target carries instance=<EC2 instance id> (and slot=<letter> on an orchestrator), every
series region/stack/role (external_labels): the store tells nodes and regions apart by them.

Remote writes:
  fleet         LF_PROM_REMOTE_WRITE_URL, SigV4 when LF_PROM_SIGV4_REGION is set (AMP). Only the
                series the dashboard and demand sizing read (FLEET_KEEP): AMP charges per sample.
  community     LF_PROM_SHARE_URL, only when set (orchestrators with the community demand share
                on). COMMUNITY_KEEP: three go-livepeer counters from the demand-share job, sampled
                every LF_PROM_SHARE_INTERVAL (5 minutes), each with region, shard and, for
                segments, a standard rendition ladder as its only labels.

Prometheus applies external_labels before write_relabel_configs (storage/remote/queue_manager.go
StoreSeries: processExternalLabels, then relabel.Process; so in v2.31.2, v2.42.0 and v2.45.3, the
versions Ubuntu 22.04, Debian 12 and Ubuntu 24.04 ship), so the community rules can drop stack
and role too. Every key used here exists since 2.26 (sigv4) or earlier.
"""
import argparse
import json
import os
import re
import sys

# What the fleet store keeps: go-livepeer's own series, the GPU readings, and the few host and
# agent series the dashboard reads (docs/dashboards/livepeer-fleet.json).
FLEET_KEEP = "|".join(
    [
        "livepeer_.+",
        "lpfleet_gpu_.+",
        "up",
        "node_(cpu_seconds_total|load1|memory_MemAvailable_bytes|memory_MemTotal_bytes"
        "|filesystem_avail_bytes|filesystem_size_bytes"
        "|network_receive_bytes_total|network_transmit_bytes_total)",
        # go-livepeer #326/#2621 ("too many open files"): its process collector's fd counts.
        "process_(open_fds|max_fds|resident_memory_bytes)",
        "prometheus_remote_storage_(samples_failed_total|samples_dropped_total"
        "|highest_timestamp_in_seconds|queue_highest_sent_timestamp_seconds)",
    ]
)

# A standard rendition name: lpms' built-ins (ffmpeg/videoprofile.go VideoProfileLookup, e.g.
# P720p30fps16x9) or the JSON ladder's "<height>p<n>" (e.g. 720p0). A ladder with any other
# (free-form) name is never shared: a custom name could single out a broadcaster.
STD_PROFILE = r"(P[0-9]{3,4}p[0-9]{2,3}fps[0-9]{1,2}x[0-9]{1,2}|[0-9]{3,4}p[0-9]{0,3})"

# The community set, matched on "<__name__>;<profiles>;<trusted>;<verified>":
#  - livepeer_source_segment_duration_seconds_sum/_count: seconds of source video (and segments)
#    the orchestrator received to transcode (SegmentEmerged, server/segment_rpc.go). A rate over
#    5 minutes is the average number of concurrent streams; the count gives the mean segment
#    length.
#  - livepeer_mil_pixels_processed: output pixels, in millions (server/segment_rpc.go).
#  - livepeer_segment_transcoded_total per standard ladder (core/orchestrator.go transcodeSeg
#    records trusted/verified): segments per ladder, from which pixels/s per resolution follow.
COMMUNITY_KEEP = (
    "(livepeer_source_segment_duration_seconds_(sum|count)|livepeer_mil_pixels_processed);;;"
    "|livepeer_segment_transcoded_total;" + STD_PROFILE + "(," + STD_PROFILE + ")*;trusted;verified"
)
# go-livepeer's per-stream and per-peer labels (monitor/census.go: manifest_id with
# -metricsPerStream, client_ip with -metricsClientIP, sender, orchestrator_*): a series carrying
# any of them is dropped whole, never stripped (stripping would merge series).
PER_STREAM_LABELS = ["manifest_id", "client_ip", "sender", "orchestrator_uri", "orchestrator_address"]
COMMUNITY_LABELS = "__name__|region|shard|profiles"
DEMAND_JOB = "demand-share"

SAFE = {
    "LF_KIND": r"orchestrator|transcoder",
    "LF_REGION": r"[a-z]{2}(-[a-z]+)+-[0-9]",
    "LF_STACK": r"[A-Za-z0-9-]+",
    "LF_PROM_REMOTE_WRITE_URL": r"https?://[A-Za-z0-9.:-]+(/[A-Za-z0-9._:/@=+,-]*)?",
    "LF_PROM_SIGV4_REGION": r"([a-z]{2}(-[a-z]+)+-[0-9])?",
    "LF_PROM_SCRAPE_INTERVAL": r"[0-9]{1,4}s",
    "LF_PROM_PORT": r"[0-9]{1,5}",
    "LF_NODE_EXPORTER_PORT": r"[0-9]{1,5}",
    "LF_GPU_EXPORTER_PORT": r"([0-9]{1,5})?",
    "LF_CLI_PORT": r"[0-9]{1,5}",
    "LF_SLOT": r"([a-z])?",
    "LF_PROM_SHARE_URL": r"(https?://[A-Za-z0-9.:-]+(/[A-Za-z0-9._:/@=+,-]*)?)?",
    "LF_PROM_SHARE_INTERVAL": r"[0-9]{1,4}s",
}


class RenderError(Exception):
    pass


def settings(env):
    """The validated values the config is made of; RenderError names the first bad one."""
    if not env.get("LF_PROM_REMOTE_WRITE_URL"):
        raise RenderError("LF_PROM_REMOTE_WRITE_URL is empty: no metrics store to write to")
    out = {}
    for key, pattern in SAFE.items():
        value = env.get(key, "")
        if not re.fullmatch(pattern, value):
            raise RenderError("%s=%r does not match %s" % (key, value, pattern))
        out[key] = value
    if out["LF_PROM_SHARE_URL"] and (out["LF_KIND"] != "orchestrator" or not out["LF_SLOT"]):
        raise RenderError("LF_PROM_SHARE_URL is set, but only an orchestrator with a slot shares")
    return out


def seconds(duration):
    return int(duration[:-1])


def loopback(port):
    return "127.0.0.1:%s" % port


def job(name, port, labels, path="/metrics"):
    return {
        "job_name": name,
        "metrics_path": path,
        "static_configs": [{"targets": [loopback(port)], "labels": labels}],
    }


def config(s, instance):
    if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", instance):
        raise RenderError("instance id %r is not an EC2 instance id" % instance)
    interval = seconds(s["LF_PROM_SCRAPE_INTERVAL"])
    target = {"instance": instance}
    if s["LF_SLOT"]:
        target["slot"] = s["LF_SLOT"]
    scrapes = [
        job("livepeer", s["LF_CLI_PORT"], target),
        job("node", s["LF_NODE_EXPORTER_PORT"], target),
        job("prometheus", s["LF_PROM_PORT"], target),
    ]
    if s["LF_GPU_EXPORTER_PORT"]:
        scrapes.append(job("gpu", s["LF_GPU_EXPORTER_PORT"], target))
    fleet = {
        "name": "fleet",
        "url": s["LF_PROM_REMOTE_WRITE_URL"],
        "write_relabel_configs": [
            # The demand share's own scrape of go-livepeer is for the community receiver only.
            {"source_labels": ["job"], "regex": DEMAND_JOB, "action": "drop"},
            {"source_labels": ["__name__"], "regex": FLEET_KEEP, "action": "keep"},
        ],
    }
    if s["LF_PROM_SIGV4_REGION"]:
        # Signed with the instance role's credentials (the AWS SDK's default chain: IMDS). No
        # custom `headers` beside it: before Prometheus 2.51 (#13497) they were added after
        # signing and broke the signature.
        fleet["sigv4"] = {"region": s["LF_PROM_SIGV4_REGION"]}
    writes = [fleet]
    if s["LF_PROM_SHARE_URL"]:
        share_interval = seconds(s["LF_PROM_SHARE_INTERVAL"])
        keep_names = {"source_labels": ["__name__"], "action": "keep"}
        keep_names["regex"] = (
            "livepeer_source_segment_duration_seconds_(sum|count)"
            "|livepeer_mil_pixels_processed|livepeer_segment_transcoded_total"
        )
        share_job = job("demand-share", s["LF_CLI_PORT"], {"shard": s["LF_SLOT"]})
        share_job["scrape_interval"] = "%ds" % share_interval
        share_job["scrape_timeout"] = "%ds" % min(10, share_interval)
        # At scrape already: the agent's WAL holds nothing else for this job.
        share_job["metric_relabel_configs"] = [keep_names]
        scrapes.append(share_job)
        writes.append(
            {
                "name": "community",
                "url": s["LF_PROM_SHARE_URL"],
                # Metric help texts and types stay home too.
                "metadata_config": {"send": False},
                "write_relabel_configs": [
                    {"source_labels": ["job"], "regex": DEMAND_JOB, "action": "keep"},
                    {
                        "source_labels": ["__name__", "profiles", "trusted", "verified"],
                        "separator": ";",
                        "regex": COMMUNITY_KEEP,
                        "action": "keep",
                    },
                    {
                        "source_labels": PER_STREAM_LABELS,
                        "separator": ";",
                        "regex": ";" * (len(PER_STREAM_LABELS) - 1),
                        "action": "keep",
                    },
                    {"regex": COMMUNITY_LABELS, "action": "labelkeep"},
                ],
            }
        )
    return {
        "global": {
            "scrape_interval": "%ds" % interval,
            "scrape_timeout": "%ds" % min(10, interval),
            "external_labels": {
                "region": s["LF_REGION"],
                "stack": s["LF_STACK"],
                "role": s["LF_KIND"],
            },
        },
        "scrape_configs": scrapes,
        "remote_write": writes,
    }


def to_yaml(value, indent=0):
    """Block YAML; every scalar is a JSON string or number, which YAML reads as itself."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append("%s%s:" % (pad, k))
                lines.extend(to_yaml(v, indent + 1))
            else:
                lines.append("%s%s: %s" % (pad, k, json.dumps(v)))
    else:
        for item in value:
            sub = to_yaml(item, indent + 1) if isinstance(item, (dict, list)) else None
            if sub is None:
                lines.append("%s- %s" % (pad, json.dumps(item)))
            else:
                lines.append("%s- %s" % (pad, sub[0].lstrip()))
                lines.extend(sub[1:])
    return lines


HEADER = (
    "# Rendered at boot by /opt/livepeer-fleet/bin/render-prometheus.py from "
    "/etc/livepeer-fleet/node.env;\n# edits are overwritten. What leaves the instance: the "
    "remote_write rules below.\n"
)


def render(env, instance):
    return HEADER + "\n".join(to_yaml(config(settings(env), instance))) + "\n"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--instance", required=True, help="the EC2 instance id (a target label)")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv[1:])
    try:
        text = render(os.environ, a.instance)
    except RenderError as e:
        print("render-prometheus: %s" % e, file=sys.stderr)
        return 1
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
