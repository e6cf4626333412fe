/*
 * cmd_enqueue.c - backupctl enqueue USER [--wait] [--json]: a manual
 * backup through the queue.
 *
 * Prints the job id (a request while the user already has one waiting
 * joins it and prints that id).  --wait follows the job to its end and
 * exits with its status; with --json the final job record is printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "path.h"
#include "queue.h"

static int
cmd_enqueue_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool wait = false, json = false, created;
	struct queue *q;
	struct bk_err err;
	json_t *job = NULL;
	char *id;
	int ch, rc;

	optind = 0;	/* reinitialise getopt: backupctl parsed with "+" */
	while ((ch = getopt_long(argc, argv, "wjh", opts, NULL)) != -1) {
		switch (ch) {
		case 'w':
			wait = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: backupctl %s\n", cmd_enqueue.usage);
			return 0;
		default:
			return cli_usage(&cmd_enqueue);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(&cmd_enqueue);
	if (!path_valid_user(argv[optind]))
		return cli_fail(2, "enqueue: \"%s\" is not a valid user name",
		    argv[optind]);
	if ((rc = cli_admin(ctx)) != 0)
		return rc;
	if ((q = jobview_open(&ctx->admin, "backupctl", &rc)) == NULL)
		return rc;
	if (queue_enqueue(q, NULL, argv[optind], &id, &created, &err) == -1) {
		queue_close(q);
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	}
	if (!json)
		printf("%s\n", id);
	fflush(stdout);
	rc = 0;
	if (wait)
		rc = jobview_wait(q, id, "backupctl", json ? &job : NULL);
	else if (json)
		job = queue_job_get(q, id, &err);
	if (json && job != NULL)
		jobview_json(job);
	json_decref(job);
	free(id);
	queue_close(q);
	return rc;
}

const struct cli_cmd cmd_enqueue = {
	.name = "enqueue",
	.usage = "enqueue USER [--wait] [--json]",
	.summary = "queue a manual backup; --wait follows it to the end",
	.exec = cmd_enqueue_exec,
};
