/*
 * webdav_upload.c - the WebDAV backend's uploads: begin, write, commit,
 * abort.
 *
 * Invariants:
 *  - The body goes to "NAME.partial" and commit MOVEs it (Overwrite: T)
 *    onto NAME only after the PUT succeeded; any failure DELETEs the
 *    partial name, so a final name only ever holds a whole backup.
 *    A MOVE retried after a lost answer meets 404: it counts as done
 *    only when NAME holds exactly the bytes sent and the partial is gone.
 *  - The PUT streams with Transfer-Encoding: chunked, driven through the
 *    multi interface: write() hands its bytes to the read callback and
 *    pumps the transfer until they are taken, pausing it in between, so
 *    memory stays one curl buffer whatever the backup's size.  A
 *    streamed body cannot be sent twice, so that PUT is never retried.
 *  - A server that refuses chunked bodies (411, found once per handle by
 *    an empty probe PUT at the first upload) gets a spooled upload
 *    instead: a 0600 unlinked file in the admin's TEMP_DIR, then a PUT
 *    with a known length, retried since the spool can be read again.
 *
 * Threads: the caller's thread only (one struct storage per thread).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "err.h"
#include "http.h"
#include "path.h"
#include "webdav_int.h"
#include "xmalloc.h"

static size_t
read_stream(char *p, size_t size, size_t n, void *arg)
{
	struct webdav_upload *u = arg;
	size_t k = size * n;

	if (u->curlen == 0) {
		if (u->eof)
			return 0;
		u->paused = true;
		return CURL_READFUNC_PAUSE;
	}
	if (k > u->curlen)
		k = u->curlen;
	u->started = true;
	memcpy(p, u->cur, k);
	u->cur += k;
	u->curlen -= k;
	return k;
}

/* Digest makes curl send the request once without a body, then ask to
 * rewind: fine as long as nothing was read. */
static int
seek_stream(void *arg, curl_off_t off, int origin)
{
	struct webdav_upload *u = arg;

	return off == 0 && origin == SEEK_SET && !u->started ?
	    CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
}

/* Drive the transfer until the current bytes are taken (or, at eof,
 * until it ends).  Returns false once the transfer is over. */
