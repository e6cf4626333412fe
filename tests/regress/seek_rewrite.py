#!/usr/bin/env python3
"""seek_rewrite.py HOW IN OUT - rewrite the tail index of one of our
.tar.gz backups as a tenant could (restore_seek_local.sh).  The gzip
stream stays valid (the index segment is rebuilt as stored blocks and the
trailer's CRC-32 and length recomputed), so a whole download still reads
it; only the index lies.  HOW: footer-anywhere (the segment offset points
into the middle), footer-past-end, huge-counts (2^60 members, 2^32-1
blocks), lying-crc (the CRC of the first block's entry is wrong),
lying-member (the names of files/aa/first.txt and files/zz/last.txt
swapped in the member table)."""
import struct
import sys
import zlib

MAGIC = b"PBSEEK1\n"


def footer_of(data):
    tail = data[-65536:]
    i = tail.rfind(MAGIC)
    while i >= 0:
        f = tail[i:i + 64]
        if len(f) == 64 and struct.unpack("<I", f[60:])[0] == zlib.crc32(f[:60]):
            return f
        i = tail.rfind(MAGIC, 0, i)
    sys.exit("no footer")


def octal(v, n):
    return ("%0*o" % (n - 1, v)).encode() + b"\0"


def ustar(name, size, mtime):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = octal(0o600, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = octal(size, 12)
    h[136:148] = octal(mtime, 12)
    h[156:157] = b"0"
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b" " * 8
    h[148:156] = ("%06o\0 " % sum(h)).encode()
    return bytes(h)


def main():
    how, src, dst = sys.argv[1:4]
    data = open(src, "rb").read()
    plain = zlib.decompress(data, 31)
    f = footer_of(data)
    codec = f[8]
    nblocks, nmembers, seg_comp, seg_tar, blob_len, raw_len = struct.unpack(
        "<IQQQQQ", f[12:56])
    assert codec == 1, "gz only"
    seg_plain = plain[seg_tar:]
    mtime = int(seg_plain[136:147], 8)
    blob = seg_plain[512:512 + blob_len]
    raw = bytearray(zlib.decompress(blob))
    assert len(raw) == raw_len
    # Member records, then blocks.
    members, p = [], 0
    for _ in range(nmembers):
        t, start, data_off, size, n = struct.unpack("<cQQQI", raw[p:p + 29])
        members.append([t, start, data_off, size, bytes(raw[p + 29:p + 29 + n])])
        p += 29 + n
    blocks = [list(struct.unpack("<QQI", raw[p + 20 * i:p + 20 * i + 20]))
              for i in range(nblocks)]
    if how == "footer-anywhere":
        seg_comp = 12345
    elif how == "footer-past-end":
        seg_comp = len(data) + 100
    elif how == "huge-counts":
        nmembers, nblocks = 1 << 60, 0xffffffff
    elif how == "lying-crc":
        blocks[0][2] ^= 0xdeadbeef
    elif how == "lying-member":
        a = [m for m in members if m[4] == b"files/aa/first.txt"][0]
        b = [m for m in members if m[4] == b"files/zz/last.txt"][0]
        a[4], b[4] = b[4], a[4]
    else:
        sys.exit("unknown HOW")
    raw = b"".join(struct.pack("<cQQQI", m[0], m[1], m[2], m[3], len(m[4])) + m[4]
                   for m in members)
    raw += b"".join(struct.pack("<QQI", *b) for b in blocks)
    blob = zlib.compress(raw, 6)
    f = MAGIC + bytes([1, 0, 0, 0]) + struct.pack(
        "<IQQQQQI", nblocks, nmembers, seg_comp, seg_tar, len(blob), len(raw),
        zlib.crc32(blob))
    f += struct.pack("<I", zlib.crc32(f))
    size = len(blob) + 64
    seg = ustar(b".panel-backup/index", size, mtime) + blob + f
    seg += b"\0" * (-len(seg) % 512) + b"\0" * 1024
    real_seg_comp = struct.unpack("<Q", footer_of(data)[24:32])[0]
    out = bytearray(data[:real_seg_comp])
    # Stored blocks, the last full, the last one final.
    n = len(seg) % 65535 or 65535
    off = 0
    while off < len(seg):
        final = 1 if off + n == len(seg) else 0
        out += bytes([final]) + struct.pack("<HH", n, n ^ 0xffff) + seg[off:off + n]
        off += n
        n = 65535
    newplain = plain[:seg_tar] + seg
    out += struct.pack("<II", zlib.crc32(newplain), len(newplain) & 0xffffffff)
    open(dst, "wb").write(out)


main()
