/*
 * config.c - loading the admin config and user settings files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dotenv.h"
#include "err.h"
#include "log.h"
#include "netpolicy.h"
#include "path.h"
#include "settings.h"
#include "xmalloc.h"

const char *
config_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL)
		return explicit_path;
	env = getenv("PANEL_BACKUP_CONFIG");
	if (env != NULL && *env != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

/* The first key of kv that holds a secret (SET_SECRET, non-empty; a
 * REDIS_URL only with a password in it), or NULL. */
static const char *
secret_key(const struct kvlist *kv)
{
	const struct setting_def *def;
	size_t i;

	for (i = 0; i < kv->n; i++) {
		def = settings_lookup(kv->v[i].key);
		if (def == NULL || (def->flags & SET_SECRET) == 0 ||
		    kv->v[i].value == NULL || *kv->v[i].value == '\0')
			continue;
		if (strcmp(kv->v[i].key, "REDIS_URL") == 0 &&
		    strchr(kv->v[i].value, '@') == NULL)
			continue;
		return kv->v[i].key;
	}
	return NULL;
}

/* A file holding secrets must be readable by its owner only. */
static void
warn_readable(const char *path, const struct kvlist *kv, struct diag *d)
{
	const char *key;
	struct stat sb;

	if (stat(path, &sb) == -1 || (sb.st_mode & 0044) == 0 ||
	    (key = secret_key(kv)) == NULL)
		return;
	diag_add(d, DIAG_WARN, key, "%s holds a secret (%s) and is readable "
	    "by %s (chmod 600)", path, key, (sb.st_mode & 0004) != 0 ?
	    "every local user" : "its group");
}

/* A bad OUTBOUND_ALLOW would allow nothing extra: say so, loudly. */
static int
check_outbound(const struct settings *s, struct diag *d)
{
	static const char pfx[] = "OUTBOUND_ALLOW: ";
	struct netpolicy *np;
	struct bk_err e;

	if ((np = netpolicy_new(settings_get(s, "OUTBOUND_ALLOW"), &e)) !=
	    NULL) {
		netpolicy_free(np);
		return 0;
	}
	diag_add(d, DIAG_ERROR, "OUTBOUND_ALLOW", "%s", strncmp(e.msg, pfx,
	    sizeof(pfx) - 1) == 0 ? e.msg + sizeof(pfx) - 1 : e.msg);
	return -1;
}

int
config_load_admin(const char *path, struct settings *s, struct diag *diag,
    struct bk_err *err)
{
	struct kvlist kv;
	struct diag local;
	struct diag *d = diag != NULL ? diag : &local;
	char host[256];
	enum log_level lvl;
	size_t i;
	int rc = -1;

	kvlist_init(&kv);
	diag_init(&local);
	if (dotenv_load(path, &kv, err) == -1) {
		if (err->code != BK_ENOENT ||
		    strcmp(path, config_path(NULL)) != 0 ||
		    getenv("PANEL_BACKUP_CONFIG") != NULL) {
			if (err->code == BK_ENOENT)
				bk_err_set(err, BK_ECONFIG, "config file %s "
				    "not found", path);
			err->code = BK_ECONFIG;
			goto out;
		}
		/* No config at the default place: run on defaults. */
	} else
		warn_readable(path, &kv, d);
	if (settings_load(s, &kv, SET_ADMIN, NULL, d) == -1 ||
	    check_outbound(s, d) == -1) {
		diag_to_err(d, err);
		settings_free(s);
		goto out;
	}
	if (!settings_is_set(s, "NODE")) {
		if (gethostname(host, sizeof(host)) == -1)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		settings_set(s, "NODE", host);
	}
	if (log_parse_level(settings_get(s, "LOG_LEVEL"), &lvl) == 0)
		log_set_level(lvl);
	/* A caller without a diag still hears of warnings (every daemon). */
	for (i = 0; diag == NULL && i < local.n; i++)
		if (local.v[i].level == DIAG_WARN)
			log_kv(LOG_WARN, local.v[i].msg, "setting",
			    local.v[i].setting, (char *)NULL);
	rc = 0;
out:
	kvlist_free(&kv);
	diag_free(&local);
	return rc;
}

char *
config_user_file(const struct settings *admin, const char *user)
{
	char *p;

	xasprintf(&p, "%s/%s.env", settings_get(admin, "USERS_DIR"), user);
	return p;
}

char *
config_source_path(const struct settings *admin, const char *key,
    const char *user)
{
	const char *tmpl = settings_get(admin, key);

	return tmpl != NULL ? path_template(tmpl, user) : NULL;
}

int
config_load_user(const struct settings *admin, const char *user,
    const char *env_file, const struct settings_reader *rd,
    struct settings *s, struct diag *diag, struct bk_err *err)
{
	struct kvlist kv;
	struct diag local;
	struct diag *d = diag != NULL ? diag : &local;
	char *file = NULL, *root = NULL;
	int rc = -1;

	kvlist_init(&kv);
	diag_init(&local);
	memset(s, 0, sizeof(*s));
	if (user != NULL && !path_valid_user(user)) {
		bk_err_set(err, BK_ECONFIG, "\"%s\" is not a valid user name",
		    user);
		goto out;
	}
	file = env_file != NULL ? xstrdup(env_file) :
	    config_user_file(admin, user);
	if (dotenv_load(file, &kv, err) == -1) {
		if (err->code == BK_ENOENT)
			bk_err_set(err, BK_ECONFIG, "settings file %s not "
			    "found", file);
		err->code = BK_ECONFIG;
		goto out;
	}
	warn_readable(file, &kv, d);
	root = config_source_path(admin, "SOURCE_FILES",
	    user != NULL ? user : "");
	if (settings_load_with(s, &kv, SET_USER, root, rd, d) == -1) {
		diag_to_err(d, err);
		settings_free(s);
		goto out;
	}
	rc = 0;
out:
	kvlist_free(&kv);
	diag_free(&local);
	free(file);
	free(root);
	return rc;
}
