/*
 * seekidx_w.c - the tail index's writer (seekidx_w.h): a tar scanner
 * that builds the member table as the stream passes, the block table, and
 * the index member.  The format is in docs/restore.md ("Format: the tail
 * index") and seekidx.c reads it.
 *
 * Invariants: bytes pass through feed() unchanged and in order; only the
 * end of archive (from the first all-zero header block on) is held, at
 * most HOLD_MAX bytes; anything the scanner cannot follow (a bad
 * checksum, an extension header over EXT_MAX, a stream that is no tar)
 * turns indexing off for good and releases what was held, so the archive
 * is then exactly what it would have been without an index.  Member
 * records are deflated as they come, so memory grows with the compressed
 * index (a few bytes per member), not with the archive.  Names are taken
 * as libarchive would (pax path, GNU long name, ustar prefix/name, up to
 * a NUL); no name, however long or odd, is parsed as anything else.
 *
 * Threads: a writer belongs to the compression stage's thread.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "err.h"
#include "seekidx_w.h"
#include "xmalloc.h"

#define HOLD_MAX	(64 * 1024)
#define EXT_MAX		(1024 * 1024)
#define BLOB_MAX	(512u << 20)

enum scan { SC_HDR, SC_DATA, SC_EXT, SC_EOF, SC_OFF };
struct seekidx_w {
	enum scan	 st;
	uint64_t	 off;		/* tar bytes scanned */
	uint64_t	 passed;	/* tar bytes let through */
	unsigned char	 hdr[512];
	size_t		 hlen;
	uint64_t	 left;		/* SC_DATA/SC_EXT: bytes to skip */
	uint64_t	 extsize;	/* SC_EXT: bytes to keep */
	char		 exttype;
	char		*ext;
	size_t		 extlen;
	char		*pax_path;	/* pending extension values */
	char		*gnu_name;
	bool		 pax_size_set;
	uint64_t	 pax_size;
	bool		 pending;	/* an extension header came first */
	uint64_t	 start;
	char		*held;
	size_t		 nheld;
	z_stream	 zs;
	bool		 zs_open;
	unsigned char	*blob;
	size_t		 bloblen, blobcap;
	uint64_t	 rawlen;
	uint64_t	 nmembers;
	struct seekidx_block *blocks;
	size_t		 nblocks, blockcap;
};



struct seekidx_w *
seekidx_w_new(void)
{
	struct seekidx_w *w = xcalloc(1, sizeof(*w));

	if (deflateInit(&w->zs, 6) == Z_OK)
		w->zs_open = true;
	else
		w->st = SC_OFF;
	return w;
}

/* Deflate into the blob; flush: Z_FINISH at the end. */
static int
zput(struct seekidx_w *w, const void *p, size_t n, int flush)
{
	int rc;

	w->zs.next_in = (Bytef *)(uintptr_t)p;
	w->zs.avail_in = (uInt)n;
	w->rawlen += n;
	do {
		if (w->blobcap - w->bloblen < 65536) {
			if (w->blobcap >= BLOB_MAX)
				return -1;
			w->blobcap = w->blobcap == 0 ? 262144 : w->blobcap * 2;
			w->blob = xrealloc(w->blob, w->blobcap);
		}
		w->zs.next_out = w->blob + w->bloblen;
		w->zs.avail_out = (uInt)(w->blobcap - w->bloblen);
		rc = deflate(&w->zs, flush);
		w->bloblen = w->blobcap - w->zs.avail_out;
		if (rc == Z_STREAM_ERROR)
			return -1;
	} while (w->zs.avail_in > 0 || (flush == Z_FINISH &&
	    rc != Z_STREAM_END));
	return 0;
}

static void
scan_off(struct seekidx_w *w)
{
	w->st = SC_OFF;
	free(w->ext);
	w->ext = NULL;
}

