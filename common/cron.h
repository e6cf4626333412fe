/*
 * cron.h - robfig/cron v3 schedules, as the panel docs configure them.
 *
 * 5 fields (minute hour dom month dow) or 6 with seconds first; names
 * (JAN-DEC, SUN-SAT, any case); '?'; ranges, steps, lists; @yearly
 * @annually @monthly @weekly @daily @midnight @hourly and @every <dur>;
 * CRON_TZ= / TZ= prefixes with IANA zones.  When both day fields are
 * restricted a day matching either fires.  DST: a time skipped by the
 * spring-forward jump fires once just after it; a repeated time fires once.
 * That is for fixed hours; when the hour field starts with '*' or '?'
 * (hourly, every 15 minutes) the schedule follows real time, as ISC cron
 * does: no firing for wall times that do not exist, and the repeated hour
 * runs again (details in cron.c).
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
 * bad token, e.g. "hour field: \"25\" is above 23".  BK_ECONFIG. */
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

/* Additions (same file, same rules): */
/* @every: its period in seconds; 0 for calendar schedules. */
int64_t		 cron_every(const struct cron *);
/* Like cron_next, but an @every schedule fires at anchor + k * period
 * (stable across restarts and replicas) rather than at t + period. */
time_t		 cron_next_anchored(const struct cron *, time_t anchor, time_t t);
/* Seconds east of UTC at instant t in the schedule's zone. */
int		 cron_utc_offset(const struct cron *, time_t t);
/* Format t as RFC 3339 in the schedule's zone: 2026-03-29T03:00:00+02:00
 * ("Z" when the offset is zero).  buf holds at least 32 bytes. */
char		*cron_format(const struct cron *, time_t t, char *buf, size_t);
/* Parse an RFC 3339 time (YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)); without
 * an offset, or a date alone, it is a wall time in the schedule's zone
 * (a wall time skipped by DST means the instant the gap ends).
 * Fractions of a second are dropped.  BK_ECONFIG on bad input. */
int		 cron_parse_time(const struct cron *, const char *s, time_t *,
		    struct bk_err *);

#endif
