#!/usr/bin/python3
"""dropbox_double.py - a local double of the Dropbox HTTP API v2 (stdlib only).

Serves api.dropboxapi.com and content.dropboxapi.com on one HTTPS port, with
a private CA it makes in --dir (ca.pem) and a certificate for those names,
localhost and 127.0.0.1.  Clients reach it with curl's connect-to
(HTTP_CONNECT_TO) or, for the official python3-dropbox SDK,
DROPBOX_API_HOST / DROPBOX_API_CONTENT_HOST = localhost:PORT.

What it implements, after the documented API (testenv.md section 6):
oauth2/token (refresh_token grant, client_id/secret in the form or Basic),
files/upload_session/start, append_v2, finish (sequential and concurrent
sessions and their rules), list_folder (+continue, paged by --page-size),
delete_v2, create_folder_v2, download (Range), get_metadata.  Errors have
the documented shapes: 400 plain text, 401 expired/invalid token, 409
{"error_summary", "error"} unions, 429 with Retry-After.  Union arguments
are accepted as {".tag": x} or "x".  A Dropbox-API-Arg header with a raw
character >= 0x7F is refused (400), as Dropbox does.

Concurrent sessions: offsets and non-final sizes must be multiples of
4 MiB; an append at an offset already held with the same length answers
incorrect_offset with correct_offset = its end (what a client sees when it
retries an append whose answer was lost).

Test hooks, not part of Dropbox:
  --token-life S   access tokens die after S seconds though expires_in says
                   --expires-in (default 14400): the double expires early.
  --quota BYTES    finish fails with path/insufficient_space beyond it.
  --discard        keep sizes only, not data (benchmarks).
  POST /__control  JSON: {"faults": [{"route": "files/upload_session/append_v2",
                   "kind": "429"|"500"|"503"|"lost"|"reset"|"cut"|"expire"|
                   "uncommitted", "count": 1, "skip": 0}]}: "lost" does the
                   work and answers 503; "uncommitted" (finish) appends
                   finish's bytes to the session, as a failed finish does,
                   then answers 503 without committing; "cut" (download)
                   sends the headers and half the body, then drops;
                   {"expire_tokens": true},
                   {"revoke": true}, {"quota": BYTES|null},
                   {"token_life": S, "expires_in": S} for tokens issued next; GET /__control answers the state:
                   files (size, content_hash, sha256), open sessions,
                   request counts per route, tokens issued, the most appends
                   seen in flight at once, the Dropbox-API-Arg headers seen.
  --log FILE       one line per request: time, thread, route, session,
                   offset, fault, status (and the error summary), to read
                   when a test fails; never the token.
The port is written to DIR/port once listening (port 0: the kernel picks).
"""
import argparse
import base64
import hashlib
import json
import os
import random
import ssl
import string
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MiB = 1024 * 1024
BLOCK = 4 * MiB


def content_hash(data):
    h = hashlib.sha256()
    for i in range(0, len(data), BLOCK):
        h.update(hashlib.sha256(data[i:i + BLOCK]).digest())
    return h.hexdigest()


def rand(n, alphabet=string.ascii_letters + string.digits):
    return "".join(random.choice(alphabet) for _ in range(n))


def make_certs(d):
    ca, cert, key = (os.path.join(d, n) for n in ("ca.pem", "cert.pem", "key.pem"))
    if os.path.exists(cert):
        return cert, key
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=dropbox double test CA", "-keyout", os.path.join(d, "ca.key"),
        "-out", ca, "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:api.dropboxapi.com,DNS:content.dropboxapi.com,"
                "DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", key, "-out", os.path.join(d, "req.csr"))
    run("openssl", "x509", "-req", "-in", os.path.join(d, "req.csr"), "-CA", ca,
        "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial", "-days", "2",
        "-extfile", ext, "-out", cert)
    return cert, key


class ApiError(Exception):
    def __init__(self, status, body, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}


