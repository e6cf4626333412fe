/*
 * dropbox_api.c - Dropbox API v2 calls: tokens, retries, error unions.
 *
 * Tokens: the refresh token is exchanged at oauth2/token for an access
 * token that lives expires_in seconds (4 h at Dropbox); we refresh a
 * margin before that, and at once when a call answers 401 (Dropbox may
 * end a token early), then repeat the call.  Every access token is
 * registered with secret.h before anyone can print it.
 *
 * Retries: 429 waits Retry-After (header or body), 5xx and dropped
 * connections back off exponentially; request bodies stay in the
 * caller's memory, so a retry re-sends them.  A download resumes with a
 * Range header from the bytes already handed to the sink.
 *
 * Dropbox-API-Arg is JSON with every non-ASCII character escaped
 * (JSON_ENSURE_ASCII): HTTP headers carry no UTF-8.
 *
 * Threads: the token is guarded by dbx->lock (a refresh holds it, so
 * concurrent callers wait for one exchange); the rest is per call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dropbox_api.h"
#include "err.h"
#include "http.h"
#include "secret.h"
#include "storage_int.h"
#include "xmalloc.h"

#define API_URL		"https://api.dropboxapi.com"
#define CONTENT_URL	"https://content.dropboxapi.com"
#define MAX_RETRIES	8
#define MAX_WAIT_S	300
#define RESP_MAX	(4 * 1024 * 1024)

struct resp {
	struct dbx_req	*req;
	CURL		*h;
	struct buf	 body;		/* error or JSON result */
	struct buf	 api_result;	/* Dropbox-API-Result header */
	long		 retry_after;	/* seconds, -1 none */
	struct bk_err	*sink_err;
	bool		 sink_failed;
	struct range_clip clip;		/* this attempt's download */
	bool		 clip_set;
};

static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
sleep_ms(unsigned long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

int
dbx_init(struct dbx *d, const struct settings *admin, const char *key,
    const char *secret, const char *refresh)
{
	const char *v;

	memset(d, 0, sizeof(*d));
	settings_defaults(&d->admin, SET_ADMIN);
	if (admin != NULL) {
		if ((v = settings_get(admin, "HTTP_CONNECT_TO")) != NULL)
			settings_set(&d->admin, "HTTP_CONNECT_TO", v);
		if ((v = settings_get(admin, "HTTP_CA_FILE")) != NULL)
			settings_set(&d->admin, "HTTP_CA_FILE", v);
		if ((v = settings_get(admin, "OUTBOUND_ALLOW")) != NULL)
			settings_set(&d->admin, "OUTBOUND_ALLOW", v);
	}
	d->app_key = xstrdup(key);
	d->app_secret = secret != NULL && *secret != '\0' ? xstrdup(secret) :
	    NULL;
	d->refresh = xstrdup(refresh);
	secret_register(refresh);
	if (d->app_secret != NULL)
		secret_register(d->app_secret);
	d->backoff_ms = 500;
	pthread_mutex_init(&d->lock, NULL);
	return 0;
}

void
dbx_free(struct dbx *d)
{
	settings_free(&d->admin);
	free(d->app_key);
	xfree_secret(d->app_secret);
	xfree_secret(d->refresh);
	xfree_secret(d->token);
	pthread_mutex_destroy(&d->lock);
}

CURL *
dbx_handle(struct dbx *d, struct bk_err *err)
{
	return http_easy(&d->admin, NULL, err);
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	uint64_t given;
	long code = 0;

	n *= sz;
	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &code);
	if (r->req->sink != NULL && code / 100 == 2) {
		if (!r->clip_set) {
			/* The answer starts at range_off + received (206),
			 * or at 0 from a server that ignored the Range. */
			range_clip_init(&r->clip, r->req->range_off +
			    r->req->received, r->req->range_len > 0 ?
			    r->req->range_len - r->req->received :
			    STORAGE_TO_END, code != 206, r->req->sink,
			    r->req->sink_arg);
			r->clip_set = true;
		}
		/* Counted by the clip: left does not move without an end,
		 * and a resume from a count that stayed 0 would give the
		 * sink the first bytes again. */
		given = r->clip.given;
		if (range_clip_sink(p, n, &r->clip, r->sink_err) == -1) {
			r->sink_failed = true;
			return 0;
		}
		r->req->received += r->clip.given - given;
		return n;
	}
	return buf_append(&r->body, p, n) == -1 ? 0 : n;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = sz * n, k;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char v[64];

		k = len - 12 < sizeof(v) - 1 ? len - 12 : sizeof(v) - 1;
		memcpy(v, p + 12, k);
		v[k] = '\0';
		r->retry_after = http_retry_after(v);
	} else if (len > 19 && strncasecmp(p, "Dropbox-API-Result:", 19) == 0) {
		buf_reset(&r->api_result);
		(void)buf_append(&r->api_result, p + 19, len - 19);
	}
	return len;
}

