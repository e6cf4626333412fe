/*
 * queue_read.c - reading the queue: job records as SPEC.md JSON, job
 * lists, per-node statistics, the worker registry and the events stream.
 *
 * Nothing here changes job state; the worker registry and the notifier's
 * bookkeeping are plain commands on keys no function touches.  Times in
 * Redis are Unix milliseconds (scheduled_for: seconds); JSON gets RFC 3339.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "queue.h"
#include "queue_int.h"
#include "xmalloc.h"

#define EVENT_SEEN_TTL	(7 * 86400)

void
queue_rfc3339(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

const char *
q_field(redisReply *r, const char *name)
{
	size_t i;

	for (i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    i + 1 < r->elements; i += 2)
		if (strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1]->str;
	return NULL;
}

void
q_set_time(json_t *o, const char *key, const char *ms, int64_t mult)
{
	char buf[40];

	if (ms == NULL || *ms == '\0') {
		json_object_set_new(o, key, json_null());
		return;
	}
	queue_rfc3339(strtoll(ms, NULL, 10) * mult, buf, sizeof(buf));
	json_object_set_new(o, key, json_string(buf));
}

void
q_set_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v != NULL && *v != '\0' ?
	    json_string(v) : json_null());
}

static void
set_int(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, json_integer(v != NULL ?
	    strtoll(v, NULL, 10) : 0));
}

/* percent and eta_seconds of a running job with an expected total (the
 * bytes the user's last backup read, or the size of the backup a restore
 * or verify downloads): the rate is this attempt's average up to its last
 * heartbeat.  A backup's percent stops at 99 until the job is over (its
 * total is a guess); a restore's total is exact, so it reaches 100 once
 * everything is downloaded.  A succeeded job with a total says 100. */
static void
progress_json(json_t *o, redisReply *r, bool running, bool exact)
{
	const char *e = q_field(r, "expected");
	long long exp = e != NULL ? strtoll(e, NULL, 10) : 0, done, pct;
	long long t0, t1, cap = exact ? 100 : 99;

	if (exp <= 0)
		return;
	if (!running) {
		json_object_set_new(o, "percent", json_integer(100));
		return;
	}
	done = strtoll(q_field(r, "bytes_in") ? q_field(r, "bytes_in") : "0",
	    NULL, 10);
	pct = done * 100 / exp;
	json_object_set_new(o, "percent", json_integer(pct > cap ? cap :
	    pct < 0 ? 0 : pct));
	t0 = strtoll(q_field(r, "started_at") ? q_field(r, "started_at") :
	    "0", NULL, 10);
	t1 = strtoll(q_field(r, "heartbeat_at") ? q_field(r, "heartbeat_at") :
	    "0", NULL, 10);
	if (done > 0 && t1 > t0)
		json_object_set_new(o, "eta_seconds", json_integer(done >= exp ?
		    0 : (long long)((double)(exp - done) * (double)(t1 - t0) /
		    (double)done / 1000.0 + 0.5)));
}

/* A job hash (HGETALL reply) as SPEC.md's job object. */
static json_t *
job_json(redisReply *r)
{
	json_t *o = json_object(), *b;
	const char *state = q_field(r, "state"), *v;
	bool running = state != NULL && strcmp(state, "running") == 0;

	q_set_str(o, "id", q_field(r, "id"));
	q_set_str(o, "user", q_field(r, "user"));
	q_set_str(o, "node", q_field(r, "node"));
	q_set_str(o, "trigger", q_field(r, "trigger"));
	v = q_field(r, "kind");
	json_object_set_new(o, "kind", json_string(v != NULL && *v != '\0' ?
	    v : "backup"));
	q_set_time(o, "scheduled_for", q_field(r, "scheduled_for"), 1000);
	q_set_str(o, "state", state);
	q_set_str(o, "phase", running ? q_field(r, "phase") : NULL);
	if (running || (state != NULL && strcmp(state, "succeeded") == 0))
		progress_json(o, r, running, v != NULL && *v != '\0' &&
		    strcmp(v, "backup") != 0);
	set_int(o, "attempts", q_field(r, "attempts"));
	set_int(o, "max_attempts", q_field(r, "max_attempts"));
	q_set_time(o, "created_at", q_field(r, "created_at"), 1);
	q_set_time(o, "started_at", q_field(r, "started_at"), 1);
	q_set_time(o, "finished_at", q_field(r, "finished_at"), 1);
	q_set_time(o, "heartbeat_at", q_field(r, "heartbeat_at"), 1);
	q_set_time(o, "next_retry_at", q_field(r, "next_retry_at"), 1);
	set_int(o, "bytes_in", q_field(r, "bytes_in"));
	set_int(o, "bytes_out", q_field(r, "bytes_out"));
	q_set_str(o, "error", state != NULL && (strcmp(state, "failed") == 0 ||
	    strcmp(state, "retrying") == 0 || strcmp(state, "canceled") == 0) ?
	    q_field(r, "error") : NULL);
	q_set_str(o, "error_class", q_field(r, "error_class"));
	if ((v = q_field(r, "target")) != NULL)
		q_set_str(o, "target", v);
	if ((v = q_field(r, "only")) != NULL &&
	    (b = json_loads(v, 0, NULL)) != NULL)
		json_object_set_new(o, "only", b);
	if ((v = q_field(r, "to")) != NULL)
		q_set_str(o, "to", v);
	if ((v = q_field(r, "result")) != NULL &&
	    (b = json_loads(v, 0, NULL)) != NULL)
		json_object_set_new(o, "result", b);
	q_set_str(o, "worker", q_field(r, "worker"));
	q_set_str(o, "waiting_for", q_field(r, "waiting_for"));
	v = q_field(r, "backups");
	b = v != NULL ? json_loads(v, 0, NULL) : NULL;
	if (b == NULL || !json_is_array(b)) {
		json_decref(b);
		b = json_array();
	}
	json_object_set_new(o, "backups", b);
	return o;
}

