/*
 * ring.c - the ordered block ring under stage_gzip and stage_zstd.
 *
 * slots[head] is the next block to emit, slots[fill] the one being
 * filled; both only move forward modulo nslots.  A worker takes the
 * oldest READY slot (next_job), compresses it outside the lock and marks
 * it DONE; the stage thread waits for slots[head] to be DONE, emits it
 * and frees it.  One slot is always left free to fill, so the stage
 * thread blocks only when N blocks are in flight.
 *
 * Threads: the stage thread (ring_write, ring_flush, emit) and N
 * workers.  r->mtx guards every slot's state and fill/next_job/stop.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ring.h"
#include "xmalloc.h"

enum slot_state { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

struct slot {
	enum slot_state	 state;		/* protected by r->mtx */
	char		*in;
	size_t		 in_len;
	char		*out;
	size_t		 out_len;	/* 0: compression failed */
	bool		 last;
	uint32_t	 crc;
};

struct ring {
	const struct ring_codec	*codec;
	void			*arg;
	int			 threads;
	size_t			 block;
	size_t			 bound;
	void			*inl;		/* threads == 1 */
	struct slot		*slots;
	size_t			 nslots;
	size_t			 head;
	size_t			 fill;		/* protected by mtx */
	size_t			 next_job;	/* protected by mtx */
	size_t			 pending;	/* slots READY/BUSY/DONE */
	uint64_t		 blocks;
	bool			 last_sent;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 work;
	pthread_cond_t		 done;
	bool			 stop;		/* protected by mtx */
	pthread_t		*workers;
	int			 nworkers;
};

static void
compress_slot(struct ring *r, void *ctx, struct slot *s)
{
	s->out_len = ctx == NULL ? 0 : r->codec->block(ctx, s->in, s->in_len,
	    s->last, s->out, r->bound, &s->crc);
}

static void *
ring_worker(void *arg)
{
	struct ring *r = arg;
	struct slot *s;
	void *ctx;

	ctx = r->codec->ctx_new(r->arg);
	pthread_mutex_lock(&r->mtx);
	for (;;) {
		while (!r->stop && (r->next_job == r->fill ||
		    r->slots[r->next_job % r->nslots].state != SLOT_READY))
			pthread_cond_wait(&r->work, &r->mtx);
		if (r->stop)
			break;
		s = &r->slots[r->next_job % r->nslots];
		r->next_job++;
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&r->mtx);
		compress_slot(r, ctx, s);
		pthread_mutex_lock(&r->mtx);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&r->done);
	}
	pthread_mutex_unlock(&r->mtx);
	if (ctx != NULL)
		r->codec->ctx_free(ctx);
	return NULL;
}

struct ring *
ring_new(const struct ring_codec *codec, void *arg, int threads,
    size_t block, size_t bound, struct bk_err *err)
{
	struct ring *r = xcalloc(1, sizeof(*r));
	size_t i;

	r->codec = codec;
	r->arg = arg;
	r->threads = threads < 1 ? 1 : threads;
	r->block = block;
	r->bound = bound;
	r->nslots = r->threads > 1 ? (size_t)r->threads + 2 : 1;
	r->slots = xcalloc(r->nslots, sizeof(*r->slots));
	for (i = 0; i < r->nslots; i++) {
		r->slots[i].in = xmalloc(block);
		r->slots[i].out = xmalloc(bound);
	}
	pthread_mutex_init(&r->mtx, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->done, NULL);
	if (r->threads == 1) {
		if ((r->inl = codec->ctx_new(arg)) == NULL) {
			bk_err_set(err, BK_EFAIL, "compressor: cannot "
			    "initialise");
			goto fail;
		}
		return r;
	}
	r->workers = xcalloc((size_t)r->threads, sizeof(*r->workers));
	for (i = 0; i < (size_t)r->threads; i++) {
		if (pthread_create(&r->workers[i], NULL, ring_worker, r) != 0) {
			bk_err_set(err, BK_EIO, "compressor: cannot start a "
			    "thread");
			goto fail;
		}
		r->nworkers++;
	}
	return r;
fail:
	ring_free(r);
	return NULL;
}

static int
emit_slot(struct ring *r, struct slot *s, struct bk_err *err)
{
	struct ring_block b = { s->in, s->in_len, s->out, s->out_len, s->crc };

	if (s->out_len == 0)
		return bk_err_set(err, BK_EFAIL, "compression failed");
	return r->codec->emit(r->arg, &b, err);
}

/* Emit the oldest slot once it is compressed. */
static int
emit_head(struct ring *r, struct bk_err *err)
{
	struct slot *s = &r->slots[r->head % r->nslots];

	pthread_mutex_lock(&r->mtx);
	while (s->state != SLOT_DONE)
		pthread_cond_wait(&r->done, &r->mtx);
	pthread_mutex_unlock(&r->mtx);
	if (emit_slot(r, s, err) == -1)
		return -1;
	pthread_mutex_lock(&r->mtx);
	s->state = SLOT_FREE;
	s->in_len = 0;
	pthread_mutex_unlock(&r->mtx);
	r->head++;
	r->pending--;
	return 0;
}

static int
submit(struct ring *r, bool last, struct bk_err *err)
{
	struct slot *s = &r->slots[r->fill % r->nslots];

	r->blocks++;
	s->last = last;
	r->last_sent = last;
	if (r->threads == 1) {
		compress_slot(r, r->inl, s);
		if (emit_slot(r, s, err) == -1)
			return -1;
		s->in_len = 0;
		return 0;
	}
	pthread_mutex_lock(&r->mtx);
	s->state = SLOT_READY;
	r->fill++;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mtx);
	r->pending++;
	if (r->pending == r->nslots)
		return emit_head(r, err);
	return 0;
}

int
ring_write(struct ring *r, const void *data, size_t len, struct bk_err *err)
{
	const char *c = data;
	struct slot *s;
	size_t take;

	while (len > 0) {
		s = &r->slots[r->fill % r->nslots];
		take = r->block - s->in_len;
		if (take > len)
			take = len;
		memcpy(s->in + s->in_len, c, take);
		s->in_len += take;
		c += take;
		len -= take;
		if (s->in_len == r->block && submit(r, false, err) == -1)
			return -1;
	}
	return 0;
}

int
ring_flush(struct ring *r, bool last, bool force, struct bk_err *err)
{
	struct slot *s = &r->slots[r->fill % r->nslots];

	if (s->in_len > 0 || (force && r->blocks == 0))
		if (submit(r, last, err) == -1)
			return -1;
	while (r->pending > 0)
		if (emit_head(r, err) == -1)
			return -1;
	return 0;
}

uint64_t
ring_blocks(const struct ring *r)
{
	return r->blocks;
}

bool
ring_last_sent(const struct ring *r)
{
	return r->last_sent;
}

void
ring_free(struct ring *r)
{
	size_t i;
	int j;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mtx);
	r->stop = true;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mtx);
	for (j = 0; j < r->nworkers; j++)
		pthread_join(r->workers[j], NULL);
	free(r->workers);
	if (r->inl != NULL)
		r->codec->ctx_free(r->inl);
	for (i = 0; i < r->nslots; i++) {
		free(r->slots[i].in);
		free(r->slots[i].out);
	}
	free(r->slots);
	pthread_mutex_destroy(&r->mtx);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->done);
	free(r);
}
