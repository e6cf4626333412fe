/*
 * pipeline.c - the streaming engine: stages on threads, bounded queues.
 *
 * Design: one mutex guards every queue and the sticky error (blocks are
 * 1 MiB, so contention is negligible next to compression); each queue has
 * its own pair of condition variables.  A queue holds at most QUEUE_DEPTH
 * blocks, so the memory of a pipeline is about
 * (stages x (QUEUE_DEPTH + 1) + 1) x PIPE_BLOCK whatever the backup's size.
 *
 * Failure: the first error is copied into p->err and p->failed set; every
 * condition variable is broadcast, so blocked producers and consumers wake
 * up, see the flag and unwind; each stage thread then calls its abort().
 * Threads: the producer's (pipeline_write/finish), one per stage.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pipeline.h"
#include "xmalloc.h"

#define QUEUE_DEPTH	4

struct block {
	struct block	*next;
	size_t		 len;
	char		 data[];
};

struct queue {
	pthread_cond_t	 notfull;
	pthread_cond_t	 notempty;
	struct block	*head;		/* protected by p->mtx */
	struct block	*tail;		/* protected by p->mtx */
	size_t		 count;		/* protected by p->mtx */
	bool		 eof;		/* protected by p->mtx */
};

struct stage {
	struct pipeline		*p;
	const struct stage_type	*type;
	void			*priv;
	void			*arg;
	size_t			 index;
	struct queue		 in;
	struct block		*out;	/* partly filled output block */
	pthread_t		 thread;
	bool			 running;
	uint64_t		 bytes_in;	/* protected by p->mtx */
};

struct pipeline {
	pthread_mutex_t	 mtx;
	struct stage	**st;
	size_t		 n;
	bool		 failed;	/* protected by mtx */
	struct bk_err	 err;		/* protected by mtx; first error */
	struct block	*prod;		/* producer's partly filled block */
	uint64_t	 bytes_in0;	/* atomic */
	bool		 started;
	bool		 finished;
};

static struct block *
block_new(void)
{
	struct block *b = xmalloc(sizeof(*b) + PIPE_BLOCK);

	b->next = NULL;
	b->len = 0;
	return b;
}

static void
queue_init(struct queue *q)
{
	memset(q, 0, sizeof(*q));
	pthread_cond_init(&q->notfull, NULL);
	pthread_cond_init(&q->notempty, NULL);
}

static void
queue_destroy(struct queue *q)
{
	struct block *b, *next;

	for (b = q->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	pthread_cond_destroy(&q->notfull);
	pthread_cond_destroy(&q->notempty);
}

/* Record the first error and wake everybody.  Called with mtx held. */
static void
fail_locked(struct pipeline *p, const struct bk_err *err)
{
	size_t i;

	if (!p->failed) {
		p->failed = true;
		if (err != NULL && err->code != BK_OK)
			p->err = *err;
		else
			bk_err_set(&p->err, BK_ECANCELED, "backup aborted");
	}
	for (i = 0; i < p->n; i++) {
		pthread_cond_broadcast(&p->st[i]->in.notfull);
		pthread_cond_broadcast(&p->st[i]->in.notempty);
	}
}

static void
fail(struct pipeline *p, const struct bk_err *err)
{
	pthread_mutex_lock(&p->mtx);
	fail_locked(p, err);
	pthread_mutex_unlock(&p->mtx);
}

static int
copy_failure(struct pipeline *p, struct bk_err *err)
{
	pthread_mutex_lock(&p->mtx);
	if (err != NULL)
		*err = p->err;
	pthread_mutex_unlock(&p->mtx);
	return -1;
}

/* Hand b to q, waiting while q is full.  Takes b in every case. */
static int
queue_push(struct pipeline *p, struct queue *q, struct block *b,
    struct bk_err *err)
{
	pthread_mutex_lock(&p->mtx);
	while (q->count >= QUEUE_DEPTH && !p->failed)
		pthread_cond_wait(&q->notfull, &p->mtx);
	if (p->failed) {
		pthread_mutex_unlock(&p->mtx);
		free(b);
		return copy_failure(p, err);
	}
	if (q->tail != NULL)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->count++;
	pthread_cond_signal(&q->notempty);
	pthread_mutex_unlock(&p->mtx);
	return 0;
}

static void
queue_close(struct pipeline *p, struct queue *q)
{
	pthread_mutex_lock(&p->mtx);
	q->eof = true;
	pthread_cond_signal(&q->notempty);
	pthread_mutex_unlock(&p->mtx);
}

/* 1 with a block, 0 at end of input, -1 if the pipeline failed. */
static int
queue_pop(struct pipeline *p, struct queue *q, struct block **out)
{
	struct block *b;

	pthread_mutex_lock(&p->mtx);
	while (q->count == 0 && !q->eof && !p->failed)
		pthread_cond_wait(&q->notempty, &p->mtx);
	if (p->failed) {
		pthread_mutex_unlock(&p->mtx);
		return -1;
	}
	if (q->count == 0) {
		pthread_mutex_unlock(&p->mtx);
		return 0;
	}
	b = q->head;
	q->head = b->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->count--;
	pthread_cond_signal(&q->notfull);
	pthread_mutex_unlock(&p->mtx);
	b->next = NULL;
	*out = b;
	return 1;
}

struct pipeline *
pipeline_new(void)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->mtx, NULL);
	return p;
}

