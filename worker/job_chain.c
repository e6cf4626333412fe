/*
 * job_chain.c - one job's part in its user's incremental chain.
 *
 * Invariants: with BACKUP_INCREMENTAL=false nothing here changes the
 * archive (no closing members, no state).  With it, every archive ends
 * with .panel-backup/chain and .panel-backup/paths; the paths are what
 * the walk recorded (the user's reader's view, privsep.c) plus the dumps,
 * sorted, duplicates dropped.  The state is saved only by
 * job_chain_commit, which the job calls once every destination
 * committed; until then the previous state stays in force.
 *
 * Threads: the job's producer thread only.
 */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "err.h"
#include "job_chain.h"
#include "names.h"
#include "settings.h"
#include "storage.h"
#include "tarw.h"
#include "xmalloc.h"

void
job_chain_prepare(struct job_chain *c, const struct settings *admin,
    const struct settings *us, const char *user_name, const char *full_name,
    const char *ext, time_t now)
{
	struct bk_err err;

	memset(c, 0, sizeof(*c));
	chain_state_init(&c->prev);
	chain_state_init(&c->seen);
	c->on = settings_bool(us, "BACKUP_INCREMENTAL");
	c->ext = xstrdup(ext);
	c->state_dir = settings_get(admin, "STATE_DIR");
	c->user = user_name;
	c->pol = (struct chain_policy){ .incremental = c->on,
	    .full_interval_ms = settings_duration_ms(us,
	    "BACKUP_FULL_INTERVAL"),
	    .full_interval = settings_get(us, "BACKUP_FULL_INTERVAL"),
	    .chain_length = settings_int(us, "BACKUP_CHAIN_LENGTH"),
	    .ext = c->ext };
	if (c->on && c->state_dir != NULL) {
		if (chain_state_load(c->state_dir, user_name, &c->prev,
		    &err) == 0)
			c->have_prev = true;
		else
			snprintf(c->why, sizeof(c->why), "%s", err.msg);
	} else if (c->on)
		snprintf(c->why, sizeof(c->why), "no chain state (STATE_DIR "
		    "is not set)");
	chain_decide(c->have_prev ? &c->prev : NULL, c->why, &c->pol, now,
	    true, full_name, &c->plan);
}

/* One destination's listing, sorted by name once listed: each entry's
 * name, mtime and, for an incremental, its full (split once). */
struct listed_obj {
	char		*name;
	const char	*full;		/* inside name, or NULL */
	time_t		 mtime;
};

struct listing {
	struct listed_obj *v;
	size_t		   n;
};

static int
listing_cb(const struct storage_obj *o, void *arg)
{
	struct listing *l = arg;
	struct listed_obj *e;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	e = &l->v[l->n++];
	e->name = xstrdup(o->name);
	e->full = names_inc_split(e->name, NULL);
	e->mtime = o->mtime;
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct listed_obj *)a)->name,
	    ((const struct listed_obj *)b)->name);
}

/* Names at a user's own destination are the user's, and may be many:
 * one sort, then lookups by bsearch. */
static void
listing_sort(struct listing *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), by_name);
}

