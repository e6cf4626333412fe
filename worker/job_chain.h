/*
 * job_chain.h - a backup job's part in its user's incremental chain
 * (chain.h): the decision, the check that the destinations still hold
 * the chain's last archive, the two closing members, and the state saved
 * once every destination committed.
 */
#ifndef BK_JOB_CHAIN_H
#define BK_JOB_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "chain.h"

struct bk_err;
struct settings;
struct storage;
struct tarw;

struct job_chain {
	bool			 on;		/* BACKUP_INCREMENTAL */
	bool			 have_prev;
	struct chain_state	 prev;
	struct chain_state	 seen;
	struct chain_plan	 plan;
	struct chain_policy	 pol;
	char			 why[512];	/* why prev is missing */
	char			 note[640];	/* why a full, when plan.note
						   is too short for it */
	char			*ext;
	const char		*state_dir;
	const char		*user;
};

/* Load the state and decide (destinations not yet checked).  full_name
 * is this run's BACKUP_FILENAME name, ext its extension + suffix. */
void	job_chain_prepare(struct job_chain *, const struct settings *admin,
	    const struct settings *user, const char *user_name,
	    const char *full_name, const char *ext, time_t now);
/* This run's BACKUP_FILENAME name at time t (allocated, or NULL). */
typedef char	*job_chain_namer(void *arg, time_t t);
/*
 * One listing per destination.  An incremental needs the chain's full
 * and every incremental 1..last at every destination; when one lacks
 * any (or cannot be listed) the run becomes a full, its note naming the
 * first archive missing and where.  A full's name must be free at every
 * destination (job_chain.c: name_taken); while it is not, its time moves
 * on a second (namer renders it), so two backups in one second neither
 * collide nor list out of order.  Runs with BACKUP_INCREMENTAL=false too.
 */
void	job_chain_check_dests(struct job_chain *, struct storage **, size_t,
	    job_chain_namer *namer, void *arg, time_t now);
/* The archive's name (the full's or an incremental's). */
const char *job_chain_name(const struct job_chain *);
/* Why this run is a full ("" for an incremental or none given). */
const char *job_chain_note(const struct job_chain *);
/* .panel-backup/chain and .panel-backup/paths, last in the archive. */
int	job_chain_members(struct job_chain *, struct tarw *, time_t now,
	    struct bk_err *);
/* After every destination committed: the state for the next run. */
int	job_chain_commit(struct job_chain *, time_t now, struct bk_err *);
void	job_chain_free(struct job_chain *);

#endif