static int
node_list(struct queue *q, char ***nodes, size_t *n, struct bk_err *err)
{
	redisReply *r = q_cmd(q, err, "SMEMBERS bk:nodes");
	size_t i, k = 0;

	if (r == NULL)
		return -1;
	*nodes = xcalloc(r->elements + 2, sizeof(char *));
	(*nodes)[k++] = xstrdup(q->node);
	for (i = 0; i < r->elements; i++)
		if (strcmp(r->element[i]->str, q->node) != 0)
			(*nodes)[k++] = xstrdup(r->element[i]->str);
	*n = k;
	freeReplyObject(r);
	return 0;
}

static void
strv_free_n(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
q_job_node(struct queue *q, const char *id, char **node, struct bk_err *err)
{
	char **nodes;
	size_t n, i;
	redisReply *r;
	int rc = -1;

	if (node_list(q, &nodes, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		r = q_cmd(q, err, "EXISTS bk:{%s}:job:%s", nodes[i], id);
		if (r == NULL)
			goto out;
		if (r->integer == 1) {
			freeReplyObject(r);
			*node = xstrdup(nodes[i]);
			rc = 0;
			goto out;
		}
		freeReplyObject(r);
	}
	bk_err_set(err, BK_ENOENT, "no job %s (finished jobs are kept "
	    "JOB_RETENTION_DAYS)", id);
out:
	strv_free_n(nodes, n);
	return rc;
}

json_t *
queue_job_get(struct queue *q, const char *id, struct bk_err *err)
{
	redisReply *r;
	char *node;
	json_t *o;

	if (q_job_node(q, id, &node, err) == -1)
		return NULL;
	r = q_cmd(q, err, "HGETALL bk:{%s}:job:%s", node, id);
	free(node);
	if (r == NULL)
		return NULL;
	if (r->elements == 0) {
		freeReplyObject(r);
		bk_err_set(err, BK_ENOENT, "no job %s", id);
		return NULL;
	}
	o = job_json(r);
	freeReplyObject(r);
	return o;
}

static int
by_created_desc(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a,
	    "created_at"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b,
	    "created_at"));

	return strcmp(y != NULL ? y : "", x != NULL ? x : "");
}

/* Append the jobs of one index of node to arr. */
static int
collect(struct queue *q, const char *node, const char *index, size_t limit,
    const char *user, const char *state, json_t *arr, bool *gone,
    struct bk_err *err)
{
	redisReply *r, *h;
	size_t i;
	json_t *o;
	const char *s, *u;

	r = q_cmd(q, err, "ZREVRANGE bk:{%s}:%s 0 %lld", node, index,
	    (long long)limit - 1);
	if (r == NULL)
		return -1;
	for (i = 0; i < r->elements; i++)
		redisAppendCommand(q->c, "HGETALL bk:{%s}:job:%s", node,
		    r->element[i]->str);
	for (i = 0; i < r->elements; i++) {
		if (redisGetReply(q->c, (void **)&h) != REDIS_OK) {
			freeReplyObject(r);
			return q_fail(q, NULL, "HGETALL", err);
		}
		if (h->type == REDIS_REPLY_ARRAY && h->elements > 0) {
			s = q_field(h, "state");
			u = q_field(h, "user");
			if ((user == NULL || (u != NULL && strcmp(u, user) ==
			    0)) && (state == NULL || (s != NULL &&
			    strcmp(s, state) == 0))) {
				o = job_json(h);
				json_array_append_new(arr, o);
			}
		} else if (gone != NULL)
			*gone = true;	/* named by the index, expired */
		freeReplyObject(h);
	}
	freeReplyObject(r);
	return 0;
}

