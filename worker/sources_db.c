/*
 * sources_db.c - database dumps: placeholder until issue 10 lands.  No
 * database kind counts as configured, so "All" skips them and a named one
 * is refused with a clear error.
 */
#include "err.h"
#include "settings.h"
#include "sources.h"

int
sources_db_configured(enum source_kind kind, const struct settings *admin)
{
	(void)kind;
	(void)admin;
	return 0;
}

int
sources_dump_databases(enum source_kind kind, const struct settings *admin,
    const char *user_name, struct tarw *t, unsigned int *count,
    struct bk_err *err)
{
	(void)kind;
	(void)admin;
	(void)user_name;
	(void)t;
	*count = 0;
	return bk_err_set(err, BK_ENOTSUP, "database dumps are not built yet");
}
