/*
 * test_err.c - which failures a job retries: a system error another
 * attempt cannot change (not a directory, permission denied, read-only)
 * is permanent whatever the code; transient codes stay retryable.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "tap.h"

int
main(void)
{
	static const int permanent[] = { ENOTDIR, EISDIR, EACCES, EPERM,
	    EROFS, ELOOP };
	struct bk_err err;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++) {
		errno = permanent[i];
		bk_err_sys(&err, BK_EIO, "BACKUP_ARCHIVE: /srv/x");
		if (err.retryable)
			bad++;
	}
	ok(bad == 0, "not a directory, permission denied, read-only, link "
	    "loops: never retried (%d retryable)", bad);
	errno = ENOTDIR;
	bk_err_sys(&err, BK_EIO, "BACKUP_ARCHIVE: /srv/x");
	ok(strstr(err.msg, "BACKUP_ARCHIVE: /srv/x: Not a directory") != NULL,
	    "the message names the setting and the cause: %s", err.msg);
	errno = EIO;
	bk_err_sys(&err, BK_EIO, "read");
	ok(err.retryable, "an I/O error may be retried");
	errno = ECONNRESET;
	bk_err_sys(&err, BK_EUNREACH, "connect");
	ok(err.retryable, "an unreachable peer is retried");
	bk_err_set(&err, BK_ECONFIG, "AWS_PART_SIZE: refused");
	ok(!err.retryable, "a refused setting is never retried");
	return tap_done();
}
