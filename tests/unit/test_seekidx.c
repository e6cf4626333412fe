/*
 * test_seekidx.c - the tail index (worker/seekidx.c) and its writers in
 * stage_gzip and stage_zstd.
 *
 * Writer: tar streams with a pax long name, a 64 KiB name, a name with a
 * newline, a NUL inside a pax path, members over several blocks, fed in
 * odd chunk sizes, through gzip and zstd on 1 and 2 threads: the index is
 * found from the last 64 KiB, decodes, names every member at its offset,
 * and every member's bytes come back from its blocks alone (gzip: CRC of
 * each block checked).  A stream that is no tar, or a zero block in the
 * middle followed by more than 64 KiB, gets no index and round-trips
 * unchanged.
 * Reader: a corpus of hand-made bad indexes (a footer with a bad CRC or
 * pointing past the object, huge counts, members past the end or
 * overlapping, names out of bounds, blocks backwards, overlapping, too
 * large or past the index, a lying size, a blob that does not inflate
 * to its size, a wrong member name) each ends in -1 with a message or
 * "no footer", and every single-byte flip of a good segment decodes or
 * fails cleanly (run under SAN=1 for over-reads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "compress.h"
#include "err.h"
#include "pipeline.h"
#include "seekidx.h"
#include "tap.h"
#include "xmalloc.h"

struct capture {
	unsigned char	*buf;
	size_t		 len, cap;
};

static void
cap_add(struct capture *c, const void *p, size_t n)
{
	if (c->len + n > c->cap) {
		c->cap = (c->len + n) * 2 + 1024;
		c->buf = xrealloc(c->buf, c->cap);
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
}

static int
cap_write(struct stage *st, const void *p, size_t n, struct bk_err *err)
{
	(void)err;
	cap_add(stage_arg(st), p, n);
	return 0;
}

static const struct stage_type stage_capture = {
	.name = "capture",
	.write = cap_write,
};

static void
octal(unsigned char *p, size_t n, unsigned long long v)
{
	snprintf((char *)p, n, "%0*llo", (int)n - 1, v);
}

static void
hdr(struct capture *t, const char *name, char type, size_t size)
{
	unsigned char h[512] = { 0 };
	unsigned sum = 0;
	size_t i;

	memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
	octal(h + 100, 8, 0644);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size);
	octal(h + 136, 12, 1700000000);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	cap_add(t, h, 512);
}

static void
pad(struct capture *t)
{
	static const unsigned char z[512];

	if (t->len % 512)
		cap_add(t, z, 512 - t->len % 512);
}

/* A member (with a pax path record when name is long or odd). */
static void
member(struct capture *t, const char *name, size_t namelen, char type,
    const void *data, size_t size)
{
	char *rec;
	size_t n, d, len;

	if (namelen >= 100 || memchr(name, '\n', namelen) != NULL ||
	    strlen(name) != namelen) {
		/* "%d path=%s\n": the length counts itself. */
		n = namelen + 7;
		for (d = 1, len = n + 1; len >= 10 * d; d *= 10)
			len++;
		len = n + 1;
		while (len != n + (size_t)snprintf(NULL, 0, "%zu", len))
			len = n + (size_t)snprintf(NULL, 0, "%zu", len);
		rec = xmalloc(len + 1);
		d = (size_t)snprintf(rec, len + 1, "%zu path=", len);
		memcpy(rec + d, name, namelen);
		rec[len - 1] = '\n';
		hdr(t, "PaxHeader", 'x', len);
		cap_add(t, rec, len);
		pad(t);
		free(rec);
		hdr(t, "long-name-cut", type, size);
	} else
		hdr(t, name, type, size);
	if (size > 0) {
		cap_add(t, data, size);
		pad(t);
	}
}

static void
eoa(struct capture *t)
{
	static const unsigned char z[1024];

	cap_add(t, z, sizeof(z));
}

