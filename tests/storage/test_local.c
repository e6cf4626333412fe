/*
 * test_local.c - the storage conformance suite on the local backend, plus
 * its own cases: a crashed upload's leftover is removed by cleanup, a live
 * one is not; a folder that cannot be written.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conformance.h"
#include "err.h"
#include "settings.h"
#include "storage.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/pb-conf-local.XXXXXX", path[256], cmd[300];
	struct storage_config cfg = { 0 };
	struct storage_upload *up = NULL;
	struct settings us, admin;
	struct storage *st = NULL;
	struct bk_err err;
	struct stat sb;
	int fd;

	if (mkdtemp(dir) == NULL)
		return 1;
	settings_defaults(&us, SET_USER);
	settings_defaults(&admin, SET_ADMIN);
	/* The folder is the user's ARCHIVE_ROOT itself ("/" below it). */
	settings_set(&admin, "ARCHIVE_ROOT", dir);
	settings_set(&us, "BACKUP_ARCHIVE", "/");
	cfg.user = &us;
	cfg.admin = &admin;
	cfg.user_name = "alice";
	conformance_run("local", &cfg, NULL);

	/* A dead writer's partial file goes; a live upload's stays. */
	snprintf(path, sizeof(path), "%s/.old.tar.gz.partial", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	storage_open(&st, "local", &cfg, &err);
	storage_begin(st, "live.tar.gz", &up, &err);
	ok(storage_cleanup(st, &err) == 0, "cleanup runs");
	ok(stat(path, &sb) == -1, "cleanup removes a partial upload nobody "
	    "writes any more");
	snprintf(path, sizeof(path), "%s/.live.tar.gz.partial", dir);
	ok(stat(path, &sb) == 0, "cleanup keeps an upload in progress");
	storage_abort(up);
	ok(stat(path, &sb) == -1, "abort removes the partial file");
	storage_close(st);

	/* An unwritable folder: a clear error naming it. */
	if (geteuid() != 0) {
		chmod(dir, 0500);
		storage_open(&st, "local", &cfg, &err);
		ok(storage_begin(st, "x.tar", &up, &err) == -1 &&
		    strstr(err.msg, dir) != NULL, "an unwritable folder is "
		    "an error naming it (%s)", err.msg);
		storage_close(st);
		chmod(dir, 0700);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
	settings_free(&us);
	settings_free(&admin);
	return tap_done();
}
