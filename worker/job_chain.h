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
	char			*ext;
	const char		*state_dir;
	const char		*user;
};

/* Load the state and decide (destinations not yet checked).  full_name
 * is this run's BACKUP_FILENAME name, ext its extension + suffix. */
void	job_chain_prepare(struct job_chain *, const struct settings *admin,
	    const struct settings *user, const char *user_name,
	    const char *full_name, const char *ext, time_t now);
/* An incremental needs the chain's last archive at every destination;
 * when one lacks it the run becomes a full. */
void	job_chain_check_dests(struct job_chain *, struct storage **, size_t,
	    const char *full_name, time_t now);
/* The archive's name (the full's or an incremental's). */
const char *job_chain_name(const struct job_chain *);
/* .panel-backup/chain and .panel-backup/paths, last in the archive. */
int	job_chain_members(struct job_chain *, struct tarw *, time_t now,
	    struct bk_err *);
/* After every destination committed: the state for the next run. */
int	job_chain_commit(struct job_chain *, time_t now, struct bk_err *);
void	job_chain_free(struct job_chain *);

#endif
