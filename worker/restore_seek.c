/*
 * restore_seek.c - restore --only by ranges (see restore_seek.h).
 *
 * Steps: (1) the plain compressed stream: the object itself, or for age
 * its payload, opened from a ranged GET of the header and read chunk by
 * chunk (crypt_age_seek.c); gpg cannot be read that way and says so.
 * (2) A ranged GET of the stream's last SEEKIDX_TAIL bytes; the footer
 * there says where the index segment starts; that segment is fetched,
 * decompressed from its block start and decoded, every field checked
 * (seekidx.c).  Anything wrong so far is a fallback to the whole
 * download, with a note.  (3) The members matching each PATH give tar
 * ranges, the ranges give runs of consecutive blocks; each run is one
 * ranged GET, decoded block by block as it streams in (memory: one block
 * and one age chunk), each block checked (gzip: the index's CRC-32 and
 * the exact length; zstd: the frame's own checksum and content size), and
 * the members' bytes go to the extraction process, then an end of
 * archive.  The extraction process filters by PATH again, so an index
 * that lies about a member cannot make it write anything --only did not
 * ask for.  A chain is one such stream per archive, full first, each with
 * the archive's .panel-backup/chain and .panel-backup/paths too, into the
 * extraction process started for the chain: it applies them as for a
 * whole download (restore.c), and the caller checks each record.
 *
 * Threads: the caller's only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "buf.h"
#include "catalog.h"
#include "crypt.h"
#include "crypt_age.h"
#include "err.h"
#include "extract.h"
#include "restore.h"
#include "restore_seek.h"
#include "seekidx.h"
#include "storage.h"
#include "xmalloc.h"

#define AGE_HEAD	(64 * 1024)

/* The plain compressed stream, however it is stored. */
struct src {
	struct storage		*st;
	const char		*name;
	uint64_t		 obj_size;
	uint64_t		 size;		/* of the plain stream */
	struct age_seek		*age;
	uint64_t		 downloaded;
};

struct collect {
	struct src	*s;
	struct buf	*b;
};

static int
collect_sink(const void *p, size_t n, void *arg, struct bk_err *err)
{
	struct collect *c = arg;

	c->s->downloaded += n;
	if (buf_append(c->b, p, n) == -1)
		return bk_err_set(err, BK_ECORRUPT, "the destination sent more "
		    "than was asked for");
	return 0;
}

/* Object bytes [off, off + len) into b. */
static int
obj_read(struct src *s, uint64_t off, uint64_t len, struct buf *b,
    struct bk_err *err)
{
	struct collect c = { s, b };

	buf_init(b, (size_t)len + 1);
	if (storage_download_range(s->st, s->name, off, len, collect_sink, &c,
	    err) == -1)
		return -1;
	if (b->len != len)
		return bk_err_set(err, BK_ECORRUPT, "the destination sent %zu "
		    "of %llu bytes asked for", b->len,
		    (unsigned long long)len);
	return 0;
}

/* Plain stream bytes [off, off + len) into *out (xmalloc'd). */
static int
src_read(struct src *s, uint64_t off, uint64_t len, char **out,
    struct bk_err *err)
{
	uint64_t first, coff, clen;
	struct buf b;
	char *plain;
	size_t n;

	*out = NULL;
	if (off > s->size || len > s->size - off)
		return bk_err_set(err, BK_ECORRUPT, "index: a range past the "
		    "end");
	if (s->age == NULL) {
		if (obj_read(s, off, len, &b, err) == -1) {
			buf_free(&b);
			return -1;
		}
		*out = buf_take(&b);
		return 0;
	}
	age_seek_range(s->age, off, len, &first, &coff, &clen);
	if (obj_read(s, coff, clen, &b, err) == -1) {
		buf_free(&b);
		return -1;
	}
	plain = xmalloc(b.len + 1);
	if (age_seek_decrypt(s->age, first, b.data, b.len, plain, &n,
	    err) == -1) {
		buf_free(&b);
		free(plain);
		return -1;
	}
	buf_free(&b);
	if (off - first * AGE_CHUNK > n || len > n - (off - first * AGE_CHUNK)) {
		free(plain);
		return bk_err_set(err, BK_ECORRUPT, "age: fewer plaintext "
		    "bytes than the file's size promised");
	}
	memmove(plain, plain + (off - first * AGE_CHUNK), (size_t)len);
	*out = plain;
	return 0;
}

