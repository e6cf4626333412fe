/*
 * deadline.c - the job time limit (see deadline.h).
 *
 * Why a thread and not alarm(): the job's producer may be blocked in a
 * read from the source reader, in poll() on a dump tool, or in a slow
 * disk's read(); a signal handler could set the flag but not know which
 * children to kill without a table it may not lock.  The watcher wakes
 * every 100 ms (to mirror the cancel flag), which costs nothing next to a
 * backup.
 *
 * Invariant: a pid is in the table only between its fork and the moment
 * before it is reaped (deadline_untrack), so SIGKILL never reaches a
 * process that is not the job's.  Threads: the watcher, and any job
 * thread calling track/untrack, all under one mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "xmalloc.h"

#define TRACK_MAX	16
#define POLL_MS		100

struct deadline {
	pthread_t		 th;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	bool			 quit;
	volatile int		 expired;
	struct timespec		 at;		/* CLOCK_MONOTONIC */
	bool			 limited;
	volatile int		*cancel;
	volatile int		*stop;
};

static pthread_mutex_t	track_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t		tracked[TRACK_MAX];

void
deadline_track(pid_t pid)
{
	size_t i;

	pthread_mutex_lock(&track_mu);
	for (i = 0; i < TRACK_MAX; i++)
		if (tracked[i] == 0) {
			tracked[i] = pid;
			break;
		}
	pthread_mutex_unlock(&track_mu);
}

void
deadline_untrack(pid_t pid)
{
	size_t i;

	pthread_mutex_lock(&track_mu);
	for (i = 0; i < TRACK_MAX; i++)
		if (tracked[i] == pid)
			tracked[i] = 0;
	pthread_mutex_unlock(&track_mu);
}

static void
kill_tracked(void)
{
	size_t i;

	pthread_mutex_lock(&track_mu);
	for (i = 0; i < TRACK_MAX; i++)
		if (tracked[i] > 0) {
			/* Dump tools lead their own session: take their
			 * helpers too. */
			if (getpgid(tracked[i]) == tracked[i])
				(void)kill(-tracked[i], SIGKILL);
			(void)kill(tracked[i], SIGKILL);
		}
	pthread_mutex_unlock(&track_mu);
}

static bool
passed(const struct timespec *at)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > at->tv_sec || (now.tv_sec == at->tv_sec &&
	    now.tv_nsec >= at->tv_nsec);
}

static void *
watch(void *arg)
{
	struct deadline *d = arg;
	struct timespec wake;

	pthread_mutex_lock(&d->mu);
	while (!d->quit) {
		clock_gettime(CLOCK_MONOTONIC, &wake);
		wake.tv_nsec += POLL_MS * 1000000L;
		if (wake.tv_nsec >= 1000000000L) {
			wake.tv_sec++;
			wake.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&d->cv, &d->mu, &wake);
		if (d->cancel != NULL && *d->cancel)
			*d->stop = 1;
		if (d->limited && !d->expired && passed(&d->at)) {
			d->expired = 1;
			*d->stop = 1;
			kill_tracked();
		}
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

struct deadline *
deadline_start(int64_t limit_ms, volatile int *cancel, volatile int *stop)
{
	struct deadline *d = xcalloc(1, sizeof(*d));
	pthread_condattr_t ca;

	d->cancel = cancel;
	d->stop = stop;
	d->limited = limit_ms > 0;
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	d->at.tv_sec += limit_ms / 1000;
	d->at.tv_nsec += (limit_ms % 1000) * 1000000L;
	if (d->at.tv_nsec >= 1000000000L) {
		d->at.tv_sec++;
		d->at.tv_nsec -= 1000000000L;
	}
	pthread_mutex_init(&d->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&d->th, NULL, watch, d) != 0) {
		/* Without a watcher the job runs unlimited; say so. */
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		free(d);
		return NULL;
	}
	return d;
}

bool
deadline_expired(const struct deadline *d)
{
	return d != NULL && d->expired;
}

void
deadline_free(struct deadline *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->quit = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->th, NULL);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
}
