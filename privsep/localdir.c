/*
 * localdir.c - a user's local destination, reached with the user's reach.
 *
 * Two ways to work there, chosen once at open:
 *
 *  root's place  ARCHIVE_ROOT and every folder from "/" to the
 *		  destination is owned by root and writable by nobody else
 *		  (a sticky folder such as /tmp is allowed above the root).
 *		  No user can change what the path names, so the caller
 *		  opens it once, component by component with
 *		  O_NOFOLLOW|O_DIRECTORY, and from then on works only
 *		  relative to that descriptor: no path is resolved again, so
 *		  a RENAME_EXCHANGE race has nothing to redirect.
 *  user's place  anything else (the admin pointed ARCHIVE_ROOT at a folder
 *		  a user can write).  Every operation forks a child that
 *		  becomes the user (account_become), opens the folder and
 *		  does it: create and open hand the descriptor back over a
 *		  socketpair (SCM_RIGHTS), rename and unlink are done there.
 *		  Files it creates are the user's; whatever the user planted
 *		  (links, FIFOs, other users' paths) is opened with the
 *		  user's permissions or refused as not a regular file.
 *
 * With no account to become (USER_ACCOUNTS=none, or auto without a
 * matching account) a user's place is refused naming USER_ACCOUNTS.  A
 * process that is not root works as itself.
 *
 * Threads: a struct localdir per thread; the child makes system calls
 * only (it may be forked from a threaded job).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account.h"
#include "err.h"
#include "localdir.h"
#include "path.h"
#include "settings.h"
#include "userfile.h"
#include "xmalloc.h"

#define CHILD_TIMEOUT_MS	60000

struct localdir {
	struct account	 acct;
	bool		 as_user;
	int		 dirfd;		/* root's place: the folder; else -1 */
	char		*root;		/* ARCHIVE_ROOT for this user */
	char		*rel;		/* below the root: "a/b", or "" */
	char		*path;		/* root/rel, for messages */
};

enum op { OP_DIR, OP_CREATE, OP_READ, OP_RENAME, OP_UNLINK };

enum step { S_OK, S_BECOME, S_ROOT, S_WALK, S_OP, S_TYPE, S_OWNER };

struct reply {
	int32_t	step;
	int32_t	err_no;
};

/* BACKUP_ARCHIVE -> "a/b" below root: no "..", no empty components. */
static int
normalise(const char *root, const char *archive, char **out,
    struct bk_err *err)
{
	size_t n = strlen(root);
	const char *p = archive, *e;
	char *rel = xcalloc(1, strlen(archive) + 1), *w = rel;

	/* Compatibility: the root's own path in front (the old rule). */
	if (strcmp(root, "/") != 0 && strncmp(archive, root, n) == 0 &&
	    (archive[n] == '/' || archive[n] == '\0'))
		p = archive + n;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if ((e = strchr(p, '/')) == NULL)
			e = p + strlen(p);
		if (e - p == 2 && strncmp(p, "..", 2) == 0) {
			free(rel);
			return bk_err_set(err, BK_ECONFIG, "BACKUP_ARCHIVE: %s: "
			    "\"..\" is not allowed (it is a folder inside "
			    "ARCHIVE_ROOT %s)", archive, root);
		}
		if (e - p > NAME_MAX) {
			free(rel);
			return bk_err_set(err, BK_ECONFIG, "BACKUP_ARCHIVE: %s: "
			    "a name is too long", archive);
		}
		if (e > p && !(e - p == 1 && *p == '.')) {
			if (w != rel)
				*w++ = '/';
			memcpy(w, p, (size_t)(e - p));
			w += e - p;
		}
		p = e;
	}
	*w = '\0';
	*out = rel;
	return 0;
}

/* May root work in the folder whose fstat is sb?  last: the destination
 * itself, which must not be writable by others even when sticky. */
static bool
roots_own(const struct stat *sb, bool last)
{
	if (sb->st_uid != 0 || !S_ISDIR(sb->st_mode))
		return false;
	return (sb->st_mode & 022) == 0 ||
	    (!last && (sb->st_mode & S_ISVTX) != 0);
}

/* Create the missing folders of root (an absolute path) as root: 0755
 * above, 0700 the root itself.  Only after userfile_trusted said no user
 * can change any existing part of it, and never inside a folder others
 * may write (sticky or not): a user could have made the name first. */
static void
mkdirs_root(const char *root)
{
	char *p = xstrdup(root), *s;
	struct stat sb;
	bool last;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		last = *s == '\0';
		*s = '\0';
		if (lstat(p, &sb) == -1 && errno == ENOENT) {
			char *slash = strrchr(p, '/');
			struct stat up;

			*slash = '\0';
			if (stat(*p != '\0' ? p : "/", &up) == -1 ||
			    (up.st_mode & 022) != 0)
				break;
			*slash = '/';
			if (mkdir(p, last ? 0700 : 0755) == -1)
				break;
		}
		if (last)
			break;
		*s = '/';
	}
	free(p);
}

