/*
 * job_restore.h - restore and verify as queued jobs: what a worker's job
 * child runs for a job of kind restore or verify (worker_child.c).
 */
#ifndef BK_JOB_RESTORE_H
#define BK_JOB_RESTORE_H

#include "restore.h"

struct bk_err;
struct settings;

struct job_task {
	const char	*kind;		/* "restore" or "verify" */
	const char	*target;	/* the backup's name */
	const char	*only;		/* restore: JSON array of paths, or "" */
	const char	*to;		/* restore: folder, or "" (default) */
	const char *const *pinned;	/* backup: names pruning keeps */
};

/* Run the task for user through restore_run.  *result_json gets the
 * record of what was done ({kind, name, to, members, bytes, location}),
 * allocated, on success.  tick (may be NULL) gets the download's
 * progress about once a second. */
int	job_restore_run(const struct settings *admin, const char *user,
	    const struct job_task *, restore_tick_fn *tick, void *tick_arg,
	    char **result_json, struct bk_err *);

/* The folder a restore of name writes to by default: a new one beside
 * the user's Files source ("<files>-restore-<name>", then -2, -3, ...).
 * Allocated; NULL with err set when none is free. */
char	*job_restore_default_dir(const struct settings *admin,
	    const char *user, const char *name, struct bk_err *);

#endif