static bool
pump(struct webdav_upload *u)
{
	CURLMsg *msg;
	int running, left;

	if (u->done)
		return false;
	if (u->paused) {
		u->paused = false;
		curl_easy_pause(u->h, CURLPAUSE_CONT);
	}
	for (;;) {
		curl_multi_perform(u->m, &running);
		while ((msg = curl_multi_info_read(u->m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE) {
				u->done = true;
				u->res = msg->data.result;
			}
		if (u->done || running == 0) {
			u->done = true;
			return false;
		}
		if (!u->eof && u->curlen == 0 && u->paused)
			return true;
		curl_multi_poll(u->m, NULL, 0, 1000, NULL);
	}
}

/* Start the chunked PUT to the partial name; no body has gone yet. */
static int
stream_start(struct webdav *w, struct webdav_upload *u, struct bk_err *err)
{
	if ((u->h = webdav_easy(w, u->tmpurl, err)) == NULL)
		return -1;
	/* Unknown size: chunked on HTTP/1.1, plain DATA frames on h2. */
	u->hdrs = curl_slist_append(NULL, "Expect:");
	curl_easy_setopt(u->h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(u->h, CURLOPT_HTTPHEADER, u->hdrs);
	curl_easy_setopt(u->h, CURLOPT_READFUNCTION, read_stream);
	curl_easy_setopt(u->h, CURLOPT_READDATA, u);
	curl_easy_setopt(u->h, CURLOPT_SEEKFUNCTION, seek_stream);
	curl_easy_setopt(u->h, CURLOPT_SEEKDATA, u);
	curl_easy_setopt(u->h, CURLOPT_WRITEFUNCTION, webdav_to_buf);
	curl_easy_setopt(u->h, CURLOPT_WRITEDATA, NULL);
	u->m = curl_multi_init();
	curl_multi_add_handle(u->m, u->h);
	return 0;
}

static void
stream_free(struct webdav_upload *u)
{
	if (u->m != NULL) {
		curl_multi_remove_handle(u->m, u->h);
		curl_multi_cleanup(u->m);
	}
	http_easy_free(u->h);
	curl_slist_free_all(u->hdrs);
	u->m = NULL;
	u->h = NULL;
	u->hdrs = NULL;
}

/* The outcome of a finished PUT: 0, or -1 with err. */
static int
put_result(struct webdav *w, CURL *h, CURLcode res, struct bk_err *err)
{
	long status = 0;

	if (res != CURLE_OK)
		return webdav_curl_err(w, res, "upload", err);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200 || status == 201 || status == 204)
		return 0;
	if (status == 411)
		return bk_err_set(err, BK_EIO, "%s: the server refused a "
		    "chunked upload (411)", w->where);
	return webdav_status_err(w, status, "upload", err);
}

/*
 * Learn once whether the server takes chunked bodies: an empty chunked
 * PUT to the partial name.  It also surfaces a wrong password or a
 * missing folder before any backup byte is produced.
 */
static int
probe_chunked(struct webdav *w, struct webdav_upload *u, struct bk_err *err)
{
	long status = 0;
	int rc;

	u->eof = true;
	if (stream_start(w, u, err) == -1)
		return -1;
	while (pump(u))
		;
	if (u->res == CURLE_OK)
		curl_easy_getinfo(u->h, CURLINFO_RESPONSE_CODE, &status);
	if (status == 411) {
		w->chunked = 0;
		rc = 0;
	} else if ((rc = put_result(w, u->h, u->res, err)) == 0)
		w->chunked = 1;
	stream_free(u);
	u->eof = u->done = u->paused = u->started = false;
	return rc;
}

static int
spool_open(struct webdav *w, struct webdav_upload *u, struct bk_err *err)
{
	char *tmpl;

	if (path_mkdirs(w->tempdir, 0700, err) == -1) {
		bk_err_prefix(err, "TEMP_DIR");
		return -1;
	}
	xasprintf(&tmpl, "%s/webdav-spool.XXXXXX", w->tempdir);
	u->spool = mkostemp(tmpl, O_CLOEXEC);
	if (u->spool == -1) {
		bk_err_sys(err, BK_EIO, "TEMP_DIR: %s", w->tempdir);
		free(tmpl);
		return -1;
	}
	(void)fchmod(u->spool, 0600);
	unlink(tmpl);		/* gone with the process, whatever happens */
	free(tmpl);
	return 0;
}

int
webdav_begin(struct storage *st, struct storage_upload *up,
    struct bk_err *err)
{
	struct webdav *w = st->priv;
	struct webdav_upload *u = up->priv;
	char *tmpname;
	int tries;

	u->spool = -1;
	tmpname = partial_name(up->name);
	u->tmpurl = webdav_object_url(w, tmpname);
	u->dsturl = webdav_object_url(w, up->name);
	if (webdav_ensure_coll(w, err) == -1)
		goto fail;
	for (tries = 0; w->chunked == -1; tries++) {
		if (probe_chunked(w, u, err) == 0)
			break;
		if (err->code == BK_ENOENT && tries == 0) {
			w->coll_ready = false;	/* removed meanwhile? */
			if (webdav_ensure_coll(w, err) == -1)
				goto fail;
			continue;
		}
		if (!err->retryable || tries + 1 >= WEBDAV_ATTEMPTS)
			goto fail;
		partial_backoff(tries + 1);
	}
	if (w->chunked == 0 ? spool_open(w, u, err) == -1 :
	    stream_start(w, u, err) == -1)
		goto fail;
	free(w->active);
	w->active = tmpname;
	return 0;
fail:
	stream_free(u);
	free(tmpname);
	free(u->tmpurl);
	free(u->dsturl);
	return -1;
}

int
webdav_write(struct storage_upload *up, const void *p, size_t n,
    struct bk_err *err)
{
	struct webdav_upload *u = up->priv;
	struct webdav *w = up->st->priv;
	const char *c = p;
	ssize_t k;

	if (u->spool != -1) {
		while (n > 0) {
			k = write(u->spool, c, n);
			if (k == -1 && errno == EINTR)
				continue;
			if (k == -1)
				return bk_err_sys(err, BK_EIO, "TEMP_DIR: "
				    "spool for %s", w->where);
			c += k;
			n -= (size_t)k;
		}
		return 0;
	}
	u->cur = p;
	u->curlen = n;
	(void)pump(u);
	if (u->curlen > 0 || u->done) {
		/* The server ended the request before taking the body. */
		if (put_result(w, u->h, u->res, err) == 0)
			bk_err_set(err, BK_EPROTO, "%s: upload: the server "
			    "answered before the end of the body", w->where);
		return -1;
	}
	return 0;
}

static size_t
read_spool(char *p, size_t size, size_t n, void *arg)
{
	ssize_t k;

	do
		k = read(*(int *)arg, p, size * n);
	while (k == -1 && errno == EINTR);
	return k < 0 ? CURL_READFUNC_ABORT : (size_t)k;
}

/* PUT the spool with its length; retried, since it can be re-read. */
static int
spool_put(struct webdav *w, struct webdav_upload *u, uint64_t len,
    struct bk_err *err)
{
	CURLcode res;
	CURL *h;
	int i, rc = -1;

	for (i = 0; i < WEBDAV_ATTEMPTS; i++) {
		if (i > 0)
			partial_backoff(i);
		if (lseek(u->spool, 0, SEEK_SET) == -1)
			return bk_err_sys(err, BK_EIO, "TEMP_DIR: spool");
		if ((h = webdav_easy(w, u->tmpurl, err)) == NULL)
			return -1;
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_spool);
		curl_easy_setopt(h, CURLOPT_READDATA, &u->spool);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, webdav_to_buf);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
		res = curl_easy_perform(h);
		rc = put_result(w, h, res, err);
		http_easy_free(h);
		if (rc == 0 || !err->retryable)
			break;
	}
	return rc;
}

