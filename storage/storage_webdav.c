/*
 * storage_webdav.c - the WebDAV destination (WEBDAV_*), over libcurl.
 *
 * This file holds the settings, the requests every operation shares, the
 * collection, listing, download, delete and cleanup; the upload itself
 * (streaming PUT, spooled fallback, MOVE into place) is webdav_upload.c.
 *
 * Invariants:
 *  - An upload is a PUT to "NAME.partial" in the collection, then a MOVE
 *    (Overwrite: T) onto NAME: a final name only ever holds a whole
 *    backup.  list() hides ".partial" names; cleanup() deletes those not
 *    being written through this handle (one job per user at a time);
 *    the naming, sweep and backoff are partial.c's.
 *  - WEBDAV_PATH is created with MKCOL one level at a time.  Apache
 *    mod_dav and rclone disagree on several status codes (405 vs 201 for
 *    an existing collection, 409 vs 404 for a missing parent, 204 vs 201
 *    for an overwrite): every one of them is accepted here.
 *  - Requests other than the streaming PUT are retried with backoff on
 *    connection failures, timeouts, 5xx, 408 and 429.
 *  - Credentials go to libcurl only; messages name the URL without them.
 *
 * Threads: one struct storage per thread; curl_global_init() is main's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "listing.h"
#include "partial.h"
#include "secret.h"
#include "settings.h"
#include "webdav_int.h"
#include "xmalloc.h"
#include "xmlread.h"


size_t
webdav_to_buf(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b != NULL && buf_append(b, p, size * n) == -1)
		return 0;
	return size * n;
}

/* A handle with the shared set-up and our credentials. */
CURL *
webdav_easy(struct webdav *w, const char *url, struct bk_err *err)
{
	CURL *h;

	if ((h = http_easy(w->admin, &w->tls, err)) == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERNAME, w->user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, w->pass);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, w->auth);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	return h;
}

/*
 * Stick to the method the server offered (Basic preferred, as curl's
 * own choice would be) once a request met a challenge: a body we stream
 * cannot be sent twice, so later uploads must not negotiate again.
 */
static void
learn_auth(struct webdav *w, CURL *h)
{
	long avail = 0;

	curl_easy_getinfo(h, CURLINFO_HTTPAUTH_AVAIL, &avail);
	if (avail & CURLAUTH_BASIC)
		w->auth = CURLAUTH_BASIC;
	else if (avail & CURLAUTH_DIGEST)
		w->auth = CURLAUTH_DIGEST;
}

/* Turn an HTTP status into err, naming where and what. */
int
webdav_status_err(struct webdav *w, long status, const char *what,
    struct bk_err *err)
{
	switch (status) {
	case 401:
		bk_err_set(err, BK_EAUTH, "%s: %s: login refused (401): check "
		    "WEBDAV_USERNAME and WEBDAV_PASSWORD", w->where, what);
		break;
	case 403:
		bk_err_set(err, BK_EFAIL, "%s: %s: permission denied (403)",
		    w->where, what);
		break;
	case 404:
	case 409:
		return bk_err_set(err, BK_ENOENT, "%s: %s: not found (%ld)",
		    w->where, what, status);
	case 507:
		bk_err_set(err, BK_EFAIL, "%s: %s: the server is out of "
		    "space (507)", w->where, what);
		break;
	case 408:
	case 429:
		return bk_err_set(err, BK_EIO, "%s: %s: HTTP %ld", w->where,
		    what, status);
	default:
		if (status >= 500)
			return bk_err_set(err, BK_EIO, "%s: %s: server error "
			    "(HTTP %ld)", w->where, what, status);
		bk_err_set(err, BK_EPROTO, "%s: %s: unexpected HTTP status "
		    "%ld", w->where, what, status);
	}
	err->retryable = false;
	return -1;
}

int
webdav_curl_err(struct webdav *w, CURLcode rc, const char *what,
    struct bk_err *err)
{
	char desc[600];