static int
squeeze(const struct stage_type *s, int threads, const struct capture *in,
    size_t chunk, struct capture *out)
{
	struct compress_cfg cfg = { 3, threads };
	struct pipeline *p = pipeline_new();
	struct bk_err err;
	size_t off, take;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	pipeline_add(p, s, &cfg);
	pipeline_add(p, &stage_capture, out);
	if (pipeline_start(p, &err) == -1)
		goto out;
	for (off = 0; off < in->len; off += take) {
		take = in->len - off < chunk ? in->len - off : chunk;
		if (pipeline_write(p, in->buf + off, take, &err) == -1) {
			pipeline_abort(p, &err);
			goto out;
		}
	}
	rc = pipeline_finish(p, &err);
out:
	pipeline_free(p);
	return rc;
}

/* Decompress [from, to) of a compressed stream starting at a block. */
static int
unpack(enum seekidx_codec c, const unsigned char *p, size_t n,
    struct capture *out)
{
	unsigned char tmp[65536];
	ZSTD_inBuffer zi = { p, n, 0 };
	ZSTD_outBuffer zo;
	ZSTD_DCtx *d;
	z_stream zs;
	size_t r;
	int zr;

	memset(out, 0, sizeof(*out));
	if (c == SEEKIDX_GZ) {
		memset(&zs, 0, sizeof(zs));
		inflateInit2(&zs, -15);
		zs.next_in = (Bytef *)(uintptr_t)p;
		zs.avail_in = (uInt)n;
		do {
			zs.next_out = tmp;
			zs.avail_out = sizeof(tmp);
			zr = inflate(&zs, Z_SYNC_FLUSH);
			cap_add(out, tmp, sizeof(tmp) - zs.avail_out);
		} while (zr == Z_OK && (zs.avail_in > 0 ||
		    zs.avail_out == 0));
		inflateEnd(&zs);
		return zr == Z_OK || zr == Z_STREAM_END || zr == Z_BUF_ERROR ?
		    0 : -1;
	}
	d = ZSTD_createDCtx();
	while (zi.pos < zi.size) {
		zo.dst = tmp;
		zo.size = sizeof(tmp);
		zo.pos = 0;
		r = ZSTD_decompressStream(d, &zo, &zi);
		if (ZSTD_isError(r)) {
			ZSTD_freeDCtx(d);
			return -1;
		}
		cap_add(out, tmp, zo.pos);
	}
	ZSTD_freeDCtx(d);
	return 0;
}

/* Find and decode the index of a compressed archive. */
static int
load(enum seekidx_codec c, const struct capture *z, struct seekidx *x)
{
	size_t toff = z->len > SEEKIDX_TAIL ? z->len - SEEKIDX_TAIL : 0;
	struct seekidx_footer f;
	struct capture seg;
	struct bk_err err;
	int rc;

	if (seekidx_find_footer(z->buf + toff, z->len - toff, &f) != 1 ||
	    f.seg_comp_off >= z->len)
		return -1;
	if (unpack(c, z->buf + f.seg_comp_off, z->len - f.seg_comp_off,
	    &seg) == -1)
		return -1;
	rc = seekidx_decode(&f, seg.buf, seg.len, z->len, x, &err);
	if (rc == -1)
		printf("# decode: %s\n", err.msg);
	free(seg.buf);
	return rc;
}

/* Every member's bytes from its own blocks equal the tar's. */
static bool
members_come_back(enum seekidx_codec c, const struct capture *z,
    const struct capture *tar, const struct seekidx *x)
{
	struct capture plain;
	size_t i, b0, b1;
	uint64_t t0;
	bool good = true;

	for (i = 0; i < x->nm && good; i++) {
		b0 = seekidx_block_at(x, x->m[i].start);
		b1 = seekidx_block_at(x, x->m[i].end - 1);
		if (b0 >= x->nb || b1 >= x->nb)
			return false;
		t0 = x->b[b0].tar_off;
		if (unpack(c, z->buf + x->b[b0].comp_off,
		    seekidx_block_comp_end(x, b1) - x->b[b0].comp_off,
		    &plain) == -1)
			return false;
		good = plain.len >= x->m[i].end - t0 &&
		    memcmp(plain.buf + (x->m[i].start - t0), tar->buf +
		    x->m[i].start, x->m[i].end - x->m[i].start) == 0;
		if (c == SEEKIDX_GZ && b0 == b1)
			good = good && (uint32_t)crc32(0, plain.buf,
			    (uInt)plain.len) == x->b[b0].crc;
		free(plain.buf);
	}
	return good;
}

