/*
 * cmd_workers.c - backupctl workers [--json]: live backup-worker
 * processes from their registry (entries expire when heartbeats stop).
 */
#include <stdio.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "queue.h"

static int
cmd_workers_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct queue *q;
	struct bk_err err;
	json_t *w, *v, *o, *jobs;
	bool json;
	size_t i, k;
	int rc;

	if ((q = jobview_start(ctx, &cmd_workers, argc, argv, 0, NULL, &json,
	    &rc)) == NULL)
		return rc;
	w = queue_workers(q, &err);
	queue_close(q);
	if (w == NULL)
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	if (json) {
		jobview_json(w);
		json_decref(w);
		return 0;
	}
	v = json_object_get(w, "workers");
	if (json_array_size(v) > 0)
		printf("%-40s %-12s %8s %5s %-24s %s\n", "WORKER", "NODE",
		    "PID", "SLOTS", "HEARTBEAT", "JOBS");
	for (i = 0; i < json_array_size(v); i++) {
		o = json_array_get(v, i);
		printf("%-40s %-12s %8lld %5lld %-24s ",
		    json_string_value(json_object_get(o, "id")),
		    json_string_value(json_object_get(o, "node")),
		    json_integer_value(json_object_get(o, "pid")),
		    json_integer_value(json_object_get(o, "slots")),
		    json_string_value(json_object_get(o, "last_heartbeat")));
		jobs = json_object_get(o, "jobs");
		for (k = 0; k < json_array_size(jobs); k++)
			printf("%s%s", k ? "," : "",
			    json_string_value(json_array_get(jobs, k)));
		printf("\n");
	}
	json_decref(w);
	return 0;
}

const struct cli_cmd cmd_workers = {
	.name = "workers",
	.usage = "workers [--json]",
	.summary = "live workers: node, pid, slots, jobs, last heartbeat",
	.exec = cmd_workers_exec,
};