void
pipeline_add(struct pipeline *p, const struct stage_type *type, void *arg)
{
	struct stage *s = xcalloc(1, sizeof(*s));

	s->p = p;
	s->type = type;
	s->arg = arg;
	s->index = p->n;
	if (type->priv_size > 0)
		s->priv = xcalloc(1, type->priv_size);
	queue_init(&s->in);
	p->st = xreallocarray(p->st, p->n + 1, sizeof(*p->st));
	p->st[p->n++] = s;
}

void *
stage_priv(struct stage *s)
{
	return s->priv;
}

void *
stage_arg(struct stage *s)
{
	return s->arg;
}

/* Append to *bp, pushing full blocks into q. */
static int
fill(struct pipeline *p, struct block **bp, struct queue *q,
    const void *data, size_t len, struct bk_err *err)
{
	const char *c = data;
	size_t take;

	while (len > 0) {
		if (*bp == NULL)
			*bp = block_new();
		take = PIPE_BLOCK - (*bp)->len;
		if (take > len)
			take = len;
		memcpy((*bp)->data + (*bp)->len, c, take);
		(*bp)->len += take;
		c += take;
		len -= take;
		if ((*bp)->len == PIPE_BLOCK) {
			struct block *full = *bp;

			*bp = NULL;
			if (queue_push(p, q, full, err) == -1)
				return -1;
		}
	}
	return 0;
}

/* Push a partly filled block and close the queue. */
static int
drain(struct pipeline *p, struct block **bp, struct queue *q,
    struct bk_err *err)
{
	struct block *b = *bp;

	*bp = NULL;
	if (b != NULL && b->len > 0) {
		if (queue_push(p, q, b, err) == -1)
			return -1;
	} else
		free(b);
	queue_close(p, q);
	return 0;
}

int
stage_emit(struct stage *s, const void *data, size_t len, struct bk_err *err)
{
	struct pipeline *p = s->p;

	if (s->index + 1 >= p->n)
		return bk_err_set(err, BK_EFAIL, "pipeline: %s is the last "
		    "stage and cannot emit", s->type->name);
	return fill(p, &s->out, &p->st[s->index + 1]->in, data, len, err);
}

