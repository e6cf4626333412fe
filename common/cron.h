/*
 * cron.h - robfig/cron v3 schedules, as the panel docs configure them.
 *
 * 5 fields (minute hour dom month dow) or 6 with seconds first; names
 * (JAN-DEC, SUN-SAT, any case); '?'; ranges, steps, lists; @yearly
 * @annually @monthly @weekly @daily @midnight @hourly and @every <dur>;
 * CRON_TZ= / TZ= prefixes with IANA zones.  When both day fields are
 * restricted a day matching either fires.  DST: a time skipped by the
 * spring-forward jump fires once just after it; a repeated time fires once.
 *
 * Thread-safe: a parsed struct cron is immutable.
 */
#ifndef BK_CRON_H
#define BK_CRON_H

#include <stdint.h>
#include <time.h>

struct bk_err;
struct cron;

/* Parse expr; default_tz (NULL: the process's local zone) applies when the
 * expression has no CRON_TZ=/TZ= prefix.  The error names the field and the
 * bad token, e.g. "hour field: 25 is above 23".  BK_ECONFIG. */
struct cron	*cron_parse(const char *expr, const char *default_tz,
		    struct bk_err *);
void		 cron_free(struct cron *);
/* The first time strictly after t it fires, or -1 if it never does (within
 * the next 5 years). */
time_t		 cron_next(const struct cron *, time_t t);
/* The zone it is evaluated in ("UTC", "Europe/Berlin", or "" for local). */
const char	*cron_zone(const struct cron *);
/* Smallest gap between two firings seen over a sample year from t (for
 * MIN_SCHEDULE_INTERVAL_SECONDS); -1 if it fires fewer than twice. */
int64_t		 cron_min_interval(const struct cron *, time_t t);

#endif
