/*
 * storage_dropbox.c - the Dropbox destination (DROPBOX_REFRESH_TOKEN).
 *
 * An upload is a Dropbox upload session: nothing is visible until
 * upload_session/finish commits it under its name (mode "add": an
 * existing file of that name is a conflict, never overwritten); an
 * aborted or dead upload leaves an unfinished session, which Dropbox
 * drops after a week and no listing shows.
 *
 * The stream is cut into CHUNK-byte pieces (a multiple of 4 MiB, as
 * concurrent sessions require).  A full piece is held until the next
 * byte arrives, so the last piece is always known and non-empty.  With
 * DROPBOX_CONCURRENCY_LEVEL = 1 the session is sequential: appends in
 * order from the writer's thread, the last piece goes with finish.
 * Above 1 it is a "concurrent" session: level threads append pieces at
 * their own offsets while the writer fills the next; the last piece
 * closes the session after the others landed, and finish carries no
 * data.  A stream that fits in one piece is one start and one finish.
 * Memory: at most level + 1 pieces.
 *
 * incorrect_offset is recovered when the server already holds more of
 * the piece than we thought (an append whose answer got lost): the rest
 * is re-sent from the server's offset, or nothing if it has it all.
 * A finish whose answer got lost is recovered in finish(): its bytes
 * landed without a commit (finish again without them), or it committed
 * (get_metadata, then the size must match).
 *
 * Threads: the caller's thread plus, during a concurrent upload, its
 * append threads; they share the upload's queue under up->mu.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dropbox_api.h"
#include "err.h"
#include "http.h"
#include "settings.h"
#include "storage_int.h"
#include "xmalloc.h"

#define CHUNK		(8u * 1024 * 1024)	/* multiple of 4 MiB */

struct dbx_store {
	struct dbx	 api;
	CURL		*h;		/* the caller's thread */
	char		*root;		/* "" (root) or "/a/b" */
	int		 level;
	bool		 folder_ok;
};

struct piece {
	char		*data;
	size_t		 len;
	uint64_t	 off;
	struct piece	*next;
};

struct dbx_up {
	struct dbx_store *s;
	char		*path;
	char		*sid;		/* session id, once started */
	bool		 concurrent;
	uint64_t	 sent;		/* offset of the next piece */
	struct piece	*fill;		/* being filled */
	/* shared with the append threads */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct piece	*queue;		/* FIFO of pieces to append */
	struct piece	*spare;		/* free pieces */
	int		 npieces;	/* allocated */
	int		 busy;		/* being appended */
	bool		 stop;
	bool		 failed;
	struct bk_err	 err;		/* the first failure */
	pthread_t	*threads;
	int		 nthreads;
};

/* DROPBOX_REMOTE_PATH as the API spells it: "" (root) or "/a/b". */
static int
path_of(const char *remote, char **out, struct bk_err *err)
{
	const char *s = remote != NULL ? remote : "";
	char *r, *p, *c;
	size_t n;

	while (*s == '/')
		s++;
	xasprintf(&r, "/%s", s);
	for (n = strlen(r); n > 0 && r[n - 1] == '/'; n--)
		r[n - 1] = '\0';
	for (c = r; *c != '\0'; c = p) {
		p = c + 1 + strcspn(c + 1, "/");
		n = (size_t)(p - c - 1);
		if (n == 0 || (n == 1 && c[1] == '.') ||
		    (n == 2 && c[1] == '.' && c[2] == '.')) {
			free(r);
			return bk_err_set(err, BK_ECONFIG, "DROPBOX_REMOTE_PATH: "
			    "\"%s\": empty, \".\" or \"..\" component", remote);
		}
	}
	*out = r;
	return 0;
}

