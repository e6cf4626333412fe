/*
 * cmd_cancel.c - backupctl cancel JOB [--json]: a waiting job ends at
 * once as canceled; a running one is stopped by its worker at the next
 * heartbeat (within a third of JOB_LEASE_SECONDS) and then ends canceled.
 *
 * Prints what happened.  Exit 0 when the job was canceled or is being
 * canceled, 1 when there was nothing to cancel (already finished, or no
 * such job).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "queue.h"

static int
cmd_cancel_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct queue *q;
	struct bk_err err;
	const char *id, *what;
	char state[32];
	bool json;
	int rc;

	if ((q = jobview_start(ctx, &cmd_cancel, argc, argv, 1, &id, &json,
	    &rc)) == NULL)
		return rc;
	rc = queue_cancel(q, id, state, sizeof(state), &err);
	queue_close(q);
	if (rc == -1)
		return cli_fail(err.code == BK_ENOENT ? 1 :
		    bk_err_exit_status(&err), "%s", err.msg);
	if (strcmp(state, "canceled") == 0 || strcmp(state, "canceling") == 0) {
		what = state;
		rc = 0;
	} else if (strcmp(state, "unknown") == 0) {
		what = "unknown";
		rc = 1;
	} else {
		what = "finished";	/* succeeded, failed or canceled before */
		rc = 1;
	}
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "id", id, "result",
		    what, "state", strcmp(state, "canceling") == 0 ? "running" :
		    strcmp(state, "unknown") == 0 ? "unknown" : rc == 0 ||
		    strcmp(state, "already_canceled") == 0 ? "canceled" :
		    state);

		jobview_json(o);
		json_decref(o);
	} else if (rc == 0)
		printf("%s: %s\n", id, strcmp(what, "canceled") == 0 ?
		    "canceled" : "running; its worker stops it at the next "
		    "heartbeat");
	if (rc != 0 && strcmp(what, "unknown") == 0)
		fprintf(stderr, "backupctl: no job %s\n", id);
	else if (rc != 0)
		fprintf(stderr, "backupctl: job %s already %s; nothing to "
		    "cancel\n", id, strcmp(state, "already_canceled") == 0 ?
		    "canceled" : state);
	return rc;
}

const struct cli_cmd cmd_cancel = {
	.name = "cancel",
	.usage = "cancel JOB [--json]",
	.summary = "cancel a waiting or running job",
	.exec = cmd_cancel_exec,
};
