/*
 * objstore.c - shared machinery of the object-store backends (S3, Azure).
 *
 * objstore_perform() runs one HTTP exchange on a reused easy handle with
 * the body in memory, so a failed part can be sent again byte for byte.
 * A 2xx response body streams to the caller's sink; anything else is
 * kept (bounded) for the error message.
 *
 * The pool turns a stream into numbered parts.  It owns workers + 1
 * buffers: the writer fills one while the workers send the others, so
 * memory stays at (workers + 1) x part size whatever the backup's size.
 * Invariants: a slot is FREE, FILLING (the writer's), QUEUED or BUSY;
 * parts are numbered in stream order; after the first failure no new part
 * starts and the writer gets the error.  Worker threads start with the
 * first part, so a small backup never spawns any.
 *
 * Threads: the writer thread plus the pool's workers; the pool's state
 * is under one mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "err.h"
#include "http.h"
#include "objstore.h"
#include "xmalloc.h"
#include "xmlread.h"

#define ERR_BODY_MAX	(16u << 20)	/* listing pages and error bodies */

void
objstore_resp_init(struct obj_resp *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, ERR_BODY_MAX);
	r->retry_after = -1;
}

void
objstore_resp_free(struct obj_resp *r)
{
	buf_free(&r->body);
}

struct xfer {
	const struct obj_call	*call;
	struct obj_resp		*resp;
	CURL			*h;
	size_t			 off;		/* of the request body */
	int			 sink_failed;
	struct bk_err		 sink_err;
};

static size_t
read_cb(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	size_t n = sz * nm, left = x->call->len - x->off;

	if (n > left)
		n = left;
	if (n > 0)
		memcpy(p, (const char *)x->call->body + x->off, n);
	x->off += n;
	return n;
}

static int
seek_cb(void *arg, curl_off_t off, int origin)
{
	struct xfer *x = arg;

	if (origin != SEEK_SET || off < 0 || (size_t)off > x->call->len)
		return CURL_SEEKFUNC_FAIL;
	x->off = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static size_t
write_cb(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	const struct obj_call *c = x->call;
	size_t n = sz * nm, skip = 0, give;
	uint64_t at = x->resp->received;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->resp->status);
	if (c->sink == NULL || x->resp->status / 100 != 2)
		return buf_append(&x->resp->body, p, n) == 0 ? n : 0;
	x->resp->received += n;
	if (c->range_len == 0)
		give = n;
	else {
		/* A server that ignored the Range sends the object from 0. */
		if (x->resp->status != 206 && at < c->range_off)
			skip = c->range_off - at < n ? (size_t)(c->range_off -
			    at) : n;
		give = n - skip;
		if (give > c->range_len - x->resp->given)
			give = (size_t)(c->range_len - x->resp->given);
	}
	if (give == 0)
		return n;
	x->resp->given += give;
	if (c->sink(p + skip, give, c->sink_arg, &x->sink_err) == -1) {
		x->sink_failed = 1;
		return 0;
	}
	return n;
}

static void
copy_header_value(char *dst, size_t size, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
	    v[n - 1] == ' '))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t
header_cb(char *p, size_t sz, size_t nm, void *arg)
{
	struct xfer *x = arg;
	size_t n = sz * nm;
	char tmp[64];

	if (n > 5 && strncasecmp(p, "etag:", 5) == 0)
		copy_header_value(x->resp->etag, sizeof(x->resp->etag),
		    p + 5, n - 5);
	else if (n > 16 && strncasecmp(p, "x-ms-error-code:", 16) == 0)
		copy_header_value(x->resp->ms_error,
		    sizeof(x->resp->ms_error), p + 16, n - 16);
	else if (n > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
		copy_header_value(tmp, sizeof(tmp), p + 12, n - 12);
		x->resp->retry_after = http_retry_after(tmp);
	}
	return n;
}

static bool
curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

