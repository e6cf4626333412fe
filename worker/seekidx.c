/*
 * seekidx.c - the tail index: writer (tar scanner, block table, the index
 * member) and reader (footer search, checked decode).  The format is
 * described in docs/restore.md ("Format: the tail index").
 *
 * Writer invariants: bytes pass through feed() unchanged and in order;
 * only the end of archive (from the first all-zero header block on) is
 * held, at most HOLD_MAX bytes; anything the scanner cannot follow (a bad
 * checksum, an extension header over EXT_MAX, a stream that is no tar)
 * turns indexing off for good and releases what was held, so the archive
 * is then exactly what it would have been without an index.  Member
 * records are deflated as they come, so memory grows with the compressed
 * index (a few bytes per member), not with the archive.
 *
 * Reader invariants: nothing read from the object is trusted.  The footer
 * has its own CRC; the index member's header, its size, the footer copy
 * inside it and the blob's CRC must all agree; the inflated size is capped
 * and must be exact; members must lie in order, without overlap, before
 * the segment; blocks must start at 0 and grow strictly in both offsets,
 * each at most SEEKIDX_BLOCK_MAX plain bytes.
 *
 * Threads: a writer belongs to the compression stage's thread.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "err.h"
#include "seekidx.h"
#include "xmalloc.h"

#define MAGIC		"PBSEEK1\n"
#define HOLD_MAX	(64 * 1024)
#define EXT_MAX		(1024 * 1024)
#define BLOB_MAX	(512u << 20)
#define MEMBER_REC	29		/* fixed part of a member record */
#define BLOCK_REC	20

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

static void
put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
pad512(uint64_t n)
{
	return (n + 511) & ~(uint64_t)511;
}

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

/* An octal or base-256 numeric field. -1 if it is neither. */
static int
tar_num(const unsigned char *p, size_t n, uint64_t *v)
{
	size_t i = 0;

	*v = 0;
	if (p[0] & 0x80) {
		if (p[0] != 0x80)
			return -1;	/* negative or over 2^88 */
		for (i = 1; i < n; i++) {
			if (*v >> 56)
				return -1;
			*v = *v << 8 | p[i];
		}
		return 0;
	}
	while (i < n && p[i] == ' ')
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (*v >> 60)
			return -1;
		*v = *v << 3 | (uint64_t)(p[i] - '0');
	}
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\0')
			return -1;
	return 0;
}

static bool
hdr_sum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned sum = 0;
	size_t i;

	if (tar_num(h + 148, 8, &want) == -1)
		return false;
	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum == want;
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
	unsigned char rec[MEMBER_REC];
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
	put64(rec + 1, w->start);
	put64(rec + 9, data_off);
	put64(rec + 17, size);
	put32(rec + 25, (uint32_t)n);
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
	if (!hdr_sum_ok(h) || tar_num(h + 124, 12, &size) == -1)
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
		w->left = pad512(size);
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
		w->left = pad512(size);
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
	unsigned char rec[BLOCK_REC], *h, *f;
	uint64_t size, off;
	unsigned sum = 0;
	size_t i, len;
	char *seg;

	if (!seekidx_w_ready(w))
		return bk_err_set(err, BK_EFAIL, "index: no end of archive");
	for (i = 0; i < w->nblocks; i++) {
		put64(rec, w->blocks[i].tar_off);
		put64(rec + 8, w->blocks[i].comp_off);
		put32(rec + 16, w->blocks[i].crc);
		if (zput(w, rec, sizeof(rec), Z_NO_FLUSH) == -1)
			return bk_err_set(err, BK_EFAIL, "index: too large");
	}
	if (zput(w, "", 0, Z_FINISH) == -1)
		return bk_err_set(err, BK_EFAIL, "index: too large");
	size = w->bloblen + SEEKIDX_FOOTER;
	len = 512 + (size_t)pad512(size) + w->nheld;
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
	memcpy(f, MAGIC, 8);
	f[8] = (unsigned char)codec;
	put32(f + 12, (uint32_t)w->nblocks);
	put64(f + 16, w->nmembers);
	put64(f + 24, seg_comp_off);
	put64(f + 32, w->passed);
	put64(f + 40, w->bloblen);
	put64(f + 48, w->rawlen);
	put32(f + 56, (uint32_t)crc32(0, w->blob, (uInt)w->bloblen));
	put32(f + 60, (uint32_t)crc32(0, f, 60));
	off = 512 + pad512(size);
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

/* ---- reader ---- */

