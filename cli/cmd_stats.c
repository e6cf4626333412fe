/*
 * cmd_stats.c - backupctl stats [--json]: per node, jobs queued, running
 * and retrying; succeeded and failed in the last 24 h; the oldest queued
 * job's age; live workers.  Every figure is a ZCARD/ZCOUNT or a look at
 * the head of a queue, so it answers at once with 100,000 users.
 */
#include <stdio.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "queue.h"

static int
cmd_stats_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct queue *q;
	struct bk_err err;
	json_t *s, *v, *o;
	bool json;
	size_t i;
	int rc;

	if ((q = jobview_start(ctx, &cmd_stats, argc, argv, 0, NULL, &json,
	    &rc)) == NULL)
		return rc;
	s = queue_stats(q, &err);
	queue_close(q);
	if (s == NULL)
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	if (json) {
		jobview_json(s);
		json_decref(s);
		return 0;
	}
	printf("%-20s %7s %7s %8s %13s %10s %11s %7s\n", "NODE", "QUEUED",
	    "RUNNING", "RETRYING", "SUCCEEDED_24H", "FAILED_24H",
	    "OLDEST_WAIT", "WORKERS");
	v = json_object_get(s, "nodes");
	for (i = 0; i < json_array_size(v); i++) {
		o = json_array_get(v, i);
		printf("%-20s %7lld %7lld %8lld %13lld %10lld %10llds %7lld\n",
		    json_string_value(json_object_get(o, "node")),
		    json_integer_value(json_object_get(o, "queued")),
		    json_integer_value(json_object_get(o, "running")),
		    json_integer_value(json_object_get(o, "retrying")),
		    json_integer_value(json_object_get(o, "succeeded_24h")),
		    json_integer_value(json_object_get(o, "failed_24h")),
		    json_integer_value(json_object_get(o,
		    "oldest_queued_seconds")),
		    json_integer_value(json_object_get(o, "workers")));
	}
	json_decref(s);
	return 0;
}

const struct cli_cmd cmd_stats = {
	.name = "stats",
	.usage = "stats [--json]",
	.summary = "per node: queued, running, retrying, 24 h results, "
	    "workers",
	.exec = cmd_stats_exec,
};
