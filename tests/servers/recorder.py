#!/usr/bin/python3
"""recorder.py - an HTTPS server that records requests, for the notifier tests.

    recorder.py --dir DIR [--host NAME ...]

Makes a private CA (DIR/ca.pem) and one certificate for every NAME (plus
127.0.0.1), listens on a free port of 127.0.0.1 and writes it to DIR/port
once it accepts connections.  Every request is recorded (method, target,
headers, body) and answered with the success reply the service expects
(notifications.md section 7), unless a script says otherwise.

Control (any host name, path prefix /__ctl/):
    GET  /__ctl/log      the recorded requests, a JSON array
    POST /__ctl/reset    forget requests and scripts
    POST /__ctl/script   {"match": "substring of host+target",
                          "responses": [{"status": 500, "body": "",
                          "headers": {}, "delay": 0}, ...]}
                         the next matching requests get these answers in order
Stops on SIGTERM.
"""
import argparse
import base64
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
LOG = []
SCRIPTS = []  # [match, [responses]]

# (host substring, path substring) -> (status, body, content type)
DEFAULTS = [
    ("api.day.app", "", 200, '{"code":200,"message":"success","timestamp":1}', "application/json"),
    ("bark.test", "", 200, '{"code":200,"message":"success","timestamp":1}', "application/json"),
    ("discord.com", "", 204, "", None),
    ("chat.googleapis.com", "", 200, "{}", "application/json"),
    ("gotify.test", "", 200, '{"id":1,"appid":1,"message":"m","title":"t","priority":0,"date":"2024-01-01T00:00:00Z"}', "application/json"),
    ("maker.ifttt.com", "", 200, "Congratulations! You've fired the event", "text/plain"),
    ("joinjoaomgcd.appspot.com", "", 200, '{"success":true}', "application/json"),
    ("matrix.test", "/login", 200, '{"access_token":"MATRIXACCESSTOKEN1","user_id":"@u:s","home_server":"s","device_id":"D"}', "application/json"),
    ("matrix.test", "/join/", 200, '{"room_id":"!joined:matrix.test"}', "application/json"),
    ("matrix.test", "/joined_rooms", 200, '{"joined_rooms":["!r1:matrix.test","!r2:matrix.test"]}', "application/json"),
    ("matrix.test", "/send/", 200, '{"event_id":"$e"}', "application/json"),
    ("mattermost.test", "", 200, "ok", "text/plain"),
    ("ntfy.test", "", 200, '{"id":"x","time":1,"event":"message","topic":"t","message":"m"}', "application/json"),
    ("api.opsgenie.com", "", 202, '{"result":"Request will be processed","took":0.1,"requestId":"r"}', "application/json"),
    ("api.pushbullet.com", "", 200, '{"active":true,"type":"note","title":"t","body":"m","iden":"x"}', "application/json"),
    ("api.pushover.net", "", 200, '{"status":1,"request":"r"}', "application/json"),
    ("rocketchat.test", "", 200, '{"success":true}', "application/json"),
    ("hooks.slack.com", "", 200, "ok", "text/plain"),
    ("slack.com", "/api/", 200, '{"ok":true}', "application/json"),
    ("webhook.office.com", "", 200, "1", "text/plain"),
    ("logic.azure.com", "", 202, "", None),
    ("api.telegram.org", "", 200, '{"ok":true,"result":{"message_id":1,"chat":{"id":1,"type":"private"},"text":"m"}}', "application/json"),
    ("zulip.test", "", 200, '{"result":"success","msg":"","id":1}', "application/json"),
]


def make_certs(d, hosts):
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, crt = (os.path.join(d, n) for n in ("srv.key", "srv.csr", "srv.pem"))
    ext = os.path.join(d, "san.ext")
    if os.path.exists(crt):
        return crt, key
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=notify test CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=recorder")
    with open(ext, "w") as f:
        f.write("subjectAltName=" + ",".join(["DNS:" + h for h in hosts] + ["IP:127.0.0.1"]) + "\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", crt, "-days", "2", "-extfile", ext)
    return crt, key


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body=b"", ctype=None, headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        host = self.headers.get("Host", "")
        if self.path.startswith("/__ctl/"):
            return self.control(body)
        rec = {
            "method": self.command, "target": self.path, "host": host,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "body_b64": base64.b64encode(body).decode(),
        }
        with LOCK:
            LOG.append(rec)
            resp = None
            for s in SCRIPTS:
                if s[0] in host + self.path and s[1]:
                    resp = s[1].pop(0)
                    break
        if resp is not None:
            if resp.get("delay"):
                time.sleep(resp["delay"])
            return self.answer(resp.get("status", 200), resp.get("body", ""),
                               resp.get("ctype", "application/json"), resp.get("headers"))
        for h, p, st, b, ct in DEFAULTS:
            if h in host and p in self.path:
                return self.answer(st, b, ct)
        return self.answer(200, "{}", "application/json")

    def control(self, body):
        if self.path == "/__ctl/log":
            with LOCK:
                data = json.dumps(LOG)
            return self.answer(200, data, "application/json")
        if self.path == "/__ctl/reset":
            with LOCK:
                LOG.clear()
                SCRIPTS.clear()
            return self.answer(200, "{}", "application/json")
        if self.path == "/__ctl/script":
            s = json.loads(body)
            with LOCK:
                SCRIPTS.append([s["match"], list(s["responses"])])
            return self.answer(200, "{}", "application/json")
        return self.answer(404, "{}", "application/json")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", action="append", default=[])
    a = ap.parse_args()
    crt, key = make_certs(a.dir, a.host + ["recorder.test"])
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: (srv.server_close(), os._exit(0)))
    tmp = os.path.join(a.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, os.path.join(a.dir, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
