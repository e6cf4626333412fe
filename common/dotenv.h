/*
 * dotenv.h - KEY=VALUE files in the dotenv convention.
 *
 * '#' comments (whole line, or after whitespace on an unquoted value),
 * an optional "export " prefix, 'single' quotes taken literally, "double"
 * quotes with \n \t \" \\ escapes that may span several lines (an armored
 * key ring), no variable expansion.  A later duplicate key replaces the
 * earlier one (last wins) and keeps the earlier one's place in the list.
 * Lookups go through a hash index, so loading n keys costs O(n); a file
 * is capped at DOTENV_MAX_BYTES and DOTENV_MAX_KEYS distinct keys.
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

#define DOTENV_MAX_BYTES	(1024 * 1024)
#define DOTENV_MAX_KEYS		100000

struct kvlist {
	struct kv	*v;
	size_t		 n;
	size_t		 cap;
	size_t		*idx;	/* open addressing: index into v + 1; 0 free */
	size_t		 nidx;	/* a power of two, > 2 * n */
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
/* Read and parse a file; files over DOTENV_MAX_BYTES or with more than
 * DOTENV_MAX_KEYS keys are refused with an error naming the file. */
int	dotenv_load(const char *path, struct kvlist *, struct bk_err *);

#endif
