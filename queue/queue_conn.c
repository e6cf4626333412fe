/*
 * queue_conn.c - how a struct queue finds and keeps its Redis primary.
 *
 * REDIS_URL is one of
 *	redis://[user:password@]host:port[/db]
 *	unix:///path/redis.sock[?db=N]
 *	redis-sentinel://[user:password@]host:port[,host:port...]/MASTER[/db]
 * For the last one every (re)connect asks the sentinels, in the order of
 * the URL, for MASTER's address (SENTINEL get-master-addr-by-name), then
 * checks with ROLE that the address really is a primary: a sentinel that
 * has not yet seen a failover still names the dead or demoted node.  The
 * connection is dropped and the sentinels asked again when it breaks, when
 * a command is refused with -READONLY or -MASTERDOWN (we talk to a node
 * that was demoted), and, in the daemons, when a sentinel publishes
 * +switch-master for MASTER.  That subscription is a second connection to
 * one sentinel, read without blocking before each command (q_usable), so
 * a daemon parked in BLPOP notices a switch at its next command at the
 * latest.
 *
 * Durability: replication is asynchronous, so a write the old primary
 * acknowledged can vanish in a failover.  q_replicated sends WAIT 1 after
 * the writes whose loss would break a promise (an enqueue the panel is
 * told about, a dequeue before the job runs, a finish before the worker
 * forgets the job); when no replica confirms in REDIS_REPLICA_WAIT the
 * call fails retryable, and every caller already retries or rolls back
 * safely (docs/redis-protocol.md, "Failover").
 *
 * The password of REDIS_URL is registered as a secret at parse time; the
 * same credentials are offered to the sentinels, and a sentinel without
 * a password simply refuses them.  Not thread-safe, like struct queue.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "err.h"
#include "queue.h"
#include "queue_int.h"
#include "secret.h"
#include "xmalloc.h"

#define CONNECT_TIMEOUT_MS	3000
#define SUB_RETRY_MS		10000

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
q_set_timeout(redisContext *c, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	redisSetTimeout(c, tv);
}

/* "user:password@" at the head of s (before the first '/'): sets user and
 * pass; returns the rest. */
static const char *
parse_auth(struct queue *q, const char *s)
{
	const char *slash = strchr(s, '/'), *at, *colon;

	at = memchr(s, '@', slash != NULL ? (size_t)(slash - s) : strlen(s));
	if (at == NULL)
		return s;
	colon = memchr(s, ':', at - s);
	if (colon != NULL) {
		if (colon > s)
			q->user = xstrndup(s, colon - s);
		q->pass = xstrndup(colon + 1, at - colon - 1);
	} else
		q->pass = xstrndup(s, at - s);
	secret_register(q->pass);
	return at + 1;
}

/* "host:port" (port defaults to def) into *host, *port. */
static int
parse_hostport(const char *s, size_t len, int def, char **host, int *port)
{
	char *hp = xstrndup(s, len), *colon = strrchr(hp, ':');

	*port = def;
	if (colon != NULL) {
		*port = atoi(colon + 1);
		*colon = '\0';
	}
	*host = hp;
	return **host == '\0' || *port <= 0 || *port > 65535 ? -1 : 0;
}

static int
parse_sentinel(struct queue *q, const char *s, struct bk_err *err)
{
	const char *slash, *p, *comma, *end;
	size_t n = 1;

	s = parse_auth(q, s);
	slash = strchr(s, '/');
	if (slash == NULL || slash[1] == '\0' || slash[1] == '/')
		return bk_err_set(err, BK_ECONFIG, "REDIS_URL: expected "
		    "redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB]");
	for (p = s; p < slash; p++)
		n += *p == ',';
	q->sent_host = xcalloc(n, sizeof(char *));
	q->sent_port = xcalloc(n, sizeof(int));
	for (p = s; p < slash; p = comma + 1) {
		comma = memchr(p, ',', slash - p);
		end = comma != NULL ? comma : slash;
		if (parse_hostport(p, end - p, 26379,
		    &q->sent_host[q->nsent], &q->sent_port[q->nsent]) == -1) {
			q->nsent++;
			return bk_err_set(err, BK_ECONFIG, "REDIS_URL: bad "
			    "sentinel host or port");
		}
		q->nsent++;
		if (comma == NULL)
			break;
	}
	p = slash + 1;
	end = strchr(p, '/');
	q->master = xstrndup(p, end != NULL ? (size_t)(end - p) : strlen(p));
	if (end != NULL && end[1] != '\0')
		q->db = atoi(end + 1);
	snprintf(q->where, sizeof(q->where), "sentinel master %s", q->master);
	return 0;
}