	snprintf(desc, sizeof(desc), "%s: %s", w->where, what);
	return http_curl_err(err, rc, desc);
}

/*
 * One request without a streamed body, retried with backoff.  Returns
 * the HTTP status (the caller judges it), or -1 with err.
 */
/*
 * webdav_req with the answer's body going to wr(warg); start(warg, h),
 * when not NULL, runs before each attempt with that attempt's handle, so
 * the receiver can start afresh (and ask the handle for the status).
 */
static long
webdav_req_cb(struct webdav *w, const char *method, const char *url,
    struct curl_slist *hdrs, const char *body, curl_write_callback wr,
    void *warg, void (*start)(void *, CURL *), const char *what,
    struct bk_err *err)
{
	CURLcode rc;
	long status = -1;
	int i;
	CURL *h;

	for (i = 0; i < WEBDAV_ATTEMPTS; i++) {
		if (i > 0)
			partial_backoff(i);
		if ((h = webdav_easy(w, url, err)) == NULL)
			return -1;
		if (start != NULL)
			start(warg, h);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, wr);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, warg);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
		if (body != NULL)
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		if (strcmp(method, "HEAD") == 0)
			curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		rc = curl_easy_perform(h);
		if (rc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		learn_auth(w, h);
		http_easy_free(h);
		if (rc != CURLE_OK) {
			webdav_curl_err(w, rc, what, err);
			if (!err->retryable)
				return -1;
			continue;
		}
		if (http_status_transient(status))
			continue;
		return status;
	}
	if (status > 0)
		webdav_status_err(w, status, what, err);
	return -1;
}

static void
buf_start(void *arg, CURL *h)
{
	buf_reset(arg);
}

long
webdav_req(struct webdav *w, const char *method, const char *url,
    struct curl_slist *hdrs, const char *body, struct buf *resp,
    const char *what, struct bk_err *err)
{
	return webdav_req_cb(w, method, url, hdrs, body, webdav_to_buf, resp,
	    resp != NULL ? buf_start : NULL, what, err);
}

/* Make sure the collection exists: PROPFIND it, else MKCOL level by
 * level from the top (both servers answer 409 to a missing parent). */
int
webdav_ensure_coll(struct webdav *w, struct bk_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct buf url;
	long st;
	size_t i;
	int rc = -1;

	if (w->coll_ready)
		return 0;
	hdrs = curl_slist_append(hdrs, "Depth: 0");
	st = webdav_req(w, "PROPFIND", w->coll, hdrs, NULL, NULL,
	    "cannot look up the folder", err);
	curl_slist_free_all(hdrs);
	if (st == 207 || st == 200)
		return w->coll_ready = true, 0;
	if (st == -1)
		return -1;
	if (st != 404 && st != 409)
		return webdav_status_err(w, st, "cannot look up the folder", err);
	buf_init(&url, 64 * 1024);
	buf_puts(&url, w->base);
	for (i = 0; i < w->nsegs; i++) {
		buf_printf(&url, "/%s", w->segs[i]);
		buf_puts(&url, "/");
		st = webdav_req(w, "MKCOL", url.data, NULL, NULL, NULL,
		    "cannot create the folder (WEBDAV_PATH)", err);
		url.len--;		/* drop the "/" again */
		url.data[url.len] = '\0';
		if (st == -1)
			goto out;
		/* 201 created (rclone: also when it existed), 405 exists. */
		if (st != 201 && st != 405 && st != 200 && st != 204) {
			webdav_status_err(w, st, "cannot create the folder "
			    "(WEBDAV_PATH)", err);
			err->retryable = false;
			goto out;
		}
	}
	w->coll_ready = true;
	rc = 0;
out:
	buf_free(&url);
	return rc;
}

