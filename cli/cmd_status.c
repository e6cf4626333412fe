/*
 * cmd_status.c - backupctl status JOB [--json]: one job's state, phase,
 * progress, timings, result or error.  Exit 1 if the job failed, so
 * scripts can test it.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "queue.h"

static int
cmd_status_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct queue *q;
	struct bk_err err;
	const char *id;
	json_t *job;
	bool json;
	int rc;

	if ((q = jobview_start(ctx, &cmd_status, argc, argv, 1, &id, &json,
	    &rc)) == NULL)
		return rc;
	job = queue_job_get(q, id, &err);
	queue_close(q);
	if (job == NULL)
		return cli_fail(err.code == BK_ENOENT ? 1 :
		    bk_err_exit_status(&err), "%s", err.msg);
	if (json)
		jobview_json(job);
	else
		jobview_print(stdout, job);
	rc = strcmp(json_string_value(json_object_get(job, "state")),
	    "failed") == 0 ? 1 : 0;
	json_decref(job);
	return rc;
}

const struct cli_cmd cmd_status = {
	.name = "status",
	.usage = "status JOB [--json]",
	.summary = "state, progress, result or error of one job",
	.exec = cmd_status_exec,
};