/* The index segment (compressed, at seg[0..len)) decompressed. */
static int
seg_plain(enum seekidx_codec codec, const char *seg, size_t len,
    struct buf *out, struct bk_err *err)
{
	char tmp[65536];
	ZSTD_inBuffer zi = { seg, len, 0 };
	ZSTD_outBuffer zo;
	ZSTD_DCtx *d;
	z_stream zs;
	size_t r;
	int rc = -1, zr;

	buf_init(out, SEEKIDX_SEG_MAX + 65536);
	if (codec == SEEKIDX_GZ) {
		memset(&zs, 0, sizeof(zs));
		if (inflateInit2(&zs, -15) != Z_OK)
			return bk_err_set(err, BK_EFAIL, "inflate: no memory");
		zs.next_in = (Bytef *)(uintptr_t)seg;
		zs.avail_in = (uInt)len;
		do {
			zs.next_out = (Bytef *)tmp;
			zs.avail_out = sizeof(tmp);
			zr = inflate(&zs, Z_NO_FLUSH);
			if (buf_append(out, tmp, sizeof(tmp) - zs.avail_out) ==
			    -1)
				zr = Z_DATA_ERROR;
		} while (zr == Z_OK);
		inflateEnd(&zs);
		if (zr != Z_STREAM_END)
			return bk_err_set(err, BK_ECORRUPT, "index: its segment "
			    "does not inflate");
		return 0;
	}
	if ((d = ZSTD_createDCtx()) == NULL)
		return bk_err_set(err, BK_EFAIL, "zstd: no memory");
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 23);
	while (zi.pos < zi.size) {
		zo.dst = tmp;
		zo.size = sizeof(tmp);
		zo.pos = 0;
		r = ZSTD_decompressStream(d, &zo, &zi);
		if (ZSTD_isError(r) || buf_append(out, tmp, zo.pos) == -1) {
			bk_err_set(err, BK_ECORRUPT, "index: its segment does "
			    "not decompress");
			goto out;
		}
		if (r == 0)
			break;
	}
	rc = 0;
out:
	ZSTD_freeDCtx(d);
	return rc;
}

static enum seekidx_codec
codec_of(const char *name)
{
	if (strstr(name, ".tar.gz") != NULL || strstr(name, ".tgz") != NULL)
		return SEEKIDX_GZ;
	if (strstr(name, ".tar.zst") != NULL)
		return SEEKIDX_ZST;
	return 0;
}

static void
note(struct restore_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct restore_result *res, const char *fmt, ...)
{
	va_list ap;

	free(res->note);
	va_start(ap, fmt);
	if (vasprintf(&res->note, fmt, ap) == -1)
		res->note = NULL;
	va_end(ap);
}

/*
 * Open the plain stream and the index.  1: fall back (note set when it
 * is worth saying), 0: *x decoded, -1: err.
 */
static int
open_index(struct src *s, const struct crypt_keys *keys,
    struct restore_result *res, struct seekidx *x, struct bk_err *err)
{
	struct seekidx_footer f;
	uint64_t tail_off, want;
	char *tail = NULL, *seg = NULL;
	struct buf head, plain;
	struct bk_err e;
	int rc = 1, r;