int
q_parse_url(struct queue *q, const char *url, struct bk_err *err)
{
	const char *s, *slash;

	if (strncmp(url, "unix://", 7) == 0) {
		s = url + 7;
		q->sock = xstrndup(s, strcspn(s, "?"));
		if (strstr(s, "?db=") != NULL)
			q->db = atoi(strstr(s, "?db=") + 4);
		if (*q->sock != '/')
			return bk_err_set(err, BK_ECONFIG, "REDIS_URL: a unix "
			    "socket URL needs an absolute path (unix:///...)");
		snprintf(q->where, sizeof(q->where), "%s", q->sock);
		return 0;
	}
	if (strncmp(url, "redis-sentinel://", 17) == 0)
		return parse_sentinel(q, url + 17, err);
	if (strncmp(url, "redis://", 8) != 0)
		return bk_err_set(err, BK_ECONFIG, "REDIS_URL: expected "
		    "redis://HOST:PORT/DB, unix:///PATH or "
		    "redis-sentinel://HOST:PORT,.../MASTER_NAME/DB");
	s = parse_auth(q, url + 8);
	slash = strchr(s, '/');
	if (parse_hostport(s, slash != NULL ? (size_t)(slash - s) : strlen(s),
	    6379, &q->host, &q->port) == -1)
		return bk_err_set(err, BK_ECONFIG, "REDIS_URL: bad host or "
		    "port");
	if (slash != NULL && slash[1] != '\0')
		q->db = atoi(slash + 1);
	snprintf(q->where, sizeof(q->where), "%s:%d", q->host, q->port);
	return 0;
}

/* A reply error, or the context's I/O error, as a bk_err.  A node that
 * lost its primary role (-READONLY, -MASTERDOWN, and -UNBLOCKED for a
 * BLPOP cut short by the demotion) is unreachable for our purpose: the
 * connection is marked stale so the next command asks the sentinels
 * again. */
int
q_fail(struct queue *q, redisReply *r, const char *what, struct bk_err *err)
{
	int rc;

	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    (strncmp(r->str, "READONLY", 8) == 0 ||
	    strncmp(r->str, "MASTERDOWN", 10) == 0 ||
	    strncmp(r->str, "UNBLOCKED", 9) == 0)) {
		q->stale = true;
		rc = bk_err_set(err, BK_EUNREACH, "Redis at %s is no longer "
		    "the primary (REDIS_URL): %s: %.80s", q->where, what,
		    r->str);
	} else if (r != NULL && r->type == REDIS_REPLY_ERROR)
		rc = bk_err_set(err, BK_EPROTO, "Redis at %s: %s: %s",
		    q->where, what, r->str);
	else if (q->c == NULL || q->c->err != 0)
		rc = bk_err_set(err, BK_EUNREACH, "cannot reach Redis at %s "
		    "(REDIS_URL): %s", q->where, q->c != NULL && q->c->errstr[0]
		    ? q->c->errstr : "connection lost");
	else
		rc = bk_err_set(err, BK_EPROTO, "Redis at %s: %s: unexpected "
		    "reply", q->where, what);
	if (r != NULL)
		freeReplyObject(r);
	return rc;
}

static int
load_library(struct queue *q, struct bk_err *err)
{
	redisReply *r;

	/* A promoted replica has the functions (they replicate), but a
	 * primary rebuilt from scratch or flushed has not: load them. */
	r = redisCommand(q->c, "FCALL bk_version 0");
	if (r != NULL && r->type == REDIS_REPLY_STRING &&
	    strcmp(r->str, QUEUE_LIB_VERSION) == 0) {
		freeReplyObject(r);
		return 0;
	}
	if (r == NULL)
		return q_fail(q, r, "FCALL", err);
	freeReplyObject(r);
	r = redisCommand(q->c, "FUNCTION LOAD REPLACE %s", queue_lua_src);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return q_fail(q, r, "FUNCTION LOAD (Redis 7 needed)", err);
	freeReplyObject(r);
	return 0;
}

