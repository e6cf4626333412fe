/*
 * tarw.c - walking source trees into a pax archive.
 *
 * The walk uses directory file descriptors (openat, O_NOFOLLOW) so a
 * symlink planted anywhere in a tree is stored as a link and never
 * followed, and a directory swapped for a link mid-walk is not entered.
 * A regular file is stored with the size it had when opened (GNU tar's
 * rule): a file that grows is cut there, one that shrinks is padded with
 * zeros and counted as a warning.  A file that vanishes or cannot be read
 * is skipped with a warning; the backup goes on.
 *
 * Output is unblocked (bytes_per_block 0): every header and data chunk
 * reaches the pipeline (or the sink) when written, so a tar stream made by
 * another tarw (a reader process with the user's privileges, privsep.c)
 * can be spliced in with tarw_write_raw() between two entries.
 *
 * Names: the programs never call setlocale, so the C locale's ASCII is
 * the charset libarchive converts names from, and every non-ASCII name
 * failed that conversion and was stored as raw bytes under a pax
 * hdrcharset=BINARY header, which GNU tar warns about on every listing.
 * Headers are therefore written in C.UTF-8 (uselocale, this thread only,
 * for the one call): a valid UTF-8 name becomes a plain pax path, and
 * only a name that is not UTF-8 still gets the BINARY header.
 *
 * Threads: the caller's (the job's producer thread).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <locale.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "err.h"
#include "exclude.h"
#include "log.h"
#include "pipeline.h"
#include "tarw.h"
#include "xmalloc.h"
#include "yield.h"

#define READ_CHUNK	(256 * 1024)

struct link_seen {
	dev_t		 dev;
	ino_t		 ino;
	char		*member;
};

struct tarw {
	struct archive		*a;
	struct pipeline		*p;
	tarw_sink_fn		*sink;		/* instead of p */
	void			*sink_arg;
	struct bk_err		 werr;		/* why the last write failed */
	struct tarw_stats	 stats;
	char			*buf;
	struct link_seen	*links;
	size_t			 nlinks;
	tarw_tick_fn		*tick;
	void			*tick_arg;
	time_t			 last_tick;
	volatile int		*cancel;
	uint64_t		 written;	/* tar bytes out */
	uint64_t		 limit;		/* 0: none */
	const char		*limit_name;
	struct exclude		*ex;
	const struct chain_state *chain_prev;	/* see tarw_set_chain */
	struct chain_state	*chain_seen;
	struct buf		 full;		/* full source path, for ex */
	bool			 have_uid, have_gid;
	bool			 root_dirs_only;	/* see tarw_set_root_dirs_only */
	uid_t			 uid;
	gid_t			 gid;
	char			 uname[64];
	char			 gname[64];
};

/* MAX_BACKUP_SIZE: refuse the write that would pass the cap, before any
 * of it reaches the pipeline, so the job fails while nothing is
 * committed anywhere. */
static int
over_limit(struct tarw *t, size_t len)
{
	if (t->limit == 0 || t->written + len <= t->limit) {
		t->written += len;
		return 0;
	}
	bk_err_set(&t->werr, BK_EFAIL, "%s: the backup is larger than the "
	    "administrator's limit of %llu bytes; stopped", t->limit_name,
	    (unsigned long long)t->limit);
	t->werr.retryable = false;
	return -1;
}

static la_ssize_t
tarw_cb_write(struct archive *a, void *arg, const void *data, size_t len)
{
	struct tarw *t = arg;

	(void)a;
	if (over_limit(t, len) == -1)
		return -1;
	if (t->sink != NULL) {
		if (t->sink(data, len, t->sink_arg) == -1)
			return bk_err_set(&t->werr, BK_EIO, "tar: output "
			    "closed");
		return (la_ssize_t)len;
	}
	if (pipeline_write(t->p, data, len, &t->werr) == -1)
		return -1;
	return (la_ssize_t)len;
}

static struct tarw *
tarw_open(struct pipeline *p, tarw_sink_fn *sink, void *sink_arg,
    struct bk_err *err)
{
	struct tarw *t = xcalloc(1, sizeof(*t));

