/*
 * exclude.c - BACKUP_EXCLUDE_REGEXP, compiled once per job with RE2
 * (re2_wrap.cc), the engine of Go's regexp, so the semantics are Go's and
 * matching is linear time whatever the user writes.
 *
 * Go refuses a few things RE2 takes: \C (any byte) is one; it is refused
 * here, before RE2 sees the pattern.  Errors say why in RE2's own words
 * (callers name the setting): "invalid perl operator: (?=" for a lookahead,
 * "invalid escape sequence: \1" for a backreference.
 *
 * Threads: a compiled pattern may be matched from any thread.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "exclude.h"
#include "re2_wrap.h"
#include "xmalloc.h"

struct exclude {
	struct re2w	*re;
};

/* \C outside a character class ("\\C" is an escaped backslash then C). */
static bool
has_any_byte(const char *p)
{
	for (; *p != '\0'; p++)
		if (*p == '\\') {
			if (p[1] == 'C')
				return true;
			if (p[1] != '\0')
				p++;
		}
	return false;
}

struct exclude *
exclude_new(const char *regexp, struct bk_err *err)
{
	struct exclude *ex;
	char msg[256];

	if (has_any_byte(regexp)) {
		bk_err_set(err, BK_ECONFIG, "invalid regexp: \\C (any byte) "
		    "is not Go regexp syntax");
		err->retryable = false;
		return NULL;
	}
	ex = xcalloc(1, sizeof(*ex));
	if ((ex->re = re2w_compile(regexp, msg, sizeof(msg))) == NULL) {
		bk_err_set(err, BK_ECONFIG, "invalid regexp: %s (Go/RE2 "
		    "syntax: no backreferences, no lookaround)", msg);
		err->retryable = false;
		free(ex);
		return NULL;
	}
	return ex;
}

void
exclude_free(struct exclude *ex)
{
	if (ex == NULL)
		return;
	re2w_free(ex->re);
	free(ex);
}

bool
exclude_match(struct exclude *ex, const char *path, size_t len)
{
	return re2w_search(ex->re, path, len);
}
