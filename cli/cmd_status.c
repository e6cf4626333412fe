/*
 * cmd_status.c - backupctl status JOB [--json]: one job's state, phase,
 * progress, timings, result or error.  Exit 1 if the job failed, so
 * scripts can test it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "queue.h"

static int
cmd_status_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct queue *q;
	struct bk_err err;
	json_t *job;
	bool json = false;
	int ch, rc;

	optind = 0;	/* reinitialise getopt: backupctl parsed with "+" */
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: backupctl %s\n", cmd_status.usage);
			return 0;
		default:
			return cli_usage(&cmd_status);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(&cmd_status);
	if ((rc = cli_admin(ctx)) != 0)
		return rc;
	if ((q = jobview_open(&ctx->admin, "backupctl", &rc)) == NULL)
		return rc;
	job = queue_job_get(q, argv[optind], &err);
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
