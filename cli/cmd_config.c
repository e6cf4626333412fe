/*
 * cmd_config.c - `backupctl config check (USER | --env-file FILE)` and
 * `backupctl config reference`.
 *
 * check prints every problem, one per line, naming the setting; exit 2 if
 * any is an error.  Checks that need a module's library (regexps, keys,
 * notification URLs) are that module's: job_check_settings() runs them.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "job_check.h"
#include "settings.h"

static int
config_check(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "env-file", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env_file = NULL, *user = NULL;
	struct settings us;
	struct diag diag;
	struct bk_err err;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "e:u:", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			env_file = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		default:
			return cli_usage(&cmd_config);
		}
	}
	if (optind < argc)
		user = argv[optind++];
	if (optind != argc || (user == NULL && env_file == NULL))
		return cli_usage(&cmd_config);
	if ((rc = cli_admin(ctx)) != 0)
		return rc;
	diag_init(&diag);
	if (config_load_user(&ctx->admin, user, env_file, &us, &diag,
	    &err) == -1) {
		if (diag.n == 0)
			diag_add(&diag, DIAG_ERROR, "", "%s", err.msg);
	} else {
		job_check_settings(&ctx->admin, &us, user, &diag);
		settings_free(&us);
	}
	diag_print(&diag, STDOUT_FILENO);
	rc = diag.errors > 0 ? 2 : 0;
	if (rc == 0)
		printf("ok: %s\n", env_file != NULL ? env_file : user);
	diag_free(&diag);
	return rc;
}

static int
cmd_config_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_config);
	if (strcmp(argv[1], "check") == 0)
		return config_check(ctx, argc - 1, argv + 1);
	if (strcmp(argv[1], "reference") == 0) {
		settings_write_reference(STDOUT_FILENO);
		return 0;
	}
	return cli_usage(&cmd_config);
}

const struct cli_cmd cmd_config = {
	.name = "config",
	.usage = "config check (USER | --env-file FILE) | config reference",
	.summary = "validate settings; print the settings reference",
	.exec = cmd_config_exec,
};
