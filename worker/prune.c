/*
 * prune.c - retention over any storage backend (see prune.h).
 *
 * Two passes: list everything into memory (names only; a destination holds
 * a few thousand backups at most), decide, then delete.  Deleting while
 * listing would depend on each backend's listing semantics under change.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "names.h"
#include "prune.h"
#include "settings.h"
#include "storage.h"
#include "xmalloc.h"

struct cand {
	char	*name;
	time_t	 when;
};

struct collect {
	const char	*tmpl;
	const char	*prefix;
	struct cand	*v;
	size_t		 n;
};

static int
collect_one(const struct storage_obj *obj, void *arg)
{
	struct collect *c = arg;
	time_t when = obj->mtime;
	bool has_time = false;

	if (c->prefix != NULL) {
		if (strncmp(obj->name, c->prefix, strlen(c->prefix)) != 0)
			return 0;
	} else if (!names_match(c->tmpl, obj->name, &when, &has_time))
		return 0;
	if (!has_time)
		when = obj->mtime;
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n].name = xstrdup(obj->name);
	c->v[c->n].when = when;
	c->n++;
	return 0;
}

/* A pinned backup is never pruned (backupctl pin).  "*" means the pins
 * could not be read: keep everything rather than guess. */
static bool
is_pinned(const char *const *pinned, const char *name)
{
	for (; pinned != NULL && *pinned != NULL; pinned++)
		if (strcmp(*pinned, name) == 0 || strcmp(*pinned, "*") == 0)
			return true;
	return false;
}

int
prune_run(struct storage *st, const struct settings *user, const char *tmpl,
    const char *keep, const char *const *pinned, time_t now,
    struct prune_result *res, struct bk_err *err)
{
	struct collect c = { 0 };
	long long days = settings_int(user, "BACKUP_RETENTION_DAYS");
	int64_t leeway_ms = settings_duration_ms(user,
	    "BACKUP_PRUNING_LEEWAY");
	const char *prefix = settings_get(user, "BACKUP_PRUNING_PREFIX");
	struct bk_err derr;
	time_t cutoff;
	size_t i;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (days < 0) {
		res->skipped = true;
		return 0;
	}
	c.tmpl = tmpl;
	c.prefix = prefix != NULL && *prefix != '\0' ? prefix : NULL;
	if (storage_list(st, collect_one, &c, err) == -1)
		goto out;
	cutoff = now - (time_t)days * 86400 + (time_t)(leeway_ms / 1000);
	res->candidates = (unsigned int)c.n;
	for (i = 0; i < c.n; i++)
		if (c.v[i].when < cutoff &&
		    (keep == NULL || strcmp(c.v[i].name, keep) != 0) &&
		    !is_pinned(pinned, c.v[i].name))
			res->expired++;
		else
			c.v[i].name[0] = '\0';	/* kept */
	if (res->expired > 0 && res->expired == res->candidates) {
		res->refused_all = true;
		log_kv(LOG_WARN, "every existing backup would be pruned; "
		    "refusing to delete any (check BACKUP_RETENTION_DAYS and "
		    "BACKUP_PRUNING_PREFIX)", "destination",
		    storage_location(st), (char *)NULL);
		rc = 0;
		goto out;
	}
	for (i = 0; i < c.n; i++) {
		if (c.v[i].name[0] == '\0')
			continue;
		if (storage_delete(st, c.v[i].name, &derr) == 0 ||
		    derr.code == BK_ENOENT) {
			res->pruned++;
			log_kv(LOG_INFO, "pruned", "name", c.v[i].name,
			    "destination", storage_location(st), (char *)NULL);
		} else {
			res->failed++;
			log_kv(LOG_WARN, "prune failed", "name", c.v[i].name,
			    "error", derr.msg, (char *)NULL);
		}
	}
	rc = 0;
out:
	for (i = 0; i < c.n; i++)
		free(c.v[i].name);
	free(c.v);
	return rc;
}
