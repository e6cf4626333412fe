/*
 * dump_mssql.c - Microsoft SQL Server databases through sqlcmd: BACKUP
 * DATABASE ... WITH COPY_ONLY writes a .bak file into MSSQL_BACKUP_DIR (a
 * folder the server writes and this worker reads), which is added as
 * mssql/<db>.bak and removed.
 *
 * COPY_ONLY keeps the admin's own backup chain (differential and log
 * backups) intact.  The password travels as SQLCMDPASSWORD, never on the
 * command line.  sqlcmd options: -b (exit 1 on a server error), -r1
 * (server messages to stderr, which becomes our error), -x (no $(var)
 * substitution, since database names are text from the server), -h -1 -W
 * (bare, trimmed rows), -l login timeout.
 *
 * The .bak is opened and unlinked before it is archived, so it never
 * outlives the dump; after a failure any partial file is removed.
 *
 * Tried only against a stand-in sqlcmd (tests/servers/sqlcmd): see
 * docs/sources.md.
 *
 * Threads: the job's producer thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dump.h"
#include "err.h"
#include "settings.h"
#include "spawn.h"
#include "xmalloc.h"

#define MAX_ARGS	24
#define LIST_MAX	(4u << 20)
#define MSG_MAX		(256u << 10)

static const char *const mssql_system[] = {
	"master", "model", "msdb", "tempdb", NULL,
};

static bool
mssql_configured(const struct settings *admin)
{
	return settings_is_set(admin, "MSSQL_SQLCMD");
}

struct ms_cmd {
	const char	*argv[MAX_ARGS];
	const char	*env[2];
	char		*pw;
};

static void
ms_init(const struct settings *admin, struct ms_cmd *m, const char *query)
{
	size_t n = 0;

	m->pw = NULL;
	m->argv[n++] = settings_get(admin, "MSSQL_SQLCMD");
	if (settings_is_set(admin, "MSSQL_SERVER")) {
		m->argv[n++] = "-S";
		m->argv[n++] = settings_get(admin, "MSSQL_SERVER");
	}
	if (settings_is_set(admin, "MSSQL_USER")) {
		m->argv[n++] = "-U";
		m->argv[n++] = settings_get(admin, "MSSQL_USER");
	}
	m->argv[n++] = "-b";
	m->argv[n++] = "-r1";
	m->argv[n++] = "-x";
	m->argv[n++] = "-h";
	m->argv[n++] = "-1";
	m->argv[n++] = "-W";
	m->argv[n++] = "-l";
	m->argv[n++] = "30";
	m->argv[n++] = "-Q";
	m->argv[n++] = query;
	m->argv[n] = NULL;
	m->env[0] = NULL;
	if (settings_is_set(admin, "MSSQL_PASSWORD")) {
		xasprintf(&m->pw, "SQLCMDPASSWORD=%s", settings_get(admin,
		    "MSSQL_PASSWORD"));
		m->env[0] = m->pw;
	}
	m->env[1] = NULL;
}

static int
mssql_list(struct dump_ctx *c, char ***names, struct bk_err *err)
{
	struct ms_cmd m;
	struct spawn_cmd cmd = { .out_fd = -1, .setting = "MSSQL_SQLCMD" };
	struct buf out;
	char **v;
	size_t i;
	int rc = -1;

	buf_init(&out, LIST_MAX);
	ms_init(c->admin, &m, "SET NOCOUNT ON; SELECT name FROM "
	    "sys.databases WHERE database_id > 4 AND state_desc = 'ONLINE' "
	    "ORDER BY name");
	cmd.argv = m.argv;
	cmd.env = m.env;
	cmd.out = &out;
	if (spawn_run(&cmd, NULL, err) == -1)
		goto out;
	v = dump_split(out.data, out.len, '\n');
	for (i = 0; v[i] != NULL; i++)
		v[i][strcspn(v[i], "\r")] = '\0';
	*names = v;
	rc = 0;
out:
	if (m.pw != NULL)
		xfree_secret(m.pw);
	buf_free(&out);
	return rc;
}

/* s with every q doubled (T-SQL quoting inside [..] or N'..'). */
static void
put_doubled(struct buf *b, const char *s, char q)
{
	for (; *s != '\0'; s++) {
		buf_append(b, s, 1);
		if (*s == q)
			buf_append(b, s, 1);
	}
}

static int
mssql_dump(struct dump_ctx *c, const char *db, int *fd, struct bk_err *err)
{
	const char *dir = settings_get(c->admin, "MSSQL_BACKUP_DIR");
	struct spawn_cmd cmd = { .out_fd = -1, .setting = "MSSQL_SQLCMD" };
	struct ms_cmd m = { .pw = NULL };
	struct buf q, out;
	char *bak = NULL;
	int rc = -1;

	buf_init(&q, 64 * 1024);
	buf_init(&out, MSG_MAX);
	if (dir == NULL || *dir != '/') {
		bk_err_set(err, BK_ECONFIG, "MSSQL_BACKUP_DIR: an absolute "
		    "folder is needed for MsSQL backups");
		err->retryable = false;
		goto out;
	}
	xasprintf(&bak, "%s/panel-backup-%s-%ld-%u.bak", dir, c->user,
	    (long)getpid(), c->seq++);
	buf_puts(&q, "BACKUP DATABASE [");
	put_doubled(&q, db, ']');
	buf_puts(&q, "] TO DISK = N'");
	put_doubled(&q, bak, '\'');
	buf_puts(&q, "' WITH COPY_ONLY, INIT, FORMAT, CHECKSUM");
	ms_init(c->admin, &m, q.data);
	cmd.argv = m.argv;
	cmd.env = m.env;
	cmd.out = &out;
	if (spawn_run(&cmd, NULL, err) == -1)
		goto out;
	if ((*fd = open(bak, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		bk_err_sys(err, BK_EIO, "MSSQL_BACKUP_DIR: %s", bak);
		goto out;
	}
	rc = 0;
out:
	/* Gone from the folder either way; an open *fd keeps the data. */
	if (bak != NULL && unlink(bak) == -1 && errno != ENOENT && rc == 0)
		rc = bk_err_sys(err, BK_EIO, "MSSQL_BACKUP_DIR: removing %s",
		    bak);
	if (m.pw != NULL)
		xfree_secret(m.pw);
	buf_free(&q);
	buf_free(&out);
	free(bak);
	return rc;
}

const struct dump_driver dump_mssql = {
	.kind = SRC_MSSQL,
	.pattern_key = "MSSQL_DATABASES",
	.ext = ".bak",
	.system_dbs = mssql_system,
	.configured = mssql_configured,
	.list = mssql_list,
	.dump = mssql_dump,
};
