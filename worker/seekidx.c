/*
 * seekidx.c - the tail index: footer search and checked decode, for
 * restore --only (restore_seek.c); the writer is seekidx_w.c.  The format
 * is described in docs/restore.md ("Format: the tail index").
 *
 * Invariants: nothing read from the object is trusted.  The footer has
 * its own CRC; the index member's header, its size, the footer copy
 * inside it and the blob's CRC must all agree; the inflated size is capped
 * and must be exact; members must lie in order, without overlap, before
 * the segment; blocks must start at 0 and grow strictly in both offsets,
 * each at most SEEKIDX_BLOCK_MAX plain bytes.
 *
 * Threads: none of its own; a struct seekidx is read-only once decoded.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "err.h"
#include "seekidx.h"
#include "xmalloc.h"

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

void
seekidx_put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

void
seekidx_put32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

uint64_t
seekidx_pad512(uint64_t n)
{
	return (n + 511) & ~(uint64_t)511;
}

int
seekidx_tar_num(const unsigned char *p, size_t n, uint64_t *v)
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

bool
seekidx_tar_sum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned sum = 0;
	size_t i;

	if (seekidx_tar_num(h + 148, 8, &want) == -1)
		return false;
	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum == want;
}

static int
footer_parse(const unsigned char *p, struct seekidx_footer *f)
{
	if (memcmp(p, SEEKIDX_MAGIC, 8) != 0 || get32(p + 60) !=
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
		if (p[i] == SEEKIDX_MAGIC[0] && footer_parse(p + i, f) == 0)
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

	if (f->nmembers > rawlen / SEEKIDX_MEMBER_REC)
		return bad(err, "more members than it has bytes for");
	x->m = xcalloc((size_t)f->nmembers + 1, sizeof(*x->m));
	for (i = 0; i < f->nmembers; i++) {
		if (rawlen - p < SEEKIDX_MEMBER_REC)
			return bad(err, "a member record is cut short");
		m = &x->m[i];
		m->type = (char)raw[p];
		m->start = get64(raw + p + 1);
		data_off = get64(raw + p + 9);
		m->size = get64(raw + p + 17);
		n = get32(raw + p + 25);
		p += SEEKIDX_MEMBER_REC;
		if (n == 0 || n > rawlen - p)
			return bad(err, "a member name is out of bounds");
		if (m->start >= f->seg_tar_off || m->start < prev_end ||
		    data_off < m->start + 512 ||
		    data_off % 512 != 0 || m->start % 512 != 0 ||
		    data_off > f->seg_tar_off ||
		    m->size > f->seg_tar_off - data_off ||
		    seekidx_pad512(m->size) > f->seg_tar_off - data_off)
			return bad(err, "a member lies outside the archive or "
			    "overlaps another");
		m->end = data_off + seekidx_pad512(m->size);
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

	if ((uint64_t)f->nblocks * SEEKIDX_BLOCK_REC != rawlen - p)
		return bad(err, "its block table has the wrong size");
	if (f->nblocks == 0 && f->seg_tar_off > 0)
		return bad(err, "no blocks");
	x->b = xcalloc((size_t)f->nblocks + 1, sizeof(*x->b));
	for (i = 0; i < f->nblocks; i++, p += SEEKIDX_BLOCK_REC) {
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
	if (len < 512 || !seekidx_tar_sum_ok(h) || h[156] != '0' ||
	    memcmp(h, SEEKIDX_MEMBER, sizeof(SEEKIDX_MEMBER)) != 0 ||
	    seekidx_tar_num(h + 124, 12, &size) == -1) {
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
