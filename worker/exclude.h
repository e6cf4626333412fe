/*
 * exclude.h - BACKUP_EXCLUDE_REGEXP: a Go RE2 regexp matched (unanchored)
 * against the full source path of every entry.  RE2 itself is the engine
 * (re2_wrap.cc), so syntax and semantics are Go's and matching is linear
 * time.
 */
#ifndef BK_EXCLUDE_H
#define BK_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>

struct bk_err;
struct exclude;

struct exclude	*exclude_new(const char *regexp, struct bk_err *);
void		 exclude_free(struct exclude *);
/* Thread-safe. */
bool		 exclude_match(struct exclude *, const char *path, size_t len);

#endif
