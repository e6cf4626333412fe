/*
 * storage_s3.c - Amazon S3 and S3-compatible destinations (AWS_*).
 *
 * Every request is signed here with SigV4 (sigv4.c) over libcurl, with
 * keys from s3_creds.c (static keys or an instance profile).  Uploads are
 * s3_upload.c's; this file holds the settings, the request layer, listing,
 * download, delete and cleanup().
 *
 * Invariants: custom endpoints are addressed path-style (/bucket/key),
 * AWS itself virtual-host style unless the bucket name has a dot.  A
 * download that breaks off resumes with a Range from the byte it reached.
 * cleanup() aborts the multipart uploads a dead run left in the folder.
 *
 * Threads: the caller's thread plus the pool's workers during an upload
 * (s3_call is reentrant given one easy handle per thread); the
 * instance-profile credentials are the only shared mutable state and sit
 * under their own mutex (s3_creds.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "listing.h"
#include "path.h"
#include "s3_int.h"
#include "settings.h"
#include "sigv4.h"
#include "userfile.h"
#include "xmalloc.h"
#include "xmlread.h"

/* Region of an endpoint like s3.eu-west-1.amazonaws.com or
 * s3.fr-par.scw.cloud; us-east-1 when it names none. */
static char *
region_of(const char *host)
{
	const char *p = NULL, *dot;
	int dots = 0;

	if (strncmp(host, "s3.", 3) == 0 || strncmp(host, "s3-", 3) == 0)
		p = host + 3;
	for (const char *q = host; *q != '\0'; q++)
		dots += *q == '.';
	if (p == NULL || dots < 3 || (dot = strchr(p, '.')) == NULL ||
	    strncmp(p, "amazonaws.", 10) == 0 ||
	    strncmp(p, "dualstack.", 10) == 0)
		return xstrdup("us-east-1");
	return xstrndup(p, (size_t)(dot - p));
}

/* The CA file is the user's: read as the user (privsep/userfile.c). */
static int
read_ca(struct s3 *s, const struct storage_config *cfg, const char *v,
    struct bk_err *err)
{
	char *path = NULL;
	struct buf b;
	int rc;

	if (strstr(v, "-----BEGIN") != NULL) {
		s->ca_pem = xstrdup(v);
		return 0;
	}
	if (path_resolve_in(cfg->files_root, v, &path, err) == -1) {
		bk_err_prefix(err, "AWS_ENDPOINT_CA_CERT");
		return -1;
	}
	buf_init(&b, USERFILE_MAX);
	rc = userfile_read_for(cfg->admin, cfg->user_name,
	    "AWS_ENDPOINT_CA_CERT", path, USERFILE_MAX, &b, err);
	free(path);
	if (rc == -1) {
		buf_free(&b);
		if (err->code == BK_ENOENT)
			err->code = BK_ECONFIG;
		return -1;
	}
	s->ca_pem = buf_take(&b);
	if (strstr(s->ca_pem, "-----BEGIN CERTIFICATE") == NULL)
		return bk_err_set(err, BK_ECONFIG, "AWS_ENDPOINT_CA_CERT: %s: "
		    "not a PEM certificate", v);
	return 0;
}

/* AWS_ENDPOINT and its TLS settings -> host, scheme, region, style. */
static int
s3_endpoint(struct s3 *s, const struct storage_config *cfg,
    struct bk_err *err)
{
	const struct settings *u = cfg->user;
	const char *v, *proto;
	char *hostonly, *c;

