#!/usr/bin/python3
"""smtp_server.py - real SMTP servers on loopback for the notifier tests.

    smtp_server.py --dir DIR [--host NAME]

Debian's aiosmtpd, three listeners on free ports of 127.0.0.1, written to
DIR/ports as JSON once all accept connections:
    starttls   STARTTLS required before AUTH and MAIL; AUTH PLAIN, LOGIN,
               CRAM-MD5 (user "tester", password "s3cret-pass")
    implicit   TLS from the first byte (smtps), same AUTH
    plain      no TLS at all, AUTH allowed in clear (localhost tests)
The certificate (private CA in DIR/ca.pem) names NAME (default mail.test).
Each delivered message becomes DIR/mail/NNN.json: envelope sender and
recipients, the login used, whether TLS was on, and the message text.
Stops on SIGTERM.
"""
import argparse
import hashlib
import hmac
import itertools
import json
import os
import signal
import ssl
import subprocess
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

USER, PASSWORD = b"tester", b"s3cret-pass"
COUNTER = itertools.count()
LOCK = threading.Lock()


def make_certs(d, host):
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, crt = (os.path.join(d, n) for n in ("smtp.key", "smtp.csr", "smtp.pem"))
    ext = os.path.join(d, "smtp.ext")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=smtp test CA")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=" + host)
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s,IP:127.0.0.1\n" % host)
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", crt, "-days", "2", "-extfile", ext)
    return crt, key


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and \
        auth_data.login == USER and auth_data.password == PASSWORD
    if not ok:
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Authentication credentials invalid")
    return AuthResult(success=True, auth_data=auth_data)


class CramSMTP(SMTP):
    async def auth_CRAM__MD5(self, _, args):
        challenge = ("<%d.test@mail.test>" % os.getpid()).encode()
        resp = await self.challenge_auth(challenge)
        if resp is None or not isinstance(resp, bytes):
            return AuthResult(success=False)
        try:
            user, digest = resp.split(b" ", 1)
        except Exception:
            return AuthResult(success=False)
        want = hmac.new(PASSWORD, challenge, hashlib.md5).hexdigest().encode()
        if user == USER and hmac.compare_digest(digest, want):
            return AuthResult(success=True, auth_data=LoginPassword(user, b""))
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Authentication credentials invalid")


class Saver:
    def __init__(self, d, kind):
        self.d, self.kind = d, kind

    async def handle_DATA(self, server, session, envelope):
        login = None
        if session.auth_data is not None:
            login = session.auth_data.login.decode()
        rec = {
            "listener": self.kind, "from": envelope.mail_from, "to": envelope.rcpt_tos,
            "login": login,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "ehlo": session.host_name,
            "data": envelope.original_content.decode("utf-8", "replace"),
        }
        with LOCK:
            n = next(COUNTER)
        tmp = os.path.join(self.d, "%03d.tmp" % n)
        with open(tmp, "w") as f:
            json.dump(rec, f)
        os.rename(tmp, os.path.join(self.d, "%03d.json" % n))
        return "250 OK"


class Ctl(Controller):
    def factory(self):
        return CramSMTP(self.handler, **self.SMTP_kwargs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="mail.test")
    a = ap.parse_args()
    mail = os.path.join(a.dir, "mail")
    os.makedirs(mail, exist_ok=True)
    crt, key = make_certs(a.dir, a.host)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(crt, key)
    common = dict(hostname="127.0.0.1", authenticator=authenticator,
                  server_hostname=a.host)
    ctls = {
        "starttls": Ctl(Saver(mail, "starttls"), tls_context=tls, require_starttls=True,
                        auth_require_tls=True, port=free_port(), **common),
        "implicit": Ctl(Saver(mail, "implicit"), ssl_context=tls, auth_require_tls=False,
                        port=free_port(), **common),
        "plain": Ctl(Saver(mail, "plain"), auth_require_tls=False, port=free_port(),
                     **common),
    }
    ports = {}
    for name, c in ctls.items():
        c.start()
        ports[name] = c.port
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    tmp = os.path.join(a.dir, "ports.tmp")
    with open(tmp, "w") as f:
        json.dump(ports, f)
    os.rename(tmp, os.path.join(a.dir, "ports"))
    stop.wait()
    for c in ctls.values():
        c.stop()


if __name__ == "__main__":
    main()
