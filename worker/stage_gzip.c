/*
 * stage_gzip.c - parallel gzip with libdeflate, pigz-style, one member.
 *
 * Input is cut into COMPRESS_GZ_BLOCK blocks.  With one thread each block
 * is compressed inline.  With N threads the stage thread hands blocks to a
 * pool through a ring of 2N slots and emits finished slots strictly in
 * order, so the output never depends on timing.  Memory: 2N x (block +
 * bound), about 4 MiB per thread.
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
 * Threads: the stage thread (fills slots, emits) and N workers (compress
 * slots), each with its own compressors and inflater (struct gz_ctx).
 * g->mtx guards every slot's state and the ring indices.
 */
#include <libdeflate.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "compress.h"
#include "err.h"
#include "pipeline.h"
#include "xmalloc.h"

enum slot_state { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

struct slot {
	enum slot_state	 state;		/* protected by g->mtx */
	char		*in;
	size_t		 in_len;
	char		*out;
	size_t		 out_len;	/* 0: compression failed */
	bool		 last;		/* the stream's final block */
	uint32_t	 crc;		/* CRC-32 of in */
};

/* What one thread compresses with. */
struct gz_ctx {
	struct libdeflate_compressor *c;
	struct libdeflate_compressor *store;
	z_stream	 zs;		/* raw inflate, for gz_unfinal */
	bool		 zs_open;
	unsigned char	*scratch;	/* inflate output, thrown away */
};

struct gz {
	int			 level;
	int			 threads;
	size_t			 bound;
	struct gz_ctx		 inl;		/* threads == 1 */
	bool			 head_done;	/* gzip header emitted */
	bool			 last_sent;	/* a final block was submitted */
	uint32_t		 crc;		/* of the input emitted so far */
	uint32_t		 isize;		/* its length mod 2^32 */
	/* The ring: slots[head] is the next to emit, slots[fill] the next
	 * to fill; both only move forward modulo nslots. */
	struct slot		*slots;
	size_t			 nslots;
	size_t			 head;
	size_t			 fill;		/* protected by mtx */
	size_t			 next_job;	/* protected by mtx */
	size_t			 pending;	/* slots READY/BUSY/DONE */
	uint64_t		 blocks;	/* blocks submitted */
	pthread_mutex_t		 mtx;
	pthread_cond_t		 work;		/* a slot became READY */
	pthread_cond_t		 done;		/* a slot became DONE */
	bool			 stop;		/* protected by mtx */
	pthread_t		*workers;
	int			 nworkers;
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

/* One block as raw deflate, non-final unless last; its CRC.  out_len 0
 * on failure. */
static void
gz_block(struct gz_ctx *x, struct slot *s, size_t bound)
{
	struct libdeflate_compressor *c = x->c;
	size_t n;

	if (s->in_len >= 65536 && entropy((const unsigned char *)s->in,
	    s->in_len) > STORE_ENTROPY)
		c = x->store;
	s->crc = (uint32_t)libdeflate_crc32(0, s->in, s->in_len);
	n = libdeflate_deflate_compress(c, s->in, s->in_len, s->out,
	    bound - SYNC_MARK);
	if (n != 0 && !s->last &&
	    gz_unfinal(x, (unsigned char *)s->out, &n) == -1)
		n = 0;
	s->out_len = n;
}

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

static void *
gz_worker(void *arg)
{
	struct gz *g = arg;
	struct gz_ctx x;
	struct slot *s;
	bool ok;

	/* A context that cannot be had fails every block it takes. */
	ok = gz_ctx_init(&x, g->level) == 0;
	pthread_mutex_lock(&g->mtx);
	for (;;) {
		while (!g->stop && (g->next_job == g->fill ||
		    g->slots[g->next_job % g->nslots].state != SLOT_READY))
			pthread_cond_wait(&g->work, &g->mtx);
		if (g->stop)
			break;
		s = &g->slots[g->next_job % g->nslots];
		g->next_job++;
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&g->mtx);
		if (ok)
			gz_block(&x, s, g->bound);
		else
			s->out_len = 0;
		pthread_mutex_lock(&g->mtx);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->mtx);
	gz_ctx_cleanup(&x);
	return NULL;
}

static int
gz_open(struct stage *st, struct bk_err *err)
{
	struct gz *g = stage_priv(st);
	const struct compress_cfg *cfg = stage_arg(st);
	size_t i;

	g->level = cfg->level;
	g->threads = cfg->threads < 1 ? 1 : cfg->threads;
	if (gz_ctx_init(&g->inl, g->level) == -1)
		return bk_err_set(err, BK_ECONFIG, "gzip: level %d is not "
		    "supported", g->level);
	g->bound = libdeflate_deflate_compress_bound(g->inl.c,
	    COMPRESS_GZ_BLOCK) + SYNC_MARK;
	/* N workers busy plus one slot being filled and one being emitted. */
	g->nslots = g->threads > 1 ? (size_t)g->threads + 2 : 1;
	g->slots = xcalloc(g->nslots, sizeof(*g->slots));
	for (i = 0; i < g->nslots; i++) {
		g->slots[i].in = xmalloc(COMPRESS_GZ_BLOCK);
		g->slots[i].out = xmalloc(g->bound);
	}
	pthread_mutex_init(&g->mtx, NULL);
	pthread_cond_init(&g->work, NULL);
	pthread_cond_init(&g->done, NULL);
	if (g->threads > 1) {
		g->workers = xcalloc((size_t)g->threads, sizeof(*g->workers));
		for (i = 0; i < (size_t)g->threads; i++) {
			if (pthread_create(&g->workers[i], NULL, gz_worker,
			    g) != 0)
				return bk_err_set(err, BK_EIO, "gzip: cannot "
				    "start a thread");
			g->nworkers++;
		}
	}
	return 0;
}

/* The gzip header (no name, no time: the output depends only on the
 * input), then the block; the running CRC and length for the trailer. */
static int
gz_emit_block(struct stage *st, struct gz *g, struct slot *s,
    struct bk_err *err)
{
	static const unsigned char head[10] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3
	};

