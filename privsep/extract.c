/*
 * extract.c - a restore's tar stream parsed and extracted by a child
 * process with the user's reach only.
 *
 * Why: the archive is the user's (they may have placed it at their own
 * destination), so everything it says about owners, modes, types and
 * paths is hostile input.  Extracting it as root would let it create
 * setuid-root binaries, device nodes, or write wherever a planted symlink
 * points.  The child becomes the user first (account_become), so the
 * kernel refuses what the user could not do; the rules below hold even
 * where no account maps to the user and the child stays root.
 *
 * Rules (docs/security.md, "Restore and verify"):
 *   - DIR is walked from "/" one component at a time with O_NOFOLLOW |
 *     O_DIRECTORY: a symlink anywhere in its path is refused.  Missing
 *     folders are created (0700).  DIR must be empty unless --overwrite.
 *     With no account to switch to, a DIR not owned by the caller is
 *     refused (USER_ACCOUNTS).
 *   - Members are created relative to DIR's descriptor, component by
 *     component, with O_NOFOLLOW (mkdirat, openat O_CREAT|O_EXCL,
 *     symlinkat, linkat): an existing entry is never followed.  An
 *     existing file is replaced only with --overwrite (unlinked first,
 *     never written through); an existing folder is reused.
 *   - One leading "/" is stripped (archives of offen/docker-volume-backup
 *     have it); a name still absolute, or with a ".." component, is
 *     refused.  Hard links must point at a regular file this restore
 *     already created.  Symlinks are created as links, never followed.
 *   - Files belong to the child's uid; modes are masked to 0777 (the
 *     setuid, setgid and sticky bits are dropped and the entry named as
 *     changed); device nodes, FIFOs and sockets are skipped.  mtimes
 *     are kept (folders' at the end, after their contents).
 *   - Every skipped or refused entry is counted and named in the result.
 *
 * Protocol: a pipe carries the tar stream to the child (a pipe, not the
 * socket: cheaper per byte), a stream socketpair the answers.  The child
 * sends READY (its setup's result); the parent then writes the tar
 * stream and closes the pipe; the child reads it to the end (draining
 * after a failure, so the layers above the tar name damage first), then
 * sends NOTE and KEPT frames and DONE.  A chain (extract_next) is several
 * streams: after each but the last the child sends META (the archive's
 * .panel-backup/chain) and STEP (its verdict), and the parent, if it goes
 * on, passes a new pipe's read end with NEXT (SCM_RIGHTS); the paths a
 * later archive no longer lists are removed in between (unpack_chain.c).
 * The parent checks every length:
 * the child parses a hostile archive and is the user's to kill.  The
 * child dies with the parent (PR_SET_PDEATHSIG).
 *
 * Threads: extract_start may be called while the parent has threads: the
 * child makes only system calls until it is the user (after that it uses
 * libarchive and malloc, which glibc makes fork-safe).  The rest from one
 * thread of the parent at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account.h"
#include "err.h"
#include "extract.h"
#include "unpack.h"
#include "unpack_chain.h"
#include "xmalloc.h"

#define FRAME_MAX	(64 * 1024)
#define RESULT_MAX	(16 * 1024 * 1024)
#define KEPT_MAX	10000
#define CHILD_FD	3		/* the socket */
#define CHILD_IN	4		/* the tar stream (a pipe) */
#define PIPE_SIZE	(1024 * 1024)

enum { F_READY = 1, F_NOTE, F_KEPT, F_DONE, F_META, F_STEP, F_NEXT };

struct frame {
	uint32_t	type;
	uint32_t	len;
};

struct wire_err {
	int32_t		rc;
	int32_t		code;
	int32_t		sys_errno;
	int32_t		retryable;
	char		msg[512];
};

struct wire_done {
	struct wire_err		e;
	struct unpack_counts	n;
};

struct extract {
	pid_t		 pid;
	int		 fd;
	int		 in;		/* the tar stream's write end */
	const struct extract_opts *o;
};

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 1 read, 0 at a clean end before the first byte, -1 error. */
static int
read_all(int fd, void *data, size_t len)
{
	char *p = data;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 && got == 0 ? 0 : -1;
		got += (size_t)n;
	}
	return 1;
}

static int
send_frame(int fd, uint32_t type, const void *p, size_t len)
{
	struct frame f = { type, (uint32_t)len };

	if (write_all(fd, &f, sizeof(f)) == -1)
		return -1;
	return write_all(fd, p, len);
}

static void
wire_from(struct wire_err *w, int rc, const struct bk_err *err)
{
	memset(w, 0, sizeof(*w));
	w->rc = rc;
	if (rc == 0)
		return;
	w->code = (int32_t)err->code;
	w->sys_errno = err->sys_errno;
	w->retryable = err->retryable;
	snprintf(w->msg, sizeof(w->msg), "%s", err->msg);
}

