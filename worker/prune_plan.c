/*
 * prune_plan.c - which archives retention deletes (see prune_plan.h).
 *
 * The rule, in the order it is applied:
 *
 *   1. Candidates.  A full is a candidate when BACKUP_FILENAME's template
 *	could have made its name (or it starts with BACKUP_PRUNING_PREFIX).
 *	An incremental inc-NNNN-hhhhhhhh-F is one when F would be, and only
 *	when hhhhhhhh is SHA-256(F): a name built to look like part of a
 *	chain is not ours, is never deleted and never counted.
 *   2. Time.  A full's time is the time in its name (when the template
 *	has date verbs), else its storage mtime; an incremental's is its
 *	storage mtime (its name carries its full's time, not its own, and
 *	retention means "every point of the last N days can be restored"),
 *	but never before its full's time: a backend without mtimes (0) or
 *	a clock behind makes it as old as its full, no older.
 *   3. Intact.  A full is intact; inc-k of F is intact when F and inc-1 ..
 *	inc-(k-1) of F are all listed.  An incremental that is not is a
 *	broken chain: it can be pruned once expired, and it is never a
 *	reason to keep anything else.
 *   4. Kept points: not expired, pinned, or the backup just written.  A
 *	kept intact point (and the backup just written, intact or not: the
 *	job checked its chain before writing) keeps everything it needs;
 *	what is expired but kept for that is PRUNE_NEEDED.
 *   5. The guard: when the deletions would leave no intact point (and
 *	there was one, or they would leave nothing at all), none is made.
 *   6. Order: chain by chain, newest first (inc-k before inc-(k-1), the
 *	full last), so an interrupted prune never leaves a kept incremental
 *	without what it needs.
 *
 * Threads: none of its own; pure over its arguments.
 */
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "prune_plan.h"
#include "xmalloc.h"

static bool
is_pinned(const char *const *pinned, const char *name)
{
	/* "*": the pins could not be read; keep everything, not guess. */
	for (; pinned != NULL && *pinned != NULL; pinned++)
		if (strcmp(*pinned, name) == 0 || strcmp(*pinned, "*") == 0)
			return true;
	return false;
}

/* Could the template (or the prefix) have made this full's name? */
static bool
in_scope(const struct prune_params *pp, const char *full, time_t *when,
    bool *has_time)
{
	*has_time = false;
	if (pp->prefix != NULL)
		return strncmp(full, pp->prefix, strlen(pp->prefix)) == 0;
	return names_match(pp->tmpl, full, when, has_time);
}

/* Fill it from o; false when pruning must not consider o at all. */
static bool
classify(const struct prune_params *pp, const struct prune_obj *o,
    struct prune_item *it)
{
	const char *full;
	unsigned int seq = 0;
	time_t when = o->mtime;
	bool has_time, mine;
	char *again;

	it->name = o->name;
	it->chain = o->name;
	it->seq = 0;
	it->when = o->mtime;
	it->intact = false;
	it->fate = PRUNE_OUT;
	if ((full = names_inc_split(o->name, &seq)) != NULL) {
		again = names_inc_render(full, seq);
		mine = strcmp(again, o->name) == 0;
		free(again);
		if (!mine || !in_scope(pp, full, &when, &has_time))
			return false;
		it->chain = full;
		it->seq = seq;
		if (has_time && when > it->when)
			it->when = when;
		return true;
	}
	if (!in_scope(pp, o->name, &when, &has_time))
		return false;
	if (has_time)
		it->when = when;
	return true;
}

