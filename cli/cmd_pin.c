/*
 * cmd_pin.c - backupctl pin USER NAME / backupctl unpin USER NAME: a
 * pinned backup is never pruned (worker/prune.c asks the queue for the
 * user's pins before it deletes anything).
 *
 * The two verbs are one subcommand pair sharing one body, so they live
 * in one file.  Pins are kept on the user's node (bk:{N}:pins:<user>); a
 * panel sends the same request through bk:{N}:req (op pin/unpin).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "path.h"
#include "queue.h"

static int
pin_exec(const struct cli_cmd *cmd, bool pin, struct cli_ctx *ctx,
    int argc, char **argv)
{
	const char *ops[2];
	struct queue *q;
	struct bk_err err;
	bool json;
	int rc;

	if ((q = jobview_start(ctx, cmd, argc, argv, 2, ops, &json, &rc)) ==
	    NULL)
		return rc;
	if (!path_valid_user(ops[0]) || strchr(ops[1], '/') != NULL ||
	    *ops[1] == '\0') {
		queue_close(q);
		return cli_fail(2, "%s: a user and the name of one of their "
		    "backups", cmd->name);
	}
	rc = queue_pin(q, NULL, ops[0], ops[1], pin, &err);
	queue_close(q);
	if (rc == -1)
		return cli_fail(bk_err_exit_status(&err), "%s: %s", cmd->name,
		    err.msg);
	if (json)
		printf("{\"user\": \"%s\", \"name\": \"%s\", \"pinned\": %s}\n",
		    ops[0], ops[1], pin ? "true" : "false");
	else
		printf("%s: %s %s\n", ops[0], ops[1], pin ? "pinned" :
		    "unpinned");
	return 0;
}

static int
cmd_pin_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return pin_exec(&cmd_pin, true, ctx, argc, argv);
}

static int
cmd_unpin_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return pin_exec(&cmd_unpin, false, ctx, argc, argv);
}

const struct cli_cmd cmd_pin = {
	.name = "pin",
	.usage = "pin USER NAME [--json]",
	.summary = "keep backup NAME of USER: pruning never deletes it",
	.exec = cmd_pin_exec,
};

const struct cli_cmd cmd_unpin = {
	.name = "unpin",
	.usage = "unpin USER NAME [--json]",
	.summary = "let pruning delete backup NAME of USER again",
	.exec = cmd_unpin_exec,
};
