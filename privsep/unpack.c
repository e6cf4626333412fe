/*
 * unpack.c - the restore rules: a tar stream's members created under DIR
 * with nothing followed and nothing granted (see extract.c for the why,
 * docs/security.md "Restore and verify" for the rules a user sees).
 *
 * Invariants: every path is created relative to a folder descriptor that
 * was itself opened component by component with O_NOFOLLOW from DIR,
 * and DIR from "/"; no call here follows a symbolic link (mkdirat,
 * openat O_CREAT|O_EXCL|O_NOFOLLOW, symlinkat, linkat without
 * AT_SYMLINK_FOLLOW, fstatat/utimensat AT_SYMLINK_NOFOLLOW).  Modes are
 * masked to 0777; files belong to the process's uid.  What the archive
 * asks for beyond that is skipped or refused, counted and named.
 *
 * Threads: one, in the extraction process (after it became the user).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "err.h"
#include "extract.h"
#include "unpack.h"
#include "unpack_chain.h"
#include "xmalloc.h"

#define READ_BLOCK	(256 * 1024)

struct unpack_fixup {
	char		*path;
	mode_t		 mode;
	struct timespec	 mtime;
};

void
unpack_init(struct unpack *c, const struct extract_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->root = -1;
	c->cfd = -1;
	c->hits = xcalloc(o->nonly + 1, sizeof(*c->hits));
}

/* Names come from the archive: no control characters reach a terminal. */
void
unpack_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Count the entry under *counter and name it (the first few). */
void
unpack_note(struct unpack *c, uint64_t *counter, const char *path,
    const char *fmt, ...)
{
	char why[256], *s;
	va_list ap;

	(*counter)++;
	if (c->nnotes >= EXTRACT_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	xasprintf(&s, "%.4000s: %s", path, why);
	unpack_printable(s);
	c->notes = xreallocarray(c->notes, c->nnotes + 1, sizeof(*c->notes));
	c->notes[c->nnotes++] = s;
}

/*
 * raw -> "a/b/c" in out.  1 ok; 0 the top folder itself ("", "./");
 * -1 refused with *why.
 */
int
unpack_norm_path(const char *raw, char *out, size_t size, const char **why)
{
	const char *p = raw, *end;
	size_t len = 0, n;

	if (*p == '/')
		p++;
	if (*p == '/') {
		*why = "an absolute path";
		return -1;
	}
	while (*p != '\0') {
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			*why = "a \"..\" component";
			return -1;
		}
		if (n > 0 && !(n == 1 && *p == '.')) {
			if (len + n + 2 > size) {
				*why = "a name too long";
				return -1;
			}
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p = *end == '/' ? end + 1 : end;
	}
	out[len] = '\0';
	return len > 0 ? 1 : 0;
}

/* Is path one of --only's (or under one)?  count: it is restored. */
bool
unpack_wanted(struct unpack *c, const char *path, bool count)
{
	const struct extract_opts *o = c->o;
	bool any = false;
	size_t i, n;

	if (o->nonly == 0)
		return true;
	for (i = 0; i < o->nonly; i++) {
		n = strlen(o->only[i]);
		while (n > 0 && o->only[i][n - 1] == '/')
			n--;
		if (strncmp(path, o->only[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/')) {
			if (count)
				c->hits[i]++;
			any = true;
		}
	}
	return any;
}

static size_t
hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Put s (owned by the set) in the table; it has room. */
static void
set_put(struct unpack *c, char *s)
{
	size_t i;

	for (i = hash(s) & (c->setcap - 1); c->set[i] != NULL;
	    i = (i + 1) & (c->setcap - 1))
		;
	c->set[i] = s;
	c->setlen++;
}

static bool set_has(const struct unpack *, const char *);

/* The set of entries this restore made: hard link targets (checked to
 * be regular files), and what a chain may remove again. */
static void
set_add(struct unpack *c, const char *path)
{
	char **old = c->set;
	size_t i, cap = c->setcap;

	if (set_has(c, path))
		return;
	if (2 * (c->setlen + 1) > c->setcap) {
		c->setcap = cap == 0 ? 1024 : 2 * cap;
		c->set = xcalloc(c->setcap, sizeof(*c->set));
		c->setlen = 0;
		for (i = 0; i < cap; i++)
			if (old[i] != NULL)
				set_put(c, old[i]);
		free(old);
	}
	set_put(c, xstrdup(path));
}

bool
unpack_made(const struct unpack *c, const char *path)
{
	return set_has(c, path);
}

static bool
set_has(const struct unpack *c, const char *path)
{
	size_t i;

	if (c->setcap == 0)
		return false;
	for (i = hash(path) & (c->setcap - 1); c->set[i] != NULL;
	    i = (i + 1) & (c->setcap - 1))
		if (strcmp(c->set[i], path) == 0)
			return true;
	return false;
}

/*
 * The folder at path (relative, "" for DIR) opened component by
 * component without following links, creating what is missing when
 * create.  A new descriptor, or -1 with errno (ELOOP, ENOTDIR: a link or
 * a file in the way).
 */
int
unpack_open_folder(int root, const char *path, bool create)
{
	char comp[NAME_MAX + 1];
	const char *p = path, *end;
	int fd, next;
	size_t n;

	if ((fd = dup(root)) == -1)
		return -1;
	while (*p != '\0') {
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next == -1 && errno == ENOENT && create &&
		    (mkdirat(fd, comp, 0755) == 0 || errno == EEXIST))
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next == -1)
			return -1;
		fd = next;
		p = *end == '/' ? end + 1 : end;
	}
	return fd;
}

/* After a folder was removed: the cached descriptor may be inside it. */
void
unpack_forget_folder(struct unpack *c)
{
	if (c->cfd != -1)
		close(c->cfd);
	free(c->cpath);
	c->cpath = NULL;
	c->cfd = -1;
}

/* The parent folder of path (cached: the caller must not close it). */
static int
parent_of(struct unpack *c, const char *path, const char **leaf)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == NULL ? 0 : (size_t)(slash - path);
	char *dir = xstrndup(path, n);

	*leaf = slash == NULL ? path : slash + 1;
	if (c->cpath != NULL && strcmp(c->cpath, dir) == 0) {
		free(dir);
		return c->cfd;
	}
	if (c->cfd != -1)
		close(c->cfd);
	free(c->cpath);
	c->cpath = NULL;
	if ((c->cfd = unpack_open_folder(c->root, dir, true)) == -1) {
		free(dir);
		return -1;
	}
	c->cpath = dir;
	return c->cfd;
}

