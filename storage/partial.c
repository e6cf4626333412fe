/*
 * partial.c - the ".partial" rules and retry backoff shared by the
 * file-like backends (storage_local.c, storage_sftp.c, storage_webdav.c).
 *
 * Invariants:
 *  - An upload in flight lives under "NAME.partial" (local: ".NAME.partial")
 *    and only the backend's commit renames it to NAME; listings hide
 *    partial names, and a sweep removes those no live upload holds.  How a
 *    backend knows that an upload is live differs (local: a lock; remote:
 *    the one this handle writes, as a user's jobs run one at a time), so
 *    the removal itself stays with the backend.
 *  - The backoff is bounded by the callers' attempt counts (3 attempts:
 *    at most ~1.9 s of waiting in all).
 *
 * Threads: no shared state; rand_r on a per-call seed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "partial.h"
#include "storage.h"
#include "xmalloc.h"

char *
partial_name(const char *name)
{
	char *p;

	xasprintf(&p, "%s" PARTIAL_SUFFIX, name);
	return p;
}

bool
partial_is(const char *name)
{
	size_t a = strlen(name), b = strlen(PARTIAL_SUFFIX);

	return a > b && strcmp(name + a - b, PARTIAL_SUFFIX) == 0;
}

int
partial_collect(const struct storage_obj *o, void *arg)
{
	struct partial_sweep *w = arg;

	if (!partial_is(o->name) ||
	    (w->active != NULL && strcmp(o->name, w->active) == 0))
		return 0;
	w->names = xreallocarray(w->names, w->n + 1, sizeof(char *));
	w->names[w->n++] = xstrdup(o->name);
	return 0;
}

void
partial_sweep_free(struct partial_sweep *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->names[i]);
	free(w->names);
	w->names = NULL;
	w->n = 0;
}

void
partial_backoff(int attempt)
{
	struct timespec ts, now;
	unsigned int seed;
	long ms;

	if (attempt < 1)
		attempt = 1;
	if (attempt > 6)
		attempt = 6;
	ms = 250L << (attempt - 1);
	clock_gettime(CLOCK_MONOTONIC, &now);
	seed = (unsigned int)now.tv_nsec ^ (unsigned int)getpid();
	ms += rand_r(&seed) % (ms / 4 + 1);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}