static void
listing_free(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool
listed(const struct listing *l, const char *name)
{
	struct listed_obj key = { .name = (char *)name };

	return l->n > 0 && bsearch(&key, l->v, l->n, sizeof(*l->v),
	    by_name) != NULL;
}

/*
 * Is name taken at this destination for a new full written at t: the
 * name itself, an incremental of it (a new chain under an old chain's
 * name would adopt the old incrementals), or an incremental written in
 * second t (the new full's name time would tie with it and list as
 * older).
 */
static bool
name_taken(const struct listing *l, const char *name, time_t t)
{
	size_t i;

	if (listed(l, name))
		return true;
	for (i = 0; i < l->n; i++)
		if (l->v[i].full != NULL && (l->v[i].mtime == t ||
		    strcmp(l->v[i].full, name) == 0))
			return true;
	return false;
}

/* The first archive of the previous chain (full, inc-1 .. inc-seq)
 * missing from l, allocated, or NULL when all are there. */
static char *
chain_missing(const struct chain_state *prev, const struct listing *l)
{
	unsigned int k;
	char *name;

	if (!listed(l, prev->full))
		return xstrdup(prev->full);
	for (k = 1; k <= prev->seq; k++) {
		name = names_inc_render(prev->full, k);
		if (!listed(l, name))
			return name;
		free(name);
	}
	return NULL;
}

/* A full this run: plan it under name, keeping the note. */
static void
plan_rename(struct chain_plan *p, const char *name)
{
	free(p->name);
	free(p->chain);
	p->name = xstrdup(name);
	p->chain = xstrdup(name);
}

/* A name a second or two ahead of the clock: wait for it, so the time
 * in a full's name is never later than the archive's own mtime (nor its
 * incrementals'): listings order fulls by name, incrementals by mtime. */
#define NAME_WAIT_MAX	2

static void
wait_for_second(time_t t)
{
	struct timespec until = { t, 0 };

	if (t - time(NULL) > NAME_WAIT_MAX)
		return;
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL) ==
	    EINTR)
		;
}

/* A full's name no destination holds (see name_taken), moving its time
 * on a second at a time, at most NAME_BUMP_MAX; a template without
 * seconds keeps its name (and replaces the stored one, as before). */
#define NAME_BUMP_MAX	120

static void
choose_full_name(struct job_chain *c, const struct listing *ls, size_t n,
    job_chain_namer *namer, void *arg, time_t now)
{
	char *name = xstrdup(c->plan.name), *next;
	time_t t = now;
	size_t i;

	for (;;) {
		/* The state's chain keeps its name even where its full is
		 * gone: its incrementals may be elsewhere still. */
		i = c->have_prev && strcmp(name, c->prev.full) == 0 ? 0 : n;
		if (i == n)
			for (i = 0; i < n && !name_taken(&ls[i], name, t);
			    i++)
				;
		if (i == n || t - now >= NAME_BUMP_MAX)
			break;
		if ((next = namer(arg, ++t)) == NULL)
			break;
		free(name);
		name = next;
	}
	if (i == n && strcmp(name, c->plan.name) != 0) {
		plan_rename(&c->plan, name);
		wait_for_second(t);
	}
	free(name);
}

void
job_chain_check_dests(struct job_chain *c, struct storage **st, size_t n,
    job_chain_namer *namer, void *arg, time_t now)
{
	struct listing *ls = xcalloc(n + 1, sizeof(*ls));
	char *miss = NULL, *there = NULL, *full;
	const char *where = NULL;
	bool unlisted = false;
	struct bk_err err;
	size_t i;

	for (i = 0; i < n; i++) {
		if (st[i] == NULL)
			continue;
		if (storage_list(st[i], listing_cb, &ls[i], &err) == -1) {
			listing_free(&ls[i]);
			if (!unlisted && miss == NULL)
				where = storage_location(st[i]);
			unlisted = true;
			continue;
		}
		listing_sort(&ls[i]);
		if (!c->on || c->plan.full || miss != NULL || unlisted ||
		    there != NULL)
			continue;
		if ((miss = chain_missing(&c->prev, &ls[i])) != NULL ||
		    listed(&ls[i], c->plan.name)) {
			where = storage_location(st[i]);
			/* The next incremental is there already: the state
			 * is older than the destination (restored from a
			 * copy?); writing it would replace a restore point
			 * later ones may build on. */
			there = miss == NULL ? xstrdup(c->plan.name) : NULL;
		}
	}
	if (c->on && !c->plan.full && (miss != NULL || unlisted ||
	    there != NULL)) {
		chain_plan_free(&c->plan);
		full = namer(arg, now);
		chain_decide(&c->prev, NULL, &c->pol, now, false,
		    full != NULL ? full : c->prev.full, &c->plan);
		free(full);
		/* Names and a location: no secrets (storage_location). */
		if (miss != NULL)
			snprintf(c->note, sizeof(c->note), "%s missing at %s",
			    miss, where);
		else if (there != NULL)
			snprintf(c->note, sizeof(c->note), "%s already at %s "
			    "(the chain state is older than the destination)",
			    there, where);
		else
			snprintf(c->note, sizeof(c->note), "could not list "
			    "%s to check the chain", where);
	}
	if (c->plan.full)
		choose_full_name(c, ls, n, namer, arg, now);
	for (i = 0; i < n; i++)
		listing_free(&ls[i]);
	free(ls);
	free(miss);
	free(there);
}