static int
dropbox_open(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	struct dbx_store *s = st->priv;
	const char *key = settings_get(cfg->user, "DROPBOX_APP_KEY");
	const char *sec = settings_get(cfg->user, "DROPBOX_APP_SECRET");
	const char *ref = settings_get(cfg->user, "DROPBOX_REFRESH_TOKEN");

	if (ref == NULL || *ref == '\0')
		return bk_err_set(err, BK_ECONFIG, "DROPBOX_REFRESH_TOKEN: not "
		    "set");
	if (key == NULL || *key == '\0')
		return bk_err_set(err, BK_ECONFIG, "DROPBOX_APP_KEY: not set "
		    "(needed with DROPBOX_REFRESH_TOKEN)");
	if (sec == NULL || *sec == '\0')
		return bk_err_set(err, BK_ECONFIG, "DROPBOX_APP_SECRET: not "
		    "set (needed with DROPBOX_REFRESH_TOKEN)");
	if (path_of(settings_get(cfg->user, "DROPBOX_REMOTE_PATH"), &s->root,
	    err) == -1)
		return -1;
	s->level = (int)settings_int(cfg->user, "DROPBOX_CONCURRENCY_LEVEL");
	if (s->level < 1)
		s->level = 1;
	dbx_init(&s->api, cfg->admin, key, sec, ref);
	storage_set_location(st, "dropbox:%s", *s->root ? s->root : "/");
	if ((s->h = dbx_handle(&s->api, err)) == NULL ||
	    dbx_auth(&s->api, s->h, err) == -1) {
		http_easy_free(s->h);
		dbx_free(&s->api);
		free(s->root);
		return -1;
	}
	return 0;
}

static void
dropbox_close(struct storage *st)
{
	struct dbx_store *s = st->priv;

	http_easy_free(s->h);
	dbx_free(&s->api);
	free(s->root);
}

/* create_folder_v2 once per storage; an existing folder is fine. */
static int
ensure_folder(struct storage *st, struct bk_err *err)
{
	struct dbx_store *s = st->priv;
	struct dbx_req req = { .host = DBX_API, .rpc = true,
	    .route = "files/create_folder_v2" };
	int rc = 0;

	if (s->folder_ok || s->root[0] == '\0')
		return 0;
	req.arg = json_pack("{s:s, s:b}", "path", s->root, "autorename", 0);
	if (dbx_call(&s->api, s->h, &req, err) == -1) {
		if (req.status == 409 && dbx_is(req.error,
		    "path/conflict/folder"))
			bk_err_clear(err);
		else if (req.status == 409 && dbx_is(req.error,
		    "path/conflict"))
			rc = bk_err_set(err, BK_ECONFIG, "DROPBOX_REMOTE_PATH: "
			    "%s: a file is in the way of the folder",
			    s->root);
		else if (req.status == 409 && dbx_is(req.error,
		    "path/insufficient_space"))
			rc = bk_err_set(err, BK_EFAIL, "%s: the Dropbox is "
			    "full (insufficient_space)", st->location);
		else {
			bk_err_prefix(err, "DROPBOX_REMOTE_PATH");
			rc = -1;
		}
	}
	if (rc == 0)
		s->folder_ok = true;
	dbx_req_done(&req);
	json_decref(req.arg);
	return rc;
}

/* One append_v2 of p (or its tail the server lacks). */
static int
append(struct dbx_up *u, CURL *h, const struct piece *p, bool close,
    struct bk_err *err)
{
	struct dbx_req req = { .host = DBX_CONTENT,
	    .route = "files/upload_session/append_v2" };
	uint64_t off = p->off, have;
	int rc;

	for (;;) {
		req.arg = json_pack("{s:{s:s, s:I}, s:b}", "cursor",
		    "session_id", u->sid, "offset", (json_int_t)off, "close",
		    close);
		req.body = p->data + (off - p->off);
		req.len = p->len - (size_t)(off - p->off);
		rc = dbx_call(&u->s->api, h, &req, err);
		json_decref(req.arg);
		if (rc == -1 && close && req.retries > 0 && req.status == 409 &&
		    dbx_is(req.error, "closed")) {
			/* The closing append landed; finish checks the size. */
			bk_err_clear(err);
			rc = 0;
		}
		if (rc == 0 || req.status != 409 ||
		    !dbx_is(req.error, "incorrect_offset"))
			break;
		have = (uint64_t)json_integer_value(json_object_get(
		    req.error, "correct_offset"));
		dbx_req_done(&req);
		if (have == p->off + p->len)
			return 0;	/* it landed; the answer got lost */
		if (have <= off || have >= p->off + p->len)
			return bk_err_set(err, BK_EPROTO, "dropbox: %s: upload "
			    "session lost data (server at offset %llu, "
			    "piece at %llu)", u->path,
			    (unsigned long long)have,
			    (unsigned long long)p->off);
		bk_err_clear(err);
		off = have;
	}
	if (rc == -1 && req.status == 409)
		bk_err_prefix(err, "%s", u->path);
	dbx_req_done(&req);
	return rc;
}