/* Is a user's index on node short of the whole history: ever trimmed
 * (the functions note it), or longer than the ulim entries read? */
static int
user_trimmed(struct queue *q, const char *node, const char *user,
    size_t ulim, bool *trunc, struct bk_err *err)
{
	redisReply *r;

	r = q_cmd(q, err, "HGET bk:{%s}:user:%s ujobs_trimmed_at", node, user);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_STRING)
		*trunc = true;
	freeReplyObject(r);
	r = q_cmd(q, err, "ZCARD bk:{%s}:ujobs:%s", node, user);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_INTEGER && (size_t)r->integer > ulim)
		*trunc = true;
	freeReplyObject(r);
	return 0;
}

json_t *
queue_jobs(struct queue *q, const char *user, const char *state,
    size_t limit, bool *truncated, struct bk_err *err)
{
	static const char *const idx[] = { "active", "q", "parked", "delayed",
	    "failed", "canceled", "succeeded" };
	char ubuf[128];
	const char *uidx[1] = { ubuf };
	const char *const *ix = idx;
	size_t nix = sizeof(idx) / sizeof(idx[0]), ulim = limit;
	json_t *arr = json_array(), *sorted;
	json_t **v;
	char **nodes;
	size_t n, i, k, cnt;
	bool trunc = false;

	/* A user's jobs come from the index the functions keep for them
	 * (every job within retention, at most USER_JOBS_MAX = 1000), not
	 * from the node's newest jobs filtered; a state filter reads all of
	 * it so the answer is never cut short by other states. */
	if (user != NULL) {
		snprintf(ubuf, sizeof(ubuf), "ujobs:%s", user);
		ix = uidx;
		nix = 1;
		ulim = state != NULL ? 1000 : limit;
	}
	if (node_list(q, &nodes, &n, err) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		for (k = 0; k < nix; k++)
			if (collect(q, nodes[i], ix[k], ulim, user, state,
			    arr, user != NULL ? &trunc : NULL, err) == -1) {
				strv_free_n(nodes, n);
				goto fail;
			}
		if (user != NULL && user_trimmed(q, nodes[i], user, ulim,
		    &trunc, err) == -1) {
			strv_free_n(nodes, n);
			goto fail;
		}
	}
	strv_free_n(nodes, n);
	cnt = json_array_size(arr);
	v = xcalloc(cnt + 1, sizeof(*v));
	for (i = 0; i < cnt; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, cnt, sizeof(*v), by_created_desc);
	sorted = json_array();
	for (i = 0; i < cnt && i < limit; i++)
		json_array_append(sorted, v[i]);
	if (cnt > limit)
		trunc = true;
	if (truncated != NULL)
		*truncated = trunc;
	free(v);
	json_decref(arr);
	return sorted;
fail:
	json_decref(arr);
	return NULL;
}

static long long
int_reply(struct queue *q, struct bk_err *err, int *bad, const char *fmt,
    const char *node, const char *a, const char *b)
{
	redisReply *r = q_cmd(q, err, fmt, node, a, b);
	long long v;

	if (r == NULL) {
		*bad = 1;
		return 0;
	}
	v = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return v;
}

/* Age in seconds of the oldest job waiting on node (runnable or parked):
 * q is FIFO inside each priority band, so the first job of each band and
 * the first parked one are the candidates - O(log n) at any queue length. */
static long long
oldest_queued(struct queue *q, const char *node, int64_t now, int *bad,
    struct bk_err *err)
{
	redisReply *r[4] = { NULL }, *h;
	long long oldest = 0, c;
	int band, k;

	if (queue_ensure(q, err) == -1) {
		*bad = 1;
		return 0;
	}
	for (band = 0; band < 3; band++)
		redisAppendCommand(q->c, "ZRANGEBYSCORE bk:{%s}:q %lld (%lld "
		    "LIMIT 0 1", node, (long long)band << 40,
		    (long long)(band + 1) << 40);
	redisAppendCommand(q->c, "ZRANGE bk:{%s}:parked 0 0", node);
	for (k = 0; k < 4; k++)
		if (redisGetReply(q->c, (void **)&r[k]) != REDIS_OK) {
			q_fail(q, NULL, "ZRANGE", err);
			*bad = 1;
			goto out;
		}
	for (k = 0; k < 4; k++) {
		if (r[k]->type != REDIS_REPLY_ARRAY || r[k]->elements != 1)
			continue;
		h = q_cmd(q, err, "HGET bk:{%s}:job:%s created_at", node,
		    r[k]->element[0]->str);
		if (h == NULL && q->c->err != 0) {
			*bad = 1;
			goto out;
		}
		if (h != NULL && h->type == REDIS_REPLY_STRING) {
			c = strtoll(h->str, NULL, 10);
			if (now - c > oldest)
				oldest = now - c;
		}
		q_cmd_free(h);
	}
out:
	for (k = 0; k < 4; k++)
		q_cmd_free(r[k]);
	return oldest / 1000;
}

