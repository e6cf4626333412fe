#!/usr/bin/env python3
"""slow_clients.py MODE PORT N READYFILE - misbehaving HTTP clients of
127.0.0.1:PORT, until killed.

  slow   N connections, each sending "GET /metrics HTTP/1.1\\r\\n..." one
         byte a second and never finishing its headers
  idle   N connections that send nothing
  flood  N connections opened as fast as possible, dropped, opened again

READYFILE is written once the first N connections are open (slow, idle) or
the first round of the flood is done, so a test waits on it, not a sleep.
"""
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


def mark():
    with open(ready, "w") as f:
        f.write("ready\n")


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

socks = [connect() for _ in range(n)]
mark()
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
