/*
 * storage_local.c - a local folder destination (BACKUP_ARCHIVE).
 *
 * An upload is written to ".NAME.partial" in the destination folder,
 * holding an exclusive flock for its whole life; commit fsyncs the file,
 * renames it into place and fsyncs the folder, so after a crash a backup
 * is either complete under its name or absent.  cleanup() removes partial
 * files whose lock nobody holds any more: their writer is dead.
 *
 * The folder is BACKUP_ARCHIVE under the admin's ARCHIVE_ROOT, and every
 * path operation goes through privsep/localdir.c, which works there as
 * root only where root alone controls the folder, and as the user
 * otherwise (see there).  This file only ever holds descriptors: the
 * writes, fsyncs and reads of a backup's bytes need no privilege.
 *
 * Threads: no state shared between handles.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "localdir.h"
#include "partial.h"
#include "path.h"
#include "settings.h"
#include "storage_int.h"
#include "xmalloc.h"

struct local {
	struct localdir	*ld;
	const char	*dir;		/* localdir_path(ld), for messages */
};

/* Start writeback every so many bytes, so the fsync at commit finds
 * little left to write and the disk works while we compress. */
#define WRITEBACK_EVERY	(8 * 1024 * 1024)

struct local_upload {
	int		 fd;
	char		*tmp;		/* ".NAME.partial", relative to dirfd */
	uint64_t	 written;
	uint64_t	 flushed;	/* writeback started up to here */
};

static int
local_open(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	struct local *l = st->priv;
	const char *dir = settings_get(cfg->user, "BACKUP_ARCHIVE");

	if (dir == NULL || *dir == '\0')
		return bk_err_set(err, BK_ECONFIG, "BACKUP_ARCHIVE: not set");
	if (localdir_open(cfg->admin, cfg->user_name, dir, &l->ld, err) == -1)
		return -1;
	l->dir = localdir_path(l->ld);
	storage_set_location(st, "local:%s", l->dir);
	return 0;
}

static void
local_close(struct storage *st)
{
	struct local *l = st->priv;

	localdir_close(l->ld);
}

static int
local_begin(struct storage *st, struct storage_upload *up,
    struct bk_err *err)
{
	struct local *l = st->priv;
	struct local_upload *lu = up->priv;

	xasprintf(&lu->tmp, ".%s" PARTIAL_SUFFIX, up->name);
	/* O_TRUNC is safe: the lock below fails if a live writer has it. */
	if ((lu->fd = localdir_create(l->ld, lu->tmp, err)) == -1)
		goto fail;
	if (flock(lu->fd, LOCK_EX | LOCK_NB) == -1) {
		bk_err_set(err, BK_EEXIST, "%s/%s: another upload of this "
		    "name is running", l->dir, up->name);
		close(lu->fd);
		goto fail;
	}
	if (ftruncate(lu->fd, 0) == -1) {
		bk_err_sys(err, BK_EIO, "%s/%s", l->dir, lu->tmp);
		(void)localdir_unlink(l->ld, lu->tmp, NULL);
		close(lu->fd);
		goto fail;
	}
	return 0;
fail:
	free(lu->tmp);
	return -1;
}

static int
local_write(struct storage_upload *up, const void *p, size_t n,
    struct bk_err *err)
{
	struct local_upload *lu = up->priv;
	struct local *l = up->st->priv;
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(lu->fd, c, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return bk_err_sys(err, BK_EIO, "%s/%s", l->dir,
			    lu->tmp);
		}
		c += w;
		n -= (size_t)w;
		lu->written += (uint64_t)w;
	}
	if (lu->written - lu->flushed >= WRITEBACK_EVERY) {
		(void)sync_file_range(lu->fd, (off_t)lu->flushed,
		    (off_t)(lu->written - lu->flushed), SYNC_FILE_RANGE_WRITE);
		lu->flushed = lu->written;
	}
	return 0;
}

static void
local_abort(struct storage_upload *up)
{
	struct local_upload *lu = up->priv;
	struct local *l = up->st->priv;

	(void)localdir_unlink(l->ld, lu->tmp, NULL);
	close(lu->fd);
	free(lu->tmp);
}