static void
child_send_result(struct unpack *u, int fd, int rc)
{
	struct wire_done d = { .n = u->n };
	size_t i, len = sizeof(d) + u->o->nonly * sizeof(uint64_t);
	char *p = xmalloc(len);

	for (i = 0; i < u->nnotes; i++)
		if (send_frame(fd, F_NOTE, u->notes[i], strlen(u->notes[i])) ==
		    -1)
			_exit(1);
	for (i = 0; i < u->nkept && i < KEPT_MAX; i++)
		if (send_frame(fd, F_KEPT, u->kept[i], strnlen(u->kept[i],
		    4000)) == -1)
			_exit(1);
	wire_from(&d.e, rc, &u->err);
	memcpy(p, &d, sizeof(d));
	if (u->o->nonly > 0)
		memcpy(p + sizeof(d), u->hits, u->o->nonly * sizeof(uint64_t));
	if (send_frame(fd, F_DONE, p, len) == -1)
		_exit(1);
}

/* The child's next tar stream: a pipe's read end passed with F_NEXT. */
static int
child_next_input(int sock)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct frame f;
	struct iovec iov = { &f, sizeof(f) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL) !=
	    (ssize_t)sizeof(f) || f.type != F_NEXT || f.len != 0 ||
	    (cm = CMSG_FIRSTHDR(&m)) == NULL || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	/* The lowest free number: CHILD_IN itself, closed for it. */
	if (fd == CHILD_IN)
		return 0;
	if (dup2(fd, CHILD_IN) == -1)
		return -1;
	close(fd);
	return 0;
}

/*
 * Every stream of a chain, one after another; after each but the last an
 * F_STEP verdict (and its F_META), then the next input.  The last
 * stream's verdict is the DONE frame's.
 */
static int
child_streams(struct unpack *u, const struct extract_opts *o, int fd)
{
	char drain[65536], *meta;
	unsigned int i, n = o->nstreams > 1 ? o->nstreams : 1;
	struct wire_err w;
	size_t len = 0;
	int rc;

	for (i = 0;; i++) {
		rc = unpack_stream(u, CHILD_IN);
		/* Read what is left so the parent's layers see all their
		 * data. */
		while (read(CHILD_IN, drain, sizeof(drain)) > 0)
			;
		close(CHILD_IN);
		if (rc == 0 && o->chain)
			rc = unpack_chain_step(u);
		if ((meta = unpack_chain_meta_take(u, &len)) != NULL) {
			if (send_frame(fd, F_META, meta, len) == -1)
				_exit(1);
			free(meta);
		}
		if (i + 1 >= n)
			return rc;
		wire_from(&w, rc, &u->err);
		if (send_frame(fd, F_STEP, &w, sizeof(w)) == -1)
			_exit(1);
		if (rc == -1)
			return rc;
		/* The parent stops early (a layer above failed): it shut
		 * its side, and still reads the result. */
		if (child_next_input(fd) == -1)
			return bk_err_set(&u->err, BK_EFAIL, "the restore "
			    "ended before the chain's last archive");
	}
}

static void __attribute__((noreturn))
child_main(const struct account *acct, const struct extract_opts *o,
    pid_t parent, const int sv[2], const int pp[2])
{
	struct bk_err err = { 0 };
	struct wire_err w;
	struct unpack u;
	int rc, fd = CHILD_FD, sock, in, i;

	/*
	 * System calls only until the child is the user.  The parent's ends
	 * go first: holding the pipe's write end, the child would never see
	 * the end of its input.
	 */
	close(sv[0]);
	close(pp[1]);
	if ((sock = fcntl(sv[1], F_DUPFD, 10)) == -1 ||
	    (in = fcntl(pp[0], F_DUPFD, 10)) == -1 ||
	    dup2(sock, CHILD_FD) == -1 || dup2(in, CHILD_IN) == -1)
		_exit(1);
	if (close_range(CHILD_IN + 1, ~0U, 0) == -1)
		for (i = CHILD_IN + 1; i < 1024; i++)
			(void)close(i);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (account_become(acct, &err) == -1) {
		wire_from(&w, -1, &err);
		(void)send_frame(fd, F_READY, &w, sizeof(w));
		_exit(1);
	}
	/* After the switch: a change of credentials clears it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != parent)
		_exit(1);
	/* The same confinement where there is no account to become. */
	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	umask(0);
	/* Our archives' names are UTF-8 pax paths (worker/tarw.c): read them
	 * in C.UTF-8 so libarchive does not refuse non-ASCII names.  This
	 * process does nothing else, so the whole process may switch. */
	(void)setlocale(LC_CTYPE, "C.UTF-8");
	if (chdir("/") == -1)
		_exit(1);
	unpack_init(&u, o);
	rc = o->dir != NULL ? unpack_root(&u, o->dir, acct) : 0;
	wire_from(&w, rc, &u.err);
	if (send_frame(fd, F_READY, &w, sizeof(w)) == -1 || rc == -1)
		_exit(1);
	rc = child_streams(&u, o, fd);
	child_send_result(&u, fd, rc);
	_exit(0);
}

