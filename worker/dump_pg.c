/*
 * dump_pg.c - PostgreSQL databases, one pg_dump custom-format archive per
 * database under postgres/<db>.dump (pg_restore can restore all of it, one
 * schema or one table).
 *
 * Connection: POSTGRES_HOST (a host or a socket folder), POSTGRES_PORT,
 * POSTGRES_USER; the password only in the .pgpass file POSTGRES_PASSFILE,
 * given to the tools as PGPASSFILE.  -w: a tool that needs a password it
 * does not have fails at once instead of prompting.  Database names reach
 * the tools inside a quoted conninfo string, so a name holding '=' or a
 * URI prefix stays a name.  The list comes from psql with NUL-separated
 * records, so any name survives the trip.
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
#define LIST_MAX	(4u << 20)

static const char *const pg_system[] = {
	"postgres", "template0", "template1", NULL,
};

static bool
pg_configured(const struct settings *admin)
{
	return settings_is_set(admin, "POSTGRES_HOST");
}

/* dbname='...' with ' and \ escaped, as libpq's conninfo wants. */
static char *
conninfo(const char *db)
{
	size_t n = strlen(db), i, o = 0;
	char *s = xmalloc(2 * n + 12);

	memcpy(s, "dbname='", 8);
	o = 8;
	for (i = 0; i < n; i++) {
		if (db[i] == '\'' || db[i] == '\\')
			s[o++] = '\\';
		s[o++] = db[i];
	}
	s[o++] = '\'';
	s[o] = '\0';
	return s;
}

struct pg_conn {
	char	*host;
	char	*port;
	char	*user;
	char	*passfile;
	const char *env[4];
};

static size_t
conn_args(const struct settings *admin, struct pg_conn *pc,
    const char **argv)
{
	size_t n = 0, e = 0;

	xasprintf(&pc->host, "--host=%s", settings_get(admin,
	    "POSTGRES_HOST"));
	xasprintf(&pc->port, "--port=%lld", settings_int(admin,
	    "POSTGRES_PORT"));
	xasprintf(&pc->user, "--username=%s", settings_get(admin,
	    "POSTGRES_USER"));
	argv[n++] = pc->host;
	argv[n++] = pc->port;
	argv[n++] = pc->user;
	argv[n++] = "--no-password";
	pc->passfile = NULL;
	if (settings_is_set(admin, "POSTGRES_PASSFILE")) {
		xasprintf(&pc->passfile, "PGPASSFILE=%s", settings_get(admin,
		    "POSTGRES_PASSFILE"));
		pc->env[e++] = pc->passfile;
		dump_register_pgpass(settings_get(admin, "POSTGRES_PASSFILE"));
	}
	pc->env[e++] = "PGCONNECT_TIMEOUT=30";
	pc->env[e] = NULL;
	return n;
}

static void
conn_free(struct pg_conn *pc)
{
	free(pc->host);
	free(pc->port);
	free(pc->user);
	free(pc->passfile);
}

static int
pg_list(struct dump_ctx *c, char ***names, struct bk_err *err)
{
	const char *argv[MAX_ARGS];
	struct pg_conn pc;
	struct spawn_cmd cmd = { .argv = argv, .out_fd = -1 };
	struct buf out;
	size_t n = 0;
	int rc = -1;

	buf_init(&out, LIST_MAX);
	cmd.out = &out;
	argv[n++] = "psql";
	n += conn_args(c->admin, &pc, argv + n);
	cmd.env = pc.env;
	argv[n++] = "--no-psqlrc";
	argv[n++] = "--no-align";
	argv[n++] = "--tuples-only";
	argv[n++] = "--record-separator-zero";
	argv[n++] = "--dbname=dbname='postgres'";
	argv[n++] = "--command=SELECT datname FROM pg_database WHERE "
	    "datallowconn AND NOT datistemplate ORDER BY 1";
	argv[n] = NULL;
	if (spawn_run(&cmd, NULL, err) == -1)
		goto out;
	*names = dump_split(out.data, out.len, '\0');
	rc = 0;
out:
	conn_free(&pc);
	buf_free(&out);
	return rc;
}

static int
pgsql_dump(struct dump_ctx *c, const char *db, int *fd, struct bk_err *err)
{
	const char *argv[MAX_ARGS];
	struct pg_conn pc;
	struct spawn_cmd cmd = { .argv = argv };
	char *ci = conninfo(db), *dbarg;
	size_t n = 0;
	int rc;

	if (dump_spool_open(c, fd, err) == -1) {
		free(ci);
		return -1;
	}
	cmd.out_fd = *fd;
	xasprintf(&dbarg, "--dbname=%s", ci);
	argv[n++] = "pg_dump";
	n += conn_args(c->admin, &pc, argv + n);
	cmd.env = pc.env;
	argv[n++] = "--format=custom";
	argv[n++] = dbarg;
	argv[n] = NULL;
	rc = spawn_run(&cmd, NULL, err);
	conn_free(&pc);
	free(dbarg);
	free(ci);
	return rc;
}

const struct dump_driver dump_pg = {
	.kind = SRC_POSTGRES,
	.pattern_key = "POSTGRES_DATABASES",
	.ext = ".dump",
	.system_dbs = pg_system,
	.configured = pg_configured,
	.list = pg_list,
	.dump = pgsql_dump,
};
