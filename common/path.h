/*
 * path.h - paths from settings: templates and confinement.
 */
#ifndef BK_PATH_H
#define BK_PATH_H

struct bk_err;

/* Replace every {user} in tmpl.  Returns an allocated string. */
char	*path_template(const char *tmpl, const char *user);

/*
 * Resolve a user-given path inside root (the user's Files source):
 * "x", "/var/www/html/x" and "ROOT/x" all mean ROOT/x.  The result is
 * canonical (symlinks resolved) and must lie inside root, or the call fails
 * with BK_ECONFIG naming the path; a missing file is BK_ENOENT.
 * *out is allocated; the caller frees it.
 */
int	path_resolve_in(const char *root, const char *path, char **out,
	    struct bk_err *);

/* Create dir and its parents with mode (like mkdir -p). */
int	path_mkdirs(const char *dir, unsigned int mode, struct bk_err *);

/* A user name safe to put in paths and keys: [A-Za-z0-9._-], not "." or
 * "..", 1-64 bytes. */
int	path_valid_user(const char *);

#endif
