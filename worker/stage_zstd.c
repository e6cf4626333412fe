/*
 * stage_zstd.c - zstd compression (libzstd's own workers) and the readers
 * of both formats for restore and verify: zstd and multi-member gzip.
 *
 * Compression writes one frame with its content checksum, so `zstd -t`
 * proves a backup intact.  The readers check every checksum on the way:
 * gzip's CRC-32 and length per member, zstd's frame checksum.
 * Threads: the stage thread; libzstd runs its own pool when threads > 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "compress.h"
#include "err.h"
#include "pipeline.h"
#include "xmalloc.h"

#define OUTBUF	(256 * 1024)
#define ZSTD_JOB	(2 * 1024 * 1024)

struct zs {
	ZSTD_CCtx	*c;
	ZSTD_DCtx	*d;
	char		*out;
	bool		 frame_done;	/* reader: the last frame ended */
	bool		 any_input;
};

static int
zs_open(struct stage *st, struct bk_err *err)
{
	struct zs *z = stage_priv(st);
	const struct compress_cfg *cfg = stage_arg(st);
	size_t rc;

	z->c = ZSTD_createCCtx();
	z->out = xmalloc(OUTBUF);
	rc = ZSTD_CCtx_setParameter(z->c, ZSTD_c_compressionLevel,
	    cfg->level);
	if (!ZSTD_isError(rc))
		rc = ZSTD_CCtx_setParameter(z->c, ZSTD_c_checksumFlag, 1);
	if (!ZSTD_isError(rc) && cfg->threads > 1)
		rc = ZSTD_CCtx_setParameter(z->c, ZSTD_c_nbWorkers,
		    cfg->threads);
	/* Jobs of ZSTD_JOB bytes instead of libzstd's 4 x window: the
	 * workers' buffers are most of the memory of a backup, and the
	 * ratio barely moves (measured in make bench). */
	if (!ZSTD_isError(rc) && cfg->threads > 1)
		rc = ZSTD_CCtx_setParameter(z->c, ZSTD_c_jobSize, ZSTD_JOB);
	if (ZSTD_isError(rc))
		return bk_err_set(err, BK_ECONFIG, "zstd: %s",
		    ZSTD_getErrorName(rc));
	return 0;
}

static int
zs_run(struct stage *st, const void *data, size_t len,
    ZSTD_EndDirective mode, struct bk_err *err)
{
	struct zs *z = stage_priv(st);
	ZSTD_inBuffer in = { data, len, 0 };
	ZSTD_outBuffer out;
	size_t left;

	do {
		out.dst = z->out;
		out.size = OUTBUF;
		out.pos = 0;
		left = ZSTD_compressStream2(z->c, &out, &in, mode);
		if (ZSTD_isError(left))
			return bk_err_set(err, BK_EFAIL, "zstd: %s",
			    ZSTD_getErrorName(left));
		if (out.pos > 0 && stage_emit(st, z->out, out.pos, err) == -1)
			return -1;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

static int
zs_write(struct stage *st, const void *data, size_t len, struct bk_err *err)
{
	return zs_run(st, data, len, ZSTD_e_continue, err);
}

static int
zs_finish(struct stage *st, struct bk_err *err)
{
	return zs_run(st, "", 0, ZSTD_e_end, err);
}

static void
zs_close(struct stage *st)
{
	struct zs *z = stage_priv(st);

	ZSTD_freeCCtx(z->c);
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
