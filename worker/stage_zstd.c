/*
 * stage_zstd.c - zstd compression as independent frames on our own
 * threads (the ordered ring, ring.c, which gzip shares), and the readers
 * of both formats for restore and verify: zstd and multi-member gzip.
 *
 * Compression cuts the input into ZSTD_BLOCK blocks and writes each as
 * its own frame with its content size and checksum, so `zstd -t` proves a
 * backup intact and a reader can start decoding at any frame: the tail
 * index (seekidx.h) records where each frame starts.  At the end the
 * index member and the end of archive go into one more frame made of raw
 * blocks (written here, without a frame checksum), so the index footer
 * lies in the file's last bytes as it is.  The readers check every
 * checksum on the way: gzip's CRC-32 and length per member, zstd's frame
 * checksum.
 *
 * Threads: the stage thread (feeds the ring, emits) and the ring's
 * workers, one ZSTD_CCtx each.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "compress.h"
#include "err.h"
#include "pipeline.h"
#include "ring.h"
#include "seekidx_w.h"
#include "xmalloc.h"

#define OUTBUF		(256 * 1024)
#define ZSTD_BLOCK	(2 * 1024 * 1024)
#define RAW_BLOCK	(128 * 1024)	/* zstd's largest block */

struct zs {
	/* compression */
	struct stage	*st;
	int		 level;
	struct ring	*r;
	struct seekidx_w *ix;
	uint64_t	 tar;
	uint64_t	 comp;
	/* decompression */
	ZSTD_DCtx	*d;
	char		*out;
	bool		 frame_done;	/* reader: the last frame ended */
	bool		 any_input;
};

static void *
zs_ctx_new(void *arg)
{
	struct zs *z = arg;
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t rc;

	if (c == NULL)
		return NULL;
	rc = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, z->level);
	if (!ZSTD_isError(rc))
		rc = ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	if (!ZSTD_isError(rc))
		rc = ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1);
	if (ZSTD_isError(rc)) {
		ZSTD_freeCCtx(c);
		return NULL;
	}
	return c;
}

static void
zs_ctx_free(void *ctx)
{
	ZSTD_freeCCtx(ctx);
}

static size_t
zs_block(void *ctx, const char *in, size_t in_len, bool last, char *out,
    size_t bound, uint32_t *crc)
{
	size_t n = ZSTD_compress2(ctx, out, bound, in, in_len);

	(void)last;
	*crc = 0;	/* the frame has its own checksum */
	return ZSTD_isError(n) ? 0 : n;
}

static int
zs_emit(void *arg, const struct ring_block *b, struct bk_err *err)
{
	struct zs *z = arg;

	seekidx_w_block(z->ix, z->tar, z->comp, 0);
	z->tar += b->in_len;
	z->comp += b->out_len;
	return stage_emit(z->st, b->out, b->out_len, err);
}

static const struct ring_codec zs_codec = {
	.ctx_new = zs_ctx_new,
	.ctx_free = zs_ctx_free,
	.block = zs_block,
	.emit = zs_emit,
};

static int
zs_open(struct stage *st, struct bk_err *err)
{
	struct zs *z = stage_priv(st);
	const struct compress_cfg *cfg = stage_arg(st);
	void *probe;

	z->st = st;
	z->level = cfg->level;
	if ((probe = zs_ctx_new(z)) == NULL)
		return bk_err_set(err, BK_ECONFIG, "zstd: level %d is not "
		    "supported", cfg->level);
	zs_ctx_free(probe);
	z->ix = seekidx_w_new();
	if ((z->r = ring_new(&zs_codec, z, cfg->threads, ZSTD_BLOCK,
	    ZSTD_compressBound(ZSTD_BLOCK), err)) == NULL) {
		bk_err_prefix(err, "zstd");
		return -1;
	}
	return 0;
}

static int
zs_ring_in(void *arg, const void *p, size_t n, struct bk_err *err)
{
	struct zs *z = arg;

	return ring_write(z->r, p, n, err);
}

static int
zs_write(struct stage *st, const void *data, size_t len, struct bk_err *err)
{
	struct zs *z = stage_priv(st);

	return seekidx_w_feed(z->ix, data, len, zs_ring_in, z, err);
}

/*
 * One frame of raw blocks: magic, a header with a 1 MiB window (so a
 * reader needs little memory for it) and the 8-byte content size, blocks
 * of at most 128 KiB cut so the last is full (the footer near the end is
 * never split by a block header).  No frame checksum: libzstd offers no
 * XXH64 of its own, the index in it carries CRC-32s of its own (checked
 * by every reader of it, seekidx.c), and the job's manifest has the
 * whole object's SHA-256.
 */
static int
zs_raw_frame(struct zs *z, const char *seg, size_t len, struct bk_err *err)
{
	unsigned char h[14], bh[3];
	size_t off = 0, n, i;
	uint32_t v;

	h[0] = 0x28;
	h[1] = 0xb5;
	h[2] = 0x2f;
	h[3] = 0xfd;
	h[4] = 0xc0;	/* 8-byte content size, no checksum, no dictionary */
	h[5] = 10 << 3;	/* window 2^(10 + 10) */
	for (i = 0; i < 8; i++)
		h[6 + i] = (unsigned char)((uint64_t)len >> (8 * i));
	if (stage_emit(z->st, h, sizeof(h), err) == -1)
		return -1;
	n = len % RAW_BLOCK == 0 ? RAW_BLOCK : len % RAW_BLOCK;
	while (off < len) {
		v = (uint32_t)n << 3 | (off + n == len ? 1 : 0);
		bh[0] = (unsigned char)v;
		bh[1] = (unsigned char)(v >> 8);
		bh[2] = (unsigned char)(v >> 16);
		if (stage_emit(z->st, bh, sizeof(bh), err) == -1 ||
		    stage_emit(z->st, seg + off, n, err) == -1)
			return -1;
		off += n;
		n = RAW_BLOCK;
	}
	return 0;
}

