/*
 * notify_pool.h - the notifier's senders: a bounded pool of threads that
 * handle events at once, so one user's slow or hung service never holds
 * up the notifications of others (NOTIFIER_CONCURRENCY).
 */
#ifndef BK_NOTIFY_POOL_H
#define BK_NOTIFY_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct npool;

/* Handles one event (its stream id and fields); runs on a sender. */
typedef void	npool_fn(const char *id, json_t *fields);

/* threads senders; at most queued events wait for one.  NULL when no
 * thread could be started. */
struct npool	*npool_new(int threads, size_t queued, npool_fn *);
/* True while id is queued or being handled (a re-read of unacked events
 * must not send it twice). */
bool		 npool_has(struct npool *, const char *id);
/* Queue an event (fields are referenced, id copied).  Waits while the
 * queue is full.  Events of one user are handled one at a time, in
 * order, so a user's hung URL can take one sender, never all. */
void		 npool_submit(struct npool *, const char *id, const char *user,
		    json_t *fields);
/* Ids handled since the last call, to acknowledge; NULL-terminated,
 * free with strv_free().  Waits up to wait_ms for the first one. */
char		**npool_done(struct npool *, int wait_ms);
/* Give the senders up to grace_ms to finish the events they hold, drop
 * the queued ones (unacknowledged: read again after a restart), free;
 * returns the ids handled and not yet collected, to acknowledge
 * (strv_free).  Senders still busy then are left to die with the
 * process. */
char		**npool_stop(struct npool *, int grace_ms);

#endif