	/* The user's own, else the admin's (the default for users). */
	v = settings_is_set(u, "AWS_ENDPOINT") || cfg->admin == NULL ?
	    settings_get(u, "AWS_ENDPOINT") : settings_get(cfg->admin,
	    "AWS_ENDPOINT");
	if (v == NULL || *v == '\0')
		v = "s3.amazonaws.com";
	/* Not echoed: what precedes an '@' is likely a key or password. */
	if (strchr(v, '@') != NULL)
		return bk_err_set(err, BK_ECONFIG, "AWS_ENDPOINT: holds a user "
		    "name or password ('@'): give host[:port] only; the keys "
		    "are AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
	if (strstr(v, "://") != NULL || strchr(v, '/') != NULL)
		return bk_err_set(err, BK_ECONFIG, "AWS_ENDPOINT: \"%s\": give "
		    "host[:port] without a scheme or path (the scheme is "
		    "AWS_ENDPOINT_PROTO)", v);
	s->host = xstrdup(v);
	proto = settings_get(u, "AWS_ENDPOINT_PROTO");
	s->scheme = xstrdup(proto != NULL && strcmp(proto, "http") == 0 ?
	    "http" : "https");
	s->tls.insecure = settings_bool(u, "AWS_ENDPOINT_INSECURE");
	if (s->tls.insecure && strcmp(s->scheme, "https") != 0)
		return bk_err_set(err, BK_ECONFIG, "AWS_ENDPOINT_INSECURE: "
		    "only applies with AWS_ENDPOINT_PROTO=https");
	v = settings_get(u, "AWS_ENDPOINT_CA_CERT");
	if (v != NULL && *v != '\0' && !s->tls.insecure &&
	    read_ca(s, cfg, v, err) == -1)
		return -1;
	s->tls.ca_pem = s->ca_pem;
	hostonly = xstrdup(s->host);
	if ((c = strrchr(hostonly, ':')) != NULL &&
	    strchr(hostonly, ']') == NULL)
		*c = '\0';
	s->region = region_of(hostonly);
	/* AWS itself: virtual-host style; others: path style. */
	if (strstr(hostonly, "amazonaws.com") != NULL &&
	    strchr(s->bucket, '.') == NULL) {
		xasprintf(&s->req_host, "%s.%s", s->bucket, s->host);
		s->path_base = xstrdup("");
	} else {
		s->req_host = xstrdup(s->host);
		xasprintf(&s->path_base, "/%s", s->bucket);
	}
	free(hostonly);
	return 0;
}

static int
s3_open_settings(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	struct s3 *s = st->priv;
	const struct settings *u = cfg->user;
	const char *v;

	s3_creds_init(&s->creds, cfg->admin);
	s->admin = cfg->admin;
	v = settings_get(u, "AWS_S3_BUCKET_NAME");
	if (v == NULL || *v == '\0')
		return bk_err_set(err, BK_ECONFIG, "AWS_S3_BUCKET_NAME: not set");
	s->bucket = xstrdup(v);
	s->prefix = objstore_prefix(settings_get(u, "AWS_S3_PATH"));
	if (s3_endpoint(s, cfg, err) == -1)
		return -1;
	v = settings_get(u, "AWS_STORAGE_CLASS");
	if (v != NULL && *v != '\0')
		s->storage_class = xstrdup(v);
	s->part_size = (size_t)settings_int(u, "AWS_PART_SIZE") << 20;
	if (s->part_size < ((size_t)5 << 20))
		s->part_size = (size_t)16 << 20;
	if (getenv("PB_TEST_S3_PART_BYTES") != NULL)	/* tests only */
		s->part_size = (size_t)atol(getenv("PB_TEST_S3_PART_BYTES"));
	if (s3_creds_load(&s->creds, u, err) == -1)
		return -1;
	if ((s->h = http_easy(s->admin, &s->tls, err)) == NULL)
		return -1;
	storage_set_location(st, "s3://%s/%s", s->bucket, s->prefix);
	return 0;
}

static void
s3_close(struct storage *st)
{
	struct s3 *s = st->priv;

	http_easy_free(s->h);
	free(s->bucket);
	free(s->prefix);
	free(s->scheme);
	free(s->host);
	free(s->req_host);
	free(s->path_base);
	free(s->region);
	free(s->storage_class);
	free(s->ca_pem);
	s3_creds_cleanup(&s->creds);
}

int
s3_fail(struct s3 *s, const struct obj_resp *r, const char *what,
    struct bk_err *err)
{
	char code[128], msg[512];