static int
footer_parse(const unsigned char *p, struct seekidx_footer *f)
{
	if (memcmp(p, MAGIC, 8) != 0 || get32(p + 60) !=
	    (uint32_t)crc32(0, p, 60) || (p[8] != SEEKIDX_GZ &&
	    p[8] != SEEKIDX_ZST) || p[9] != 0 || p[10] != 0 || p[11] != 0)
		return -1;
	memset(f, 0, sizeof(*f));
	f->codec = (enum seekidx_codec)p[8];
	f->nblocks = get32(p + 12);
	f->nmembers = get64(p + 16);
	f->seg_comp_off = get64(p + 24);
	f->seg_tar_off = get64(p + 32);
	f->blob_len = get64(p + 40);
	f->raw_len = get64(p + 48);
	f->blob_crc = get32(p + 56);
	memcpy(f->raw, p, SEEKIDX_FOOTER);
	return 0;
}

int
seekidx_find_footer(const void *tail, size_t len, struct seekidx_footer *f)
{
	const unsigned char *p = tail;
	size_t i;

	if (len < SEEKIDX_FOOTER)
		return 0;
	for (i = len - SEEKIDX_FOOTER + 1; i-- > 0;)
		if (p[i] == MAGIC[0] && footer_parse(p + i, f) == 0)
			return 1;
	return 0;
}

static int
bad(struct bk_err *err, const char *what)
{
	return bk_err_set(err, BK_ECORRUPT, "index: %s", what);
}

static int
inflate_blob(const unsigned char *blob, size_t len, unsigned char *raw,
    size_t rawlen)
{
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)(uintptr_t)blob;
	zs.avail_in = (uInt)len;
	zs.next_out = raw;
	zs.avail_out = (uInt)rawlen;
	rc = inflate(&zs, Z_FINISH);
	rc = rc == Z_STREAM_END && zs.avail_out == 0 && zs.avail_in == 0 ?
	    0 : -1;
	inflateEnd(&zs);
	return rc;
}

static int
parse_members(struct seekidx *x, const unsigned char *raw, size_t rawlen,
    size_t *pos, struct bk_err *err)
{
	const struct seekidx_footer *f = &x->f;
	struct seekidx_member *m;
	uint64_t prev_end = 0, data_off;
	size_t i, p = *pos;
	uint32_t n;

	if (f->nmembers > rawlen / MEMBER_REC)
		return bad(err, "more members than it has bytes for");
	x->m = xcalloc((size_t)f->nmembers + 1, sizeof(*x->m));
	for (i = 0; i < f->nmembers; i++) {
		if (rawlen - p < MEMBER_REC)
			return bad(err, "a member record is cut short");
		m = &x->m[i];
		m->type = (char)raw[p];
		m->start = get64(raw + p + 1);
		data_off = get64(raw + p + 9);
		m->size = get64(raw + p + 17);
		n = get32(raw + p + 25);
		p += MEMBER_REC;
		if (n == 0 || n > rawlen - p)
			return bad(err, "a member name is out of bounds");
		if (m->start >= f->seg_tar_off || m->start < prev_end ||
		    data_off < m->start + 512 ||
		    data_off % 512 != 0 || m->start % 512 != 0 ||
		    data_off > f->seg_tar_off ||
		    m->size > f->seg_tar_off - data_off ||
		    pad512(m->size) > f->seg_tar_off - data_off)
			return bad(err, "a member lies outside the archive or "
			    "overlaps another");
		m->end = data_off + pad512(m->size);
		m->name = xmalloc((size_t)n + 1);
		memcpy(m->name, raw + p, n);
		m->name[n] = '\0';
		m->namelen = n;
		p += n;
		prev_end = m->end;
		x->nm++;
	}
	*pos = p;
	return 0;
}