/*
 * An errno from making path: the archive's doing (refused, the restore
 * goes on) or the disk's (the restore fails).
 */
static int
failed(struct unpack *c, const char *path, int e)
{
	switch (e) {
	case ELOOP:
	case ENOTDIR:
		unpack_note(c, &c->n.refused, path, "refused: its path goes through "
		    "a symbolic link or a file");
		return 0;
	case EEXIST:
		unpack_note(c, &c->n.refused, path, "refused: already exists%s",
		    c->o->overwrite ? " as a folder" : " (restore into an "
		    "empty folder, or pass --overwrite)");
		return 0;
	case ENAMETOOLONG:
		unpack_note(c, &c->n.refused, path, "refused: a name too long");
		return 0;
	default:
		errno = e;
		return bk_err_sys(&c->err, BK_EIO, "restore folder: %s", path);
	}
}

/*
 * With --overwrite, or over an earlier archive of a chain, make room for
 * a new entry at pfd/leaf (path).  Only a chain replaces a folder (it
 * became a file or a link at that point in time): with what the chain
 * put in it, never more (unpack_chain_clear).
 */
static bool
make_room(struct unpack *c, int pfd, const char *leaf, const char *path)
{
	struct stat st;

	if ((!c->o->overwrite && c->step == 0) ||
	    fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return false;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(pfd, leaf, 0) == 0;
	/* The cached folder is pfd itself, the removed one's parent. */
	if (c->step == 0) {
		errno = EEXIST;
		return false;
	}
	return unpack_chain_clear(c, pfd, leaf, path) == 0;
}

static void
mode_note(struct unpack *c, const char *path, mode_t mode)
{
	if ((mode & 07000) != 0)
		unpack_note(c, &c->n.changed, path, "mode %04o restored as %04o (no "
		    "setuid, setgid or sticky bit)", (unsigned)(mode & 07777),
		    (unsigned)(mode & 0777));
}

static int
ex_dir(struct unpack *c, const char *path, struct archive_entry *e)
{
	const char *leaf;
	struct stat st;
	int pfd;

	if ((pfd = parent_of(c, path, &leaf)) == -1)
		return failed(c, path, errno);
	if (mkdirat(pfd, leaf, 0700) == -1) {
		if (errno != EEXIST)
			return failed(c, path, errno);
		/* An existing folder is reused; anything else is in the way. */
		if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISDIR(st.st_mode)) {
			if (!make_room(c, pfd, leaf, path) ||
			    mkdirat(pfd, leaf, 0700) == -1)
				return failed(c, path, ENOTDIR);
		}
	}
	mode_note(c, path, archive_entry_mode(e));
	c->fix = xreallocarray(c->fix, c->nfix + 1, sizeof(*c->fix));
	c->fix[c->nfix].path = xstrdup(path);
	c->fix[c->nfix].mode = archive_entry_mode(e) & 0777;
	c->fix[c->nfix].mtime.tv_sec = archive_entry_mtime(e);
	c->fix[c->nfix].mtime.tv_nsec = archive_entry_mtime_nsec(e);
	c->nfix++;
	c->n.dirs++;
	set_add(c, path);
	return 0;
}