int
objstore_perform(CURL *h, const struct obj_call *c, struct obj_resp *r,
    const char *what, struct bk_err *err)
{
	struct xfer x = { .call = c, .resp = r, .h = h };
	struct curl_slist *hdrs;
	curl_off_t cl = -1, ft = -1;
	CURLcode rc;

	buf_reset(&r->body);
	r->status = 0;
	r->etag[0] = r->ms_error[0] = '\0';
	r->retry_after = -1;
	r->received = 0;
	r->given = 0;
	/* No "Expect: 100-continue" round trip; parts are resendable. */
	hdrs = curl_slist_append(NULL, "Expect:");
	for (const struct curl_slist *l = c->headers; l != NULL; l = l->next)
		hdrs = curl_slist_append(hdrs, l->data);
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
	if (c->body != NULL || strcmp(c->method, "PUT") == 0 ||
	    strcmp(c->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)c->len);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(h, CURLOPT_READDATA, &x);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, &x);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		if (strcmp(c->method, "HEAD") == 0)
			curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	/* A stalled peer is a timeout, not a hang. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	rc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	curl_easy_getinfo(h, CURLINFO_FILETIME_T, &ft);
	r->length = cl > 0 ? (uint64_t)cl : 0;
	r->mtime = ft > 0 ? (time_t)ft : 0;
	if (x.sink_failed) {
		if (err != NULL)
			*err = x.sink_err;
		return -1;
	}
	if (rc != CURLE_OK) {
		http_curl_err(err, rc, what);
		if (err != NULL)
			err->retryable = curl_transient(rc);
		return -1;
	}
	return 0;
}

int
objstore_xml(obj_send_fn *send, void *ctx, int attempts, const char *root,
    xr_elem_fn *fn, void (*reset)(void *), void *arg, struct obj_resp *r,
    const char *where, struct bk_err *err)
{
	struct xr *x;
	int attempt, rc;
	bool bad;

	for (attempt = 0;; attempt++) {
		if (reset != NULL)
			reset(arg);
		x = xr_new(root, fn, arg);
		rc = send(ctx, xr_sink, x, r, err);
		/* The sink's failure is the document's: name the server. */
		bad = rc == -1 && xr_failed(x);
		if (rc == 0 && xr_finish(x, err) == -1) {
			rc = -1;
			bad = true;
			if (err != NULL && strcmp(xr_root(x), "Error") == 0)
				err->retryable = true;
		}
		xr_free(x);
		if (bad)
			bk_err_prefix(err, "%s: HTTP %ld", where, r->status);
		if (rc == 0 || !objstore_retry_wait(err, attempt, attempts,
		    r->retry_after))
			return rc;
	}
}

void
objstore_backoff(int attempt, long retry_after)
{
	struct timespec ts;
	long ms = 250L << (attempt < 6 ? attempt : 6);

	ms += random() % (ms / 2 + 1);
	if (retry_after >= 0 && retry_after * 1000 > ms)
		ms = retry_after > 60 ? 60000 : retry_after * 1000;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

bool
objstore_retry_wait(const struct bk_err *err, int attempt, int max,
    long retry_after)
{
	if (err == NULL || !err->retryable || attempt + 1 >= max)
		return false;
	objstore_backoff(attempt, retry_after);
	return true;
}

char *
objstore_prefix(const char *v)
{
	size_t n;
	char *p;

	while (v != NULL && *v == '/')
		v++;
	n = v != NULL ? strlen(v) : 0;
	while (n > 0 && v[n - 1] == '/')
		n--;
	if (n == 0)
		return xstrdup("");
	xasprintf(&p, "%.*s/", (int)n, v);
	return p;
}

/* Bytes max_parts parts hold when the size doubles every step parts. */
static uint64_t
plan_capacity(size_t base, unsigned max_parts, size_t cap, unsigned step)
{
	uint64_t total = 0, size = base;
	unsigned n, k;

	for (n = 0; n < max_parts; n += k) {
		k = max_parts - n < step ? max_parts - n : step;
		total += (size < cap ? size : cap) * (uint64_t)k;
		if (size < cap)
			size *= 2;
	}
	return total;
}

unsigned
objstore_part_step(size_t base, unsigned max_parts, size_t cap,
    uint64_t total)
{
	unsigned groups, step = max_parts > 0 ? max_parts : 1;

	if (base == 0)
		base = 1;
	/* Fewest size groups (latest growth) that still hold total; past
	 * 64 groups the sizes hit cap anyway. */
	for (groups = 1; groups <= 64 && groups <= max_parts; groups++) {
		step = (max_parts + groups - 1) / groups;
		if (plan_capacity(base, max_parts, cap, step) >= total)
			break;
	}
	return step > 0 ? step : 1;
}

static size_t
size_at(size_t base, unsigned n, unsigned step, size_t cap)
{
	unsigned shift = (n > 0 ? n - 1 : 0) / step;
	size_t s = base;

	while (shift-- > 0 && s < cap)
		s *= 2;
	return s > cap ? cap : s;
}

size_t
objstore_part_size(size_t base, unsigned n, unsigned max_parts, size_t cap,
    uint64_t total)
{
	return size_at(base, n, objstore_part_step(base, max_parts, cap,
	    total), cap);
}

/* The pool. */

enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_QUEUED, SLOT_BUSY };