json_t *
queue_stats(struct queue *q, struct bk_err *err)
{
	json_t *out = json_object(), *arr = json_array(), *o, *w, *wv;
	char **nodes, since[32];
	size_t n, i, k;
	int64_t now;
	int bad = 0, live;

	json_object_set_new(out, "nodes", arr);
	if (queue_time(q, &now, err) == -1 ||
	    node_list(q, &nodes, &n, err) == -1) {
		json_decref(out);
		return NULL;
	}
	w = queue_workers(q, err);
	wv = w != NULL ? json_object_get(w, "workers") : NULL;
	snprintf(since, sizeof(since), "%lld", (long long)(now - 86400000));
	for (i = 0; i < n && !bad; i++) {
		o = json_object();
		json_object_set_new(o, "node", json_string(nodes[i]));
		json_object_set_new(o, "queued", json_integer(
		    int_reply(q, err, &bad, "ZCARD bk:{%s}:q", nodes[i], NULL,
		    NULL) + int_reply(q, err, &bad, "ZCARD bk:{%s}:parked",
		    nodes[i], NULL, NULL)));
		json_object_set_new(o, "running", json_integer(int_reply(q,
		    err, &bad, "ZCARD bk:{%s}:active", nodes[i], NULL, NULL)));
		json_object_set_new(o, "retrying", json_integer(int_reply(q,
		    err, &bad, "ZCARD bk:{%s}:delayed", nodes[i], NULL,
		    NULL)));
		json_object_set_new(o, "succeeded_24h", json_integer(
		    int_reply(q, err, &bad, "ZCOUNT bk:{%s}:succeeded %s %s",
		    nodes[i], since, "+inf")));
		json_object_set_new(o, "failed_24h", json_integer(int_reply(q,
		    err, &bad, "ZCOUNT bk:{%s}:failed %s %s", nodes[i], since,
		    "+inf")));
		json_object_set_new(o, "canceled_24h", json_integer(int_reply(q,
		    err, &bad, "ZCOUNT bk:{%s}:canceled %s %s", nodes[i], since,
		    "+inf")));
		json_object_set_new(o, "oldest_queued_seconds", json_integer(
		    oldest_queued(q, nodes[i], now, &bad, err)));
		live = 0;
		for (k = 0; wv != NULL && k < json_array_size(wv); k++)
			if (json_is_string(json_object_get(json_array_get(wv,
			    k), "node")) && strcmp(json_string_value(
			    json_object_get(json_array_get(wv, k), "node")),
			    nodes[i]) == 0)
				live++;
		json_object_set_new(o, "workers", json_integer(live));
		json_array_append_new(arr, o);
	}
	json_decref(w);
	strv_free_n(nodes, n);
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Worker registry: bk:workers (ZSET id -> expiry ms) + bk:worker:<id>. */

int
queue_worker_beat(struct queue *q, const char *wid, int slots,
    const char *const *jobs, size_t njobs, int ttl_s, struct bk_err *err)
{
	json_t *arr = json_array();
	char *js, host[64];
	int64_t now;
	size_t i;
	redisReply *r;

	for (i = 0; i < njobs; i++)
		json_array_append_new(arr, json_string(jobs[i]));
	js = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (gethostname(host, sizeof(host)) == -1)
		strcpy(host, "?");
	host[sizeof(host) - 1] = '\0';
	if (queue_time(q, &now, err) == -1) {
		free(js);
		return -1;
	}
	r = q_cmd(q, err, "HSET bk:worker:%s id %s node %s pid %ld host %s "
	    "slots %d jobs %s last_heartbeat %lld", wid, wid, q->node,
	    (long)getpid(), host, slots, js, (long long)now);
	free(js);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	q_cmd_free(q_cmd(q, NULL, "EXPIRE bk:worker:%s %d", wid, ttl_s));
	r = q_cmd(q, err, "ZADD bk:workers %lld %s",
	    (long long)(now + ttl_s * 1000LL), wid);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
queue_worker_gone(struct queue *q, const char *wid, struct bk_err *err)
{
	q_cmd_free(q_cmd(q, NULL, "DEL bk:worker:%s", wid));
	q_cmd_free(q_cmd(q, err, "ZREM bk:workers %s", wid));
	return 0;
}

json_t *
queue_workers(struct queue *q, struct bk_err *err)
{
	json_t *out = json_object(), *arr = json_array(), *o, *jobs;
	redisReply *r, *h;
	int64_t now;
	size_t i;
	const char *v;

	json_object_set_new(out, "workers", arr);
	if (queue_time(q, &now, err) == -1)
		goto fail;
	q_cmd_free(q_cmd(q, NULL, "ZREMRANGEBYSCORE bk:workers -inf %lld",
	    (long long)now));
	r = q_cmd(q, err, "ZRANGE bk:workers 0 -1");
	if (r == NULL)
		goto fail;
	for (i = 0; i < r->elements; i++) {
		h = q_cmd(q, NULL, "HGETALL bk:worker:%s", r->element[i]->str);
		if (h == NULL || h->elements == 0) {
			q_cmd_free(h);
			continue;
		}
		o = json_object();
		q_set_str(o, "id", q_field(h, "id"));
		q_set_str(o, "node", q_field(h, "node"));
		set_int(o, "pid", q_field(h, "pid"));
		q_set_str(o, "host", q_field(h, "host"));
		set_int(o, "slots", q_field(h, "slots"));
		v = q_field(h, "jobs");
		jobs = v != NULL ? json_loads(v, 0, NULL) : NULL;
		json_object_set_new(o, "jobs", jobs != NULL ? jobs :
		    json_array());
		q_set_time(o, "last_heartbeat", q_field(h, "last_heartbeat"), 1);
		json_array_append_new(arr, o);
		freeReplyObject(h);
	}
	freeReplyObject(r);
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* Events: bk:{node}:events, consumer group "notifier". */

static int
ensure_group(struct queue *q, struct bk_err *err)
{
	redisReply *r;

	if (queue_ensure(q, err) == -1)
		return -1;
	r = redisCommand(q->c, "XGROUP CREATE %sevents notifier $ MKSTREAM",
	    q->prefix);
	if (r == NULL)
		return q_fail(q, r, "XGROUP CREATE", err);
	freeReplyObject(r);	/* BUSYGROUP: it exists, fine */
	return 0;
}

int
queue_events_read(struct queue *q, const char *consumer, bool pending,
    int block_ms, struct queue_event **evs, size_t *n, struct bk_err *err)
{
	redisReply *r, *list, *e, *kv;
	struct queue_event *v;
	size_t i, k;

	*evs = NULL;
	*n = 0;
	if (ensure_group(q, err) == -1)
		return -1;
	queue_set_timeout(q, block_ms + 5000);
	r = q_cmd(q, err, "XREADGROUP GROUP notifier %s COUNT 100 BLOCK %d "
	    "STREAMS %sevents %s", consumer, block_ms, q->prefix,
	    pending ? "0" : ">");
	queue_set_timeout(q, 10000);
	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
		freeReplyObject(r);
		return 0;
	}
	list = r->element[0]->element[1];
	v = xcalloc(list->elements + 1, sizeof(*v));
	for (i = 0; i < list->elements; i++) {
		e = list->element[i];
		v[i].id = xstrdup(e->element[0]->str);
		v[i].fields = json_object();
		kv = e->element[1];
		for (k = 0; kv->type == REDIS_REPLY_ARRAY && k + 1 <
		    kv->elements; k += 2)
			json_object_set_new(v[i].fields, kv->element[k]->str,
			    json_string(kv->element[k + 1]->str));
	}
	*evs = v;
	*n = list->elements;
	freeReplyObject(r);
	return 0;
}

void
queue_events_free(struct queue_event *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		json_decref(v[i].fields);
	}
	free(v);
}

int
queue_event_seen(struct queue *q, const char *evid, struct bk_err *err)
{
	redisReply *r = q_cmd(q, err, "EXISTS %snotified:%s", q->prefix, evid);
	int seen;

	if (r == NULL)
		return -1;
	seen = r->integer == 1;
	freeReplyObject(r);
	return seen;
}

int
queue_event_done(struct queue *q, const char *evid, struct bk_err *err)
{
	redisReply *r;

	r = q_cmd(q, err, "SET %snotified:%s 1 EX %d", q->prefix, evid,
	    EVENT_SEEN_TTL);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	r = q_cmd(q, err, "XACK %sevents notifier %s", q->prefix, evid);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}