static int
parse_blocks(struct seekidx *x, const unsigned char *raw, size_t rawlen,
    size_t p, uint64_t obj_len, struct bk_err *err)
{
	const struct seekidx_footer *f = &x->f;
	struct seekidx_block *b;
	size_t i;

	if ((uint64_t)f->nblocks * BLOCK_REC != rawlen - p)
		return bad(err, "its block table has the wrong size");
	if (f->nblocks == 0 && f->seg_tar_off > 0)
		return bad(err, "no blocks");
	x->b = xcalloc((size_t)f->nblocks + 1, sizeof(*x->b));
	for (i = 0; i < f->nblocks; i++, p += BLOCK_REC) {
		b = &x->b[i];
		b->tar_off = get64(raw + p);
		b->comp_off = get64(raw + p + 8);
		b->crc = get32(raw + p + 16);
		if (i == 0 ? b->tar_off != 0 : (b->tar_off <= b[-1].tar_off ||
		    b->comp_off <= b[-1].comp_off ||
		    b->tar_off - b[-1].tar_off > SEEKIDX_BLOCK_MAX ||
		    b->comp_off - b[-1].comp_off > 2 * SEEKIDX_BLOCK_MAX))
			return bad(err, "its blocks overlap, go backwards or "
			    "are too large");
		if (b->tar_off >= f->seg_tar_off ||
		    b->comp_off >= f->seg_comp_off)
			return bad(err, "a block lies past the index");
		x->nb++;
	}
	if (x->nb > 0 && (f->seg_tar_off - x->b[x->nb - 1].tar_off >
	    SEEKIDX_BLOCK_MAX || f->seg_comp_off - x->b[x->nb - 1].comp_off >
	    2 * SEEKIDX_BLOCK_MAX))
		return bad(err, "its last block is too large");
	if (f->seg_comp_off >= obj_len)
		return bad(err, "it points past the end of the object");
	return 0;
}

int
seekidx_decode(const struct seekidx_footer *f, const void *plain,
    size_t len, uint64_t obj_len, struct seekidx *x, struct bk_err *err)
{
	const unsigned char *h = plain;
	unsigned char *raw = NULL;
	uint64_t size;
	size_t pos = 0;
	int rc = -1;

	memset(x, 0, sizeof(*x));
	x->f = *f;
	if (len < 512 || !hdr_sum_ok(h) || h[156] != '0' ||
	    memcmp(h, SEEKIDX_MEMBER, sizeof(SEEKIDX_MEMBER)) != 0 ||
	    tar_num(h + 124, 12, &size) == -1) {
		bad(err, "the segment does not start with " SEEKIDX_MEMBER);
		goto out;
	}
	if (f->blob_len > SEEKIDX_SEG_MAX || size != f->blob_len +
	    SEEKIDX_FOOTER || size > len - 512) {
		bad(err, "its member's size disagrees with the footer");
		goto out;
	}
	if (memcmp(h + 512 + f->blob_len, f->raw, SEEKIDX_FOOTER) != 0) {
		bad(err, "the footer in the tail is not the member's");
		goto out;
	}
	if ((uint32_t)crc32(0, h + 512, (uInt)f->blob_len) != f->blob_crc) {
		bad(err, "CRC mismatch (damaged)");
		goto out;
	}
	if (f->raw_len == 0 || f->raw_len > SEEKIDX_RAW_MAX) {
		bad(err, "its inflated size is out of bounds");
		goto out;
	}
	raw = xmalloc((size_t)f->raw_len);
	if (inflate_blob(h + 512, (size_t)f->blob_len, raw,
	    (size_t)f->raw_len) == -1) {
		bad(err, "it does not inflate to the size it claims");
		goto out;
	}
	if (parse_members(x, raw, (size_t)f->raw_len, &pos, err) == -1 ||
	    parse_blocks(x, raw, (size_t)f->raw_len, pos, obj_len, err) == -1)
		goto out;
	rc = 0;
out:
	free(raw);
	if (rc == -1)
		seekidx_free(x);
	return rc;
}

bool
seekidx_match(const struct seekidx_member *m, const char *path)
{
	const char *nm = m->name;
	size_t n = strlen(path), k;

	if (strlen(nm) != m->namelen)
		return false;	/* a NUL inside: no PATH can be that */
	while (strncmp(nm, "./", 2) == 0)
		nm += 2;
	while (strncmp(path, "./", 2) == 0) {
		path += 2;
		n -= 2;
	}
	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return false;
	k = strlen(nm);
	if (strncmp(nm, path, n) != 0)
		return false;
	return k == n || nm[n] == '/';
}

size_t
seekidx_block_at(const struct seekidx *x, uint64_t off)
{
	size_t lo = 0, hi = x->nb, mid;

	if (x->nb == 0 || off >= x->f.seg_tar_off)
		return x->nb;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (x->b[mid].tar_off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

uint64_t
seekidx_block_tar_end(const struct seekidx *x, size_t i)
{
	return i + 1 < x->nb ? x->b[i + 1].tar_off : x->f.seg_tar_off;
}

uint64_t
seekidx_block_comp_end(const struct seekidx *x, size_t i)
{
	return i + 1 < x->nb ? x->b[i + 1].comp_off : x->f.seg_comp_off;
}

void
seekidx_free(struct seekidx *x)
{
	size_t i;

	for (i = 0; i < x->nm; i++)
		free(x->m[i].name);
	free(x->m);
	free(x->b);
	memset(x, 0, sizeof(*x));
}
