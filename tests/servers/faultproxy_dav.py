#!/usr/bin/python3
"""faultproxy_dav.py - a small HTTP/1.1 proxy in front of a WebDAV server
that answers 503 to chosen requests, for the retry tests.

    faultproxy_dav.py --upstream 127.0.0.1:PORT --port-file FILE \
        --log FILE [--fail METHOD:N]...

Each --fail METHOD:N answers "503 Service Unavailable" to the first N
requests with that method (N = "all": every one), without passing them on;
every other request goes to the upstream server unchanged except for
"Connection: close", so each connection carries one request and each
request is seen here.  A refused request's body is read to its end first
(Content-Length or chunked) so the client sees the 503, not a reset; with
"Expect: 100-continue" the 503 goes out before the body, as HTTP allows.

--lose METHOD:N passes the first N such requests on but throws the
server's answer away and answers 503 instead: the request took effect, its
answer was lost on the way ("METHOD PATH 503 lost").

--drop N closes the first N connections (N = "all": every one) as soon as
they are accepted, before a byte is read: a server going away.  --raw
relays bytes without reading HTTP at all (for SSH: the SFTP retry tests);
its log lines are "connection N dropped" or "connection N passed".

The port it listens on (127.0.0.1, chosen by the kernel) is written to
--port-file once it accepts connections: that file is the readiness check.
--log gets one line per request: "METHOD PATH 503 injected" or
"METHOD PATH passed".
"""
import argparse
import os
import socket
import socketserver
import threading


class State:
    def __init__(self, fails, lose, drop, log):
        self.fails = fails          # method -> remaining count, or -1: all
        self.lose = lose            # the same, for answers thrown away
        self.drop = drop            # connections still to drop, -1: all
        self.conns = 0
        self.lock = threading.Lock()
        self.log = log

    def decide(self, method, table=None):
        table = self.fails if table is None else table
        with self.lock:
            n = table.get(method, 0)
            if n == 0:
                return False
            if n > 0:
                table[method] = n - 1
            return True

    def drop_next(self):
        with self.lock:
            self.conns += 1
            if self.drop == 0:
                return False
            if self.drop > 0:
                self.drop -= 1
            return True

    def note(self, line):
        with self.lock:
            with open(self.log, "a") as f:
                f.write(line + "\n")


def read_head(sock):
    """The request head (bytes up to CRLFCRLF) and what followed it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > 1 << 20:
            return None, b""
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


class Reader:
    """Buffered reads from a socket, starting with bytes already read."""

    def __init__(self, sock, buf):
        self.sock, self.buf = sock, buf

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def skip(self, n):
        while n > 0:
            if not self.buf:
                self.fill()
            k = min(n, len(self.buf))
            self.buf = self.buf[k:]
            n -= k


def drain_body(sock, rest, headers):
    r = Reader(sock, rest)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size = int(r.line().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while r.line() != b"":     # trailers up to the empty line
                    pass
                return
            r.skip(size + 2)
    r.skip(int(headers.get("content-length", "0")))


def pipe(src, dst):
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        st = self.server.state
        c = self.request
        if st.drop_next():
            st.note("connection %d dropped" % st.conns)
            return
        if self.server.raw:
            st.note("connection %d passed" % st.conns)
            self.relay(b"")
            return
        head, rest = read_head(c)
        if head is None:
            return
        lines = head.decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            headers[k.strip().lower()] = v.strip()
        if st.decide(method):
            try:
                if "100-continue" not in headers.get("expect", "").lower():
                    drain_body(c, rest, headers)
                c.sendall(b"HTTP/1.1 503 Service Unavailable\r\n"
                          b"Content-Type: text/plain\r\n"
                          b"Content-Length: 12\r\n"
                          b"Connection: close\r\n\r\nunavailable\n")
            except (OSError, EOFError, ValueError):
                pass
            st.note("%s %s 503 injected" % (method, path))
            return
        lose = st.decide(method, st.lose)
        st.note("%s %s %s" % (method, path, "503 lost" if lose else "passed"))
        kept = [l for l in lines[1:]
                if l.split(":")[0].strip().lower()
                not in ("connection", "keep-alive")]
        out = "\r\n".join([lines[0]] + kept + ["Connection: close"])
        self.relay(out.encode("latin-1") + b"\r\n\r\n" + rest, lose)

    def relay(self, first, lose=False):
        c = self.request
        u = socket.create_connection(self.server.upstream)
        try:
            if first:
                u.sendall(first)
            t = threading.Thread(target=pipe, args=(c, u), daemon=True)
            t.start()
            if lose:
                while u.recv(65536):
                    pass
                c.sendall(b"HTTP/1.1 503 Service Unavailable\r\n"
                          b"Content-Length: 0\r\n"
                          b"Connection: close\r\n\r\n")
                c.shutdown(socket.SHUT_WR)
            else:
                pipe(u, c)
            t.join(5)
        finally:
            u.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail", action="append", default=[])
    ap.add_argument("--lose", action="append", default=[])
    ap.add_argument("--drop", default="0")
    ap.add_argument("--raw", action="store_true")
    a = ap.parse_args()
    fails, lose = {}, {}
    for table, specs in ((fails, a.fail), (lose, a.lose)):
        for f in specs:
            m, _, n = f.partition(":")
            table[m.upper()] = -1 if n == "all" else int(n or "1")
    host, _, port = a.upstream.rpartition(":")
    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = State(fails, lose, -1 if a.drop == "all" else int(a.drop), a.log)
    srv.raw = a.raw
    srv.upstream = (host, int(port))
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