static int
split_path(struct webdav *w, const char *path)
{
	char *copy = xstrdup(path), *tok, *save = NULL, *e;
	CURL *h = curl_easy_init();

	if (h == NULL) {
		free(copy);
		return -1;
	}
	for (tok = strtok_r(copy, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			free(copy);
			curl_easy_cleanup(h);
			return -1;
		}
		e = curl_easy_escape(h, tok, 0);
		w->segs = xreallocarray(w->segs, w->nsegs + 1, sizeof(char *));
		w->segs[w->nsegs++] = xstrdup(e);
		curl_free(e);
	}
	free(copy);
	curl_easy_cleanup(h);
	return 0;
}

char *
webdav_object_url(struct webdav *w, const char *name)
{
	char *e, *url;
	CURL *h = curl_easy_init();

	e = h != NULL ? curl_easy_escape(h, name, 0) : NULL;
	xasprintf(&url, "%s%s", w->coll, e != NULL ? e : name);
	curl_free(e);
	curl_easy_cleanup(h);
	return url;
}

static int
webdav_open_settings(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	struct webdav *w = st->priv;
	const struct settings *u = cfg->user;
	const char *url, *path, *td;
	char red[2048];
	struct buf b;
	size_t i, n;

	w->admin = cfg->admin;
	w->chunked = -1;
	w->auth = CURLAUTH_BASIC | CURLAUTH_DIGEST;
	url = settings_get(u, "WEBDAV_URL");
	if (url == NULL || *url == '\0')
		return bk_err_set(err, BK_ECONFIG, "WEBDAV_URL: not set");
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return bk_err_set(err, BK_ECONFIG, "WEBDAV_URL: %s: must "
		    "start with http:// or https://", url);
	w->user = settings_get(u, "WEBDAV_USERNAME");
	w->pass = settings_get(u, "WEBDAV_PASSWORD");
	if (w->user == NULL || *w->user == '\0' || w->pass == NULL ||
	    *w->pass == '\0')
		return bk_err_set(err, BK_ECONFIG, "WEBDAV_USERNAME and "
		    "WEBDAV_PASSWORD: both are needed");
	w->tls.insecure = settings_bool(u, "WEBDAV_URL_INSECURE");
	w->base = xstrdup(url);
	n = strlen(w->base);
	while (n > 0 && w->base[n - 1] == '/')
		w->base[--n] = '\0';
	path = settings_get(u, "WEBDAV_PATH");
	if (split_path(w, path != NULL ? path : "/") == -1)
		return bk_err_set(err, BK_ECONFIG, "WEBDAV_PATH: %s: \"..\" "
		    "is not allowed", path);
	buf_init(&b, 64 * 1024);
	buf_puts(&b, w->base);
	for (i = 0; i < w->nsegs; i++)
		buf_printf(&b, "/%s", w->segs[i]);
	buf_puts(&b, "/");
	w->coll = buf_take(&b);
	secret_redact_url(w->coll, red, sizeof(red));
	w->where = xstrdup(red);
	td = cfg->admin != NULL ? settings_get(cfg->admin, "TEMP_DIR") : NULL;
	w->tempdir = xstrdup(td != NULL && *td != '\0' ? td :
	    "/var/tmp/panel-backup");
	storage_set_location(st, "%s", w->where);
	return 0;
}

static void
webdav_close(struct storage *st)
{
	struct webdav *w = st->priv;
	size_t i;

	for (i = 0; i < w->nsegs; i++)
		free(w->segs[i]);
	free(w->segs);
	free(w->base);
	free(w->coll);
	free(w->where);
	free(w->tempdir);
	free(w->active);
}

/* A PROPFIND answer streaming into the listing: one parser per
 * attempt; error bodies (non-2xx) are judged by their status alone. */
struct dav_feed {
	CURL		*h;
	struct xr	*x;
	struct listing	*l;
	struct bk_err	 err;
};

static void
dav_feed_start(void *arg, CURL *h)
{
	struct dav_feed *d = arg;

	listing_reset(d->l);
	xr_free(d->x);
	d->x = xr_new("multistatus", listing_webdav_elem, d->l);
	d->h = h;
}

