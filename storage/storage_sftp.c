/*
 * storage_sftp.c - the SFTP destination (SSH_*), over libssh2.
 *
 * The connection, host key check and login are sftp_session.c's; this
 * file is the remote folder and what is stored in it.
 *
 * Invariants:
 *  - An upload goes to "NAME.partial" in SSH_REMOTE_PATH and is renamed
 *    into place only by commit, so a final name always holds a whole
 *    backup.  list() never shows ".partial" files; cleanup() removes those
 *    not being written through this handle (jobs of one user run one at a
 *    time, so any other one was left by an attempt that died); the
 *    naming and sweep rules are partial.c's, shared with WebDAV and local.
 *  - Writes are gathered into a large buffer handed to libssh2_sftp_write()
 *    in one call: libssh2 1.10 splits it into many SFTP write requests in
 *    flight at once (its write pipelining), which is what makes SFTP fast
 *    on a link with latency.
 *  - Connection failures are retried with backoff (open, list, delete,
 *    download before the first byte); a broken upload is not: the stream
 *    is gone, the job retries.
 *
 * Threads: one struct storage per thread (a libssh2 session is not shared).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "err.h"
#include "partial.h"
#include "settings.h"
#include "sftp_session.h"
#include "storage_int.h"
#include "xmalloc.h"

#define WBUF_SIZE	(2u << 20)	/* ~70 SFTP writes in flight */
#define RBUF_SIZE	(1u << 20)

struct sftp {
	struct sftp_session	 c;
	char			*dir;		/* remote folder, no trailing / */
	bool			 dir_ready;
	char			*active;	/* partial name being written */
};

struct sftp_upload {
	LIBSSH2_SFTP_HANDLE	*h;
	char			*tmp;		/* full remote path */
	char			*dst;
	unsigned char		*buf;
	size_t			 len;
};

static char *
remote_path(struct sftp *s, const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", s->dir, name);
	return p;
}

