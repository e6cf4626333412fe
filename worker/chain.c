/*
 * chain.c - the state of a user's incremental chain and the full-or-
 * incremental decision.
 *
 * Invariants: the state file is replaced by rename() of a fully written,
 * fsynced temporary, so a crash leaves the old state or the new one; the
 * entries are kept sorted by path (strcmp order, the order of the paths
 * member) so lookups are binary searches.  A state that fails to parse is
 * treated as missing (the next run is a full, said so).
 *
 * Threads: none; one job owns its user's state.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "err.h"
#include "names.h"
#include "path.h"
#include "xmalloc.h"

void
chain_state_init(struct chain_state *st)
{
	memset(st, 0, sizeof(*st));
}

void
chain_state_free(struct chain_state *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->ents[i].path);
	for (i = 0; i < st->ndumps; i++)
		free(st->dumps[i].name);
	free(st->ents);
	free(st->dumps);
	free(st->full);
	free(st->last);
	free(st->ext);
	chain_state_init(st);
}

void
chain_state_add(struct chain_state *st, const struct chain_entry *e)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 256;
		st->ents = xreallocarray(st->ents, st->cap, sizeof(*st->ents));
	}
	st->ents[st->n] = *e;
	st->ents[st->n].path = xstrdup(e->path);
	st->n++;
}

void
chain_state_add_dump(struct chain_state *st, const char *name,
    const char *sha256)
{
	struct chain_dump *d;

	if (st->ndumps == st->dcap) {
		st->dcap = st->dcap ? st->dcap * 2 : 8;
		st->dumps = xreallocarray(st->dumps, st->dcap,
		    sizeof(*st->dumps));
	}
	d = &st->dumps[st->ndumps++];
	d->name = xstrdup(name);
	snprintf(d->sha256, sizeof(d->sha256), "%s", sha256);
}

static int
ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct chain_entry *)a)->path,
	    ((const struct chain_entry *)b)->path);
}

void
chain_state_sort(struct chain_state *st)
{
	if (st->n > 1)
		qsort(st->ents, st->n, sizeof(*st->ents), ent_cmp);
}

const struct chain_entry *
chain_state_find(const struct chain_state *st, const char *path)
{
	struct chain_entry key = { .path = (char *)path };

	if (st == NULL || st->n == 0)
		return NULL;
	return bsearch(&key, st->ents, st->n, sizeof(*st->ents), ent_cmp);
}

const char *
chain_state_dump_sha(const struct chain_state *st, const char *name)
{
	size_t i;

	for (i = 0; st != NULL && i < st->ndumps; i++)
		if (strcmp(st->dumps[i].name, name) == 0)
			return st->dumps[i].sha256;
	return NULL;
}

bool
chain_changed(const struct chain_state *st, const struct chain_entry *e)
{
	const struct chain_entry *o = chain_state_find(st, e->path);

	return o == NULL || o->size != e->size || o->mtime_ns != e->mtime_ns ||
	    o->ctime_ns != e->ctime_ns || o->ino != e->ino ||
	    o->type != e->type;
}

void
chain_entry_from_stat(struct chain_entry *e, const char *member,
    const struct stat *sb)
{
	e->path = (char *)member;
	e->size = S_ISREG(sb->st_mode) ? (uint64_t)sb->st_size : 0;
	e->mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 +
	    sb->st_mtim.tv_nsec;
	e->ctime_ns = (int64_t)sb->st_ctim.tv_sec * 1000000000 +
	    sb->st_ctim.tv_nsec;
	e->ino = (uint64_t)sb->st_ino;
	e->type = S_ISREG(sb->st_mode) ? 'f' : S_ISDIR(sb->st_mode) ? 'd' :
	    S_ISLNK(sb->st_mode) ? 'l' : 'o';
}

static void
state_path(const char *state_dir, const char *user, char *buf, size_t size)
{
	snprintf(buf, size, "%s/chain/%s.state", state_dir, user);
}

static int
state_from_json(json_t *j, struct chain_state *st, struct bk_err *err)
{
	json_t *ents, *dumps, *v;
	size_t i;
	struct chain_entry e;
	const char *full, *last, *ext, *p, *t;

	full = json_string_value(json_object_get(j, "full"));
	last = json_string_value(json_object_get(j, "last"));
	ext = json_string_value(json_object_get(j, "ext"));
	ents = json_object_get(j, "paths");
	dumps = json_object_get(j, "dumps");
	if (full == NULL || last == NULL || ext == NULL ||
	    !json_is_array(ents) || !json_is_array(dumps))
		return bk_err_set(err, BK_ECORRUPT, "chain state: malformed");
	st->full = xstrdup(full);
	st->last = xstrdup(last);
	st->ext = xstrdup(ext);
	st->seq = (unsigned int)json_integer_value(json_object_get(j, "seq"));
	st->full_time = (time_t)json_integer_value(json_object_get(j,
	    "full_time"));
	if ((p = json_string_value(json_object_get(j, "id"))) != NULL &&
	    strlen(p) == 16)
		memcpy(st->id, p, 17);
	json_array_foreach(ents, i, v) {
		/* [path, type, size, mtime_ns, ctime_ns, ino] */
		p = json_string_value(json_array_get(v, 0));
		t = json_string_value(json_array_get(v, 1));
		if (p == NULL || t == NULL || json_array_size(v) != 6)
			return bk_err_set(err, BK_ECORRUPT,
			    "chain state: malformed path entry");
		e.path = (char *)p;
		e.type = t[0];
		e.size = (uint64_t)json_integer_value(json_array_get(v, 2));
		e.mtime_ns = json_integer_value(json_array_get(v, 3));
		e.ctime_ns = json_integer_value(json_array_get(v, 4));
		e.ino = (uint64_t)json_integer_value(json_array_get(v, 5));
		chain_state_add(st, &e);
	}
	json_array_foreach(dumps, i, v) {
		p = json_string_value(json_object_get(v, "name"));
		t = json_string_value(json_object_get(v, "sha256"));
		if (p == NULL || t == NULL || strlen(t) != 64)
			return bk_err_set(err, BK_ECORRUPT,
			    "chain state: malformed dump entry");
		chain_state_add_dump(st, p, t);
	}
	chain_state_sort(st);
	return 0;
}