	buf_init(&plain, 1);
	if (crypt_scheme_of_name(s->name) == CRYPT_AGE) {
		/* A header is a few hundred bytes; a larger one (many
		 * recipients) gets a second look. */
		for (want = AGE_HEAD / 16;; want = AGE_HEAD) {
			if (obj_read(s, 0, s->obj_size < want ? s->obj_size :
			    want, &head, err) == -1) {
				buf_free(&head);
				return -1;
			}
			r = age_seek_open(crypt_keys_age(keys), head.data,
			    head.len, s->obj_size, &s->age, err);
			buf_free(&head);
			if (r != 0 || want == AGE_HEAD || s->obj_size <= want)
				break;
		}
		if (r <= 0)
			return r == 0 ? 1 : -1;
		s->size = age_seek_plain_size(s->age);
	} else
		s->size = s->obj_size;
	tail_off = s->size > SEEKIDX_TAIL ? s->size - SEEKIDX_TAIL : 0;
	if (src_read(s, tail_off, s->size - tail_off, &tail, err) == -1)
		goto out_err;
	if (seekidx_find_footer(tail, (size_t)(s->size - tail_off), &f) == 0)
		goto out;	/* no index: an older archive, or not ours */
	if (f.codec != codec_of(s->name) || f.seg_comp_off >= s->size ||
	    s->size - f.seg_comp_off > SEEKIDX_SEG_MAX) {
		note(res, "the archive's index points outside it; downloading "
		    "the whole backup");
		goto out;
	}
	if (f.seg_comp_off >= tail_off) {
		seg = xmalloc((size_t)(s->size - f.seg_comp_off) + 1);
		memcpy(seg, tail + (f.seg_comp_off - tail_off),
		    (size_t)(s->size - f.seg_comp_off));
	} else if (src_read(s, f.seg_comp_off, s->size - f.seg_comp_off, &seg,
	    err) == -1)
		goto out_err;
	if (seg_plain(f.codec, seg, (size_t)(s->size - f.seg_comp_off),
	    &plain, &e) == -1 || seekidx_decode(&f, plain.data, plain.len,
	    s->size, x, &e) == -1) {
		note(res, "%s; downloading the whole backup", e.msg);
		goto out;
	}
	rc = 0;
	goto out;
out_err:
	rc = -1;
out:
	free(tail);
	free(seg);
	buf_free(&plain);
	return rc;
}

/* What to extract: the tar ranges of the matching members, in order. */
struct range {
	uint64_t	 a, b;
};

struct plan {
	struct range	*r;
	size_t		 nr;
	size_t		 cur;		/* first range not yet written */
	size_t		 nblocks;	/* blocks to fetch */
};

/* A chain's archive brings its record and path list along: the
 * extraction process checks and applies them as for a whole download. */
static bool
chain_member(const struct seekidx_member *m)
{
	return strcmp(m->name, ".panel-backup/chain") == 0 ||
	    strcmp(m->name, ".panel-backup/paths") == 0;
}

static void
plan_make(const struct seekidx *x, const struct restore_opts *o,
    bool chain, struct plan *p)
{
	size_t i, j, last = (size_t)-1, b0, b1;

	memset(p, 0, sizeof(*p));
	p->r = xcalloc(x->nm + 1, sizeof(*p->r));
	for (i = 0; i < x->nm; i++) {
		for (j = 0; j < o->nonly; j++)
			if (seekidx_match(&x->m[i], o->only[j]))
				break;
		if (j == o->nonly && !(chain && chain_member(&x->m[i])))
			continue;
		p->r[p->nr].a = x->m[i].start;
		p->r[p->nr].b = x->m[i].end;
		p->nr++;
		b0 = seekidx_block_at(x, x->m[i].start);
		b1 = seekidx_block_at(x, x->m[i].end - 1);
		if (b0 == last)
			b0++;
		if (b1 >= b0 && b1 < x->nb) {
			p->nblocks += b1 - b0 + 1;
			last = b1;
		}
	}
}

