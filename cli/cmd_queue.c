/*
 * cmd_queue.c - backupctl queue init [--json]: load the function library
 * bk_v1 into Redis and publish this node's settings record, so a panel
 * can call and read before any daemon of the node has started.
 *
 * Idempotent: queue_open() replaces the library only when its version
 * differs, and the settings record is one HSET of the same values.  Runs
 * with the operator's Redis user (FUNCTION LOAD needs it); the panel's
 * least-privilege user cannot load functions.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "queue.h"

static int
cmd_queue_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct queue_policy *pol;
	struct queue *q;
	struct bk_err err;
	bool json = false;
	int ch, rc;

	optind = 0;	/* reinitialise getopt: backupctl parsed with "+" */
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: backupctl %s\n", cmd_queue.usage);
			return 0;
		default:
			return cli_usage(&cmd_queue);
		}
	}
	if (optind + 1 != argc || strcmp(argv[optind], "init") != 0)
		return cli_usage(&cmd_queue);
	if ((rc = cli_admin(ctx)) != 0)
		return rc;
	if ((q = jobview_open(&ctx->admin, "backupctl", &rc)) == NULL)
		return rc;
	if (queue_publish_settings(q, &err) == -1) {
		queue_close(q);
		return cli_fail(bk_err_exit_status(&err), "queue init: %s",
		    err.msg);
	}
	pol = queue_policy(q);
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:I}",
		    "library", "bk_v1", "version", QUEUE_LIB_VERSION, "node",
		    queue_node(q), "max_attempts", pol->max_attempts,
		    "retention_ms", (json_int_t)pol->retention_ms,
		    "backoff_ms", (json_int_t)pol->backoff_ms, "lease_ms",
		    (json_int_t)pol->lease_ms);

		jobview_json(o);
		json_decref(o);
	} else
		printf("bk_v1 version %s loaded; settings of node %s "
		    "published\n", QUEUE_LIB_VERSION, queue_node(q));
	queue_close(q);
	return 0;
}

const struct cli_cmd cmd_queue = {
	.name = "queue",
	.usage = "queue init [--json]",
	.summary = "load the Redis functions and publish the node's settings",
	.exec = cmd_queue_exec,
};
