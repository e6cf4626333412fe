/*
 * fuzz_job_msg.c - libFuzzer harness of the job message decoders of
 * queue/: the job record (HGETALL of bk:{N}:job:<id>) turned into SPEC.md's
 * job JSON (queue_job_get, queue_jobs), the job a worker takes
 * (queue_dequeue's bk_dequeue reply), the events stream the notifier reads
 * (queue_events_read) and the worker registry (queue_workers).
 *
 * There is no standalone decoder: each of these reads Redis replies off a
 * connection.  So the harness hands the real functions a hiredis context
 * on one end of a socketpair and writes, on the other end beforehand,
 * the replies Redis would send - with the shapes Redis gives those
 * commands (arrays of bulk strings, an integer for EXISTS) and the fuzz
 * input as their contents: field names and values of job records (users
 * write some of them: user names, error texts, backup names), ids,
 * stream entries.  What a real Redis cannot answer (an integer where
 * HGETALL gives strings) is not fed.
 *
 * Input: byte 0 picks the decoder; the rest is split at '\n' into strings,
 * and an empty string ends a record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "err.h"
#include "fuzz.h"
#include "queue.h"
#include "queue_int.h"
#include "xmalloc.h"

#define MAXTOK	256

struct resp {
	char	*p;
	size_t	 n, cap;
};

static void
r_put(struct resp *r, const char *s, size_t n)
{
	if (r->n + n + 1 > r->cap) {
		r->cap = (r->n + n + 1) * 2;
		r->p = xrealloc(r->p, r->cap);
	}
	memcpy(r->p + r->n, s, n);
	r->n += n;
}

static void
r_fmt(struct resp *r, char type, long long v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%c%lld\r\n", type, v);

	r_put(r, b, (size_t)n);
}

static void
r_str(struct resp *r, const char *s, size_t n)
{
	r_fmt(r, '$', (long long)n);
	r_put(r, s, n);
	r_put(r, "\r\n", 2);
}

#define r_cstr(r, s)	r_str(r, s, strlen(s))

struct tok {
	const char	*s[MAXTOK];
	size_t		 n[MAXTOK];
	size_t		 count;
};

static void
split(const uint8_t *d, size_t size, struct tok *t)
{
	size_t i, start = 0;

	t->count = 0;
	for (i = 0; i <= size && t->count < MAXTOK; i++)
		if (i == size || d[i] == '\n') {
			t->s[t->count] = (const char *)d + start;
			t->n[t->count++] = i - start;
			start = i + 1;
		}
}

/* Tokens from *at up to the next empty one, as an HGETALL reply. */
static void
r_record(struct resp *r, const struct tok *t, size_t *at)
{
	size_t end = *at, k;

	while (end < t->count && t->n[end] > 0)
		end++;
	k = (end - *at) & ~(size_t)1;
	r_fmt(r, '*', (long long)k);
	for (; k > 0; k--, (*at)++)
		r_str(r, t->s[*at], t->n[*at]);
	*at = end + 1;
}

static size_t
records(const struct tok *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->count; i++)
		if (i + 1 == t->count || t->n[i] == 0)
			n++;
	return n;
}

static struct queue *
fake_queue(int fd)
{
	struct queue *q = xcalloc(1, sizeof(*q));
	struct timeval tv = { 2, 0 };

	q->c = redisConnectFd(fd);
	if (q->c == NULL || q->c->err != 0)
		abort();
	redisSetTimeout(q->c, tv);
	/* A reconnect after the scripted replies run out fails at once. */
	q->sock = xstrdup("/nonexistent/fuzz-redis.sock");
	q->name = xstrdup("fuzz");
	q->node = xstrdup("n1");
	q->prefix = xstrdup("bk:{n1}:");
	snprintf(q->where, sizeof(q->where), "fuzz");
	q->timeout_ms = 2000;
	q->pol.lease_ms = 60000;
	q->pol.retention_ms = 86400000;
	q->pol.max_attempts = 3;
	return q;
}