/* Streams one run of blocks through: age chunks, then blocks. */
struct run {
	struct src		*s;
	const struct seekidx	*x;
	struct plan		*p;
	struct extract		*ex;
	size_t			 blk, end;	/* blocks [blk, end) */
	uint64_t		 skip;		/* plain bytes before blk's */
	char			*cbuf;		/* age: ciphertext chunk */
	size_t			 clen;
	uint64_t		 chunk;		/* age: the next chunk */
	char			*cmp;		/* the block's compressed bytes */
	size_t			 cmplen;
	char			*out;		/* its plain bytes */
	z_stream		 zs;
	ZSTD_DCtx		*zd;
};

/* Decode block r->blk (complete in r->cmp) and write what is wanted. */
static int
run_block(struct run *r, struct bk_err *err)
{
	const struct seekidx *x = r->x;
	const struct seekidx_block *b = &x->b[r->blk];
	uint64_t t0 = b->tar_off, t1 = seekidx_block_tar_end(x, r->blk), a, e;
	size_t want = (size_t)(t1 - t0), got;
	struct plan *p = r->p;
	int zr;

	if (x->f.codec == SEEKIDX_GZ) {
		inflateReset(&r->zs);
		r->zs.next_in = (Bytef *)r->cmp;
		r->zs.avail_in = (uInt)r->cmplen;
		r->zs.next_out = (Bytef *)r->out;
		r->zs.avail_out = (uInt)want;
		zr = inflate(&r->zs, Z_SYNC_FLUSH);
		if ((zr != Z_OK && zr != Z_BUF_ERROR) || r->zs.avail_in != 0 ||
		    r->zs.avail_out != 0 || (uint32_t)crc32(0,
		    (Bytef *)r->out, (uInt)want) != b->crc)
			return bk_err_set(err, BK_ECORRUPT, "gzip layer: block "
			    "%zu does not match the index (damaged)", r->blk);
	} else {
		got = ZSTD_decompressDCtx(r->zd, r->out, want, r->cmp,
		    r->cmplen);
		if (ZSTD_isError(got) || got != want ||
		    ZSTD_findFrameCompressedSize(r->cmp, r->cmplen) !=
		    r->cmplen)
			return bk_err_set(err, BK_ECORRUPT, "zstd layer: frame "
			    "%zu does not match the index (%s)", r->blk,
			    ZSTD_isError(got) ? ZSTD_getErrorName(got) :
			    "wrong size");
	}
	while (p->cur < p->nr && p->r[p->cur].a < t1) {
		a = p->r[p->cur].a > t0 ? p->r[p->cur].a : t0;
		e = p->r[p->cur].b < t1 ? p->r[p->cur].b : t1;
		if (e > a && extract_write(r->ex, r->out + (a - t0),
		    (size_t)(e - a), err) == -1)
			return -1;
		if (p->r[p->cur].b > t1)
			break;
		p->cur++;
	}
	return 0;
}

/* Plain stream bytes of the run, in order. */
static int
run_plain(struct run *r, const char *p, size_t n, struct bk_err *err)
{
	size_t need, take;

	if (r->skip > 0) {
		take = r->skip < n ? (size_t)r->skip : n;
		r->skip -= take;
		p += take;
		n -= take;
	}
	while (n > 0 && r->blk < r->end) {
		need = (size_t)(seekidx_block_comp_end(r->x, r->blk) -
		    r->x->b[r->blk].comp_off);
		take = need - r->cmplen < n ? need - r->cmplen : n;
		memcpy(r->cmp + r->cmplen, p, take);
		r->cmplen += take;
		p += take;
		n -= take;
		if (r->cmplen < need)
			break;
		if (run_block(r, err) == -1)
			return -1;
		r->cmplen = 0;
		r->blk++;
	}
	return 0;
}

static int
run_age_chunk(struct run *r, struct bk_err *err)
{
	char plain[AGE_CHUNK_CT];
	size_t n;

	if (age_seek_decrypt(r->s->age, r->chunk, r->cbuf, r->clen, plain, &n,
	    err) == -1)
		return -1;
	r->chunk++;
	r->clen = 0;
	return run_plain(r, plain, n, err);
}