def err409(*tags, **extra):
    """err409("path", "conflict", "file") -> nested union, innermost gets extra."""
    inner = {".tag": tags[-1]}
    inner.update(extra)
    for t in reversed(tags[:-1]):
        inner = {".tag": t, t: inner}
    return ApiError(409, {"error_summary": "/".join(tags) + "/..", "error": inner})


def tag(v):
    if isinstance(v, str):
        return v
    if isinstance(v, dict) and isinstance(v.get(".tag"), str):
        return v[".tag"]
    raise ApiError(400, "Error in call: expected a union, got %r" % (v,))


def check_path(p, root_ok=False):
    if not isinstance(p, str):
        raise ApiError(400, "Error in call: path: expected a string")
    if p == "" and root_ok:
        return ""
    if not p.startswith("/") or p == "/" or p.endswith("/"):
        raise ApiError(400, "Error in call: path: '%s' did not match pattern" % p)
    return p


class State:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.files = {}        # path_lower -> meta dict + "data"
        self.folders = {"": "/"}   # path_lower -> path_display
        self.sessions = {}
        self.tokens = {}       # token -> death (monotonic)
        self.refresh_ok = True
        self.faults = []
        self.counts = {}
        self.served = 0        # file bytes files/download sent
        self.issued = 0
        self.refused_expired = 0
        self.inflight = 0
        self.max_inflight = 0
        self.args_seen = []

    def fault(self, route):
        with self.lock:
            self.counts[route] = self.counts.get(route, 0) + 1
            for f in self.faults:
                if f["route"] != route and f["route"] != "*":
                    continue
                if f.get("skip", 0) > 0:
                    f["skip"] -= 1
                    continue
                if f.get("count", 1) <= 0:
                    continue
                f["count"] = f.get("count", 1) - 1
                return f["kind"]
        return None


def meta(f, tagged=False):
    m = {k: f[k] for k in ("name", "path_lower", "path_display", "id", "client_modified",
                           "server_modified", "rev", "size", "is_downloadable",
                           "content_hash")}
    if tagged:
        m = dict({".tag": "file"}, **m)
    return m


