#!/usr/bin/python3
"""listener.py - a TCP listener that counts and records what reaches it.

    listener.py --dir DIR [--redirect URL] ADDR:PORT ...

Listens on every ADDR:PORT given ("[::1]:PORT" for IPv6).  Each accepted
connection is counted in DIR/accepts (rewritten, one number) and what the
peer sends first (up to 64 KiB, until an empty line) is appended to
DIR/requests.  Then it answers as an HTTP server would: 200 with an empty
body, or, with --redirect, 302 to URL.  Writes DIR/ready once all are
listening.  Stops on SIGTERM.  For the security tests: "nothing reached
it" is DIR/accepts reading 0.
"""
import argparse
import os
import signal
import socket
import sys
import threading

LOCK = threading.Lock()
COUNT = [0]


def serve(sock, args):
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with LOCK:
            COUNT[0] += 1
            with open(os.path.join(args.dir, "accepts.tmp"), "w") as f:
                f.write("%d\n" % COUNT[0])
            os.replace(os.path.join(args.dir, "accepts.tmp"),
                       os.path.join(args.dir, "accepts"))
        threading.Thread(target=answer, args=(conn, args), daemon=True).start()


def answer(conn, args):
    data = b""
    conn.settimeout(5)
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    with LOCK:
        with open(os.path.join(args.dir, "requests"), "ab") as f:
            f.write(data + b"\n----\n")
    if args.redirect:
        reply = ("HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n"
                 "Connection: close\r\n\r\n" % args.redirect).encode()
    else:
        reply = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    try:
        conn.sendall(reply)
    except OSError:
        pass
    conn.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--redirect")
    p.add_argument("addrs", nargs="+")
    args = p.parse_args()
    with open(os.path.join(args.dir, "accepts"), "w") as f:
        f.write("0\n")
    open(os.path.join(args.dir, "requests"), "wb").close()
    socks = []
    for a in args.addrs:
        host, port = a.rsplit(":", 1)
        fam = socket.AF_INET
        if host.startswith("["):
            host, fam = host[1:-1], socket.AF_INET6
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, int(port)))
        s.listen(64)
        socks.append(s)
    for s in socks:
        threading.Thread(target=serve, args=(s, args), daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(os.path.join(args.dir, "ready"), "w") as f:
        f.write("ready\n")
    signal.pause()


if __name__ == "__main__":
    main()
