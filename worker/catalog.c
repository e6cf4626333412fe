/*
 * catalog.c - listing a user's backups across destinations.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "config.h"
#include "err.h"
#include "names.h"
#include "settings.h"
#include "storage.h"
#include "xmalloc.h"

#define MAX_DESTS	8

struct lister {
	struct catalog	*cat;
	const char	*tmpl;
	const char	*prefix;
	const char	*dest;
	const char	*location;
};

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool
archive_like(const char *name)
{
	static const char *const exts[] = { ".tar", ".tar.gz", ".tgz",
	    ".tar.zst" };
	static const char *const encs[] = { "", ".gpg", ".age", ".pgp",
	    ".asc" };
	char buf[600];
	size_t i, j;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		for (j = 0; j < sizeof(encs) / sizeof(encs[0]); j++) {
			snprintf(buf, sizeof(buf), "%s%s", exts[i], encs[j]);
			if (ends_with(name, buf))
				return true;
		}
	return false;
}

static int
add_entry(const struct storage_obj *o, void *arg)
{
	struct lister *l = arg;
	struct catalog_entry *e;
	time_t when = 0;
	bool has_time = false, mine;
	const char *chain;

	mine = names_match(l->tmpl, o->name, &when, &has_time) ||
	    (l->prefix != NULL && strncmp(o->name, l->prefix,
	    strlen(l->prefix)) == 0) || archive_like(o->name);
	if (!mine)
		return 0;
	l->cat->v = xreallocarray(l->cat->v, l->cat->n + 1,
	    sizeof(*l->cat->v));
	e = &l->cat->v[l->cat->n++];
	e->name = xstrdup(o->name);
	e->destination = xstrdup(l->dest);
	e->location = xstrdup(l->location);
	e->size = o->size;
	e->time = has_time ? when : o->mtime;
	/* An incremental's name carries its full's time, not its own. */
	if ((chain = names_inc_split(o->name, &e->seq)) != NULL) {
		e->kind = "incremental";
		/* Its own time is the storage's; never before its full's (a
		 * backend's clock or a copy may say otherwise), the rule
		 * pruning uses too (prune_plan.c). */
		e->time = o->mtime;
		if (names_match(l->tmpl, chain, &when, &has_time) && has_time &&
		    e->time < when)
			e->time = when;
	} else {
		e->kind = "full";
		e->seq = 0;
		chain = o->name;
	}
	e->chain = xstrdup(chain);
	e->missing = NULL;
	return 0;
}

static int
newest_first(const void *a, const void *b)
{
	const struct catalog_entry *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? 1 : -1;
	/* One chain in one second: the later archive first. */
	if (strcmp(x->chain, y->chain) == 0 && x->seq != y->seq)
		return x->seq < y->seq ? 1 : -1;
	return strcmp(y->name, x->name);
}

/* Entries by destination, then name: chains are walked with lookups in
 * it (a destination may hold thousands of archives, all of one chain). */
static int
by_dest_name(const void *a, const void *b)
{
	const struct catalog_entry *x = *(const struct catalog_entry *const *)a;
	const struct catalog_entry *y = *(const struct catalog_entry *const *)b;
	int c = strcmp(x->destination, y->destination);

	return c != 0 ? c : strcmp(x->name, y->name);
}

static const struct catalog_entry **
index_new(const struct catalog *cat)
{
	const struct catalog_entry **ix;
	size_t i;

	ix = xcalloc(cat->n + 1, sizeof(*ix));
	for (i = 0; i < cat->n; i++)
		ix[i] = &cat->v[i];
	if (cat->n > 1)
		qsort(ix, cat->n, sizeof(*ix), by_dest_name);
	return ix;
}

static const struct catalog_entry *
find_at(const struct catalog_entry *const *ix, size_t n, const char *dest,
    const char *name)
{
	struct catalog_entry key = { .name = (char *)name,
	    .destination = (char *)dest };
	const struct catalog_entry *kp = &key, *const *hit;

	hit = bsearch(&kp, ix, n, sizeof(*ix), by_dest_name);
	return hit != NULL ? *hit : NULL;
}

/*
 * e's chain at its destination into v (room for e->seq + 1), full first;
 * the first name missing, malloc'd, or NULL when whole.
 */
static char *
chain_walk(const struct catalog_entry *const *ix, size_t nix,
    const struct catalog_entry *e, const struct catalog_entry **v)
{
	const struct catalog_entry *a;
	unsigned int s;
	char *name;

	for (s = 0; s <= e->seq; s++) {
		name = s == 0 ? xstrdup(e->chain) : s == e->seq ?
		    xstrdup(e->name) : names_inc_render(e->chain, s);
		if ((a = find_at(ix, nix, e->destination, name)) == NULL)
			return name;
		free(name);
		if (v != NULL)
			v[s] = a;
	}
	return NULL;
}