static void *
append_thread(void *arg)
{
	struct dbx_up *u = arg;
	struct bk_err err = { 0 };
	struct piece *p;
	CURL *h;

	h = dbx_handle(&u->s->api, &err);
	pthread_mutex_lock(&u->mu);
	if (h == NULL && !u->failed) {
		u->failed = true;
		u->err = err;
	}
	while (h != NULL) {
		while (u->queue == NULL && !u->stop)
			pthread_cond_wait(&u->cv, &u->mu);
		if (u->queue == NULL)
			break;
		p = u->queue;
		u->queue = p->next;
		u->busy++;
		pthread_mutex_unlock(&u->mu);
		bk_err_clear(&err);
		int rc = u->failed ? 0 : append(u, h, p, false, &err);
		pthread_mutex_lock(&u->mu);
		u->busy--;
		if (rc == -1 && !u->failed) {
			u->failed = true;
			u->err = err;
		}
		p->next = u->spare;
		u->spare = p;
		pthread_cond_broadcast(&u->cv);
	}
	pthread_mutex_unlock(&u->mu);
	http_easy_free(h);
	return NULL;
}

static int
session_start(struct dbx_up *u, const void *data, size_t len,
    struct bk_err *err)
{
	struct dbx_req req = { .host = DBX_CONTENT,
	    .route = "files/upload_session/start", .body = data, .len = len };
	const char *sid;
	int rc;

	req.arg = json_pack("{s:b, s:{s:s}}", "close", 0, "session_type",
	    ".tag", u->concurrent ? "concurrent" : "sequential");
	rc = dbx_call(&u->s->api, u->s->h, &req, err);
	json_decref(req.arg);
	if (rc == 0) {
		sid = json_string_value(json_object_get(req.result,
		    "session_id"));
		if (sid == NULL)
			rc = bk_err_set(err, BK_EPROTO, "dropbox: "
			    "upload_session/start: no session_id");
		else
			u->sid = xstrdup(sid);
	}
	dbx_req_done(&req);
	return rc;
}

static int
dropbox_begin(struct storage *st, struct storage_upload *up,
    struct bk_err *err)
{
	struct dbx_store *s = st->priv;
	struct dbx_up *u = up->priv;

	if (ensure_folder(st, err) == -1)
		return -1;
	u->s = s;
	xasprintf(&u->path, "%s/%s", s->root, up->name);
	u->concurrent = s->level > 1;
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
	return 0;
}

/* A free piece: a spare one, a new one while under level + 1, or wait. */
static struct piece *
piece_get(struct dbx_up *u)
{
	struct piece *p;

	pthread_mutex_lock(&u->mu);
	while (u->spare == NULL && u->npieces >= u->s->level + 1 &&
	    !u->failed)
		pthread_cond_wait(&u->cv, &u->mu);
	if ((p = u->spare) != NULL)
		u->spare = p->next;
	else {
		p = xcalloc(1, sizeof(*p));
		p->data = xmalloc(CHUNK);
		u->npieces++;
	}
	pthread_mutex_unlock(&u->mu);
	p->len = 0;
	p->next = NULL;
	return p;
}

/* The held full piece goes out: appended now, or queued for a thread. */
static int
dispatch(struct dbx_up *u, struct bk_err *err)
{
	struct piece *p = u->fill, **q;
	int i;

	if (u->sid == NULL && session_start(u, NULL, 0, err) == -1)
		return -1;
	p->off = u->sent;
	u->sent += p->len;
	u->fill = NULL;
	if (!u->concurrent) {
		int rc = append(u, u->s->h, p, false, err);

		u->fill = p;
		p->len = 0;
		return rc;
	}
	if (u->threads == NULL) {
		u->threads = xcalloc((size_t)u->s->level, sizeof(pthread_t));
		for (i = 0; i < u->s->level; i++)
			if (pthread_create(&u->threads[i], NULL, append_thread,
			    u) == 0)
				u->nthreads++;
		if (u->nthreads == 0)
			return bk_err_set(err, BK_EIO, "dropbox: cannot start "
			    "upload threads");
	}
	pthread_mutex_lock(&u->mu);
	for (q = &u->queue; *q != NULL; q = &(*q)->next)
		;
	*q = p;
	pthread_cond_signal(&u->cv);
	pthread_mutex_unlock(&u->mu);
	u->fill = piece_get(u);
	return 0;
}