	xr_error_fields(r->body.data, r->body.len, code, sizeof(code), msg,
	    sizeof(msg));
	if (strcmp(code, "InvalidAccessKeyId") == 0)
		bk_err_set(err, BK_EAUTH, "AWS_ACCESS_KEY_ID: %s refused the "
		    "access key (%s)", s->host, code);
	else if (strcmp(code, "SignatureDoesNotMatch") == 0)
		bk_err_set(err, BK_EAUTH, "AWS_SECRET_ACCESS_KEY: %s refused "
		    "the request signature (%s): wrong secret key?", s->host,
		    code);
	else if (strcmp(code, "NoSuchBucket") == 0)
		bk_err_set(err, BK_ECONFIG, "AWS_S3_BUCKET_NAME: bucket \"%s\" "
		    "does not exist on %s", s->bucket, s->host);
	else if (strcmp(code, "NoSuchKey") == 0 || (r->status == 404 &&
	    *code == '\0'))
		bk_err_set(err, BK_ENOENT, "%s: no such object", what);
	else if (r->status == 413 || strcmp(code, "EntityTooLarge") == 0)
		/* A proxy or server with a body limit below the part
		 * size: only a smaller part helps, retrying does not. */
		bk_err_set(err, BK_ECONFIG, "AWS_PART_SIZE: %s: %s refused a "
		    "%zu-byte part as too large (%s): lower AWS_PART_SIZE "
		    "(in MB, 5 at least)", what, s->host, s->part_size,
		    *code ? code : "HTTP 413");
	else if (r->status == 403)
		bk_err_set(err, BK_EAUTH, "AWS_ACCESS_KEY_ID: %s: access denied "
		    "(%s%s%s)", what, *code ? code : "HTTP 403",
		    *msg ? ": " : "", msg);
	else
		bk_err_set(err, BK_EFAIL, "%s: HTTP %ld%s%s%s%s", what,
		    r->status, *code ? " " : "", code, *msg ? ": " : "", msg);
	if (err != NULL)
		err->retryable = http_status_transient(r->status);
	return -1;
}

/* The headers of one request, signed with SigV4 (curl sets Host). */
static struct curl_slist *
s3_sign(struct s3 *s, const struct s3_req *q, const char *path,
    const char *ak, const char *sk, const char *tok)
{
	struct sigv4_header hd[8];
	struct sigv4_cred cred = { ak, sk, s->region, "s3" };
	struct curl_slist *l = NULL;
	char hash[65], date[32], *auth, *line;
	struct tm tm;
	time_t now = time(NULL);
	size_t n = 0, i;

	if (q->body != NULL)
		sigv4_sha256_hex(q->body, q->len, hash);
	else
		memcpy(hash, SIGV4_EMPTY_SHA256, 65);
	strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
	hd[n++] = (struct sigv4_header){ "host", s->req_host };
	hd[n++] = (struct sigv4_header){ "x-amz-date", date };
	hd[n++] = (struct sigv4_header){ "x-amz-content-sha256", hash };
	if (tok != NULL)
		hd[n++] = (struct sigv4_header){ "x-amz-security-token", tok };
	if (q->range != NULL)
		hd[n++] = (struct sigv4_header){ "range", q->range };
	if (q->storage_class && s->storage_class != NULL)
		hd[n++] = (struct sigv4_header){ "x-amz-storage-class",
		    s->storage_class };
	{
		struct sigv4_req sr = { q->method, path, q->query, hd, n,
		    hash };

		auth = sigv4_authorization(&sr, &cred, date);
	}
	for (i = 1; i < n; i++) {
		xasprintf(&line, "%s: %s", hd[i].name, hd[i].value);
		l = curl_slist_append(l, line);
		free(line);
	}
	xasprintf(&line, "Authorization: %s", auth);
	l = curl_slist_append(l, line);
	xfree_secret(line);
	free(auth);
	return l;
}

static int
s3_once(struct s3 *s, CURL *h, const struct s3_req *q, struct obj_resp *r,
    const char *what, struct bk_err *err)
{
	struct curl_slist *l;
	char *ak, *sk, *tok, *url;
	struct obj_call c;
	struct buf path;
	int rc;

	if (s3_creds_get(&s->creds, &ak, &sk, &tok, err) == -1)
		return -1;
	buf_init(&path, 1 << 16);
	buf_puts(&path, s->path_base);
	if (q->key != NULL) {
		buf_puts(&path, "/");
		sigv4_uri_encode(&path, q->key, true);
	} else if (*s->path_base == '\0')
		buf_puts(&path, "/");
	l = s3_sign(s, q, path.data, ak, sk, tok);
	xasprintf(&url, "%s://%s%s%s%s", s->scheme, s->req_host, path.data,
	    *q->query ? "?" : "", q->query);
	c = (struct obj_call){ .method = q->method, .url = url, .headers = l,
	    .body = q->body, .len = q->len, .sink = q->sink,
	    .sink_arg = q->sink_arg, .range_off = q->range_off,
	    .range_len = q->range_len };
	rc = objstore_perform(h, &c, r, what, err);
	if (rc == -1 && err != NULL && (err->code == BK_EUNREACH ||
	    err->code == BK_ETIMEDOUT || http_refused(CURLE_COULDNT_CONNECT)))
		bk_err_prefix(err, "AWS_ENDPOINT");
	else if (rc == -1 && err != NULL && err->code == BK_ECONFIG)
		bk_err_prefix(err, "%s", s->ca_pem != NULL ?
		    "AWS_ENDPOINT_CA_CERT" : "AWS_ENDPOINT (TLS; see "
		    "AWS_ENDPOINT_CA_CERT)");
	else if (rc == 0 && r->status / 100 != 2)
		rc = s3_fail(s, r, what, err);
	curl_slist_free_all(l);
	free(url);
	buf_free(&path);
	free(ak);
	xfree_secret(sk);
	if (tok != NULL)
		xfree_secret(tok);
	return rc;
}

int
s3_call(struct s3 *s, CURL *h, const struct s3_req *q, struct obj_resp *r,
    struct bk_err *err)
{
	char what[600];
	int attempt, max = q->attempts > 0 ? q->attempts : OBJ_ATTEMPTS;

