/*
 * notify_pool.c - the notifier's bounded pool of senders (notify_pool.h).
 *
 * Why per-user order: the events of one user are sent one at a time, in
 * the order read, so a user whose URL hangs until NOTIFICATION_TIMEOUT
 * holds at most one sender; the other senders serve everyone else.
 * Within one event notify.c already sends to every URL at once.
 *
 * Invariants: a task is in exactly one place: the wait list (queued) or a
 * sender's hands (busy); once handled its id moves to the done list until
 * the main thread acknowledges it in Redis.  The Redis connection is the
 * main thread's only: senders never touch it.
 *
 * Threads: the main thread (submit, done, has) and the senders; one
 * mutex guards everything here, two condition variables signal "work or
 * room" and "done".
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "notify_pool.h"
#include "settings.h"
#include "xmalloc.h"

struct task {
	char		*id;
	char		*user;
	json_t		*fields;
	bool		 busy;		/* a sender handles it */
};

struct npool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a task, room, or quit */
	pthread_cond_t	 donecv;
	pthread_t	*th;
	int		 nth;
	struct task	*v;		/* queued and busy, in read order */
	size_t		 n, cap;
	char		**done;
	size_t		 ndone;
	bool		 quit;
	npool_fn	*fn;
};

static bool
user_busy(const struct npool *p, const char *user)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].busy && strcmp(p->v[i].user, user) == 0)
			return true;
	return false;
}

/* The first queued task whose user has nothing in flight, or -1.  The
 * scan is in read order, so a user's events go out in order. */
static long
pick(const struct npool *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!p->v[i].busy && !user_busy(p, p->v[i].user))
			return (long)i;
	return -1;
}

static void *
sender(void *arg)
{
	struct npool *p = arg;
	struct task t;
	long k;
	size_t i;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && (k = pick(p)) == -1)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->quit)
			break;
		p->v[k].busy = true;
		t = p->v[k];
		pthread_mutex_unlock(&p->mu);
		p->fn(t.id, t.fields);
		pthread_mutex_lock(&p->mu);
		for (i = 0; i < p->n; i++)
			if (p->v[i].id == t.id)
				break;
		memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) *
		    sizeof(*p->v));
		p->n--;
		p->done = xreallocarray(p->done, p->ndone + 2,
		    sizeof(*p->done));
		p->done[p->ndone++] = t.id;
		p->done[p->ndone] = NULL;
		free(t.user);
		json_decref(t.fields);
		/* Room in the queue, and this user's next task may go. */
		pthread_cond_broadcast(&p->work);
		pthread_cond_signal(&p->donecv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct npool *
npool_new(int threads, size_t queued, npool_fn *fn)
{
	struct npool *p = xcalloc(1, sizeof(*p));
	pthread_condattr_t ca;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->donecv, &ca);
	pthread_condattr_destroy(&ca);
	p->fn = fn;
	p->cap = queued + (size_t)threads;
	p->v = xcalloc(p->cap, sizeof(*p->v));
	p->th = xcalloc((size_t)threads, sizeof(*p->th));
	for (p->nth = 0; p->nth < threads; p->nth++)
		if (pthread_create(&p->th[p->nth], NULL, sender, p) != 0)
			break;
	if (p->nth == 0) {
		strv_free(npool_stop(p, 0));
		return NULL;
	}
	if (p->nth < threads)
		log_warn("NOTIFIER_CONCURRENCY: only %d of %d senders "
		    "started", p->nth, threads);
	return p;
}

bool
npool_has(struct npool *p, const char *id)
{
	bool has = false;
	size_t i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n && !has; i++)
		has = strcmp(p->v[i].id, id) == 0;
	for (i = 0; i < p->ndone && !has; i++)
		has = strcmp(p->done[i], id) == 0;
	pthread_mutex_unlock(&p->mu);
	return has;
}

void
npool_submit(struct npool *p, const char *id, const char *user,
    json_t *fields)
{
	pthread_mutex_lock(&p->mu);
	while (p->n == p->cap)
		pthread_cond_wait(&p->work, &p->mu);
	p->v[p->n].id = xstrdup(id);
	p->v[p->n].user = xstrdup(user != NULL ? user : "");
	p->v[p->n].fields = json_incref(fields);
	p->v[p->n].busy = false;
	p->n++;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
}

char **
npool_done(struct npool *p, int wait_ms)
{
	struct timespec at;
	char **v;

	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_sec += wait_ms / 1000;
	at.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (at.tv_nsec >= 1000000000L) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while (p->ndone == 0 && wait_ms > 0 &&
	    pthread_cond_timedwait(&p->donecv, &p->mu, &at) == 0)
		;
	v = p->done != NULL ? p->done : xcalloc(1, sizeof(*v));
	p->done = NULL;
	p->ndone = 0;
	pthread_mutex_unlock(&p->mu);
	return v;
}

static size_t
nbusy(const struct npool *p)
{
	size_t i, k = 0;

	for (i = 0; i < p->n; i++)
		k += p->v[i].busy;
	return k;
}

char **
npool_stop(struct npool *p, int grace_ms)
{
	struct timespec at;
	char **done;
	size_t i, busy;
	int t;

	if (p == NULL)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_sec += grace_ms / 1000;
	at.tv_nsec += (long)(grace_ms % 1000) * 1000000L;
	if (at.tv_nsec >= 1000000000L) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->work);
	while ((busy = nbusy(p)) > 0 &&
	    pthread_cond_timedwait(&p->donecv, &p->mu, &at) == 0)
		;
	if (busy > 0) {
		/* A hung service must not hold up a shutdown: those events
		 * stay unacknowledged and are sent after the restart.  The
		 * senders still hold the pool, so it is not freed. */
		done = p->done != NULL ? p->done : xcalloc(1, sizeof(*done));
		p->done = NULL;
		p->ndone = 0;
		pthread_mutex_unlock(&p->mu);
		log_warn("stopping with %zu notification(s) still being "
		    "sent; they are sent again after a restart", busy);
		return done;
	}
	pthread_mutex_unlock(&p->mu);
	for (t = 0; t < p->nth; t++)
		pthread_join(p->th[t], NULL);
	/* Queued, never sent: unacknowledged, so read again at restart. */
	for (i = 0; i < p->n; i++) {
		free(p->v[i].id);
		free(p->v[i].user);
		json_decref(p->v[i].fields);
	}
	done = p->done != NULL ? p->done : xcalloc(1, sizeof(*done));
	free(p->v);
	free(p->th);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->donecv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return done;
}
