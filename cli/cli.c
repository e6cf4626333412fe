/*
 * cli.c - helpers shared by backupctl's subcommands.
 */
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
