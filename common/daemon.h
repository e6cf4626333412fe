/*
 * daemon.h - what the programs' mains share: --config/--help and extra
 * options, the stop signals, and the backoff between retries of a service
 * that went away.  libc only (plus config loading), so every program and
 * test can use it.
 */
#ifndef BK_DAEMON_H
#define BK_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct settings;

#define DAEMON_MAX_OPTS	8

/* An extra long option: "concurrency" with an argument, "noop" without. */
struct daemon_opt {
	const char	*name;
	bool		 has_arg;
};

struct daemon_args {
	const char	*config;		/* --config FILE, or NULL */
	const char	*val[DAEMON_MAX_OPTS];	/* per extra option: its
						   argument, "1" for a flag,
						   NULL when absent */
	int		 first;			/* index of the first operand */
};

/* Parse argv: --config FILE, --help, the extra options and at most
 * max_operands operands.  Returns 0, or -1 with *status set: 0 after
 * --help (usage went to stdout), 2 on bad usage (usage to stderr). */
int	daemon_args(int argc, char **argv, const struct daemon_opt *extra,
	    int max_operands, void (*usage)(FILE *), struct daemon_args *,
	    int *status);

/* Load the admin config named by --config (or the default); on failure
 * print "prog: why" and return -1 with *status (2 or 3). */
int	daemon_config(const char *prog, const char *path, struct settings *,
	    int *status);

/* SIGTERM and SIGINT increment *counter (a second one can mean "now");
 * SIGPIPE is ignored (a closed socket is an error to report). */
void	daemon_signals(volatile sig_atomic_t *counter);

/* Monotonic milliseconds. */
int64_t	daemon_mono_ms(void);

/* Exponential backoff: min_ms doubling up to max_ms while a service
 * stays away. */
struct backoff {
	int64_t	 min_ms, max_ms, cur_ms;
	int64_t	 until_ms;	/* monotonic: no retry before */
	bool	 down;
};
void	backoff_init(struct backoff *, int64_t min_ms, int64_t max_ms);
/* A failure; true if it starts a series (the one to log). */
bool	backoff_fail(struct backoff *);
/* A success; true if it ends a series (log "reconnected"). */
bool	backoff_ok(struct backoff *);
/* May we try again yet (non-blocking loops)? */
bool	backoff_ready(const struct backoff *);
/* Sleep until the retry time, waking early when *stop becomes non-zero. */
void	backoff_sleep(const struct backoff *, volatile sig_atomic_t *stop);

#endif
