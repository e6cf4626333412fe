/*
 * faultfs.c - an LD_PRELOAD shim that makes files misbehave on cue, so the
 * tests can show what a backup does when a file vanishes, cannot be read,
 * grows or shrinks while it is archived.  Only the test suite loads it;
 * the product has no test branch.  Names (the last path component) pick
 * the fault:
 *	VANISH_*	openat() fails with ENOENT (deleted after listing)
 *	NOREAD_*	openat() fails with EACCES
 *	GROW_*		the first read() appends 1 MiB to the file first
 *	SHRINK_*	the first read() truncates the file to 10 bytes first
 *	SLOW_*		every read() waits 100 ms first (a slow disk)
 *	DRIP_* folder	a file opened read-only anywhere below a folder of
 *			that name is read at most 64 KiB per read(), each
 *			after 50 ms (a slow destination: a restore's
 *			download stays running long enough to watch)
 *	MUTATE_*	opening it changes its folder as a user working in it
 *			would, after the walker listed the folder: "victim"
 *			is deleted, "moved_from" renamed to "moved_to",
 *			the folder "dir_from" renamed to "dir_to" and a new
 *			file "added_late" created
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXFD	4096

static char	 kind[MAXFD];	/* 'G', 'S' or 'L' per watched fd */

static const char *
base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

/* Is fd's file below a folder named DRIP_*? */
static int
in_drip(int fd)
{
	char self[64], where[4096];
	ssize_t n;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if ((n = readlink(self, where, sizeof(where) - 1)) <= 0)
		return 0;
	where[n] = '\0';
	return strstr(where, "/DRIP_") != NULL &&
	    strchr(strstr(where, "/DRIP_") + 1, '/') != NULL;
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	const char *b = base(path);
	mode_t mode = 0;
	va_list ap;
	int fd;

	if (real == NULL)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT,
		    "openat");
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (strncmp(b, "VANISH_", 7) == 0) {
		errno = ENOENT;
		return -1;
	}
	if (strncmp(b, "NOREAD_", 7) == 0) {
		errno = EACCES;
		return -1;
	}
	if (strncmp(b, "MUTATE_", 7) == 0 && b == path) {
		(void)unlinkat(dirfd, "victim", 0);
		(void)renameat(dirfd, "moved_from", dirfd, "moved_to");
		(void)renameat(dirfd, "dir_from", dirfd, "dir_to");
		if ((fd = real(dirfd, "added_late", O_WRONLY | O_CREAT |
		    O_EXCL, 0644)) >= 0) {
			(void)!write(fd, "late\n", 5);
			close(fd);
		}
	}
	fd = real(dirfd, path, flags, mode);
	if (fd >= 0 && fd < MAXFD)
		kind[fd] = strncmp(b, "GROW_", 5) == 0 ? 'G' :
		    strncmp(b, "SHRINK_", 7) == 0 ? 'S' :
		    strncmp(b, "SLOW_", 5) == 0 ? 'L' : 0;
	if (fd >= 0 && fd < MAXFD && kind[fd] == 0 &&
	    (flags & O_ACCMODE) == O_RDONLY && in_drip(fd))
		kind[fd] = 'D';
	return fd;
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return openat(dirfd, path, flags, mode);
}

ssize_t
read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	static char junk[65536];
	char self[64];
	int i, w;

	if (real == NULL)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT,
		    "read");
	if (fd >= 0 && fd < MAXFD && kind[fd] == 'L') {
		/* A slow disk: a job that stays running long enough to be
		 * stopped, whatever the machine's speed. */
		usleep(100000);
		return real(fd, buf, n);
	}
	if (fd >= 0 && fd < MAXFD && kind[fd] == 'D') {
		usleep(50000);
		return real(fd, buf, n < 65536 ? n : 65536);
	}
	if (fd >= 0 && fd < MAXFD && kind[fd] != 0) {
		/* The fd is read-only: change the file through another. */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		kind[fd] == 'G' ? (void)0 : (void)!truncate(self, 10);
		if (kind[fd] == 'G' && (w = open(self, O_WRONLY | O_APPEND))
		    >= 0) {
			for (i = 0; i < 16; i++)
				(void)!write(w, junk, sizeof(junk));
			close(w);
		}
		kind[fd] = 0;
	}
	return real(fd, buf, n);
}

/* A closed fd's number is reused by pipes and sockets: forget its fault. */
int
close(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "close");
	if (fd >= 0 && fd < MAXFD)
		kind[fd] = 0;
	return real(fd);
}
