/*
 * testutil.h - helpers the unit tests share: a temporary folder and names
 * in it, whole files in and out, a shell command, a buffer sink.  Linked
 * into every test program (the Makefile's TESTLIB).
 */
#ifndef BK_TESTUTIL_H
#define BK_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

struct bk_err;

/* Creates /tmp/<prog>.XXXXXX; its name, or NULL. */
const char	*tu_tmpdir(const char *prog);

/* <the folder tu_tmpdir made>/<name>, in one of 8 rotating buffers. */
char	*tu_path(const char *name);

/* The whole file (NUL-terminated past *len; malloc'd); a missing file
 * reads as empty. */
char	*tu_slurp(const char *path, size_t *len);

/* Writes p[0..n) as the whole file. */
void	 tu_spit(const char *path, const void *p, size_t n);

/* system() of the formatted command; its raw status. */
int	 tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes text as the file dir/name. */
void	 tu_write_text(const char *dir, const char *name, const char *text);

/* Starts argv[0] (a full path) with argv in a child; its pid. */
pid_t	 tu_spawn(char *const argv[]);

/* SIGTERM to a child tu_spawn started, and waits for it. */
void	 tu_stop(pid_t pid);

/* rm -rf dir, unless KEEP_TMP is set (a "# " line if it fails). */
void	 tu_rmtree(const char *dir);

/* A sink that appends to the struct buf ctx. */
int	 tu_collect(void *ctx, const void *p, size_t n, struct bk_err *err);

#endif
