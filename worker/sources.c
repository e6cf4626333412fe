/*
 * sources.c - resolving BACKUP_SOURCES and archiving path sources.
 *
 * Which folders and databases are a user's is decided by admin settings
 * only (SOURCE_* templates with {user}); a user's settings pick among
 * them and can never name a path.  Every template but SOURCE_FILES may be
 * a comma-separated list of folders and files (a vhost's config files,
 * say); with one path, a folder's contents go right under the archive
 * folder, with several each keeps its last name component.  Paths of a
 * list that do not exist are skipped with a note; a source none of whose
 * paths exists is skipped under "All" and fails the job when named.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "privsep.h"
#include "settings.h"
#include "sources.h"
#include "tarw.h"
#include "xmalloc.h"

const struct source_desc source_table[SRC_COUNT] = {
	[SRC_FILES] = { SRC_FILES, "Files", "files", "SOURCE_FILES" },
	[SRC_EMAILS] = { SRC_EMAILS, "Emails", "emails", "SOURCE_EMAILS" },
	[SRC_MYSQL] = { SRC_MYSQL, "MySQL Databases", "mysql", NULL },
	[SRC_POSTGRES] = { SRC_POSTGRES, "Postgres Databases", "postgres",
	    NULL },
	[SRC_MSSQL] = { SRC_MSSQL, "MsSQL Databases", "mssql", NULL },
	[SRC_VHOSTS] = { SRC_VHOSTS, "VirtualHosts", "vhosts",
	    "SOURCE_VHOSTS" },
	[SRC_MINECRAFT] = { SRC_MINECRAFT, "Minecraft Data", "minecraft",
	    "SOURCE_MINECRAFT" },
};

#define ALL_SOURCES	0x80000000u

int
sources_selected(const struct settings *user, unsigned int *mask,
    struct diag *diag)
{
	char **items;
	size_t i, k;
	int rc = 0;

	*mask = 0;
	items = split_list(settings_get(user, "BACKUP_SOURCES"), NULL);
	for (i = 0; items[i] != NULL; i++) {
		if (strcasecmp(items[i], "All") == 0) {
			*mask |= ALL_SOURCES | ((1u << SRC_COUNT) - 1);
			continue;
		}
		for (k = 0; k < SRC_COUNT; k++)
			if (strcasecmp(items[i], source_table[k].name) == 0)
				break;
		if (k == SRC_COUNT) {
			diag_add(diag, DIAG_ERROR, "BACKUP_SOURCES", "\"%s\" is "
			    "not a source (All, Files, Emails, MySQL "
			    "Databases, Postgres Databases, MsSQL Databases, "
			    "VirtualHosts, Minecraft Data)", items[i]);
			rc = -1;
			continue;
		}
		*mask |= 1u << k;
	}
	if (*mask == 0 && rc == 0) {
		diag_add(diag, DIAG_ERROR, "BACKUP_SOURCES", "no source named");
		rc = -1;
	}
	strv_free(items);
	return rc;
}

/*
 * One path of a source.  The only path of a source: a folder's contents
 * go right under the archive folder (emails/cur/...).  One of a list: it
 * keeps its last name component (vhosts/alice.conf, vhosts/sites/...), so
 * paths of a list must differ in their last component.  Returns 1 when
 * the path does not exist.
 */
static int
add_path(const struct source_desc *sd, const char *path, bool only,
    struct tarw *t, struct privsep *ps, struct bk_err *err)
{
	const char *base = strrchr(path, '/');
	char *member;
	struct stat sb;
	int rc;

	/* A peek as the worker only picks the member name; the reader
	 * (privsep.c, the user's privileges) decides what is read. */
	if (lstat(path, &sb) == -1 || !(S_ISDIR(sb.st_mode) ||
	    S_ISREG(sb.st_mode)))
		return 1;
	base = base != NULL ? base + 1 : path;
	if (only && S_ISDIR(sb.st_mode))
		return privsep_add_path(ps, t, path, sd->folder, err);
	xasprintf(&member, "%s/%s", sd->folder, base);
	rc = privsep_add_path(ps, t, path, member, err);
	free(member);
	return rc;
}

static int
archive_path_source(const struct source_desc *sd, const struct settings *admin,
    const char *user_name, bool all, struct tarw *t, struct privsep *ps,
    struct bk_err *err)
{
	char *root = config_source_path(admin, sd->admin_key, user_name);
	char **paths = NULL;
	size_t i, j, n = 0, found = 0;
	const char *bi, *bj;
	int rc = -1, r;

