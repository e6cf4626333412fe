/*
 * sched_table.c - the scheduler's table of users: a sorted array of
 * pointers (bsearch to find, memmove to insert), about 300 bytes per user,
 * so 100,000 users cost some 30 MB and a lookup 17 comparisons.
 *
 * A user's file is read again only when its identity (inode, size,
 * mtime) changed, so a periodic rescan of 100,000 files is 100,000 stat
 * calls and nothing else.  Single-threaded (the scheduler's main loop).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "dotenv.h"
#include "err.h"
#include "log.h"
#include "sched_table.h"
#include "settings.h"
#include "xmalloc.h"

static void
user_free(struct sched_user *u)
{
	free(u->name);
	free(u->key);
	free(u->error);
	cron_free(u->cron);
	free(u);
}

void
sched_table_free(struct sched_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		user_free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* Index of name, or where it would go (*found false). */
static size_t
locate(const struct sched_table *t, const char *name, bool *found)
{
	size_t lo = 0, hi = t->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(t->v[mid]->name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct sched_user *
sched_table_find(const struct sched_table *t, const char *name)
{
	bool found;
	size_t i = locate(t, name, &found);

	return found ? t->v[i] : NULL;
}

/* FNV-1a of the name: spreads @every users over their period. */
static uint64_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct sched_user *
sched_table_add(struct sched_table *t, const char *name)
{
	struct sched_user *u = xcalloc(1, sizeof(*u));
	bool found;
	size_t i = locate(t, name, &found);

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->v[i] = u;
	t->n++;
	u->name = xstrdup(name);
	u->anchor = (time_t)(name_hash(name) % 86400);
	return u;
}

void
sched_table_remove(struct sched_table *t, const char *name)
{
	bool found;
	size_t i = locate(t, name, &found);

	if (!found)
		return;
	user_free(t->v[i]);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
	t->n--;
}

bool
sched_user_changed(const struct sched_user *u, const struct stat *st)
{
	return u->ino != st->st_ino || u->size != st->st_size ||
	    u->mtime.tv_sec != st->st_mtim.tv_sec ||
	    u->mtime.tv_nsec != st->st_mtim.tv_nsec;
}

time_t
sched_user_next(const struct sched_user *u, time_t t)
{
	if (u->cron == NULL)
		return -1;
	if (cron_every(u->cron) > 0)
		return cron_next_anchored(u->cron, u->anchor, t);
	return cron_next(u->cron, t);
}

/* Refuse u's schedule with msg (logged when it is news). */
static void
refuse(struct sched_user *u, const char *msg)
{
	if (u->error == NULL || strcmp(u->error, msg) != 0)
		log_kv(LOG_WARN, "schedule skipped", "user", u->name, "error",
		    msg, NULL);
	free(u->error);
	u->error = xstrdup(msg);
	cron_free(u->cron);
	u->cron = NULL;
}

void
sched_user_load(struct sched_user *u, const struct settings *admin,
    const char *file, const struct stat *st, time_t now)
{
	struct kvlist kv;
	struct bk_err perr;
	const char *expr, *tz;
	char msg[700];
	int64_t gap, min;

	u->ino = st->st_ino;
	u->size = st->st_size;
	u->mtime = st->st_mtim;
	u->dirty = true;
	cron_free(u->cron);
	u->cron = NULL;
	free(u->key);
	kvlist_init(&kv);
	if (dotenv_load(file, &kv, &perr) == -1) {
		u->key = xstrdup("");
		refuse(u, perr.msg);
		goto out;
	}
	expr = kvlist_get(&kv, "BACKUP_CRON_EXPRESSION");
	if (expr == NULL || *expr == '\0')
		expr = settings_lookup("BACKUP_CRON_EXPRESSION")->def;
	tz = kvlist_get(&kv, "TZ");
	if (tz == NULL || *tz == '\0')
		tz = settings_get(admin, "TZ");
	xasprintf(&u->key, "%s%s%s", expr, tz != NULL && *tz ? " @ " : "",
	    tz != NULL ? tz : "");
	u->cron = cron_parse(expr, tz != NULL && *tz ? tz : NULL, &perr);
	if (u->cron == NULL) {
		snprintf(msg, sizeof(msg), "BACKUP_CRON_EXPRESSION: %s",
		    perr.msg);
		refuse(u, msg);
		goto out;
	}
	min = settings_int(admin, "MIN_SCHEDULE_INTERVAL_SECONDS");
	gap = cron_min_interval(u->cron, now);
	if (min > 0 && gap >= 0 && gap < min) {
		snprintf(msg, sizeof(msg), "BACKUP_CRON_EXPRESSION: \"%s\" "
		    "fires every %llds, more often than "
		    "MIN_SCHEDULE_INTERVAL_SECONDS=%lld allows", expr,
		    (long long)gap, (long long)min);
		refuse(u, msg);
		goto out;
	}
	if (sched_user_next(u, now) == -1) {
		snprintf(msg, sizeof(msg), "BACKUP_CRON_EXPRESSION: \"%s\" "
		    "never fires", expr);
		refuse(u, msg);
		goto out;
	}
	free(u->error);
	u->error = NULL;
out:
	kvlist_free(&kv);
}
