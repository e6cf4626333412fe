/*
 * spawn.c - running dump tools with an argument vector (see spawn.h).
 *
 * fork+exec rather than posix_spawn, because the child needs a few steps
 * posix_spawn cannot express: its own session (no controlling terminal, so
 * a tool that wants a password fails instead of prompting), a parent-death
 * signal (a worker child that dies takes its dump with it), default signal
 * dispositions and mask, and every descriptor above 2 closed.
 *
 * Threads: the job's pipeline threads run while we fork, so between fork
 * and exec the child only makes async-signal-safe calls; everything it
 * needs (the program's path, the environment) is built before the fork.
 * The parent's calling thread reads the child's pipes with poll() until
 * both are closed, then reaps it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "deadline.h"
#include "err.h"
#include "secret.h"
#include "spawn.h"
#include "xmalloc.h"

extern char **environ;

#define ERR_KEEP	4096	/* bytes of the child's stderr kept */
#define MSG_KEEP	360	/* of which at most this goes in a message */

char *
spawn_which(const char *prog)
{
	const char *path, *p, *end;
	char *full;

	if (prog == NULL || *prog == '\0')
		return NULL;
	if (strchr(prog, '/') != NULL)
		return access(prog, X_OK) == 0 ? xstrdup(prog) : NULL;
	if ((path = getenv("PATH")) == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		struct stat sb;

		end = strchrnul(p, ':');
		xasprintf(&full, "%.*s/%s", (int)(end - p),
		    end == p ? "." : p, prog);
		if (end == p)
			full[0] = '.';
		if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    access(full, X_OK) == 0)
			return full;
		free(full);
		if (*end == '\0')
			break;
	}
	return NULL;
}

/* environ with env's names replaced or added; the strings of env are
 * copied so they can be wiped afterwards. */
static char **
build_env(const char *const *env, size_t *nadded)
{
	size_t n = 0, k = 0, o, i, j, len;
	char **v;

	while (environ[n] != NULL)
		n++;
	while (env != NULL && env[k] != NULL)
		k++;
	v = xcalloc(n + k + 1, sizeof(*v));
	for (j = 0; j < k; j++)
		v[j] = xstrdup(env[j]);
	*nadded = o = k;
	for (i = 0; i < n; i++) {
		for (j = 0; j < k; j++) {
			len = strcspn(env[j], "=");
			if (strncmp(environ[i], env[j], len) == 0 &&
			    environ[i][len] == '=')
				break;
		}
		if (j == k)
			v[o++] = environ[i];
	}
	v[o] = NULL;
	return v;
}

static void
free_env(char **v, size_t nadded)
{
	size_t i;

	for (i = 0; i < nadded; i++)
		xfree_secret(v[i]);
	free(v);
}

/* In the child, after fork: async-signal-safe calls only. */
static void __attribute__((noreturn))
child(const char *path, const struct spawn_cmd *cmd, char **envp,
    int devnull, int outfd, int errfd, int statfd)
{
	sigset_t all;
	int e, sig;

	(void)setsid();
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	if (dup2(devnull, 0) == -1 || dup2(outfd, 1) == -1 ||
	    dup2(errfd, 2) == -1)
		goto fail;
	if (statfd != 3 && dup2(statfd, 3) == -1)
		goto fail;
	(void)fcntl(3, F_SETFD, FD_CLOEXEC);
	(void)close_range(4, ~0U, 0);
	execve(path, (char *const *)cmd->argv, envp);
fail:
	e = errno;
	(void)write(3, &e, sizeof(e));
	_exit(127);
}

/* "prog: first lines of its stderr" into err. */
static int
fail_msg(struct bk_err *err, const char *prog, int status, struct buf *eb)
{
	char text[MSG_KEEP + 4];
	size_t i, o = 0;
	bool sp = false;
	char *s = eb->data;

	/* Collapse the tool's lines into one, as SPEC.md wants one line. */
	for (i = 0; i < eb->len && o < MSG_KEEP; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
			sp = o > 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (sp) {
			text[o++] = ' ';
			sp = false;
			if (o >= MSG_KEEP)
				break;
		}
		text[o++] = (char)c;
	}
	if (i < eb->len && o >= MSG_KEEP) {
		memcpy(text + o, "...", 3);
		o += 3;
	}
	text[o] = '\0';
	secret_redact(text, sizeof(text));
	if (o == 0) {
		if (status >= 128)
			return bk_err_set(err, BK_EFAIL, "%s killed by signal "
			    "%d", prog, status - 128);
		return bk_err_set(err, BK_EFAIL, "%s exited with status %d",
		    prog, status);
	}
	if (status >= 128)
		return bk_err_set(err, BK_EFAIL, "%s killed by signal %d: %s",
		    prog, status - 128, text);
	return bk_err_set(err, BK_EFAIL, "%s failed (exit %d): %s", prog,
	    status, text);
}