static size_t
dav_feed_write(char *p, size_t sz, size_t nm, void *arg)
{
	struct dav_feed *d = arg;
	long status = 0;

	curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &status);
	if (status / 100 != 2)
		return sz * nm;
	return xr_feed(d->x, p, sz * nm, &d->err) == 0 ? sz * nm : 0;
}

/*
 * PROPFIND Depth: 1 on the collection.  No body: allprop, which both
 * servers answer with getcontentlength and getlastmodified.  rclone 1.60
 * sometimes breaks off a listing of a folder where a file is being
 * written, appending "Internal Server Error" after a document that lacks
 * the remaining entries: such an answer is not used but asked again.
 */
static int
walk(struct webdav *w, bool partials, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct listing l = { .partials = partials };
	struct dav_feed d = { .l = &l };
	bool done = false;
	long st;
	int rc = -1, i;

	hdrs = curl_slist_append(hdrs, "Depth: 1");
	for (i = 0; i < 2 * WEBDAV_ATTEMPTS && !done; i++) {
		if (i > 0)
			partial_backoff(i < 3 ? i : 3);
		st = webdav_req_cb(w, "PROPFIND", w->coll, hdrs, NULL,
		    dav_feed_write, &d, dav_feed_start, "cannot list", err);
		if (st == 404 || st == 409) {
			rc = 0;		/* no folder yet: nothing in it */
			goto out;
		}
		if (st == -1 && d.x != NULL && xr_failed(d.x)) {
			if (err != NULL)
				*err = d.err;
		} else if (st == -1)
			goto out;
		else if (st != 207) {
			webdav_status_err(w, st, "cannot list", err);
			goto out;
		} else if (xr_finish(d.x, err) == 0)
			done = true;
		if (done)
			break;
		bk_err_prefix(err, "%s: the server sent a broken listing",
		    w->where);
		if (err != NULL && !err->retryable)
			goto out;	/* the same document again */
	}
	if (done)
		rc = listing_each(&l, fn, arg);
out:
	curl_slist_free_all(hdrs);
	xr_free(d.x);
	listing_reset(&l);
	return rc;
}

static int
webdav_list(struct storage *st, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	return walk(st->priv, false, fn, arg, err);
}

static int
webdav_remove(struct storage *st, const char *name, struct bk_err *err)
{
	struct webdav *w = st->priv;
	char *url = webdav_object_url(w, name), what[300];
	long s;

	snprintf(what, sizeof(what), "cannot delete %s", name);
	s = webdav_req(w, "DELETE", url, NULL, NULL, NULL, what, err);
	free(url);
	if (s == -1)
		return -1;
	if (s == 200 || s == 204)
		return 0;
	return webdav_status_err(w, s, what, err);
}

/* A download: the answer goes through a range clip, which also copes with
 * a server that ignores Range and answers 200 with the whole file. */
struct dl {
	struct range_clip clip;
	uint64_t	 off, len;
	struct bk_err	*err;
	CURL		*h;
	long		 status;
	uint64_t	 got;
	bool		 sink_failed;
};

static size_t
dl_write(char *p, size_t size, size_t n, void *arg)
{
	struct dl *d = arg;

	if (d->status == 0) {
		curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &d->status);
		d->clip.skip = d->status == 200 ? d->off : 0;
	}
	if (d->status != 200 && d->status != 206)
		return size * n;	/* an error page: ignored */
	if (range_clip_sink(p, size * n, &d->clip, d->err) == -1) {
		d->sink_failed = true;
		return 0;
	}
	d->got += size * n;
	return size * n;
}

