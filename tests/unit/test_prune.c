/*
 * test_prune.c - the retention decision (prune_plan.c) over lists of
 * names, times and pins, without a backend: restore points counted, a
 * kept incremental keeping its full and earlier incrementals, pins
 * keeping a prefix of a chain, the backup just written and what it needs,
 * names built to collide with a chain, broken chains, the refuse-all
 * guard, and the deletion order (newest first within a chain).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "prune_plan.h"
#include "tap.h"

#define F1	"backup-2026-11-01T03-00-00.tar.zst"
#define F2	"backup-2026-11-20T03-00-00.tar.zst"
#define DAY	86400

/* 2026-11-25T03:00:00 as names_match reads it (local zone); retention
 * 7 days: cutoff 2026-11-18T03:00. */
static time_t now;

struct list {
	struct prune_obj	 o[32];
	char			*own[32];
	size_t			 n;
};

static void
add(struct list *l, const char *name, time_t mtime)
{
	l->own[l->n] = strdup(name);
	l->o[l->n].name = l->own[l->n];
	l->o[l->n].mtime = mtime;
	l->n++;
}

/* inc-k of full, written at mtime. */
static const char *
add_inc(struct list *l, const char *full, unsigned int k, time_t mtime)
{
	char *n = names_inc_render(full, k);

	add(l, n, mtime);
	free(n);
	return l->own[l->n - 1];
}

static void
list_free(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->own[i]);
	l->n = 0;
}

static struct prune_params
params(const char *keep, const char *const *pinned)
{
	struct prune_params pp = { .tmpl = NAMES_DEFAULT, .keep = keep,
	    .pinned = pinned, .cutoff = now - 7 * DAY };

	return pp;
}

/* The deletion order as "i,j,k" of list indexes. */
static const char *
order(const struct prune_plan *pl)
{
	static char s[256];
	size_t i, len = 0;

	s[0] = '\0';
	for (i = 0; i < pl->ndel && len < sizeof(s) - 8; i++)
		len += (size_t)snprintf(s + len, sizeof(s) - len, "%s%zu",
		    i ? "," : "", pl->del[i]);
	return s;
}

static enum prune_fate
fate(const struct prune_plan *pl, size_t i)
{
	return pl->v[i].fate;
}

static void
test_kept_incremental_keeps_chain(void)
{
	struct list l = { .n = 0 };
	struct prune_params pp = params(NULL, NULL);
	struct prune_plan pl;

	add(&l, F1, now - 24 * DAY);			/* 0 */
	add_inc(&l, F1, 1, now - 23 * DAY);		/* 1 */
	add_inc(&l, F1, 2, now - 22 * DAY);		/* 2 */
	add_inc(&l, F1, 3, now - 1 * DAY);		/* 3: fresh */
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.candidates == 4, "every full and incremental is a restore "
	    "point (%u)", pl.candidates);
	ok(pl.expired == 3 && pl.ndel == 0, "a fresh inc-3 keeps its "
	    "expired full, inc-1 and inc-2 (expired %u, deleted %zu)",
	    pl.expired, pl.ndel);
	ok(pl.kept_needed == 3 && fate(&pl, 0) == PRUNE_NEEDED &&
	    fate(&pl, 2) == PRUNE_NEEDED && fate(&pl, 3) == PRUNE_FRESH,
	    "they are counted as kept because a kept point needs them (%u)",
	    pl.kept_needed);
	prune_plan_free(&pl);
	list_free(&l);
}

static void
test_expired_chain_goes_newest_first(void)
{
	struct list l = { .n = 0 };
	struct prune_params pp = params(F2, NULL);
	struct prune_plan pl;

	add_inc(&l, F1, 1, now - 23 * DAY);		/* 0 */
	add(&l, F2, now - 5 * DAY);			/* 1: written */
	add_inc(&l, F1, 3, now - 21 * DAY);		/* 2 */
	add(&l, F1, now - 24 * DAY);			/* 3 */
	add_inc(&l, F1, 2, now - 22 * DAY);		/* 4 */
	add_inc(&l, F2, 1, now - 4 * DAY);		/* 5 */
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.ndel == 4 && strcmp(order(&pl), "2,4,0,3") == 0,
	    "an expired chain goes inc-3, inc-2, inc-1, then its full (%s)",
	    order(&pl));
	ok(fate(&pl, 1) == PRUNE_WRITTEN && fate(&pl, 5) == PRUNE_FRESH &&
	    pl.kept_needed == 0, "the new chain stays");
	prune_plan_free(&pl);
	list_free(&l);
}

