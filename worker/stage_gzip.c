/*
 * stage_gzip.c - parallel gzip with libdeflate, pigz-style, one member.
 *
 * Input is cut into COMPRESS_GZ_BLOCK blocks, compressed by the ordered
 * ring (ring.c: inline with one thread, a pool with N, emitted strictly
 * in order, so the output never depends on timing).  Memory: (N + 2) x
 * (block + bound), about 2 MiB per thread.
 *
 * The file is one gzip member: a header, the blocks' raw deflate streams
 * one after the other, the CRC-32 and length of the whole input.  Readers
 * that stop after the first member of a multi-member file (Python's
 * tarfile in stream mode, `gzip -l`) read it whole.  libdeflate always
 * ends a stream with a final block, so each block but the last is made
 * non-final (gz_unfinal): zlib's inflate with Z_BLOCK finds where the
 * last deflate block starts, its BFINAL bit is cleared, and an empty
 * stored block (zlib's sync-flush marker) ends it on a byte boundary.
 * Each block still starts with an empty history at a byte boundary, so a
 * reader given a block's offset can start inflating there: the blocks
 * stay independently decodable (random access later), as the separate
 * members were.
 *
 * A block that looks incompressible (order-0 entropy above 7.6 bits per
 * byte: media, archives, encrypted files) is stored rather than searched:
 * deflate cannot shrink it, and searching costs as much as compressing
 * text.  The decision depends only on the block, so it keeps the output
 * independent of the thread count.
 *
 * The tail index (seekidx.h): the tar stream goes through the index
 * writer on its way into the ring; the end of archive is held back.  At
 * the end the last block is cut short (non-final), and the index member
 * with the end of archive is written as stored blocks, the last one
 * final, so the footer lies in the file's last 64 KiB as it is; each
 * block's offsets and CRC-32 went into the index as it was emitted.
 * Still one member with one CRC and length (issue 17).
 *
 * Threads: the stage thread (feeds the ring, emits) and the ring's
 * workers, each with its own compressors and inflater (struct gz_ctx).
 */
#include <libdeflate.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "compress.h"
#include "err.h"
#include "pipeline.h"
#include "ring.h"
#include "seekidx_w.h"
#include "xmalloc.h"

/* What one thread compresses with. */
struct gz_ctx {
	struct libdeflate_compressor *c;
	struct libdeflate_compressor *store;
	z_stream	 zs;		/* raw inflate, for gz_unfinal */
	bool		 zs_open;
	unsigned char	*scratch;	/* inflate output, thrown away */
	int		 level;
};

struct gz {
	struct stage		*st;
	int			 level;
	size_t			 bound;
	struct ring		*r;
	struct seekidx_w	*ix;
	bool			 head_done;	/* gzip header emitted */
	uint32_t		 crc;		/* of the input emitted so far */
	uint32_t		 isize;		/* its length mod 2^32 */
	uint64_t		 tar;		/* input bytes emitted */
	uint64_t		 comp;		/* output bytes emitted */
};

#define STORE_ENTROPY	7.6	/* bits per byte */

/* Order-0 entropy of a block, sampled every 4th byte (cheap, and plenty
 * to tell random data from text). */
static double
entropy(const unsigned char *p, size_t n)
{
	size_t hist[256] = { 0 }, i, total = 0;
	double h = 0, q;

	for (i = 0; i < n; i += 4) {
		hist[p[i]]++;
		total++;
	}
	for (i = 0; i < 256; i++)
		if (hist[i] != 0) {
			q = (double)hist[i] / (double)total;
			h -= q * log2(q);
		}
	return h;
}

#define SCRATCH		(64 * 1024)
#define SYNC_MARK	5	/* at most one header byte + 00 00 ff ff */

static int
gz_ctx_init(struct gz_ctx *x, int level)
{
	memset(x, 0, sizeof(*x));
	x->c = libdeflate_alloc_compressor(level);
	x->store = libdeflate_alloc_compressor(0);
	x->scratch = xmalloc(SCRATCH);
	if (inflateInit2(&x->zs, -15) == Z_OK)
		x->zs_open = true;
	return x->c != NULL && x->store != NULL && x->zs_open ? 0 : -1;
}

static void
gz_ctx_cleanup(struct gz_ctx *x)
{
	libdeflate_free_compressor(x->c);
	libdeflate_free_compressor(x->store);
	if (x->zs_open)
		inflateEnd(&x->zs);
	free(x->scratch);
	memset(x, 0, sizeof(*x));
}