static void
run(int mode, const struct tok *t, struct resp *r, struct queue *q,
    int peer)
{
	struct bk_err err = { 0 };
	struct queue_job job;
	struct queue_event *ev;
	json_t *o;
	size_t at = 0, i, n, k;

	switch (mode) {
	case 0:		/* backupctl status JOB */
		r_fmt(r, '*', 1);
		r_cstr(r, "n1");		/* SMEMBERS bk:nodes */
		r_fmt(r, ':', 1);		/* EXISTS */
		r_record(r, t, &at);		/* HGETALL */
		break;
	case 1:		/* backupctl jobs */
		r_fmt(r, '*', 1);
		r_cstr(r, "n1");
		n = records(t);
		r_fmt(r, '*', (long long)n);	/* ZREVRANGE active */
		for (i = 0; i < n; i++) {
			char id[32];

			snprintf(id, sizeof(id), "j%zu", i);
			r_cstr(r, id);
		}
		for (i = 0; i < n; i++)
			r_record(r, t, &at);
		for (i = 0; i < 5; i++)		/* the other indexes */
			r_fmt(r, '*', 0);
		break;
	case 2:		/* a worker takes a job */
		r_fmt(r, '*', 4);
		for (i = 0; i < 4; i++)
			r_str(r, i < t->count ? t->s[i] : "",
			    i < t->count ? t->n[i] : 0);
		break;
	case 3:		/* the notifier reads events */
		r_put(r, "+OK\r\n", 5);		/* XGROUP CREATE */
		n = records(t);
		r_fmt(r, '*', 1);
		r_fmt(r, '*', 2);
		r_cstr(r, "bk:{n1}:events");
		r_fmt(r, '*', (long long)n);
		for (i = 0; i < n; i++) {
			r_fmt(r, '*', 2);
			r_str(r, at < t->count ? t->s[at] : "0-1",
			    at < t->count ? t->n[at] : 3);
			at++;
			r_record(r, t, &at);
		}
		break;
	default:	/* backupctl workers */
		r_fmt(r, '*', 2);
		r_cstr(r, "1767225600");
		r_cstr(r, "0");			/* TIME */
		r_fmt(r, ':', 0);		/* ZREMRANGEBYSCORE */
		n = records(t);
		r_fmt(r, '*', (long long)n);	/* ZRANGE */
		for (i = 0; i < n; i++)
			r_cstr(r, "w");
		for (i = 0; i < n; i++)
			r_record(r, t, &at);
		break;
	}
	/* At most a few KiB: fits the socket buffer, so no writer thread. */
	for (k = 0; k < r->n; ) {
		ssize_t w = write(peer, r->p + k, r->n - k);

		if (w <= 0)
			abort();
		k += (size_t)w;
	}
	shutdown(peer, SHUT_WR);
	switch (mode) {
	case 0:
		json_decref(queue_job_get(q, "j0", &err));
		break;
	case 1:
		json_decref(queue_jobs(q, NULL, NULL, 100, NULL, &err));
		break;
	case 2:
		if (queue_dequeue(q, "w", &job, &err) == 1)
			queue_job_free(&job);
		break;
	case 3:
		if (queue_events_read(q, "c", false, 0, &ev, &n, &err) == 0)
			queue_events_free(ev, n);
		break;
	default:
		o = queue_workers(q, &err);
		json_decref(o);
		break;
	}
}

int	FUZZ_ENTRY(const uint8_t *, size_t);

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct resp r = { 0 };
	struct tok t;
	struct queue *q;
	int sv[2];

	if (size < 1 || size > 4096)
		return 0;
	split(data + 1, size - 1, &t);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	q = fake_queue(sv[0]);
	run(data[0] % 5, &t, &r, q, sv[1]);
	queue_close(q);			/* closes sv[0] */
	close(sv[1]);
	free(r.p);
	return 0;
}
