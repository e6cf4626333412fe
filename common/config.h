/*
 * config.h - finding and loading the admin config file and a user's
 * settings file.
 */
#ifndef BK_CONFIG_H
#define BK_CONFIG_H

struct bk_err;
struct diag;
struct settings;
struct settings_reader;

#define CONFIG_DEFAULT_PATH	"/etc/panel-backup/panel-backup.conf"

/* The config path: explicit (--config), else $PANEL_BACKUP_CONFIG, else
 * the default. */
const char *config_path(const char *explicit_path);

/*
 * Load the admin config.  A missing file at the default path means all
 * defaults; a missing file named explicitly is an error.  NODE defaults to
 * the host name.  Problems go to diag (may be NULL); returns -1 with err
 * (BK_ECONFIG) on the first error.
 */
int	config_load_admin(const char *path, struct settings *, struct diag *,
	    struct bk_err *);

/*
 * Load USERS_DIR/<user>.env (or env_file when not NULL) for user.  The
 * Files source root comes from SOURCE_FILES; KEY_FILE settings are read
 * through rd (NULL: refused).  Programs call userfile_load_settings
 * (privsep/), which reads them as the user.  Returns -1 with err
 * (BK_ECONFIG for bad settings, BK_ENOENT for a missing file).
 */
int	config_load_user(const struct settings *admin, const char *user,
	    const char *env_file, const struct settings_reader *rd,
	    struct settings *, struct diag *, struct bk_err *);

/* The settings file of user: USERS_DIR/<user>.env.  Allocated. */
char	*config_user_file(const struct settings *admin, const char *user);

/* Source folder of a user for a SOURCE_* key.  Allocated. */
char	*config_source_path(const struct settings *admin, const char *key,
	    const char *user);

#endif