/* Read what is there on fd into b (keeping at most max bytes); -1 at EOF. */
static int
drain(int fd, struct buf *b, size_t keep, bool *overflow)
{
	char chunk[8192];
	ssize_t n;

	n = read(fd, chunk, sizeof(chunk));
	if (n == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	if (b->len < keep) {
		size_t take = (size_t)n;

		if (take > keep - b->len)
			take = keep - b->len;
		if (buf_append(b, chunk, take) == -1 || take < (size_t)n)
			*overflow = true;
	} else
		*overflow = true;
	return 0;
}

int
spawn_run(const struct spawn_cmd *cmd, int *status, struct bk_err *err)
{
	const char *prog = cmd->argv[0];
	int ep[2] = { -1, -1 }, op[2] = { -1, -1 }, sp[2] = { -1, -1 };
	int devnull = -1, st = -1, e = 0, rc = -1, wst;
	bool out_over = false, err_over = false;
	struct pollfd pf[2];
	siginfo_t si;
	char *path, **envp = NULL;
	size_t nadded = 0;
	struct buf eb;
	ssize_t n;
	pid_t pid;

	buf_init(&eb, ERR_KEEP + 1);
	if (status != NULL)
		*status = -1;
	if ((path = spawn_which(prog)) == NULL) {
		if (cmd->setting != NULL)
			bk_err_set(err, BK_ECONFIG, "%s: program \"%s\" not "
			    "found", cmd->setting, prog);
		else
			bk_err_set(err, BK_ECONFIG, "program \"%s\" not found",
			    prog);
		err->retryable = false;
		goto out;
	}
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    pipe2(ep, O_CLOEXEC) == -1 || pipe2(sp, O_CLOEXEC) == -1 ||
	    (cmd->out_fd == -1 && pipe2(op, O_CLOEXEC) == -1)) {
		bk_err_sys(err, BK_EIO, "%s: pipe", prog);
		goto out;
	}
	envp = build_env(cmd->env, &nadded);
	if ((pid = fork()) == -1) {
		bk_err_sys(err, BK_EIO, "%s: fork", prog);
		goto out;
	}
	if (pid == 0)
		child(path, cmd, envp, devnull,
		    cmd->out_fd != -1 ? cmd->out_fd : op[1], ep[1], sp[1]);
	deadline_track(pid);	/* JOB_TIMEOUT kills a hung tool */
	close(ep[1]);
	close(sp[1]);
	ep[1] = sp[1] = -1;
	if (op[1] != -1) {
		close(op[1]);
		op[1] = -1;
	}
	pf[0].fd = ep[0];
	pf[1].fd = op[0];
	pf[0].events = pf[1].events = POLLIN;
	while (pf[0].fd != -1 || pf[1].fd != -1) {
		if (poll(pf, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents != 0 && drain(pf[0].fd, &eb, ERR_KEEP,
		    &err_over) == -1)
			pf[0].fd = -1;
		if (pf[1].revents != 0 && drain(pf[1].fd, cmd->out,
		    cmd->out->max > 0 ? cmd->out->max - 1 : 0,
		    &out_over) == -1)
			pf[1].fd = -1;
	}
	/* Until reaped the pid stays ours; untrack first, then reap. */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == -1 &&
	    errno == EINTR)
		;
	deadline_untrack(pid);
	while (waitpid(pid, &wst, 0) == -1)
		if (errno != EINTR) {
			bk_err_sys(err, BK_EIO, "%s: waitpid", prog);
			goto out;
		}
	st = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	while ((n = read(sp[0], &e, sizeof(e))) == -1 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(e)) {
		errno = e;
		st = -1;
		bk_err_sys(err, BK_EFAIL, "%s: cannot run %s", prog, path);
		goto out;
	}
	if (st != 0) {
		fail_msg(err, prog, st, &eb);
		goto out;
	}
	if (out_over) {
		bk_err_set(err, BK_EPROTO, "%s: output larger than %zu bytes",
		    prog, cmd->out->max - 1);
		goto out;
	}
	rc = 0;
out:
	if (status != NULL)
		*status = st;
	if (envp != NULL)
		free_env(envp, nadded);
	if (devnull != -1)
		close(devnull);
	if (ep[0] != -1)
		close(ep[0]);
	if (sp[0] != -1)
		close(sp[0]);
	if (op[0] != -1)
		close(op[0]);
	buf_free(&eb);
	free(path);
	return rc;
}