int
chain_state_load(const char *state_dir, const char *user,
    struct chain_state *st, struct bk_err *err)
{
	char path[4096];
	json_error_t je;
	json_t *j;
	int rc;

	chain_state_init(st);
	state_path(state_dir, user, path, sizeof(path));
	if ((j = json_load_file(path, 0, &je)) == NULL) {
		if (access(path, F_OK) == -1 && errno == ENOENT)
			return bk_err_set(err, BK_ENOENT, "no chain state");
		return bk_err_set(err, BK_ECORRUPT, "chain state unreadable "
		    "(line %d)", je.line);
	}
	rc = state_from_json(j, st, err);
	json_decref(j);
	if (rc == -1)
		chain_state_free(st);
	return rc;
}

static json_t *
state_to_json(const struct chain_state *st)
{
	json_t *j, *ents, *dumps;
	const struct chain_entry *e;
	char t[2] = { 0, 0 };
	size_t i;

	ents = json_array();
	for (i = 0; i < st->n; i++) {
		e = &st->ents[i];
		t[0] = e->type;
		json_array_append_new(ents, json_pack("[s,s,I,I,I,I]", e->path,
		    t, (json_int_t)e->size, (json_int_t)e->mtime_ns,
		    (json_int_t)e->ctime_ns, (json_int_t)e->ino));
	}
	dumps = json_array();
	for (i = 0; i < st->ndumps; i++)
		json_array_append_new(dumps, json_pack("{s:s,s:s}", "name",
		    st->dumps[i].name, "sha256", st->dumps[i].sha256));
	j = json_pack("{s:i,s:s,s:s,s:i,s:s,s:s,s:I,s:o,s:o}", "version", 1,
	    "id", st->id, "full", st->full, "seq", (int)st->seq, "last",
	    st->last,
	    "ext", st->ext != NULL ? st->ext : "",
	    "full_time", (json_int_t)st->full_time, "paths", ents,
	    "dumps", dumps);
	return j;
}

