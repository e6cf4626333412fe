/*
 * queue.c - the connection to Redis and the calls that change job state.
 *
 * One struct queue wraps one hiredis 0.14 context (RESP2, no TLS; see
 * queue-design §8).  After any I/O error the context is dead: the next
 * call reconnects once (queue_conn.c: asking the sentinels first with a
 * redis-sentinel:// URL), redoes AUTH, SELECT and CLIENT SETNAME, and
 * fails with BK_EUNREACH if Redis is still away.  Every state change is an
 * FCALL of the bk_v1 library, so a repeated call after a reconnect is
 * safe: the fencing token makes a second finish a "stale" no-op.
 *
 * Not thread-safe: one struct queue per thread.  The password of
 * REDIS_URL is registered as a secret and never printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "err.h"
#include "queue.h"
#include "queue_int.h"
#include "secret.h"
#include "settings.h"
#include "xmalloc.h"

#define COMMAND_TIMEOUT_MS	10000

struct queue *
queue_open(const struct settings *admin, const char *role,
    struct bk_err *err)
{
	struct queue *q = xcalloc(1, sizeof(*q));
	char host[64];
	const char *node = settings_get(admin, "NODE");
	size_t i;

	if (gethostname(host, sizeof(host)) == -1)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	xasprintf(&q->name, "%s@%s:%ld", role, host, (long)getpid());
	for (i = 0; q->name[i] != '\0'; i++)
		if (q->name[i] == ' ')
			q->name[i] = '_';
	q->node = xstrdup(node != NULL ? node : host);
	if (strchr(q->node, '}') != NULL || strchr(q->node, '{') != NULL ||
	    *q->node == '\0') {
		bk_err_set(err, BK_ECONFIG, "NODE: \"%s\" may not be empty or "
		    "contain braces", q->node);
		goto fail;
	}
	xasprintf(&q->prefix, "bk:{%s}:", q->node);
	q->pol.lease_ms = settings_int(admin, "JOB_LEASE_SECONDS") * 1000;
	q->pol.backoff_ms = settings_duration_ms(admin, "JOB_RETRY_BACKOFF");
	q->pol.retention_ms = settings_int(admin, "JOB_RETENTION_DAYS") *
	    86400000LL;
	q->pol.max_attempts = (int)settings_int(admin, "JOB_MAX_ATTEMPTS");
	q->timeout_ms = COMMAND_TIMEOUT_MS;
	q->wait_ms = (int)settings_duration_ms(admin, "REDIS_REPLICA_WAIT");
	/* Daemons (backup-*) follow +switch-master; one-shot commands
	 * re-ask the sentinels only when something breaks. */
	q->subscribe = strncmp(role, "backup-", 7) == 0;
	if (q_parse_url(q, settings_get(admin, "REDIS_URL"), err) == -1)
		goto fail;
	if (q_connect(q, err) == -1)
		goto fail;
	q_cmd_free(q_cmd(q, NULL, "SADD bk:nodes %s", q->node));
	/* The notifier's group exists from the first start of anything, so
	 * no event is written before it. */
	q_cmd_free(q_cmd(q, NULL, "XGROUP CREATE %sevents notifier $ MKSTREAM",
	    q->prefix));
	return q;
fail:
	queue_close(q);
	return NULL;
}

struct queue *
queue_open_report(const struct settings *admin, const char *prog,
    const char *role, int *status)
{
	struct bk_err err;
	struct queue *q;

	q = queue_open(admin, role, &err);
	if (q == NULL) {
		secret_redact(err.msg, sizeof(err.msg));
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		*status = bk_err_exit_status(&err);
	}
	return q;
}

void
queue_close(struct queue *q)
{
	if (q == NULL)
		return;
	q_conn_free(q);
	free(q->name);
	free(q->node);
	free(q->prefix);
	free(q);
}

int
queue_ensure(struct queue *q, struct bk_err *err)
{
	if (q_usable(q))
		return 0;
	return q_connect(q, err);
}

int
queue_ping(struct queue *q, struct bk_err *err)
{
	redisReply *r;

	if (queue_ensure(q, err) == -1)
		return -1;
	r = redisCommand(q->c, "PING");
	if (r == NULL || r->type != REDIS_REPLY_STATUS)
		return q_fail(q, r, "PING", err);
	freeReplyObject(r);
	return 0;
}

