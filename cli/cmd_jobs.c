/*
 * cmd_jobs.c - backupctl jobs [--user U] [--state S] [--json]: the jobs
 * Redis still holds (queued, running, retrying, and finished ones within
 * JOB_RETENTION_DAYS), newest first.  With --user: that user's job index
 * (docs/redis-protocol.md, bk:{N}:ujobs:<u>), so other users' jobs never
 * push theirs out of the answer; it is never silently incomplete: JSON
 * says "truncated": true (the table ends with a note) when older jobs
 * were dropped or more matched than --limit.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "queue.h"

static const char *const states[] = { "queued", "running", "retrying",
    "succeeded", "failed", "canceled", NULL };

static int
cmd_jobs_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "state", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *user = NULL, *state = NULL;
	struct queue *q;
	struct bk_err err;
	json_t *jobs, *out;
	bool json = false, truncated = false;
	long limit = 200;
	size_t i;
	int ch, rc;

	optind = 0;	/* reinitialise getopt: backupctl parsed with "+" */
	while ((ch = getopt_long(argc, argv, "u:s:n:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			user = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'n':
			limit = strtol(optarg, NULL, 10);
			if (limit < 1)
				return cli_fail(2, "jobs: --limit: expected a "
				    "positive number");
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("usage: backupctl %s\n", cmd_jobs.usage);
			return 0;
		default:
			return cli_usage(&cmd_jobs);
		}
	}
	if (optind != argc)
		return cli_usage(&cmd_jobs);
	if (state != NULL) {
		for (i = 0; states[i] != NULL; i++)
			if (strcmp(states[i], state) == 0)
				break;
		if (states[i] == NULL)
			return cli_fail(2, "jobs: --state: expected queued, "
			    "running, retrying, succeeded, failed or canceled");
	}
	if ((rc = cli_admin(ctx)) != 0)
		return rc;
	if ((q = jobview_open(&ctx->admin, "backupctl", &rc)) == NULL)
		return rc;
	jobs = queue_jobs(q, user, state, (size_t)limit, &truncated, &err);
	queue_close(q);
	if (jobs == NULL)
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	if (json) {
		out = json_pack("{s:o}", "jobs", jobs);
		if (user != NULL)
			json_object_set_new(out, "truncated",
			    json_boolean(truncated));
		jobview_json(out);
		json_decref(out);
		return 0;
	}
	if (json_array_size(jobs) > 0)
		jobview_header(stdout);
	for (i = 0; i < json_array_size(jobs); i++)
		jobview_line(stdout, json_array_get(jobs, i));
	if (truncated)
		printf("(not all of %s's jobs: %zu shown; older ones were "
		    "dropped by retention or the index's bound of 1000, or "
		    "more matched than --limit %ld)\n", user,
		    json_array_size(jobs), limit);
	json_decref(jobs);
	return 0;
}

const struct cli_cmd cmd_jobs = {
	.name = "jobs",
	.usage = "jobs [--user U] [--state S] [--limit N] [--json]",
	.summary = "queued, running, retrying, failed, canceled, succeeded jobs",
	.exec = cmd_jobs_exec,
};