static int
webdav_download(struct storage *st, const char *name, uint64_t off,
    uint64_t len, storage_sink_fn *fn, void *arg, struct bk_err *err)
{
	struct webdav *w = st->priv;
	struct dl d = { .off = off, .len = len, .err = err };
	char *url = webdav_object_url(w, name), what[300], range[64];
	CURLcode res;
	int i, rc = -1;

	snprintf(what, sizeof(what), "cannot download %s", name);
	range_header(range, sizeof(range), off, len);
	for (i = 0; i < WEBDAV_ATTEMPTS; i++) {
		if (i > 0)
			partial_backoff(i);
		if ((d.h = webdav_easy(w, url, err)) == NULL)
			break;
		d.status = 0;
		range_clip_init(&d.clip, off, len, false, fn, arg);
		curl_easy_setopt(d.h, CURLOPT_WRITEFUNCTION, dl_write);
		curl_easy_setopt(d.h, CURLOPT_WRITEDATA, &d);
		curl_easy_setopt(d.h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(d.h, CURLOPT_LOW_SPEED_TIME, 120L);
		if (*range != '\0')	/* curl's form: without "bytes=" */
			curl_easy_setopt(d.h, CURLOPT_RANGE, range + 6);
		res = curl_easy_perform(d.h);
		if (res == CURLE_OK)
			curl_easy_getinfo(d.h, CURLINFO_RESPONSE_CODE,
			    &d.status);
		http_easy_free(d.h);
		if (d.sink_failed)
			break;
		if (res != CURLE_OK)
			webdav_curl_err(w, res, what, err);
		else if (d.status == 200 || d.status == 206 ||
		    d.status == 416) {	/* 416: off at or past the end */
			rc = 0;
			break;
		} else
			webdav_status_err(w, d.status, what, err);
		/* Once bytes went to the sink, a retry would repeat them. */
		if (!err->retryable || d.got > 0)
			break;
	}
	free(url);
	return rc;
}

/* A HEAD: Content-Length and Last-Modified. */
static int
webdav_stat(struct storage *st, const char *name, struct storage_obj *o,
    struct bk_err *err)
{
	struct webdav *w = st->priv;
	char *url = webdav_object_url(w, name), what[300];
	curl_off_t cl = -1, ft = -1;
	long status = 0;
	CURLcode res;
	CURL *h;
	int rc = -1;

	snprintf(what, sizeof(what), "cannot stat %s", name);
	if ((h = webdav_easy(w, url, err)) == NULL)
		goto out;
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	res = curl_easy_perform(h);
	if (res == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		curl_easy_getinfo(h, CURLINFO_FILETIME_T, &ft);
	}
	http_easy_free(h);
	if (res != CURLE_OK)
		webdav_curl_err(w, res, what, err);
	else if (status / 100 != 2)
		webdav_status_err(w, status, what, err);
	else {
		o->size = cl > 0 ? (uint64_t)cl : 0;
		o->mtime = ft > 0 ? (time_t)ft : 0;
		rc = 0;
	}
out:
	free(url);
	return rc;
}

/* Delete ".partial" files no upload of this handle is writing. */
static int
webdav_cleanup(struct storage *st, struct bk_err *err)
{
	struct webdav *w = st->priv;
	struct partial_sweep s = { .active = w->active };
	struct bk_err ignored;
	size_t i;
	int rc;

	rc = walk(w, true, partial_collect, &s, err);
	for (i = 0; rc == 0 && i < s.n; i++)
		(void)webdav_remove(st, s.names[i], &ignored);
	partial_sweep_free(&s);
	return rc;
}

/* storage.c frees only priv when open fails: release the rest here. */
static int
webdav_open(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	if (webdav_open_settings(st, cfg, err) == 0)
		return 0;
	webdav_close(st);
	return -1;
}

const struct storage_backend storage_backend_webdav = {
	.name = "webdav",
	.enable_key = "WEBDAV_URL",
	.priv_size = sizeof(struct webdav),
	.upload_size = sizeof(struct webdav_upload),
	.open = webdav_open,
	.close = webdav_close,
	.begin = webdav_begin,
	.write = webdav_write,
	.commit = webdav_commit,
	.abort = webdav_abort,
	.list = webdav_list,
	.remove = webdav_remove,
	.download = webdav_download,
	.stat = webdav_stat,
	.cleanup = webdav_cleanup,
};
