/*
 * exclude.c - the exclude regexp, compiled once per job with PCRE2 (JIT
 * when available; the match data is per handle, so one handle per thread).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>

#include "err.h"
#include "exclude.h"
#include "xmalloc.h"

struct exclude {
	pcre2_code		*re;
	pcre2_match_data	*md;
};

struct exclude *
exclude_new(const char *regexp, struct bk_err *err)
{
	struct exclude *ex;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int code;

	ex = xcalloc(1, sizeof(*ex));
	ex->re = pcre2_compile((PCRE2_SPTR)regexp, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	if (ex->re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		bk_err_set(err, BK_ECONFIG, "invalid regexp at offset %zu: %s",
		    (size_t)off, (char *)msg);
		free(ex);
		return NULL;
	}
	(void)pcre2_jit_compile(ex->re, PCRE2_JIT_COMPLETE);
	ex->md = pcre2_match_data_create_from_pattern(ex->re, NULL);
	return ex;
}

void
exclude_free(struct exclude *ex)
{
	if (ex == NULL)
		return;
	pcre2_match_data_free(ex->md);
	pcre2_code_free(ex->re);
	free(ex);
}

bool
exclude_match(struct exclude *ex, const char *path, size_t len)
{
	return pcre2_match(ex->re, (PCRE2_SPTR)path, len, 0, 0, ex->md,
	    NULL) >= 0;
}