	if (root == NULL || *root == '\0') {
		if (all) {
			rc = 0;
			goto out;
		}
		bk_err_set(err, BK_ECONFIG, "BACKUP_SOURCES: %s is not "
		    "configured on this server (%s)", sd->name, sd->admin_key);
		goto out;
	}
	/* SOURCE_FILES is one folder (user paths resolve inside it); the
	 * other templates may list several paths. */
	if (sd->kind == SRC_FILES) {
		paths = xcalloc(2, sizeof(*paths));
		paths[0] = xstrdup(root);
		n = 1;
	} else
		paths = split_list(root, &n);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			bi = strrchr(paths[i], '/');
			bj = strrchr(paths[j], '/');
			if (strcmp(bi != NULL ? bi : paths[i],
			    bj != NULL ? bj : paths[j]) == 0) {
				bk_err_set(err, BK_ECONFIG, "%s: %s and %s "
				    "would share one name in the archive",
				    sd->admin_key, paths[i], paths[j]);
				err->retryable = false;
				goto out;
			}
		}
	for (i = 0; i < n; i++) {
		if ((r = add_path(sd, paths[i], n == 1, t, ps, err)) == -1)
			goto out;
		if (r == 1) {
			log_kv(LOG_INFO, "source path not present; skipped",
			    "source", sd->name, "path", paths[i], (char *)NULL);
			continue;
		}
		found++;
	}
	if (found == 0 && !all) {
		errno = ENOENT;
		bk_err_sys(err, BK_ENOENT, "%s source folder %s", sd->name,
		    root);
		err->retryable = false;
		goto out;
	}
	rc = 0;
out:
	strv_free(paths);
	free(root);
	return rc;
}

int
sources_archive(const struct settings *admin, const struct settings *user,
    const char *user_name, struct tarw *t, struct privsep *ps,
    struct bk_err *err)
{
	unsigned int mask, count;
	const struct source_desc *sd;
	bool all;
	size_t k;

	if (sources_selected(user, &mask, NULL) == -1)
		return bk_err_set(err, BK_ECONFIG, "BACKUP_SOURCES: invalid");
	all = (mask & ALL_SOURCES) != 0;
	for (k = 0; k < SRC_COUNT; k++) {
		if ((mask & (1u << k)) == 0)
			continue;
		sd = &source_table[k];
		if (sd->admin_key != NULL) {
			if (archive_path_source(sd, admin, user_name, all, t,
			    ps, err) == -1)
				return -1;
			continue;
		}
		if (!sources_db_configured(sd->kind, admin)) {
			if (all)
				continue;
			return bk_err_set(err, BK_ECONFIG, "BACKUP_SOURCES: "
			    "%s are not configured on this server", sd->name);
		}
		if (sources_dump_databases(sd->kind, admin, user_name, t,
		    &count, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * What sources_archive() would refuse before reading anything: a source
 * named explicitly (not through "All") that is not configured on this
 * server, or none of whose paths exists.  A peek as the caller, like
 * add_path(): `backupctl config check` and job_check_settings() use it,
 * so the check reports what the job would fail on.
 */
void
sources_check_present(const struct settings *admin,
    const struct settings *user, const char *user_name, struct diag *diag)
{
	const struct source_desc *sd;
	unsigned int mask;
	struct stat sb;
	char *root, **paths;
	size_t k, i, n, found;

	if (user_name == NULL || sources_selected(user, &mask, NULL) == -1 ||
	    (mask & ALL_SOURCES) != 0)
		return;
	for (k = 0; k < SRC_COUNT; k++) {
		sd = &source_table[k];
		if ((mask & (1u << k)) == 0 || sd->admin_key == NULL)
			continue;
		root = config_source_path(admin, sd->admin_key, user_name);
		if (root == NULL || *root == '\0') {
			diag_add(diag, DIAG_ERROR, "BACKUP_SOURCES", "%s is not "
			    "configured on this server (%s)", sd->name,
			    sd->admin_key);
			free(root);
			continue;
		}
		if (sd->kind == SRC_FILES) {
			paths = xcalloc(2, sizeof(*paths));
			paths[0] = xstrdup(root);
			n = 1;
		} else
			paths = split_list(root, &n);
		for (i = found = 0; i < n; i++)
			if (lstat(paths[i], &sb) == 0 &&
			    (S_ISDIR(sb.st_mode) || S_ISREG(sb.st_mode)))
				found++;
		if (found == 0)
			diag_add(diag, DIAG_ERROR, "BACKUP_SOURCES", "%s is "
			    "selected, but its folder %s does not exist",
			    sd->name, root);
		strv_free(paths);
		free(root);
	}
}