/* Exchange the refresh token; called with d->lock held. */
static int
token_exchange(struct dbx *d, CURL *h, struct bk_err *err)
{
	struct dbx_req req = { .route = "oauth2/token" };
	struct resp r = { .req = &req, .h = h, .retry_after = -1 };
	struct curl_slist *hdrs = NULL;
	char *form = NULL, *e1, *e2, *e3 = NULL;
	json_t *j = NULL;
	const char *tok, *ecode;
	json_int_t ttl, margin;
	CURLcode rc;
	int ret = -1, attempt;

	e1 = curl_easy_escape(h, d->refresh, 0);
	e2 = curl_easy_escape(h, d->app_key, 0);
	if (d->app_secret != NULL)
		e3 = curl_easy_escape(h, d->app_secret, 0);
	xasprintf(&form, "grant_type=refresh_token&refresh_token=%s"
	    "&client_id=%s%s%s", e1, e2, e3 != NULL ? "&client_secret=" : "",
	    e3 != NULL ? e3 : "");
	curl_free(e1);
	curl_free(e2);
	curl_free(e3);
	hdrs = curl_slist_append(hdrs,
	    "Content-Type: application/x-www-form-urlencoded");
	buf_init(&r.body, RESP_MAX);
	buf_init(&r.api_result, 64 * 1024);
	for (attempt = 0;; attempt++) {
		buf_reset(&r.body);
		r.retry_after = -1;
		curl_easy_setopt(h, CURLOPT_URL, API_URL "/oauth2/token");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(form));
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
		curl_easy_setopt(h, CURLOPT_RANGE, NULL);
		rc = curl_easy_perform(h);
		req.status = 0;
		if (rc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE,
			    &req.status);
		if ((rc != CURLE_OK || req.status >= 500 ||
		    req.status == 429) && !http_refused(rc) &&
		    attempt < MAX_RETRIES / 2) {
			sleep_ms(r.retry_after >= 0 ? (unsigned long)
			    (r.retry_after > MAX_WAIT_S ? MAX_WAIT_S :
			    r.retry_after) * 1000 : d->backoff_ms << attempt);
			continue;
		}
		break;
	}
	if (rc != CURLE_OK) {
		http_curl_err(err, rc, "dropbox: api.dropboxapi.com: "
		    "oauth2/token");
		goto out;
	}
	j = json_loadb(r.body.data, r.body.len, 0, NULL);
	if (req.status != 200) {
		ecode = json_string_value(json_object_get(j, "error"));
		if (ecode == NULL)
			ecode = "";
		if (strncmp(ecode, "invalid_grant", 13) == 0)
			bk_err_set(err, BK_EAUTH, "DROPBOX_REFRESH_TOKEN: "
			    "refused by Dropbox (revoked, expired or wrong "
			    "refresh token)");
		else if (strncmp(ecode, "invalid_client", 14) == 0 ||
		    strncmp(ecode, "unauthorized_client", 19) == 0 ||
		    req.status == 401)
			bk_err_set(err, BK_EAUTH, "DROPBOX_APP_KEY, "
			    "DROPBOX_APP_SECRET: refused by Dropbox (wrong "
			    "app key or app secret)");
		else
			bk_err_set(err, req.status >= 500 ? BK_EUNREACH :
			    BK_EPROTO, "dropbox: oauth2/token: HTTP %ld%s%s",
			    req.status, *ecode ? ": " : "", ecode);
		goto out;
	}
	tok = json_string_value(json_object_get(j, "access_token"));
	ttl = json_integer_value(json_object_get(j, "expires_in"));
	if (tok == NULL || *tok == '\0') {
		bk_err_set(err, BK_EPROTO, "dropbox: oauth2/token: no "
		    "access_token in the answer");
		goto out;
	}
	secret_register(tok);
	xfree_secret(d->token);
	d->token = xstrdup(tok);
	if (ttl <= 0)
		ttl = 4 * 3600;
	/* Refresh with a tenth of the life left: 1 s to 5 min early. */
	margin = ttl / 10 < 1 ? 1 : ttl / 10 > 300 ? 300 : ttl / 10;
	d->token_until = mono_now() + (time_t)(ttl - margin);
	ret = 0;
