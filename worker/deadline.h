/*
 * deadline.h - the job time limit (JOB_TIMEOUT).
 *
 * A watcher thread sleeps until the job's deadline; then it sets the
 * job's stop flag (which the tar writer checks between chunks) and kills
 * every child the job registered (the source reader, dump tools), so a
 * job blocked on any of them returns at once and aborts its uploads as
 * any failed job does.  The same thread mirrors the caller's cancel flag
 * into the stop flag, so the tar writer has one flag to watch.
 */
#ifndef BK_DEADLINE_H
#define BK_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct deadline;

/* Watch: limit_ms from now (0: no limit, only the cancel mirror).  cancel
 * may be NULL.  Start it once the job may have threads (after forking the
 * source reader). */
struct deadline	*deadline_start(int64_t limit_ms, volatile int *cancel,
		    volatile int *stop);
/* True once the limit passed. */
bool		 deadline_expired(const struct deadline *);
/* Stop watching and free; NULL is fine. */
void		 deadline_free(struct deadline *);

/* A child process of the job, killed (with its process group when it
 * leads one) when the deadline passes.  Thread-safe; untrack before the
 * child is reaped, so a recycled pid is never hit. */
void		 deadline_track(pid_t);
void		 deadline_untrack(pid_t);

#endif