const char *
job_chain_name(const struct job_chain *c)
{
	return c->plan.name;
}

const char *
job_chain_note(const struct job_chain *c)
{
	return c->note[0] != '\0' ? c->note : c->plan.note;
}

static int
add_member(struct tarw *t, const char *member, const struct buf *b,
    time_t now, struct bk_err *err)
{
	int fd, rc = -1;

	if ((fd = memfd_create("panel-backup-chain", MFD_CLOEXEC)) == -1)
		return bk_err_sys(err, BK_EIO, "%s", member);
	if (write(fd, b->data, b->len) != (ssize_t)b->len ||
	    lseek(fd, 0, SEEK_SET) == -1)
		bk_err_sys(err, BK_EIO, "%s", member);
	else
		rc = tarw_add_fd(t, member, fd, b->len, 0600, now, err);
	close(fd);
	return rc;
}

/* Sort, and keep one entry per path. */
static void
seen_finish(struct chain_state *st)
{
	size_t i, k = 0;

	chain_state_sort(st);
	for (i = 0; i < st->n; i++) {
		if (k > 0 && strcmp(st->ents[k - 1].path, st->ents[i].path)
		    == 0) {
			free(st->ents[i].path);
			continue;
		}
		st->ents[k++] = st->ents[i];
	}
	st->n = k;
}

int
job_chain_members(struct job_chain *c, struct tarw *t, time_t now,
    struct bk_err *err)
{
	struct buf b;
	int rc = -1;

	if (!c->on)
		return 0;
	seen_finish(&c->seen);
	buf_init(&b, (size_t)1 << 34);
	if (chain_meta_json(&c->plan, now, &b) == -1 ||
	    add_member(t, CHAIN_MEMBER, &b, now, err) == -1)
		goto out;
	buf_reset(&b);
	if (chain_paths(&c->seen, &b) == -1) {
		bk_err_set(err, BK_EFAIL, "%s: too large", CHAIN_PATHS_MEMBER);
		goto out;
	}
	rc = add_member(t, CHAIN_PATHS_MEMBER, &b, now, err);
out:
	buf_free(&b);
	return rc;
}

int
job_chain_commit(struct job_chain *c, time_t now, struct bk_err *err)
{
	if (!c->on || c->state_dir == NULL)
		return 0;
	free(c->seen.full);
	free(c->seen.last);
	free(c->seen.ext);
	c->seen.full = xstrdup(c->plan.chain);
	c->seen.last = xstrdup(c->plan.name);
	c->seen.ext = xstrdup(c->ext);
	c->seen.seq = c->plan.seq;
	c->seen.full_time = c->plan.full ? now : c->prev.full_time;
	memcpy(c->seen.id, c->plan.id, sizeof(c->seen.id));
	return chain_state_save(c->state_dir, c->user, &c->seen, err);
}

void
job_chain_free(struct job_chain *c)
{
	chain_state_free(&c->prev);
	chain_state_free(&c->seen);
	chain_plan_free(&c->plan);
	free(c->ext);
	memset(c, 0, sizeof(*c));
}