/* By destination, chain, then seq: each chain's archives together. */
static int
by_chain(const void *a, const void *b)
{
	const struct catalog_entry *x = *(const struct catalog_entry *const *)a;
	const struct catalog_entry *y = *(const struct catalog_entry *const *)b;
	int c = strcmp(x->destination, y->destination);

	if (c == 0)
		c = strcmp(x->chain, y->chain);
	if (c == 0)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

/*
 * Every incremental's first missing archive.  Each chain is walked once,
 * from its full to the first archive absent: every step before that one
 * finds an archive of this chain, so the walks together take one lookup
 * per archive (walking from the full for each incremental would be
 * quadratic, and names at a user's own destination are the user's).
 */
static void
mark_broken(struct catalog *cat)
{
	const struct catalog_entry **ix = index_new(cat);
	struct catalog_entry **bs, *g;
	unsigned int s, top;
	size_t i, j;
	char *name;

	bs = xcalloc(cat->n + 1, sizeof(*bs));
	for (i = 0; i < cat->n; i++)
		bs[i] = &cat->v[i];
	if (cat->n > 1)
		qsort(bs, cat->n, sizeof(*bs), by_chain);
	for (i = 0; i < cat->n; i = j) {
		g = bs[i];
		for (j = i + 1; j < cat->n && strcmp(bs[j]->destination,
		    g->destination) == 0 && strcmp(bs[j]->chain, g->chain) ==
		    0; j++)
			;
		top = bs[j - 1]->seq;
		name = NULL;
		for (s = 0; s < top; s++) {
			name = s == 0 ? xstrdup(g->chain) :
			    names_inc_render(g->chain, s);
			if (find_at(ix, cat->n, g->destination, name) == NULL)
				break;
			free(name);
			name = NULL;
		}
		if (name == NULL)
			continue;
		for (; i < j; i++)
			if (bs[i]->seq > s)
				bs[i]->missing = xstrdup(name);
		free(name);
	}
	free(bs);
	free(ix);
}

int
catalog_chain(const struct catalog *cat, const char *name,
    const struct catalog_entry ***out, size_t *n, struct bk_err *err)
{
	const struct catalog_entry **v, **ix, *e = NULL;
	char *missing;
	size_t i;

	*out = NULL;
	*n = 0;
	for (i = 0; i < cat->n && e == NULL; i++)
		if (strcmp(cat->v[i].name, name) == 0)
			e = &cat->v[i];
	if (e == NULL)
		return bk_err_set(err, BK_ENOENT, "no backup named %s at any "
		    "destination", name);
	v = xcalloc(e->seq + 1, sizeof(*v));
	ix = index_new(cat);
	missing = chain_walk(ix, cat->n, e, v);
	free(ix);
	if (missing != NULL) {
		bk_err_set(err, BK_ECORRUPT, "%s is an incremental backup, "
		    "and its chain is broken: %s, which it needs, is not at "
		    "%s (%s)", name, missing, e->destination, e->location);
		free(missing);
		free(v);
		return -1;
	}
	*out = v;
	*n = e->seq + 1;
	return 0;
}

void
catalog_storage_config(const struct settings *admin,
    const struct settings *user, const char *user_name,
    const char *files_root, struct storage_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->user = user;
	cfg->admin = admin;
	cfg->user_name = user_name;
	cfg->files_root = files_root;
	cfg->state_dir = settings_get(admin, "STATE_DIR");
}

int
catalog_load(const struct settings *admin, const struct settings *user,
    const char *user_name, struct catalog *cat, struct bk_err *err)
{
	const char *names[MAX_DESTS], *prefix;
	struct storage_config cfg;
	struct storage *st;
	struct lister l;
	struct bk_err lerr;
	char *root, *msg;
	size_t i, n, listed = 0;

	memset(cat, 0, sizeof(*cat));
	root = config_source_path(admin, "SOURCE_FILES", user_name);
	catalog_storage_config(admin, user, user_name, root, &cfg);
	prefix = settings_get(user, "BACKUP_PRUNING_PREFIX");
	n = storage_enabled(user, names, MAX_DESTS);
	for (i = 0; i < n; i++) {
		if (storage_open(&st, names[i], &cfg, &lerr) == -1)
			goto failed;
		l = (struct lister){ cat, names_template(admin, user),
		    prefix != NULL && *prefix != '\0' ? prefix : NULL,
		    names[i], storage_location(st) };
		if (storage_list(st, add_entry, &l, &lerr) != 0) {
			storage_close(st);
			goto failed;
		}
		storage_close(st);
		listed++;
		continue;
failed:
		xasprintf(&msg, "%s: %s", names[i], lerr.msg);
		cat->errors = xreallocarray(cat->errors, cat->nerrors + 1,
		    sizeof(*cat->errors));
		cat->errors[cat->nerrors++] = msg;
		if (cat->nerrors == 1)
			*err = lerr;
	}
	free(root);
	if (n == 0)
		return bk_err_set(err, BK_ECONFIG, "no destination is set");
	if (listed == 0)
		return -1;
	if (cat->n > 1)
		qsort(cat->v, cat->n, sizeof(*cat->v), newest_first);
	mark_broken(cat);
	return 0;
}

void
catalog_free(struct catalog *cat)
{
	size_t i;

	for (i = 0; i < cat->n; i++) {
		free(cat->v[i].name);
		free(cat->v[i].chain);
		free(cat->v[i].missing);
		free(cat->v[i].destination);
		free(cat->v[i].location);
	}
	for (i = 0; i < cat->nerrors; i++)
		free(cat->errors[i]);
	free(cat->v);
	free(cat->errors);
	memset(cat, 0, sizeof(*cat));
}

int
catalog_open(const struct settings *admin, const struct settings *user,
    const char *user_name, const struct catalog *cat, const char *name,
    struct storage **out, const struct catalog_entry **entry,
    struct bk_err *err)
{
	struct storage_config cfg;
	char *root;
	size_t i;
	int rc;

	for (i = 0; i < cat->n; i++)
		if (strcmp(cat->v[i].name, name) == 0)
			break;
	if (i == cat->n)
		return bk_err_set(err, BK_ENOENT, "no backup named %s at any "
		    "destination of %s", name, user_name);
	root = config_source_path(admin, "SOURCE_FILES", user_name);
	catalog_storage_config(admin, user, user_name, root, &cfg);
	rc = storage_open(out, cat->v[i].destination, &cfg, err);
	free(root);
	*entry = &cat->v[i];
	return rc;
}