/* path= and size= of a pax extended header's records. */
static int
pax_parse(struct seekidx_w *w)
{
	const char *p = w->ext, *end = w->ext + w->extlen, *kv, *eq;
	uint64_t len, v;
	size_t i;

	while (p < end) {
		for (len = 0, i = 0; p + i < end && p[i] >= '0' && p[i] <= '9' &&
		    i < 8; i++)
			len = len * 10 + (uint64_t)(p[i] - '0');
		if (i == 0 || p + i >= end || p[i] != ' ' || len <= i + 1 ||
		    len > (uint64_t)(end - p) || p[len - 1] != '\n')
			return -1;
		kv = p + i + 1;
		if ((eq = memchr(kv, '=', (size_t)(p + len - 1 - kv))) == NULL)
			return -1;
		if (eq - kv == 4 && memcmp(kv, "path", 4) == 0) {
			free(w->pax_path);
			w->pax_path = xstrndup(eq + 1,
			    (size_t)(p + len - 1 - (eq + 1)));
		} else if (eq - kv == 4 && memcmp(kv, "size", 4) == 0) {
			for (v = 0, kv = eq + 1; kv < p + len - 1; kv++) {
				if (*kv < '0' || *kv > '9' || v >> 59)
					return -1;
				v = v * 10 + (uint64_t)(*kv - '0');
			}
			w->pax_size = v;
			w->pax_size_set = true;
		}
		p += len;
	}
	return 0;
}

/* One member record into the deflated table. */
static int
record(struct seekidx_w *w, char type, uint64_t data_off, uint64_t size)
{
	unsigned char rec[SEEKIDX_MEMBER_REC];
	char name[256 + 2];
	const char *nm;
	size_t n;

	if (w->pax_path != NULL)
		nm = w->pax_path;
	else if (w->gnu_name != NULL)
		nm = w->gnu_name;
	else {
		/* ustar: prefix "/" name, each NUL-padded. */
		name[0] = '\0';
		if (memcmp(w->hdr + 257, "ustar", 5) == 0 && w->hdr[345]) {
			n = strnlen((const char *)w->hdr + 345, 155);
			memcpy(name, w->hdr + 345, n);
			name[n++] = '/';
			name[n] = '\0';
		}
		n = strlen(name);
		memcpy(name + n, w->hdr, strnlen((const char *)w->hdr, 100));
		name[n + strnlen((const char *)w->hdr, 100)] = '\0';
		nm = name;
	}
	n = strlen(nm);
	rec[0] = (unsigned char)type;
	seekidx_put64(rec + 1, w->start);
	seekidx_put64(rec + 9, data_off);
	seekidx_put64(rec + 17, size);
	seekidx_put32(rec + 25, (uint32_t)n);
	if (zput(w, rec, sizeof(rec), Z_NO_FLUSH) == -1 ||
	    zput(w, nm, n, Z_NO_FLUSH) == -1)
		return -1;
	w->nmembers++;
	free(w->pax_path);
	free(w->gnu_name);
	w->pax_path = w->gnu_name = NULL;
	w->pax_size_set = false;
	w->pending = false;
	return 0;
}

/* A complete 512-byte header at w->off - 512. */
static int
header(struct seekidx_w *w)
{
	const unsigned char *h = w->hdr;
	uint64_t size, at = w->off - 512;
	char type;
	size_t i;

	for (i = 0; i < 512 && h[i] == 0; i++)
		;
	if (i == 512) {
		if (w->pending)
			return -1;
		w->st = SC_EOF;
		return 0;
	}
	if (!seekidx_tar_sum_ok(h) || seekidx_tar_num(h + 124, 12, &size) == -1)
		return -1;
	type = (char)h[156];
	if (!w->pending)
		w->start = at;
	switch (type) {
	case 'x':
	case 'L':
	case 'K':
	case 'g':
		if (size > EXT_MAX)
			return -1;
		w->st = SC_EXT;
		w->exttype = type;
		w->extsize = size;
		w->left = seekidx_pad512(size);
		w->ext = xrealloc(w->ext, size + 1);
		w->extlen = 0;
		if (type != 'g')
			w->pending = true;
		return 0;
	default:
		if (w->pax_size_set)
			size = w->pax_size;
		/* Links, folders and devices have no data, whatever the
		 * header says (GNU tar's rule for hard links too). */
		if (type == '1' || type == '2' || type == '5' || type == '3' ||
		    type == '4' || type == '6')
			size = type == '1' && w->pax_size_set ? size : 0;
		if (record(w, type, w->off, size) == -1)
			return -1;
		w->left = seekidx_pad512(size);
		w->st = w->left > 0 ? SC_DATA : SC_HDR;
		return 0;
	}
}