static int
first_failure(struct dbx_up *u, struct bk_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&u->mu);
	if (u->failed) {
		*err = u->err;
		rc = -1;
	}
	pthread_mutex_unlock(&u->mu);
	return rc;
}

static int
dropbox_write(struct storage_upload *up, const void *data, size_t n,
    struct bk_err *err)
{
	struct dbx_up *u = up->priv;
	const char *c = data;
	size_t k;

	if (first_failure(u, err) == -1)
		return -1;
	if (u->fill == NULL)
		u->fill = piece_get(u);
	while (n > 0) {
		if (u->fill->len == CHUNK && dispatch(u, err) == -1)
			return -1;
		k = CHUNK - u->fill->len < n ? CHUNK - u->fill->len : n;
		memcpy(u->fill->data + u->fill->len, c, k);
		u->fill->len += k;
		c += k;
		n -= k;
	}
	return first_failure(u, err);
}

static void
stop_threads(struct dbx_up *u, bool drain)
{
	struct piece *p;
	int i;

	pthread_mutex_lock(&u->mu);
	while (drain && (u->queue != NULL || u->busy > 0))
		pthread_cond_wait(&u->cv, &u->mu);
	u->stop = true;
	if (!drain)
		u->failed = true;	/* queued pieces are skipped */
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	for (i = 0; i < u->nthreads; i++)
		pthread_join(u->threads[i], NULL);
	free(u->threads);
	u->threads = NULL;
	u->nthreads = 0;
	while ((p = u->queue) != NULL || (p = u->spare) != NULL) {
		if (p == u->queue)
			u->queue = p->next;
		else
			u->spare = p->next;
		free(p->data);
		free(p);
	}
}

static void
up_free(struct dbx_up *u)
{
	if (u->fill != NULL) {
		free(u->fill->data);
		free(u->fill);
	}
	free(u->sid);
	free(u->path);
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->cv);
}

static int
finish_err(struct dbx_up *u, struct dbx_req *req, struct bk_err *err)
{
	if (req->status != 409)
		return -1;
	if (dbx_is(req->error, "path/conflict"))
		return bk_err_set(err, BK_EEXIST, "dropbox:%s: already exists "
		    "(path conflict)", u->path);
	if (dbx_is(req->error, "path/insufficient_space"))
		return bk_err_set(err, BK_EFAIL, "dropbox:%s: the Dropbox is "
		    "full (insufficient_space)", u->path);
	bk_err_prefix(err, "%s", u->path);
	return -1;
}

/* get_metadata of the upload's path into req->result. */
static int
stat_file(struct dbx_up *u, struct dbx_req *req, struct bk_err *err)
{
	struct dbx_req r = { .host = DBX_API, .rpc = true,
	    .route = "files/get_metadata" };
	int rc;

	r.arg = json_pack("{s:s}", "path", u->path);
	rc = dbx_call(&u->s->api, u->s->h, &r, err);
	json_decref(r.arg);
	if (rc == -1 && r.status == 409 && dbx_is(r.error, "path/not_found")) {
		r.status = 0;	/* not finish's own error */
		bk_err_set(err, BK_EFAIL, "dropbox:%s: upload_session/finish "
		    "lost its answer and nothing was committed", u->path);
	}
	*req = r;
	if (rc == 0 && !json_is_integer(json_object_get(r.result, "size")))
		rc = bk_err_set(err, BK_EPROTO, "dropbox:%s: not a file after "
		    "finish", u->path);
	return rc;
}

/*
 * upload_session/finish at off with the last bytes (sequential) or none.
 * Once an attempt was retried (its answer lost), a 409 may describe our
 * own earlier attempt: lookup_failed/incorrect_offset at off + len says
 * the bytes landed but nothing was committed (Dropbox keeps data a
 * failed finish appended), so finish again without them; any other
 * lookup_failed, or a conflict with the name, may be our own commit:
 * get_metadata decides, and the caller checks the size.
 */