out:
	json_decref(j);
	curl_slist_free_all(hdrs);
	buf_free(&r.body);
	buf_free(&r.api_result);
	xfree_secret(form);
	return ret;
}

/* The current token (copied), exchanging a new one if it ran out. */
static char *
token_get(struct dbx *d, CURL *h, struct bk_err *err)
{
	char *t = NULL;

	pthread_mutex_lock(&d->lock);
	if ((d->token == NULL || mono_now() >= d->token_until) &&
	    token_exchange(d, h, err) == -1)
		goto out;
	t = xstrdup(d->token);
out:
	pthread_mutex_unlock(&d->lock);
	return t;
}

/* A call was refused with tok: make the next token_get() exchange. */
static void
token_drop(struct dbx *d, const char *tok)
{
	pthread_mutex_lock(&d->lock);
	if (d->token != NULL && strcmp(d->token, tok) == 0)
		d->token_until = 0;
	pthread_mutex_unlock(&d->lock);
}

int
dbx_auth(struct dbx *d, CURL *h, struct bk_err *err)
{
	char *t = token_get(d, h, err);

	if (t == NULL)
		return -1;
	xfree_secret(t);
	return 0;
}

const char *
dbx_tags(const json_t *v, char *out, size_t size)
{
	const char *tag;
	size_t len = 0;
	int depth;

	out[0] = '\0';
	for (depth = 0; v != NULL && depth < 8; depth++) {
		if (json_is_string(v))
			tag = json_string_value(v);
		else if ((tag = json_string_value(json_object_get(v,
		    ".tag"))) == NULL)
			break;
		len += (size_t)snprintf(out + len, len < size ? size - len : 0,
		    "%s%s", depth > 0 ? "/" : "", tag);
		if (len >= size)
			break;
		v = json_is_object(v) ? json_object_get(v, tag) : NULL;
	}
	return out;
}

bool
dbx_is(const json_t *v, const char *prefix)
{
	char chain[256];
	size_t n = strlen(prefix);

	dbx_tags(v, chain, sizeof(chain));
	return strncmp(chain, prefix, n) == 0 &&
	    (chain[n] == '\0' || chain[n] == '/');
}

void
dbx_req_done(struct dbx_req *req)
{
	json_decref(req->result);
	json_decref(req->error);
	req->result = req->error = NULL;
}

static struct curl_slist *
headers_for(struct dbx_req *req, const char *tok, const char *argtxt)
{
	struct curl_slist *l = NULL;
	char *line, range[64];

	xasprintf(&line, "Authorization: Bearer %s", tok);
	l = curl_slist_append(l, line);
	xfree_secret(line);
	l = curl_slist_append(l, "Expect:");
	if (req->rpc) {
		l = curl_slist_append(l, "Content-Type: application/json");
		return l;
	}
	xasprintf(&line, "Dropbox-API-Arg: %s", argtxt);
	l = curl_slist_append(l, line);
	free(line);
	if (req->sink == NULL)
		l = curl_slist_append(l,
		    "Content-Type: application/octet-stream");
	/* A ranged or resumed download: the header itself, as curl drops
	 * CURLOPT_RANGE on a POST (and downloads are POSTs). */
	range_header(range, sizeof(range), req->range_off + req->received,
	    req->range_len > 0 ? req->range_len - req->received :
	    STORAGE_TO_END);
	if (req->sink != NULL && *range != '\0') {
		xasprintf(&line, "Range: %s", range);
		l = curl_slist_append(l, line);
		free(line);
	}
	return l;
}

/* Retry-After from a 429's JSON body ({"error":…,"retry_after":N}). */
static long
body_retry_after(const struct buf *b)
{
	json_t *j = json_loadb(b->data, b->len, 0, NULL);
	long s = -1;

	if (json_is_integer(json_object_get(j, "retry_after")))
		s = (long)json_integer_value(json_object_get(j,
		    "retry_after"));
	json_decref(j);
	return s;
}

