#!/usr/bin/env python3
"""render-rpc-proxy.py ENDPOINTS_JSON TEMPLATE OUT --listen H:P --local H:P --local-check-port P

Renders the HAProxy config of the JSON-RPC failover proxy. ENDPOINTS_JSON is the unit's SSM
SecureString (fetched into tmpfs): {"backups": ["https://host/path/with/key", ...], ...}. Each
hosted backup gets a loopback relay that rewrites the path (where providers put the API key)
and answers the main backend's health check from its own active JSON-RPC check of the provider.
The output holds the keys: it is written 0400 into tmpfs and never printed.
"""
import argparse
import json
import os
import re
import string
import sys
import urllib.parse

RELAY_BASE_PORT = 18600
HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
# What may appear in a path+query interpolated into the config: no spaces, quotes, backslashes
# or '#', which HAProxy's parser would treat as syntax.
URI = re.compile(r"^/[A-Za-z0-9._~/%+=&?:@!$*,;-]*$")
CHECK_BODY = '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}'


class Invalid(Exception):
    pass


def backup(i, url, relay_port):
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("https", "http") or not u.hostname or not HOST.match(u.hostname):
        raise Invalid("backups[%d]: expected an https:// URL with a host name" % i)
    if u.username or u.password:
        raise Invalid("backups[%d]: credentials in the URL are not supported; put the key in the path" % i)
    port = u.port or (443 if u.scheme == "https" else 80)
    uri = u.path or "/"
    if u.query:
        uri += "?" + u.query
    if not URI.match(uri):
        raise Invalid("backups[%d]: the URL path has characters the proxy cannot carry" % i)
    # set-uri takes a log-format string, where % is syntax; http-check's `uri` is plain.
    uri_lf = uri.replace("%", "%%")
    name = "hosted%d" % (i + 1)
    tls = ""
    if u.scheme == "https":
        tls = " ssl verify required ca-file /etc/ssl/certs/ca-certificates.crt sni str(%s) check-sni %s" % (
            u.hostname, u.hostname)
    server = "    server %s 127.0.0.1:%d id %d maxconn 2000 check inter 2s fall 2 rise 2" % (
        name, relay_port, i + 2)
    relay = "\n".join([
        "listen relay-%s" % name,
        "    bind 127.0.0.1:%d" % relay_port,
        "    # The chain backend checks this relay; it answers from its provider's state.",
        "    http-request return status 200 if { path /healthz } { nbsrv(relay-%s) gt 0 }" % name,
        "    http-request return status 503 if { path /healthz }",
        "    http-request set-uri %s" % uri_lf,
        "    http-request set-header Host %s" % u.hostname,
        "    option httpchk",
        "    http-check send meth POST uri %s ver HTTP/1.1 hdr Host %s hdr Content-Type application/json body '%s'"
        % (uri, u.hostname, CHECK_BODY),
        "    http-check expect status 200",
        # Hosted providers rate-limit (go-livepeer #2298): check them every 10 s, not every second.
        # Providers move behind CDNs: re-resolve at run time, and start even when DNS fails.
        "    server %s %s:%d%s check inter 10s fall 2 rise 2 resolvers sys resolve-prefer ipv4"
        " init-addr last,libc,none" % (name, u.hostname, port, tls),
        "",
    ])
    return server, relay


def render(endpoints, template, listen, local, check_port, relay_base=RELAY_BASE_PORT):
    backups = endpoints.get("backups")
    if not isinstance(backups, list) or not all(isinstance(b, str) for b in backups):
        raise Invalid('expected {"backups": ["https://...", ...]}')
    if len(backups) > 8:
        raise Invalid("at most 8 backups")
    servers, relays = [], []
    for i, url in enumerate(backups):
        s, r = backup(i, url, relay_base + i)
        servers.append(s)
        relays.append(r)
    return string.Template(template).substitute(
        listen=listen, local=local, local_check_port=check_port,
        backup_servers="\n".join(servers), relays="\n".join(relays))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("endpoints")
    p.add_argument("template")
    p.add_argument("out")
    p.add_argument("--listen", required=True)
    p.add_argument("--local", required=True)
    p.add_argument("--local-check-port", type=int, required=True)
    p.add_argument("--relay-base-port", type=int, default=RELAY_BASE_PORT)
    a = p.parse_args()
    try:
        with open(a.endpoints) as f:
            endpoints = json.load(f)
        with open(a.template) as f:
            template = f.read()
        cfg = render(endpoints, template, a.listen, a.local, a.local_check_port, a.relay_base_port)
    except (OSError, ValueError, Invalid) as e:
        # Never echo the endpoints: messages name the index and the rule only.
        print("render-rpc-proxy: %s" % (e if isinstance(e, Invalid) else type(e).__name__), file=sys.stderr)
        return 1
    tmp = a.out + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(fd, "w") as f:
        f.write(cfg)
    os.replace(tmp, a.out)
    print("render-rpc-proxy: %d hosted backup(s)" % len(endpoints["backups"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
