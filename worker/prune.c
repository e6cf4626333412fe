/*
 * prune.c - retention over any storage backend (see prune.h).
 *
 * Two passes: list everything into memory (names and mtimes; a
 * destination holds a few thousand backups at most), decide
 * (prune_plan.c), then delete in the plan's order: chain by chain, newest
 * first.  Deleting while listing would depend on each backend's listing
 * semantics under change.  When a deletion fails, the older archives of
 * the same chain are not tried: a newer incremental that stays needs them.
 *
 * Threads: the job's thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "prune.h"
#include "prune_plan.h"
#include "settings.h"
#include "storage.h"
#include "xmalloc.h"

struct collect {
	struct prune_obj	*v;
	size_t			 n;
};

static int
collect_one(const struct storage_obj *obj, void *arg)
{
	struct collect *c = arg;

	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n].name = xstrdup(obj->name);
	c->v[c->n].mtime = obj->mtime;
	c->n++;
	return 0;
}

static void
delete_planned(struct storage *st, const struct prune_plan *pl,
    struct prune_result *res)
{
	const struct prune_item *it;
	const char *stuck = NULL;	/* a chain whose deletion failed */
	struct bk_err derr;
	size_t i;

	for (i = 0; i < pl->ndel; i++) {
		it = &pl->v[pl->del[i]];
		if (stuck != NULL && strcmp(stuck, it->chain) == 0) {
			res->held++;
			continue;
		}
		if (storage_delete(st, it->name, &derr) == 0 ||
		    derr.code == BK_ENOENT) {
			res->pruned++;
			log_kv(LOG_INFO, "pruned", "name", it->name,
			    "destination", storage_location(st), (char *)NULL);
		} else {
			res->failed++;
			stuck = it->chain;
			log_kv(LOG_WARN, "prune failed", "name", it->name,
			    "error", derr.msg, (char *)NULL);
		}
	}
}

int
prune_run(struct storage *st, const struct settings *user, const char *tmpl,
    const char *keep, const char *const *pinned, time_t now,
    struct prune_result *res, struct bk_err *err)
{
	struct collect c = { 0 };
	struct prune_plan pl = { 0 };
	struct prune_params pp = { .tmpl = tmpl, .keep = keep,
	    .pinned = pinned };
	long long days = settings_int(user, "BACKUP_RETENTION_DAYS");
	int64_t leeway_ms = settings_duration_ms(user,
	    "BACKUP_PRUNING_LEEWAY");
	const char *prefix = settings_get(user, "BACKUP_PRUNING_PREFIX");
	char nb[16];
	size_t i;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (days < 0) {
		res->skipped = true;
		return 0;
	}
	pp.prefix = prefix != NULL && *prefix != '\0' ? prefix : NULL;
	pp.cutoff = now - (time_t)days * 86400 + (time_t)(leeway_ms / 1000);
	if (storage_list(st, collect_one, &c, err) == -1)
		goto out;
	prune_plan_make(c.v, c.n, &pp, &pl);
	res->candidates = pl.candidates;
	res->expired = pl.expired;
	res->kept_needed = pl.kept_needed;
	res->refused_all = pl.refused_all;
	if (pl.kept_needed > 0) {
		snprintf(nb, sizeof(nb), "%u", pl.kept_needed);
		log_kv(LOG_INFO, "expired archives kept: a kept restore point "
		    "needs them", "count", nb, "destination",
		    storage_location(st), (char *)NULL);
	}
	if (pl.refused_all)
		log_kv(LOG_WARN, "every restorable backup would be pruned; "
		    "refusing to delete any (check BACKUP_RETENTION_DAYS and "
		    "BACKUP_PRUNING_PREFIX)", "destination",
		    storage_location(st), (char *)NULL);
	else
		delete_planned(st, &pl, res);
	rc = 0;
out:
	prune_plan_free(&pl);
	for (i = 0; i < c.n; i++)
		free((char *)c.v[i].name);
	free(c.v);
	return rc;
}
