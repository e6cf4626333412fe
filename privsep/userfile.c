/*
 * userfile.c - read a file a user's setting names, in a child that has
 * become the user.
 *
 * Why: root opening a path a user named reaches whatever the path
 * resolves to when it is opened, and the user decides that (a Files
 * folder swapped for a symlink to /etc, a hard link, a FIFO that never
 * answers).  A child with the user's uid and groups opens it instead, so
 * the kernel refuses exactly what the user could not read themselves.
 *
 * Protocol: the child writes one struct answer on a pipe, then the
 * file's bytes (answer.size of them); the parent reads at most max bytes
 * and gives up after USERFILE_TIMEOUT_MS, killing the child.
 *
 * Threads: any thread may call userfile_read.  Between fork and _exit the
 * child only makes system calls (account_become, open, fstat, read,
 * write): no malloc, no stdio, no lock another thread could have held.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "settings.h"
#include "userfile.h"
#include "xmalloc.h"

enum step {
	S_OK = 0,
	S_BECOME,	/* could not become the account */
	S_OPEN,
	S_TYPE,		/* not a regular file; detail is st_mode */
	S_SIZE,		/* larger than max */
	S_READ,
};

struct answer {
	int32_t		step;
	int32_t		detail;		/* errno, or st_mode for S_TYPE */
	uint64_t	size;
};

static void
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(1);
		c += w;
		n -= (size_t)w;
	}
}

