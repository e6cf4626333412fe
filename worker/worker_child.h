/*
 * worker_child.h - one job in its own process, and the messages it sends
 * its parent (backup-worker) through a pipe.
 *
 * The child writes one JSON object per line: {"phase":..,"in":..,"out":..}
 * (restores and verifies add "expected": the size of the backup they
 * read) about once a second while the job runs, then one {"result": ...}
 * line.
 */
#ifndef BK_WORKER_CHILD_H
#define BK_WORKER_CHILD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct settings;
struct job_task;

struct child_msg {
	bool	 is_result;
	char	 phase[16];
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t expected;	/* total bytes_in will reach, 0: unknown */
	/* result */
	bool	 ok;
	bool	 retryable;
	bool	 canceled;
	char	*error;		/* allocated */
	char	*backups;	/* JSON array text, allocated */
	char	*result;	/* restore, verify: JSON text, or NULL */
	char	*catalog;	/* backup: the user's backups, JSON, or NULL */
	uint64_t stored;	/* backup: bytes those take */
};

/* Fork a child that runs the backup of user as job id (or, with task of
 * kind restore or verify, that task); *fd gets the read end of its
 * message pipe (non-blocking).  The child dies with its parent
 * (PR_SET_PDEATHSIG) and stops the job on SIGTERM. */
pid_t	worker_child_spawn(const struct settings *admin, const char *user,
	    const char *job_id, const struct job_task *task, int *fd);
/* Parse one line from a child; 0, or -1 for garbage. */
int	worker_child_parse(const char *line, struct child_msg *);
void	worker_child_msg_free(struct child_msg *);

#endif