static void
upload_free(struct storage_upload *up)
{
	struct webdav_upload *u = up->priv;
	struct webdav *w = up->st->priv;

	stream_free(u);
	if (u->spool != -1)
		close(u->spool);
	u->spool = -1;
	free(u->tmpurl);
	free(u->dsturl);
	free(w->active);
	w->active = NULL;
}

void
webdav_abort(struct storage_upload *up)
{
	struct webdav_upload *u = up->priv;
	struct webdav *w = up->st->priv;
	struct bk_err err;

	/*
	 * End a PUT in progress properly rather than dropping the
	 * connection: a server may still be writing the partial file when
	 * our DELETE arrives and leave it behind (rclone does).
	 */
	if (u->m != NULL && !u->done) {
		u->eof = true;
		u->curlen = 0;
		while (pump(u))
			;
	}
	stream_free(u);
	(void)webdav_req(w, "DELETE", u->tmpurl, NULL, NULL, NULL,
	    "cannot remove the partial upload", &err);
	upload_free(up);
}

/*
 * A MOVE answered "not found" after a retry: if the first attempt took
 * effect and only its answer was lost, the source is gone because the
 * backup is in place.  It counts as moved only if NAME holds exactly the
 * bytes sent and the partial name is gone.
 */
static bool
moved_already(struct webdav *w, struct webdav_upload *u, uint64_t bytes)
{
	curl_off_t len = -1;
	long status = 0, tmpstatus = 0;
	struct bk_err e;
	CURL *h;

	if ((h = webdav_easy(w, u->dsturl, &e)) == NULL)
		return false;
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (curl_easy_perform(h) == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	}
	http_easy_free(h);
	if (status != 200 || len < 0 || (uint64_t)len != bytes)
		return false;
	tmpstatus = webdav_req(w, "HEAD", u->tmpurl, NULL, NULL, NULL,
	    "look up the partial upload", &e);
	return tmpstatus == 404;
}

int
webdav_commit(struct storage_upload *up, struct bk_err *err)
{
	struct webdav_upload *u = up->priv;
	struct webdav *w = up->st->priv;
	struct curl_slist *hdrs = NULL;
	char *dst;
	long st;

	if (u->spool != -1) {
		if (spool_put(w, u, up->bytes, err) == -1)
			goto fail;
	} else {
		u->eof = true;
		while (pump(u))
			;
		if (put_result(w, u->h, u->res, err) == -1)
			goto fail;
		stream_free(u);
	}
	xasprintf(&dst, "Destination: %s", u->dsturl);
	hdrs = curl_slist_append(hdrs, dst);
	hdrs = curl_slist_append(hdrs, "Overwrite: T");
	free(dst);
	st = webdav_req(w, "MOVE", u->tmpurl, hdrs, NULL, NULL,
	    "cannot move the upload into place", err);
	curl_slist_free_all(hdrs);
	if (st == -1)
		goto fail;
	if (st == 404 && moved_already(w, u, up->bytes))
		st = 201;
	if (st != 201 && st != 204 && st != 200) {
		webdav_status_err(w, st, "cannot move the upload into place", err);
		goto fail;
	}
	upload_free(up);
	return 0;
fail:
	webdav_abort(up);
	return -1;
}