static unsigned char *
text(size_t n, unsigned seed)
{
	unsigned char *p = xmalloc(n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (i / 8192) % 3 == 2 ? (unsigned char)(seed >> 16) :
		    (unsigned char)("hosting panel backup\n"[i % 21]);
	}
	return p;
}

static void
writer_cases(void)
{
	static const struct { const struct stage_type *s; enum seekidx_codec c;
	    const char *name; } codecs[] = {
		{ &stage_gzip, SEEKIDX_GZ, "gzip" },
		{ &stage_zstd, SEEKIDX_ZST, "zstd" },
	};
	struct capture tar = { 0 }, z, back;
	unsigned char *big = text(5 << 20, 1), *small = text(4096, 2);
	char *longname = xmalloc(65536 + 1);
	struct seekidx x;
	size_t i, k, j;
	int threads;
	bool found;

	memset(longname, 'n', 65536);
	memcpy(longname, "files/", 6);
	longname[65536] = '\0';
	member(&tar, "files/", 6, '5', NULL, 0);
	member(&tar, "files/first.txt", 15, '0', small, 4096);
	member(&tar, "files/big.bin", 13, '0', big, 5 << 20);
	member(&tar, longname, 65536, '0', small, 100);
	member(&tar, "files/new\nline", 14, '0', small, 10);
	member(&tar, "files/nul\0inside", 16, '0', small, 10);
	member(&tar, "files/link", 10, '2', NULL, 0);
	member(&tar, "files/last.txt", 14, '0', small, 4096);
	eoa(&tar);
	for (i = 0; i < 2; i++)
		for (threads = 1; threads <= 2; threads++) {
			ok(squeeze(codecs[i].s, threads, &tar, i ? 7777 : 65536,
			    &z) == 0, "%s/%d: compresses", codecs[i].name,
			    threads);
			ok(load(codecs[i].c, &z, &x) == 0, "%s/%d: the index is "
			    "found from the tail and decodes", codecs[i].name,
			    threads);
			ok(x.nm == 8, "%s/%d: 8 members (the index "
			    "itself is not one: %zu)", codecs[i].name,
			    threads, x.nm);
			found = false;
			for (k = 0; k < x.nm; k++)
				if (x.m[k].namelen == 65536)
					found = true;
			ok(found && x.nm > 4 && strcmp(x.m[4].name,
			    "files/new\nline") == 0 && x.m[5].namelen == 9,
			    "%s/%d: a 64 KiB name and a newline are kept as they "
			    "are; a NUL ends a name (as libarchive reads it)",
			    codecs[i].name, threads);
			ok(x.nb >= 3 && x.b[0].tar_off == 0,
			    "%s/%d: %zu blocks from 0", codecs[i].name, threads,
			    x.nb);
			ok(members_come_back(codecs[i].c, &z, &tar, &x),
			    "%s/%d: every member comes back from its blocks "
			    "alone", codecs[i].name, threads);
			ok(unpack(codecs[i].c, z.buf + (i == 0 ? 10 : 0),
			    z.len - (i == 0 ? 18 : 0), &back) == 0 &&
			    back.len == tar.len + 512 + (size_t)((x.f.blob_len +
			    64 + 511) / 512 * 512) && memcmp(back.buf, tar.buf,
			    tar.len - 1024) == 0, "%s/%d: the whole stream is "
			    "the tar with the index member before its end",
			    codecs[i].name, threads);
			for (j = 0, found = false; j < x.nm; j++)
				if (seekidx_match(&x.m[j], "files/nul"))
					found = j == 5;
			ok(found && seekidx_match(&x.m[1], "files") &&
			    seekidx_match(&x.m[1], "files/first.txt") &&
			    !seekidx_match(&x.m[1], "files/first") &&
			    !seekidx_match(&x.m[1], "files/first.txt/x"),
			    "%s/%d: PATH matches itself and what is under it "
			    "only", codecs[i].name, threads);
			free(back.buf);
			free(z.buf);
			seekidx_free(&x);
		}
	/* Not a tar: no index, the same bytes back. */
	for (i = 0; i < 2; i++) {
		struct capture junk = { 0 };

		cap_add(&junk, big, 3 << 20);
		ok(squeeze(codecs[i].s, 2, &junk, 65536, &z) == 0 &&
		    load(codecs[i].c, &z, &x) == -1 && unpack(codecs[i].c,
		    z.buf + (i == 0 ? 10 : 0), z.len - (i == 0 ? 18 : 0),
		    &back) == 0 && back.len == junk.len && memcmp(back.buf,
		    junk.buf, junk.len) == 0, "%s: a stream that is no tar gets "
		    "no index and round-trips", codecs[i].name);
		free(back.buf);
		free(z.buf);
		free(junk.buf);
	}
	/* A zero block mid-stream, then more than the hold limit. */
	for (i = 0; i < 2; i++) {
		struct capture t2 = { 0 };

		member(&t2, "files/a", 7, '0', small, 4096);
		eoa(&t2);
		member(&t2, "files/after", 11, '0', big, 200000);
		eoa(&t2);
		ok(squeeze(codecs[i].s, 1, &t2, 1000, &z) == 0 &&
		    load(codecs[i].c, &z, &x) == -1 && unpack(codecs[i].c,
		    z.buf + (i == 0 ? 10 : 0), z.len - (i == 0 ? 18 : 0),
		    &back) == 0 && back.len == t2.len && memcmp(back.buf,
		    t2.buf, t2.len) == 0, "%s: an end of archive mid-stream "
		    "followed by more: no index, bytes unchanged",
		    codecs[i].name);
		free(back.buf);
		free(z.buf);
		free(t2.buf);
	}
	free(tar.buf);
	free(big);
	free(small);
	free(longname);
}

