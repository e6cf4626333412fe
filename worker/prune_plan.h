/*
 * prune_plan.h - the retention decision, apart from any backend: given
 * the names and modification times a destination listed, which archives
 * go, in which order, and why the others stay.
 *
 * Retention counts restore points: every full and every incremental is
 * one.  An archive is deleted only when it is expired and no kept point
 * needs it; a kept incremental inc-k of chain F needs F and inc-1 ..
 * inc-(k-1) of F.  prune.c lists and deletes; this decides, so the rule
 * is tested without a backend (tests/unit/test_prune.c).
 */
#ifndef BK_PRUNE_PLAN_H
#define BK_PRUNE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* One listed object (borrowed for the plan's life). */
struct prune_obj {
	const char	*name;
	time_t		 mtime;
};

struct prune_params {
	const char		*tmpl;		/* file name template */
	const char		*prefix;	/* BACKUP_PRUNING_PREFIX or NULL */
	const char		*keep;		/* just written, or NULL */
	const char *const	*pinned;	/* NULL-ended, or NULL; "*": all */
	time_t			 cutoff;	/* older than this: expired */
};

enum prune_fate {
	PRUNE_OUT,		/* not a name pruning considers */
	PRUNE_FRESH,		/* not expired */
	PRUNE_PINNED,		/* backupctl pin */
	PRUNE_WRITTEN,		/* the backup just written */
	PRUNE_NEEDED,		/* expired, but a kept point needs it */
	PRUNE_DELETE,		/* expired and needed by nothing */
	PRUNE_REFUSED		/* would be deleted; the guard kept it */
};

struct prune_item {
	const char	*name;		/* borrowed from the object */
	const char	*chain;		/* the full's name (borrowed) */
	unsigned int	 seq;		/* 0 for a full */
	time_t		 when;		/* the point's time */
	bool		 intact;	/* everything it needs is listed */
	enum prune_fate	 fate;
};

struct prune_plan {
	struct prune_item	*v;		/* one per object, listed order */
	size_t			 n;
	size_t			*del;		/* indexes of v, deletion order */
	size_t			 ndel;
	unsigned int		 candidates;	/* restore points considered */
	unsigned int		 expired;
	unsigned int		 kept_needed;	/* expired, kept for a point */
	bool			 refused_all;
};

/* Decide; always succeeds.  The plan borrows the objects' names. */
void	prune_plan_make(const struct prune_obj *, size_t n,
	    const struct prune_params *, struct prune_plan *);
void	prune_plan_free(struct prune_plan *);
const char *prune_fate_name(enum prune_fate);

#endif
