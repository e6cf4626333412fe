/*
 * backup_main.c - `backup [USER]`, the manual trigger of the panel docs:
 * enqueue a backup of USER (default $BACKUP_USER, else the login name) and
 * follow it with a progress bar; the exit status is the job's.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "err.h"
#include "jobview.h"
#include "log.h"
#include "path.h"
#include "queue.h"
#include "settings.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: backup [--config FILE] [USER]\n\n"
	    "Back up USER (default $BACKUP_USER, else your login name) now "
	    "through the queue\nand wait for it.  Exit status: 0 done, 1 the "
	    "backup failed, 2 bad usage or\nsettings, 3 Redis could not be "
	    "reached.\n");
}

static const char *
default_user(void)
{
	const char *u = getenv("BACKUP_USER");
	struct passwd *pw;

	if (u != NULL && *u != '\0')
		return u;
	u = getlogin();
	if (u != NULL)
		return u;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : NULL;
}

int
main(int argc, char **argv)
{
	struct daemon_args a;
	struct settings admin;
	struct bk_err err;
	struct queue *q;
	const char *user;
	bool created;
	char *id;
	int rc;

	log_init("backup");
	if (daemon_args(argc, argv, NULL, 1, usage, &a, &rc) == -1)
		return rc;
	user = a.first < argc ? argv[a.first] : default_user();
	if (user == NULL || !path_valid_user(user)) {
		fprintf(stderr, "backup: \"%s\" is not a valid user name\n",
		    user != NULL ? user : "");
		return 2;
	}
	if (daemon_config("backup", a.config, &admin, &rc) == -1)
		return rc;
	if ((q = jobview_open(&admin, "backup", &rc)) == NULL) {
		settings_free(&admin);
		return rc;
	}
	if (queue_enqueue(q, NULL, user, &id, &created, &err) == -1) {
		fprintf(stderr, "backup: %s\n", err.msg);
		rc = bk_err_exit_status(&err);
	} else {
		fprintf(stderr, "backup of %s: job %s%s\n", user, id,
		    created ? "" : " (joined the one already waiting)");
		rc = jobview_wait(q, id, "backup", NULL);
		if (rc == 0)
			fprintf(stderr, "backup of %s done\n", user);
		free(id);
	}
	queue_close(q);
	settings_free(&admin);
	return rc;
}