static int
finish(struct dbx_up *u, struct dbx_req *req, uint64_t off,
    const void *body, size_t len, struct bk_err *err)
{
	char when[32];
	time_t now = time(NULL);
	bool retried = false;
	uint64_t have;
	int rc;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	for (;;) {
		req->body = body;
		req->len = len;
		req->arg = json_pack("{s:{s:s, s:I}, s:{s:s, s:{s:s}, s:b, "
		    "s:b, s:b, s:s}}", "cursor", "session_id", u->sid,
		    "offset", (json_int_t)off, "commit", "path", u->path,
		    "mode", ".tag", "add", "autorename", 0, "mute", 1,
		    "strict_conflict", 1, "client_modified", when);
		rc = dbx_call(&u->s->api, u->s->h, req, err);
		json_decref(req->arg);
		req->arg = NULL;
		retried |= req->retries > 0;
		if (rc == 0 || !retried || req->status != 409)
			return rc;
		have = (uint64_t)json_integer_value(json_object_get(
		    json_object_get(req->error, "lookup_failed"),
		    "correct_offset"));
		if (len > 0 && dbx_is(req->error,
		    "lookup_failed/incorrect_offset") && have == off + len) {
			dbx_req_done(req);
			bk_err_clear(err);
			off = have;
			body = NULL;
			len = 0;
			continue;
		}
		if (dbx_is(req->error, "lookup_failed/incorrect_offset") ||
		    (!dbx_is(req->error, "lookup_failed") &&
		    !dbx_is(req->error, "path/conflict/file")))
			return rc;
		dbx_req_done(req);
		bk_err_clear(err);
		return stat_file(u, req, err);
	}
}

static int
dropbox_commit(struct storage_upload *up, struct bk_err *err)
{
	struct dbx_up *u = up->priv;
	struct dbx_req req = { .host = DBX_CONTENT,
	    .route = "files/upload_session/finish" };
	struct piece *last = u->fill;
	uint64_t size;
	int rc = -1;

	if (first_failure(u, err) == -1)
		goto out;
	if (u->sid == NULL) {
		/* All of it fits in one piece: a sequential session. */
		u->concurrent = false;
		if (session_start(u, NULL, 0, err) == -1)
			goto out;
	}
	if (u->concurrent) {
		stop_threads(u, true);
		if (first_failure(u, err) == -1)
			goto out;
		last->off = u->sent;
		u->sent += last->len;
		if (append(u, u->s->h, last, true, err) == -1)
			goto out;
		rc = finish(u, &req, u->sent, NULL, 0, err);
	} else
		rc = finish(u, &req, u->sent, last != NULL ? last->data : NULL,
		    last != NULL ? last->len : 0, err);
	if (rc == -1) {
		finish_err(u, &req, err);
		goto out;
	}
	size = (uint64_t)json_integer_value(json_object_get(req.result,
	    "size"));
	if (size != up->bytes)
		rc = bk_err_set(err, BK_ECORRUPT, "dropbox:%s: stored %llu "
		    "bytes of %llu", u->path, (unsigned long long)size,
		    (unsigned long long)up->bytes);
out:
	dbx_req_done(&req);
	stop_threads(u, false);
	up_free(u);
	return rc;
}

static void
dropbox_abort(struct storage_upload *up)
{
	struct dbx_up *u = up->priv;

	/* The unfinished session is invisible and expires by itself. */
	stop_threads(u, false);
	up_free(u);
}

