/*
 * notify_http.c - the HTTP plumbing every HTTP service shares: one
 * request with timeout and retries, JSON bodies, answer checks.
 *
 * Every request goes through nhttp_do() on the target's easy handle,
 * which http_easy() set up (HTTP_CONNECT_TO, HTTP_CA_FILE), so tests
 * reach the real host names of the services.  Redirects are not
 * followed.  Retries: 5xx, 429, timeouts and refused connections, up to
 * ctx->attempts, waiting Retry-After (if at most max_wait_s) or 1, 2, 4 s.
 * A 4xx is final.  One thread per target; nothing here is shared.
 *
 * Invariant: what goes on the wire as a request line or header comes
 * from URLs users wrote, so nhttp_do() refuses a method that is not an
 * RFC 9110 token and a header line with a bad name or a control in its
 * value, whatever service built it: a CR LF in either would let a URL
 * write its own request (or speak another protocol, such as Redis's, to
 * whatever listens there).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "http.h"
#include "notify_int.h"
#include "xmalloc.h"

#define RESP_MAX	(256 * 1024)

struct hdrs {
	long	retry_after;
};

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;

	/* Keep what fits; an over-long answer is not an error. */
	(void)buf_append(b, p, sz * n);
	return sz * n;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct hdrs *h = arg;
	size_t len = sz * n;
	char v[128];

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		snprintf(v, sizeof(v), "%.*s", (int)(len - 12), p + 12);
		h->retry_after = http_retry_after(v);
	}
	return len;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

static void
setup(struct nctx *ctx, const struct nreq *rq, struct nresp *resp,
    struct hdrs *h)
{
	CURL *c = ctx->h;

	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, rq->headers);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ctx->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    ctx->timeout_ms < 10000 ? ctx->timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "panel-backup/1");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rq->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rq->len);
	} else if (strcmp(rq->method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)0);
	}
	if (rq->user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, rq->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		    rq->pass != NULL ? rq->pass : "");
	} else {
		curl_easy_setopt(c, CURLOPT_USERNAME, NULL);
		curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_NONE);
	}
}

bool
nhttp_token(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return false;
	return true;
}

bool
nhttp_value(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

/* The method and every "Name: value" line are what RFC 9110 allows. */
static int
check_request(const struct nreq *rq, struct bk_err *err)
{
	const struct curl_slist *l;
	const char *colon;
	char name[128];

	if (!nhttp_token(rq->method))
		return bk_err_set(err, BK_ECONFIG, "the HTTP method is not a "
		    "token (letters, digits, !#$%%&'*+-.^_`|~): refused");
	for (l = rq->headers; l != NULL; l = l->next) {
		colon = strchr(l->data, ':');
		if (colon == NULL)
			colon = l->data + strcspn(l->data, ";");
		snprintf(name, sizeof(name), "%.*s", (int)(colon -
		    l->data), l->data);
		if (!nhttp_token(name))
			return bk_err_set(err, BK_ECONFIG, "a header name is not "
			    "a token (letters, digits, !#$%%&'*+-.^_`|~): "
			    "refused");
		if (!nhttp_value(colon))
			return bk_err_set(err, BK_ECONFIG, "header %s: the value "
			    "holds a control character (CR, LF, NUL...): "
			    "refused", name);
	}
	return 0;
}

int
nhttp_do(struct nctx *ctx, const struct nreq *rq, struct nresp *resp,
    struct bk_err *err)
{
	struct hdrs h;
	CURLcode rc;
	long wait;
	int attempt;

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, RESP_MAX);
	if (check_request(rq, err) == -1)
		return -1;
	for (attempt = 1;; attempt++) {
		buf_reset(&resp->body);
		json_decref(resp->json);
		resp->json = NULL;
		resp->status = 0;
		h.retry_after = -1;
		setup(ctx, rq, resp, &h);
		ctx->requests++;
		rc = curl_easy_perform(ctx->h);
		wait = 1000L << (attempt - 1 < 5 ? attempt - 1 : 5);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(ctx->h, CURLINFO_RESPONSE_CODE,
			    &resp->status);
			if (resp->status != 429 && resp->status < 500)
				break;
			if (h.retry_after >= 0) {
				if (h.retry_after > ctx->max_wait_s)
					break;
				wait = h.retry_after * 1000L;
			}
		} else if ((rc != CURLE_OPERATION_TIMEDOUT &&
		    rc != CURLE_COULDNT_CONNECT) || http_refused(rc))
			return http_curl_err(err, rc, rq->method);
		if (attempt >= ctx->attempts) {
			if (rc != CURLE_OK)
				return http_curl_err(err, rc, rq->method);
			break;
		}
		pause_ms(wait);
	}
	resp->json = json_loadb(resp->body.data, resp->body.len, 0, NULL);
	return 0;
}

int
nhttp_json(struct nctx *ctx, const char *method, const char *url,
    json_t *doc, struct curl_slist *extra, struct nresp *resp,
    struct bk_err *err)
{
	struct curl_slist *hd = NULL, *e;
	struct nreq rq = { 0 };
	char *body;
	int rc;

	body = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	hd = nhdr(hd, "Content-Type", "application/json");
	for (e = extra; e != NULL; e = e->next)
		hd = curl_slist_append(hd, e->data);
	rq.method = method;
	rq.url = url;
	rq.headers = hd;
	rq.body = body;
	rq.len = strlen(body);
	rc = nhttp_do(ctx, &rq, resp, err);
	curl_slist_free_all(hd);
	free(body);
	return rc;
}

void
nresp_free(struct nresp *r)
{
	buf_free(&r->body);
	json_decref(r->json);
	r->json = NULL;
}

int
nresp_fail(struct bk_err *err, const char *svc, const struct nresp *r)
{
	const char *b = r->body.data != NULL ? r->body.data : "";
	int len = (int)strcspn(b, "\r\n");

	if (len > 200)
		len = 200;
	return bk_err_set(err, r->status >= 500 || r->status == 429 ?
	    BK_EUNREACH : BK_EPROTO, "%s: HTTP %ld%s%.*s", svc, r->status,
	    len > 0 ? ": " : "", len, b);
}

bool
nresp_json_ok(const struct nresp *r)
{
	return r->status < 400 && r->json != NULL;
}

struct curl_slist *
nhdr(struct curl_slist *l, const char *name, const char *value)
{
	char *line;

	xasprintf(&line, "%s: %s", name, value);
	l = curl_slist_append(l, line);
	free(line);
	return l;
}

void
njson_opt(json_t *o, const char *key, const char *s)
{
	if (s != NULL && *s != '\0')
		json_object_set_new(o, key, json_string(s));
}

size_t
utf8_runes(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

size_t
utf8_prefix(const char *s, size_t n)
{
	size_t i = 0, r = 0;

	while (s[i] != '\0') {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (r == n)
				break;
			r++;
		}
		i++;
	}
	return i;
}
