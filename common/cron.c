/*
 * cron.c - placeholder until the real parser lands (issue 2, cron part).
 */
#include <stdlib.h>

#include "cron.h"
#include "err.h"

struct cron {
	int	unused;
};

struct cron *
cron_parse(const char *expr, const char *default_tz, struct bk_err *err)
{
	(void)expr;
	(void)default_tz;
	bk_err_set(err, BK_ENOTSUP, "cron: not implemented yet");
	return NULL;
}

void
cron_free(struct cron *c)
{
	free(c);
}

time_t
cron_next(const struct cron *c, time_t t)
{
	(void)c;
	(void)t;
	return -1;
}

const char *
cron_zone(const struct cron *c)
{
	(void)c;
	return "";
}

int64_t
cron_min_interval(const struct cron *c, time_t t)
{
	(void)c;
	(void)t;
	return -1;
}
