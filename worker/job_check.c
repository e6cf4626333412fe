/*
 * job_check.c - checks of user settings that need the worker's libraries.
 *
 * Each check names the setting it is about.  Shared by `backupctl config
 * check` and job_run(), so a job refuses exactly what the check reports
 * as errors; warnings are what the job works around (a notification URL
 * that cannot be parsed is skipped: the backup runs).
 */
#include <stdlib.h>
#include <string.h>

#include "exclude.h"
#include "err.h"
#include "job_check.h"
#include "names.h"
#include "notify.h"
#include "settings.h"
#include "sources.h"
#include "storage.h"

static const char *const encryption_keys[] = {
	"GPG_PASSPHRASE", "GPG_PUBLIC_KEY_RING", "AGE_PASSPHRASE",
	"AGE_PUBLIC_KEYS",
};

static void
check_encryption(const struct settings *admin, const struct settings *user,
    struct diag *diag)
{
	const char *set[4];
	size_t i, n = 0;

	for (i = 0; i < 4; i++)
		if (settings_is_set(user, encryption_keys[i]))
			set[n++] = encryption_keys[i];
	if (n > 1)
		diag_add(diag, DIAG_ERROR, set[0], "%s and %s are both set; "
		    "use only one encryption setting", set[0], set[1]);
	if (n > 0 && !settings_bool(admin, "ALLOW_ENCRYPTION"))
		diag_add(diag, DIAG_ERROR, set[0], "encryption is not enabled "
		    "by the administrator (ALLOW_ENCRYPTION=false); no "
		    "unencrypted backup is made instead");
}

int
job_check_settings(const struct settings *admin, const struct settings *user,
    const char *user_name, struct diag *diag)
{
	struct exclude *ex;
	struct bk_err err;
	const char *dests[16];
	unsigned int mask;
	char *name;
	int before = diag->errors;

	(void)user_name;
	if (settings_is_set(user, "BACKUP_EXCLUDE_REGEXP")) {
		ex = exclude_new(settings_get(user, "BACKUP_EXCLUDE_REGEXP"),
		    &err);
		if (ex == NULL)
			diag_add(diag, DIAG_ERROR, "BACKUP_EXCLUDE_REGEXP", "%s",
			    err.msg);
		exclude_free(ex);
	}
	if (settings_is_set(user, "BACKUP_FILENAME") &&
	    !settings_bool(admin, "ALLOW_CUSTOM_FILENAME"))
		diag_add(diag, DIAG_WARN, "BACKUP_FILENAME", "custom file "
		    "names are not enabled by the administrator "
		    "(ALLOW_CUSTOM_FILENAME=false); the default name is used");
	else if (settings_is_set(user, "BACKUP_FILENAME")) {
		name = names_render(settings_get(user, "BACKUP_FILENAME"),
		    "tar.gz", 0, NULL, &err);
		if (name == NULL)
			diag_add(diag, DIAG_ERROR, "BACKUP_FILENAME", "%s",
			    err.msg);
		free(name);
	}
	(void)sources_selected(user, &mask, diag);
	/* Warnings: a URL that cannot be parsed never stops a backup. */
	(void)notify_check_urls(user, diag);
	check_encryption(admin, user, diag);
	if (storage_enabled(user, dests, 16) == 0)
		diag_add(diag, DIAG_ERROR, "", "no destination is set (one "
		    "of BACKUP_ARCHIVE, AWS_S3_BUCKET_NAME, WEBDAV_URL, "
		    "SSH_HOST_NAME, AZURE_STORAGE_CONTAINER_NAME, "
		    "DROPBOX_REFRESH_TOKEN)");
	return diag->errors - before;
}