static int
local_commit(struct storage_upload *up, struct bk_err *err)
{
	struct local_upload *lu = up->priv;
	struct local *l = up->st->priv;

	if (fsync(lu->fd) == -1) {
		bk_err_sys(err, BK_EIO, "%s/%s: fsync", l->dir, lu->tmp);
		goto fail;
	}
	if (localdir_rename(l->ld, lu->tmp, up->name, err) == -1)
		goto fail;
	close(lu->fd);
	free(lu->tmp);
	return 0;
fail:
	local_abort(up);
	return -1;
}

static int
local_list(struct storage *st, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	struct local *l = st->priv;
	struct storage_obj obj;
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int fd, dfd, rc = 0;

	/* Names and sizes only: nothing is opened, so a link planted in a
	 * user's folder shows as what it is and is skipped. */
	if ((fd = localdir_dirfd(l->ld, err)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return bk_err_sys(err, BK_EIO, "%s", l->dir);
	}
	rewinddir(d);	/* a dup of the open folder shares its offset */
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(sb.st_mode))
			continue;
		obj.name = de->d_name;
		obj.size = (uint64_t)sb.st_size;
		obj.mtime = sb.st_mtime;
		if ((rc = fn(&obj, arg)) != 0)
			break;
	}
	closedir(d);
	return rc;
}

static int
local_remove(struct storage *st, const char *name, struct bk_err *err)
{
	struct local *l = st->priv;

	return localdir_unlink(l->ld, name, err);
}

static int
local_download(struct storage *st, const char *name, uint64_t off,
    uint64_t len, storage_sink_fn *fn, void *arg, struct bk_err *err)
{
	struct local *l = st->priv;
	char *buf = NULL;
	size_t want;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = localdir_open_read(l->ld, name, err)) == -1)
		return -1;
	if (off > INT64_MAX || (off > 0 && lseek(fd, (off_t)off, SEEK_SET) ==
	    -1)) {
		bk_err_sys(err, BK_EIO, "%s/%s", l->dir, name);
		close(fd);
		return -1;
	}
	buf = xmalloc(1 << 20);
	while (len > 0) {
		want = len < (1 << 20) ? (size_t)len : (1 << 20);
		n = read(fd, buf, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			bk_err_sys(err, BK_EIO, "%s/%s", l->dir, name);
			goto out;
		}
		if (n == 0)
			break;
		if (fn(buf, (size_t)n, arg, err) == -1)
			goto out;
		if (len != STORAGE_TO_END)
			len -= (uint64_t)n;
	}
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static int
local_stat(struct storage *st, const char *name, struct storage_obj *o,
    struct bk_err *err)
{
	struct local *l = st->priv;
	struct stat sb;
	int fd, rc = 0;

	if ((fd = localdir_open_read(l->ld, name, err)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		rc = bk_err_sys(err, BK_EIO, "%s/%s", l->dir, name);
	else {
		o->size = (uint64_t)sb.st_size;
		o->mtime = sb.st_mtime;
	}
	close(fd);
	return rc;
}

/* Remove ".X.partial" files nobody holds a lock on. */
static int
local_cleanup(struct storage *st, struct bk_err *err)
{
	struct local *l = st->priv;
	struct dirent *de;
	struct bk_err ignored;
	DIR *d;
	int fd;

	if ((fd = localdir_dirfd(l->ld, err)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return bk_err_sys(err, BK_EIO, "%s", l->dir);
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || !partial_is(de->d_name + 1))
			continue;
		if ((fd = localdir_open_read(l->ld, de->d_name, &ignored)) ==
		    -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			(void)localdir_unlink(l->ld, de->d_name, &ignored);
		close(fd);
	}
	closedir(d);
	return 0;
}

const struct storage_backend storage_backend_local = {
	.name = "local",
	.enable_key = "BACKUP_ARCHIVE",
	.priv_size = sizeof(struct local),
	.upload_size = sizeof(struct local_upload),
	.open = local_open,
	.close = local_close,
	.begin = local_begin,
	.write = local_write,
	.commit = local_commit,
	.abort = local_abort,
	.list = local_list,
	.remove = local_remove,
	.download = local_download,
	.stat = local_stat,
	.cleanup = local_cleanup,
};