static bool
is_dir(struct sftp *s, const char *path)
{
	LIBSSH2_SFTP_ATTRIBUTES a;

	return libssh2_sftp_stat(s->c.sftp, path, &a) == 0 &&
	    (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
	    LIBSSH2_SFTP_S_ISDIR(a.permissions);
}

/*
 * SSH_REMOTE_PATH given as the folder's path on the server's disk, seen
 * from inside a chroot: the tail of it that starts with a folder the
 * login can see is most likely the one meant ("/srv/box/u1/backups" ->
 * "backups" when the chroot is /srv/box/u1).  NULL if no tail fits.
 */
static char *
chroot_guess(struct sftp *s)
{
	const char *t;
	char *first;
	bool hit;

	for (t = strchr(s->dir + 1, '/'); t != NULL; t = strchr(t + 1, '/')) {
		first = xstrndup(t + 1, strcspn(t + 1, "/"));
		hit = *first != '\0' && is_dir(s, first);
		free(first);
		if (hit)
			return xstrdup(t + 1);
	}
	return NULL;
}

static int
dir_refused(struct sftp *s, const char *tried, struct bk_err *err)
{
	char *guess = s->dir[0] == '/' ? chroot_guess(s) : NULL;

	bk_err_set(err, BK_EFAIL, "SSH_REMOTE_PATH: %s@%s:%d: cannot create "
	    "folder \"%s\" (tried \"%s\")%s%s%s", s->c.user, s->c.host,
	    s->c.port, s->dir, tried, s->dir[0] != '/' ? "" : guess == NULL ?
	    "; on a chrooted account an absolute path starts at the chroot: "
	    "try a path relative to the login folder" : "; on a chrooted "
	    "account an absolute path starts at the chroot: the folder meant "
	    "is probably \"", guess != NULL ? guess : "", guess != NULL ?
	    "\" (relative to the login folder)" : "");
	err->retryable = false;
	free(guess);
	return -1;
}

/*
 * Create SSH_REMOTE_PATH level by level.  The error names the exact
 * path tried, and for an absolute path that the server refuses, the usual
 * cause: under a chroot (Hetzner Storage Box, Synology) "/" is the chroot.
 */
static int
ensure_dir(struct sftp *s, struct bk_err *err)
{
	char *p, *c, save;
	int rc = 0;

	if (s->dir_ready || is_dir(s, s->dir))
		return s->dir_ready = true, 0;
	p = xstrdup(s->dir);
	for (c = p + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		save = *c;
		*c = '\0';
		if (strcmp(p, ".") != 0 && !is_dir(s, p) &&
		    libssh2_sftp_mkdir(s->c.sftp, p, 0700) != 0 &&
		    !is_dir(s, p)) {
			if (libssh2_session_last_errno(s->c.ss) !=
			    LIBSSH2_ERROR_SFTP_PROTOCOL)
				rc = sftp_session_fail(&s->c, err, "cannot create", p);
			else
				rc = dir_refused(s, p, err);
			break;
		}
		*c = save;
		if (save == '\0')
			break;
	}
	free(p);
	if (rc == 0)
		s->dir_ready = true;
	return rc;
}

static int
sftp_open_settings(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	struct sftp *s = st->priv;
	const char *v;
	size_t n;
	int i;

	if (sftp_session_init(&s->c, cfg, err) == -1)
		return -1;
	v = settings_get(cfg->user, "SSH_REMOTE_PATH");
	s->dir = xstrdup(v != NULL && *v != '\0' ? v : ".");
	n = strlen(s->dir);
	while (n > 1 && s->dir[n - 1] == '/')
		s->dir[--n] = '\0';
	storage_set_location(st, "sftp://%s@%s:%d/%s", s->c.user, s->c.host,
	    s->c.port, s->dir[0] == '/' ? s->dir + 1 : s->dir);
	for (i = 0;;)
		if (sftp_session_connect(&s->c, err) == 0 ||
		    !sftp_retry_wait(err, &i))
			break;
	return s->c.sftp != NULL ? 0 : -1;
}

static void
sftp_close(struct storage *st)
{
	struct sftp *s = st->priv;

	sftp_session_cleanup(&s->c);
	free(s->dir);
	free(s->active);
}

static int
sftp_begin(struct storage *st, struct storage_upload *up,
    struct bk_err *err)
{
	struct sftp *s = st->priv;
	struct sftp_upload *u = up->priv;
	char *tmpname;
	int i;

	tmpname = partial_name(up->name);
	u->tmp = remote_path(s, tmpname);
	u->dst = remote_path(s, up->name);
	for (i = 0;;) {
		if (sftp_session_connect(&s->c, err) == 0 && ensure_dir(s, err) == 0) {
			u->h = libssh2_sftp_open_ex(s->c.sftp, u->tmp,
			    (unsigned int)strlen(u->tmp), LIBSSH2_FXF_WRITE |
			    LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600,
			    LIBSSH2_SFTP_OPENFILE);
			if (u->h != NULL)
				break;
			sftp_session_fail(&s->c, err, "cannot create", u->tmp);
		}
		if (!sftp_retry_wait(err, &i))
			goto fail;
	}
	free(s->active);
	s->active = tmpname;
	u->buf = xmalloc(WBUF_SIZE);
	return 0;
fail:
	free(tmpname);
	free(u->tmp);
	free(u->dst);
	return -1;
}

/* Hand the whole buffer to libssh2 at once: it pipelines the requests. */
static int
flush_buf(struct storage_upload *up, struct bk_err *err)
{
	struct sftp_upload *u = up->priv;
	struct sftp *s = up->st->priv;
	size_t off = 0;
	ssize_t w;

	while (off < u->len) {
		w = libssh2_sftp_write(u->h, (const char *)u->buf + off,
		    u->len - off);
		if (w < 0)
			return sftp_session_fail(&s->c, err, "cannot write", u->tmp);
		off += (size_t)w;
	}
	u->len = 0;
	return 0;
}

static int
sftp_write(struct storage_upload *up, const void *p, size_t n,
    struct bk_err *err)
{
	struct sftp_upload *u = up->priv;
	const unsigned char *c = p;
	size_t k;

	while (n > 0) {
		k = WBUF_SIZE - u->len;
		if (k > n)
			k = n;
		memcpy(u->buf + u->len, c, k);
		u->len += k;
		c += k;
		n -= k;
		if (u->len == WBUF_SIZE && flush_buf(up, err) == -1)
			return -1;
	}
	return 0;
}

static void
upload_free(struct storage_upload *up)
{
	struct sftp_upload *u = up->priv;
	struct sftp *s = up->st->priv;

	free(s->active);
	s->active = NULL;
	free(u->buf);
	free(u->tmp);
	free(u->dst);
}

static void
sftp_abort(struct storage_upload *up)
{
	struct sftp_upload *u = up->priv;
	struct sftp *s = up->st->priv;

	if (u->h != NULL && s->c.sftp != NULL)
		libssh2_sftp_close_handle(u->h);
	if (s->c.sftp != NULL)
		(void)libssh2_sftp_unlink(s->c.sftp, u->tmp);
	upload_free(up);
}

/*
 * Rename into place.  libssh2 1.10 lacks posix-rename@openssh.com; the
 * SFTP v3 rename of OpenSSH refuses an existing target, so a target that
 * exists (a retry of the same name) is removed first.  Later libssh2 has
 * the atomic posix rename; use it when built against one.
 */
static int
rename_into_place(struct sftp *s, struct sftp_upload *u, struct bk_err *err)
{
	unsigned int tl = (unsigned int)strlen(u->tmp);
	unsigned int dl = (unsigned int)strlen(u->dst);
	LIBSSH2_SFTP_ATTRIBUTES a;

#if LIBSSH2_VERSION_NUM >= 0x010b01
	if (libssh2_sftp_posix_rename_ex(s->c.sftp, u->tmp, tl, u->dst,
	    dl) == 0)
		return 0;
#endif
	if (libssh2_sftp_rename_ex(s->c.sftp, u->tmp, tl, u->dst, dl,
	    LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
	    LIBSSH2_SFTP_RENAME_NATIVE) == 0)
		return 0;
	if (s->c.sftp != NULL &&
	    libssh2_sftp_lstat(s->c.sftp, u->dst, &a) == 0 &&
	    libssh2_sftp_unlink(s->c.sftp, u->dst) == 0 &&
	    libssh2_sftp_rename_ex(s->c.sftp, u->tmp, tl, u->dst, dl,
	    LIBSSH2_SFTP_RENAME_NATIVE) == 0)
		return 0;
	return sftp_session_fail(&s->c, err, "cannot rename into place", u->dst);
}

static int
sftp_commit(struct storage_upload *up, struct bk_err *err)
{
	struct sftp_upload *u = up->priv;
	struct sftp *s = up->st->priv;
	LIBSSH2_SFTP_ATTRIBUTES a;
	int rc;

	if (flush_buf(up, err) == -1)
		goto fail;
	(void)libssh2_sftp_fsync(u->h);		/* fsync@openssh.com */
	rc = libssh2_sftp_close_handle(u->h);
	u->h = NULL;
	if (rc != 0) {
		sftp_session_fail(&s->c, err, "cannot finish", u->tmp);
		goto fail;
	}
	/* The server's view of the size must be what we sent. */
	if (libssh2_sftp_stat(s->c.sftp, u->tmp, &a) != 0) {
		sftp_session_fail(&s->c, err, "cannot check", u->tmp);
		goto fail;
	}
	if ((a.flags & LIBSSH2_SFTP_ATTR_SIZE) && a.filesize != up->bytes) {
		bk_err_set(err, BK_EIO, "%s:%d: %s: the server has %llu "
		    "bytes, %llu were sent", s->c.host, s->c.port, u->tmp,
		    (unsigned long long)a.filesize,
		    (unsigned long long)up->bytes);
		goto fail;
	}
	if (rename_into_place(s, u, err) == -1)
		goto fail;
	upload_free(up);
	return 0;
fail:
	sftp_abort(up);
	return -1;
}

/*
 * Walk the remote folder.  partials: report only ".partial" files (for
 * cleanup) instead of only the others.  A missing folder is empty.
 */
static int
walk(struct sftp *s, bool partials, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	LIBSSH2_SFTP_HANDLE *d;
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct storage_obj obj;
	char name[512];
	int n, rc = 0, i;

	for (i = 0;;) {
		if (sftp_session_connect(&s->c, err) == 0) {
			d = libssh2_sftp_open_ex(s->c.sftp, s->dir,
			    (unsigned int)strlen(s->dir), 0, 0,
			    LIBSSH2_SFTP_OPENDIR);
			if (d != NULL)
				break;
			sftp_session_fail(&s->c, err, "cannot list", s->dir);
			if (err->code == BK_ENOENT) {
				bk_err_clear(err);	/* not a failure */
				return 0;
			}
		}
		if (!sftp_retry_wait(err, &i))
			return -1;
	}
	for (;;) {
		n = libssh2_sftp_readdir_ex(d, name, sizeof(name), NULL, 0,
		    &a);
		if (n == 0)
			break;
		if (n < 0) {
			rc = sftp_session_fail(&s->c, err, "cannot list", s->dir);
			break;
		}
		if (name[0] == '.' && (name[1] == '\0' ||
		    (name[1] == '.' && name[2] == '\0')))
			continue;
		if (!(a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) ||
		    !LIBSSH2_SFTP_S_ISREG(a.permissions))
			continue;
		if (partial_is(name) != partials)
			continue;
		obj.name = name;
		obj.size = (a.flags & LIBSSH2_SFTP_ATTR_SIZE) ? a.filesize : 0;
		obj.mtime = (a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) ?
		    (time_t)a.mtime : 0;
		if ((rc = fn(&obj, arg)) != 0)
			break;
	}
	if (s->c.sftp != NULL)
		libssh2_sftp_closedir(d);
	return rc;
}

static int
sftp_list(struct storage *st, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	return walk(st->priv, false, fn, arg, err);
}

static int
sftp_remove(struct storage *st, const char *name, struct bk_err *err)
{
	struct sftp *s = st->priv;
	char *p = remote_path(s, name);
	int i, rc = -1;

	for (i = 0;;) {
		if (sftp_session_connect(&s->c, err) == 0) {
			if (libssh2_sftp_unlink(s->c.sftp, p) == 0) {
				rc = 0;
				break;
			}
			sftp_session_fail(&s->c, err, "cannot delete", p);
		}
		if (!sftp_retry_wait(err, &i))
			break;
	}
	free(p);
	return rc;
}

/* Bytes [off, off + len): the read starts where the handle was seeked to,
 * so only the range crosses the wire. */
static int
sftp_download(struct storage *st, const char *name, uint64_t off,
    uint64_t len, storage_sink_fn *fn, void *arg, struct bk_err *err)
{
	struct sftp *s = st->priv;
	LIBSSH2_SFTP_HANDLE *h = NULL;
	char *p = remote_path(s, name), *buf = NULL;
	size_t want;
	ssize_t n;
	int i, rc = -1;

	for (i = 0;;) {
		if (sftp_session_connect(&s->c, err) == 0) {
			h = libssh2_sftp_open_ex(s->c.sftp, p,
			    (unsigned int)strlen(p), LIBSSH2_FXF_READ, 0,
			    LIBSSH2_SFTP_OPENFILE);
			if (h != NULL)
				break;
			sftp_session_fail(&s->c, err, "cannot read", p);
		}
		if (!sftp_retry_wait(err, &i))
			goto out;
	}
	libssh2_sftp_seek64(h, off);
	buf = xmalloc(RBUF_SIZE);
	while (len > 0) {
		want = len < RBUF_SIZE ? (size_t)len : RBUF_SIZE;
		n = libssh2_sftp_read(h, buf, want);
		if (n == 0)
			break;
		if (n < 0) {
			sftp_session_fail(&s->c, err, "cannot read", p);
			goto out;
		}
		if (fn(buf, (size_t)n, arg, err) == -1)
			goto out;
		if (len != STORAGE_TO_END)
			len -= (uint64_t)n;
	}
	rc = 0;
out:
	if (h != NULL && s->c.sftp != NULL)
		libssh2_sftp_close_handle(h);
	free(buf);
	free(p);
	return rc;
}

static int
sftp_stat(struct storage *st, const char *name, struct storage_obj *o,
    struct bk_err *err)
{
	struct sftp *s = st->priv;
	LIBSSH2_SFTP_ATTRIBUTES at;
	char *p = remote_path(s, name);
	int i, rc = -1;

	for (i = 0;;) {
		if (sftp_session_connect(&s->c, err) == 0) {
			if (libssh2_sftp_stat_ex(s->c.sftp, p,
			    (unsigned int)strlen(p), LIBSSH2_SFTP_STAT,
			    &at) == 0) {
				o->size = at.flags & LIBSSH2_SFTP_ATTR_SIZE ?
				    at.filesize : 0;
				o->mtime = at.flags &
				    LIBSSH2_SFTP_ATTR_ACMODTIME ?
				    (time_t)at.mtime : 0;
				rc = 0;
				break;
			}
			sftp_session_fail(&s->c, err, "cannot stat", p);
		}
		if (!sftp_retry_wait(err, &i))
			break;
	}
	free(p);
	return rc;
}

/* Remove ".partial" files that no upload of this handle is writing. */
static int
sftp_cleanup(struct storage *st, struct bk_err *err)
{
	struct sftp *s = st->priv;
	struct partial_sweep w = { .active = s->active };
	size_t i;
	char *p;
	int rc;

	rc = walk(s, true, partial_collect, &w, err);
	for (i = 0; rc == 0 && i < w.n && s->c.sftp != NULL; i++) {
		p = remote_path(s, w.names[i]);
		(void)libssh2_sftp_unlink(s->c.sftp, p);
		free(p);
	}
	partial_sweep_free(&w);
	return rc;
}

/* storage.c frees only priv when open fails: release the rest here. */
static int
sftp_open(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	if (sftp_open_settings(st, cfg, err) == 0)
		return 0;
	sftp_close(st);
	return -1;
}

const struct storage_backend storage_backend_sftp = {
	.name = "sftp",
	.enable_key = "SSH_HOST_NAME",
	.priv_size = sizeof(struct sftp),
	.upload_size = sizeof(struct sftp_upload),
	.open = sftp_open,
	.close = sftp_close,
	.begin = sftp_begin,
	.write = sftp_write,
	.commit = sftp_commit,
	.abort = sftp_abort,
	.list = sftp_list,
	.remove = sftp_remove,
	.download = sftp_download,
	.stat = sftp_stat,
	.cleanup = sftp_cleanup,
};