static int
by_chain_seq(const void *a, const void *b, void *arg)
{
	const struct prune_item *v = arg;
	const struct prune_item *x = &v[*(const size_t *)a];
	const struct prune_item *y = &v[*(const size_t *)b];
	int c = strcmp(x->chain, y->chain);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The seq the backup just written needs up to in chain, or 0 / -1. */
static long
written_need(const struct prune_params *pp, const char *chain)
{
	unsigned int seq;
	const char *full;

	if (pp->keep == NULL)
		return -1;
	if (strcmp(pp->keep, chain) == 0)
		return 0;
	if ((full = names_inc_split(pp->keep, &seq)) == NULL ||
	    strcmp(full, chain) != 0)
		return -1;
	return (long)seq;
}

/* One chain's items, ord[lo..hi) sorted by seq: intact, and needed. */
static void
plan_chain(const struct prune_params *pp, struct prune_plan *pl,
    const size_t *ord, size_t lo, size_t hi)
{
	struct prune_item *it;
	long upto = written_need(pp, pl->v[ord[lo]].chain);
	size_t k;

	for (k = lo; k < hi; k++) {
		it = &pl->v[ord[k]];
		/* Sorted and unique: intact while seq counts 0, 1, 2 ... */
		it->intact = it->seq == k - lo &&
		    (k == lo || pl->v[ord[k - 1]].intact);
		if (it->fate == PRUNE_WRITTEN ||
		    (it->intact && it->fate != PRUNE_DELETE))
			if ((long)it->seq > upto)
				upto = (long)it->seq;
	}
	for (k = lo; k < hi; k++) {
		it = &pl->v[ord[k]];
		if (it->fate == PRUNE_DELETE && (long)it->seq <= upto) {
			it->fate = PRUNE_NEEDED;
			pl->kept_needed++;
		}
	}
}

void
prune_plan_make(const struct prune_obj *objs, size_t n,
    const struct prune_params *pp, struct prune_plan *pl)
{
	struct prune_item *it;
	size_t *ord, no = 0, i, lo, k;
	unsigned int intact_before = 0, intact_after = 0;

	memset(pl, 0, sizeof(*pl));
	pl->v = xcalloc(n + 1, sizeof(*pl->v));
	pl->del = xcalloc(n + 1, sizeof(*pl->del));
	ord = xcalloc(n + 1, sizeof(*ord));
	pl->n = n;
	for (i = 0; i < n; i++) {
		it = &pl->v[i];
		if (!classify(pp, &objs[i], it))
			continue;
		pl->candidates++;
		if (is_pinned(pp->pinned, it->name))
			it->fate = PRUNE_PINNED;
		else if (pp->keep != NULL && strcmp(pp->keep, it->name) == 0)
			it->fate = PRUNE_WRITTEN;
		else if (it->when >= pp->cutoff)
			it->fate = PRUNE_FRESH;
		else {
			it->fate = PRUNE_DELETE;
			pl->expired++;
		}
		ord[no++] = i;
	}
	qsort_r(ord, no, sizeof(*ord), by_chain_seq, pl->v);
	for (lo = 0; lo < no; lo = k) {
		for (k = lo + 1; k < no && strcmp(pl->v[ord[k]].chain,
		    pl->v[ord[lo]].chain) == 0; k++)
			;
		plan_chain(pp, pl, ord, lo, k);
		/* Newest first within the chain: the full goes last. */
		for (i = k; i > lo; i--)
			if (pl->v[ord[i - 1]].fate == PRUNE_DELETE)
				pl->del[pl->ndel++] = ord[i - 1];
	}
	for (i = 0; i < no; i++) {
		it = &pl->v[ord[i]];
		intact_before += it->intact;
		intact_after += it->intact && it->fate != PRUNE_DELETE;
	}
	if (pl->ndel > 0 && intact_after == 0 &&
	    (intact_before > 0 || pl->ndel == no)) {
		pl->refused_all = true;
		for (i = 0; i < pl->ndel; i++)
			pl->v[pl->del[i]].fate = PRUNE_REFUSED;
		pl->ndel = 0;
	}
	free(ord);
}

void
prune_plan_free(struct prune_plan *pl)
{
	free(pl->v);
	free(pl->del);
	memset(pl, 0, sizeof(*pl));
}

const char *
prune_fate_name(enum prune_fate f)
{
	static const char *const names[] = { "out", "fresh", "pinned",
	    "written", "needed", "delete", "refused" };

	return (size_t)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}