static int
list_page(struct storage *st, json_t *res, storage_list_fn *fn, void *arg)
{
	struct storage_obj o;
	struct tm tm;
	const char *t;
	json_t *e;
	size_t i;
	int rc;

	json_array_foreach(json_object_get(res, "entries"), i, e) {
		t = json_string_value(json_object_get(e, ".tag"));
		if (t == NULL || strcmp(t, "file") != 0)
			continue;
		memset(&o, 0, sizeof(o));
		o.name = json_string_value(json_object_get(e, "name"));
		if (o.name == NULL)
			continue;
		o.size = (uint64_t)json_integer_value(json_object_get(e,
		    "size"));
		t = json_string_value(json_object_get(e, "server_modified"));
		memset(&tm, 0, sizeof(tm));
		if (t != NULL && strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
			o.mtime = timegm(&tm);
		if ((rc = fn(&o, arg)) != 0)
			return rc;
	}
	return 0;
}

static int
dropbox_list(struct storage *st, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	struct dbx_store *s = st->priv;
	struct dbx_req req = { .host = DBX_API, .rpc = true,
	    .route = "files/list_folder" };
	json_t *next;
	int rc;

	req.arg = json_pack("{s:s, s:i}", "path", s->root, "limit", 2000);
	for (;;) {
		rc = dbx_call(&s->api, s->h, &req, err);
		json_decref(req.arg);
		req.arg = NULL;
		if (rc == -1) {
			if (req.status == 409 && dbx_is(req.error,
			    "path/not_found")) {
				bk_err_clear(err);
				rc = 0;	/* no folder yet: no backups */
			} else if (req.status == 409)
				bk_err_prefix(err, "%s", st->location);
			break;
		}
		if ((rc = list_page(st, req.result, fn, arg)) != 0 ||
		    !json_is_true(json_object_get(req.result, "has_more")))
			break;
		next = json_object_get(req.result, "cursor");
		req.arg = json_pack("{s:O}", "cursor", next);
		dbx_req_done(&req);
		req.route = "files/list_folder/continue";
	}
	dbx_req_done(&req);
	return rc;
}

/*
 * One call on one file, NAME under the root: a 409 whose error is
 * missing (notfound, e.g. "path/not_found") is BK_ENOENT, any other
 * names the path.
 */
/* One call on the file name; a 409 naming notfound is BK_ENOENT.  The
 * answer stays in req (dbx_req_done() frees it). */
static int
dropbox_file_call_keep(struct dbx_store *s, struct dbx_req *req,
    const char *name, const char *notfound, struct bk_err *err)
{
	char *path;
	int rc;

	xasprintf(&path, "%s/%s", s->root, name);
	req->arg = json_pack("{s:s}", "path", path);
	rc = dbx_call(&s->api, s->h, req, err);
	if (rc == -1 && req->status == 409) {
		if (dbx_is(req->error, notfound))
			bk_err_set(err, BK_ENOENT, "dropbox:%s: no such file",
			    path);
		else
			bk_err_prefix(err, "dropbox:%s", path);
	}
	json_decref(req->arg);
	req->arg = NULL;
	free(path);
	return rc;
}

static int
dropbox_file_call(struct dbx_store *s, struct dbx_req *req, const char *name,
    const char *notfound, struct bk_err *err)
{
	int rc = dropbox_file_call_keep(s, req, name, notfound, err);

	dbx_req_done(req);
	return rc;
}

static int
dropbox_remove(struct storage *st, const char *name, struct bk_err *err)
{
	struct dbx_req req = { .host = DBX_API, .rpc = true,
	    .route = "files/delete_v2" };

	return dropbox_file_call(st->priv, &req, name, "path_lookup/not_found",
	    err);
}

/* files/download with a Range header (the content endpoints honour it). */
static int
dropbox_download(struct storage *st, const char *name, uint64_t off,
    uint64_t len, storage_sink_fn *fn, void *arg, struct bk_err *err)
{
	struct dbx_req req = { .host = DBX_CONTENT, .route = "files/download",
	    .sink = fn, .sink_arg = arg, .range_off = off,
	    .range_len = len == STORAGE_TO_END ? 0 : len };
	int rc;

	rc = dropbox_file_call(st->priv, &req, name, "path/not_found", err);
	if (rc == -1 && req.status == 416) {	/* off at or past the end */
		bk_err_clear(err);
		rc = 0;
	}
	return rc;
}

static int
dropbox_stat(struct storage *st, const char *name, struct storage_obj *o,
    struct bk_err *err)
{
	struct dbx_req req = { .host = DBX_API, .rpc = true,
	    .route = "files/get_metadata" };
	const char *t;
	struct tm tm;
	int rc;

	rc = dropbox_file_call_keep(st->priv, &req, name, "path/not_found",
	    err);
	if (rc == 0) {
		o->size = (uint64_t)json_integer_value(json_object_get(
		    req.result, "size"));
		t = json_string_value(json_object_get(req.result,
		    "server_modified"));
		memset(&tm, 0, sizeof(tm));
		if (t != NULL && strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm) !=
		    NULL)
			o->mtime = timegm(&tm);
	}
	dbx_req_done(&req);
	return rc;
}

const struct storage_backend storage_backend_dropbox = {
	.name = "dropbox",
	.enable_key = "DROPBOX_REFRESH_TOKEN",
	.priv_size = sizeof(struct dbx_store),
	.upload_size = sizeof(struct dbx_up),
	.open = dropbox_open,
	.close = dropbox_close,
	.begin = dropbox_begin,
	.write = dropbox_write,
	.commit = dropbox_commit,
	.abort = dropbox_abort,
	.list = dropbox_list,
	.remove = dropbox_remove,
	.download = dropbox_download,
	.stat = dropbox_stat,
};