/*
 * Walk from fd through the components of rel ("a/b"), creating missing
 * ones 0700, each opened O_NOFOLLOW|O_DIRECTORY.  fd is consumed.  With
 * check, every folder must be root's own (roots_own): at the first that
 * is not, *owned becomes false and the walk stops there (nothing is
 * created inside a folder others may write).  Returns the last
 * descriptor or -1 (errno set).  No malloc: it also runs in the user's
 * child.
 */
static int
walk(int fd, const char *rel, bool check, bool above_last, bool *owned)
{
	char comp[NAME_MAX + 1];
	const char *p = rel, *e;
	struct stat sb;
	size_t len;
	int next;

	if (check && (fstat(fd, &sb) == -1 ||
	    !roots_own(&sb, *rel == '\0' && !above_last))) {
		*owned = false;
		return fd;	/* not one step further as root */
	}
	while (*p != '\0') {
		if ((e = strchr(p, '/')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		memcpy(comp, p, len);
		comp[len] = '\0';
		p = *e == '/' ? e + 1 : e;
		/* Root creates nothing where others may write: a user could
		 * make the name first.  That place is the user's, then. */
		if ((!check || (sb.st_mode & 022) == 0) &&
		    mkdirat(fd, comp, 0700) == -1 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next == -1 && check && errno == ENOENT) {
			*owned = false;
			return fd;
		}
		close(fd);
		if (next == -1)
			return -1;
		fd = next;
		if (check && (fstat(fd, &sb) == -1 ||
		    !roots_own(&sb, *p == '\0' && !above_last))) {
			*owned = false;
			return fd;
		}
	}
	return fd;
}

/* Open the folder as root, if root alone controls it: the descriptor;
 * -1 when it is a user's place (why in err); -2 on an error (err). */
static int
open_as_root(struct localdir *l, bool *owned, struct bk_err *err)
{
	char *real = NULL;
	int fd;

	*owned = false;
	if (userfile_trusted("ARCHIVE_ROOT", l->root, err) == -1)
		return -1;
	mkdirs_root(l->root);
	if ((real = realpath(l->root, NULL)) == NULL) {
		bk_err_sys(err, BK_ECONFIG, "ARCHIVE_ROOT: %s", l->root);
		return -1;
	}
	if (userfile_trusted("ARCHIVE_ROOT", real, err) == -1) {
		free(real);
		return -1;
	}
	*owned = true;
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* real has no symlinks; walking it with O_NOFOLLOW proves it. */
	if (fd != -1)
		fd = walk(fd, real + 1, true, *l->rel != '\0', owned);
	if (fd != -1 && *owned)
		fd = walk(fd, l->rel, true, false, owned);
	if (fd == -1) {
		bk_err_sys(err, BK_EIO, "BACKUP_ARCHIVE: %s", l->path);
		fd = -2;
	} else if (!*owned) {
		close(fd);
		fd = -1;
		bk_err_set(err, BK_ECONFIG, "BACKUP_ARCHIVE: %s: a folder on "
		    "the way is not root's alone", l->path);
	}
	free(real);
	return fd;
}

int
localdir_open(const struct settings *admin, const char *user,
    const char *archive, struct localdir **out, struct bk_err *err)
{
	const char *tmpl = admin != NULL ? settings_get(admin, "ARCHIVE_ROOT") :
	    NULL;
	struct localdir *l = xcalloc(1, sizeof(*l));
	struct bk_err why;
	bool owned;
	int fd;

	l->dirfd = -1;
	if (tmpl == NULL || *tmpl == '\0')
		tmpl = ARCHIVE_ROOT_DEFAULT;
	if (user == NULL || !path_valid_user(user)) {
		bk_err_set(err, BK_ECONFIG, "BACKUP_ARCHIVE: no valid user "
		    "name");
		goto fail;
	}
	l->root = path_template(tmpl, user);
	if (*l->root != '/') {
		bk_err_set(err, BK_ECONFIG, "ARCHIVE_ROOT: %s: not an absolute "
		    "path", l->root);
		goto fail;
	}
	if (normalise(l->root, archive != NULL ? archive : "", &l->rel,
	    err) == -1)
		goto fail;
	xasprintf(&l->path, "%s%s%s", l->root, *l->rel != '\0' &&
	    strcmp(l->root, "/") != 0 ? "/" : "", l->rel);
	if (account_lookup(admin, user, &l->acct, err) == -1)
		goto fail;
	bk_err_clear(&why);
	if (!l->acct.drop && geteuid() != 0) {
		/* Not root: the caller's own reach is the limit. */
		fd = open(l->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT &&
		    path_mkdirs(l->root, 0700, err) == 0)
			fd = open(l->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd != -1)
			fd = walk(fd, l->rel, false, false, &owned);
		if (fd == -1) {
			bk_err_sys(err, BK_EIO, "BACKUP_ARCHIVE: %s", l->path);
			goto fail;
		}
		l->dirfd = fd;
	} else if ((fd = open_as_root(l, &owned, &why)) >= 0)
		l->dirfd = fd;
	else if (fd == -2) {
		*err = why;
		goto fail;
	} else if (l->acct.drop) {
		l->as_user = true;
		if ((fd = localdir_dirfd(l, err)) == -1)
			goto fail;
		close(fd);
	} else {
		if (strstr(why.msg, "USER_ACCOUNTS") != NULL)
			*err = why;
		else
			bk_err_set(err, BK_ECONFIG, "%s; and there is no "
			    "system account to work there as (USER_ACCOUNTS)",
			    why.msg);
		err->retryable = false;
		goto fail;
	}
	*out = l;
	return 0;
fail:
	localdir_close(l);
	return -1;
}

void
localdir_close(struct localdir *l)
{
	if (l == NULL)
		return;
	if (l->dirfd != -1)
		close(l->dirfd);
	free(l->root);
	free(l->rel);
	free(l->path);
	free(l);
}

const char *
localdir_path(const struct localdir *l)
{
	return l->path;
}

bool
localdir_as_user(const struct localdir *l)
{
	return l->as_user;
}

/* Send the reply and, when fd != -1, the descriptor. */
static void
send_reply(int sock, int step, int err_no, int fd)
{
	struct reply r = { step, err_no };
	struct iovec iov = { &r, sizeof(r) };
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg;
	struct cmsghdr *c;

	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) == -1 && errno == EINTR)
		;
}

