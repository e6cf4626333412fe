/*
 * sources.c - resolving BACKUP_SOURCES and archiving path sources.
 *
 * Which folders and databases are a user's is decided by admin settings
 * only (SOURCE_* templates with {user}); a user's settings pick among
 * them and can never name a path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "settings.h"
#include "sources.h"
#include "tarw.h"

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

static int
archive_path_source(const struct source_desc *sd, const struct settings *admin,
    const char *user_name, bool all, struct tarw *t, struct exclude *ex,
    struct bk_err *err)
{
	char *root = config_source_path(admin, sd->admin_key, user_name);
	struct stat sb;
	int rc = -1;

	if (root == NULL || *root == '\0') {
		if (all) {
			rc = 0;
			goto out;
		}
		bk_err_set(err, BK_ECONFIG, "BACKUP_SOURCES: %s is not "
		    "configured on this server (%s)", sd->name, sd->admin_key);
		goto out;
	}
	if (stat(root, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		if (all) {
			log_kv(LOG_INFO, "source not present; skipped",
			    "source", sd->name, "path", root, (char *)NULL);
			rc = 0;
			goto out;
		}
		if (errno == 0)
			errno = ENOTDIR;
		bk_err_sys(err, BK_ENOENT, "%s source folder %s", sd->name,
		    root);
		err->retryable = false;
		goto out;
	}
	rc = tarw_add_tree(t, root, sd->folder, ex, err);
out:
	free(root);
	return rc;
}

int
sources_archive(const struct settings *admin, const struct settings *user,
    const char *user_name, struct tarw *t, struct exclude *ex,
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
			    ex, err) == -1)
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