static int
ext_done(struct seekidx_w *w)
{
	w->ext[w->extlen] = '\0';
	w->st = SC_HDR;
	switch (w->exttype) {
	case 'x':
		return pax_parse(w);
	case 'L':
		free(w->gnu_name);
		w->gnu_name = xstrndup(w->ext, strnlen(w->ext, w->extlen));
		return 0;
	default:
		return 0;
	}
}

static int
pass(struct seekidx_w *w, const void *p, size_t n, seekidx_out_fn *out,
    void *arg, struct bk_err *err)
{
	w->passed += n;
	return n > 0 ? out(arg, p, n, err) : 0;
}

/*
 * Headers are collected before they go on: a header is let through once
 * it is known not to be the end of archive, so the held end of archive
 * always starts at a header boundary, whatever the feeds' sizes.
 */
int
seekidx_w_feed(struct seekidx_w *w, const void *data, size_t len,
    seekidx_out_fn *out, void *arg, struct bk_err *err)
{
	const unsigned char *p = data;
	size_t take, keep;
	int rc;

	while (len > 0) {
		switch (w->st) {
		case SC_OFF:
			return pass(w, p, len, out, arg, err);
		case SC_EOF:
			if (w->nheld + len > HOLD_MAX) {
				if (seekidx_w_release(w, out, arg, err) == -1)
					return -1;
				return pass(w, p, len, out, arg, err);
			}
			w->held = xrealloc(w->held, w->nheld + len + 1);
			memcpy(w->held + w->nheld, p, len);
			w->nheld += len;
			return 0;
		case SC_HDR:
			take = 512 - w->hlen < len ? 512 - w->hlen : len;
			memcpy(w->hdr + w->hlen, p, take);
			w->hlen += take;
			w->off += take;
			p += take;
			len -= take;
			if (w->hlen < 512)
				return 0;
			w->hlen = 0;
			if ((rc = header(w)) == -1)
				scan_off(w);
			if (w->st == SC_EOF) {
				w->held = xmalloc(512 + 1);
				memcpy(w->held, w->hdr, 512);
				w->nheld = 512;
			} else if (pass(w, w->hdr, 512, out, arg, err) == -1)
				return -1;
			break;
		case SC_DATA:
		case SC_EXT:
			take = w->left < len ? (size_t)w->left : len;
			if (w->st == SC_EXT && w->extlen < w->extsize) {
				keep = w->extsize - w->extlen < take ?
				    (size_t)(w->extsize - w->extlen) : take;
				memcpy(w->ext + w->extlen, p, keep);
				w->extlen += keep;
			}
			w->off += take;
			w->left -= take;
			if (pass(w, p, take, out, arg, err) == -1)
				return -1;
			p += take;
			len -= take;
			if (w->left == 0 && w->st == SC_EXT &&
			    ext_done(w) == -1)
				scan_off(w);
			else if (w->left == 0 && w->st == SC_DATA)
				w->st = SC_HDR;
			break;
		}
	}
	return 0;
}

void
seekidx_w_block(struct seekidx_w *w, uint64_t tar_off, uint64_t comp_off,
    uint32_t crc)
{
	if (w->nblocks == w->blockcap) {
		w->blockcap = w->blockcap == 0 ? 256 : w->blockcap * 2;
		w->blocks = xreallocarray(w->blocks, w->blockcap,
		    sizeof(*w->blocks));
	}
	w->blocks[w->nblocks].tar_off = tar_off;
	w->blocks[w->nblocks].comp_off = comp_off;
	w->blocks[w->nblocks].crc = crc;
	w->nblocks++;
}