/* The user's child: become, open the folder, do op.  Never returns. */
static void
child(const struct localdir *l, enum op op, const char *a, const char *b,
    int sock)
{
	struct bk_err err;
	struct stat sb;
	bool owned;
	int dfd, fd = -1, flags;

	if (account_become(&l->acct, &err) == -1) {
		send_reply(sock, S_BECOME, err.sys_errno, -1);
		_exit(0);
	}
	dfd = open(l->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1 && errno == ENOENT) {
		/* mkdir -p as the user: only where the user may. */
		char p[PATH_MAX];
		size_t i, n = strlen(l->root);

		if (n >= sizeof(p))
			_exit(1);
		memcpy(p, l->root, n + 1);
		for (i = 1; i <= n; i++)
			if (p[i] == '/' || p[i] == '\0') {
				char c = p[i];

				p[i] = '\0';
				(void)mkdir(p, 0700);
				p[i] = c;
			}
		dfd = open(l->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dfd == -1) {
		send_reply(sock, S_ROOT, errno, -1);
		_exit(0);
	}
	if ((dfd = walk(dfd, l->rel, false, false, &owned)) == -1) {
		send_reply(sock, S_WALK, errno, -1);
		_exit(0);
	}
	/* The folder must be the user's (or root's): another tenant's
	 * folder, or their symlink to one, planted at the user's name
	 * where ARCHIVE_ROOT is shared would receive the user's backups
	 * (readable through a default ACL, replaceable, deletable); a
	 * link to a shared root-owned folder (/tmp) lists what others
	 * planted there. */
	if (fstat(dfd, &sb) == -1 || (sb.st_uid != getuid() &&
	    (sb.st_uid != 0 || (sb.st_mode & 022) != 0))) {
		send_reply(sock, S_OWNER, EPERM, -1);
		_exit(0);
	}
	switch (op) {
	case OP_DIR:
		fd = dfd;
		break;
	case OP_CREATE:
	case OP_READ:
		flags = op == OP_CREATE ? O_RDWR | O_CREAT : O_RDONLY;
		fd = openat(dfd, a, flags | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC, 0600);
		if (fd == -1)
			break;
		if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			send_reply(sock, S_TYPE, 0, -1);
			_exit(0);
		}
		break;
	case OP_RENAME:
		if (renameat(dfd, a, dfd, b) == 0) {
			(void)fsync(dfd);
			send_reply(sock, S_OK, 0, -1);
			_exit(0);
		}
		break;
	case OP_UNLINK:
		if (unlinkat(dfd, a, 0) == 0) {
			send_reply(sock, S_OK, 0, -1);
			_exit(0);
		}
		break;
	}
	if (fd == -1)
		send_reply(sock, S_OP, errno, -1);
	else
		send_reply(sock, S_OK, 0, fd);
	_exit(0);
}

