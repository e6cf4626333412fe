/*
 * testutil.c - helpers the unit tests share (see testutil.h).  The one
 * temporary folder is process-wide state; single-threaded callers only.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "testutil.h"

static char tu_tmp[256];

const char *
tu_tmpdir(const char *prog)
{
	snprintf(tu_tmp, sizeof(tu_tmp), "/tmp/%s.XXXXXX", prog);
	return mkdtemp(tu_tmp);
}

char *
tu_path(const char *name)
{
	static char p[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tu_tmp, name);
	return p[i];
}

char *
tu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[65536];
	size_t n;

	buf_init(&b, (size_t)1 << 30);
	if (f != NULL) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&b, chunk, n);
		fclose(f);
	}
	*len = b.len;
	return buf_take(&b);
}

void
tu_spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	fwrite(p, 1, n, f);
	fclose(f);
}

int
tu_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

void
tu_write_text(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

pid_t
tu_spawn(char *const argv[])
{
	pid_t pid;

	if ((pid = fork()) == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

void
tu_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

void
tu_rmtree(const char *dir)
{
	if (getenv("KEEP_TMP") != NULL)
		return;
	if (tu_sh("rm -rf '%s'", dir) != 0)
		printf("# could not remove %s\n", dir);
}

int
tu_collect(void *ctx, const void *p, size_t n, struct bk_err *err)
{
	(void)err;
	return buf_append(ctx, p, n);
}