static int
pwrite_all(int fd, const char *p, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* A chain's later archive may bring a dump again: name it once. */
static bool
is_kept(const struct unpack *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->nkept; i++)
		if (strcmp(c->kept[i], path) == 0)
			return true;
	return false;
}

static int
ex_file(struct unpack *c, const char *path, struct archive *a,
    struct archive_entry *e)
{
	struct timespec ts[2];
	const void *buf;
	const char *leaf;
	la_int64_t off;
	off_t end = 0;
	size_t len;
	int pfd, fd = -1, r, rc = -1;

	if ((pfd = parent_of(c, path, &leaf)) == -1)
		return failed(c, path, errno);
	fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1 && errno == EEXIST && make_room(c, pfd, leaf, path))
		fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return failed(c, path, errno);
	while ((r = archive_read_data_block(a, &buf, &len, &off)) ==
	    ARCHIVE_OK) {
		if (pwrite_all(fd, buf, len, (off_t)off) == -1) {
			bk_err_sys(&c->err, BK_EIO, "restore folder: %s", path);
			goto out;
		}
		end = (off_t)off + (off_t)len;
		c->n.bytes += len;
	}
	if (r != ARCHIVE_EOF) {
		bk_err_set(&c->err, BK_ECORRUPT, "tar layer: %s: %s", path,
		    archive_error_string(a));
		goto out;
	}
	/* A sparse file may end in a hole. */
	if (archive_entry_size(e) > end &&
	    ftruncate(fd, (off_t)archive_entry_size(e)) == -1) {
		bk_err_sys(&c->err, BK_EIO, "restore folder: %s", path);
		goto out;
	}
	mode_note(c, path, archive_entry_mode(e));
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	ts[0] = ts[1];
	if (fchmod(fd, archive_entry_mode(e) & 0777) == -1 ||
	    futimens(fd, ts) == -1) {
		bk_err_sys(&c->err, BK_EIO, "restore folder: %s", path);
		goto out;
	}
	set_add(c, path);
	c->n.files++;
	if (c->o->keep != NULL && c->o->keep(path) && !is_kept(c, path)) {
		c->kept = xreallocarray(c->kept, c->nkept + 1,
		    sizeof(*c->kept));
		c->kept[c->nkept++] = xstrdup(path);
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
ex_symlink(struct unpack *c, const char *path, struct archive_entry *e)
{
	const char *target = archive_entry_symlink(e), *leaf;
	struct timespec ts[2];
	int pfd;

	if (target == NULL || *target == '\0') {
		unpack_note(c, &c->n.refused, path, "refused: a symbolic link to "
		    "nothing");
		return 0;
	}
	if ((pfd = parent_of(c, path, &leaf)) == -1)
		return failed(c, path, errno);
	if (symlinkat(target, pfd, leaf) == -1 &&
	    (errno != EEXIST || !make_room(c, pfd, leaf, path) ||
	    symlinkat(target, pfd, leaf) == -1))
		return failed(c, path, errno);
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	ts[0] = ts[1];
	(void)utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW);
	c->n.links++;
	set_add(c, path);
	return 0;
}

