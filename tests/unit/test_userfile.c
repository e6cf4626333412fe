/*
 * test_userfile.c - privsep/userfile.c as the caller sees it: a regular
 * file is read whole; a FIFO, a folder, a device and a file over the cap
 * are refused at once naming the setting, with none of their bytes in the
 * error; the same from a second thread (the notifier's case); a path
 * through a folder others may write is refused without an account.
 * (Reading as another account is covered by tests/security/.)
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "buf.h"
#include "err.h"
#include "tap.h"
#include "userfile.h"

static char dir[] = "/tmp/pb-userfile.XXXXXX";
static struct account nobody;	/* drop false: read as the caller */

static int
rd(const char *name, size_t max, struct buf *b, struct bk_err *err)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf_reset(b);
	return userfile_read(&nobody, "X_FILE", path, max, b, err);
}

static void *
from_thread(void *arg)
{
	struct buf b;
	struct bk_err err;

	buf_init(&b, 1 << 20);
	*(int *)arg = rd("value", 1024, &b, &err) == 0 &&
	    strcmp(b.data, "SECRET-VALUE\n") == 0;
	buf_free(&b);
	return NULL;
}

int
main(void)
{
	char path[256], cmd[300];
	struct bk_err err;
	struct buf b;
	pthread_t th;
	time_t t0;
	int fd, good = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	chmod(dir, 0755);
	buf_init(&b, 4 << 20);
	snprintf(path, sizeof(path), "%s/value", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	(void)!write(fd, "SECRET-VALUE\n", 13);
	close(fd);
	snprintf(path, sizeof(path), "%s/big", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	(void)!ftruncate(fd, 2048);
	close(fd);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	mkfifo(path, 0600);
	snprintf(path, sizeof(path), "%s/sub", dir);
	mkdir(path, 0700);

	ok(rd("value", 1024, &b, &err) == 0 && b.len == 13 &&
	    memcmp(b.data, "SECRET-VALUE\n", 13) == 0,
	    "a regular file is read whole");
	t0 = time(NULL);
	ok(rd("fifo", 1024, &b, &err) == -1 && strstr(err.msg, "X_FILE") &&
	    strstr(err.msg, "FIFO") && time(NULL) - t0 < 3,
	    "a FIFO is refused at once naming the setting (%s)", err.msg);
	ok(rd("sub", 1024, &b, &err) == -1 && strstr(err.msg, "folder"),
	    "a folder is refused (%s)", err.msg);
	ok(rd("big", 1024, &b, &err) == -1 && strstr(err.msg, "larger"),
	    "a file over the cap is refused (%s)", err.msg);
	ok(userfile_read(&nobody, "X_FILE", "/dev/zero", 1024, &b, &err) ==
	    -1 && (strstr(err.msg, "device") ||
	    strstr(err.msg, "USER_ACCOUNTS")), "a device is refused (%s)",
	    err.msg);
	ok(rd("missing", 1024, &b, &err) == -1 && err.code == BK_ENOENT,
	    "a missing file is BK_ENOENT (%s)", err.msg);
	ok(pthread_create(&th, NULL, from_thread, &good) == 0 &&
	    pthread_join(th, NULL) == 0 && good,
	    "the same read works from a second thread");
	if (geteuid() == 0) {
		/* Without an account, root refuses what others may change. */
		chmod(dir, 0777);
		ok(rd("value", 1024, &b, &err) == -1 &&
		    strstr(err.msg, "USER_ACCOUNTS") &&
		    strstr(err.msg, "SECRET") == NULL,
		    "as root without an account, a file in a folder others "
		    "may write is refused naming USER_ACCOUNTS (%s)", err.msg);
		chmod(dir, 0755);
		snprintf(path, sizeof(path), "%s/value", dir);
		(void)!chown(path, 65534, 65534);
		ok(rd("value", 1024, &b, &err) == -1 &&
		    strstr(err.msg, "owned by uid 65534"),
		    "... and so is a file another uid owns (%s)", err.msg);
		ok(userfile_trusted("X", "/etc/passwd", &err) == 0,
		    "a root-owned path in root-owned folders is trusted");
	}
	buf_free(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
	return tap_done();
}
