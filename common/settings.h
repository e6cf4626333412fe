/*
 * settings.h - every setting of panel-backup, declared once.
 *
 * settings_table[] (settings_table.c) holds one record per key: type,
 * scope (admin config file, per-user file, or both), default, range,
 * choices and help.  Validation, `--help`, `backupctl config check` and the
 * README's settings reference are all derived from it.
 *
 * A struct settings is the resolved view of one file: values as written
 * (empty means unset), defaults for the rest.  Checks that need libraries
 * (regexps, keys, URLs) live with the module that uses the setting and add
 * their findings to the same struct diag.
 */
#ifndef BK_SETTINGS_H
#define BK_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bk_err;
struct kvlist;

enum setting_type {
	SET_STRING,
	SET_BOOL,
	SET_INT,
	SET_DURATION,	/* Go syntax plus d: 30s, 1m, 2h, 1h30m, 7d */
	SET_ENUM,	/* one of .choices, comma-separated */
	SET_LIST,	/* comma-separated, blanks around items trimmed */
	SET_CRON,	/* robfig/cron v3 expression */
	SET_REGEXP,	/* Go RE2 syntax; checked by worker/ */
	SET_URL,
	SET_SIZE,	/* bytes: 0, 512, 100K, 10M, 10G, 2T (powers of 1024) */
};

#define SET_ADMIN	0x01	/* read from the admin config file */
#define SET_USER	0x02	/* read from USERS_DIR/<user>.env */
#define SET_SECRET	0x04	/* never printed; registered for redaction */
#define SET_IN_FILES	0x08	/* a path inside the user's Files source */
#define SET_CI		0x10	/* enum compared case-insensitively */

struct setting_def {
	const char		*name;
	enum setting_type	 type;
	unsigned int		 flags;
	const char		*def;		/* NULL: no default */
	long long		 min;		/* SET_INT only */
	long long		 max;
	const char		*choices;	/* SET_ENUM: "gz,zst,none" */
	const char		*group;		/* heading in the reference */
	const char		*help;
};

extern const struct setting_def	settings_table[];
extern const size_t		settings_count;

const struct setting_def *settings_lookup(const char *name);

/* Problems found by a check, each naming its setting. */
enum diag_level { DIAG_WARN, DIAG_ERROR };

struct diag_item {
	enum diag_level	 level;
	char		*setting;
	char		*msg;
};

struct diag {
	struct diag_item	*v;
	size_t			 n;
	size_t			 cap;
	int			 errors;
};

void	diag_init(struct diag *);
void	diag_free(struct diag *);
void	diag_add(struct diag *, enum diag_level, const char *setting,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
/* "error: SETTING: message" lines, one per item. */
void	diag_print(const struct diag *, int fd);
/* The first error as a bk_err (BK_ECONFIG); 0 if there is none. */
int	diag_to_err(const struct diag *, struct bk_err *);

struct settings {
	char		**values;	/* by table index; NULL = unset */
	unsigned int	  scope;
	char		 *path;		/* file it came from, or NULL */
	char		 *files_root;	/* SET_IN_FILES base, user scope */
};

/* A KEY_FILE value is at most this long. */
#define SETTINGS_FILE_MAX	(1024 * 1024)

struct buf;

/*
 * How a user's KEY_FILE is read: privsep/ passes one that reads as the
 * user (common/ cannot call up to it).  read appends the file's bytes to
 * out or fails with err naming setting; path is resolved in files_root.
 */
struct settings_reader {
	int	(*read)(void *ctx, const char *setting, const char *path,
		    struct buf *out, struct bk_err *);
	void	*ctx;
};

/*
 * Resolve kv (a parsed file) for scope: unknown keys, keys of the other
 * scope, bad types and ranges go to diag (which may be NULL).  KEY_FILE
 * reads KEY's value from a file; for user settings that file must lie in
 * files_root.  Values of SET_SECRET keys are registered with secret.h.
 * Returns -1 if diag got an error.  A user's KEY_FILE is read through
 * rd; with rd NULL (settings_load) it is refused.  An invalid value read
 * from a KEY_FILE is reported without the value: "KEY (from KEY_FILE):
 * not one of ...".
 */
int	settings_load(struct settings *, const struct kvlist *,
	    unsigned int scope, const char *files_root, struct diag *);
int	settings_load_with(struct settings *, const struct kvlist *,
	    unsigned int scope, const char *files_root,
	    const struct settings_reader *rd, struct diag *);
/* Read path as the calling process (the admin's own files). */
int	settings_read_plain(const char *setting, const char *path,
	    struct buf *out, struct bk_err *);
void	settings_free(struct settings *);
/* A settings struct holding only defaults. */
void	settings_defaults(struct settings *, unsigned int scope);

/* Value as written, else the default, else NULL.  Borrowed. */
const char *settings_get(const struct settings *, const char *name);
bool	settings_is_set(const struct settings *, const char *name);
long long settings_int(const struct settings *, const char *name);
bool	settings_bool(const struct settings *, const char *name);
/* SET_SIZE in bytes (0 when unset or 0). */
uint64_t settings_size(const struct settings *, const char *name);
/* Milliseconds. */
int64_t	settings_duration_ms(const struct settings *, const char *name);
/* Override one value (tests, command-line flags). */
void	settings_set(struct settings *, const char *name, const char *value);

/* Parsers shared with other modules; 0 or -1. */
int	parse_bool(const char *, bool *);
int	parse_int(const char *, long long *);
int	parse_duration_ms(const char *, int64_t *);
int	parse_size(const char *, uint64_t *);
/* Split a comma list, trimming blanks and dropping empty items.  The
 * result is NULL-terminated; free with strv_free(). */
char	**split_list(const char *, size_t *n);
void	strv_free(char **);

/* Write the settings reference as Markdown tables (README). */
void	settings_write_reference(int fd);
/* Nearest known key (for "did you mean"); NULL if nothing is close. */
const char *settings_suggest(const char *name);

#endif