	t->p = p;
	t->sink = sink;
	t->sink_arg = sink_arg;
	t->buf = xmalloc(READ_CHUNK);
	buf_init(&t->full, 64 * 1024);
	t->a = archive_write_new();
	if (t->a == NULL ||
	    archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(t->a, 0) != ARCHIVE_OK ||
	    archive_write_open2(t->a, t, NULL, tarw_cb_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		bk_err_set(err, BK_EFAIL, "tar: cannot start the archive");
		tarw_free(t);
		return NULL;
	}
	return t;
}

struct tarw *
tarw_new(struct pipeline *p, struct bk_err *err)
{
	return tarw_open(p, NULL, NULL, err);
}

struct tarw *
tarw_new_sink(tarw_sink_fn *sink, void *arg, struct bk_err *err)
{
	return tarw_open(NULL, sink, arg, err);
}

void
tarw_set_tick(struct tarw *t, tarw_tick_fn *fn, void *arg)
{
	t->tick = fn;
	t->tick_arg = arg;
}

void
tarw_set_cancel(struct tarw *t, volatile int *cancel)
{
	t->cancel = cancel;
}

void
tarw_set_limit(struct tarw *t, uint64_t max_bytes, const char *setting)
{
	t->limit = max_bytes;
	t->limit_name = setting;
}

const struct tarw_stats *
tarw_stats(const struct tarw *t)
{
	return &t->stats;
}

/* The archive failed: the pipeline's error says why if it has one. */
static int
arch_err(struct tarw *t, struct bk_err *err, const char *member)
{
	if (t->werr.code != BK_OK) {
		*err = t->werr;
		return -1;
	}
	return bk_err_set(err, BK_EFAIL, "tar: %s: %s", member,
	    archive_error_string(t->a));
}

static int
check_cancel(struct tarw *t, struct bk_err *err)
{
	time_t now;

	if (t->cancel != NULL && *t->cancel)
		return bk_err_set(err, BK_ECANCELED, "backup cancelled");
	if (t->p != NULL && pipeline_failed(t->p)) {
		/* A later stage failed: stop reading; the caller gets the
		 * pipeline's error from pipeline_finish(). */
		return bk_err_set(err, BK_ECANCELED, "pipeline failed");
	}
	if (t->tick != NULL && (now = time(NULL)) != t->last_tick) {
		t->last_tick = now;
		t->tick(&t->stats, t->tick_arg);
	}
	return 0;
}

/* Owner names, looked up once per id: a tree has few owners, and NSS
 * lookups per file would cost more than reading small files. */
static void
set_owner(struct tarw *t, struct archive_entry *e, const struct stat *sb)
{
	struct passwd *pw;
	struct group *gr;

	archive_entry_set_uid(e, sb->st_uid);
	archive_entry_set_gid(e, sb->st_gid);
	if (!t->have_uid || t->uid != sb->st_uid) {
		t->have_uid = true;
		t->uid = sb->st_uid;
		pw = getpwuid(sb->st_uid);
		snprintf(t->uname, sizeof(t->uname), "%s",
		    pw != NULL ? pw->pw_name : "");
	}
	if (!t->have_gid || t->gid != sb->st_gid) {
		t->have_gid = true;
		t->gid = sb->st_gid;
		gr = getgrgid(sb->st_gid);
		snprintf(t->gname, sizeof(t->gname), "%s",
		    gr != NULL ? gr->gr_name : "");
	}
	if (t->uname[0] != '\0')
		archive_entry_set_uname(e, t->uname);
	if (t->gname[0] != '\0')
		archive_entry_set_gname(e, t->gname);
}

/* Whole-second mtimes, as GNU tar stores them: sub-second times would
 * cost a pax extended header (1 KiB) per file. */
static struct archive_entry *
entry_for(struct tarw *t, const char *member, const struct stat *sb)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, member);
	archive_entry_set_mode(e, sb->st_mode);
	archive_entry_set_mtime(e, sb->st_mtim.tv_sec, 0);
	set_owner(t, e, sb);
	return e;
}

