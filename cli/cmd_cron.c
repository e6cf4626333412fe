/*
 * cmd_cron.c - placeholder.
 */
#include "cli.h"

static int
cmd_cron_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	return cli_fail(1, "cron: not implemented yet");
}

const struct cli_cmd cmd_cron = {
	.name = "cron",
	.usage = "cron ...",
	.summary = "not implemented yet",
	.exec = cmd_cron_exec,
};