	snprintf(what, sizeof(what), "S3 %s %s%s/%s", q->method, s->host,
	    s->path_base, q->key != NULL ? q->key : "");
	for (attempt = 0;; attempt++) {
		if (s3_once(s, h, q, r, what, err) == 0)
			return 0;
		if (q->sink != NULL ||
		    !objstore_retry_wait(err, attempt, max, r->retry_after))
			return -1;
	}
}

char *
s3_object_key(struct s3 *s, const char *name)
{
	char *k;

	xasprintf(&k, "%s%s", s->prefix, name);
	return k;
}

/* Listing, delete, download. */

int
s3_send(void *ctx, storage_sink_fn *sink, void *sink_arg,
    struct obj_resp *r, struct bk_err *err)
{
	struct s3_send *c = ctx;
	struct s3_req q = *c->q;

	q.sink = sink;
	q.sink_arg = sink_arg;
	return s3_call(c->s, c->s->h, &q, r, err);
}

static int
s3_list(struct storage *st, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	struct s3 *s = st->priv;
	struct s3_req q = { .method = "GET" };
	struct s3_send c = { s, &q };
	const char *page = getenv("PB_TEST_LIST_PAGE");	/* tests only */
	struct listing pg = { .prefix = s->prefix,
	    .name_ok = storage_name_ok };
	char *token = NULL, where[300];
	struct obj_resp r;
	struct buf qs;
	int rc = 0;

	snprintf(where, sizeof(where), "S3 %s: listing", s->host);
	objstore_resp_init(&r);
	buf_init(&qs, 1 << 16);
	do {
		buf_reset(&qs);
		if (token != NULL) {
			buf_puts(&qs, "continuation-token=");
			sigv4_uri_encode(&qs, token, false);
			buf_puts(&qs, "&");
		}
		buf_puts(&qs, "delimiter=%2F&list-type=2");
		if (page != NULL)
			buf_printf(&qs, "&max-keys=%d", atoi(page));
		buf_puts(&qs, "&prefix=");
		sigv4_uri_encode(&qs, s->prefix, false);
		q.query = qs.data;
		if ((rc = objstore_xml(s3_send, &c, OBJ_ATTEMPTS,
		    "ListBucketResult", listing_s3_elem, listing_reset, &pg, &r,
		    where, err)) == -1)
			break;
		rc = listing_each(&pg, fn, arg);
		free(token);
		token = NULL;
		if (rc == 0 && pg.next != NULL && *pg.next != '\0' &&
		    pg.truncated)
			token = xstrdup(pg.next);
	} while (token != NULL);
	listing_reset(&pg);
	free(token);
	buf_free(&qs);
	objstore_resp_free(&r);
	return rc;
}

static int
s3_remove(struct storage *st, const char *name, struct bk_err *err)
{
	struct s3 *s = st->priv;
	char *key = s3_object_key(s, name);
	struct s3_req q = { .method = "HEAD", .key = key, .query = "" };
	struct obj_resp r;
	int rc;

	/* DELETE of a missing key succeeds on S3: look first. */
	objstore_resp_init(&r);
	rc = s3_call(s, s->h, &q, &r, err);
	if (rc == 0) {
		q.method = "DELETE";
		rc = s3_call(s, s->h, &q, &r, err);
	}
	objstore_resp_free(&r);
	free(key);
	return rc;
}

/*
 * Bytes [off, off + len) with a Range GET.  On a reset it goes on from
 * the byte it reached, with a Range again.  416 (off at or past the end)
 * is an empty range, not an error.
 */
static int
s3_download(struct storage *st, const char *name, uint64_t off,
    uint64_t len, storage_sink_fn *sink, void *arg, struct bk_err *err)
{
	struct s3 *s = st->priv;
	char *key = s3_object_key(s, name), range[64];
	struct s3_req q = { .method = "GET", .key = key, .query = "",
	    .sink = sink, .sink_arg = arg, .attempts = 1 };
	struct obj_resp r;
	uint64_t got = 0;
	int attempt, rc;

	objstore_resp_init(&r);
	for (attempt = 0;; attempt++) {
		range_header(range, sizeof(range), off + got,
		    len == STORAGE_TO_END ? len : len - got);
		q.range = *range != '\0' ? range : NULL;
		q.range_off = off + got;
		q.range_len = q.range != NULL ? (len == STORAGE_TO_END ?
		    len : len - got) : 0;
		rc = s3_call(s, s->h, &q, &r, err);
		got += r.given;
		if (rc == -1 && r.status == 416) {
			bk_err_clear(err);
			rc = 0;
			break;
		}
		if (rc == 0 || (err != NULL && err->code == BK_ECANCELED) ||
		    !objstore_retry_wait(err, attempt, OBJ_ATTEMPTS,
		    r.retry_after))
			break;
	}
	objstore_resp_free(&r);
	free(key);
	return rc;
}

static int
s3_stat(struct storage *st, const char *name, struct storage_obj *o,
    struct bk_err *err)
{
	struct s3 *s = st->priv;
	char *key = s3_object_key(s, name);
	struct s3_req q = { .method = "HEAD", .key = key, .query = "" };
	struct obj_resp r;
	int rc;

