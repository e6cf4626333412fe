#!/usr/bin/python3
"""faultproxy.py - a recording, fault-injecting HTTP proxy for tests.

    faultproxy.py --dir DIR --upstream HOST:PORT

Listens on a free port of 127.0.0.1 (written to DIR/port once it accepts
connections) and forwards every request, headers (Host included, so
signatures still verify) and body unchanged, to the upstream server.  The
client reaches it the way production code reaches any server: through the
admin's HTTP_CONNECT_TO, so the client believes it talks to the upstream.

Every request is logged (GET /__ctl/log, a JSON array) with its method,
target, status, its Range (or x-ms-range) header and the body bytes sent
back (range, bytes: forwarded answers), the fault played if any, and what a test asserts about
authentication without keeping any secret: the scheme of Authorization
("AWS4-HMAC-SHA256", "SharedKey", "Bearer"), the S3 access key id of
its Credential and its SignedHeaders, the bearer token, and the
x-amz-security-token.

Faults (POST /__ctl/faults, a JSON array replacing the rules):
    {"match": "REGEX on 'METHOD TARGET'", "skip": K, "count": C,
     "action": "500" | "503" | "413" | "reset"}
lets the first K matching requests through, then plays the action on the
next C (-1: forever; each rule counts every request it matches, the first
rule that fires wins): an HTTP error with an S3/Azure-style body, a 413
with the HTML body of a front proxy's body-size limit (nginx), the
connection reset once the request was read, or a hostile XML answer:
    "action": "xml", "xml": KIND, "status": 200, "root": "ListBucketResult"
KIND is doctype (nested entities, billion laughs), xxe (an external
entity pointing back at /__ctl/xxe, whose hits are counted in GET
/__ctl/xxe), deep (100,000 nested elements), huge (a 1 GiB listing,
streamed), utf8 (invalid UTF-8 in a key), truncated (a listing cut in
the middle, with a correct Content-Length) or error (an <Error> document,
with the status given: 200 is what S3 may send after a failure).  POST /__ctl/reset forgets
the log and the rules.  Stops on SIGTERM.
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
LOG = []
RULES = []  # dicts with "seen" counters
XXE_HITS = [0]
UPSTREAM = None
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection",
       "te", "upgrade", "trailer"}


def auth_info(h):
    a = h.get("Authorization") or ""
    out = {"scheme": a.split(" ", 1)[0] if a else ""}
    m = re.search(r"Credential=([^/,]+)/", a)
    if m:
        out["ak"] = m.group(1)
    m = re.search(r"SignedHeaders=([^, ]+)", a)
    if m:
        out["signed"] = m.group(1)
    if a.startswith("Bearer "):
        out["bearer"] = a[7:]
    if h.get("x-amz-security-token"):
        out["amz_token"] = h.get("x-amz-security-token")
    return out


def pick_fault(line):
    """Every rule counts the requests it matches; the first to fire wins."""
    action = None
    with LOCK:
        for r in RULES:
            if not re.search(r["match"], line):
                continue
            r["seen"] += 1
            skip, c = r.get("skip", 0), r.get("count", 1)
            if action is None and r["seen"] > skip and \
                    (c == -1 or r["seen"] <= skip + c):
                action = r
    return action


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="application/json", hdrs=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in hdrs:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def control(self, body):
        global RULES, LOG
        if self.path == "/__ctl/xxe":
            with LOCK:
                if self.command == "GET" and self.headers.get("X-Count"):
                    return self.reply(200, str(XXE_HITS[0]))
                XXE_HITS[0] += 1
            return self.reply(200, "pwned", "text/plain")
        if self.path == "/__ctl/log":
            with LOCK:
                return self.reply(200, json.dumps(LOG))
        if self.path == "/__ctl/faults":
            rules = json.loads(body or b"[]")
            for r in rules:
                r["seen"] = 0
            with LOCK:
                RULES = rules
            return self.reply(200, "{}")
        if self.path == "/__ctl/reset":
            with LOCK:
                RULES, LOG = [], []
            return self.reply(200, "{}")
        return self.reply(404, "{}")

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.path.startswith("/__ctl/"):
            return self.control(body)
        line = "%s %s" % (self.command, self.path)
        rule = pick_fault(line)
        fault = rule["action"] if rule else None
        entry = {"method": self.command, "target": self.path,
                 "fault": fault, "len": n}
        entry.update(auth_info(self.headers))
        if fault == "reset":
            entry["status"] = 0
            with LOCK:
                LOG.append(entry)
            # RST, not FIN: what a dropped connection looks like.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault == "413":
            entry["status"] = 413
            with LOCK:
                LOG.append(entry)
            self.close_connection = True
            return self.reply(413, "<html><head><title>413 Request Entity "
                              "Too Large</title></head></html>",
                              "text/html")
        if fault in ("500", "503"):
            entry["status"] = int(fault)
            with LOCK:
                LOG.append(entry)
            code = "InternalError" if fault == "500" else "ServerBusy"
            return self.reply(int(fault), "<?xml version=\"1.0\" encoding="
                              "\"UTF-8\"?><Error><Code>%s</Code><Message>"
                              "injected by faultproxy</Message></Error>" %
                              code, "application/xml",
                              [("x-ms-error-code", code)])
        if fault == "xml":
            entry["status"] = rule.get("status", 200)
            entry["fault"] = "xml:" + rule["xml"]
            with LOCK:
                LOG.append(entry)
            return self.hostile(rule)
        host, port = UPSTREAM
        c = http.client.HTTPConnection(host, port, timeout=60)
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in HOP}
        c.request(self.command, self.path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        entry["status"] = r.status
        entry["range"] = self.headers.get("Range") or self.headers.get("x-ms-range")
        entry["bytes"] = 0 if self.command == "HEAD" else len(data)
        with LOCK:
            LOG.append(entry)
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        c.close()

    def hostile(self, rule):
        kind, root = rule["xml"], rule.get("root", "ListBucketResult")
        status = rule.get("status", 200)
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        item = ("<Contents><Key>backup-2031-01-01T00-00-00.tar</Key>"
                "<Size>1</Size></Contents>")
        if kind == "doctype":
            ents = '<!ENTITY l0 "lol">' + "".join(
                '<!ENTITY l%d "%s">' % (i, ("&l%d;" % (i - 1)) * 10)
                for i in range(1, 10))
            body = head + "<!DOCTYPE %s [%s]><%s><Key>&l9;</Key></%s>" % (
                root, ents, root, root)
        elif kind == "xxe":
            body = head + ('<!DOCTYPE %s [<!ENTITY x SYSTEM '
                           '"http://127.0.0.1:%d/__ctl/xxe">]><%s><Key>&x;'
                           '</Key></%s>' % (root, self.server.server_address[1],
                                            root, root))
        elif kind == "deep":
            body = head + "<%s>" % root + "<a>" * 100000
        elif kind == "utf8":
            body = (head + "<%s><Contents><Key>bad-\udcff\udcfe.tar</Key>"
                    "</Contents></%s>" % (root, root))
            body = body.encode("utf-8", "surrogateescape")
        elif kind == "truncated":
            body = head + "<%s>" % root + item * 3
            body = body[:len(body) - 20]
        elif kind == "error":
            body = head + ("<Error><Code>InternalError</Code><Message>"
                           "injected error document</Message></Error>")
        elif kind == "huge":
            return self.huge(status, head + "<%s>" % root, item)
        else:
            return self.reply(500, "unknown xml kind")
        return self.reply(status, body, "application/xml")

    def huge(self, status, start, item):
        total = 1 << 30
        chunk = (item * (1048576 // len(item))).encode()  # whole items
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        sent = 0
        try:
            self.wfile.write(start.encode())
            sent = len(start)
            while sent < total:
                n = min(len(chunk), total - sent)
                self.wfile.write(chunk[:n])
                sent += n
        except OSError:
            pass
        with LOCK:
            LOG.append({"method": "huge", "target": "", "sent": sent})
        self.close_connection = True

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any
    do_PROPFIND = do_MKCOL = do_MOVE = do_COPY = handle_any


def main():
    global UPSTREAM
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--upstream", required=True)
    a = p.parse_args()
    h, port = a.upstream.rsplit(":", 1)
    UPSTREAM = (h, int(port))
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *x: os._exit(0))
    tmp = os.path.join(a.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, os.path.join(a.dir, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