/* Connect q->c to q->host:q->port (or q->sock), authenticate, select,
 * name the client. */
static int
connect_node(struct queue *q, struct bk_err *err)
{
	struct timeval tv = { CONNECT_TIMEOUT_MS / 1000, 0 };
	redisReply *r;

	if (q->c != NULL)
		redisFree(q->c);
	q->c = q->sock != NULL ? redisConnectUnixWithTimeout(q->sock, tv) :
	    redisConnectWithTimeout(q->host, q->port, tv);
	if (q->c == NULL || q->c->err != 0)
		return q_fail(q, NULL, "connect", err);
	q_set_timeout(q->c, q->timeout_ms);
	redisEnableKeepAlive(q->c);
	if (q->pass != NULL) {
		r = q->user != NULL ? redisCommand(q->c, "AUTH %s %s", q->user,
		    q->pass) : redisCommand(q->c, "AUTH %s", q->pass);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			if (r != NULL) {
				freeReplyObject(r);
				return bk_err_set(err, BK_EAUTH, "Redis at %s "
				    "refused the credentials of REDIS_URL",
				    q->where);
			}
			return q_fail(q, r, "AUTH", err);
		}
		freeReplyObject(r);
	}
	if (q->db != 0) {
		r = redisCommand(q->c, "SELECT %d", q->db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			return q_fail(q, r, "SELECT (REDIS_URL database)", err);
		freeReplyObject(r);
	}
	r = redisCommand(q->c, "CLIENT SETNAME %s", q->name);
	if (r == NULL)
		return q_fail(q, r, "CLIENT SETNAME", err);
	freeReplyObject(r);
	return 0;
}

/* 1 if the node behind q->c says it is a primary. */
static int
is_primary(struct queue *q)
{
	redisReply *r = redisCommand(q->c, "ROLE");
	int yes;

	yes = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "master") == 0;
	if (r != NULL)
		freeReplyObject(r);
	return yes;
}

/* A connection to sentinel i, credentials offered; NULL if away. */
static redisContext *
sentinel_connect(struct queue *q, size_t i)
{
	struct timeval tv = { CONNECT_TIMEOUT_MS / 1000, 0 };
	redisContext *c;
	redisReply *r;

	c = redisConnectWithTimeout(q->sent_host[i], q->sent_port[i], tv);
	if (c == NULL || c->err != 0) {
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	q_set_timeout(c, CONNECT_TIMEOUT_MS);
	if (q->pass != NULL) {
		/* Sentinels without requirepass refuse AUTH: harmless. */
		r = q->user != NULL ? redisCommand(c, "AUTH %s %s", q->user,
		    q->pass) : redisCommand(c, "AUTH %s", q->pass);
		if (r != NULL)
			freeReplyObject(r);
	}
	return c;
}

static void
sub_drop(struct queue *q)
{
	if (q->sub != NULL)
		redisFree(q->sub);
	q->sub = NULL;
	q->sub_retry_ms = mono_ms() + SUB_RETRY_MS;
}

/* Subscribe c to +switch-master; takes c. */
static void
sub_start(struct queue *q, redisContext *c)
{
	redisReply *r;

	if (q->sub != NULL)
		redisFree(q->sub);
	q->sub = c;
	r = redisCommand(c, "SUBSCRIBE +switch-master");
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL)
			freeReplyObject(r);
		sub_drop(q);
		return;
	}
	freeReplyObject(r);
}