/* The child: become a, open, check, send.  Never returns. */
static void
child(const struct account *a, const char *path, size_t max, int out)
{
	struct answer ans = { S_OK, 0, 0 };
	struct bk_err err;
	struct stat sb;
	char chunk[16384];
	uint64_t left;
	ssize_t n;
	int fd;

	if (account_become(a, &err) == -1) {
		ans.step = S_BECOME;
		ans.detail = err.sys_errno;
		goto answer;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		ans.step = S_OPEN;
		ans.detail = errno;
		goto answer;
	}
	if (fstat(fd, &sb) == -1) {
		ans.step = S_OPEN;
		ans.detail = errno;
		goto answer;
	}
	if (!S_ISREG(sb.st_mode)) {
		ans.step = S_TYPE;
		ans.detail = (int32_t)sb.st_mode;
		goto answer;
	}
	if ((uint64_t)sb.st_size > max) {
		ans.step = S_SIZE;
		goto answer;
	}
	/* Send what is there at open; a file that grows is cut there. */
	ans.size = (uint64_t)sb.st_size;
	write_all(out, &ans, sizeof(ans));
	for (left = ans.size; left > 0; left -= (uint64_t)n) {
		n = read(fd, chunk, left < sizeof(chunk) ? left : sizeof(chunk));
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {	/* shrank or failed: the parent sees it short */
			explicit_bzero(chunk, sizeof(chunk));
			_exit(1);
		}
		write_all(out, chunk, (size_t)n);
	}
	explicit_bzero(chunk, sizeof(chunk));
	_exit(0);
answer:
	write_all(out, &ans, sizeof(ans));
	_exit(0);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly n bytes from fd before deadline; 0, or -1 (errno
 * ETIMEDOUT, or EPIPE when the child closed early). */
static int
read_full(int fd, void *p, size_t n, int64_t deadline)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char *c = p;
	int64_t left;
	ssize_t r;

	while (n > 0) {
		if ((left = deadline - now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		r = read(fd, c, n);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static const char *
type_name(mode_t m)
{
	if (S_ISDIR(m))
		return "a folder";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

/* Turn the child's answer into err. */
static int
answer_err(const struct answer *ans, const struct account *a,
    const char *setting, const char *path, size_t max, struct bk_err *err)
{
	int e = ans->detail;

	switch (ans->step) {
	case S_BECOME:
		errno = e;
		bk_err_sys(err, BK_ECONFIG, "%s: cannot switch to the account "
		    "%s (USER_ACCOUNTS)", setting, a->name);
		break;
	case S_OPEN:
		errno = e;
		bk_err_sys(err, e == ENOENT ? BK_ENOENT : BK_ECONFIG,
		    "%s: cannot read %s%s", setting, path, a->drop ?
		    " as its user" : "");
		break;
	case S_TYPE:
		bk_err_set(err, BK_ECONFIG, "%s: %s is %s, not a regular file",
		    setting, path, type_name((mode_t)e));
		break;
	case S_SIZE:
		bk_err_set(err, BK_ECONFIG, "%s: %s is larger than %zu KiB",
		    setting, path, max / 1024);
		break;
	default:
		bk_err_set(err, BK_ECONFIG, "%s: %s: cannot be read", setting,
		    path);
		break;
	}
	err->retryable = false;
	return -1;
}

int
userfile_read(const struct account *a, const char *setting,
    const char *path, size_t max, struct buf *out, struct bk_err *err)
{
	struct answer ans;
	char *data = NULL;
	int64_t deadline;
	int p[2] = { -1, -1 }, status, rc = -1;
	pid_t pid = -1;

	if (!a->drop && geteuid() == 0 &&
	    userfile_trusted(setting, path, err) == -1)
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1)
		return bk_err_sys(err, BK_EIO, "%s: pipe", setting);
	if ((pid = fork()) == -1) {
		bk_err_sys(err, BK_EIO, "%s: fork", setting);
		goto out;
	}
	if (pid == 0) {
		close(p[0]);
		child(a, path, max, p[1]);
	}
	close(p[1]);
	p[1] = -1;
	deadline = now_ms() + USERFILE_TIMEOUT_MS;
	if (read_full(p[0], &ans, sizeof(ans), deadline) == -1)
		goto died;
	if (ans.step != S_OK) {
		answer_err(&ans, a, setting, path, max, err);
		goto out;
	}
	if (ans.size > max)	/* the child is the user's: trust no size */
		goto died;
	data = xmalloc((size_t)ans.size + 1);
	if (read_full(p[0], data, (size_t)ans.size, deadline) == -1)
		goto died;
	if (buf_append(out, data, (size_t)ans.size) == -1) {
		bk_err_set(err, BK_ECONFIG, "%s: %s is too large", setting,
		    path);
		err->retryable = false;
		goto out;
	}
	rc = 0;
	goto out;
died:
	if (errno == ETIMEDOUT)
		bk_err_set(err, BK_ECONFIG, "%s: reading %s took longer than "
		    "%d s", setting, path, USERFILE_TIMEOUT_MS / 1000);
	else
		bk_err_set(err, BK_ECONFIG, "%s: %s: the reader stopped "
		    "(the file changed while read?)", setting, path);
	err->retryable = false;
out:
	if (data != NULL) {
		explicit_bzero(data, (size_t)ans.size);
		free(data);
	}
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	return rc;
}

/* Is the component at p (lstat) safe?  last: the path's final one. */
static int
component_ok(const char *setting, const char *p, bool last,
    struct bk_err *err)
{
	struct stat sb;

	if (lstat(p, &sb) == -1) {
		if (errno == ENOENT)
			return 0;	/* the open reports it */
		return bk_err_sys(err, BK_ECONFIG, "%s: %s", setting, p);
	}
	if (S_ISLNK(sb.st_mode) && sb.st_uid == 0)
		return 0;	/* where it points is checked on its own */
	if (sb.st_uid != 0)
		bk_err_set(err, BK_ECONFIG, "%s: %s is owned by uid %u, and "
		    "there is no system account to work as "
		    "(USER_ACCOUNTS)", setting, p, (unsigned)sb.st_uid);
	else if ((sb.st_mode & 022) != 0 && (last ||
	    (sb.st_mode & S_ISVTX) == 0))
		bk_err_set(err, BK_ECONFIG, "%s: %s is writable by %s, and "
		    "there is no system account to work as "
		    "(USER_ACCOUNTS)", setting, p, (sb.st_mode & 002) ?
		    "others" : "its group");
	else
		return 0;
	err->retryable = false;
	return -1;
}

/* Check every prefix of the absolute path p. */
static int
prefixes_ok(const char *setting, const char *p, struct bk_err *err)
{
	char *copy = xstrdup(p), *s;
	int rc = -1;

	for (s = copy + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (component_ok(setting, copy, c == '\0', err) == -1)
				goto out;
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	rc = component_ok(setting, "/", strcmp(p, "/") == 0, err);
out:
	free(copy);
	return rc;
}

int
userfile_trusted(const char *setting, const char *path, struct bk_err *err)
{
	char *real;
	int rc;

	if (*path != '/')
		return bk_err_set(err, BK_ECONFIG, "%s: %s: not an absolute "
		    "path", setting, path);
	if (prefixes_ok(setting, path, err) == -1)
		return -1;
	if ((real = realpath(path, NULL)) == NULL)
		return 0;	/* missing: the open reports it */
	rc = prefixes_ok(setting, real, err);
	free(real);
	return rc;
}

static int
read_as(void *ctx, const char *setting, const char *path, struct buf *out,
    struct bk_err *err)
{
	return userfile_read(ctx, setting, path, SETTINGS_FILE_MAX, out, err);
}

int
userfile_load_settings(const struct settings *admin, const char *user,
    const char *env_file, struct account *acct, struct settings *s,
    struct diag *diag, struct bk_err *err)
{
	struct account local;
	struct account *a = acct != NULL ? acct : &local;
	struct settings_reader rd = { read_as, a };

	memset(s, 0, sizeof(*s));
	if (account_lookup(admin, user, a, err) == -1)
		return -1;
	return config_load_user(admin, user, env_file, &rd, s, diag, err);
}

int
userfile_read_for(const struct settings *admin, const char *user_name,
    const char *setting, const char *path, size_t max, struct buf *out,
    struct bk_err *err)
{
	struct account a;

	if (account_lookup(admin, user_name, &a, err) == -1)
		return -1;
	return userfile_read(&a, setting, path, max, out, err);
}
