#!/usr/bin/python3
"""imds.py - a local stand-in of the cloud metadata services, for tests.

    imds.py --dir DIR [--ttl SECONDS] [--az-ttl SECONDS]

Listens on a free port of 127.0.0.1 and writes it to DIR/port once it
accepts connections.  Two services, as their providers document them:

EC2 instance metadata (IMDSv2), the instance profile AWS_IAM_ROLE_ENDPOINT
points at:
    PUT /latest/api/token  (X-aws-ec2-metadata-token-ttl-seconds)
                                        -> a session token
    GET /latest/meta-data/iam/security-credentials/
                                        -> the role name
    GET /latest/meta-data/iam/security-credentials/ROLE
        -> {"Code": "Success", "AccessKeyId", "SecretAccessKey", "Token",
            "Expiration": now + ttl, ...}
  The GETs need the session token (X-aws-ec2-metadata-token), as an
  instance with IMDSv2 required does.  The key pairs handed out come from
  the environment, IMDS_KEYS="AK1:SK1,AK2:SK2" (never the command line):
  fetch n gets pair n modulo their number, and a session Token of its own.

Azure managed identity, the token endpoint AZURE_IMDS_ENDPOINT points at:
    GET /metadata/identity/oauth2/token?api-version=...&resource=...
        with "Metadata: true"
        -> {"access_token": JWT, "expires_on": now + az-ttl,
            "resource": ..., "token_type": "Bearer"}
  The token is a JWT of the shape Entra ID issues (aud the resource, iss
  https://sts.windows.net/TENANT/, iat/nbf/exp; jti "pb-mi-token-N"),
  which Azurite --oauth basic checks (it does not check the signature).
  Without the header or the resource: 400, like the real one.

Control:
    GET /__ctl/stats  {"token_puts", "role_gets", "cred_gets", "az_gets"}
    POST /__ctl/ttl   "302,3600": the lifetimes of the next credentials
                      (AWS and Azure) in turn, the last one repeating
Stops on SIGTERM.
"""
import argparse
import base64
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = "pb-backup-role"
LOCK = threading.Lock()
STATS = {"token_puts": 0, "role_gets": 0, "cred_gets": 0, "az_gets": 0}
SESSIONS = set()
TTLS = []  # the next lifetimes, set by /__ctl/ttl
ARGS = None
KEYS = []


def next_ttl(default):
    with LOCK:
        if not TTLS:
            return default
        return TTLS.pop(0) if len(TTLS) > 1 else TTLS[0]


def b64url(d):
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(
        b"=").decode()


def jwt(n, resource, now, exp):
    tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    claims = {"aud": resource.rstrip("/"), "iss":
              "https://sts.windows.net/%s/" % tenant, "iat": int(now),
              "nbf": int(now) - 60, "exp": exp, "jti": "pb-mi-token-%d" % n,
              "tid": tenant, "oid": "pb-managed-identity"}
    return "%s.%s.%s" % (b64url({"typ": "JWT", "alg": "RS256"}),
                         b64url(claims), "cGItdGVzdC1zaWduYXR1cmU")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        if self.path != "/__ctl/ttl":
            return self.reply(404, "not found")
        with LOCK:
            TTLS[:] = [float(x) for x in body.split(",") if x.strip()]
        self.reply(200, "")

    def do_PUT(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if self.path != "/latest/api/token":
            return self.reply(404, "not found")
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400, "missing ttl")
        with LOCK:
            STATS["token_puts"] += 1
            tok = "imds-session-%d" % STATS["token_puts"]
            SESSIONS.add(tok)
        self.reply(200, tok)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/__ctl/stats":
            with LOCK:
                return self.reply(200, json.dumps(STATS), "application/json")
        if u.path == "/metadata/identity/oauth2/token":
            return self.azure(u)
        base = "/latest/meta-data/iam/security-credentials/"
        if not u.path.startswith(base):
            return self.reply(404, "not found")
        with LOCK:
            known = self.headers.get("X-aws-ec2-metadata-token") in SESSIONS
        if not known:
            return self.reply(401, "")
        role = u.path[len(base):]
        if role == "":
            with LOCK:
                STATS["role_gets"] += 1
            return self.reply(200, ROLE)
        if role != ROLE:
            return self.reply(404, "not found")
        with LOCK:
            n = STATS["cred_gets"]
            STATS["cred_gets"] += 1
        ak, sk = KEYS[n % len(KEYS)]
        now = time.time()
        doc = {"Code": "Success", "LastUpdated": iso(now), "Type":
               "AWS-HMAC", "AccessKeyId": ak, "SecretAccessKey": sk,
               "Token": "pb-session-token-%d/For+Tests=" % (n + 1),
               "Expiration": iso(now + next_ttl(ARGS.ttl))}
        self.reply(200, json.dumps(doc), "application/json")

    def azure(self, u):
        q = urllib.parse.parse_qs(u.query)
        if self.headers.get("Metadata") != "true" or \
                "resource" not in q or "api-version" not in q:
            return self.reply(400, json.dumps({"error": "invalid_request"}),
                              "application/json")
        with LOCK:
            STATS["az_gets"] += 1
            n = STATS["az_gets"]
        ttl = next_ttl(ARGS.az_ttl)
        now = time.time()
        exp = int(now + ttl)
        doc = {"access_token": jwt(n, q["resource"][0], now, exp),
               "refresh_token": "",
               "expires_in": str(int(ttl)), "expires_on": str(exp),
               "not_before": str(exp - 3600), "resource": q["resource"][0],
               "token_type": "Bearer"}
        self.reply(200, json.dumps(doc), "application/json")


def main():
    global ARGS, KEYS
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--ttl", type=float, default=3600)
    p.add_argument("--az-ttl", type=float, default=3600)
    ARGS = p.parse_args()
    KEYS = [tuple(kv.split(":", 1)) for kv in
            os.environ.get("IMDS_KEYS", "").split(",") if ":" in kv]
    if not KEYS:
        sys.exit("imds.py: IMDS_KEYS not set")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    tmp = os.path.join(ARGS.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, os.path.join(ARGS.dir, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