struct slot {
	enum slot_state	 state;
	char		*data;
	size_t		 len;
	size_t		 cap;		/* this part's size */
	size_t		 alloc;
	unsigned	 n;
};

struct obj_pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 nworkers;
	pthread_t	*threads;
	int		 started;	/* threads running */
	int		 stop;
	int		 failed;
	struct bk_err	 err;
	struct slot	*slots;
	int		 nslots;
	struct slot	*cur;		/* FILLING */
	unsigned	 parts;		/* parts handed out */
	size_t		 base;
	unsigned	 max_parts;
	size_t		 cap;
	unsigned	 step;		/* parts per size */
	obj_start_fn	*start;
	obj_part_fn	*part;
	void		*ctx;
};

struct worker_arg {
	struct obj_pool	*p;
	int		 id;
};

static void
slot_prepare(struct obj_pool *p, struct slot *s, unsigned n)
{
	s->state = SLOT_FILLING;
	s->len = 0;
	s->n = n;
	s->cap = size_at(p->base, n, p->step, p->cap);
	if (s->alloc < s->cap) {
		free(s->data);
		s->data = xmalloc(s->cap);
		s->alloc = s->cap;
	}
}

struct obj_pool *
objstore_pool_new(int workers, size_t base, unsigned max_parts, size_t cap,
    uint64_t total, obj_start_fn *start, obj_part_fn *part, void *ctx)
{
	struct obj_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->nworkers = workers < 1 ? 1 : workers;
	p->nslots = p->nworkers + 1;
	p->slots = xcalloc((size_t)p->nslots, sizeof(*p->slots));
	p->threads = xcalloc((size_t)p->nworkers, sizeof(*p->threads));
	p->base = base;
	p->max_parts = max_parts;
	p->cap = cap;
	p->step = objstore_part_step(base, max_parts, cap, total);
	p->start = start;
	p->part = part;
	p->ctx = ctx;
	p->cur = &p->slots[0];
	slot_prepare(p, p->cur, 1);
	return p;
}

static struct slot *
next_queued(struct obj_pool *p)
{
	struct slot *best = NULL;
	int i;

	for (i = 0; i < p->nslots; i++)
		if (p->slots[i].state == SLOT_QUEUED &&
		    (best == NULL || p->slots[i].n < best->n))
			best = &p->slots[i];
	return best;
}

static void *
worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct obj_pool *p = wa->p;
	struct bk_err err;
	struct slot *s;
	int attempt, rc;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && (s = next_queued(p)) == NULL)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		for (attempt = 0;; attempt++) {
			memset(&err, 0, sizeof(err));
			rc = p->part(p->ctx, wa->id, s->n, s->data, s->len,
			    &err);
			if (rc == 0 ||
			    __atomic_load_n(&p->failed, __ATOMIC_RELAXED) ||
			    !objstore_retry_wait(&err, attempt, OBJ_ATTEMPTS,
			    -1))
				break;
		}
		pthread_mutex_lock(&p->mu);
		if (rc == -1 && !p->failed) {
			p->failed = 1;
			p->err = err;
		}
		s->state = SLOT_FREE;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	free(wa);
	return NULL;
}