/*
 * A name that is not valid UTF-8 (invalid bytes on disk) makes
 * libarchive store that entry's name as raw bytes with a pax
 * hdrcharset=BINARY header and return ARCHIVE_WARN: the file is archived,
 * so that is success.  (Setting hdrcharset=BINARY for the whole archive
 * would cost a pax header on every entry.)
 */
static int
write_header(struct tarw *t, struct archive_entry *e)
{
	locale_t old = uselocale(tarw_utf8_locale());
	int rc = archive_write_header(t->a, e);

	uselocale(old);
	return rc < ARCHIVE_WARN ? -1 : 0;
}

static pthread_once_t	utf8_once = PTHREAD_ONCE_INIT;
static locale_t		utf8_locale;

static void
utf8_locale_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* (locale_t)0 when the system has no C.UTF-8: uselocale() of that
 * changes nothing, and names are written as before. */
locale_t
tarw_utf8_locale(void)
{
	pthread_once(&utf8_once, utf8_locale_init);
	return utf8_locale;
}

/* Copy exactly size bytes of fd into the open entry. */
static int
copy_data(struct tarw *t, int fd, uint64_t size, const char *member,
    struct bk_err *err)
{
	uint64_t left = size;
	size_t want;
	ssize_t n;
	bool short_read = false;

	while (left > 0) {
		want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
		n = short_read ? 0 : read(fd, t->buf, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n > 0)
			yield_pace_read((size_t)n);	/* JOB_READ_LIMIT_KBPS */
		if (n <= 0) {
			/* Shrank (or an I/O error mid-file): pad with zeros
			 * so the archive stays well-formed. */
			if (!short_read) {
				log_kv(LOG_WARN, "file changed while read; "
				    "padded with zeros", "member", member,
				    (char *)NULL);
				t->stats.warnings++;
				short_read = true;
			}
			memset(t->buf, 0, want);
			n = (ssize_t)want;
		}
		if (archive_write_data(t->a, t->buf, (size_t)n) != n)
			return arch_err(t, err, member);
		left -= (uint64_t)n;
		if (!short_read)
			t->stats.bytes += (uint64_t)n;
		if (check_cancel(t, err) == -1)
			return -1;
	}
	return 0;
}

int
tarw_add_fd(struct tarw *t, const char *member, int fd, uint64_t size,
    mode_t mode, time_t mtime, struct bk_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = -1;

	archive_entry_set_pathname(e, member);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, mode & 07777);
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_size(e, (la_int64_t)size);
	if (write_header(t, e) == -1) {
		arch_err(t, err, member);
		goto out;
	}
	if (copy_data(t, fd, size, member, err) == -1)
		goto out;
	t->stats.files++;
	rc = 0;
out:
	archive_entry_free(e);
	return rc;
}

/* A hard-linked file seen before: its first member name, or NULL. */
static const char *
link_target(struct tarw *t, const struct stat *sb, const char *member)
{
	size_t i;

	if (sb->st_nlink < 2)
		return NULL;
	for (i = 0; i < t->nlinks; i++)
		if (t->links[i].dev == sb->st_dev &&
		    t->links[i].ino == sb->st_ino)
			return t->links[i].member;
	t->links = xreallocarray(t->links, t->nlinks + 1, sizeof(*t->links));
	t->links[t->nlinks].dev = sb->st_dev;
	t->links[t->nlinks].ino = sb->st_ino;
	t->links[t->nlinks].member = xstrdup(member);
	t->nlinks++;
	return NULL;
}

static void
warn_skip(struct tarw *t, const char *what, const char *path)
{
	log_kv(LOG_WARN, what, "path", path, "error", strerror(errno),
	    (char *)NULL);
	t->stats.warnings++;
}

/*
 * Open a file to archive without touching its access time where we may
 * (the owner, or CAP_FOWNER): a backup is not a read by the user, and the
 * atime write per file is measurable on trees of small files.  Only the
 * producer thread of one process calls it.
 */
