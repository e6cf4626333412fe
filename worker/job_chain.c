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
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "err.h"
#include "job_chain.h"
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

struct seek {
	const char	*name;
	bool		 found;
};

static int
seek_cb(const struct storage_obj *o, void *arg)
{
	struct seek *s = arg;

	if (strcmp(o->name, s->name) == 0) {
		s->found = true;
		return 1;
	}
	return 0;
}

void
job_chain_check_dests(struct job_chain *c, struct storage **st, size_t n,
    const char *full_name, time_t now)
{
	struct seek s = { .name = c->prev.last };
	struct bk_err err;
	size_t i;

	if (!c->on || c->plan.full)
		return;
	for (i = 0; i < n; i++) {
		if (st[i] == NULL)
			continue;
		s.found = false;
		if (storage_list(st[i], seek_cb, &s, &err) == -1 || !s.found)
			break;
	}
	if (i == n)
		return;
	chain_plan_free(&c->plan);
	chain_decide(&c->prev, NULL, &c->pol, now, false, full_name,
	    &c->plan);
}

const char *
job_chain_name(const struct job_chain *c)
{
	return c->plan.name;
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
