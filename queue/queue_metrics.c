/*
 * queue_metrics.c - the Prometheus text exposition (format 0.0.4) of the
 * job system, for `backupctl metrics` and backup-scheduler's /metrics.
 *
 * Cheap at any number of users: per node it reads queue_stats (ZCARDs and
 * ZCOUNTs), the running totals the functions keep in bk:{N}:stats (HGETALL
 * of a dozen fields) and walks bk:{N}:last_ok (user -> last success, ms)
 * with HSCAN, so Redis is never blocked by one long command and no KEYS
 * is used.  Writes to any FILE (stdout, or a memory stream for HTTP).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "queue.h"
#include "queue_int.h"
#include "xmalloc.h"

static const char *const dur_buckets[] = { "10", "60", "300", "900",
    "3600", "14400", "+Inf" };
#define NBUCKETS	(sizeof(dur_buckets) / sizeof(dur_buckets[0]))

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: Prometheus escapes backslash, quote and newline. */
static void
label(FILE *f, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
}

static long long
hfield(redisReply *h, const char *name)
{
	size_t i;

	for (i = 0; h != NULL && h->type == REDIS_REPLY_ARRAY &&
	    i + 1 < h->elements; i += 2)
		if (strcmp(h->element[i]->str, name) == 0)
			return strtoll(h->element[i + 1]->str, NULL, 10);
	return 0;
}

static void
per_node(FILE *f, json_t *nodes, const char *metric, const char *key,
    const char *extra)
{
	json_t *o;
	size_t i;

	for (i = 0; i < json_array_size(nodes); i++) {
		o = json_array_get(nodes, i);
		fprintf(f, "%s{node=\"", metric);
		label(f, json_string_value(json_object_get(o, "node")));
		fprintf(f, "\"%s} %lld\n", extra, json_integer_value(
		    json_object_get(o, key)));
	}
}

/* The totals of every node: HGETALL bk:{N}:stats and ZCARD bk:{N}:q. */
static int
totals(struct queue *q, json_t *nodes, redisReply ***st, long long **depth,
    struct bk_err *err)
{
	size_t i, n = json_array_size(nodes);
	const char *node;
	redisReply *r;