/* ---- hand-made bad indexes ---- */


struct craft {
	struct capture	 raw;
	uint64_t	 nmembers;
	uint32_t	 nblocks;
	uint64_t	 seg_tar, seg_comp;
	int64_t		 raw_len_delta;
	int64_t		 size_delta;
	bool		 bad_blob_crc, bad_footer_crc, bad_copy, wrong_name;
	bool		 cut_blob;
};

static void
rec_member(struct craft *c, char type, uint64_t start, uint64_t data,
    uint64_t size, const char *name, uint32_t namelen)
{
	unsigned char r[29];

	r[0] = (unsigned char)type;
	seekidx_put64(r + 1, start);
	seekidx_put64(r + 9, data);
	seekidx_put64(r + 17, size);
	seekidx_put32(r + 25, namelen);
	cap_add(&c->raw, r, sizeof(r));
	cap_add(&c->raw, name, strlen(name));
	c->nmembers++;
}

static void
rec_block(struct craft *c, uint64_t tar, uint64_t comp)
{
	unsigned char r[20] = { 0 };

	seekidx_put64(r, tar);
	seekidx_put64(r + 8, comp);
	cap_add(&c->raw, r, sizeof(r));
	c->nblocks++;
}

/* The segment's plain bytes and its footer; decode it. */
static int
try(struct craft *c, uint64_t obj_len, char *msg, size_t msgsize)
{
	unsigned char f[SEEKIDX_FOOTER] = { 0 }, *blob;
	uLongf bl = compressBound((uLong)c->raw.len + 1);
	struct capture seg = { 0 };
	struct seekidx_footer ft;
	struct seekidx x;
	struct bk_err err;
	int rc;

	blob = xmalloc(bl);
	compress2(blob, &bl, c->raw.len ? c->raw.buf : (const Bytef *)"", 
	    (uLong)c->raw.len, 6);
	if (c->cut_blob)
		bl /= 2;
	memcpy(f, "PBSEEK1\n", 8);
	f[8] = SEEKIDX_GZ;
	seekidx_put32(f + 12, c->nblocks);
	seekidx_put64(f + 16, c->nmembers);
	seekidx_put64(f + 24, c->seg_comp);
	seekidx_put64(f + 32, c->seg_tar);
	seekidx_put64(f + 40, bl);
	seekidx_put64(f + 48, (uint64_t)((int64_t)c->raw.len + c->raw_len_delta));
	seekidx_put32(f + 56, (uint32_t)crc32(0, blob, (uInt)bl) ^
	    (c->bad_blob_crc ? 1u : 0u));
	seekidx_put32(f + 60, (uint32_t)crc32(0, f, 60) ^ (c->bad_footer_crc ? 1u :
	    0u));
	hdr(&seg, c->wrong_name ? ".panel-backup/other" : SEEKIDX_MEMBER,
	    '0', (size_t)((int64_t)bl + SEEKIDX_FOOTER + c->size_delta));
	cap_add(&seg, blob, bl);
	cap_add(&seg, f, sizeof(f));
	if (c->bad_copy)
		seg.buf[seg.len - 20] ^= 1;
	pad(&seg);
	eoa(&seg);
	free(blob);
	if (seekidx_find_footer(seg.buf, seg.len, &ft) == 0) {
		snprintf(msg, msgsize, "no footer");
		free(seg.buf);
		return -1;
	}
	rc = seekidx_decode(&ft, seg.buf, seg.len, obj_len, &x, &err);
	if (rc == 0)
		seekidx_free(&x);
	else
		snprintf(msg, msgsize, "%s", err.msg);
	free(seg.buf);
	return rc;
}