/* Map a final non-2xx answer into err (and req->error for 409). */
static int
answer_err(struct dbx_req *req, struct resp *r, struct bk_err *err)
{
	json_t *j;
	const char *sum;

	if (req->status == 409) {
		j = json_loadb(r->body.data, r->body.len, 0, NULL);
		req->error = json_incref(json_object_get(j, "error"));
		sum = json_string_value(json_object_get(j, "error_summary"));
		bk_err_set(err, BK_EFAIL, "dropbox: %s: %s", req->route,
		    sum != NULL ? sum : "error");
		json_decref(j);
		return -1;
	}
	if (req->status == 400) {
		/* Plain text naming the bad input; one line of it. */
		r->body.data[strcspn(r->body.data, "\r\n")] = '\0';
		if (r->body.len > 200)
			r->body.data[200] = '\0';
		return bk_err_set(err, BK_EPROTO, "dropbox: %s: bad request: "
		    "%s", req->route, r->body.data);
	}
	if (req->status == 401 || req->status == 403)
		return bk_err_set(err, BK_EAUTH, "dropbox: %s: access refused "
		    "(HTTP %ld): check DROPBOX_APP_KEY and the app's "
		    "permissions", req->route, req->status);
	if (req->status == 429 || req->status >= 500) {
		bk_err_set(err, BK_EUNREACH, "dropbox: %s: HTTP %ld after %d "
		    "attempts", req->route, req->status, req->retries + 1);
		err->retryable = true;
		return -1;
	}
	return bk_err_set(err, BK_EPROTO, "dropbox: %s: unexpected HTTP %ld",
	    req->route, req->status);
}

static void
set_request(CURL *h, struct dbx_req *req, struct resp *r,
    struct curl_slist *hdrs, const char *rpcbody)
{
	char url[256];

	snprintf(url, sizeof(url), "%s/2/%s", req->host == DBX_API ?
	    API_URL : CONTENT_URL, req->route);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (req->rpc) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rpcbody);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(rpcbody));
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body != NULL ?
		    (const char *)req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(req->body != NULL ? req->len : 0));
	}
	curl_easy_setopt(h, CURLOPT_RANGE, NULL);	/* headers_for()'s */
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
}

int
dbx_call(struct dbx *d, CURL *h, struct dbx_req *req, struct bk_err *err)
{
	struct resp r = { .req = req, .h = h, .sink_err = err };
	struct curl_slist *hdrs = NULL;
	char *argtxt, *tok = NULL, what[128];
	unsigned long wait_ms;
	bool refreshed = false;
	CURLcode rc;
	int ret = -1;

	req->result = req->error = NULL;
	req->retries = 0;
	argtxt = json_dumps(req->arg != NULL ? req->arg : json_null(),
	    JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	buf_init(&r.body, RESP_MAX);
	buf_init(&r.api_result, 1024 * 1024);
	snprintf(what, sizeof(what), "dropbox: %s: %s", req->host == DBX_API ?
	    "api.dropboxapi.com" : "content.dropboxapi.com", req->route);
	for (;;) {
		xfree_secret(tok);
		curl_slist_free_all(hdrs);
		hdrs = NULL;
		if ((tok = token_get(d, h, err)) == NULL)
			goto out;
		hdrs = headers_for(req, tok, argtxt);
		buf_reset(&r.body);
		r.retry_after = -1;
		r.clip_set = false;
		set_request(h, req, &r, hdrs, argtxt);
		rc = curl_easy_perform(h);
		req->status = 0;
		if (r.sink_failed)
			goto out;	/* err set by the sink */
		if (rc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE,
			    &req->status);
		if (rc == CURLE_OK && req->status / 100 == 2)
			break;
		if (rc == CURLE_OK && req->status == 401 && !refreshed) {
			/* expired_access_token (or revoked early): once. */
			token_drop(d, tok);
			refreshed = true;
			continue;
		}
		if (rc != CURLE_OK || req->status == 429 ||
		    req->status >= 500) {
			if (rc == CURLE_OK && req->status == 429 &&
			    r.retry_after < 0)
				r.retry_after = body_retry_after(&r.body);
			if (req->retries >= MAX_RETRIES || http_refused(rc)) {
				if (rc != CURLE_OK)
					http_curl_err(err, rc, what);
				else
					answer_err(req, &r, err);
				goto out;
			}
			if (r.retry_after >= 0)
				wait_ms = (unsigned long)(r.retry_after >
				    MAX_WAIT_S ? MAX_WAIT_S : r.retry_after) *
				    1000;
			else
				wait_ms = (unsigned long)d->backoff_ms <<
				    (req->retries < 6 ? req->retries : 6);
			req->retries++;
			sleep_ms(wait_ms);
			continue;
		}
		answer_err(req, &r, err);
		goto out;
	}
	if (req->sink != NULL) {
		if (r.api_result.len > 0)
			req->result = json_loadb(r.api_result.data,
			    r.api_result.len, 0, NULL);
	} else if (r.body.len > 0)
		req->result = json_loadb(r.body.data, r.body.len, 0, NULL);
	ret = 0;
out:
	xfree_secret(tok);
	curl_slist_free_all(hdrs);
	free(argtxt);
	buf_free(&r.body);
	buf_free(&r.api_result);
	return ret;
}
