/*
 * dotenv.h - KEY=VALUE files in the dotenv convention.
 *
 * '#' comments (whole line, or after whitespace on an unquoted value),
 * an optional "export " prefix, 'single' quotes taken literally, "double"
 * quotes with \n \t \" \\ escapes that may span several lines (an armored
 * key ring), no variable expansion.  A later duplicate key replaces the
 * earlier one.
 */
#ifndef BK_DOTENV_H
#define BK_DOTENV_H

#include <stddef.h>

struct bk_err;

struct kv {
	char	*key;
	char	*value;
	int	 line;		/* where the key stands, 1-based */
};

struct kvlist {
	struct kv	*v;
	size_t		 n;
	size_t		 cap;
	char		*path;	/* file it came from, or NULL */
};

void	kvlist_init(struct kvlist *);
void	kvlist_free(struct kvlist *);	/* wipes values: they hold secrets */
/* Value of key, or NULL when absent.  Borrowed from the list. */
const char *kvlist_get(const struct kvlist *, const char *key);
const struct kv *kvlist_find(const struct kvlist *, const char *key);
void	kvlist_set(struct kvlist *, const char *key, const char *value,
	    int line);

/* Parse text (len bytes); name is used in error messages. */
int	dotenv_parse(const char *text, size_t len, const char *name,
	    struct kvlist *, struct bk_err *);
/* Read and parse a file; files over 1 MiB are refused. */
int	dotenv_load(const char *path, struct kvlist *, struct bk_err *);

#endif
