/*
 * cmd_run.c - placeholder.
 */
#include "cli.h"

static int
cmd_run_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	return cli_fail(1, "run: not implemented yet");
}

const struct cli_cmd cmd_run = {
	.name = "run",
	.usage = "run ...",
	.summary = "not implemented yet",
	.exec = cmd_run_exec,
};
