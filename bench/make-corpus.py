#!/usr/bin/python3
"""Deterministic corpus generator for the benchmarks: a hosting account.

    make-corpus.py DEST [--size-mib N] [--seed S] [--variant hosting|small]
                   [--files N]

hosting: web files (php, js, css, html, json; a byte-identical staging
copy of part of it), mail in Maildir, big logs, a SQL dump, already
compressed media (random bytes behind real magic numbers), semi-
compressible binaries, odd names (spaces, unicode NFC/NFD, quotes, a tab,
a leading dash, a 250-byte name, invalid UTF-8), symlinks (relative,
absolute, dangling, a loop, a folder link) and a hard link.
small: N files of 1-8 KiB (75% text, 25% random) in 100x20 folders.

Only Python's seeded Mersenne Twister is used, so the same seed always
gives the same tree.
"""
import argparse
import os
import random

WORDS = ("the of and to in is you that it he was for on are as with his they "
         "at be this have from or one had by word but not what all were we "
         "when your can said there use an each which she do how their if will "
         "up other about out many then them these so some her would make like "
         "him into time has look two more write go see number no way could "
         "people my than first water been call who oil its now find long down "
         "day did get come made may part function return echo array string "
         "public private class static const var let div span href src").split()
PHP_SNIPPETS = ["<?php\n", "function ", "$this->", "return ", "array(",
                "echo ", "if (", "} else {\n", "foreach (", " as $k => $v) {\n"]


def text(rng, n, flavour="prose"):
    out = []
    size = 0
    while size < n:
        if flavour == "php" and rng.random() < 0.3:
            w = rng.choice(PHP_SNIPPETS)
        else:
            w = rng.choice(WORDS)
        out.append(w)
        size += len(w) + 1
        if rng.random() < 0.08:
            out.append("\n")
    return (" ".join(out)[:n]).encode()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def hosting(dest, total, rng):
    budget = {
        "web": int(total * 0.12), "mail": int(total * 0.08),
        "media": int(total * 0.30), "logs": int(total * 0.23),
        "sql": int(total * 0.13), "semi": int(total * 0.10),
    }
    root = os.path.join(dest, "public_html")
    used, i = 0, 0
    exts = ["php", "js", "css", "html", "json", "min.js", "svg", "po", "md"]
    while used < budget["web"]:
        n = rng.randint(512, 32768)
        ext = rng.choice(exts)
        p = os.path.join(root, "app%d" % (i % 40), "mod%d" % (i % 7),
                         "file%d.%s" % (i, ext))
        write(p, text(rng, n, "php" if ext == "php" else "prose"))
        if i % 10 == 0:  # a byte-identical staging copy
            write(p.replace("public_html", "staging", 1),
                  open(p, "rb").read())
            used += n
        used += n
        i += 1
    used, i = 0, 0
    while used < budget["mail"]:
        n = rng.randint(2048, 40960)
        body = b"From: a%d@example.com\nTo: user@example.net\nSubject: " % i
        body += text(rng, 60) + b"\n\n" + text(rng, n)
        if i % 5 == 0:
            body += rng.randbytes(n // 2)  # an attachment
        write(os.path.join(dest, "Maildir", ["cur", "new"][i % 2],
                           "%d.M%dP%d.host:2,S" % (1700000000 + i, i, i)),
              body)
        used += len(body)
        i += 1
    magic = [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"RIFF....WEBP",
             b"\x00\x00\x00\x18ftypmp42", b"PK\x03\x04", b"\x1f\x8b\x08"]
    used, i = 0, 0
    while used < budget["media"]:
        n = rng.randint(50 * 1024, 5 * 1024 * 1024)
        m = rng.choice(magic)
        write(os.path.join(root, "uploads", "%04d" % (i % 30),
                           "media%d.%s" % (i, ["jpg", "png", "webp", "mp4",
                                               "zip", "gz"][magic.index(m)])),
              m + rng.randbytes(n))
        used += n
        i += 1
    per = budget["logs"] // 6
    for k in range(6):
        lines = []
        size = 0
        while size < per:
            line = ('10.0.%d.%d - - [26/Nov/2026:13:%02d:%02d +0000] "GET /%s '
                    'HTTP/1.1" %d %d "-" "Mozilla/5.0"\n' % (
                        rng.randint(0, 255), rng.randint(0, 255),
                        rng.randint(0, 59), rng.randint(0, 59),
                        rng.choice(WORDS), rng.choice([200, 200, 304, 404]),
                        rng.randint(100, 90000)))
            lines.append(line)
            size += len(line)
        write(os.path.join(dest, "logs", "access%d.log" % k),
              "".join(lines).encode())
    rows, size = [], 0
    while size < budget["sql"]:
        row = "INSERT INTO `wp_posts` VALUES (%d,'%s','%s');\n" % (
            rng.randint(1, 10 ** 9), text(rng, 40).decode(),
            text(rng, rng.randint(50, 600)).decode())
        rows.append(row)
        size += len(row)
    write(os.path.join(dest, "db", "shop.sql"), "".join(rows).encode())
    used, i = 0, 0
    while used < budget["semi"]:
        n = rng.randint(64 * 1024, 2 * 1024 * 1024)
        chunks = []
        while sum(map(len, chunks)) < n:
            chunks.append(rng.randbytes(512) if rng.random() < 0.4
                          else bytes(rng.randint(0, 4)) * 512)
        write(os.path.join(dest, "data", "blob%d.sqlite" % i), b"".join(chunks))
        used += n
        i += 1
    odd = os.path.join(dest, "odd")
    os.makedirs(odd, exist_ok=True)
    names = ["with space.txt", "caf\u00e9-nfc.txt", "cafe\u0301-nfd.txt",
             "\U0001f600.txt", "quote'\"s.txt", "tab\there.txt", "back\\slash",
             "-leading-dash", "x" * 250]
    for n in names:
        write(os.path.join(odd, n), text(rng, 100))
    with open(os.path.join(odd.encode(), b"bad-\xff-utf8"), "wb") as f:
        f.write(b"invalid utf-8 name\n")
    deep = os.path.join(odd, *(["d" * 60] * 5))
    write(os.path.join(deep, "deep.txt"), b"long path\n")
    os.makedirs(os.path.join(dest, "empty", "dir"), exist_ok=True)
    os.symlink("public_html", os.path.join(dest, "link-dir"))
    os.symlink("/etc/hostname", os.path.join(dest, "link-abs"))
    os.symlink("nowhere", os.path.join(dest, "link-dangling"))
    os.symlink("link-loop", os.path.join(dest, "link-loop"))
    os.symlink("db/shop.sql", os.path.join(dest, "link-rel"))
    os.link(os.path.join(dest, "db", "shop.sql"),
            os.path.join(dest, "shop-hardlink.sql"))


def small(dest, files, rng):
    for i in range(files):
        n = rng.randint(1024, 8192)
        data = rng.randbytes(n) if i % 4 == 3 else text(rng, n)
        write(os.path.join(dest, "d%02d" % (i // 2000 % 100),
                           "s%02d" % (i // 100 % 20), "f%d" % i), data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--variant", default="hosting")
    ap.add_argument("--files", type=int, default=200000)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.dest, exist_ok=True)
    if a.variant == "small":
        small(a.dest, a.files, rng)
    else:
        hosting(a.dest, a.size_mib * 1024 * 1024, rng)


if __name__ == "__main__":
    main()
