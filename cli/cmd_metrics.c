/*
 * cmd_metrics.c - backupctl metrics: `stats` and each user's last
 * success in the Prometheus text exposition format (version 0.0.4), for a
 * node_exporter textfile collector or a scrape through a small wrapper.
 */
#include <stdio.h>

#include "cli.h"
#include "err.h"
#include "jobview.h"
#include "queue.h"

static void
gauge(const char *name, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
per_node(json_t *nodes, const char *metric, const char *key,
    const char *extra)
{
	json_t *o;
	size_t i;

	for (i = 0; i < json_array_size(nodes); i++) {
		o = json_array_get(nodes, i);
		printf("%s{node=\"%s\"%s} %lld\n", metric,
		    json_string_value(json_object_get(o, "node")), extra,
		    json_integer_value(json_object_get(o, key)));
	}
}

static int
cmd_metrics_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct queue *q;
	struct bk_err err;
	json_t *s, *nodes, *users, *v;
	const char *user;
	int rc;

	if (argc != 1)
		return cli_usage(&cmd_metrics);
	if ((rc = cli_admin(ctx)) != 0)
		return rc;
	if ((q = jobview_open(&ctx->admin, "backupctl", &rc)) == NULL) {
		printf("# TYPE panel_backup_redis_up gauge\n"
		    "panel_backup_redis_up 0\n");
		return rc;
	}
	s = queue_stats(q, &err);
	users = s != NULL ? queue_user_summaries(q, NULL, &err) : NULL;
	queue_close(q);
	if (s == NULL || users == NULL) {
		json_decref(s);
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	}
	nodes = json_object_get(s, "nodes");
	gauge("panel_backup_redis_up", "1 if Redis answered");
	printf("panel_backup_redis_up 1\n");
	gauge("panel_backup_jobs", "jobs by node and state");
	per_node(nodes, "panel_backup_jobs", "queued", ",state=\"queued\"");
	per_node(nodes, "panel_backup_jobs", "running", ",state=\"running\"");
	per_node(nodes, "panel_backup_jobs", "retrying",
	    ",state=\"retrying\"");
	gauge("panel_backup_jobs_finished_24h", "jobs finished in the last "
	    "24 hours by result");
	per_node(nodes, "panel_backup_jobs_finished_24h", "succeeded_24h",
	    ",result=\"succeeded\"");
	per_node(nodes, "panel_backup_jobs_finished_24h", "failed_24h",
	    ",result=\"failed\"");
	gauge("panel_backup_oldest_queued_seconds", "age of the oldest "
	    "queued job");
	per_node(nodes, "panel_backup_oldest_queued_seconds",
	    "oldest_queued_seconds", "");
	gauge("panel_backup_workers", "live backup-worker processes");
	per_node(nodes, "panel_backup_workers", "workers", "");
	gauge("panel_backup_last_success_timestamp_seconds", "end of each "
	    "user's last successful backup");
	json_object_foreach(users, user, v)
		printf("panel_backup_last_success_timestamp_seconds{user=\"%s\"}"
		    " %lld\n", user, json_integer_value(v));
	json_decref(users);
	json_decref(s);
	return 0;
}

const struct cli_cmd cmd_metrics = {
	.name = "metrics",
	.usage = "metrics",
	.summary = "stats and per-user last success, Prometheus text format",
	.exec = cmd_metrics_exec,
};
