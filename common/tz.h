/*
 * tz.h - IANA time zones read from the system tzdata, usable from any
 * thread (no TZ, no tzset), and the proleptic Gregorian calendar.
 *
 * A zone's UTC time line is a series of segments of constant offset; a
 * "wall" time is UTC seconds + offset, counted like UTC seconds (days *
 * 86400 + seconds of the day), which the civil helpers convert.
 */
#ifndef BK_TZ_H
#define BK_TZ_H

#include <stdint.h>

struct bk_err;
struct tz;

#define TZ_FAR	(INT64_C(1) << 60)	/* no transition before/after */

struct tz_seg {
	int64_t		 start, end;	/* [start, end) in UTC seconds */
	int32_t		 off, prev;	/* offset in it, and before it */
};

/* "UTC" (or ""), a zone name like "Europe/Berlin", or NULL / "Local" for
 * the local zone (TZ, else /etc/localtime, else UTC).  Cached for the
 * life of the process.  BK_ECONFIG naming the zone if unknown. */
const struct tz	*tz_get(const char *name, struct bk_err *);
/* The segment holding instant u. */
void		 tz_segment(const struct tz *, int64_t u, struct tz_seg *);
/* The earliest instant showing wall time w, or, for a wall time a DST gap
 * skips, the instant the gap ends. */
int64_t		 tz_wall_to_utc(const struct tz *, int64_t w);

int64_t		 tz_floordiv(int64_t, int64_t);
int64_t		 tz_days_from_civil(int64_t y, int m, int d);
void		 tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int		 tz_days_in_month(int64_t y, int m);
int		 tz_weekday(int64_t days);	/* 0 = Sunday */

#endif