/*
 * Make the raw deflate stream out[0..*len) continuable: decode it with
 * inflate(Z_BLOCK), which returns at each block boundary with the unused
 * bit count of the last byte it took, so the bit where the next block's
 * header starts is known; the last such header is the final block's, and
 * its BFINAL bit (the header's first) is cleared.  Then the stream ends
 * with an empty non-final stored block, which needs 3 header bits (from
 * the last byte's spare bits when it has 3, else from one more zero
 * byte), padding to the byte boundary and LEN/NLEN 00 00 ff ff.  The
 * method is that of zlib's examples/gzjoin.c.  -1 if the stream does not
 * decode to its end exactly (cannot happen with libdeflate's output).
 */
static int
gz_unfinal(struct gz_ctx *x, unsigned char *out, size_t *len)
{
	size_t n = *len, hdr_at = 0;
	unsigned hdr_mask = 1, spare, end_spare = 8;
	int rc;

	if (inflateReset(&x->zs) != Z_OK)
		return -1;
	x->zs.next_in = out;
	x->zs.avail_in = (uInt)n;
	for (;;) {
		x->zs.next_out = x->scratch;
		x->zs.avail_out = SCRATCH;
		rc = inflate(&x->zs, Z_BLOCK);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK)
			return -1;
		if ((x->zs.data_type & 128) == 0)
			continue;
		/* At a block boundary: what follows starts after the used
		 * bits of the last byte taken.  64: the block that just
		 * ended was the final one, so nothing follows. */
		spare = (unsigned)x->zs.data_type & 7;
		if (x->zs.data_type & 64) {
			end_spare = spare;
			continue;
		}
		hdr_at = (size_t)(x->zs.next_in - out);
		if (spare != 0) {
			hdr_at--;
			hdr_mask = 1u << (8 - spare);
		} else
			hdr_mask = 1;
	}
	if (x->zs.next_in != out + n || n == 0 || end_spare == 8)
		return -1;
	out[hdr_at] &= (unsigned char)~hdr_mask;
	spare = end_spare;
	out[n - 1] &= (unsigned char)(0xff >> spare);
	if (spare < 3)
		out[n++] = 0;
	memcpy(out + n, "\0\0\xff\xff", 4);
	*len = n + 4;
	return 0;
}

/* One block as raw deflate, non-final unless last; its CRC.  0 on
 * failure. */
static size_t
gz_block(void *ctx, const char *in, size_t in_len, bool last, char *out,
    size_t bound, uint32_t *crc)
{
	struct gz_ctx *x = ctx;
	struct libdeflate_compressor *c = x->c;
	size_t n;

	if (in_len >= 65536 && entropy((const unsigned char *)in, in_len) >
	    STORE_ENTROPY)
		c = x->store;
	*crc = (uint32_t)libdeflate_crc32(0, in, in_len);
	n = libdeflate_deflate_compress(c, in, in_len, out, bound - SYNC_MARK);
	if (n != 0 && !last && gz_unfinal(x, (unsigned char *)out, &n) == -1)
		n = 0;
	return n;
}

static void *
gz_ctx_new(void *arg)
{
	struct gz *g = arg;
	struct gz_ctx *x = xmalloc(sizeof(*x));

	if (gz_ctx_init(x, g->level) == -1) {
		gz_ctx_cleanup(x);
		free(x);
		return NULL;
	}
	return x;
}

static void
gz_ctx_free(void *ctx)
{
	gz_ctx_cleanup(ctx);
	free(ctx);
}

static int
gz_head(struct gz *g, struct bk_err *err)
{
	static const unsigned char head[10] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3
	};

	if (g->head_done)
		return 0;
	g->head_done = true;
	g->comp += sizeof(head);
	return stage_emit(g->st, head, sizeof(head), err);
}

/* The gzip header (no name, no time: the output depends only on the
 * input) before the first block; the running CRC and length for the
 * trailer; the block's place for the index. */
static int
gz_emit(void *arg, const struct ring_block *b, struct bk_err *err)
{
	struct gz *g = arg;

	if (gz_head(g, err) == -1)
		return -1;
	seekidx_w_block(g->ix, g->tar, g->comp, b->crc);
	g->crc = (uint32_t)crc32_combine(g->crc, b->crc, (z_off_t)b->in_len);
	g->isize += (uint32_t)b->in_len;
	g->tar += b->in_len;
	g->comp += b->out_len;
	return stage_emit(g->st, b->out, b->out_len, err);
}

static const struct ring_codec gz_codec = {
	.ctx_new = gz_ctx_new,
	.ctx_free = gz_ctx_free,
	.block = gz_block,
	.emit = gz_emit,
};