	if (s->out_len == 0)
		return bk_err_set(err, BK_EFAIL, "gzip: compression failed");
	if (!g->head_done) {
		if (stage_emit(st, head, sizeof(head), err) == -1)
			return -1;
		g->head_done = true;
	}
	g->crc = (uint32_t)crc32_combine(g->crc, s->crc, (z_off_t)s->in_len);
	g->isize += (uint32_t)s->in_len;
	return stage_emit(st, s->out, s->out_len, err);
}

/* Emit the oldest slot once it is compressed. */
static int
gz_emit_head(struct stage *st, struct gz *g, struct bk_err *err)
{
	struct slot *s = &g->slots[g->head % g->nslots];

	pthread_mutex_lock(&g->mtx);
	while (s->state != SLOT_DONE)
		pthread_cond_wait(&g->done, &g->mtx);
	pthread_mutex_unlock(&g->mtx);
	if (gz_emit_block(st, g, s, err) == -1)
		return -1;
	pthread_mutex_lock(&g->mtx);
	s->state = SLOT_FREE;
	s->in_len = 0;
	pthread_mutex_unlock(&g->mtx);
	g->head++;
	g->pending--;
	return 0;
}

/* The slot being filled is complete: compress it (or queue it). */
static int
gz_submit(struct stage *st, struct gz *g, bool last, struct bk_err *err)
{
	struct slot *s = &g->slots[g->fill % g->nslots];

	g->blocks++;
	s->last = last;
	g->last_sent = last;
	if (g->threads == 1) {
		gz_block(&g->inl, s, g->bound);
		if (gz_emit_block(st, g, s, err) == -1)
			return -1;
		s->in_len = 0;
		return 0;
	}
	pthread_mutex_lock(&g->mtx);
	s->state = SLOT_READY;
	g->fill++;
	pthread_cond_broadcast(&g->work);
	pthread_mutex_unlock(&g->mtx);
	g->pending++;
	/* Keep one slot free to fill: emit the oldest when the ring is full. */
	if (g->pending == g->nslots)
		return gz_emit_head(st, g, err);
	return 0;
}

static int
gz_write(struct stage *st, const void *data, size_t len, struct bk_err *err)
{
	struct gz *g = stage_priv(st);
	const char *c = data;
	struct slot *s;
	size_t take;

	while (len > 0) {
		s = &g->slots[g->fill % g->nslots];
		take = COMPRESS_GZ_BLOCK - s->in_len;
		if (take > len)
			take = len;
		memcpy(s->in + s->in_len, c, take);
		s->in_len += take;
		c += take;
		len -= take;
		if (s->in_len == COMPRESS_GZ_BLOCK &&
		    gz_submit(st, g, false, err) == -1)
			return -1;
	}
	return 0;
}

static int
gz_finish(struct stage *st, struct bk_err *err)
{
	struct gz *g = stage_priv(st);
	struct slot *s = &g->slots[g->fill % g->nslots];

	unsigned char tail[10];
	size_t n = 0;
	int i;

	/* The last partial block is the final one; an empty input still
	 * makes one, so the result is a valid gzip file. */
	if (s->in_len > 0 || g->blocks == 0)
		if (gz_submit(st, g, true, err) == -1)
			return -1;
	while (g->pending > 0)
		if (gz_emit_head(st, g, err) == -1)
			return -1;
	/* Input of whole blocks: every block went out non-final, so an
	 * empty final fixed-Huffman block ends the stream. */
	if (!g->last_sent) {
		tail[n++] = 0x03;
		tail[n++] = 0x00;
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
	size_t i;
	int j;

	if (g->slots == NULL) {
		gz_ctx_cleanup(&g->inl);
		return;
	}
	pthread_mutex_lock(&g->mtx);
	g->stop = true;
	pthread_cond_broadcast(&g->work);
	pthread_mutex_unlock(&g->mtx);
	for (j = 0; j < g->nworkers; j++)
		pthread_join(g->workers[j], NULL);
	free(g->workers);
	for (i = 0; i < g->nslots; i++) {
		free(g->slots[i].in);
		free(g->slots[i].out);
	}
	free(g->slots);
	pthread_mutex_destroy(&g->mtx);
	pthread_cond_destroy(&g->work);
	pthread_cond_destroy(&g->done);
	gz_ctx_cleanup(&g->inl);
}

const struct stage_type stage_gzip = {
	.name = "gzip",
	.priv_size = sizeof(struct gz),
	.open = gz_open,
	.write = gz_write,
	.finish = gz_finish,
	.close = gz_close,
};