	objstore_resp_init(&r);
	if ((rc = s3_call(s, s->h, &q, &r, err)) == 0) {
		o->size = r.length;
		o->mtime = r.mtime;
	}
	objstore_resp_free(&r);
	free(key);
	return rc;
}

/* Abort multipart uploads a dead run left in the folder. */
static int
s3_cleanup(struct storage *st, struct bk_err *err)
{
	struct s3 *s = st->priv;
	struct s3_req q = { .method = "GET" };
	struct s3_send c = { s, &q };
	struct listing u = { .prefix = NULL };
	struct obj_resp r;
	size_t i, pl = strlen(s->prefix);
	char where[300];
	struct buf qs;
	int rc = 0;

	buf_init(&qs, 1 << 16);
	buf_puts(&qs, "prefix=");
	sigv4_uri_encode(&qs, s->prefix, false);
	buf_puts(&qs, "&uploads=");
	q.query = qs.data;
	snprintf(where, sizeof(where), "S3 %s: unfinished uploads", s->host);
	objstore_resp_init(&r);
	if (objstore_xml(s3_send, &c, 2, "ListMultipartUploadsResult",
	    listing_s3_uploads_elem, listing_reset, &u, &r, where,
	    err) == -1) {
		/* Servers without ListMultipartUploads: nothing to do; a
		 * bad answer only means nothing is cleaned this time. */
		rc = r.status == 501 || r.status == 405 ||
		    r.status / 100 == 2 ? 0 : -1;
		if (rc == 0)	/* the job reads any error left as a failure */
			bk_err_clear(err);
		goto out;
	}
	for (i = 0; i < u.n; i++)
		if (strncmp(u.v[i].name, s->prefix, pl) == 0 &&
		    strchr(u.v[i].name + pl, '/') == NULL)
			s3_abort_id(s, u.v[i].name, u.v[i].id);
out:
	listing_reset(&u);
	objstore_resp_free(&r);
	buf_free(&qs);
	return rc;
}

/* storage.c frees only priv when open fails: free what it points to. */
static int
s3_open(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	if (s3_open_settings(st, cfg, err) == 0)
		return 0;
	s3_close(st);
	return -1;
}

const struct storage_backend storage_backend_s3 = {
	.name = "s3",
	.enable_key = "AWS_S3_BUCKET_NAME",
	.priv_size = sizeof(struct s3),
	.upload_size = sizeof(struct s3_upload),
	.open = s3_open,
	.close = s3_close,
	.begin = s3_begin,
	.write = s3_write,
	.commit = s3_commit,
	.abort = s3_abort,
	.list = s3_list,
	.remove = s3_remove,
	.download = s3_download,
	.stat = s3_stat,
	.cleanup = s3_cleanup,
};
