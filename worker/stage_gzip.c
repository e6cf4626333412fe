/*
 * stage_gzip.c - parallel gzip with libdeflate, pigz-style.
 *
 * Input is cut into COMPRESS_GZ_BLOCK blocks.  With one thread each block
 * is compressed inline.  With N threads the stage thread hands blocks to a
 * pool through a ring of 2N slots and emits finished slots strictly in
 * order, so the output never depends on timing.  Memory: 2N x (block +
 * bound), about 4 MiB per thread.
 *
 * A block that looks incompressible (order-0 entropy above 7.6 bits per
 * byte: media, archives, encrypted files) is stored rather than searched:
 * deflate cannot shrink it, and searching costs as much as compressing
 * text.  The decision depends only on the block, so it keeps the output
 * independent of the thread count.
 *
 * Threads: the stage thread (fills slots, emits) and N workers (compress
 * slots).  g->mtx guards every slot's state and the ring indices.
 */
#include <libdeflate.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	size_t		 out_len;
};

struct gz {
	int			 level;
	int			 threads;
	size_t			 bound;
	struct libdeflate_compressor *inline_c;
	struct libdeflate_compressor *inline_store;
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

/* One gzip member for in; 0 on failure. */
static size_t
gz_member(struct libdeflate_compressor *c, struct libdeflate_compressor *store,
    const char *in, size_t len, char *out, size_t bound)
{
	if (len >= 65536 && entropy((const unsigned char *)in, len) >
	    STORE_ENTROPY)
		c = store;
	return libdeflate_gzip_compress(c, in, len, out, bound);
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
	struct libdeflate_compressor *c, *store;
	struct slot *s;

	c = libdeflate_alloc_compressor(g->level);
	store = libdeflate_alloc_compressor(0);
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
		s->out_len = gz_member(c, store, s->in, s->in_len, s->out,
		    g->bound);
		pthread_mutex_lock(&g->mtx);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->mtx);
	libdeflate_free_compressor(c);
	libdeflate_free_compressor(store);
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
	g->inline_c = libdeflate_alloc_compressor(g->level);
	g->inline_store = libdeflate_alloc_compressor(0);
	if (g->inline_c == NULL || g->inline_store == NULL)
		return bk_err_set(err, BK_ECONFIG, "gzip: level %d is not "
		    "supported", g->level);
	g->bound = libdeflate_gzip_compress_bound(g->inline_c,
	    COMPRESS_GZ_BLOCK);
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

/* Emit the oldest slot once it is compressed. */
static int
gz_emit_head(struct stage *st, struct gz *g, struct bk_err *err)
{
	struct slot *s = &g->slots[g->head % g->nslots];

	pthread_mutex_lock(&g->mtx);
	while (s->state != SLOT_DONE)
		pthread_cond_wait(&g->done, &g->mtx);
	pthread_mutex_unlock(&g->mtx);
	if (s->out_len == 0)
		return bk_err_set(err, BK_EFAIL, "gzip: compression failed");
	if (stage_emit(st, s->out, s->out_len, err) == -1)
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
gz_submit(struct stage *st, struct gz *g, struct bk_err *err)
{
	struct slot *s = &g->slots[g->fill % g->nslots];

	g->blocks++;
	if (g->threads == 1) {
		s->out_len = gz_member(g->inline_c, g->inline_store, s->in,
		    s->in_len, s->out, g->bound);
		if (s->out_len == 0)
			return bk_err_set(err, BK_EFAIL, "gzip: compression "
			    "failed");
		s->in_len = 0;
		return stage_emit(st, s->out, s->out_len, err);
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
		    gz_submit(st, g, err) == -1)
			return -1;
	}
	return 0;
}

static int
gz_finish(struct stage *st, struct bk_err *err)
{
	struct gz *g = stage_priv(st);
	struct slot *s = &g->slots[g->fill % g->nslots];

	/* The last partial block; an empty input still makes one member,
	 * so the result is a valid gzip file. */
	if (s->in_len > 0 || g->blocks == 0)
		if (gz_submit(st, g, err) == -1)
			return -1;
	while (g->pending > 0)
		if (gz_emit_head(st, g, err) == -1)
			return -1;
	return 0;
}

static void
gz_close(struct stage *st)
{
	struct gz *g = stage_priv(st);
	size_t i;
	int j;

	if (g->slots == NULL) {
		libdeflate_free_compressor(g->inline_c);
		libdeflate_free_compressor(g->inline_store);
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
	libdeflate_free_compressor(g->inline_c);
	libdeflate_free_compressor(g->inline_store);
}

const struct stage_type stage_gzip = {
	.name = "gzip",
	.priv_size = sizeof(struct gz),
	.open = gz_open,
	.write = gz_write,
	.finish = gz_finish,
	.close = gz_close,
};
