/*
 * prune.h - deleting expired backups at one destination, written once over
 * the storage interface for every backend.
 *
 * Safer than the tool the panel docs describe: without
 * BACKUP_PRUNING_PREFIX the candidates are only names the BACKUP_FILENAME
 * template could have made, and the incrementals of those (their hash
 * checked); retention counts restore points, and an expired archive a
 * kept point needs stays (the full and the earlier incrementals of a kept
 * incremental); the backup just written is never deleted, nor what it
 * needs; and when the deletions would leave no restorable backup, nothing
 * is deleted and a warning says why.  The decision is prune_plan.c's.
 */
#ifndef BK_PRUNE_H
#define BK_PRUNE_H

#include <stdbool.h>
#include <time.h>

struct bk_err;
struct settings;
struct storage;

struct prune_result {
	unsigned int	 candidates;	/* names pruning may consider */
	unsigned int	 expired;	/* of which older than the cutoff */
	unsigned int	 pruned;	/* actually deleted */
	unsigned int	 failed;	/* deletions that failed */
	unsigned int	 kept_needed;	/* expired, kept: a kept point needs it */
	unsigned int	 held;		/* not tried: a newer one of its chain
					   failed to go */
	bool		 refused_all;	/* every candidate expired: kept all */
	bool		 skipped;	/* retention off */
};

/*
 * Prune st by user's BACKUP_RETENTION_DAYS / LEEWAY / PRUNING_PREFIX.
 * tmpl is the effective file name template, keep the name just written
 * (never deleted; may be NULL), pinned the names the user pinned (a
 * NULL-terminated list, or NULL: never deleted either, backupctl pin),
 * now the reference time.  Returns -1 only
 * when the listing failed; deletion failures are counted in res.
 */
int	prune_run(struct storage *, const struct settings *user,
	    const char *tmpl, const char *keep, const char *const *pinned,
	    time_t now, struct prune_result *, struct bk_err *);

#endif
