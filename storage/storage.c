/*
 * storage.c - the storage dispatcher and backend registry.
 *
 * Callers never reach a backend's vtable: every call goes through here, so
 * name checks, handle lifetime and the "nothing left behind" rule on
 * failure are enforced in one place.  Threads: none of its own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "settings.h"
#include "storage.h"
#include "storage_int.h"
#include "xmalloc.h"

/* Order matters: it is the order destinations are written and listed. */
static const struct storage_backend *const backends[] = {
	&storage_backend_local,
	&storage_backend_s3,
	&storage_backend_azure,
	&storage_backend_sftp,
	&storage_backend_webdav,
	&storage_backend_dropbox,
	NULL,
};

static const struct storage_backend *
backend_lookup(const char *name)
{
	size_t i;

	for (i = 0; backends[i] != NULL; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

size_t
storage_enabled(const struct settings *user, const char **names, size_t max)
{
	size_t i, n = 0;

	for (i = 0; backends[i] != NULL && n < max; i++)
		if (backends[i]->enable_key != NULL &&
		    settings_is_set(user, backends[i]->enable_key))
			names[n++] = backends[i]->name;
	return n;
}

bool
storage_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= 255 && strchr(name, '/') == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

void
storage_set_location(struct storage *st, const char *fmt, ...)
{
	va_list ap;

	free(st->location);
	va_start(ap, fmt);
	if (vasprintf(&st->location, fmt, ap) == -1)
		st->location = xstrdup("?");
	va_end(ap);
}

int
storage_open(struct storage **out, const char *name,
    const struct storage_config *cfg, struct bk_err *err)
{
	const struct storage_backend *be = backend_lookup(name);
	struct storage *st;

	*out = NULL;
	if (be == NULL)
		return bk_err_set(err, BK_ECONFIG, "unknown destination "
		    "type \"%s\"", name);
	st = xcalloc(1, sizeof(*st));
	st->be = be;
	if (be->priv_size > 0)
		st->priv = xcalloc(1, be->priv_size);
	if (be->open(st, cfg, err) == -1) {
		free(st->priv);
		free(st->location);
		free(st);
		return -1;
	}
	if (st->location == NULL)
		storage_set_location(st, "%s", be->name);
	*out = st;
	return 0;
}

void
storage_close(struct storage *st)
{
	if (st == NULL)
		return;
	if (st->be->close != NULL)
		st->be->close(st);
	free(st->priv);
	free(st->location);
	free(st);
}

const char *
storage_name(const struct storage *st)
{
	return st->be->name;
}

const char *
storage_location(const struct storage *st)
{
	return st->location;
}

int
storage_begin(struct storage *st, const char *name,
    struct storage_upload **out, struct bk_err *err)
{
	struct storage_upload *up;

	*out = NULL;
	if (!storage_name_ok(name))
		return bk_err_set(err, BK_ECONFIG, "%s: invalid backup name "
		    "\"%s\"", st->location, name);
	up = xcalloc(1, sizeof(*up));
	up->st = st;
	up->name = xstrdup(name);
	if (st->be->upload_size > 0)
		up->priv = xcalloc(1, st->be->upload_size);
	if (st->be->begin(st, up, err) == -1) {
		free(up->priv);
		free(up->name);
		free(up);
		return -1;
	}
	bk_err_clear(err);
	*out = up;
	return 0;
}

int
storage_write(struct storage_upload *up, const void *p, size_t n,
    struct bk_err *err)
{
	if (n == 0)
		return 0;
	if (up->st->be->write(up, p, n, err) == -1)
		return -1;
	up->bytes += n;
	return 0;
}

static void
upload_free(struct storage_upload *up)
{
	free(up->priv);
	free(up->name);
	free(up);
}

int
storage_commit(struct storage_upload *up, struct bk_err *err)
{
	int rc;

	rc = up->st->be->commit(up, err);
	upload_free(up);
	return rc;
}

void
storage_abort(struct storage_upload *up)
{
	if (up == NULL)
		return;
	up->st->be->abort(up);
	upload_free(up);
}

int
storage_list(struct storage *st, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	return st->be->list(st, fn, arg, err);
}

int
storage_delete(struct storage *st, const char *name, struct bk_err *err)
{
	if (!storage_name_ok(name))
		return bk_err_set(err, BK_ECONFIG, "%s: invalid name \"%s\"",
		    st->location, name);
	return st->be->remove(st, name, err);
}

int
storage_download_range(struct storage *st, const char *name, uint64_t off,
    uint64_t len, storage_sink_fn *fn, void *arg, struct bk_err *err)
{
	if (!storage_name_ok(name))
		return bk_err_set(err, BK_ENOENT, "%s: invalid name \"%s\"",
		    st->location, name);
	if (st->be->download == NULL)
		return bk_err_set(err, BK_ENOTSUP, "%s: download not offered",
		    st->location);
	if (len == 0)
		return storage_stat(st, name, &(struct storage_obj){ 0 }, err);
	return st->be->download(st, name, off, len, fn, arg, err);
}

int
storage_download(struct storage *st, const char *name, storage_sink_fn *fn,
    void *arg, struct bk_err *err)
{
	return storage_download_range(st, name, 0, STORAGE_TO_END, fn, arg,
	    err);
}

int
storage_stat(struct storage *st, const char *name, struct storage_obj *o,
    struct bk_err *err)
{
	memset(o, 0, sizeof(*o));
	o->name = name;
	if (!storage_name_ok(name))
		return bk_err_set(err, BK_ENOENT, "%s: invalid name \"%s\"",
		    st->location, name);
	if (st->be->stat == NULL)
		return bk_err_set(err, BK_ENOTSUP, "%s: stat not offered",
		    st->location);
	if (st->be->stat(st, name, o, err) == -1)
		return -1;
	o->name = name;
	return 0;
}

void
range_clip_init(struct range_clip *c, uint64_t off, uint64_t len, bool whole,
    storage_sink_fn *sink, void *arg)
{
	c->sink = sink;
	c->arg = arg;
	c->skip = whole ? off : 0;
	c->left = len;
	c->given = 0;
}

int
range_clip_sink(const void *p, size_t n, void *arg, struct bk_err *err)
{
	struct range_clip *c = arg;
	uint64_t drop = c->skip < n ? c->skip : n;

	c->skip -= drop;
	p = (const char *)p + drop;
	n -= (size_t)drop;
	if (n > c->left)
		n = (size_t)c->left;
	if (n == 0)
		return 0;
	if (c->left != STORAGE_TO_END)
		c->left -= n;
	c->given += n;
	return c->sink(p, n, c->arg, err);
}

void
range_header(char *buf, size_t size, uint64_t off, uint64_t len)
{
	if (off == 0 && len == STORAGE_TO_END)
		snprintf(buf, size, "%s", "");
	else if (len == STORAGE_TO_END || off + len < off)
		snprintf(buf, size, "bytes=%llu-", (unsigned long long)off);
	else
		snprintf(buf, size, "bytes=%llu-%llu", (unsigned long long)off,
		    (unsigned long long)(off + len - 1));
}

int
storage_cleanup(struct storage *st, struct bk_err *err)
{
	/* A backend may note a problem it then shrugged off (a server that
	 * cannot list unfinished uploads): success leaves no error behind. */
	if (st->be->cleanup == NULL || st->be->cleanup(st, err) == 0) {
		bk_err_clear(err);
		return 0;
	}
	return -1;
}
