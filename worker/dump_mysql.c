/*
 * dump_mysql.c - MariaDB/MySQL databases, one mariadb-dump (or mysqldump)
 * file per database under mysql/<db>.sql.
 *
 * Connection: MYSQL_SOCKET, else MYSQL_HOST and MYSQL_PORT; credentials
 * only in the admin's option file MYSQL_DEFAULTS_FILE, passed as
 * --defaults-extra-file (which the tools want as their first option).
 * The dump is consistent for InnoDB tables (--single-transaction, which
 * also turns --lock-tables off) and carries routines, triggers and events.
 * It has no CREATE DATABASE / USE line, so it restores into a database of
 * any name: `mariadb newdb < mysql/alice_shop.sql`.
 *
 * Threads: the job's producer thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dump.h"
#include "err.h"
#include "settings.h"
#include "spawn.h"
#include "xmalloc.h"

#define MAX_ARGS	24
#define LIST_MAX	(4u << 20)	/* SHOW DATABASES output */

static const char *const mysql_system[] = {
	"information_schema", "performance_schema", "mysql", "sys", NULL,
};

static bool
mysql_configured(const struct settings *admin)
{
	return settings_is_set(admin, "MYSQL_SOCKET") ||
	    settings_is_set(admin, "MYSQL_HOST") ||
	    settings_is_set(admin, "MYSQL_DEFAULTS_FILE");
}

/* The connection options, after argv[0]; strings live in *hold. */
static size_t
conn_args(const struct settings *admin, const char **argv, char **hold)
{
	size_t n = 0;

	if (settings_is_set(admin, "MYSQL_DEFAULTS_FILE")) {
		xasprintf(&hold[0], "--defaults-extra-file=%s",
		    settings_get(admin, "MYSQL_DEFAULTS_FILE"));
		argv[n++] = hold[0];
		dump_register_mysql_passwords(settings_get(admin,
		    "MYSQL_DEFAULTS_FILE"));
	}
	if (settings_is_set(admin, "MYSQL_SOCKET")) {
		xasprintf(&hold[1], "--socket=%s",
		    settings_get(admin, "MYSQL_SOCKET"));
		argv[n++] = hold[1];
		argv[n++] = "--protocol=socket";
	} else if (settings_is_set(admin, "MYSQL_HOST")) {
		xasprintf(&hold[1], "--host=%s",
		    settings_get(admin, "MYSQL_HOST"));
		xasprintf(&hold[2], "--port=%lld",
		    settings_int(admin, "MYSQL_PORT"));
		argv[n++] = hold[1];
		argv[n++] = hold[2];
	}
	return n;
}

static void
hold_free(char **hold)
{
	free(hold[0]);
	free(hold[1]);
	free(hold[2]);
}

/* --batch escapes \t \n \\ and NUL in names; undo it in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' :
			    *s == '0' ? '\0' : *s;
			continue;
		}
		*o++ = *s;
	}
	*o = '\0';
}

static int
mysql_list(struct dump_ctx *c, char ***names, struct bk_err *err)
{
	const char *argv[MAX_ARGS];
	char *hold[3] = { NULL, NULL, NULL };
	struct spawn_cmd cmd = { .argv = argv, .out_fd = -1,
	    .setting = "MYSQL_CLIENT_COMMAND" };
	struct buf out;
	size_t n = 0, i;
	int rc = -1;

	buf_init(&out, LIST_MAX);
	cmd.out = &out;
	argv[n++] = settings_get(c->admin, "MYSQL_CLIENT_COMMAND");
	n += conn_args(c->admin, argv + n, hold);
	argv[n++] = "--batch";
	argv[n++] = "--skip-column-names";
	argv[n++] = "--execute=SHOW DATABASES";
	argv[n] = NULL;
	if (spawn_run(&cmd, NULL, err) == -1)
		goto out;
	*names = dump_split(out.data, out.len, '\n');
	for (i = 0; (*names)[i] != NULL; i++)
		unescape((*names)[i]);
	rc = 0;
out:
	hold_free(hold);
	buf_free(&out);
	return rc;
}

static int
mysql_dump(struct dump_ctx *c, const char *db, int *fd, struct bk_err *err)
{
	const char *argv[MAX_ARGS];
	char *hold[3] = { NULL, NULL, NULL };
	struct spawn_cmd cmd = { .argv = argv,
	    .setting = "MYSQL_DUMP_COMMAND" };
	size_t n = 0;
	int rc = -1;

	if (dump_spool_open(c, fd, err) == -1)
		return -1;
	cmd.out_fd = *fd;
	argv[n++] = settings_get(c->admin, "MYSQL_DUMP_COMMAND");
	n += conn_args(c->admin, argv + n, hold);
	argv[n++] = "--single-transaction";
	argv[n++] = "--routines";
	argv[n++] = "--triggers";
	argv[n++] = "--events";
	argv[n++] = "--hex-blob";
	argv[n++] = "--no-tablespaces";
	argv[n++] = "--default-character-set=utf8mb4";
	/* Unchanged databases dump to equal bytes (incremental chains
	 * compare the dump's SHA-256). */
	argv[n++] = "--skip-dump-date";
	/* After "--" a name starting with '-' is still a name. */
	argv[n++] = "--";
	argv[n++] = db;
	argv[n] = NULL;
	rc = spawn_run(&cmd, NULL, err);
	hold_free(hold);
	return rc;
}

const struct dump_driver dump_mysql = {
	.kind = SRC_MYSQL,
	.pattern_key = "MYSQL_DATABASES",
	.ext = ".sql",
	.system_dbs = mysql_system,
	.configured = mysql_configured,
	.list = mysql_list,
	.dump = mysql_dump,
};