static int
open_noatime(int dirfd, const char *name)
{
	static bool noatime_ok = true;
	int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK, fd;

	if (noatime_ok) {
		fd = openat(dirfd, name, flags | O_NOATIME);
		if (fd != -1 || errno != EPERM)
			return fd;
		noatime_ok = false;	/* not the owner: stop trying */
	}
	return openat(dirfd, name, flags);
}

/*
 * Sparse files: a file with fewer blocks than its size has holes.  Its
 * data regions (SEEK_DATA/SEEK_HOLE, at open) become the entry's sparse
 * map; libarchive's pax writer then stores a GNU sparse 1.0 member (the
 * map, then only the data), which GNU tar and bsdtar restore with the
 * holes.  A 3 GiB file of holes is a few KiB in the archive, not 3 GiB.
 * Returns true when e got a map.
 */
static bool
sparse_map(int fd, const struct stat *sb, struct archive_entry *e)
{
	off_t size = sb->st_size, data, hole = 0;
	bool any = false;

	if (size < 64 * 1024 || (off_t)sb->st_blocks * 512 >= size)
		return false;
	while (hole < size) {
		if ((data = lseek(fd, hole, SEEK_DATA)) == -1)
			break;		/* ENXIO: only a hole is left */
		if ((hole = lseek(fd, data, SEEK_HOLE)) == -1 || hole > size)
			hole = size;
		archive_entry_sparse_add_entry(e, data, hole - data);
		any = true;
	}
	if (!any)		/* all hole: one zero byte keeps the size */
		archive_entry_sparse_add_entry(e, size - 1, 1);
	return lseek(fd, 0, SEEK_SET) == 0;
}

/* Feed a sparse entry: the holes as zeros (the writer skips them, they
 * cost no output), the data regions read from fd. */
static int
copy_sparse(struct tarw *t, int fd, struct archive_entry *e, uint64_t size,
    const char *member, struct bk_err *err)
{
	static const char zeros[64 * 1024];
	la_int64_t off, len;
	uint64_t pos = 0, want;

	archive_entry_sparse_reset(e);
	for (;;) {
		if (archive_entry_sparse_next(e, &off, &len) != ARCHIVE_OK) {
			off = (la_int64_t)size;
			len = 0;
		}
		while (pos < (uint64_t)off) {	/* a hole */
			want = (uint64_t)off - pos < sizeof(zeros) ?
			    (uint64_t)off - pos : sizeof(zeros);
			if (archive_write_data(t->a, zeros, (size_t)want) !=
			    (la_ssize_t)want)
				return arch_err(t, err, member);
			pos += want;
		}
		if (len == 0)
			break;
		if (lseek(fd, off, SEEK_SET) == -1)
			return bk_err_sys(err, BK_EIO, "%s", t->full.data);
		if (copy_data(t, fd, (uint64_t)len, member, err) == -1)
			return -1;
		pos += (uint64_t)len;
	}
	return check_cancel(t, err);
}

static int add_dir(struct tarw *, int, const char *, struct bk_err *);

/* Read as root with no account to switch to, a folder a user owns or may
 * write could hold a hard link to any file on the file system (or gain
 * one while it is read): the job fails instead of trusting it. */
static int
untrusted_dir(struct tarw *t, const struct stat *sb, struct bk_err *err)
{
	if (!t->root_dirs_only || (sb->st_uid == 0 &&
	    (sb->st_mode & (S_IWGRP | S_IWOTH)) == 0))
		return 0;
	err->retryable = false;
	return bk_err_set(err, BK_ECONFIG, "%s: the folder is owned by uid "
	    "%u or writable by others, and there is no system account to "
	    "read it as (USER_ACCOUNTS)", t->full.data, (unsigned)sb->st_uid);
}

void
tarw_set_root_dirs_only(struct tarw *t, bool on)
{
	t->root_dirs_only = on;
}

/* One directory entry: name in the directory dirfd, member its name in
 * the archive; t->full holds its full source path. */