static int
run_sink(const void *data, size_t n, void *arg, struct bk_err *err)
{
	struct run *r = arg;
	const char *p = data;
	size_t take;

	r->s->downloaded += n;
	if (r->s->age == NULL)
		return run_plain(r, p, n, err);
	while (n > 0) {
		take = AGE_CHUNK_CT - r->clen < n ? AGE_CHUNK_CT - r->clen : n;
		memcpy(r->cbuf + r->clen, p, take);
		r->clen += take;
		p += take;
		n -= take;
		if (r->clen == AGE_CHUNK_CT && run_age_chunk(r, err) == -1)
			return -1;
	}
	return 0;
}

/* Fetch and decode blocks [b0, b1]. */
static int
run_blocks(struct run *r, size_t b0, size_t b1, struct bk_err *err)
{
	uint64_t off = r->x->b[b0].comp_off, end =
	    seekidx_block_comp_end(r->x, b1), first, coff, clen;

	r->blk = b0;
	r->end = b1 + 1;
	r->cmplen = 0;
	r->clen = 0;
	r->skip = 0;
	coff = off;
	clen = end - off;
	if (r->s->age != NULL) {
		age_seek_range(r->s->age, off, end - off, &first, &coff, &clen);
		r->chunk = first;
		r->skip = off - first * AGE_CHUNK;
	}
	if (storage_download_range(r->s->st, r->s->name, coff, clen, run_sink,
	    r, err) == -1)
		return -1;
	if (r->s->age != NULL && r->clen > 0 && run_age_chunk(r, err) == -1)
		return -1;
	if (r->blk != r->end)
		return bk_err_set(err, BK_ECORRUPT, "the destination sent less "
		    "than the index's blocks %zu..%zu", b0, b1);
	return 0;
}

static int
run_plan(struct src *s, const struct seekidx *x, struct plan *p,
    struct extract *ex, struct bk_err *err)
{
	static const char eoa[1024];
	struct run r = { .s = s, .x = x, .p = p, .ex = ex };
	size_t i, b0, b1, last = (size_t)-1;
	int rc = -1;

	r.cbuf = xmalloc(AGE_CHUNK_CT);
	r.cmp = xmalloc(2 * SEEKIDX_BLOCK_MAX);
	r.out = xmalloc(SEEKIDX_BLOCK_MAX);
	if (inflateInit2(&r.zs, -15) != Z_OK ||
	    (r.zd = ZSTD_createDCtx()) == NULL) {
		bk_err_set(err, BK_EFAIL, "decompressor: no memory");
		goto out;
	}
	ZSTD_DCtx_setParameter(r.zd, ZSTD_d_windowLogMax, 23);
	/* Runs of consecutive blocks, one GET each. */
	for (i = 0; i < p->nr; ) {
		b0 = seekidx_block_at(x, p->r[i].a);
		b1 = seekidx_block_at(x, p->r[i].b - 1);
		if (b0 == last)
			b0++;
		for (i++; i < p->nr; i++) {
			if (seekidx_block_at(x, p->r[i].a) > b1 + 1)
				break;
			b1 = seekidx_block_at(x, p->r[i].b - 1);
		}
		if (b0 <= b1 && b1 < x->nb) {
			if (run_blocks(&r, b0, b1, err) == -1)
				goto out;
			last = b1;
		}
	}
	if (p->cur != p->nr) {
		bk_err_set(err, BK_ECORRUPT, "index: a member lies outside its "
		    "blocks");
		goto out;
	}
	rc = extract_write(ex, eoa, sizeof(eoa), err);
out:
	inflateEnd(&r.zs);
	ZSTD_freeDCtx(r.zd);
	free(r.cbuf);
	free(r.cmp);
	free(r.out);
	return rc;
}