def now_str():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dropbox-double"

    def log_message(self, *a):
        pass

    def log(self, route, kind, status, body=None):
        out = self.server.logf
        if out is None:
            return
        arg, sid, off = self.headers.get("Dropbox-API-Arg") or "", "", ""
        try:
            cur = (json.loads(arg) or {}).get("cursor") or {}
            sid, off = cur.get("session_id", "")[-6:], cur.get("offset", "")
        except (ValueError, AttributeError):
            pass
        summ = body.get("error_summary", "") if isinstance(body, dict) else ""
        line = "%.3f %s %s sid=%s off=%s fault=%s -> %s %s\n" % (
            time.monotonic(), threading.current_thread().name, route, sid, off,
            kind or "-", status, summ)
        with self.server.st.lock:
            out.write(line)
            out.flush()

    # ---- plumbing
    def reply(self, status, body, headers=None, raw=None):
        if getattr(self, "logged", None) is not None:
            self.log(*self.logged, status, body)
            self.logged = None
        if raw is None:
            if isinstance(body, str):
                raw = body.encode()
                ctype = "text/plain; charset=utf-8"
            else:
                raw = json.dumps(body).encode()
                ctype = "application/json"
        else:
            ctype = "application/octet-stream"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 150 * MiB + 1024:
            self.close_connection = True
            raise ApiError(413, "request body too large")
        chunks, left = [], n
        while left > 0:
            c = self.rfile.read(min(left, 1 << 20))
            if not c:
                break
            chunks.append(c)
            left -= len(c)
        return b"".join(chunks)

    def do_GET(self):
        if self.path.startswith("/__control"):
            return self.reply(200, self.server.st_snapshot())
        self.reply(404, "not found")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/2/files/upload_session/append_v2":
            return self.post(url)
        st = self.server.st
        with st.lock:
            st.inflight += 1
            st.max_inflight = max(st.max_inflight, st.inflight)
        try:
            self.post(url)
        finally:
            with st.lock:
                st.inflight -= 1

    def post(self, url):
        st = self.server.st
        try:
            body = self.read_body()
        except ApiError as e:
            return self.reply(e.status, e.body)
        if url.path == "/__control":
            return self.control(json.loads(body or b"{}"))
        route = url.path[3:] if url.path.startswith("/2/") else url.path.lstrip("/")
        kind = st.fault(route)
        self.kind = kind
        self.logged = (route, kind)
        if kind == "reset":
            self.log(route, kind, "reset")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if kind in ("429",):
            ra = str(self.server.a.retry_after)
            return self.reply(429, {"error_summary": "too_many_write_operations/..",
                                    "error": {"reason": {".tag": "too_many_write_operations"},
                                              "retry_after": int(ra)}},
                              {"Retry-After": ra})
        if kind in ("500", "503"):
            return self.reply(int(kind), "server error")
        try:
            if route == "oauth2/token":
                return self.token(body)
            self.auth(kind == "expire")
            fn = ROUTES.get(route)
            if fn is None:
                raise ApiError(404, "Unknown API function: %s" % route)
            status, res, headers, raw = fn(self, route, body)
            if kind == "lost":
                # The work is done, the answer never arrives.
                return self.reply(503, "lost answer")
            if kind == "cut" and raw:
                # The answer starts, then the connection drops halfway.
                self.log(route, kind, status)
                self.logged = None
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw[:len(raw) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.reply(status, res, headers, raw)
        except ApiError as e:
            self.reply(e.status, e.body, e.headers)

    def control(self, c):
        st = self.server.st
        with st.lock:
            if "faults" in c:
                st.faults = list(c["faults"])
            if c.get("expire_tokens"):
                st.tokens = {t: 0 for t in st.tokens}
            if "token_life" in c:
                self.server.a.token_life = c["token_life"]
                self.server.a.expires_in = c.get("expires_in", c["token_life"])
            if "quota" in c:
                self.server.a.quota = c["quota"]
            if c.get("revoke"):
                st.refresh_ok = False
        self.reply(200, {"ok": True})

    def token(self, body):
        a, st = self.server.a, self.server.st
        f = urllib.parse.parse_qs(body.decode("ascii", "replace"))
        g = lambda k: (f.get(k) or [None])[0]
        cid, csec = g("client_id"), g("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            cid, _, csec = base64.b64decode(auth[6:]).decode().partition(":")
        if g("grant_type") != "refresh_token":
            return self.reply(400, {"error": "unsupported_grant_type"})
        if cid != a.app_key or (csec is not None and csec != a.app_secret):
            return self.reply(400, {"error": "invalid_client",
                                    "error_description": "Invalid client_id or client_secret"})
        if g("refresh_token") != a.refresh_token or not st.refresh_ok:
            return self.reply(400, {"error": "invalid_grant",
                                    "error_description": "refresh token is invalid or revoked"})
        tok = "sl." + rand(40)
        with st.lock:
            st.tokens[tok] = time.monotonic() + a.token_life
            st.issued += 1
        self.reply(200, {"access_token": tok, "token_type": "bearer",
                         "expires_in": a.expires_in})

    def auth(self, expire_now):
        st = self.server.st
        h = self.headers.get("Authorization", "")
        tok = h[7:] if h.startswith("Bearer ") else None
        with st.lock:
            death = st.tokens.get(tok)
            if death is not None and expire_now:
                st.tokens[tok] = death = 0
        if death is None:
            raise ApiError(401, {"error_summary": "invalid_access_token/..",
                                 "error": {".tag": "invalid_access_token"}})
        if time.monotonic() >= death:
            with st.lock:
                st.refused_expired += 1
            raise ApiError(401, {"error_summary": "expired_access_token/..",
                                 "error": {".tag": "expired_access_token"}})

    def arg(self, body, style):
        if style == "rpc":
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                raise ApiError(400, "Error in call: bad HTTP \"Content-Type\" header; "
                               "expecting \"application/json\"")
            txt = body.decode("utf-8")
        else:
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            txt = q["arg"][0] if "arg" in q else self.headers.get("Dropbox-API-Arg")
            if txt is None:
                raise ApiError(400, "Error in call: missing Dropbox-API-Arg")
            if any(ord(ch) >= 0x7F for ch in txt):
                raise ApiError(400, "Error in call: Dropbox-API-Arg: characters "
                               ">= 0x7F must be escaped as \\uXXXX")
            with self.server.st.lock:
                self.server.st.args_seen.append(txt)
                del self.server.st.args_seen[:-50]
            if style == "upload" and self.headers.get("Content-Type") != \
                    "application/octet-stream":
                raise ApiError(400, "Error in call: bad HTTP \"Content-Type\" header; "
                               "expecting \"application/octet-stream\"")
        try:
            return json.loads(txt) if txt else None
        except ValueError:
            raise ApiError(400, "Error in call: could not decode input as JSON")


# ---- routes: each returns (status, result, headers, raw bytes or None)

def r_start(h, route, body):
    a = h.arg(body, "upload") or {}
    stype = tag(a.get("session_type", "sequential"))
    if stype not in ("sequential", "concurrent"):
        raise ApiError(400, "Error in call: session_type: unknown tag")
    st = h.server.st
    sid = "pid_upload_session:" + rand(30)
    with st.lock:
        st.sessions[sid] = {"type": stype, "pieces": {0: body} if body else {},
                            "size": len(body), "closed": bool(a.get("close"))}
    return 200, {"session_id": sid}, None, None


def session_of(st, cursor, *outer):
    """outer: ("lookup_failed",) for finish, whose errors nest the lookup's."""
    s = st.sessions.get((cursor or {}).get("session_id"))
    if s is None:
        raise err409(*outer, "not_found")
    return s


def r_append(h, route, body):
    a = h.arg(body, "upload")
    st = h.server.st
    cur, off = a.get("cursor") or {}, (a.get("cursor") or {}).get("offset")
    with st.lock:
        s = session_of(st, cur)
        if s["closed"]:
            raise err409("closed")
        if s["type"] == "sequential":
            if off != s["size"]:
                raise err409("incorrect_offset", correct_offset=s["size"])
        else:
            have = s["pieces"].get(off)
            if have is not None and (have if isinstance(have, int) else len(have)) == len(body):
                raise err409("incorrect_offset", correct_offset=off + len(body))
            if off % BLOCK:
                raise err409("concurrent_session_invalid_offset")
            if len(body) % BLOCK and not a.get("close"):
                raise err409("concurrent_session_invalid_data_size")
        if h.server.a.discard:
            body = len(body)
        s["pieces"][off] = body
        s["size"] = max(s["size"], off + (body if isinstance(body, int) else len(body)))
        if a.get("close"):
            s["closed"] = True
    # Let appends overlap visibly, as a real server's would.
    time.sleep(h.server.a.append_delay)
    return 200, None, None, None


def assemble(s, discard):
    pos, out = 0, []
    for off in sorted(s["pieces"]):
        p = s["pieces"][off]
        n = p if isinstance(p, int) else len(p)
        if off != pos:
            return None
        out.append(p)
        pos += n
    return pos if discard else b"".join(out)


def r_finish(h, route, body):
    a = h.arg(body, "upload")
    st, opt = h.server.st, h.server.a
    cur, commit = a.get("cursor") or {}, a.get("commit") or {}
    path = check_path(commit.get("path"))
    mode = tag(commit.get("mode", "add"))
    with st.lock:
        s = session_of(st, cur, "lookup_failed")
        if s["type"] == "concurrent":
            if body:
                raise err409("concurrent_session_data_not_allowed")
            if not s["closed"]:
                raise err409("concurrent_session_not_closed")
        elif cur.get("offset") != s["size"]:
            raise err409("lookup_failed", "incorrect_offset", correct_offset=s["size"])
        if body:
            s["pieces"][s["size"]] = len(body) if opt.discard else body
            s["size"] += len(body)
        if getattr(h, "kind", None) == "uncommitted":
            raise ApiError(503, "server error after storing the data")
        if cur.get("offset") + len(body) != s["size"]:
            raise err409("lookup_failed", "incorrect_offset", correct_offset=s["size"])
        data = assemble(s, opt.discard)
        if data is None:
            raise err409("concurrent_session_missing_data")
        size = data if opt.discard else len(data)
        low = path.lower()
        if low in st.folders:
            raise err409("path", "conflict", "folder")
        old = st.files.get(low)
        if old is not None and mode == "add":
            raise err409("path", "conflict", "file")
        used = sum(f["size"] for k, f in st.files.items() if k != low)
        if opt.quota is not None and used + size > opt.quota:
            raise err409("path", "insufficient_space")
        parent = low.rsplit("/", 1)[0]
        if parent in st.files:
            raise err409("path", "conflict", "file")
        mkdirs(st, path.rsplit("/", 1)[0])
        del st.sessions[cur["session_id"]]
        f = {"name": path.rsplit("/", 1)[1], "path_lower": low, "path_display": path,
             "id": old["id"] if old else "id:" + rand(22), "rev": "%015x" % random.getrandbits(60),
             "client_modified": commit.get("client_modified") or now_str(),
             "server_modified": now_str(), "size": size, "is_downloadable": True,
             "content_hash": content_hash(b"" if opt.discard else data),
             "data": None if opt.discard else data}
        st.files[low] = f
    return 200, meta(f), None, None


def mkdirs(st, path):
    parts = [p for p in path.split("/") if p]
    cur = ""
    for p in parts:
        cur += "/" + p
        if cur.lower() in st.files:
            raise err409("path", "conflict", "file")
        st.folders.setdefault(cur.lower(), cur)


def folder_meta(low, disp):
    return {".tag": "folder", "name": disp.rsplit("/", 1)[1], "path_lower": low,
            "path_display": disp, "id": "id:" + hashlib.sha1(low.encode()).hexdigest()[:22]}


def list_entries(st, low):
    out = []
    for k, f in st.files.items():
        if k.rsplit("/", 1)[0] == low:
            out.append((k, meta(f, True)))
    for k, disp in st.folders.items():
        if k and k.rsplit("/", 1)[0] == low:
            out.append((k, folder_meta(k, disp)))
    return [e for _, e in sorted(out)]


def page(h, low, pos, limit):
    st = h.server.st
    with st.lock:
        if low not in st.folders:
            if low in st.files:
                raise err409("path", "not_folder")
            raise err409("path", "not_found")
        ents = list_entries(st, low)
    n = min(limit or 2000, h.server.a.page_size)
    cur = base64.urlsafe_b64encode(json.dumps([low, pos + n, limit]).encode()).decode()
    return 200, {"entries": ents[pos:pos + n], "cursor": "AAA" + cur,
                 "has_more": pos + n < len(ents)}, None, None


def r_list(h, route, body):
    a = h.arg(body, "rpc")
    p = check_path(a.get("path"), root_ok=True)
    if a.get("recursive"):
        raise ApiError(400, "Error in call: recursive is not offered by this double")
    limit = a.get("limit")
    if limit is not None and not 1 <= limit <= 2000:
        raise ApiError(400, "Error in call: limit: out of range")
    return page(h, p.lower(), 0, limit)


def r_continue(h, route, body):
    a = h.arg(body, "rpc")
    c = a.get("cursor") or ""
    try:
        low, pos, limit = json.loads(base64.urlsafe_b64decode(c[3:]))
    except ValueError:
        raise err409("reset")
    return page(h, low, pos, limit)


def r_delete(h, route, body):
    a = h.arg(body, "rpc")
    st = h.server.st
    low = check_path(a.get("path")).lower()
    with st.lock:
        if low in st.files:
            return 200, {"metadata": meta(st.files.pop(low), True)}, None, None
        if low in st.folders:
            disp = st.folders.pop(low)
            for k in [k for k in st.files if k.startswith(low + "/")]:
                del st.files[k]
            for k in [k for k in st.folders if k.startswith(low + "/")]:
                del st.folders[k]
            return 200, {"metadata": folder_meta(low, disp)}, None, None
    raise err409("path_lookup", "not_found")


def r_mkdir(h, route, body):
    a = h.arg(body, "rpc")
    st = h.server.st
    p = check_path(a.get("path"))
    low = p.lower()
    with st.lock:
        if low in st.folders:
            raise err409("path", "conflict", "folder")
        if low in st.files:
            raise err409("path", "conflict", "file")
        mkdirs(st, p)
    m = folder_meta(low, p)
    del m[".tag"]
    return 200, {"metadata": m}, None, None


def r_metadata(h, route, body):
    a = h.arg(body, "rpc")
    st = h.server.st
    low = check_path(a.get("path")).lower()
    with st.lock:
        if low in st.files:
            return 200, meta(st.files[low], True), None, None
        if low in st.folders:
            return 200, folder_meta(low, st.folders[low]), None, None
    raise err409("path", "not_found")


def r_download(h, route, body):
    a = h.arg(body, "download")
    st = h.server.st
    low = check_path(a.get("path")).lower()
    with st.lock:
        f = st.files.get(low)
    if f is None:
        raise err409("path", "not_found")
    data = f["data"] if f["data"] is not None else b"\0" * f["size"]
    status, hdrs = 200, {}
    rng = h.headers.get("Range")
    if rng and rng.startswith("bytes="):
        lo, _, hi = rng[6:].partition("-")
        lo = int(lo or 0)
        hi = int(hi) if hi else len(data) - 1
        if lo >= f["size"]:
            return 416, None, {"Content-Range": "bytes */%d" % f["size"]}, b""
        data = data[lo:hi + 1]
        status = 206
        hdrs["Content-Range"] = "bytes %d-%d/%d" % (lo, lo + len(data) - 1, f["size"])
    hdrs["Dropbox-API-Result"] = json.dumps(meta(f), ensure_ascii=True)
    with st.lock:
        st.served += len(data)
    return status, None, hdrs, data


ROUTES = {
    "files/upload_session/start": r_start,
    "files/upload_session/append_v2": r_append,
    "files/upload_session/finish": r_finish,
    "files/list_folder": r_list,
    "files/list_folder/continue": r_continue,
    "files/delete_v2": r_delete,
    "files/create_folder_v2": r_mkdir,
    "files/get_metadata": r_metadata,
    "files/download": r_download,
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer (a refused download) is normal.
        if not isinstance(sys.exc_info()[1], (OSError, ssl.SSLError)):
            super().handle_error(request, client_address)

    def st_snapshot(self):
        st = self.st
        with st.lock:
            return {"files": {f["path_display"]: {"size": f["size"],
                                                  "content_hash": f["content_hash"],
                                                  "sha256": hashlib.sha256(f["data"]).hexdigest()
                                                  if f["data"] is not None else None}
                              for f in st.files.values()},
                    "folders": sorted(v for k, v in st.folders.items() if k),
                    "sessions": len(st.sessions), "counts": st.counts,
                    "tokens_issued": st.issued, "refused_expired": st.refused_expired, "max_inflight": st.max_inflight,
                    "faults_left": sum(f.get("count", 1) for f in st.faults),
                    "download_bytes": st.served,
                    "args_seen": st.args_seen}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--app-key", default="testkey")
    p.add_argument("--app-secret", default="testsecret")
    p.add_argument("--refresh-token", default="test-refresh-token")
    p.add_argument("--expires-in", type=int, default=14400)
    p.add_argument("--token-life", type=float, default=None)
    p.add_argument("--quota", type=int, default=None)
    p.add_argument("--page-size", type=int, default=500)
    p.add_argument("--retry-after", type=int, default=1)
    p.add_argument("--append-delay", type=float, default=0.0)
    p.add_argument("--discard", action="store_true")
    p.add_argument("--log", default=None)
    a = p.parse_args()
    if a.token_life is None:
        a.token_life = a.expires_in
    os.makedirs(a.dir, exist_ok=True)
    cert, key = make_certs(a.dir)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.a, srv.st = a, State(a)
    srv.logf = open(a.log, "a") if a.log else None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = os.path.join(a.dir, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, os.path.join(a.dir, "port"))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