void
tarw_set_chain(struct tarw *t, const struct chain_state *prev,
    struct chain_state *seen)
{
	t->chain_prev = prev;
	t->chain_seen = seen;
}

bool
tarw_chain_dump(struct tarw *t, const struct chain_entry *e,
    const char *sha256)
{
	const char *was;

	if (t->chain_seen == NULL)
		return false;
	chain_state_add(t->chain_seen, e);
	chain_state_add_dump(t->chain_seen, e->path, sha256);
	was = chain_state_dump_sha(t->chain_prev, e->path);
	return was != NULL && strcmp(was, sha256) == 0;
}

/* Record member; true when an incremental leaves it out (unchanged). */
bool
tarw_chain_skip(struct tarw *t, const char *member, const struct stat *sb)
{
	struct chain_entry ce;

	if (t->chain_seen == NULL && t->chain_prev == NULL)
		return false;
	chain_entry_from_stat(&ce, member, sb);
	if (t->chain_seen != NULL)
		chain_state_add(t->chain_seen, &ce);
	return t->chain_prev != NULL && ce.type != 'd' &&
	    !chain_changed(t->chain_prev, &ce);
}

static int
add_entry(struct tarw *t, int dirfd, const char *name, const char *member,
    struct bk_err *err)
{
	struct archive_entry *e = NULL;
	const char *target;
	struct stat sb;
	char lnk[4096];
	ssize_t n;
	int fd = -1, rc = -1;
	bool sparse = false;

	if (t->ex != NULL && exclude_match(t->ex, t->full.data, t->full.len))
		return 0;
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		warn_skip(t, "file vanished; skipped", t->full.data);
		return 0;
	}
	if (S_ISDIR(sb.st_mode)) {
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd == -1) {
			warn_skip(t, "folder unreadable; skipped",
			    t->full.data);
			return 0;
		}
		if (fstat(fd, &sb) == -1 || untrusted_dir(t, &sb, err) == -1) {
			if (err->code == BK_OK)
				bk_err_sys(err, BK_EIO, "%s", t->full.data);
			goto out;
		}
		(void)tarw_chain_skip(t, member, &sb);
		e = entry_for(t, member, &sb);
		if (write_header(t, e) == -1) {
			arch_err(t, err, member);
			goto out;
		}
		t->stats.files++;
		rc = add_dir(t, fd, member, err);
		fd = -1;	/* add_dir closed it */
		goto out;
	}
	if (S_ISLNK(sb.st_mode)) {
		n = readlinkat(dirfd, name, lnk, sizeof(lnk) - 1);
		if (n == -1) {
			warn_skip(t, "link unreadable; skipped", t->full.data);
			return 0;
		}
		lnk[n] = '\0';
		if (tarw_chain_skip(t, member, &sb))
			return 0;
		e = entry_for(t, member, &sb);
		archive_entry_set_symlink(e, lnk);
		archive_entry_set_size(e, 0);
	} else if (S_ISREG(sb.st_mode)) {
		fd = open_noatime(dirfd, name);
		if (fd == -1) {
			warn_skip(t, errno == ENOENT ? "file vanished; "
			    "skipped" : "file unreadable; skipped",
			    t->full.data);
			return 0;
		}
		/* The size at open is the size stored. */
		if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			warn_skip(t, "file changed type; skipped",
			    t->full.data);
			rc = 0;
			goto out;
		}
		if (tarw_chain_skip(t, member, &sb)) {
			(void)link_target(t, &sb, member);
			rc = 0;
			goto out;
		}
		e = entry_for(t, member, &sb);
		if ((target = link_target(t, &sb, member)) != NULL) {
			archive_entry_set_hardlink(e, target);
			archive_entry_set_size(e, 0);
			close(fd);
			fd = -1;
		} else {
			archive_entry_set_size(e, sb.st_size);
			sparse = sparse_map(fd, &sb, e);
		}
	} else if (S_ISFIFO(sb.st_mode) || S_ISCHR(sb.st_mode) ||
	    S_ISBLK(sb.st_mode)) {
		if (tarw_chain_skip(t, member, &sb))
			return 0;
		e = entry_for(t, member, &sb);
		archive_entry_set_rdev(e, sb.st_rdev);
		archive_entry_set_size(e, 0);
	} else
		return 0;	/* sockets cannot be archived */
	if (write_header(t, e) == -1) {
		arch_err(t, err, member);
		goto out;
	}
	t->stats.files++;
	if (fd != -1 && sparse) {
		if (copy_sparse(t, fd, e, (uint64_t)sb.st_size, member, err)
		    == -1)
			goto out;
	} else if (fd != -1 && copy_data(t, fd, (uint64_t)sb.st_size, member,
	    err) == -1)
		goto out;
	rc = check_cancel(t, err);
