/*
 * job.h - one backup of one user: sources -> tar -> compress -> encrypt ->
 * upload to every destination -> prune.  The same code runs in
 * `backupctl run` and in a worker's job child.
 */
#ifndef BK_JOB_H
#define BK_JOB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct bk_err;
struct settings;

enum job_phase {
	PHASE_PREPARE,
	PHASE_ARCHIVE,		/* sources -> tar -> ... -> upload */
	PHASE_PRUNE,
	PHASE_DONE,
};

struct job_progress {
	enum job_phase	 phase;
	uint64_t	 bytes_in;	/* source bytes read */
	uint64_t	 bytes_out;	/* bytes written to a destination */
	uint64_t	 files;
};

typedef void	job_progress_fn(const struct job_progress *, void *);

struct job_spec {
	const char		*user;
	const char		*env_file;	/* NULL: USERS_DIR/<user>.env */
	const struct settings	*admin;
	const char		*job_id;	/* NULL outside the queue */
	time_t			 start;		/* names use it; 0: now */
	job_progress_fn		*progress;	/* optional, ~1/s */
	void			*progress_arg;
	volatile int		*cancel;	/* optional: set to stop */
	const char *const	*pinned;	/* never pruned; NULL-ended */
};

struct job_dest_result {
	char		*destination;	/* storage name: local, s3, ... */
	char		*location;	/* printable, no secrets */
	char		*name;		/* backup written, or NULL */
	unsigned int	 pruned;
	unsigned int	 prune_failed;
	unsigned int	 prune_total;	/* restore points seen */
	unsigned int	 prune_kept;	/* expired, kept: a kept point needs
					   them (its chain) */
	char		*error;		/* this destination's failure */
};

struct job_result {
	char			*name;		/* the backup's file name */
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;	/* size of the backup file */
	uint64_t		 files;
	unsigned int		 warnings;	/* files skipped, unreadable */
	/* Settings the job worked around (a notification URL it cannot
	 * parse, say), "SETTING: what": for the job record and the log. */
	char			**notes;
	size_t			 nnotes;
	char			 sha256[65];	/* of the backup file */
	double			 seconds;
	struct job_dest_result	*dests;
	size_t			 ndests;
	const char		*kind;		/* "full" or "incremental" */
	char			*chain;		/* the chain's full name */
	unsigned int		 seq;		/* 0 for a full */
	char			*note;		/* why a full ("" if none) */
};

/* Returns 0 when every destination got the backup, -1 otherwise (err says
 * why; err->retryable tells the queue whether to try again). */
int	job_run(const struct job_spec *, struct job_result *, struct bk_err *);
void	job_result_free(struct job_result *);
const char *job_phase_name(enum job_phase);

#endif