static int
ex_hardlink(struct unpack *c, const char *path, const char *raw)
{
	char target[4096], *tdir;
	const char *why = NULL, *tleaf, *leaf, *slash;
	struct stat st;
	int tfd, pfd, e;

	if (unpack_norm_path(raw, target, sizeof(target), &why) != 1 ||
	    !set_has(c, target)) {
		unpack_note(c, &c->n.refused, path, "refused: a hard link to %.200s, "
		    "%s", raw, why != NULL ? why : "not a file restored "
		    "before it");
		return 0;
	}
	/* Its own descriptor: the target's folder is not the cached one. */
	slash = strrchr(target, '/');
	tdir = xstrndup(target, slash == NULL ? 0 : (size_t)(slash - target));
	tleaf = slash == NULL ? target : slash + 1;
	tfd = unpack_open_folder(c->root, tdir, false);
	free(tdir);
	if (tfd == -1)
		return failed(c, path, errno);
	/* Only ever a link to a regular file (never followed: flags 0). */
	if (fstatat(tfd, tleaf, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode)) {
		close(tfd);
		unpack_note(c, &c->n.refused, path, "refused: a hard link to %.200s, "
		    "not a regular file here", raw);
		return 0;
	}
	if ((pfd = parent_of(c, path, &leaf)) == -1 ||
	    (linkat(tfd, tleaf, pfd, leaf, 0) == -1 &&
	    (errno != EEXIST || !make_room(c, pfd, leaf, path) ||
	    linkat(tfd, tleaf, pfd, leaf, 0) == -1))) {
		e = errno;
		close(tfd);
		return failed(c, path, e);
	}
	close(tfd);
	c->n.links++;
	set_add(c, path);
	return 0;
}

static int
ex_entry(struct unpack *c, struct archive *a, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e), *why = NULL, *hl;
	char path[4096];
	int r;

	if (raw == NULL) {
		unpack_note(c, &c->n.refused, "(no name)", "refused: an entry with "
		    "no name");
		return 0;
	}
	if ((r = unpack_norm_path(raw, path, sizeof(path), &why)) == -1) {
		/* Not what --only asked for: no --only PATH is such a name. */
		if (c->o->nonly == 0)
			unpack_note(c, &c->n.refused, raw, "refused: %s", why);
		return 0;
	}
	if (r == 0 || !unpack_wanted(c, path, true))
		return 0;
	if ((hl = archive_entry_hardlink(e)) != NULL)
		return ex_hardlink(c, path, hl);
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return ex_dir(c, path, e);
	case AE_IFREG:
		return ex_file(c, path, a, e);
	case AE_IFLNK:
		return ex_symlink(c, path, e);
	case AE_IFCHR:
		unpack_note(c, &c->n.skipped, path, "skipped: a character device");
		return 0;
	case AE_IFBLK:
		unpack_note(c, &c->n.skipped, path, "skipped: a block device");
		return 0;
	case AE_IFIFO:
		unpack_note(c, &c->n.skipped, path, "skipped: a FIFO");
		return 0;
	case AE_IFSOCK:
		unpack_note(c, &c->n.skipped, path, "skipped: a socket");
		return 0;
	default:
		unpack_note(c, &c->n.skipped, path, "skipped: an entry of unknown "
		    "type");
		return 0;
	}
}

static int
fix_cmp(const void *a, const void *b)
{
	return strcmp(((const struct unpack_fixup *)b)->path,
	    ((const struct unpack_fixup *)a)->path);
}

/* Folders' modes and mtimes, deepest first, once their contents exist. */
void
unpack_fixups(struct unpack *c)
{
	struct timespec ts[2];
	size_t i;
	int fd;

	if (c->nfix > 1)
		qsort(c->fix, c->nfix, sizeof(*c->fix), fix_cmp);
	for (i = 0; i < c->nfix; i++) {
		if ((fd = unpack_open_folder(c->root, c->fix[i].path, false)) != -1) {
			ts[0] = ts[1] = c->fix[i].mtime;
			(void)fchmod(fd, c->fix[i].mode);
			(void)futimens(fd, ts);
			close(fd);
		}
		free(c->fix[i].path);
	}
	free(c->fix);
	c->fix = NULL;
	c->nfix = 0;
}

