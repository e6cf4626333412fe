/*
 * cmd_health.c - backupctl health USER [--json]: the panel's answer to
 * "are this user's backups fine?": last success, last failure and its
 * error, next run, a refused schedule, the running and the waiting job.
 *
 * Exit status: 0 when the status is ok or never (no backup yet, nothing
 * failed), 1 when it is failing, schedule_error or unknown (no node knows
 * the user), so a monitoring check can use it as is.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "path.h"
#include "queue.h"

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

static void
print_human(json_t *h)
{
	char b[32];

	printf("user          %s\nnode          %s\nstatus        %s\n"
	    "last success  %s\n", str(h, "user"), str(h, "node"),
	    str(h, "status"), str(h, "last_success"));
	if (json_is_integer(json_object_get(h, "last_backup_bytes"))) {
		jobview_bytes((unsigned long long)json_integer_value(
		    json_object_get(h, "last_backup_bytes")), b, sizeof(b));
		printf("last backup   %s in %llds (job %s)\n", b,
		    (long long)json_integer_value(json_object_get(h,
		    "last_duration_seconds")), str(h, "last_success_job"));
	}
	printf("last failure  %s\n", str(h, "last_failure"));
	if (json_is_string(json_object_get(h, "last_error")))
		printf("last error    %s\n", str(h, "last_error"));
	printf("next run      %s\nschedule      %s\n", str(h, "next_run"),
	    str(h, "schedule"));
	if (json_is_string(json_object_get(h, "schedule_error")))
		printf("schedule err  %s\n", str(h, "schedule_error"));
	if (json_is_string(json_object_get(h, "running")))
		printf("running       %s\n", str(h, "running"));
	if (json_is_string(json_object_get(h, "waiting")))
		printf("waiting       %s\n", str(h, "waiting"));
}

static int
cmd_health_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct queue *q;
	struct bk_err err;
	const char *user, *st;
	json_t *h;
	bool json;
	int rc;

	if ((q = jobview_start(ctx, &cmd_health, argc, argv, 1, &user, &json,
	    &rc)) == NULL)
		return rc;
	if (!path_valid_user(user)) {
		queue_close(q);
		return cli_fail(2, "health: \"%s\" is not a valid user name",
		    user);
	}
	h = queue_user_health(q, user, &err);
	queue_close(q);
	if (h == NULL)
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	if (json)
		jobview_json(h);
	else
		print_human(h);
	st = str(h, "status");
	rc = strcmp(st, "ok") == 0 || strcmp(st, "never") == 0 ? 0 : 1;
	json_decref(h);
	return rc;
}

const struct cli_cmd cmd_health = {
	.name = "health",
	.usage = "health USER [--json]",
	.summary = "a user's last success, last error and next run",
	.exec = cmd_health_exec,
};