/*
 * More threads than cores only cost memory (two blocks each), so a
 * GZIP_PARALLELISM above the core count is capped at it: memory stays
 * bounded for any setting.
 */
int
compress_threads(long long setting)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if (setting > 0 && setting < n)
		return (int)setting;
	return (int)n;
}

static int
gz_open(struct stage *st, struct bk_err *err)
{
	struct gz *g = stage_priv(st);
	const struct compress_cfg *cfg = stage_arg(st);
	struct gz_ctx x;

	g->st = st;
	g->level = cfg->level;
	if (gz_ctx_init(&x, g->level) == -1) {
		gz_ctx_cleanup(&x);
		return bk_err_set(err, BK_ECONFIG, "gzip: level %d is not "
		    "supported", g->level);
	}
	g->bound = libdeflate_deflate_compress_bound(x.c, COMPRESS_GZ_BLOCK) +
	    SYNC_MARK;
	gz_ctx_cleanup(&x);
	g->ix = seekidx_w_new();
	if ((g->r = ring_new(&gz_codec, g, cfg->threads, COMPRESS_GZ_BLOCK,
	    g->bound, err)) == NULL) {
		bk_err_prefix(err, "gzip");
		return -1;
	}
	return 0;
}

static int
gz_ring_in(void *arg, const void *p, size_t n, struct bk_err *err)
{
	struct gz *g = arg;

	return ring_write(g->r, p, n, err);
}

static int
gz_write(struct stage *st, const void *data, size_t len, struct bk_err *err)
{
	struct gz *g = stage_priv(st);

	return seekidx_w_feed(g->ix, data, len, gz_ring_in, g, err);
}

/*
 * The index segment as stored blocks of at most 65535 bytes, cut so the
 * last one is full: the footer, near the segment's end, is never split
 * by a block header.  Each block starts on a byte boundary (the data
 * blocks end with a sync marker), so a stored block is one header byte
 * (BFINAL, BTYPE 00), LEN and NLEN, then the bytes as they are.
 */
static int
gz_stored(struct gz *g, const char *seg, size_t len, struct bk_err *err)
{
	unsigned char h[5];
	size_t off = 0, n;

	n = len % 65535 == 0 ? 65535 : len % 65535;
	while (off < len) {
		h[0] = off + n == len ? 1 : 0;
		h[1] = (unsigned char)n;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)~h[1];
		h[4] = (unsigned char)~h[2];
		if (stage_emit(g->st, h, sizeof(h), err) == -1 ||
		    stage_emit(g->st, seg + off, n, err) == -1)
			return -1;
		off += n;
		n = 65535;
	}
	g->crc = (uint32_t)crc32(g->crc, (const Bytef *)seg, (uInt)len);
	g->isize += (uint32_t)len;
	return 0;
}

static int
gz_finish(struct stage *st, struct bk_err *err)
{
	struct gz *g = stage_priv(st);
	unsigned char tail[10];
	char *seg = NULL;
	size_t n = 0, len;
	int i, rc;

	if (seekidx_w_ready(g->ix)) {
		if (ring_flush(g->r, false, false, err) == -1 ||
		    gz_head(g, err) == -1 ||
		    seekidx_w_segment(g->ix, SEEKIDX_GZ, g->comp, &seg, &len,
		    err) == -1)
			return -1;
		rc = gz_stored(g, seg, len, err);
		free(seg);
		if (rc == -1)
			return -1;
	} else {
		/* No index: the last partial block is the final one; an
		 * empty input still makes one, so the result is a valid
		 * gzip file. */
		if (seekidx_w_release(g->ix, gz_ring_in, g, err) == -1 ||
		    ring_flush(g->r, true, true, err) == -1)
			return -1;
		/* Input of whole blocks: every block went out non-final,
		 * so an empty final fixed-Huffman block ends the stream. */
		if (!ring_last_sent(g->r)) {
			tail[n++] = 0x03;
			tail[n++] = 0x00;
		}
	}
	for (i = 0; i < 4; i++)
		tail[n++] = (unsigned char)(g->crc >> (8 * i));
	for (i = 0; i < 4; i++)
		tail[n++] = (unsigned char)(g->isize >> (8 * i));
	return stage_emit(st, tail, n, err);
}

static void
gz_close(struct stage *st)
{
	struct gz *g = stage_priv(st);

	ring_free(g->r);
	seekidx_w_free(g->ix);
}

const struct stage_type stage_gzip = {
	.name = "gzip",
	.priv_size = sizeof(struct gz),
	.open = gz_open,
	.write = gz_write,
	.finish = gz_finish,
	.close = gz_close,
};
