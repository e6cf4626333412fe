#!/usr/bin/env python3
"""slow_clients.py MODE PORT N READYFILE - misbehaving HTTP clients of
127.0.0.1:PORT, until killed.

  slow   N connections, each sending "GET /metrics HTTP/1.1\\r\\n..." one
         byte a second and never finishing its headers
  idle   N connections that send nothing
  flood  N connections opened as fast as possible, dropped, opened again

READYFILE is written once the first N connections are open (slow, idle;
or after 10 s with how many are: a server that accepts one at a time
leaves the rest in its backlog) or the first round of the flood is done,
so a test waits on it, not a sleep.
"""
import os
import select
import socket
import sys
import time

mode, port, n, ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
REQ = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n" * 50


def connect():
    s = socket.socket()
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def mark(text="ready\n"):
    with open(ready + ".tmp", "w") as f:
        f.write(text)
    os.rename(ready + ".tmp", ready)


def open_all():
    """N non-blocking connects; wait up to 10 s for them to complete."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
    pending, end = list(socks), time.time() + 10
    while pending and time.time() < end:
        _, w, _ = select.select([], pending, [], 0.5)
        pending = [s for s in pending if s not in w]
    mark("%d of %d connected\n" % (n - len(pending), n))
    return socks


if mode == "flood":
    rounds = 0
    while True:
        socks = []
        for _ in range(n):
            try:
                socks.append(connect())
            except OSError:
                pass
        for s in socks:
            s.close()
        rounds += 1
        if rounds == 1:
            mark()

socks = open_all()
i = 0
while True:
    time.sleep(1)
    if mode != "slow":
        continue
    for s in socks:
        try:
            s.send(REQ[i:i + 1])
        except OSError:
            pass
    i = (i + 1) % len(REQ)
