/*
 * exclude.h - BACKUP_EXCLUDE_REGEXP: a Go RE2 regexp matched (unanchored)
 * against the full source path of every entry.  PCRE2 is the engine; RE2
 * syntax is a subset of what it accepts.
 */
#ifndef BK_EXCLUDE_H
#define BK_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>

struct bk_err;
struct exclude;

struct exclude	*exclude_new(const char *regexp, struct bk_err *);
void		 exclude_free(struct exclude *);
/* Thread-safe only with one struct exclude per thread. */
bool		 exclude_match(struct exclude *, const char *path, size_t len);

#endif