const char *
queue_where(const struct queue *q)
{
	return q->where;
}

const char *
queue_node(const struct queue *q)
{
	return q->node;
}

const struct queue_policy *
queue_policy(const struct queue *q)
{
	return &q->pol;
}

void
queue_set_timeout(struct queue *q, int ms)
{
	q->timeout_ms = ms;
	if (q->c != NULL && q->c->err == 0)
		q_set_timeout(q->c, ms);
}

/* A formatted command; NULL with err set on failure or an error reply. */
redisReply *
q_cmd(struct queue *q, struct bk_err *err, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	if (queue_ensure(q, err) == -1)
		return NULL;
	va_start(ap, fmt);
	r = redisvCommand(q->c, fmt, ap);
	va_end(ap);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		q_fail(q, r, fmt, err);
		return NULL;
	}
	return r;
}

void
q_cmd_free(redisReply *r)
{
	if (r != NULL)
		freeReplyObject(r);
}

/* FCALL fn 1 <prefix of node> <node> args... */
redisReply *
q_fcall(struct queue *q, const char *node, struct bk_err *err,
    const char *fn, const char *const *args, size_t nargs)
{
	const char *argv[24];
	char prefix[300];
	redisReply *r;
	size_t i, n = 0;

	if (node == NULL)
		node = q->node;
	snprintf(prefix, sizeof(prefix), "bk:{%s}:", node);
	argv[n++] = "FCALL";
	argv[n++] = fn;
	argv[n++] = "1";
	argv[n++] = prefix;
	argv[n++] = node;
	for (i = 0; i < nargs && n < 24; i++)
		argv[n++] = args[i] != NULL ? args[i] : "";
	if (queue_ensure(q, err) == -1)
		return NULL;
	r = redisCommandArgv(q->c, (int)n, argv, NULL);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		q_fail(q, r, fn, err);
		return NULL;
	}
	return r;
}

/* FCALL returning a status string copied into buf. */
static int
fcall_status(struct queue *q, struct bk_err *err, const char *fn,
    const char *const *args, size_t nargs, char *buf, size_t size)
{
	redisReply *r = q_fcall(q, NULL, err, fn, args, nargs);

	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)
		return q_fail(q, r, fn, err);
	snprintf(buf, size, "%s", r->str);
	freeReplyObject(r);
	return 0;
}

static void
fmt_ll(char *buf, size_t size, long long v)
{
	snprintf(buf, size, "%lld", v);
}

int
queue_wait_wake(struct queue *q, int timeout_ms, struct bk_err *err)
{
	redisReply *r;
	char tmo[32];

	snprintf(tmo, sizeof(tmo), "%.3f", timeout_ms / 1000.0);
	if (queue_ensure(q, err) == -1)
		return -1;
	q_set_timeout(q->c, timeout_ms + 5000);
	r = redisCommand(q->c, "BLPOP %swake %s", q->prefix, tmo);
	if (q->c->err == 0)
		q_set_timeout(q->c, q->timeout_ms);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return q_fail(q, r, "BLPOP", err);
	freeReplyObject(r);
	return 0;
}