bool
seekidx_w_ready(const struct seekidx_w *w)
{
	return w->st == SC_EOF && w->nheld >= 512;
}

int
seekidx_w_release(struct seekidx_w *w, seekidx_out_fn *out, void *arg,
    struct bk_err *err)
{
	size_t n = w->nheld, h = w->hlen;

	scan_off(w);
	w->nheld = 0;
	w->hlen = 0;
	if (pass(w, w->hdr, h, out, arg, err) == -1)
		return -1;
	return pass(w, w->held, n, out, arg, err);
}

uint64_t
seekidx_w_tar_off(const struct seekidx_w *w)
{
	return w->passed;
}

static void
octal(unsigned char *p, size_t n, uint64_t v)
{
	size_t i;

	memset(p, '0', n - 1);
	p[n - 1] = '\0';
	for (i = n - 1; i > 0 && v > 0; i--, v >>= 3)
		p[i - 1] = (unsigned char)('0' + (v & 7));
}

int
seekidx_w_segment(struct seekidx_w *w, enum seekidx_codec codec,
    uint64_t seg_comp_off, char **segp, size_t *lenp, struct bk_err *err)
{
	unsigned char rec[SEEKIDX_BLOCK_REC], *h, *f;
	uint64_t size, off;
	unsigned sum = 0;
	size_t i, len;
	char *seg;

	if (!seekidx_w_ready(w))
		return bk_err_set(err, BK_EFAIL, "index: no end of archive");
	for (i = 0; i < w->nblocks; i++) {
		seekidx_put64(rec, w->blocks[i].tar_off);
		seekidx_put64(rec + 8, w->blocks[i].comp_off);
		seekidx_put32(rec + 16, w->blocks[i].crc);
		if (zput(w, rec, sizeof(rec), Z_NO_FLUSH) == -1)
			return bk_err_set(err, BK_EFAIL, "index: too large");
	}
	if (zput(w, "", 0, Z_FINISH) == -1)
		return bk_err_set(err, BK_EFAIL, "index: too large");
	size = w->bloblen + SEEKIDX_FOOTER;
	len = 512 + (size_t)seekidx_pad512(size) + w->nheld;
	seg = xcalloc(1, len);
	h = (unsigned char *)seg;
	memcpy(h, SEEKIDX_MEMBER, sizeof(SEEKIDX_MEMBER) - 1);
	octal(h + 100, 8, 0600);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size);
	octal(h + 136, 12, (uint64_t)time(NULL));
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	octal(h + 148, 7, sum);
	h[155] = ' ';
	memcpy(seg + 512, w->blob, w->bloblen);
	f = (unsigned char *)seg + 512 + w->bloblen;
	memcpy(f, SEEKIDX_MAGIC, 8);
	f[8] = (unsigned char)codec;
	seekidx_put32(f + 12, (uint32_t)w->nblocks);
	seekidx_put64(f + 16, w->nmembers);
	seekidx_put64(f + 24, seg_comp_off);
	seekidx_put64(f + 32, w->passed);
	seekidx_put64(f + 40, w->bloblen);
	seekidx_put64(f + 48, w->rawlen);
	seekidx_put32(f + 56, (uint32_t)crc32(0, w->blob, (uInt)w->bloblen));
	seekidx_put32(f + 60, (uint32_t)crc32(0, f, 60));
	off = 512 + seekidx_pad512(size);
	memcpy(seg + off, w->held, w->nheld);
	*segp = seg;
	*lenp = len;
	return 0;
}

void
seekidx_w_free(struct seekidx_w *w)
{
	if (w == NULL)
		return;
	if (w->zs_open)
		deflateEnd(&w->zs);
	free(w->ext);
	free(w->pax_path);
	free(w->gnu_name);
	free(w->held);
	free(w->blob);
	free(w->blocks);
	free(w);
}