/* A good base: two members, two blocks, the segment at 4096. */
static void
base(struct craft *c)
{
	memset(c, 0, sizeof(*c));
	c->seg_tar = 4096;
	c->seg_comp = 3000;
}

static void
base_records(struct craft *c)
{
	rec_member(c, '0', 0, 512, 100, "files/a", 7);
	rec_member(c, '0', 1024, 1536, 2000, "files/b", 7);
	rec_block(c, 0, 10);
	rec_block(c, 2048, 1500);
}

static void
reader_cases(void)
{
	struct craft c;
	char msg[600];
	size_t i;
	int n = 0;

	base(&c);
	base_records(&c);
	ok(try(&c, 5000, msg, sizeof(msg)) == 0, "a good hand-made index "
	    "decodes");
	free(c.raw.buf);

#define BAD(setup, what) do {						\
		base(&c);						\
		setup;							\
		ok(try(&c, 5000, msg, sizeof(msg)) == -1,		\
		    "bad index refused: %s (%s)", what, msg);		\
		free(c.raw.buf);					\
		n++;							\
	} while (0)

	BAD((base_records(&c), c.bad_footer_crc = true), "footer CRC");
	BAD((base_records(&c), c.seg_comp = 5000), "footer points past the "
	    "object");
	BAD((base_records(&c), c.seg_comp = UINT64_MAX), "footer points at "
	    "2^64-1");
	BAD((base_records(&c), c.nmembers = UINT64_MAX), "2^64-1 members");
	BAD((base_records(&c), c.nmembers = 1000), "more members than bytes");
	BAD((base_records(&c), c.nblocks = UINT32_MAX), "2^32-1 blocks");
	BAD((base_records(&c), c.raw_len_delta = 1 << 30), "inflated size "
	    "over the cap");
	BAD((base_records(&c), c.raw_len_delta = 5), "inflated size too "
	    "large");
	BAD((base_records(&c), c.raw_len_delta = -5), "inflated size too "
	    "small");
	BAD((base_records(&c), c.bad_blob_crc = true), "blob CRC");
	BAD((base_records(&c), c.cut_blob = true), "blob cut short");
	BAD((base_records(&c), c.bad_copy = true), "footer copy differs");
	BAD((base_records(&c), c.wrong_name = true), "member is not "
	    ".panel-backup/index");
	BAD((base_records(&c), c.size_delta = 1), "member size disagrees");
	BAD((base_records(&c), c.size_delta = 1 << 20), "member size past "
	    "the segment");
	BAD((rec_member(&c, '0', 0, 512, 100, "files/a", 7),
	    rec_member(&c, '0', 512, 1024, 10, "files/b", 7),
	    rec_block(&c, 0, 10)), "overlapping members");
	BAD((rec_member(&c, '0', 0, 512, 1 << 20, "files/a", 7),
	    rec_block(&c, 0, 10)), "member data past the segment");
	BAD((rec_member(&c, '0', UINT64_MAX - 511, 0, 1, "files/a", 7),
	    rec_block(&c, 0, 10)), "member start at 2^64-512");
	BAD((rec_member(&c, '0', 0, 512, UINT64_MAX, "files/a", 7),
	    rec_block(&c, 0, 10)), "member size 2^64-1");
	BAD((rec_member(&c, '0', 0, 100, 1, "files/a", 7),
	    rec_block(&c, 0, 10)), "data before its header ends");
	BAD((rec_member(&c, '0', 0, 512, 1, "files/a", 4000),
	    rec_block(&c, 0, 10)), "name length past the end");
	BAD((rec_member(&c, '0', 0, 512, 1, "", 0), rec_block(&c, 0, 10)),
	    "empty name");
	BAD((rec_member(&c, '0', 0, 512, 1, "files/a", 7),
	    rec_block(&c, 512, 10)), "first block not at 0");
	BAD((rec_member(&c, '0', 0, 512, 1, "files/a", 7),
	    rec_block(&c, 0, 10), rec_block(&c, 0, 20)), "blocks overlap");
	BAD((rec_member(&c, '0', 0, 512, 1, "files/a", 7),
	    rec_block(&c, 0, 100), rec_block(&c, 1024, 50)), "blocks go "
	    "backwards");
	BAD((rec_member(&c, '0', 0, 512, 1, "files/a", 7),
	    rec_block(&c, 0, 10), rec_block(&c, 1024, 4000)), "block past "
	    "the index");
	BAD((c.seg_tar = 64 << 20, rec_member(&c, '0', 0, 512, 1, "files/a",
	    7), rec_block(&c, 0, 10)), "a block of 64 MiB");
	BAD((rec_member(&c, '0', 0, 512, 1, "files/a", 7)), "no blocks");
	BAD((rec_member(&c, '0', 0, 512, 1, "files/a", 7),
	    rec_block(&c, 0, 10), cap_add(&c.raw, "xx", 2)), "bytes after "
	    "the block table");
	ok(n == 29, "%d hostile indexes", n);

	/* Every byte of a good segment flipped: decodes or fails, cleanly. */
	{
		struct capture seg = { 0 }, tar = { 0 }, z;
		unsigned char *data = text(300000, 3);
		struct seekidx_footer f;
		struct seekidx x;
		struct bk_err err;
		size_t toff, bad = 0, fine = 0;

		member(&tar, "files/a", 7, '0', data, 300000);
		member(&tar, "files/b", 7, '0', data, 1000);
		eoa(&tar);
		squeeze(&stage_gzip, 1, &tar, 65536, &z);
		toff = z.len > SEEKIDX_TAIL ? z.len - SEEKIDX_TAIL : 0;
		seekidx_find_footer(z.buf + toff, z.len - toff, &f);
		unpack(SEEKIDX_GZ, z.buf + f.seg_comp_off, z.len -
		    f.seg_comp_off, &seg);
		for (i = 0; i < seg.len; i++) {
			seg.buf[i] ^= 0x41;
			if (seekidx_find_footer(seg.buf, seg.len, &f) == 1 &&
			    seekidx_decode(&f, seg.buf, seg.len, z.len, &x,
			    &err) == 0) {
				seekidx_free(&x);
				fine++;
			} else
				bad++;
			seg.buf[i] ^= 0x41;
		}
		ok(bad > 0 && bad + fine == seg.len, "%zu flipped segments: "
		    "%zu refused, %zu still decode (padding)", seg.len, bad,
		    fine);
		free(seg.buf);
		free(tar.buf);
		free(z.buf);
		free(data);
	}
}

int
main(void)
{
	writer_cases();
	reader_cases();
	return tap_done();
}