int
queue_dequeue(struct queue *q, const char *worker, struct queue_job *job,
    struct bk_err *err)
{
	unsigned char rnd[QUEUE_TOKEN_LEN / 2];
	char token[QUEUE_TOKEN_LEN + 1], lease[32], ret[32];
	const char *args[4];
	redisReply *r;
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return bk_err_sys(err, BK_EIO, "getrandom");
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	fmt_ll(lease, sizeof(lease), q->pol.lease_ms);
	fmt_ll(ret, sizeof(ret), q->pol.retention_ms);
	args[0] = worker;
	args[1] = token;
	args[2] = lease;
	args[3] = ret;
	r = q_fcall(q, NULL, err, "bk_dequeue", args, 4);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		return 0;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 4)
		return q_fail(q, r, "bk_dequeue", err);
	memset(job, 0, sizeof(*job));
	job->id = xstrdup(r->element[0]->str);
	job->user = xstrdup(r->element[1]->str);
	job->attempt = atoi(r->element[2]->str);
	job->max_attempts = atoi(r->element[3]->str);
	job->token = xstrdup(token);
	/* kind, target, only, to: bk_v1 version 3 */
	job->kind = xstrdup(r->elements > 4 ? r->element[4]->str : "backup");
	job->target = xstrdup(r->elements > 5 ? r->element[5]->str : "");
	job->only = xstrdup(r->elements > 6 ? r->element[6]->str : "");
	job->to = xstrdup(r->elements > 7 ? r->element[7]->str : "");
	freeReplyObject(r);
	/* A job taken on a primary that dies before replicating it is
	 * still queued on the new one: running it here too would run it
	 * twice.  Unconfirmed, it is left to its lease. */
	if (q_replicated(q, "dequeue", err) == -1) {
		/* Still connected (no replica in time): hand it back now
		 * rather than after the lease; lost, the lease does it. */
		if (q->c != NULL && q->c->err == 0)
			q_cmd_free(q_fcall(q, NULL, NULL, "bk_requeue",
			    (const char *const[]){ job->id, job->token }, 2));
		queue_job_free(job);
		return -1;
	}
	return 1;
}

void
queue_job_free(struct queue_job *job)
{
	free(job->id);
	free(job->user);
	free(job->token);
	free(job->kind);
	free(job->target);
	free(job->only);
	free(job->to);
	memset(job, 0, sizeof(*job));
}

int
queue_heartbeat(struct queue *q, const struct queue_job *job,
    const char *phase, uint64_t bytes_in, uint64_t bytes_out,
    uint64_t expected, enum queue_hb *hb, struct bk_err *err)
{
	char lease[32], bi[32], bo[32], ex[32], st[32];
	const char *args[7];

	fmt_ll(lease, sizeof(lease), q->pol.lease_ms);
	fmt_ll(bi, sizeof(bi), (long long)bytes_in);
	fmt_ll(bo, sizeof(bo), (long long)bytes_out);
	args[0] = job->id;
	args[1] = job->token;
	args[2] = lease;
	args[3] = phase;
	args[4] = bi;
	args[5] = bo;
	/* the expected total, once the job knows it (a restore: the size
	 * of the backup it reads); 0 leaves the record's as it is */
	fmt_ll(ex, sizeof(ex), (long long)expected);
	args[6] = ex;
	if (fcall_status(q, err, "bk_heartbeat", args, 7, st, sizeof(st))
	    == -1)
		return -1;
	*hb = strcmp(st, "ok") == 0 ? QHB_OK : strcmp(st, "cancel") == 0 ?
	    QHB_CANCEL : QHB_LOST;
	return 0;
}

int
queue_finish(struct queue *q, const struct queue_job *job,
    enum queue_outcome out, bool retryable, const char *error,
    const char *backups_json, uint64_t bytes_in, uint64_t bytes_out,
    char *state, size_t statesz, struct bk_err *err)
{
	return queue_finish_result(q, job, out, retryable, error,
	    backups_json, NULL, bytes_in, bytes_out, state, statesz, err);
}

int
queue_finish_result(struct queue *q, const struct queue_job *job,
    enum queue_outcome out, bool retryable, const char *error,
    const char *backups_json, const char *result_json, uint64_t bytes_in,
    uint64_t bytes_out, char *state, size_t statesz, struct bk_err *err)
{
	char bi[32], bo[32], bk[32], ret[32];
	const char *args[11];

	fmt_ll(bi, sizeof(bi), (long long)bytes_in);
	fmt_ll(bo, sizeof(bo), (long long)bytes_out);
	fmt_ll(bk, sizeof(bk), q->pol.backoff_ms);
	fmt_ll(ret, sizeof(ret), q->pol.retention_ms);
	args[0] = job->id;
	args[1] = job->token;
	args[2] = out == QOUT_OK ? "ok" : out == QOUT_CANCELED ? "canceled" :
	    "error";
	args[3] = retryable ? "1" : "0";
	args[4] = error != NULL ? error : "";
	args[5] = backups_json != NULL ? backups_json : "[]";
	args[6] = bi;
	args[7] = bo;
	args[8] = bk;
	args[9] = ret;
	args[10] = result_json != NULL ? result_json : "";
	return fcall_status(q, err, "bk_finish", args, 11, state, statesz);
}

