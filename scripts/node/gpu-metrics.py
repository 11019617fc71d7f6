#!/usr/bin/env python3
"""gpu-metrics.py --port PORT [--bind 127.0.0.1] [--nvidia-smi PATH]

A loopback Prometheus endpoint with the GPU readings a transcoder's agent scrapes (job "gpu"):
each GET /metrics runs `nvidia-smi -q -x` (the driver's own tool, shipped with the NVIDIA driver
on the GPU AMI; its XML follows the nvsmi DTD beside it) and answers in the Prometheus text format.
Why not NVIDIA's dcgm-exporter: the Deep Learning AMIs ship DCGM but not the exporter, which is
in neither Ubuntu's archive nor the AMI, so installing it means an unpinned download or NVIDIA's
container registry; nvidia-smi is already there and
reads the same NVML counters the transcoder cares about (SM, NVENC and NVDEC utilisation, memory,
temperature, power, encoder sessions). Standard library only.

Metrics (labels gpu=<minor number>, name=<product name>):
  lpfleet_gpu_up                          1 when nvidia-smi answered (no gpu label), else 0
  lpfleet_gpu_utilization_percent         utilization/gpu_util
  lpfleet_gpu_memory_utilization_percent  utilization/memory_util
  lpfleet_gpu_encoder_utilization_percent utilization/encoder_util (NVENC)
  lpfleet_gpu_decoder_utilization_percent utilization/decoder_util (NVDEC)
  lpfleet_gpu_memory_used_bytes           fb_memory_usage/used
  lpfleet_gpu_memory_total_bytes          fb_memory_usage/total
  lpfleet_gpu_temperature_celsius         temperature/gpu_temp
  lpfleet_gpu_power_draw_watts            gpu_power_readings/instant_power_draw or /power_draw
                                          (power_readings/power_draw on older drivers)
  lpfleet_gpu_encoder_sessions            encoder_stats/session_count
A reading the GPU does not support ("N/A", "[Not Supported]") is left out, not reported as 0.
"""
import argparse
import http.server
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

GAUGES = [
    ("utilization_percent", "GPU (SM) utilisation", ["utilization/gpu_util"]),
    ("memory_utilization_percent", "GPU memory controller utilisation", ["utilization/memory_util"]),
    ("encoder_utilization_percent", "NVENC utilisation", ["utilization/encoder_util"]),
    ("decoder_utilization_percent", "NVDEC utilisation", ["utilization/decoder_util"]),
    ("memory_used_bytes", "Framebuffer memory used", ["fb_memory_usage/used"]),
    ("memory_total_bytes", "Framebuffer memory", ["fb_memory_usage/total"]),
    ("temperature_celsius", "GPU core temperature", ["temperature/gpu_temp"]),
    (
        "power_draw_watts",
        "Board power draw",
        # Recent drivers report instant/average and deprecate power_draw; older ones have
        # power_readings instead of gpu_power_readings. A non-number falls through to the next.
        [
            "gpu_power_readings/instant_power_draw",
            "gpu_power_readings/power_draw",
            "power_readings/power_draw",
        ],
    ),
    ("encoder_sessions", "Active NVENC sessions", ["encoder_stats/session_count"]),
]
UNITS = {"MiB": 1024 * 1024, "GiB": 1024 * 1024 * 1024, "KiB": 1024}
NUMBER = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([A-Za-z%]*)\s*$")


def value(text):
    """'15360 MiB' -> bytes, '35 %' -> 35, '70.1 W' -> 70.1; None for N/A and the like."""
    m = NUMBER.match(text or "")
    if not m:
        return None
    return float(m.group(1)) * UNITS.get(m.group(2), 1)


def label(v):
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def render(xml_text):
    """The text exposition for one `nvidia-smi -q -x` document."""
    root = ET.fromstring(xml_text)
    series = {name: [] for name, _, _ in GAUGES}
    for gpu in root.findall("gpu"):
        labels = 'gpu="%s",name="%s"' % (
            label(gpu.findtext("minor_number", "").strip()),
            label(gpu.findtext("product_name", "").strip()),
        )
        for name, _, paths in GAUGES:
            for p in paths:
                v = value(gpu.findtext(p))
                if v is not None:
                    series[name].append("lpfleet_gpu_%s{%s} %s" % (name, labels, repr(v)))
                    break
    out = ["# HELP lpfleet_gpu_up 1 when nvidia-smi answered", "# TYPE lpfleet_gpu_up gauge"]
    out.append("lpfleet_gpu_up 1")
    for name, help_text, _ in GAUGES:
        if series[name]:
            out += ["# HELP lpfleet_gpu_%s %s" % (name, help_text)]
            out += ["# TYPE lpfleet_gpu_%s gauge" % name] + series[name]
    return "\n".join(out) + "\n"


def scrape(nvidia_smi):
    try:
        r = subprocess.run(
            [nvidia_smi, "-q", "-x"], capture_output=True, text=True, timeout=10, check=True
        )
        return render(r.stdout)
    except (OSError, subprocess.SubprocessError, ET.ParseError) as e:
        print("gpu-metrics: nvidia-smi failed: %s" % str(e)[:300], file=sys.stderr)
        return "# TYPE lpfleet_gpu_up gauge\nlpfleet_gpu_up 0\n"


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--nvidia-smi", default="/usr/bin/nvidia-smi")
    a = p.parse_args(argv[1:])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = scrape(a.nvidia_smi).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer((a.bind, a.port), Handler).serve_forever()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
