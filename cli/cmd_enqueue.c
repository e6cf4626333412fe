/*
 * cmd_enqueue.c - backupctl enqueue USER [--restore NAME [--only PATH]...
 * [--to DIR] | --verify NAME] [--wait] [--json]: a manual backup, restore
 * or verify through the queue, run by the user's node.
 *
 * Prints the job id (a request while the user already has the same job
 * waiting joins it and prints that id; --json says "joined": true).
 * --wait follows the job to its end and exits with its status; with
 * --json the final job record is printed.
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
		{ "restore", required_argument, NULL, 'r' },
		{ "verify", required_argument, NULL, 'v' },
		{ "only", required_argument, NULL, 'o' },
		{ "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool wait = false, json = false, created;
	struct queue *q;
	struct bk_err err;
	struct queue_request rq = { "backup", NULL, NULL, NULL };
	json_t *job = NULL, *only = json_array();
	char *id, *onlys = NULL;
	int ch, rc;

	optind = 0;	/* reinitialise getopt: backupctl parsed with "+" */
	while ((ch = getopt_long(argc, argv, "wjhr:v:o:t:", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'r':
		case 'v':
			if (strcmp(rq.kind, "backup") != 0) {
				json_decref(only);
				return cli_fail(2, "enqueue: one of --restore "
				    "and --verify");
			}
			rq.kind = ch == 'r' ? "restore" : "verify";
			rq.target = optarg;
			break;
		case 'o':
			/* relative to the archive's top, never climbing out */
			if (*optarg == '/' || strstr(optarg, "..") != NULL) {
				json_decref(only);
				return cli_fail(2, "enqueue: --only %s: a path "
				    "inside the archive (files/...)", optarg);
			}
			json_array_append_new(only, json_string(optarg));
			break;
		case 't':
			rq.to = optarg;
			break;
		case 'w':
			wait = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			json_decref(only);
			printf("usage: backupctl %s\n", cmd_enqueue.usage);
			return 0;
		default:
			json_decref(only);
			return cli_usage(&cmd_enqueue);
		}
	}
	if (optind + 1 != argc || ((json_array_size(only) > 0 ||
	    rq.to != NULL) && strcmp(rq.kind, "restore") != 0)) {
		json_decref(only);
		return cli_usage(&cmd_enqueue);
	}
	if (json_array_size(only) > 0)
		rq.only = onlys = json_dumps(only, JSON_COMPACT);
	json_decref(only);
	if (!path_valid_user(argv[optind]))
		return cli_fail(2, "enqueue: \"%s\" is not a valid user name",
		    argv[optind]);
	if ((rc = cli_admin(ctx)) != 0 ||
	    (q = jobview_open(&ctx->admin, "backupctl", &rc)) == NULL) {
		free(onlys);
		return rc;
	}
	if (queue_enqueue_req(q, NULL, argv[optind], &rq, &id, &created,
	    &err) == -1) {
		free(onlys);
		queue_close(q);
		return cli_fail(bk_err_exit_status(&err), "enqueue: %s",
		    err.msg);
	}
	free(onlys);
	if (!json)
		printf("%s\n", id);
	fflush(stdout);
	rc = 0;
	if (wait)
		rc = jobview_wait(q, id, "backupctl", json ? &job : NULL);
	else if (json)
		job = queue_job_get(q, id, &err);
	if (json && job != NULL) {
		json_object_set_new(job, "joined", json_boolean(!created));
		jobview_json(job);
	}
	json_decref(job);
	free(id);
	queue_close(q);
	return rc;
}

const struct cli_cmd cmd_enqueue = {
	.name = "enqueue",
	.usage = "enqueue USER [--restore NAME [--only PATH]... [--to DIR] | "
	    "--verify NAME] [--wait] [--json]",
	.summary = "queue a manual backup, restore or verify; --wait follows "
	    "it to the end",
	.exec = cmd_enqueue_exec,
};