int
queue_requeue(struct queue *q, const struct queue_job *job,
    struct bk_err *err)
{
	const char *args[2] = { job->id, job->token };
	char st[32];

	return fcall_status(q, err, "bk_requeue", args, 2, st, sizeof(st));
}

int
queue_reap(struct queue *q, int *n, struct bk_err *err)
{
	char bk[32], ret[32];
	const char *args[2] = { bk, ret };
	redisReply *r;

	fmt_ll(bk, sizeof(bk), q->pol.backoff_ms);
	fmt_ll(ret, sizeof(ret), q->pol.retention_ms);
	r = q_fcall(q, NULL, err, "bk_reap", args, 2);
	if (r == NULL)
		return -1;
	*n = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : 0;
	freeReplyObject(r);
	return 0;
}

int
queue_cancel(struct queue *q, const char *id, char *state, size_t statesz,
    struct bk_err *err)
{
	char ret[32];
	const char *args[2] = { id, ret };
	char *node;
	int rc;

	if (q_job_node(q, id, &node, err) == -1)
		return -1;
	fmt_ll(ret, sizeof(ret), q->pol.retention_ms);
	{
		redisReply *r = q_fcall(q, node, err, "bk_cancel", args, 2);

		rc = -1;
		if (r != NULL) {
			snprintf(state, statesz, "%s", r->type ==
			    REDIS_REPLY_STRING ? r->str : "?");
			freeReplyObject(r);
			rc = 0;
		}
	}
	free(node);
	return rc;
}

int
queue_time(struct queue *q, int64_t *ms, struct bk_err *err)
{
	redisReply *r = q_cmd(q, err, "TIME");

	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		return q_fail(q, r, "TIME", err);
	*ms = strtoll(r->element[0]->str, NULL, 10) * 1000 +
	    strtoll(r->element[1]->str, NULL, 10) / 1000;
	freeReplyObject(r);
	return 0;
}

/* Scheduler calls. */

#define BATCH_CHUNK	512

static void
sched_append(struct queue *q, const struct queue_sched_op *op)
{
	char d[32], nx[32], maxatt[16];
	const char *argv[12] = { "FCALL", NULL, "1", q->prefix, q->node,
	    op->user };
	int n = 6;

	fmt_ll(d, sizeof(d), (long long)op->due);
	fmt_ll(nx, sizeof(nx), (long long)op->next);
	fmt_ll(maxatt, sizeof(maxatt), q->pol.max_attempts);
	switch (op->kind) {
	case QS_SET:
		argv[1] = "bk_sched_set";
		argv[n++] = op->expr;
		argv[n++] = nx;
		break;
	case QS_ERROR:
		argv[1] = "bk_sched_error";
		argv[n++] = op->expr;
		argv[n++] = op->msg;
		break;
	case QS_DEL:
		argv[1] = "bk_sched_del";
		break;
	case QS_FIRE:
		argv[1] = "bk_fire";
		argv[n++] = d;
		argv[n++] = nx;
		argv[n++] = op->missed ? "1" : "0";
		argv[n++] = maxatt;
		break;
	}
	redisAppendCommandArgv(q->c, n, argv, NULL);
}

int
queue_sched_batch(struct queue *q, struct queue_sched_op *ops, size_t n,
    struct bk_err *err)
{
	redisReply *r;
	size_t i, k, end;
	int rc = 0;