/* Ask the sentinels in turn; connect to the first primary named. */
static int
connect_sentinel(struct queue *q, struct bk_err *err)
{
	redisContext *sc;
	redisReply *r;
	char why[sizeof(err->msg) + 64] = "no sentinel answered";
	size_t i;

	for (i = 0; i < q->nsent; i++) {
		if ((sc = sentinel_connect(q, i)) == NULL)
			continue;
		r = redisCommand(sc, "SENTINEL get-master-addr-by-name %s",
		    q->master);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != 2) {
			snprintf(why, sizeof(why), "sentinel %s:%d does not "
			    "know master %s", q->sent_host[i], q->sent_port[i],
			    q->master);
			goto next;
		}
		free(q->host);
		q->host = xstrdup(r->element[0]->str);
		q->port = atoi(r->element[1]->str);
		snprintf(q->where, sizeof(q->where), "%s:%d (sentinel master "
		    "%s)", q->host, q->port, q->master);
		if (connect_node(q, err) == -1) {
			snprintf(why, sizeof(why), "%s", err->msg);
			goto next;
		}
		if (!is_primary(q)) {
			snprintf(why, sizeof(why), "%s is not a primary yet",
			    q->where);
			goto next;
		}
		freeReplyObject(r);
		q->stale = false;
		if (q->subscribe)
			sub_start(q, sc);
		else
			redisFree(sc);
		return 0;
next:
		if (r != NULL)
			freeReplyObject(r);
		redisFree(sc);
	}
	if (q->c != NULL)
		redisFree(q->c);
	q->c = NULL;
	return bk_err_set(err, BK_EUNREACH, "cannot reach the Redis primary "
	    "of REDIS_URL (sentinel master %s): %s", q->master, why);
}

int
q_connect(struct queue *q, struct bk_err *err)
{
	if (q->master != NULL) {
		if (connect_sentinel(q, err) == -1)
			return -1;
	} else if (connect_node(q, err) == -1)
		return -1;
	return load_library(q, err);
}

/* Read the +switch-master messages that arrived, without blocking. */
static void
watch_switch(struct queue *q)
{
	struct pollfd p;
	redisReply *r;
	void *rv;
	size_t n;

	if (q->sub == NULL) {
		/* The sentinel we listened to went away: listen to another
		 * one, but do not hammer dead sentinels. */
		if (q->subscribe && q->c != NULL && mono_ms() >=
		    q->sub_retry_ms) {
			size_t i;
			redisContext *sc = NULL;

			for (i = 0; i < q->nsent && sc == NULL; i++)
				sc = sentinel_connect(q, i);
			if (sc != NULL)
				sub_start(q, sc);
			else
				q->sub_retry_ms = mono_ms() + SUB_RETRY_MS;
		}
		return;
	}
	p.fd = q->sub->fd;
	p.events = POLLIN;
	if (poll(&p, 1, 0) <= 0)
		return;
	if (redisBufferRead(q->sub) != REDIS_OK) {
		sub_drop(q);
		return;
	}
	n = strlen(q->master);
	while (redisGetReplyFromReader(q->sub, &rv) == REDIS_OK &&
	    rv != NULL) {
		r = rv;
		/* ["message", "+switch-master", "NAME old-ip old-port
		 * new-ip new-port"] */
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		    r->element[2]->type == REDIS_REPLY_STRING &&
		    strncmp(r->element[2]->str, q->master, n) == 0 &&
		    r->element[2]->str[n] == ' ')
			q->stale = true;
		freeReplyObject(r);
	}
}

bool
q_usable(struct queue *q)
{
	if (q->master != NULL)
		watch_switch(q);
	return q->c != NULL && q->c->err == 0 && !q->stale;
}

int
q_replicated(struct queue *q, const char *what, struct bk_err *err)
{
	redisReply *r;
	long long acks;

	if (q->master == NULL || q->wait_ms <= 0)
		return 0;
	if (q->c == NULL || q->c->err != 0)
		return q_fail(q, NULL, what, err);
	q_set_timeout(q->c, q->wait_ms + q->timeout_ms);
	r = redisCommand(q->c, "WAIT 1 %d", q->wait_ms);
	if (q->c->err == 0)
		q_set_timeout(q->c, q->timeout_ms);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return q_fail(q, r, "WAIT", err);
	acks = r->integer;
	freeReplyObject(r);
	if (acks < 1)
		return bk_err_set(err, BK_EUNREACH, "Redis at %s: %s not "
		    "confirmed by a replica within REDIS_REPLICA_WAIT", q->where,
		    what);
	return 0;
}

void
q_conn_free(struct queue *q)
{
	size_t i;

	if (q->c != NULL)
		redisFree(q->c);
	if (q->sub != NULL)
		redisFree(q->sub);
	for (i = 0; i < q->nsent; i++)
		free(q->sent_host[i]);
	free(q->sent_host);
	free(q->sent_port);
	free(q->master);
	free(q->host);
	free(q->sock);
	free(q->user);
	xfree_secret(q->pass);
}