int
chain_state_save(const char *state_dir, const char *user,
    const struct chain_state *st, struct bk_err *err)
{
	char dir[4096], path[4096], tmp[4200];
	json_t *j = NULL;
	int fd = -1, rc = -1;

	snprintf(dir, sizeof(dir), "%s/chain", state_dir);
	if (path_mkdirs(dir, 0700, err) == -1) {
		bk_err_prefix(err, "chain state (STATE_DIR)");
		return -1;
	}
	state_path(state_dir, user, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		bk_err_sys(err, BK_EIO, "chain state: %s", tmp);
		goto out;
	}
	j = state_to_json(st);
	if (j == NULL || json_dumpfd(j, fd, JSON_COMPACT) == -1 ||
	    fsync(fd) == -1) {
		bk_err_sys(err, BK_EIO, "chain state: %s", tmp);
		goto out;
	}
	if (close(fd) == -1 || (fd = -1, rename(tmp, path) == -1)) {
		fd = -1;
		bk_err_sys(err, BK_EIO, "chain state: %s", path);
		goto out;
	}
	fd = -1;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		unlink(tmp);
	json_decref(j);
	return rc;
}

int
chain_state_remove(const char *state_dir, const char *user,
    struct bk_err *err)
{
	char path[4096];

	state_path(state_dir, user, path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT)
		return bk_err_sys(err, BK_EIO, "chain state: %s", path);
	return 0;
}

static void
plan_full(struct chain_plan *p, const char *full_name, const char *why)
{
	unsigned char r[8];
	size_t i;

	/* Tells this chain from an older one whose full had the same name
	 * (a BACKUP_FILENAME without a date, two runs in one second). */
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		snprintf(p->id + 2 * i, 3, "%02x", r[i]);
	p->full = true;
	p->seq = 0;
	p->name = xstrdup(full_name);
	p->chain = xstrdup(full_name);
	p->prev = NULL;
	snprintf(p->note, sizeof(p->note), "%s", why);
}

void
chain_decide(const struct chain_state *st, const char *state_why,
    const struct chain_policy *pol, time_t now, bool last_present,
    const char *full_name, struct chain_plan *p)
{
	char why[160];

	memset(p, 0, sizeof(*p));
	p->full_time = now;
	if (!pol->incremental)
		return plan_full(p, full_name, "");
	if (st == NULL)
		return plan_full(p, full_name, state_why != NULL ? state_why :
		    "no chain state");
	if (pol->ext != NULL && strcmp(st->ext, pol->ext) != 0)
		return plan_full(p, full_name,
		    "compression or encryption changed");
	if (!last_present)
		return plan_full(p, full_name,
		    "last archive missing at destination");
	if (st->id[0] == '\0')
		return plan_full(p, full_name, "chain state has no chain id");
	if (pol->chain_length > 0 && st->seq >= pol->chain_length) {
		snprintf(why, sizeof(why), "chain length %lld reached",
		    pol->chain_length);
		return plan_full(p, full_name, why);
	}
	if (pol->full_interval_ms > 0 &&
	    (int64_t)(now - st->full_time) * 1000 >= pol->full_interval_ms) {
		snprintf(why, sizeof(why), "full interval %s reached",
		    pol->full_interval != NULL ? pol->full_interval :
		    "BACKUP_FULL_INTERVAL");
		return plan_full(p, full_name, why);
	}
	if (st->seq >= 9999)
		return plan_full(p, full_name, "chain length 9999 reached");
	p->full = false;
	p->seq = st->seq + 1;
	p->chain = xstrdup(st->full);
	p->prev = xstrdup(st->last);
	p->name = names_inc_render(st->full, p->seq);
	p->full_time = st->full_time;
	memcpy(p->id, st->id, sizeof(p->id));
}

void
chain_plan_free(struct chain_plan *p)
{
	free(p->name);
	free(p->chain);
	free(p->prev);
	memset(p, 0, sizeof(*p));
}

int
chain_meta_json(const struct chain_plan *p, time_t now, struct buf *out)
{
	char ts[32], fts[32];
	struct tm tm;
	json_t *j;
	char *s;
	int rc;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	gmtime_r(&p->full_time, &tm);
	strftime(fts, sizeof(fts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* id tells two chains apart whose fulls share a name: restore
	 * checks it. */
	j = json_pack("{s:s,s:s,s:s,s:i,s:o,s:s,s:s}", "kind",
	    p->full ? "full" : "incremental", "id", p->id, "chain", p->chain,
	    "seq", (int)p->seq, "prev", p->prev != NULL ?
	    json_string(p->prev) : json_null(), "time", ts, "full_time", fts);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rc = buf_puts(out, s);
	if (rc == 0)
		rc = buf_append(out, "\n", 1);
	free(s);
	return rc;
}

int
chain_paths(const struct chain_state *st, struct buf *out)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (buf_append(out, st->ents[i].path,
		    strlen(st->ents[i].path) + 1) == -1)
			return -1;
	return 0;
}