static void
err_from(struct bk_err *err, const struct wire_err *w)
{
	char msg[sizeof(w->msg)];

	memcpy(msg, w->msg, sizeof(msg));
	msg[sizeof(msg) - 1] = '\0';
	unpack_printable(msg);
	bk_err_set(err, w->code > BK_OK && w->code <= BK_EFAIL ?
	    (enum bk_code)w->code : BK_EFAIL, "%s", msg);
	err->sys_errno = w->sys_errno;
	err->retryable = w->retryable != 0;
}

/*
 * After the child failed to answer: what became of it.  One that broke
 * the protocol may still run (it is the user's, and may be made to send
 * anything, then sleep): it is killed first, not waited for.  One that
 * already ended keeps its status (a signal does not change an exit in
 * progress).
 */
static int
child_gone(struct extract *x, struct bk_err *err)
{
	int status = 0;

	if (x->pid > 0) {
		(void)kill(x->pid, SIGKILL);
		while (waitpid(x->pid, &status, 0) == -1 && errno == EINTR)
			;
		x->pid = 0;
	}
	if (WIFSIGNALED(status))
		return bk_err_set(err, BK_EFAIL, "tar layer: the extraction "
		    "process stopped (signal %d)", WTERMSIG(status));
	return bk_err_set(err, BK_EFAIL, "tar layer: the extraction process "
	    "stopped (exit %d)", WEXITSTATUS(status));
}

struct extract *
extract_start(const struct account *a, const struct extract_opts *o,
    struct bk_err *err)
{
	struct extract *x = xcalloc(1, sizeof(*x));
	struct frame f;
	struct wire_err w;
	int sv[2] = { -1, -1 }, pp[2] = { -1, -1 }, i;
	pid_t parent = getpid();

	x->o = o;
	x->fd = x->in = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    pipe2(pp, O_CLOEXEC) == -1) {
		bk_err_sys(err, BK_EIO, "socketpair or pipe");
		goto fail;
	}
	/* A pipe for the bulk: cheaper per byte than a socket; larger than
	 * the default so the two sides switch less often. */
	(void)fcntl(pp[1], F_SETPIPE_SZ, PIPE_SIZE);
	if ((x->pid = fork()) == -1) {
		bk_err_sys(err, BK_EIO, "fork");
		goto fail;
	}
	if (x->pid == 0)
		child_main(a, o, parent, sv, pp);
	close(sv[1]);
	close(pp[0]);
	x->fd = sv[0];
	x->in = pp[1];
	if (read_all(x->fd, &f, sizeof(f)) != 1 || f.type != F_READY ||
	    f.len != sizeof(w) || read_all(x->fd, &w, sizeof(w)) != 1) {
		child_gone(x, err);
		extract_free(x);
		return NULL;
	}
	if (w.rc != 0) {
		err_from(err, &w);
		extract_free(x);
		return NULL;
	}
	return x;
fail:
	for (i = 0; i < 2; i++) {
		if (sv[i] != -1)
			close(sv[i]);
		if (pp[i] != -1)
			close(pp[i]);
	}
	free(x);
	return NULL;
}

int
extract_write(struct extract *x, const void *data, size_t len,
    struct bk_err *err)
{
	const char *c = data;
	ssize_t n;

