/*
 * privsep.c - a reader process with the user's privileges.
 *
 * Why: the worker runs as root so it can read every user's sources, but
 * a user controls what their folders contain.  tarw never follows
 * symlinks, yet a hard link to /etc/shadow (or to another user's file)
 * that the user planted in their files is, to root, just a regular file.
 * Only reading with the user's own uid and gids makes the kernel refuse
 * exactly what the user could not read themselves.
 *
 * Design: privsep_start() forks, before the job starts any thread, one
 * reader process that drops to the account's uid, gid and supplementary
 * groups (initgroups, setgid, setuid; no capability kept, NO_NEW_PRIVS,
 * not dumpable so the user cannot ptrace it or read its memory, which is
 * a copy of the worker's).  For each path the parent sends a request over
 * a socketpair; the reader walks it with its own tarw and streams the raw
 * tar members back in frames:
 *
 *	DATA	whole or partial tar members, spliced into the job's archive
 *		by tarw_write_raw() (so compression, encryption, credentials
 *		and destinations never leave the parent)
 *	STATS	files/bytes/warnings so far in this request (about 1/s)
 *	DONE	the request's result: 1 missing, 0 done, -1 and the error
 *
 * The reader's tarw lives for the whole job, so hard links between two
 * sources still become links.  Database dumps stay in the parent: they
 * need the admin's database credentials.  With no account to switch to
 * (USER_ACCOUNTS=none, auto without an account or without root) the same
 * walk runs in-process.
 *
 * Invariants: the parent reads a frame's length before trusting it (the
 * reader is the user's to kill or confuse, so a bad frame is an error,
 * never an overflow); the reader holds only stdio and its socket.
 *
 * Threads: privsep_start before any thread exists; privsep_add_path on
 * the job's producer thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account.h"
#include "chain.h"
#include "err.h"
#include "log.h"
#include "privsep.h"
#include "settings.h"
#include "tarw.h"
#include "userfile.h"
#include "xmalloc.h"

#define FRAME_MAX	(512 * 1024)
#define CHILD_BUF	(256 * 1024)
#define CHAIN_FULL_BIT	0x80000000u	/* in a request's member length */

enum { F_DATA = 1, F_STATS, F_DONE, F_PATHS };

struct frame {
	uint32_t	type;
	uint32_t	len;
};

struct done {
	int32_t			rc;
	int32_t			code;
	int32_t			sys_errno;
	int32_t			retryable;
	struct tarw_stats	stats;
};

/* One path the reader saw (chain.h), then its name: F_PATHS frames. */
struct wire_ent {
	uint64_t	size;
	int64_t		mtime_ns;
	int64_t		ctime_ns;
	uint64_t	ino;
	uint32_t	pathlen;
	uint32_t	type;
};

struct privsep {
	struct exclude	*ex;
	const struct chain_state *chain_prev;	/* inherited by the reader */
	bool		 chain_full;	/* ignore chain_prev from now on */
	struct chain_state *chain_seen;		/* the parent's record */
	pid_t		 pid;		/* reader, or 0: read in-process */
	int		 fd;
	bool		 busy;		/* a request is not answered yet */
	char		*buf;
	char		 account[64];
};