static void *
stage_main(void *arg)
{
	struct stage *s = arg;
	struct pipeline *p = s->p;
	struct block *b = NULL;
	struct bk_err err;
	int r;

	bk_err_clear(&err);
	if (s->type->open != NULL && s->type->open(s, &err) == -1)
		goto failed;
	while ((r = queue_pop(p, &s->in, &b)) == 1) {
		pthread_mutex_lock(&p->mtx);
		s->bytes_in += b->len;
		pthread_mutex_unlock(&p->mtx);
		r = s->type->write(s, b->data, b->len, &err);
		free(b);
		b = NULL;
		if (r == -1)
			goto failed;
	}
	if (r == -1)
		goto aborted;
	if (s->type->finish != NULL && s->type->finish(s, &err) == -1)
		goto failed;
	if (s->index + 1 < p->n &&
	    drain(p, &s->out, &p->st[s->index + 1]->in, &err) == -1)
		goto aborted;
	return NULL;
failed:
	fail(p, &err);
aborted:
	if (s->type->abort != NULL)
		s->type->abort(s);
	return NULL;
}

int
pipeline_start(struct pipeline *p, struct bk_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < p->n; i++) {
		rc = pthread_create(&p->st[i]->thread, NULL, stage_main,
		    p->st[i]);
		if (rc != 0) {
			bk_err_set(err, BK_EIO, "pipeline: cannot start a "
			    "thread for %s", p->st[i]->type->name);
			fail(p, err);
			p->started = true;
			pipeline_abort(p, err);
			return -1;
		}
		p->st[i]->running = true;
	}
	p->started = true;
	return 0;
}

int
pipeline_write(struct pipeline *p, const void *data, size_t len,
    struct bk_err *err)
{
	if (p->n == 0)
		return bk_err_set(err, BK_EFAIL, "pipeline: no stages");
	/* Called for every tar header: a counter, not a lock. */
	__atomic_add_fetch(&p->bytes_in0, len, __ATOMIC_RELAXED);
	return fill(p, &p->prod, &p->st[0]->in, data, len, err);
}

static void
join_all(struct pipeline *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->st[i]->running) {
			pthread_join(p->st[i]->thread, NULL);
			p->st[i]->running = false;
		}
	p->finished = true;
}

int
pipeline_finish(struct pipeline *p, struct bk_err *err)
{
	struct bk_err local;

	if (p->n > 0)
		(void)drain(p, &p->prod, &p->st[0]->in, &local);
	join_all(p);
	if (pipeline_failed(p))
		return copy_failure(p, err);
	return 0;
}

void
pipeline_abort(struct pipeline *p, const struct bk_err *why)
{
	fail(p, why);
	join_all(p);
}

bool
pipeline_failed(const struct pipeline *p)
{
	bool f;

	pthread_mutex_lock((pthread_mutex_t *)&p->mtx);
	f = p->failed;
	pthread_mutex_unlock((pthread_mutex_t *)&p->mtx);
	return f;
}

uint64_t
pipeline_bytes_in(const struct pipeline *p, size_t i)
{
	uint64_t n;

	if (i == 0)
		return __atomic_load_n(&p->bytes_in0, __ATOMIC_RELAXED);
	pthread_mutex_lock((pthread_mutex_t *)&p->mtx);
	n = i < p->n ? p->st[i]->bytes_in : 0;
	pthread_mutex_unlock((pthread_mutex_t *)&p->mtx);
	return n;
}

uint64_t
pipeline_bytes_out(const struct pipeline *p)
{
	return p->n == 0 ? 0 : pipeline_bytes_in(p, p->n - 1);
}

void
pipeline_free(struct pipeline *p)
{
	size_t i;

	if (p == NULL)
		return;
	if (p->started && !p->finished)
		pipeline_abort(p, NULL);
	for (i = 0; i < p->n; i++) {
		if (p->st[i]->type->close != NULL)
			p->st[i]->type->close(p->st[i]);
		free(p->st[i]->out);
		queue_destroy(&p->st[i]->in);
		free(p->st[i]->priv);
		free(p->st[i]);
	}
	free(p->prod);
	free(p->st);
	pthread_mutex_destroy(&p->mtx);
	free(p);
}