/* Every archive's plain stream and index, or 1 (fall back) with a note. */
static int
open_all(struct storage *st, const struct catalog_entry *const *v, size_t n,
    const struct crypt_keys *keys, struct restore_result *res,
    struct src *s, struct seekidx *x, uint64_t *downloaded,
    struct bk_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		s[i] = (struct src){ .st = st, .name = v[i]->name,
		    .obj_size = v[i]->size };
		if (codec_of(v[i]->name) == 0)
			return 1;
		if (crypt_scheme_of_name(v[i]->name) == CRYPT_GPG) {
			note(res, "gpg backups are not seekable: downloading all "
			    "%llu bytes", (unsigned long long)v[i]->size);
			return 1;
		}
		rc = open_index(&s[i], keys, res, &x[i], err);
		*downloaded += s[i].downloaded;
		if (rc == 0)
			continue;
		/* A failed look is no reason to fail the restore: the whole
		 * download decides. */
		if (rc == -1 && err->code != BK_EAUTH)
			note(res, "%s's index could not be read (%s); "
			    "downloading the whole backup", v[i]->name,
			    err->msg);
		return 1;
	}
	return 0;
}

int
restore_seek(struct storage *st, const struct catalog_entry *const *v,
    size_t n, const struct crypt_keys *keys, const struct restore_opts *o,
    restore_seek_check_fn *check, void *check_arg,
    struct restore_result *res, struct extract *ex, struct bk_err *err)
{
	struct src *s;
	struct seekidx *x;
	struct plan p = { 0 };
	struct bk_err xerr;
	uint64_t total = 0, down = 0;
	size_t i, nblocks = 0, allblocks = 0;
	char *meta = NULL;
	bool finished = false;
	int rc;

	if (o->nonly == 0 || o->to_dir == NULL || n == 0)
		return 1;
	s = xcalloc(n, sizeof(*s));
	x = xcalloc(n, sizeof(*x));
	if ((rc = open_all(st, v, n, keys, res, s, x, &down, err)) != 0) {
		rc = 1;
		res->stored = down;
		goto out;
	}
	/* One stream per archive, full first, each with the members --only
	 * names (and, in a chain, its record and path list). */
	for (i = 0; i < n; i++) {
		total += v[i]->size;
		plan_make(&x[i], o, n > 1, &p);
		rc = p.nr == 0 ? 0 : run_plan(&s[i], &x[i], &p, ex, err);
		nblocks += p.nblocks;
		allblocks += x[i].nb;
		free(p.r);
		p.r = NULL;
		if (i + 1 < n && rc == 0) {
			if (extract_next(ex, &meta, &xerr) == -1) {
				*err = xerr;
				rc = -1;
			} else if (check != NULL)
				rc = check(meta, i, check_arg, err);
			free(meta);
			meta = NULL;
		}
		if (rc == -1 || i + 1 == n)
			break;
	}
	extract_close_input(ex);
	finished = true;
	if (extract_finish(ex, &res->ex, &xerr) == -1 && rc == 0 &&
	    (p.nr > 0 || n > 1)) {
		*err = xerr;
		rc = -1;
	}
	if (rc == 0 && n > 1 && check != NULL)
		rc = check(res->ex.meta, n - 1, check_arg, err);
	if (res->ex.only_hits == NULL)
		res->ex.only_hits = xcalloc(o->nonly + 1,
		    sizeof(*res->ex.only_hits));
	for (i = 0; i < n; i++)
		down += s[i].downloaded;
	if (rc == 0)
		note(res, "downloaded %llu of %llu bytes (%zu of %zu blocks, by "
		    "the %s index)", (unsigned long long)down,
		    (unsigned long long)total, nblocks, allblocks, n > 1 ?
		    "archives'" : "archive's");
	res->stored = down;
	res->seeked = true;
	res->archives = (unsigned int)n;
out:
	if (!finished && rc != 1)
		extract_close_input(ex);
	for (i = 0; i < n; i++) {
		seekidx_free(&x[i]);
		age_seek_free(s[i].age);
	}
	free(s);
	free(x);
	return rc;
}