static void
test_pins(void)
{
	struct list l = { .n = 0 };
	const char *pins[2] = { NULL, NULL };
	const char *star[2] = { "*", NULL };
	struct prune_params pp;
	struct prune_plan pl;

	add(&l, F1, now - 24 * DAY);			/* 0 */
	add_inc(&l, F1, 1, now - 23 * DAY);		/* 1 */
	pins[0] = add_inc(&l, F1, 2, now - 22 * DAY);	/* 2: pinned */
	add_inc(&l, F1, 3, now - 21 * DAY);		/* 3 */
	add(&l, F2, now - 5 * DAY);			/* 4 */
	pp = params(F2, pins);
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.ndel == 1 && pl.del[0] == 3, "a pinned inc-2 keeps its "
	    "prefix; only inc-3 goes (%s)", order(&pl));
	ok(fate(&pl, 2) == PRUNE_PINNED && fate(&pl, 0) == PRUNE_NEEDED &&
	    fate(&pl, 1) == PRUNE_NEEDED && pl.kept_needed == 2,
	    "the full and inc-1 are kept for it (%u)", pl.kept_needed);
	prune_plan_free(&pl);
	pp = params(F2, star);
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.ndel == 0, "pins that could not be read (\"*\"): nothing goes");
	prune_plan_free(&pl);
	list_free(&l);
}

static void
test_written_needs(void)
{
	struct list l = { .n = 0 };
	char *inc3 = names_inc_render(F1, 3);
	struct prune_params pp = params(inc3, NULL);
	struct prune_plan pl;

	/* inc-3 was just written but the listing does not show it yet. */
	add(&l, F1, now - 24 * DAY);
	add_inc(&l, F1, 1, now - 23 * DAY);
	add_inc(&l, F1, 2, now - 22 * DAY);
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.ndel == 0 && pl.kept_needed == 3, "the backup just written "
	    "keeps its chain even before the listing shows it (%s)",
	    order(&pl));
	prune_plan_free(&pl);
	free(inc3);
	list_free(&l);
}

static void
test_collision(void)
{
	struct list l = { .n = 0 };
	struct prune_params pp = params(F2, NULL);
	struct prune_plan pl;
	char fake[128];

	/* The right form, the wrong hash: not part of F1's chain. */
	snprintf(fake, sizeof(fake), "inc-0002-deadbeef-%s", F1);
	add(&l, F1, now - 24 * DAY);			/* 0 */
	add_inc(&l, F1, 1, now - 23 * DAY);		/* 1 */
	add(&l, fake, now - 1 * DAY);			/* 2 */
	add(&l, F2, now - 1 * DAY);			/* 3 */
	add(&l, "holiday-photos.tar.gz", now - 99 * DAY);	/* 4 */
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(fate(&pl, 2) == PRUNE_OUT, "a name built to collide (wrong "
	    "hash) is not a candidate, never deleted");
	ok(pl.ndel == 2 && strcmp(order(&pl), "1,0") == 0,
	    "and keeps nothing: F1 and its inc-1 go (%s)", order(&pl));
	ok(fate(&pl, 4) == PRUNE_OUT && pl.candidates == 3,
	    "names the template did not make are not considered (%u)",
	    pl.candidates);
	prune_plan_free(&pl);
	list_free(&l);
}

static void
test_broken(void)
{
	struct list l = { .n = 0 };
	struct prune_params pp = params(F2, NULL);
	struct prune_plan pl;

	/* F1 is gone: its incrementals are a broken chain. */
	add_inc(&l, F1, 1, now - 23 * DAY);		/* 0: expired */
	add_inc(&l, F1, 2, now - 1 * DAY);		/* 1: fresh */
	add(&l, F2, now - 2 * DAY);			/* 2 */
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.ndel == 1 && pl.del[0] == 0 && fate(&pl, 1) == PRUNE_FRESH &&
	    !pl.v[1].intact, "a broken chain: the expired inc goes, the "
	    "fresh one stays without keeping anything (%s)", order(&pl));
	prune_plan_free(&pl);
	list_free(&l);

	/* A hole in the middle: inc-3 cannot restore, keeps nothing. */
	add(&l, F1, now - 24 * DAY);			/* 0 */
	add_inc(&l, F1, 1, now - 23 * DAY);		/* 1 */
	add_inc(&l, F1, 3, now - 1 * DAY);		/* 2: fresh, broken */
	add(&l, F2, now - 2 * DAY);			/* 3 */
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.ndel == 2 && strcmp(order(&pl), "1,0") == 0 &&
	    pl.kept_needed == 0, "inc-2 missing: a fresh inc-3 does not keep "
	    "the full or inc-1 (%s)", order(&pl));
	prune_plan_free(&pl);
	list_free(&l);
}