out:
	if (fd != -1)
		close(fd);
	archive_entry_free(e);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Archive the entries of the directory fd (closed here) below member.
 * Names are sorted so two runs over the same tree give the same tar. */
static int
add_dir(struct tarw *t, int fd, const char *member, struct bk_err *err)
{
	struct dirent *de;
	char **names = NULL, *child = NULL;
	size_t n = 0, i, fulllen = t->full.len;
	DIR *d;
	int rc = 0;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		warn_skip(t, "folder unreadable; skipped", t->full.data);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n && rc == 0; i++) {
		t->full.len = fulllen;
		t->full.data[fulllen] = '\0';
		if (buf_printf(&t->full, "/%s", names[i]) == -1) {
			warn_skip(t, "path too long; skipped", t->full.data);
			continue;
		}
		xasprintf(&child, "%s/%s", member, names[i]);
		rc = add_entry(t, dirfd(d), names[i], child, err);
		free(child);
	}
	t->full.len = fulllen;
	if (t->full.data != NULL)
		t->full.data[fulllen] = '\0';
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int
tarw_add_tree(struct tarw *t, const char *root, const char *prefix,
    struct exclude *ex, struct bk_err *err)
{
	struct archive_entry *e;
	struct stat sb;
	int fd;

	/* A source root swapped for a symlink is not followed. */
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return bk_err_sys(err, errno == ENOENT ? BK_ENOENT : BK_EIO,
		    "source folder %s", root);
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return bk_err_sys(err, BK_EIO, "source folder %s", root);
	}
	t->ex = ex;
	buf_reset(&t->full);
	buf_puts(&t->full, root);
	while (t->full.len > 1 && t->full.data[t->full.len - 1] == '/')
		t->full.data[--t->full.len] = '\0';
	if (untrusted_dir(t, &sb, err) == -1) {
		close(fd);
		return -1;
	}
	(void)tarw_chain_skip(t, prefix, &sb);
	e = entry_for(t, prefix, &sb);
	if (write_header(t, e) == -1) {
		archive_entry_free(e);
		close(fd);
		return arch_err(t, err, prefix);
	}
	archive_entry_free(e);
	t->stats.files++;
	return add_dir(t, fd, prefix, err);
}

int
tarw_flush(struct tarw *t, struct bk_err *err)
{
	/* The last entry's padding is written when the entry ends. */
	if (archive_write_finish_entry(t->a) < ARCHIVE_WARN)
		return arch_err(t, err, "end of entry");
	return 0;
}

int
tarw_write_raw(struct tarw *t, const void *data, size_t len,
    struct bk_err *err)
{
	if (len > 0) {
		if (tarw_flush(t, err) == -1)
			return -1;
		if (tarw_cb_write(t->a, t, data, len) == -1) {
			*err = t->werr;
			return -1;
		}
	}
	return check_cancel(t, err);
}

void
tarw_set_stats(struct tarw *t, const struct tarw_stats *s)
{
	t->stats = *s;
}

int
tarw_close(struct tarw *t, struct bk_err *err)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		return arch_err(t, err, "end of archive");
	return 0;
}

void
tarw_free(struct tarw *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->a != NULL)
		archive_write_free(t->a);
	for (i = 0; i < t->nlinks; i++)
		free(t->links[i].member);
	free(t->links);
	free(t->buf);
	buf_free(&t->full);
	free(t);
}