/* Read (and extract, with a DIR) the whole stream: 0 or -1 with c->err. */
int
unpack_stream(struct unpack *c, int fd)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const void *buf;
	la_int64_t off;
	size_t len;
	int r, rc = -1;

	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, fd, READ_BLOCK) != ARCHIVE_OK) {
		bk_err_set(&c->err, BK_ECORRUPT, "tar layer: %s",
		    archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		c->n.members++;
		/* The backup's own bookkeeping is read, never extracted. */
		if ((r = unpack_chain_member(c, a, e)) == -1)
			goto out;
		if (r == 1)
			continue;
		if (c->root != -1) {
			if (ex_entry(c, a, e) == -1)
				goto out;
			continue;
		}
		while ((r = archive_read_data_block(a, &buf, &len, &off)) ==
		    ARCHIVE_OK)
			c->n.bytes += len;
		if (r != ARCHIVE_EOF) {
			bk_err_set(&c->err, BK_ECORRUPT, "tar layer: %s",
			    archive_error_string(a));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		bk_err_set(&c->err, BK_ECORRUPT, "tar layer: %s",
		    archive_error_string(a));
		goto out;
	}
	if (c->n.members == 0) {
		bk_err_set(&c->err, BK_ECORRUPT, "tar layer: no members");
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	/* A chain's step does its removals first (unpack_chain_step). */
	if (c->root != -1 && !c->o->chain)
		unpack_fixups(c);
	return rc;
}

/* DIR from "/", one component at a time, never through a link. */
int
unpack_root(struct unpack *c, const char *dir, const struct account *acct)
{
	char comp[NAME_MAX + 1];
	const char *p = dir, *end;
	struct stat st;
	DIR *d;
	struct dirent *de;
	int fd, next;
	size_t n;

	if (*dir != '/')
		return bk_err_set(&c->err, BK_ECONFIG, "--to %s: not an "
		    "absolute path", dir);
	if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return bk_err_sys(&c->err, BK_EIO, "/");
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n > NAME_MAX || (n == 2 && p[0] == '.' && p[1] == '.')) {
			close(fd);
			return bk_err_set(&c->err, BK_ECONFIG, "--to %s: a "
			    "\"..\" or too long component", dir);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next == -1 && errno == ENOENT &&
		    (mkdirat(fd, comp, 0700) == 0 || errno == EEXIST))
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next == -1 && (errno == ELOOP || errno == ENOTDIR))
			return bk_err_set(&c->err, BK_ECONFIG, "--to %s: %.*s "
			    "is a symbolic link or not a folder; the restore "
			    "folder is opened without following links (name "
			    "the real folder)", dir, (int)(end - dir), dir);
		if (next == -1)
			return bk_err_sys(&c->err, errno == EACCES ?
			    BK_ECONFIG : BK_EIO, "--to %s: %.*s%s", dir,
			    (int)(end - dir), dir, acct->drop ? " (restore "
			    "writes as the user's account)" : "");
		fd = next;
		p = end;
	}
	c->root = fd;
	if (fstat(fd, &st) == -1)
		return bk_err_sys(&c->err, BK_EIO, "--to %s", dir);
	if (!acct->drop && st.st_uid != geteuid())
		return bk_err_set(&c->err, BK_ECONFIG, "--to %s belongs to uid "
		    "%u, but no system account of the user writes it "
		    "(USER_ACCOUNTS=none, or no account named like the user): "
		    "restore into a folder of your own", dir,
		    (unsigned)st.st_uid);
	if (acct->drop && faccessat(fd, ".", W_OK | X_OK, 0) == -1)
		return bk_err_sys(&c->err, BK_ECONFIG, "--to %s: the account "
		    "%s may not write there (restore writes as the user's "
		    "account)", dir, acct->name);
	if (c->o->overwrite)
		return 0;
	if ((next = dup(fd)) == -1 || (d = fdopendir(next)) == NULL)
		return bk_err_sys(&c->err, BK_EIO, "--to %s", dir);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..")
		    != 0)
			break;
	closedir(d);
	if (de != NULL)
		return bk_err_set(&c->err, BK_ECONFIG, "--to %s is not empty: "
		    "restore into an empty or new folder, or pass --overwrite",
		    dir);
	return 0;
}

