/*
 * queue_panel.c - the calls the hosting panel's side needs: enqueue of a
 * backup, restore or verify, the node settings record, pins and the
 * record of the backups at a user's destinations (docs/redis-protocol.md,
 * "For the panel").
 *
 * Everything that changes a job is still one FCALL of bk_v1; pins and
 * the backups record are plain writes of keys no function reads for
 * decisions about jobs (bk:{N}:pins:<u>, bk:{N}:backups:<u>).  Callers
 * here run with the daemons' or the operator's Redis user: a panel with
 * the least-privilege ACL sends the same requests through bk:{N}:req.
 *
 * Not thread-safe (one struct queue per thread, as queue.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "err.h"
#include "queue.h"
#include "queue_int.h"
#include "xmalloc.h"

static void
fmt_ll(char *buf, size_t size, long long v)
{
	snprintf(buf, size, "%lld", v);
}

int
queue_enqueue_req(struct queue *q, const char *node, const char *user,
    const struct queue_request *rq, char **id, bool *created,
    struct bk_err *err)
{
	char newid[160], maxatt[16];
	const char *args[8];
	unsigned char rnd[4];
	struct timeval tv;
	redisReply *r;

	gettimeofday(&tv, NULL);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	snprintf(newid, sizeof(newid), "m.%s.%lld%03ld.%02x%02x%02x%02x",
	    user, (long long)tv.tv_sec, (long)tv.tv_usec / 1000, rnd[0],
	    rnd[1], rnd[2], rnd[3]);
	fmt_ll(maxatt, sizeof(maxatt), q->pol.max_attempts);
	args[0] = user;
	args[1] = newid;
	args[2] = "0";
	args[3] = maxatt;
	args[4] = rq != NULL && rq->kind != NULL ? rq->kind : "backup";
	args[5] = rq != NULL && rq->target != NULL ? rq->target : "";
	args[6] = rq != NULL && rq->only != NULL ? rq->only : "";
	args[7] = rq != NULL && rq->to != NULL ? rq->to : "";
	if (node != NULL && strcmp(node, q->node) != 0)
		q_cmd_free(q_cmd(q, NULL, "SADD bk:nodes %s", node));
	r = q_fcall(q, node, err, "bk_enqueue", args, 8);
	if (r == NULL) {
		/* a refusal of the function is bad usage, not a dead Redis */
		if (err->code != BK_EUNREACH)
			err->code = BK_ECONFIG;
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return q_fail(q, r, "bk_enqueue", err);
	*id = xstrdup(r->element[0]->str);
	*created = r->element[1]->integer == 1;
	freeReplyObject(r);
	/* Only an enqueue on a replica is reported (Sentinel): a retry after
	 * this failure joins the same waiting job. */
	if (q_replicated(q, "enqueue", err) == -1) {
		free(*id);
		*id = NULL;
		return -1;
	}
	return 0;
}

int
queue_enqueue(struct queue *q, const char *node, const char *user,
    char **id, bool *created, struct bk_err *err)
{
	return queue_enqueue_req(q, node, user, NULL, id, created, err);
}

int
queue_publish_settings(struct queue *q, struct bk_err *err)
{
	char ma[32], ret[32], bk[32], lease[32];
	const char *args[4] = { ma, ret, bk, lease };
	redisReply *r;

	fmt_ll(ma, sizeof(ma), q->pol.max_attempts);
	fmt_ll(ret, sizeof(ret), q->pol.retention_ms);
	fmt_ll(bk, sizeof(bk), q->pol.backoff_ms);
	fmt_ll(lease, sizeof(lease), q->pol.lease_ms);
	r = q_fcall(q, NULL, err, "bk_settings", args, 4);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
queue_pin(struct queue *q, const char *node, const char *user,
    const char *name, bool pin, struct bk_err *err)
{
	redisReply *r;

	if (node == NULL)
		node = q->node;
	r = q_cmd(q, err, pin ? "SADD bk:{%s}:pins:%s %s" :
	    "SREM bk:{%s}:pins:%s %s", node, user, name);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
queue_pinned_list(struct queue *q, const char *user, char ***names,
    size_t *n, struct bk_err *err)
{
	redisReply *r = q_cmd(q, err, "SMEMBERS bk:{%s}:pins:%s", q->node,
	    user);
	size_t i;

	if (r == NULL)
		return -1;
	*names = xcalloc(r->elements + 1, sizeof(char *));
	for (i = 0; i < r->elements; i++)
		(*names)[i] = xstrdup(r->element[i]->str);
	*n = r->elements;
	freeReplyObject(r);
	return 0;
}

int
queue_backups_set(struct queue *q, const char *user, const char *json,
    uint64_t bytes, struct bk_err *err)
{
	redisReply *r;
	char b[32], now[32];
	int64_t ms;

	if (queue_time(q, &ms, err) == -1)
		return -1;
	fmt_ll(b, sizeof(b), (long long)bytes);
	fmt_ll(now, sizeof(now), (long long)ms);
	/* one HSET: a panel never sees the list of one time with the bytes
	 * of another */
	r = q_cmd(q, err, "HSET bk:{%s}:backups:%s backups %s bytes_stored %s "
	    "updated_at %s", q->node, user, json, b, now);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}