/* Hand the current slot to the workers and take a free one. */
static int
dispatch(struct obj_pool *p, struct bk_err *err)
{
	struct slot *s = NULL;
	int i;

	if (p->parts == 0) {
		if (p->start != NULL && p->start(p->ctx, err) == -1)
			return -1;
		for (i = 0; i < p->nworkers; i++) {
			struct worker_arg *wa = xmalloc(sizeof(*wa));

			wa->p = p;
			wa->id = i;
			if (pthread_create(&p->threads[i], NULL, worker_main,
			    wa) != 0) {
				free(wa);
				break;
			}
			p->started++;
		}
		if (p->started == 0)
			return bk_err_set(err, BK_EIO, "cannot start upload "
			    "threads");
	}
	pthread_mutex_lock(&p->mu);
	p->cur->state = SLOT_QUEUED;
	p->parts = p->cur->n;
	pthread_cond_broadcast(&p->cv);
	for (;;) {
		if (p->failed)
			break;
		for (i = 0; i < p->nslots && s == NULL; i++)
			if (p->slots[i].state == SLOT_FREE)
				s = &p->slots[i];
		if (s != NULL)
			break;
		pthread_cond_wait(&p->cv, &p->mu);
	}
	if (p->failed) {
		if (err != NULL)
			*err = p->err;
		pthread_mutex_unlock(&p->mu);
		p->cur = NULL;
		return -1;
	}
	pthread_mutex_unlock(&p->mu);
	p->cur = s;
	slot_prepare(p, s, p->parts + 1);
	return 0;
}

int
objstore_pool_write(struct obj_pool *p, const void *data, size_t len,
    struct bk_err *err)
{
	const char *d = data;

	while (len > 0) {
		size_t room, n;

		if (p->cur == NULL)
			return bk_err_set(err, BK_EFAIL, "upload already "
			    "failed");
		if (p->cur->len == p->cur->cap) {
			if (p->cur->n >= p->max_parts)
				return bk_err_set(err, BK_EFAIL, "backup too "
				    "large: more than %u parts", p->max_parts);
			if (dispatch(p, err) == -1)
				return -1;
		}
		room = p->cur->cap - p->cur->len;
		n = len < room ? len : room;
		memcpy(p->cur->data + p->cur->len, d, n);
		p->cur->len += n;
		d += n;
		len -= n;
	}
	return 0;
}

int
objstore_pool_finish(struct obj_pool *p, const char **data, size_t *len,
    struct bk_err *err)
{
	int i, busy, rc = 0;

	if (p->cur == NULL)
		return bk_err_set(err, BK_EFAIL, "upload already failed");
	if (p->parts == 0) {
		*data = p->cur->data != NULL ? p->cur->data : "";
		*len = p->cur->len;
		return 1;
	}
	if (p->cur->len > 0 && dispatch(p, err) == -1)
		return -1;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		busy = 0;
		for (i = 0; i < p->nslots; i++)
			if (p->slots[i].state == SLOT_QUEUED ||
			    p->slots[i].state == SLOT_BUSY)
				busy = 1;
		if (!busy)
			break;
		pthread_cond_wait(&p->cv, &p->mu);
	}
	if (p->failed) {
		if (err != NULL)
			*err = p->err;
		rc = -1;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

unsigned
objstore_pool_parts(const struct obj_pool *p)
{
	return p->parts;
}

void
objstore_pool_free(struct obj_pool *p)
{
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	p->failed = 1;		/* no new part starts */
	for (i = 0; i < p->nslots; i++)
		if (p->slots[i].state == SLOT_QUEUED)
			p->slots[i].state = SLOT_FREE;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->started; i++)
		pthread_join(p->threads[i], NULL);
	for (i = 0; i < p->nslots; i++)
		free(p->slots[i].data);
	free(p->slots);
	free(p->threads);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