	for (i = 0; i < n; i = end) {
		end = i + BATCH_CHUNK < n ? i + BATCH_CHUNK : n;
		if (queue_ensure(q, err) == -1)
			return -1;
		for (k = i; k < end; k++)
			sched_append(q, &ops[k]);
		for (k = i; k < end; k++) {
			if (redisGetReply(q->c, (void **)&r) != REDIS_OK)
				return q_fail(q, NULL, "FCALL (scheduler)",
				    err);
			if (r->type == REDIS_REPLY_ERROR) {
				if (rc == 0)
					rc = q_fail(q, r, "FCALL (scheduler)",
					    err);
				else
					freeReplyObject(r);
				continue;
			}
			if (ops[k].kind == QS_FIRE) {
				const char *st = r->type == REDIS_REPLY_STRING
				    || r->type == REDIS_REPLY_STATUS ? r->str :
				    "";

				ops[k].fired = strcmp(st, "queued") == 0 ?
				    QFIRE_QUEUED : strcmp(st, "coalesced") == 0 ?
				    QFIRE_COALESCED : strcmp(st, "missed") == 0 ?
				    QFIRE_MISSED : QFIRE_STALE;
			}
			freeReplyObject(r);
		}
	}
	return rc;
}

int
queue_sched_set(struct queue *q, const char *user, const char *expr,
    time_t next, struct bk_err *err)
{
	struct queue_sched_op op = { .kind = QS_SET, .user = user,
	    .expr = expr, .next = next };

	return queue_sched_batch(q, &op, 1, err);
}

int
queue_sched_error(struct queue *q, const char *user, const char *expr,
    const char *msg, struct bk_err *err)
{
	struct queue_sched_op op = { .kind = QS_ERROR, .user = user,
	    .expr = expr, .msg = msg };

	return queue_sched_batch(q, &op, 1, err);
}

int
queue_sched_del(struct queue *q, const char *user, struct bk_err *err)
{
	struct queue_sched_op op = { .kind = QS_DEL, .user = user };

	return queue_sched_batch(q, &op, 1, err);
}

int
queue_fire(struct queue *q, const char *user, time_t due, time_t next,
    bool missed, enum queue_fire *res, struct bk_err *err)
{
	struct queue_sched_op op = { .kind = QS_FIRE, .user = user,
	    .due = due, .next = next, .missed = missed };

	if (queue_sched_batch(q, &op, 1, err) == -1)
		return -1;
	*res = op.fired;
	return 0;
}

static int
str_array(redisReply *r, size_t step, char ***out, time_t **scores,
    size_t *n)
{
	size_t i, k = 0;

	*out = xcalloc(r->elements / step + 1, sizeof(char *));
	if (scores != NULL)
		*scores = xcalloc(r->elements / step + 1, sizeof(time_t));
	for (i = 0; i + step - 1 < r->elements; i += step) {
		if (r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		(*out)[k] = xstrdup(r->element[i]->str);
		if (scores != NULL)
			(*scores)[k] = (time_t)strtoll(r->element[i + 1]->str,
			    NULL, 10);
		k++;
	}
	*n = k;
	return 0;
}

int
queue_sched_due(struct queue *q, time_t now, size_t offset, size_t max,
    char ***users, time_t **due, size_t *n, struct bk_err *err)
{
	redisReply *r;

	r = q_cmd(q, err, "ZRANGEBYSCORE %ssched 0 %lld WITHSCORES LIMIT %lld "
	    "%lld", q->prefix, (long long)now, (long long)offset,
	    (long long)max);
	if (r == NULL)
		return -1;
	str_array(r, 2, users, due, n);
	freeReplyObject(r);
	return 0;
}

int
queue_sched_users(struct queue *q, char ***users, size_t *n,
    struct bk_err *err)
{
	redisReply *r, *v;
	char cursor[32] = "0";
	size_t cap = 0, i;

	/* Users with a schedule, including ones with an error; SSCAN, so a
	 * set of 100,000 never blocks Redis. */
	*users = NULL;
	*n = 0;
	do {
		r = q_cmd(q, err, "SSCAN %ssched_users %s COUNT 2000",
		    q->prefix, cursor);
		if (r == NULL)
			goto fail;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			q_fail(q, r, "SSCAN", err);
			goto fail;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		v = r->element[1];
		for (i = 0; i < v->elements; i++) {
			if (*n + 1 >= cap) {
				cap = cap ? cap * 2 : 1024;
				*users = xreallocarray(*users, cap,
				    sizeof(char *));
			}
			(*users)[(*n)++] = xstrdup(v->element[i]->str);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return 0;
fail:
	for (i = 0; i < *n; i++)
		free((*users)[i]);
	free(*users);
	*users = NULL;
	*n = 0;
	return -1;
}