	while (len > 0) {
		n = write(x->in, c, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return bk_err_sys(err, BK_ECORRUPT, "tar layer: the "
			    "extraction process stopped");
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

void
extract_close_input(struct extract *x)
{
	if (x->in != -1)
		close(x->in);
	x->in = -1;
}

static char *
frame_string(const char *p, size_t len)
{
	char *s = xstrndup(p, len);

	unpack_printable(s);
	return s;
}

/* Give the child a new pipe's read end for its next stream. */
static int
send_input(struct extract *x, struct bk_err *err)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct frame f = { F_NEXT, 0 };
	struct iovec iov = { &f, sizeof(f) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int pp[2];

	if (pipe2(pp, O_CLOEXEC) == -1)
		return bk_err_sys(err, BK_EIO, "pipe");
	(void)fcntl(pp[1], F_SETPIPE_SZ, PIPE_SIZE);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pp[0], sizeof(int));
	if (sendmsg(x->fd, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(f)) {
		close(pp[0]);
		close(pp[1]);
		return child_gone(x, err);
	}
	close(pp[0]);
	x->in = pp[1];
	return 0;
}

int
extract_next(struct extract *x, char **meta, struct bk_err *err)
{
	struct wire_err w;
	struct frame f;
	char *buf = NULL;

	*meta = NULL;
	extract_close_input(x);
	while (read_all(x->fd, &f, sizeof(f)) == 1) {
		if (f.type == F_META && f.len <= FRAME_MAX && *meta == NULL) {
			buf = xmalloc(f.len + 1);
			if (read_all(x->fd, buf, f.len) != 1)
				break;
			buf[f.len] = '\0';
			*meta = buf;
			buf = NULL;
			continue;
		}
		if (f.type != F_STEP || f.len != sizeof(w) ||
		    read_all(x->fd, &w, sizeof(w)) != 1)
			break;
		if (w.rc != 0) {
			free(*meta);
			*meta = NULL;
			err_from(err, &w);
			return -1;
		}
		return send_input(x, err);
	}
	free(buf);
	free(*meta);
	*meta = NULL;
	return child_gone(x, err);
}

int
extract_finish(struct extract *x, struct extract_result *res,
    struct bk_err *err)
{
	struct wire_done d;
	struct frame f;
	size_t total = 0, hits = x->o->nonly * sizeof(uint64_t);
	char *buf = xmalloc(FRAME_MAX + hits);
	bool done = false;
	int r, rc = -1;

	memset(res, 0, sizeof(*res));
	extract_close_input(x);
	/* Nothing more for it: a chain's child waiting for its next input
	 * sends its result instead. */
	(void)shutdown(x->fd, SHUT_WR);
	while ((r = read_all(x->fd, &f, sizeof(f))) == 1) {
		total += f.len;
		if (f.len > FRAME_MAX + hits || total > RESULT_MAX || done ||
		    read_all(x->fd, buf, f.len) != 1)
			break;
		if (f.type == F_NOTE && res->nnotes < EXTRACT_MAX_NOTES) {
			res->notes = xreallocarray(res->notes, res->nnotes + 1,
			    sizeof(*res->notes));
			res->notes[res->nnotes++] = frame_string(buf, f.len);
		} else if (f.type == F_META && res->meta == NULL) {
			res->meta = xstrndup(buf, f.len);
		} else if (f.type == F_KEPT && res->nkept < KEPT_MAX) {
			res->kept = xreallocarray(res->kept, res->nkept + 1,
			    sizeof(*res->kept));
			res->kept[res->nkept++] = frame_string(buf, f.len);
		} else if (f.type == F_DONE && f.len == sizeof(d) + hits) {
			memcpy(&d, buf, sizeof(d));
			res->only_hits = xcalloc(x->o->nonly + 1,
			    sizeof(uint64_t));
			memcpy(res->only_hits, buf + sizeof(d), hits);
			done = true;
		} else if (f.type != F_NOTE && f.type != F_KEPT &&
		    f.type != F_META && f.type != F_STEP)
			break;
	}
	if (!done || r == -1) {
		child_gone(x, err);
		goto out;
	}
	/* It has sent everything: let it exit on its own. */
	while (waitpid(x->pid, NULL, 0) == -1 && errno == EINTR)
		;
	x->pid = 0;
	res->members = d.n.members;
	res->files = d.n.files;
	res->dirs = d.n.dirs;
	res->links = d.n.links;
	res->bytes = d.n.bytes;
	res->skipped = d.n.skipped;
	res->refused = d.n.refused;
	res->changed = d.n.changed;
	res->removed = d.n.removed;
	res->left = d.n.left;
	if (d.e.rc != 0) {
		err_from(err, &d.e);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		extract_result_free(res);
	free(buf);
	extract_free(x);
	return rc;
}

void
extract_free(struct extract *x)
{
	if (x == NULL)
		return;
	extract_close_input(x);
	if (x->fd != -1)
		close(x->fd);
	if (x->pid > 0) {
		kill(x->pid, SIGKILL);
		while (waitpid(x->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	free(x);
}

void
extract_result_free(struct extract_result *res)
{
	size_t i;

	for (i = 0; i < res->nnotes; i++)
		free(res->notes[i]);
	for (i = 0; i < res->nkept; i++)
		free(res->kept[i]);
	free(res->notes);
	free(res->kept);
	free(res->meta);
	free(res->only_hits);
	memset(res, 0, sizeof(*res));
}