/* The reader's side of the socket, with output batched into frames. */
struct reader {
	int			 fd;
	char			*buf;
	size_t			 len;
	struct tarw_stats	 base;	/* stats when the request began */
	struct tarw		*t;
	struct chain_state	 seen;	/* this request's paths */
};

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(int fd, void *data, size_t len)
{
	char *p = data;
	ssize_t n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
send_frame(int fd, uint32_t type, const void *a, size_t alen, const void *b,
    size_t blen)
{
	struct frame f = { type, (uint32_t)(alen + blen) };
	struct iovec iov[3] = {
		{ &f, sizeof(f) }, { (void *)a, alen }, { (void *)b, blen },
	};
	size_t total = sizeof(f) + alen + blen, i = 0;
	ssize_t n;

	while (total > 0) {
		n = writev(fd, iov + i, 3 - (int)i);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		total -= (size_t)n;
		while (i < 3 && (size_t)n >= iov[i].iov_len) {
			n -= (ssize_t)iov[i].iov_len;
			iov[i].iov_len = 0;
			i++;
		}
		if (i < 3) {
			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* The reader cannot go on once the parent stopped listening. */
static void
reader_flush(struct reader *r)
{
	if (r->len > 0 && send_frame(r->fd, F_DATA, r->buf, r->len, NULL, 0)
	    == -1)
		_exit(1);
	r->len = 0;
}

static int
reader_sink(const void *data, size_t len, void *arg)
{
	struct reader *r = arg;

	if (r->len + len > CHILD_BUF)
		reader_flush(r);
	if (len >= CHILD_BUF) {
		if (send_frame(r->fd, F_DATA, data, len, NULL, 0) == -1)
			_exit(1);
		return 0;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	return 0;
}

static void
stats_delta(const struct tarw_stats *now, const struct tarw_stats *base,
    struct tarw_stats *d)
{
	d->files = now->files - base->files;
	d->bytes = now->bytes - base->bytes;
	d->warnings = now->warnings - base->warnings;
}

static void
reader_tick(const struct tarw_stats *s, void *arg)
{
	struct reader *r = arg;
	struct tarw_stats d;

	reader_flush(r);
	stats_delta(s, &r->base, &d);
	if (send_frame(r->fd, F_STATS, &d, sizeof(d), NULL, 0) == -1)
		_exit(1);
}

/* One regular file (a vhost's config, say) as member. */
static int
add_file(struct tarw *t, const char *path, const char *member,
    struct bk_err *err)
{
	struct stat sb;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return bk_err_sys(err, BK_EIO, "open %s", path);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		errno = errno != 0 ? errno : EINVAL;
		return bk_err_sys(err, BK_EIO, "%s: not a regular file", path);
	}
	if (tarw_chain_skip(t, member, &sb)) {
		close(fd);
		return 0;
	}
	rc = tarw_add_fd(t, member, fd, (uint64_t)sb.st_size, sb.st_mode,
	    sb.st_mtime, err);
	close(fd);
	return rc;
}

/* The walk itself, with whatever privileges this process has. */
static int
local_add_path(struct tarw *t, const char *path, const char *member,
    struct exclude *ex, struct bk_err *err)
{
	struct stat sb;

	if (lstat(path, &sb) == -1 || !(S_ISDIR(sb.st_mode) ||
	    S_ISREG(sb.st_mode)))
		return 1;
	if (S_ISDIR(sb.st_mode))
		return tarw_add_tree(t, path, member, ex, err);
	return add_file(t, path, member, err);
}

/* The request's recorded paths to the parent, then forgotten. */
static void
send_paths(struct reader *r)
{
	struct wire_ent w;
	const struct chain_entry *e;
	size_t i, n;

	reader_flush(r);
	for (i = 0; i < r->seen.n; i++) {
		e = &r->seen.ents[i];
		n = strlen(e->path);
		w = (struct wire_ent){ e->size, e->mtime_ns, e->ctime_ns,
		    e->ino, (uint32_t)n, (uint32_t)(unsigned char)e->type };
		if (n > 65536 || send_frame(r->fd, F_PATHS, &w, sizeof(w),
		    e->path, n) == -1)
			_exit(1);
	}
	chain_state_free(&r->seen);
}

static void
send_done(struct reader *r, int rc, const struct bk_err *e)
{
	struct done d = { .rc = rc };

	reader_flush(r);
	if (r->t != NULL)
		stats_delta(tarw_stats(r->t), &r->base, &d.stats);
	if (rc == -1) {
		d.code = (int32_t)e->code;
		d.sys_errno = e->sys_errno;
		d.retryable = e->retryable;
	}
	if (send_frame(r->fd, F_DONE, &d, sizeof(d), rc == -1 ? e->msg : "",
	    rc == -1 ? strlen(e->msg) : 0) == -1)
		_exit(1);
}

/* The reader process: never returns. */
static void __attribute__((noreturn))
reader_main(struct privsep *ps, int fd, const struct account *acct,
    pid_t parent)
{
	struct reader r = { .fd = fd };
	struct bk_err err;
	uint32_t lens[2];
	char *path, *member;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	if (fd > 3)
		(void)close_range(3, (unsigned int)fd - 1, 0);
	(void)close_range((unsigned int)fd + 1, ~0u, 0);
	bk_err_clear(&err);
	r.buf = xmalloc(CHILD_BUF);
	if (account_become(acct, &err) == -1 ||
	    (r.t = tarw_new_sink(reader_sink, &r, &err)) == NULL) {
		send_done(&r, -1, &err);
		_exit(1);
	}
	tarw_set_tick(r.t, reader_tick, &r);
	chain_state_init(&r.seen);
	if (ps->chain_seen != NULL || ps->chain_prev != NULL)
		tarw_set_chain(r.t, ps->chain_prev, &r.seen);
	/* After the switch: a change of credentials clears it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(1);
	send_done(&r, 0, &err);			/* ready */
	while (read_all(fd, lens, sizeof(lens)) == 0) {
		if (lens[1] & CHAIN_FULL_BIT) {
			/* The job turned into a full. */
			lens[1] &= ~CHAIN_FULL_BIT;
			tarw_set_chain(r.t, NULL, &r.seen);
		}
		if (lens[0] == 0 || lens[0] > 65536 || lens[1] == 0 ||
		    lens[1] > 65536)
			_exit(1);
		path = xmalloc((size_t)lens[0] + 1);
		member = xmalloc((size_t)lens[1] + 1);
		if (read_all(fd, path, lens[0]) == -1 ||
		    read_all(fd, member, lens[1]) == -1)
			_exit(1);
		path[lens[0]] = '\0';
		member[lens[1]] = '\0';
		r.base = *tarw_stats(r.t);
		bk_err_clear(&err);
		rc = local_add_path(r.t, path, member, ps->ex, &err);
		if (rc == 0 && tarw_flush(r.t, &err) == -1)
			rc = -1;
		if (ps->chain_seen != NULL)
			send_paths(&r);
		send_done(&r, rc, &err);
		free(path);
		free(member);
	}
	/* No end-of-archive: the parent's archive goes on. */
	_exit(0);
}

/* A path the reader reports: checked before it is believed. */
static int
take_path(struct privsep *ps, uint32_t len)
{
	struct wire_ent w;
	struct chain_entry e;
	char *path;

	if (len < sizeof(w))
		return -1;
	memcpy(&w, ps->buf, sizeof(w));
	if (w.pathlen == 0 || w.pathlen != len - sizeof(w) ||
	    memchr(ps->buf + sizeof(w), '\0', w.pathlen) != NULL ||
	    w.type == 0 || w.type > 0x7f || strchr("fdlo", (int)w.type) == NULL)
		return -1;
	if (ps->chain_seen == NULL)
		return 0;
	path = xstrndup(ps->buf + sizeof(w), w.pathlen);
	e = (struct chain_entry){ path, w.size, w.mtime_ns, w.ctime_ns,
	    w.ino, (char)w.type };
	chain_state_add(ps->chain_seen, &e);
	free(path);
	return 0;
}

/* Wait for the reader's DONE frame, splicing DATA into t (may be NULL
 * for the ready frame). */
static int
await_done(struct privsep *ps, struct tarw *t, struct bk_err *err)
{
	struct tarw_stats base = { 0 }, sum;
	const struct tarw_stats *d;
	struct pollfd pfd = { .fd = ps->fd, .events = POLLIN };
	struct done done;
	struct frame f;
	int n;

	if (t != NULL)
		base = *tarw_stats(t);
	for (;;) {
		n = poll(&pfd, 1, 1000);
		if (n == -1 && errno != EINTR)
			return bk_err_sys(err, BK_EFAIL, "source reader");
		if (n <= 0) {
			if (t != NULL && tarw_write_raw(t, NULL, 0, err) == -1)
				return -1;
			continue;
		}
		if (read_all(ps->fd, &f, sizeof(f)) == -1 ||
		    f.len > FRAME_MAX ||
		    read_all(ps->fd, ps->buf, f.len) == -1)
			return bk_err_set(err, BK_EFAIL, "the source reader "
			    "of %s stopped", ps->account);
		switch (f.type) {
		case F_PATHS:
			if (t == NULL || take_path(ps, f.len) == -1)
				goto bad;
			break;
		case F_DATA:
			if (t == NULL || f.len == 0)
				goto bad;
			if (tarw_write_raw(t, ps->buf, f.len, err) == -1)
				return -1;
			break;
		case F_STATS:
		case F_DONE:
			if (f.len < (f.type == F_DONE ? sizeof(done) :
			    sizeof(*d)))
				goto bad;
			if (f.type == F_DONE)
				memcpy(&done, ps->buf, sizeof(done));
			d = f.type == F_DONE ? &done.stats :
			    (const struct tarw_stats *)(void *)ps->buf;
			if (t != NULL) {
				sum.files = base.files + d->files;
				sum.bytes = base.bytes + d->bytes;
				sum.warnings = base.warnings + d->warnings;
				tarw_set_stats(t, &sum);
			}
			if (f.type == F_STATS)
				break;
			ps->busy = false;
			if (done.rc != -1)
				return done.rc;
			bk_err_set(err, done.code > BK_OK && done.code <=
			    BK_EFAIL ? (enum bk_code)done.code : BK_EFAIL,
			    "%.*s", (int)(f.len - sizeof(done)),
			    ps->buf + sizeof(done));
			err->sys_errno = done.sys_errno;
			err->retryable = done.retryable != 0;
			return -1;
		default:
			goto bad;
		}
	}
bad:
	return bk_err_set(err, BK_EFAIL, "the source reader of %s sent a bad "
	    "frame", ps->account);
}

struct privsep *
privsep_start(const struct settings *admin, const char *user,
    struct exclude *ex, struct bk_err *err)
{
	return privsep_start_chain(admin, user, ex, NULL, NULL, err);
}

struct privsep *
privsep_start_chain(const struct settings *admin, const char *user,
    struct exclude *ex, const struct chain_state *prev,
    struct chain_state *seen, struct bk_err *err)
{
	struct privsep *ps;
	struct account acct;
	pid_t self = getpid();
	int sv[2];

	if (account_lookup(admin, user, &acct, err) == -1)
		return NULL;
	ps = xcalloc(1, sizeof(*ps));
	ps->ex = ex;
	ps->chain_prev = prev;
	ps->chain_seen = seen;
	ps->fd = -1;
	if (!acct.drop)
		return ps;
	snprintf(ps->account, sizeof(ps->account), "%s", acct.name);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		bk_err_sys(err, BK_EFAIL, "source reader: socketpair");
		free(ps);
		return NULL;
	}
	ps->buf = xmalloc(FRAME_MAX);
	if ((ps->pid = fork()) == -1) {
		bk_err_sys(err, BK_EFAIL, "source reader: fork");
		close(sv[0]);
		close(sv[1]);
		ps->pid = 0;
		privsep_free(ps);
		return NULL;
	}
	if (ps->pid == 0) {
		close(sv[0]);
		reader_main(ps, sv[1], &acct, self);
	}
	close(sv[1]);
	ps->fd = sv[0];
	if (await_done(ps, NULL, err) != 0) {
		if (err->code == BK_OK)
			bk_err_set(err, BK_EFAIL, "source reader: no answer");
		privsep_free(ps);
		return NULL;
	}
	return ps;
}

int
privsep_add_path(struct privsep *ps, struct tarw *t, const char *path,
    const char *member, struct bk_err *err)
{
	uint32_t lens[2];

	/* No account to read as: root reads only what no user controls
	 * (a user-owned or writable folder could hold a hard link to any
	 * file); run as another uid, the caller's own reach is the limit. */
	if (ps->pid == 0 && geteuid() == 0 &&
	    userfile_trusted(path, path, err) == -1) {
		bk_err_prefix(err, "%s", member);
		return -1;
	}
	if (ps->pid == 0) {
		tarw_set_root_dirs_only(t, geteuid() == 0);
		if (ps->chain_seen != NULL || ps->chain_prev != NULL)
			tarw_set_chain(t, ps->chain_prev, ps->chain_seen);
		return local_add_path(t, path, member, ps->ex, err);
	}
	lens[0] = (uint32_t)strlen(path);
	lens[1] = (uint32_t)strlen(member);
	if (lens[0] == 0 || lens[0] > 65536 || lens[1] > 65536)
		return bk_err_set(err, BK_EFAIL, "%s: path too long", path);
	if (tarw_flush(t, err) == -1)
		return -1;
	if (ps->chain_full)
		lens[1] |= CHAIN_FULL_BIT;
	ps->busy = true;
	if (write_all(ps->fd, lens, sizeof(lens)) == -1 ||
	    write_all(ps->fd, path, lens[0]) == -1 ||
	    write_all(ps->fd, member, strlen(member)) == -1)
		return bk_err_set(err, BK_EFAIL, "the source reader of %s "
		    "stopped", ps->account);
	/* busy stays set unless the reader answered: a reader cut off
	 * mid-stream is killed, not waited for. */
	return await_done(ps, t, err);
}

void
privsep_chain_full(struct privsep *ps)
{
	ps->chain_prev = NULL;
	ps->chain_full = true;
}

bool
privsep_dropped(const struct privsep *ps)
{
	return ps != NULL && ps->pid > 0;
}

void
privsep_free(struct privsep *ps)
{
	int status;

	if (ps == NULL)
		return;
	if (ps->pid > 0) {
		if (ps->busy)
			(void)kill(ps->pid, SIGKILL);
		if (ps->fd != -1)
			close(ps->fd);
		while (waitpid(ps->pid, &status, 0) == -1 && errno == EINTR)
			;
	} else if (ps->fd != -1)
		close(ps->fd);
	free(ps->buf);
	free(ps);
}

pid_t
privsep_reader_pid(const struct privsep *ps)
{
	return ps != NULL ? ps->pid : 0;
}
