/*
 * spawn.h - run a helper program (a dump tool) with an argument vector,
 * never through a shell.
 *
 * The child gets stdin from /dev/null, stdout on a caller's fd (a spool
 * file) or into a bounded buffer, and stderr into a bounded buffer kept
 * for the error message.  Credentials travel in the environment or in
 * files the caller names; they are never put on argv.
 */
#ifndef BK_SPAWN_H
#define BK_SPAWN_H

#include <stddef.h>

struct bk_err;
struct buf;

struct spawn_cmd {
	const char *const	*argv;		/* argv[0] looked up in PATH */
	const char *const	*env;		/* "NAME=value" to add or
						 * override; NULL-terminated,
						 * may be NULL */
	int			 out_fd;	/* child's stdout, or -1 ... */
	struct buf		*out;		/* ... to collect it here */
	const char		*setting;	/* setting naming the program,
						 * for "not found" errors */
};

/*
 * Run cmd to its end.  Returns 0 when the program ran and exited 0; -1
 * otherwise, with err naming the program and carrying the program's own
 * message (its stderr, trimmed, secrets redacted) or its exit status.
 * *status (may be NULL) gets the exit status, 128+signal for a killed
 * child, or -1 when it could not be started.
 */
int	spawn_run(const struct spawn_cmd *, int *status, struct bk_err *);

/* Full path of prog found in PATH (or prog itself when it has a '/'),
 * allocated; NULL if there is no such executable. */
char	*spawn_which(const char *prog);

#endif