	*st = xcalloc(n + 1, sizeof(**st));
	*depth = xcalloc(n + 1, sizeof(**depth));
	if (queue_ensure(q, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		node = json_string_value(json_object_get(json_array_get(nodes,
		    i), "node"));
		redisAppendCommand(q->c, "HGETALL bk:{%s}:stats", node);
		redisAppendCommand(q->c, "ZCARD bk:{%s}:q", node);
	}
	for (i = 0; i < n; i++) {
		if (redisGetReply(q->c, (void **)&(*st)[i]) != REDIS_OK ||
		    redisGetReply(q->c, (void **)&r) != REDIS_OK)
			return q_fail(q, NULL, "HGETALL stats", err);
		(*depth)[i] = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
		freeReplyObject(r);
	}
	return 0;
}

static void
counter(FILE *f, json_t *nodes, redisReply **st, const char *metric,
    const char *field, const char *extra)
{
	size_t i;

	for (i = 0; i < json_array_size(nodes); i++) {
		fprintf(f, "%s{node=\"", metric);
		label(f, json_string_value(json_object_get(json_array_get(
		    nodes, i), "node")));
		fprintf(f, "\"%s} %lld\n", extra, hfield(st[i], field));
	}
}

static void
histogram(FILE *f, json_t *nodes, redisReply **st)
{
	const char *m = "panel_backup_job_duration_seconds";
	char field[32];
	long long cum;
	size_t i, b;

	family(f, m, "histogram", "run time of the attempts that succeeded");
	for (i = 0; i < json_array_size(nodes); i++) {
		const char *node = json_string_value(json_object_get(
		    json_array_get(nodes, i), "node"));

		cum = 0;
		for (b = 0; b < NBUCKETS; b++) {
			snprintf(field, sizeof(field), "dur_le_%s",
			    dur_buckets[b]);
			cum += hfield(st[i], field);
			fprintf(f, "%s_bucket{node=\"", m);
			label(f, node);
			fprintf(f, "\",le=\"%s\"} %lld\n", dur_buckets[b], cum);
		}
		fprintf(f, "%s_sum{node=\"", m);
		label(f, node);
		fprintf(f, "\"} %.3f\n", hfield(st[i], "duration_ms") / 1000.0);
		fprintf(f, "%s_count{node=\"", m);
		label(f, node);
		fprintf(f, "\"} %lld\n", cum);
	}
}

/* panel_backup_last_success_timestamp_seconds of every user of node. */
static int
last_success(struct queue *q, FILE *f, const char *node, struct bk_err *err)
{
	char cursor[32] = "0";
	redisReply *r, *v;
	size_t i;

	do {
		r = q_cmd(q, err, "HSCAN bk:{%s}:last_ok %s COUNT 1000", node,
		    cursor);
		if (r == NULL)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
			return q_fail(q, r, "HSCAN last_ok", err);
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		v = r->element[1];
		for (i = 0; i + 1 < v->elements; i += 2) {
			fputs("panel_backup_last_success_timestamp_seconds"
			    "{user=\"", f);
			label(f, v->element[i]->str);
			fputs("\",node=\"", f);
			label(f, node);
			fprintf(f, "\"} %lld\n", strtoll(v->element[i +
			    1]->str, NULL, 10) / 1000);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

int
queue_metrics_write(struct queue *q, FILE *f, struct bk_err *err)
{
	redisReply **st = NULL;
	long long *depth = NULL;
	json_t *s, *nodes;
	size_t i, n;
	int rc = -1;

	if ((s = queue_stats(q, err)) == NULL)
		return -1;
	nodes = json_object_get(s, "nodes");
	n = json_array_size(nodes);
	if (totals(q, nodes, &st, &depth, err) == -1)
		goto out;
	family(f, "panel_backup_redis_up", "gauge", "1 if Redis answered");
	fprintf(f, "panel_backup_redis_up 1\n");
	family(f, "panel_backup_jobs", "gauge", "jobs by node and state");
	per_node(f, nodes, "panel_backup_jobs", "queued", ",state=\"queued\"");
	per_node(f, nodes, "panel_backup_jobs", "running",
	    ",state=\"running\"");
	per_node(f, nodes, "panel_backup_jobs", "retrying",
	    ",state=\"retrying\"");
	family(f, "panel_backup_queue_depth", "gauge", "jobs a worker could "
	    "start now (queued and not waiting for the user's running job)");
	for (i = 0; i < n; i++) {
		fputs("panel_backup_queue_depth{node=\"", f);
		label(f, json_string_value(json_object_get(json_array_get(
		    nodes, i), "node")));
		fprintf(f, "\"} %lld\n", depth[i]);
	}
	family(f, "panel_backup_jobs_finished_24h", "gauge", "jobs finished "
	    "in the last 24 hours by result");
	per_node(f, nodes, "panel_backup_jobs_finished_24h", "succeeded_24h",
	    ",result=\"succeeded\"");
	per_node(f, nodes, "panel_backup_jobs_finished_24h", "failed_24h",
	    ",result=\"failed\"");
	per_node(f, nodes, "panel_backup_jobs_finished_24h", "canceled_24h",
	    ",result=\"canceled\"");
	family(f, "panel_backup_oldest_queued_seconds", "gauge", "age of the "
	    "oldest queued job");
	per_node(f, nodes, "panel_backup_oldest_queued_seconds",
	    "oldest_queued_seconds", "");
	family(f, "panel_backup_workers", "gauge", "live backup-worker "
	    "processes");
	per_node(f, nodes, "panel_backup_workers", "workers", "");
	family(f, "panel_backup_job_results_total", "counter", "jobs finished for "
	    "good by result, attempts sent to retry, due times missed");
	counter(f, nodes, st, "panel_backup_job_results_total", "succeeded",
	    ",result=\"succeeded\"");
	counter(f, nodes, st, "panel_backup_job_results_total", "failed",
	    ",result=\"failed\"");
	counter(f, nodes, st, "panel_backup_job_results_total", "canceled",
	    ",result=\"canceled\"");
	counter(f, nodes, st, "panel_backup_job_results_total", "retried",
	    ",result=\"retried\"");
	counter(f, nodes, st, "panel_backup_job_results_total", "missed",
	    ",result=\"missed\"");
	family(f, "panel_backup_jobs_queued_total", "counter", "jobs created "
	    "by trigger");
	counter(f, nodes, st, "panel_backup_jobs_queued_total",
	    "queued_scheduled", ",trigger=\"scheduled\"");
	counter(f, nodes, st, "panel_backup_jobs_queued_total",
	    "queued_manual", ",trigger=\"manual\"");
	histogram(f, nodes, st);
	family(f, "panel_backup_read_bytes_total", "counter", "source bytes "
	    "read by successful jobs");
	counter(f, nodes, st, "panel_backup_read_bytes_total", "bytes_in", "");
	family(f, "panel_backup_written_bytes_total", "counter", "bytes "
	    "written to destinations by successful jobs");
	counter(f, nodes, st, "panel_backup_written_bytes_total", "bytes_out",
	    "");
	family(f, "panel_backup_last_success_timestamp_seconds", "gauge",
	    "end of each user's last successful backup");
	for (i = 0; i < n; i++)
		if (last_success(q, f, json_string_value(json_object_get(
		    json_array_get(nodes, i), "node")), err) == -1)
			goto out;
	rc = 0;
out:
	for (i = 0; st != NULL && i < n; i++)
		if (st[i] != NULL)
			freeReplyObject(st[i]);
	free(st);
	free(depth);
	json_decref(s);
	return rc;
}

char *
queue_metrics_text(struct queue *q, size_t *len, struct bk_err *err)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int rc;

	if (f == NULL) {
		bk_err_sys(err, BK_EIO, "open_memstream");
		return NULL;
	}
	rc = queue_metrics_write(q, f, err);
	fclose(f);
	if (rc == -1) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
