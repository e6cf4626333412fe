/*
 * cmd_metrics.c - backupctl metrics: `stats`, job totals, a duration
 * histogram, bytes and each user's last success in the Prometheus text
 * exposition format (version 0.0.4), for a node_exporter textfile
 * collector.  backup-scheduler serves the same text on METRICS_LISTEN.
 * When Redis is away it still prints panel_backup_redis_up 0 (exit 3).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "queue.h"

static int
cmd_metrics_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct queue *q;
	struct bk_err err;
	char *text;
	size_t len;
	bool json;
	int rc;

	if ((q = jobview_start(ctx, &cmd_metrics, argc, argv, 0, NULL, &json,
	    &rc)) == NULL) {
		if (rc == 3)
			printf("# TYPE panel_backup_redis_up gauge\n"
			    "panel_backup_redis_up 0\n");
		return rc;
	}
	/* Built in memory first: a half-written exposition is never
	 * printed. */
	text = queue_metrics_text(q, &len, &err);
	queue_close(q);
	if (text == NULL)
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}

const struct cli_cmd cmd_metrics = {
	.name = "metrics",
	.usage = "metrics",
	.summary = "stats, totals and per-user last success, Prometheus text "
	    "format",
	.exec = cmd_metrics_exec,
};
