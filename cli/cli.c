/*
 * cli.c - helpers shared by backupctl's subcommands.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "err.h"
#include "secret.h"

int
cli_fail(int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	secret_redact(msg, sizeof(msg));
	fprintf(stderr, "backupctl: %s\n", msg);
	return status;
}

int
cli_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, "usage: backupctl %s\n", cmd->usage);
	return 2;
}

int
cli_admin(struct cli_ctx *ctx)
{
	struct bk_err err;

	if (ctx->admin_loaded)
		return 0;
	if (config_load_admin(config_path(ctx->config_path), &ctx->admin,
	    NULL, &err) == -1)
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	ctx->admin_loaded = true;
	return 0;
}

int
cli_user_args(const struct cli_cmd *cmd, int argc, char **argv,
    const char **user, const char **env_file)
{
	static const struct option opts[] = {
		{ "env-file", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*user = *env_file = NULL;
	while ((ch = getopt_long(argc, argv, "e:u:", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			*env_file = optarg;
			break;
		case 'u':
			*user = optarg;
			break;
		default:
			return cli_usage(cmd);
		}
	}
	if (optind < argc && *user == NULL)
		*user = argv[optind++];
	if (optind != argc || (*user == NULL && *env_file == NULL))
		return cli_usage(cmd);
	return 0;
}