static void
test_guard(void)
{
	struct list l = { .n = 0 };
	struct prune_params pp = params(NULL, NULL);
	struct prune_plan pl;

	add(&l, F1, now - 24 * DAY);
	add_inc(&l, F1, 1, now - 23 * DAY);
	add(&l, "backup-2026-11-17T03-00-00.tar.zst", now);
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.refused_all && pl.ndel == 0 && fate(&pl, 2) == PRUNE_REFUSED,
	    "every restore point expired: nothing is deleted");
	prune_plan_free(&pl);
	/* Only a broken chain would be left: no restorable point. */
	add_inc(&l, "backup-2026-11-10T03-00-00.tar.zst", 2, now - DAY);
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.refused_all && pl.ndel == 0, "a fresh but broken incremental "
	    "does not count: refused all the same");
	prune_plan_free(&pl);
	list_free(&l);

	/* Nothing restorable to begin with: broken ones can still go. */
	add_inc(&l, F1, 1, now - 23 * DAY);
	add_inc(&l, F1, 2, now - 1 * DAY);
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(!pl.refused_all && pl.ndel == 1, "only broken points: the "
	    "expired one goes, the guard counts what is left (%zu)", pl.ndel);
	prune_plan_free(&pl);
	list_free(&l);
}

static void
test_times(void)
{
	struct list l = { .n = 0 };
	struct prune_params pp = params(F2, NULL);
	struct prune_plan pl;

	/* A copy reset F1's mtime: its name still says 24 days. */
	add(&l, F1, now);				/* 0 */
	/* An incremental's name carries its full's time: its own is the
	 * mtime, so inc-1 of an old full written yesterday is fresh. */
	add_inc(&l, F1, 1, now - DAY);			/* 1 */
	add(&l, F2, now);				/* 2 */
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.v[0].when == now - 24 * DAY && fate(&pl, 0) == PRUNE_NEEDED,
	    "a full's time is the time in its name (%s)",
	    prune_fate_name(fate(&pl, 0)));
	ok(pl.v[1].when == now - DAY && fate(&pl, 1) == PRUNE_FRESH,
	    "an incremental's time is its storage mtime");
	prune_plan_free(&pl);
	l.o[1].mtime = 0;
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.v[1].when == now - 24 * DAY, "but never before its full's "
	    "(a backend without mtimes: the full's time)");
	prune_plan_free(&pl);
	/* With BACKUP_PRUNING_PREFIX the full's prefix decides, and
	 * incrementals of those fulls are candidates too. */
	pp.prefix = "backup-2026-11-0";
	l.o[0].mtime = now - 24 * DAY;
	l.o[1].mtime = now - 23 * DAY;
	add(&l, "backup-2026-11-05T03-00-00.tar.zst", now - DAY);	/* 3 */
	prune_plan_make(l.o, l.n, &pp, &pl);
	ok(pl.candidates == 3 && fate(&pl, 2) == PRUNE_OUT &&
	    strcmp(order(&pl), "1,0") == 0, "with a prefix (times from "
	    "mtimes): the incremental of a matching full is one too (%s)",
	    order(&pl));
	prune_plan_free(&pl);
	list_free(&l);
}

int
main(void)
{
	bool has_time = false;

	if (!names_match(NAMES_DEFAULT, "backup-2026-11-25T03-00-00.tar.zst",
	    &now, &has_time) || !has_time)
		return 1;
	test_kept_incremental_keeps_chain();
	test_expired_chain_goes_newest_first();
	test_pins();
	test_written_needs();
	test_collision();
	test_broken();
	test_guard();
	test_times();
	return tap_done();
}