/* Receive the child's reply (and descriptor) in time. */
static int
recv_reply(int sock, struct reply *r, int *fd)
{
	struct iovec iov = { r, sizeof(*r) };
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct pollfd pfd = { sock, POLLIN, 0 };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	while (poll(&pfd, 1, CHILD_TIMEOUT_MS) == -1)
		if (errno != EINTR)
			return -1;
	if ((pfd.revents & POLLIN) == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*r)) {
		errno = EPIPE;
		return -1;
	}
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

/* Run op in the user's child.  Returns the descriptor handed back (or 0
 * when none is expected), -1 with err. */
static int
as_user(struct localdir *l, enum op op, const char *a, const char *b,
    struct bk_err *err)
{
	struct reply r = { S_OK, 0 };
	int sv[2], fd = -1, status, rc = -1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return bk_err_sys(err, BK_EIO, "BACKUP_ARCHIVE: socketpair");
	if ((pid = fork()) == -1) {
		bk_err_sys(err, BK_EIO, "BACKUP_ARCHIVE: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		child(l, op, a, b, sv[1]);
	}
	close(sv[1]);
	if (recv_reply(sv[0], &r, &fd) == -1) {
		bk_err_sys(err, BK_EIO, "BACKUP_ARCHIVE: %s: the helper "
		    "working as %s stopped", l->path, l->acct.name);
		kill(pid, SIGKILL);
		goto out;
	}
	errno = r.err_no;
	switch (r.step) {
	case S_OK:
		rc = op == OP_RENAME || op == OP_UNLINK ? 0 : fd;
		fd = -1;
		if (rc == -1)
			bk_err_set(err, BK_EIO, "BACKUP_ARCHIVE: %s: no "
			    "descriptor came back", l->path);
		break;
	case S_BECOME:
		bk_err_sys(err, BK_ECONFIG, "BACKUP_ARCHIVE: cannot switch to "
		    "%s (USER_ACCOUNTS)", l->acct.name);
		break;
	case S_ROOT:
	case S_WALK:
		bk_err_sys(err, BK_EIO, "BACKUP_ARCHIVE: %s (as %s)", l->path,
		    l->acct.name);
		break;
	case S_TYPE:
		bk_err_set(err, BK_EIO, "BACKUP_ARCHIVE: %s/%s: not a regular "
		    "file", l->path, a);
		break;
	case S_OWNER:
		bk_err_set(err, BK_ECONFIG, "BACKUP_ARCHIVE: %s belongs to "
		    "another account, not %s: backups go only into the user's "
		    "own folder", l->path, l->acct.name);
		err->retryable = false;
		break;
	default:
		bk_err_sys(err, r.err_no == ENOENT ? BK_ENOENT : BK_EIO,
		    "%s/%s", l->path, a);
		break;
	}
out:
	if (fd != -1)
		close(fd);
	close(sv[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return rc;
}

int
localdir_dirfd(struct localdir *l, struct bk_err *err)
{
	int fd;

	if (l->as_user)
		return as_user(l, OP_DIR, NULL, NULL, err);
	if ((fd = fcntl(l->dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return bk_err_sys(err, BK_EIO, "%s", l->path);
	return fd;
}

/* Open name below the root's own folder, a regular file only. */
static int
open_here(struct localdir *l, const char *name, int flags,
    struct bk_err *err)
{
	struct stat sb;
	int fd;

	fd = openat(l->dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC, 0600);
	if (fd == -1)
		return bk_err_sys(err, errno == ENOENT ? BK_ENOENT : BK_EIO,
		    "%s/%s", l->path, name);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return bk_err_set(err, BK_EIO, "%s/%s: not a regular file",
		    l->path, name);
	}
	return fd;
}

int
localdir_create(struct localdir *l, const char *name, struct bk_err *err)
{
	if (l->as_user)
		return as_user(l, OP_CREATE, name, NULL, err);
	return open_here(l, name, O_RDWR | O_CREAT, err);
}

int
localdir_open_read(struct localdir *l, const char *name, struct bk_err *err)
{
	if (l->as_user)
		return as_user(l, OP_READ, name, NULL, err);
	return open_here(l, name, O_RDONLY, err);
}

int
localdir_rename(struct localdir *l, const char *from, const char *to,
    struct bk_err *err)
{
	if (l->as_user)
		return as_user(l, OP_RENAME, from, to, err);
	if (renameat(l->dirfd, from, l->dirfd, to) == -1)
		return bk_err_sys(err, BK_EIO, "%s/%s", l->path, to);
	(void)fsync(l->dirfd);
	return 0;
}

int
localdir_unlink(struct localdir *l, const char *name, struct bk_err *err)
{
	if (l->as_user)
		return as_user(l, OP_UNLINK, name, NULL, err);
	if (unlinkat(l->dirfd, name, 0) == -1)
		return bk_err_sys(err, errno == ENOENT ? BK_ENOENT : BK_EIO,
		    "%s/%s", l->path, name);
	return 0;
}
