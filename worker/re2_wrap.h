/*
 * re2_wrap.h - the C face of RE2 (Google's regexp library, C++), the
 * engine behind BACKUP_EXCLUDE_REGEXP (exclude.c).  Nothing C++ leaks
 * through: an opaque handle, plain C types, no exceptions.
 */
#ifndef BK_RE2_WRAP_H
#define BK_RE2_WRAP_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct re2w;

/* Compile pattern with RE2's defaults (UTF-8, Perl classes, no logging
 * to stderr).  NULL with RE2's message in msg on a syntax error or when
 * memory runs out. */
struct re2w	*re2w_compile(const char *pattern, char *msg, size_t msglen);
/* Unanchored search in text[0..len); linear in len.  Thread-safe. */
bool		 re2w_search(const struct re2w *, const char *text,
		    size_t len);
void		 re2w_free(struct re2w *);

#ifdef __cplusplus
}
#endif

#endif
