/*
 * queue_health.c - one user's health for the panel: what `backupctl
 * health USER` prints, read with plain commands a panel can issue itself
 * (docs/redis-protocol.md, "For the panel"):
 *
 *	HGETALL bk:{N}:user:<u>    last_ok_at, last_fail_at, last_error, ...
 *	ZSCORE  bk:{N}:sched <u>   next run (Unix seconds)
 *	HGETALL bk:{N}:sched:<u>   expr, error (a refused schedule)
 *
 * The node is the first of the own node and bk:nodes that knows the user
 * (a user lives on one node).  Nothing here writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "queue.h"
#include "queue_int.h"
#include "xmalloc.h"

/* The node that knows user, or NULL (not an error). */
static int
find_node(struct queue *q, const char *user, char **node,
    struct bk_err *err)
{
	redisReply *r, *e;
	size_t i, k, n;
	const char *cand[64];

	*node = NULL;
	r = q_cmd(q, err, "SMEMBERS bk:nodes");
	if (r == NULL)
		return -1;
	n = 0;
	cand[n++] = q->node;
	for (i = 0; i < r->elements && n < 64; i++)
		if (strcmp(r->element[i]->str, q->node) != 0)
			cand[n++] = r->element[i]->str;
	for (i = 0; i < n; i++)
		redisAppendCommand(q->c, "EXISTS bk:{%s}:user:%s "
		    "bk:{%s}:sched:%s", cand[i], user, cand[i], user);
	for (i = 0, k = n; i < n; i++) {
		if (redisGetReply(q->c, (void **)&e) != REDIS_OK) {
			freeReplyObject(r);
			return q_fail(q, NULL, "EXISTS", err);
		}
		if (k == n && e->type == REDIS_REPLY_INTEGER && e->integer > 0)
			k = i;
		freeReplyObject(e);
	}
	if (k < n)
		*node = xstrdup(cand[k]);
	freeReplyObject(r);
	return 0;
}

json_t *
queue_user_health(struct queue *q, const char *user, struct bk_err *err)
{
	redisReply *u = NULL, *sc = NULL, *sh = NULL;
	json_t *o = json_object();
	const char *ok, *fail, *status;
	char *node;

	json_object_set_new(o, "user", json_string(user));
	if (find_node(q, user, &node, err) == -1)
		goto fail;
	q_set_str(o, "node", node);
	if (node != NULL) {
		redisAppendCommand(q->c, "HGETALL bk:{%s}:user:%s", node, user);
		redisAppendCommand(q->c, "ZSCORE bk:{%s}:sched %s", node, user);
		redisAppendCommand(q->c, "HGETALL bk:{%s}:sched:%s", node,
		    user);
		free(node);
		if (redisGetReply(q->c, (void **)&u) != REDIS_OK ||
		    redisGetReply(q->c, (void **)&sc) != REDIS_OK ||
		    redisGetReply(q->c, (void **)&sh) != REDIS_OK) {
			q_fail(q, NULL, "HGETALL user", err);
			goto fail;
		}
	}
	ok = q_field(u, "last_ok_at");
	fail = q_field(u, "last_fail_at");
	q_set_time(o, "last_success", ok, 1);
	q_set_str(o, "last_success_job", q_field(u, "last_job"));
	json_object_set_new(o, "last_backup_bytes", q_field(u, "last_size") ?
	    json_integer(strtoll(q_field(u, "last_size"), NULL, 10)) :
	    json_null());
	json_object_set_new(o, "last_duration_seconds", q_field(u,
	    "last_duration") ? json_integer(strtoll(q_field(u, "last_duration"),
	    NULL, 10) / 1000) : json_null());
	q_set_time(o, "last_failure", fail, 1);
	q_set_str(o, "last_error", q_field(u, "last_error"));
	q_set_time(o, "next_run", sc != NULL && sc->type == REDIS_REPLY_STRING ?
	    sc->str : NULL, 1000);
	q_set_str(o, "schedule", q_field(sh, "expr"));
	q_set_str(o, "schedule_error", q_field(sh, "error"));
	q_set_str(o, "running", q_field(u, "active"));
	q_set_str(o, "waiting", q_field(u, "queued"));
	if (json_is_null(json_object_get(o, "node")))
		status = "unknown";
	else if (q_field(sh, "error") != NULL)
		status = "schedule_error";
	else if (fail != NULL && (ok == NULL || strtoll(fail, NULL, 10) >
	    strtoll(ok, NULL, 10)))
		status = "failing";
	else if (ok != NULL)
		status = "ok";
	else
		status = "never";
	json_object_set_new(o, "status", json_string(status));
	q_cmd_free(u);
	q_cmd_free(sc);
	q_cmd_free(sh);
	return o;
fail:
	q_cmd_free(u);
	q_cmd_free(sc);
	q_cmd_free(sh);
	json_decref(o);
	return NULL;
}
