/*
 * cli.h - backupctl's subcommand table.
 *
 * One cmd_<verb>.c per subcommand (tmux's cmd-*.c), each exporting one
 * const struct cli_cmd.  exec() returns the process exit status of SPEC.md:
 * 0 success, 1 failed, 2 bad usage or settings, 3 a service unreachable.
 * err()/warnx() style printing is allowed here and only here.
 */
#ifndef BK_CLI_H
#define BK_CLI_H

#include <stdbool.h>

#include "settings.h"

struct cli_ctx {
	const char	*config_path;	/* --config, or NULL */
	struct settings	 admin;
	bool		 admin_loaded;
};

struct cli_cmd {
	const char	*name;
	const char	*usage;		/* after "backupctl " */
	const char	*summary;
	int		(*exec)(struct cli_ctx *, int argc, char **argv);
};

/* Load the admin config once; prints the error and returns its exit
 * status (2 or 3) on failure, else 0. */
int	cli_admin(struct cli_ctx *);
/* Print "backupctl: msg" to stderr; returns status. */
int	cli_fail(int status, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Print a usage line for cmd to stderr and return 2. */
int	cli_usage(const struct cli_cmd *);
/*
 * The user a command is about: `USER` or `--env-file FILE [--user NAME]`
 * (run, config check).  Sets *user (NULL with only --env-file) and
 * *env_file; returns 0, or cli_usage(cmd)'s status.
 */
int	cli_user_args(const struct cli_cmd *, int argc, char **argv,
	    const char **user, const char **env_file);

extern const struct cli_cmd cmd_run;
extern const struct cli_cmd cmd_config;
extern const struct cli_cmd cmd_cron;
extern const struct cli_cmd cmd_enqueue;
extern const struct cli_cmd cmd_status;
extern const struct cli_cmd cmd_jobs;
extern const struct cli_cmd cmd_workers;
extern const struct cli_cmd cmd_stats;
extern const struct cli_cmd cmd_metrics;
extern const struct cli_cmd cmd_health;
extern const struct cli_cmd cmd_cancel;
extern const struct cli_cmd cmd_notify;
extern const struct cli_cmd cmd_decrypt;
extern const struct cli_cmd cmd_list;
extern const struct cli_cmd cmd_restore;
extern const struct cli_cmd cmd_verify;
extern const struct cli_cmd cmd_queue;
extern const struct cli_cmd cmd_pin;
extern const struct cli_cmd cmd_unpin;

#endif