static int
zs_finish(struct stage *st, struct bk_err *err)
{
	struct zs *z = stage_priv(st);
	char *seg = NULL;
	size_t len;
	int rc;

	if (!seekidx_w_ready(z->ix))
		/* No index: an empty input still makes one frame. */
		return seekidx_w_release(z->ix, zs_ring_in, z, err) == -1 ?
		    -1 : ring_flush(z->r, true, true, err);
	if (ring_flush(z->r, false, false, err) == -1 ||
	    seekidx_w_segment(z->ix, SEEKIDX_ZST, z->comp, &seg, &len,
	    err) == -1)
		return -1;
	rc = zs_raw_frame(z, seg, len, err);
	free(seg);
	return rc;
}

static void
zs_close(struct stage *st)
{
	struct zs *z = stage_priv(st);

	ring_free(z->r);
	seekidx_w_free(z->ix);
	ZSTD_freeDCtx(z->d);
	free(z->out);
}

const struct stage_type stage_zstd = {
	.name = "zstd",
	.priv_size = sizeof(struct zs),
	.open = zs_open,
	.write = zs_write,
	.finish = zs_finish,
	.close = zs_close,
};

static int
unzs_open(struct stage *st, struct bk_err *err)
{
	struct zs *z = stage_priv(st);

	(void)err;
	z->d = ZSTD_createDCtx();
	z->out = xmalloc(OUTBUF);
	z->frame_done = true;
	return 0;
}

static int
unzs_write(struct stage *st, const void *data, size_t len,
    struct bk_err *err)
{
	struct zs *z = stage_priv(st);
	ZSTD_inBuffer in = { data, len, 0 };
	ZSTD_outBuffer out;
	size_t rc;

	z->any_input = z->any_input || len > 0;
	while (in.pos < in.size) {
		out.dst = z->out;
		out.size = OUTBUF;
		out.pos = 0;
		rc = ZSTD_decompressStream(z->d, &out, &in);
		if (ZSTD_isError(rc))
			return bk_err_set(err, BK_ECORRUPT, "zstd layer: %s",
			    ZSTD_getErrorName(rc));
		z->frame_done = (rc == 0);
		if (out.pos > 0 && stage_emit(st, z->out, out.pos, err) == -1)
			return -1;
	}
	return 0;
}

static int
unzs_finish(struct stage *st, struct bk_err *err)
{
	struct zs *z = stage_priv(st);

	if (!z->any_input || !z->frame_done)
		return bk_err_set(err, BK_ECORRUPT, "zstd layer: the data "
		    "ends in the middle of a frame (truncated)");
	return 0;
}

const struct stage_type stage_unzstd = {
	.name = "unzstd",
	.priv_size = sizeof(struct zs),
	.open = unzs_open,
	.write = unzs_write,
	.finish = unzs_finish,
	.close = zs_close,
};

struct gunz {
	z_stream	 zs;
	bool		 inited;
	bool		 in_member;	/* between a header and its trailer */
	bool		 any_member;
	char		*out;
};

static int
gunz_open(struct stage *st, struct bk_err *err)
{
	struct gunz *g = stage_priv(st);

	memset(&g->zs, 0, sizeof(g->zs));
	if (inflateInit2(&g->zs, 15 + 16) != Z_OK)
		return bk_err_set(err, BK_EFAIL, "gzip: cannot initialise");
	g->inited = true;
	g->out = xmalloc(OUTBUF);
	return 0;
}

static int
gunz_write(struct stage *st, const void *data, size_t len,
    struct bk_err *err)
{
	struct gunz *g = stage_priv(st);
	int rc;

	g->zs.next_in = (Bytef *)(uintptr_t)data;
	g->zs.avail_in = (uInt)len;
	while (g->zs.avail_in > 0) {
		g->zs.next_out = (Bytef *)g->out;
		g->zs.avail_out = OUTBUF;
		g->in_member = true;
		rc = inflate(&g->zs, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
			return bk_err_set(err, BK_ECORRUPT, "gzip layer: %s",
			    g->zs.msg != NULL ? g->zs.msg : "invalid data");
		if (OUTBUF - g->zs.avail_out > 0 && stage_emit(st, g->out,
		    OUTBUF - g->zs.avail_out, err) == -1)
			return -1;
		if (rc == Z_STREAM_END) {
			/* One member ended (CRC and length checked); the
			 * next may follow. */
			g->in_member = false;
			g->any_member = true;
			inflateReset(&g->zs);
		}
	}
	return 0;
}

static int
gunz_finish(struct stage *st, struct bk_err *err)
{
	struct gunz *g = stage_priv(st);

	if (g->in_member || !g->any_member)
		return bk_err_set(err, BK_ECORRUPT, "gzip layer: unexpected "
		    "end of data (truncated)");
	return 0;
}

static void
gunz_close(struct stage *st)
{
	struct gunz *g = stage_priv(st);

	if (g->inited)
		inflateEnd(&g->zs);
	free(g->out);
}

const struct stage_type stage_gunzip = {
	.name = "gunzip",
	.priv_size = sizeof(struct gunz),
	.open = gunz_open,
	.write = gunz_write,
	.finish = gunz_finish,
	.close = gunz_close,
};
