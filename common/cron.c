/*
 * cron.c - robfig/cron v3 schedules exactly as offen/docker-volume-backup
 * parses them (SecondOptional | Minute | Hour | Dom | Month | Dow |
 * Descriptor), evaluated in IANA time zones.
 *
 * Syntax is robfig's (queue-design.md section 7.2), including its quirks:
 * "N/step" runs from N to the field's maximum, '?' is '*' in every field,
 * 7 is not Sunday, empty list items ("1,,2") are ignored, and when both
 * day fields are restricted a day matching either fires (a field counts as
 * unrestricted only for '*' or '?' with step 1).  Where robfig panics or
 * silently accepts nonsense we return BK_ECONFIG instead: a TZ prefix
 * with no space after it, "*-5", a field with no values at all, @every
 * under one second or negative.  Every error names the field and the
 * token: hour field: "25" is above 23.
 *
 * Zones.  glibc converts times in one process-wide zone (TZ), and
 * setenv("TZ") + tzset() is not safe while other threads convert times,
 * so this file reads the system tzdata itself: TZif files (RFC 8536) under
 * /usr/share/zoneinfo, their transition table, and the POSIX TZ rule of
 * the footer for instants after the table (Debian's files stop in 2037;
 * slim ones much earlier).  A loaded zone is immutable and kept for the
 * life of the process in a small cache under a mutex, so 100,000 schedules
 * in one zone share one copy.  The local zone is TZ (a zone name, a file
 * or a POSIX rule string) or /etc/localtime.
 *
 * Evaluation.  The zone's UTC timeline is cut into segments of constant
 * offset.  Within a segment local "wall seconds" grow with real seconds,
 * so the next matching wall time is found by calendar arithmetic that
 * jumps field by field with bit masks (month, day mask of the month, hour,
 * minute, second): a handful of steps per call, never a minute loop.
 *
 * DST policy (an ISC/Vixie cron decision, deliberately not robfig's, which
 * skips gap times and runs fold times twice):
 *   - fixed-hour schedules (the hour field does not start with '*' or '?'):
 *     a wall time skipped by spring-forward fires once, at the instant the
 *     gap ends; a wall time repeated by fall-back fires once, the first
 *     time.  Formally wall times tile the line segment by segment, and
 *     each maps to max(segment start, wall - offset).
 *   - wildcard-hour schedules ("*", "*&#47;15", "?" in the hour field) follow
 *     real time: nothing fires for wall times that do not exist, and the
 *     repeated hour runs again (hourly stays hourly).
 * @every d fires at t + d (robfig) or at anchor + k*d (cron_next_anchored).
 *
 * Threads: any.  A struct cron and the zones it points to are immutable;
 * only the zone cache is shared, under zone_mu.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cron.h"
#include "err.h"
#include "xmalloc.h"

#define ZONEINFO	"/usr/share/zoneinfo"
#define FAR		(INT64_C(1) << 60)	/* "no transition" */
#define TMAX		(INT64_C(1) << 40)	/* |t| we evaluate (~35000 y) */
#define HORIZON		(INT64_C(5) * 366 * 86400)	/* robfig: 5 years */
#define DAY		INT64_C(86400)

struct tzrule {
	char		 kind;		/* 'J' (1-365, no Feb 29), 'D', 'M' */
	int		 mon, week, day;
	int32_t		 secs;		/* after local midnight */
};

struct zone {
	struct zone	*next;		/* in the cache */
	char		*key;
	int64_t		*at;		/* transitions, ascending */
	int32_t		*off;		/* offset from at[i] on */
	size_t		 n;
	int32_t		 off0;		/* before at[0] */
	bool		 footer;	/* a POSIX rule applies after at[n-1] */
	bool		 dst;		/* ... and it has DST */
	int32_t		 std_off, dst_off;
	struct tzrule	 start, end;
};

struct seg {
	int64_t		 start, end;	/* [start, end) in UTC seconds */
	int32_t		 off, prev;	/* offset in it, and before it */
};

struct cron {
	uint64_t	 sec, min, hour, dom, month, dow;
	uint64_t	 dowdays[7];	/* day-of-month bits, by weekday of 1st */
	bool		 dom_star, dow_star;
	bool		 fixed;		/* fixed-hour DST policy */
	int64_t		 every;		/* @every period, or 0 */
	const struct zone *zone;
	char		 zname[64];
};

static pthread_mutex_t zone_mu = PTHREAD_MUTEX_INITIALIZER;
static struct zone *zone_cache;
static const struct zone zone_utc = { .key = (char *)"UTC" };

/* --- calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms) */

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = floordiv(y, 400);
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = floordiv(z, 146097);
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int
weekday(int64_t days)		/* 0 = Sunday; 1970-01-01 was a Thursday */
{
	return (int)(((days % 7) + 11) % 7);
}

/* --- zones: TZif files and POSIX TZ rules -------------------------- */

static const char *
tz_name(const char *p)
{
	const char *q = p;

	if (*p == '<') {
		if ((q = strchr(p, '>')) == NULL)
			return NULL;
		return q + 1;
	}
	while (isalpha((unsigned char)*q))
		q++;
	return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]], hh up to maxh.  Returns the end or NULL. */
static const char *
tz_secs(const char *p, int maxh, int32_t *out)
{
	int sign = 1, part[3] = { 0, 0, 0 }, i;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0 && *p != ':')
			break;
		if (i > 0)
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		part[i] = 0;
		while (isdigit((unsigned char)*p) && part[i] <= 999)
			part[i] = part[i] * 10 + (*p++ - '0');
	}
	if (part[0] > maxh || part[1] > 59 || part[2] > 59)
		return NULL;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return p;
}

static const char *
tz_num(const char *p, int lo, int hi, int *out)
{
	int v = 0;

	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p) && v <= 999)
		v = v * 10 + (*p++ - '0');
	if (v < lo || v > hi)
		return NULL;
	*out = v;
	return p;
}

static const char *
tz_rule(const char *p, struct tzrule *r)
{
	r->secs = 7200;
	if (*p == 'M') {
		r->kind = 'M';
		if ((p = tz_num(p + 1, 1, 12, &r->mon)) == NULL || *p != '.' ||
		    (p = tz_num(p + 1, 1, 5, &r->week)) == NULL || *p != '.' ||
		    (p = tz_num(p + 1, 0, 6, &r->day)) == NULL)
			return NULL;
	} else if (*p == 'J') {
		r->kind = 'J';
		if ((p = tz_num(p + 1, 1, 365, &r->day)) == NULL)
			return NULL;
	} else {
		r->kind = 'D';
		if ((p = tz_num(p, 0, 365, &r->day)) == NULL)
			return NULL;
	}
	if (*p == '/' && (p = tz_secs(p + 1, 167, &r->secs)) == NULL)
		return NULL;
	return p;
}

/* A POSIX TZ string, as in a TZif footer: "CET-1CEST,M3.5.0,M10.5.0/3". */
static int
tz_posix(const char *s, struct zone *z)
{
	const char *p;
	int32_t o;

	if ((p = tz_name(s)) == NULL || (p = tz_secs(p, 167, &o)) == NULL)
		return -1;
	z->footer = true;
	z->std_off = -o;	/* POSIX offsets count west */
	if (*p == '\0')
		return 0;
	if ((p = tz_name(p)) == NULL)
		return -1;
	z->dst = true;
	z->dst_off = z->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = tz_secs(p, 167, &o)) == NULL)
			return -1;
		z->dst_off = -o;
	}
	if (*p == '\0')		/* POSIX default: US rules */
		p = ",M3.2.0,M11.1.0";
	if (*p != ',' || (p = tz_rule(p + 1, &z->start)) == NULL ||
	    *p != ',' || (p = tz_rule(p + 1, &z->end)) == NULL || *p != '\0')
		return -1;
	return 0;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
tzif_parse(const unsigned char *b, size_t len, struct zone *z)
{
	uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
	size_t p = 0, tsz = 4, need, i, e;
	char footer[128];
	int32_t o;

	for (;;) {
		if (len - p < 44 || memcmp(b + p, "TZif", 4) != 0)
			return -1;
		isut = be32(b + p + 20);
		isstd = be32(b + p + 24);
		leap = be32(b + p + 28);
		timecnt = be32(b + p + 32);
		typecnt = be32(b + p + 36);
		charcnt = be32(b + p + 40);
		if (timecnt > 10000 || typecnt == 0 || typecnt > 256 ||
		    charcnt > 10000 || leap > 10000 || isut > 256 ||
		    isstd > 256)
			return -1;
		need = timecnt * (tsz + 1) + typecnt * 6 + charcnt +
		    leap * (tsz + 4) + isstd + isut;
		if (len - p - 44 < need)
			return -1;
		if (tsz == 8 || b[p + 4] < '2')
			break;
		p += 44 + need;		/* skip the 32-bit block */
		tsz = 8;
	}
	if (leap > 0)
		return -1;	/* "right/" zones count leap seconds */
	p += 44;
	z->at = xcalloc(timecnt + 1, sizeof(*z->at));
	z->off = xcalloc(timecnt + 1, sizeof(*z->off));
	z->off0 = (int32_t)be32(b + p + timecnt * (tsz + 1));
	for (i = 0; i < timecnt; i++) {
		const unsigned char *t = b + p + i * tsz;
		unsigned idx = b[p + timecnt * tsz + i];
		int64_t at;

		if (idx >= typecnt)
			return -1;
		at = tsz == 8 ? (int64_t)((uint64_t)be32(t) << 32 | be32(t + 4))
		    : (int32_t)be32(t);
		o = (int32_t)be32(b + p + timecnt * (tsz + 1) + idx * 6);
		if (o < -86400 || o > 86400)
			return -1;
		if (at < -TMAX && z->n == 0)	/* "big bang" */
			z->off0 = o;
		if (at < -TMAX || at > TMAX ||
		    o == (z->n > 0 ? z->off[z->n - 1] : z->off0))
			continue;	/* only a name or isdst changed */
		if (z->n > 0 && at <= z->at[z->n - 1])
			return -1;
		z->at[z->n] = at;
		z->off[z->n++] = o;
	}
	p += timecnt * (tsz + 1) + typecnt * 6 + charcnt + isstd + isut;
	if (tsz == 8 && p < len && b[p] == '\n') {
		for (e = p + 1; e < len && b[e] != '\n'; e++)
			;
		if (e < len && e - p - 1 > 0 && e - p - 1 < sizeof(footer)) {
			memcpy(footer, b + p + 1, e - p - 1);
			footer[e - p - 1] = '\0';
			if (tz_posix(footer, z) == -1)
				return -1;
		}
	}
	return 0;
}

static int
zone_read(const char *path, struct zone *z)
{
	unsigned char *buf;
	ssize_t r;
	size_t len = 0;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	buf = xmalloc(256 * 1024);
	while ((r = read(fd, buf + len, 256 * 1024 - len)) > 0)
		len += (size_t)r;
	if (r == 0 && len < 256 * 1024)
		rc = tzif_parse(buf, len, z);
	free(buf);
	close(fd);
	return rc;
}

static bool
zone_name_ok(const char *name)
{
	const char *p;

	if (name[0] == '\0' || name[0] == '/' || name[0] == '.' ||
	    strstr(name, "..") != NULL || strlen(name) > 60)
		return false;
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-.", *p) == NULL)
			return false;
	return true;
}

/* Load (or find in the cache) zone name, "UTC", "Local" (TZ or
 * /etc/localtime) or NULL for Local. */
static const struct zone *
zone_get(const char *name, struct bk_err *err)
{
	const char *tz = NULL, *what;
	char key[256], path[512];
	struct zone *z, nz = { 0 };
	int rc;

	if (name != NULL && (strcmp(name, "UTC") == 0 || name[0] == '\0'))
		return &zone_utc;
	if (name == NULL || strcmp(name, "Local") == 0) {
		tz = getenv("TZ");
		snprintf(key, sizeof(key), "\001local:%s", tz != NULL ? tz :
		    "\001");
	} else {
		if (!zone_name_ok(name)) {
			bk_err_set(err, BK_ECONFIG, "time zone \"%s\": not a "
			    "zone name like Europe/Berlin", name);
			return NULL;
		}
		snprintf(key, sizeof(key), "%s", name);
	}
	pthread_mutex_lock(&zone_mu);
	for (z = zone_cache; z != NULL; z = z->next)
		if (strcmp(z->key, key) == 0)
			goto out;
	what = name;
	if (key[0] != '\001') {
		snprintf(path, sizeof(path), "%s/%s", ZONEINFO, name);
		rc = zone_read(path, &nz);
	} else if (tz == NULL) {
		what = "/etc/localtime";
		if ((rc = zone_read("/etc/localtime", &nz)) == -1 &&
		    errno == ENOENT)
			rc = 0;		/* no local zone: UTC */
	} else {
		what = tz;
		if (*tz == ':')
			tz++;
		rc = -1;
		if (*tz == '/')
			rc = zone_read(tz, &nz);
		else if (*tz != '\0' && zone_name_ok(tz)) {
			snprintf(path, sizeof(path), "%s/%s", ZONEINFO, tz);
			rc = zone_read(path, &nz);
		} else if (*tz == '\0')
			rc = 0;
		if (rc == -1) {
			free(nz.at);
			free(nz.off);
			memset(&nz, 0, sizeof(nz));
			rc = tz_posix(tz, &nz);
			nz.off0 = nz.std_off;
		}
	}
	if (rc == -1) {
		free(nz.at);
		free(nz.off);
		pthread_mutex_unlock(&zone_mu);
		bk_err_set(err, BK_ECONFIG, "time zone \"%s\": unknown "
		    "(not in %s)", what, ZONEINFO);
		return NULL;
	}
	z = xmalloc(sizeof(*z));
	*z = nz;
	z->key = xstrdup(key);
	z->next = zone_cache;
	zone_cache = z;
out:
	pthread_mutex_unlock(&zone_mu);
	return z;
}

/* The instant a POSIX rule fires in year y, given the offset in force
 * just before it. */
static int64_t
rule_at(const struct tzrule *r, int64_t y, int32_t before)
{
	int64_t d, first;
	int dim;

	first = days_from_civil(y, 1, 1);
	if (r->kind == 'J')
		d = first + r->day - 1 + (is_leap(y) && r->day >= 60);
	else if (r->kind == 'D')
		d = first + r->day;
	else {
		first = days_from_civil(y, r->mon, 1);
		dim = days_in_month(y, r->mon);
		d = first + (r->day - weekday(first) + 7) % 7 +
		    (int64_t)(r->week - 1) * 7;
		while (d >= first + dim)
			d -= 7;
	}
	return d * DAY + r->secs - before;
}

/* Segment after the table, from the footer's DST rule. */
static void
rule_seg(const struct zone *z, int64_t u, int64_t base, int32_t baseoff,
    int32_t baseprev, struct seg *s)
{
	int64_t at[7], y, yy, a;
	int32_t off[7], o;
	int n = 0, i, j, m, d;

	civil_from_days(floordiv(u + z->std_off, DAY), &y, &m, &d);
	at[n] = base;
	off[n++] = baseoff;
	for (yy = y - 1; yy <= y + 1; yy++)
		for (j = 0; j < 2; j++) {
			/* Generated in time order per year; a year's end and
			 * the next year's start may coincide (permanent DST):
			 * the later one wins. */
			a = j == 0 ? rule_at(&z->start, yy, z->std_off) :
			    rule_at(&z->end, yy, z->dst_off);
			o = j == 0 ? z->dst_off : z->std_off;
			if (a <= base)
				continue;
			for (i = n; i > 1 && at[i - 1] > a; i--) {
				at[i] = at[i - 1];
				off[i] = off[i - 1];
			}
			at[i] = a;
			off[i] = o;
			n++;
		}
	/* Merge ties and drop transitions that change nothing. */
	for (i = 1, m = 1; i < n; i++) {
		if (at[i] == at[m - 1] && m > 1)
			m--;
		if (off[i] == off[m - 1])
			continue;
		at[m] = at[i];
		off[m++] = off[i];
	}
	for (i = 0; i + 1 < m && at[i + 1] <= u; i++)
		;
	s->start = at[i];
	s->end = i + 1 < m ? at[i + 1] : FAR;
	s->off = off[i];
	s->prev = i > 0 ? off[i - 1] : baseprev;
}

static void
zone_seg(const struct zone *z, int64_t u, struct seg *s)
{
	size_t lo, hi, mid;
	int32_t last, prev;

	if (z->n == 0 || u < z->at[0]) {
		s->start = -FAR;
		s->end = z->n > 0 ? z->at[0] : FAR;
		s->off = s->prev = z->off0;
		if (z->n == 0 && z->footer) {
			s->off = s->prev = z->std_off;
			if (z->dst)
				rule_seg(z, u, -FAR, z->std_off, z->std_off, s);
		}
		return;
	}
	if (u < z->at[z->n - 1]) {
		lo = 0;
		hi = z->n - 1;		/* at[lo] <= u < at[hi] */
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (z->at[mid] <= u)
				lo = mid;
			else
				hi = mid;
		}
		s->start = z->at[lo];
		s->end = z->at[hi];
		s->off = z->off[lo];
		s->prev = lo > 0 ? z->off[lo - 1] : z->off0;
		return;
	}
	last = z->off[z->n - 1];
	prev = z->n > 1 ? z->off[z->n - 2] : z->off0;
	if (z->footer && z->dst) {
		rule_seg(z, u, z->at[z->n - 1], last, prev, s);
		return;
	}
	s->start = z->at[z->n - 1];
	s->end = FAR;
	s->off = last;
	s->prev = prev;
}

/* --- parsing ------------------------------------------------------- */

struct field {
	const char	*name;
	int		 min, max;
	const char	*const *names;	/* 3-letter names from min, or NULL */
	const char	*hint;
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr",
	"may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat", NULL };

static const struct field fields[6] = {
	{ "second", 0, 59, NULL, "" },
	{ "minute", 0, 59, NULL, "" },
	{ "hour", 0, 23, NULL, "" },
	{ "day-of-month", 1, 31, NULL, "" },
	{ "month", 1, 12, month_names, " or a month name (JAN-DEC)" },
	{ "day-of-week", 0, 6, dow_names, " or a day name (SUN-SAT)" },
};

/* A number or a name; the whole token.  *v = INT_MAX when huge. */
static int
parse_value(const struct field *f, const char *tok, size_t len, int *v,
    struct bk_err *err)
{
	size_t i;

	if (len == 0)
		return bk_err_set(err, BK_ECONFIG, "%s field: a number is "
		    "missing", f->name);
	if (f->names != NULL && len == 3)
		for (i = 0; f->names[i] != NULL; i++)
			if (strncasecmp(tok, f->names[i], 3) == 0) {
				*v = f->min + (int)i;
				return 0;
			}
	i = tok[0] == '+' ? 1 : 0;		/* Go's Atoi takes "+5" */
	if (i == len)
		goto bad;
	for (*v = 0; i < len; i++) {
		if (!isdigit((unsigned char)tok[i]))
			goto bad;
		*v = *v > 100000 ? INT_MAX : *v * 10 + (tok[i] - '0');
	}
	return 0;
bad:
	return bk_err_set(err, BK_ECONFIG, "%s field: \"%.*s\" is not a "
	    "number%s", f->name, (int)len, tok, f->hint);
}

static int
check_value(const struct field *f, const char *tok, size_t len, int v,
    struct bk_err *err)
{
	if (v < f->min)
		return bk_err_set(err, BK_ECONFIG, "%s field: \"%.*s\" is "
		    "below %d", f->name, (int)len, tok, f->min);
	if (v > f->max)
		return bk_err_set(err, BK_ECONFIG, "%s field: \"%.*s\" is "
		    "above %d%s", f->name, (int)len, tok, f->max,
		    f->names == dow_names ? " (Sunday is 0)" : "");
	return 0;
}

/* One list item: "*", "?", "a", "a-b", with an optional "/step". */
static int
parse_item(const struct field *f, const char *s, size_t len, uint64_t *bits,
    bool *star, struct bk_err *err)
{
	const char *slash, *dash, *step_s = NULL;
	size_t rlen = len, dlen;
	int lo, hi, step = 1, v;
	bool is_star = false;

	if ((slash = memchr(s, '/', len)) != NULL) {
		rlen = (size_t)(slash - s);
		step_s = slash + 1;
		if (memchr(step_s, '/', len - rlen - 1) != NULL)
			return bk_err_set(err, BK_ECONFIG, "%s field: \"%.*s\": "
			    "too many slashes", f->name, (int)len, s);
	}
	dash = memchr(s, '-', rlen);
	if (rlen == 1 && (s[0] == '*' || s[0] == '?')) {
		lo = f->min;
		hi = f->max;
		is_star = true;
	} else if (rlen > 0 && (s[0] == '*' || s[0] == '?')) {
		return bk_err_set(err, BK_ECONFIG, "%s field: \"%.*s\": %c "
		    "cannot start a range", f->name, (int)len, s, s[0]);
	} else {
		dlen = dash != NULL ? (size_t)(dash - s) : rlen;
		if (rlen == 0 || dlen == 0 || dlen == rlen - 1)
			return bk_err_set(err, BK_ECONFIG, "%s field: \"%.*s\": "
			    "a number is missing", f->name, (int)len, s);
		if (parse_value(f, s, dlen, &lo, err) == -1)
			return -1;
		hi = lo;
		if (dash != NULL) {
			if (memchr(dash + 1, '-', rlen - dlen - 1) != NULL)
				return bk_err_set(err, BK_ECONFIG, "%s field: "
				    "\"%.*s\": too many hyphens", f->name,
				    (int)len, s);
			if (parse_value(f, dash + 1, rlen - dlen - 1, &hi,
			    err) == -1)
				return -1;
		}
		if (check_value(f, s, dlen, lo, err) == -1 ||
		    (dash != NULL && check_value(f, dash + 1, rlen - dlen - 1,
		    hi, err) == -1))
			return -1;
		if (lo > hi)
			return bk_err_set(err, BK_ECONFIG, "%s field: range "
			    "\"%.*s\" starts after it ends", f->name,
			    (int)rlen, s);
	}
	if (step_s != NULL) {
		size_t sl = len - rlen - 1, i;

		if (sl == 0)
			return bk_err_set(err, BK_ECONFIG, "%s field: \"%.*s\": "
			    "the step is missing", f->name, (int)len, s);
		for (i = 0, v = 0; i < sl; i++) {
			if (!isdigit((unsigned char)step_s[i]))
				return bk_err_set(err, BK_ECONFIG, "%s field: "
				    "step \"%.*s\" is not a number", f->name,
				    (int)sl, step_s);
			v = v > 100000 ? INT_MAX : v * 10 + (step_s[i] - '0');
		}
		if (v == 0)
			return bk_err_set(err, BK_ECONFIG, "%s field: \"%.*s\": "
			    "the step must be 1 or more", f->name, (int)len, s);
		step = v;
		if (dash == NULL)
			hi = f->max;	/* robfig: "N/step" is N-max/step */
		if (step > 1)
			is_star = false;
	}
	for (v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << v;
	*star = *star || is_star;
	return 0;
}

static int
parse_field(const struct field *f, const char *s, size_t len, uint64_t *bits,
    bool *star, struct bk_err *err)
{
	size_t i, j;

	*bits = 0;
	*star = false;
	if (memchr(s, '=', len) != NULL)
		return bk_err_set(err, BK_ECONFIG, "%s field: \"%.*s\": a "
		    "CRON_TZ= or TZ= prefix must come first, followed by one "
		    "space", f->name, (int)len, s);
	for (i = 0; i < len; i = j + 1) {
		for (j = i; j < len && s[j] != ','; j++)
			;
		if (j > i && parse_item(f, s + i, j - i, bits, star,
		    err) == -1)
			return -1;
	}
	if (*bits == 0)
		return bk_err_set(err, BK_ECONFIG, "%s field: \"%.*s\" has no "
		    "values", f->name, (int)len, s);
	return 0;
}

/* Go's time.ParseDuration, into whole seconds (truncated). */
static int
parse_go_duration(const char *s, int64_t *secs, const char **why)
{
	static const struct {
		const char	*unit;
		double		 ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 },
		{ "\xce\xbcs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 },
	};
	double total = 0, v, scale;
	bool neg = false, digits;
	const char *u;
	size_t i, ul;

	*why = "not a duration";
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*secs = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		v = 0;
		digits = false;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			digits = true;
		}
		if (*s == '.')
			for (s++, scale = 0.1; isdigit((unsigned char)*s);
			    s++, scale /= 10) {
				v += (*s - '0') * scale;
				digits = true;
			}
		if (!digits)
			return -1;
		for (u = s; *s != '\0' && *s != '.' &&
		    !isdigit((unsigned char)*s); s++)
			;
		ul = (size_t)(s - u);
		if (ul == 0) {
			*why = "a unit is missing (h, m or s)";
			return -1;
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].unit) == ul &&
			    memcmp(units[i].unit, u, ul) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0])) {
			*why = "unknown unit (use h, m, s, ms, us or ns)";
			return -1;
		}
		total += v * units[i].ns;
	}
	if (total > 9.2e18) {
		*why = "out of range";
		return -1;
	}
	*secs = (int64_t)(total / 1e9) * (neg ? -1 : 1);
	if (neg && total > 0 && *secs == 0)
		*secs = -1;	/* "-500ms": negative all the same */
	return 0;
}

static const char *const descriptor_names[] = { "@yearly", "@annually",
	"@monthly", "@weekly", "@daily", "@midnight", "@hourly", NULL };
static const char *const descriptor_specs[] = { "0 0 1 1 *", "0 0 1 1 *",
	"0 0 1 * *", "0 0 * * 0", "0 0 * * *", "0 0 * * *", "0 * * * *" };

static int
parse_descriptor(struct cron *c, const char *s, struct bk_err *err)
{
	const char *why;
	size_t i;

	for (i = 0; descriptor_names[i] != NULL; i++)
		if (strcmp(s, descriptor_names[i]) == 0)
			return -2 - (int)i;	/* the caller parses its spec */
	if (strncmp(s, "@every ", 7) == 0) {
		if (parse_go_duration(s + 7, &c->every, &why) == -1)
			return bk_err_set(err, BK_ECONFIG, "@every: \"%s\": %s "
			    "(Go syntax: 90s, 15m, 1h30m)", s + 7, why);
		if (c->every < 1)
			return bk_err_set(err, BK_ECONFIG, "@every: \"%s\" is "
			    "not a positive duration of 1s or more", s + 7);
		c->fixed = false;
		return 0;
	}
	if (strcmp(s, "@every") == 0)
		return bk_err_set(err, BK_ECONFIG, "@every: the duration is "
		    "missing (e.g. @every 6h)");
	return bk_err_set(err, BK_ECONFIG, "unknown descriptor \"%s\" (use "
	    "@yearly, @annually, @monthly, @weekly, @daily, @midnight, "
	    "@hourly or @every <duration>; lower case)", s);
}

static int
parse_fields(struct cron *c, const char *s, struct bk_err *err)
{
	const char *f[7];
	size_t flen[7], n = 0, i, k;
	uint64_t *bits[6] = { &c->sec, &c->min, &c->hour, &c->dom, &c->month,
	    &c->dow };
	bool star[6];

	while (*s != '\0') {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		if (n == 7)
			break;
		f[n] = s;
		while (*s != '\0' && !isspace((unsigned char)*s))
			s++;
		flen[n] = (size_t)(s - f[n]);
		n++;
	}
	if (n < 5 || n > 6)
		return bk_err_set(err, BK_ECONFIG, "expected 5 fields (minute "
		    "hour day-of-month month day-of-week) or 6 with seconds "
		    "first, found %s%zu", n > 6 ? "more than " : "",
		    n > 6 ? (size_t)6 : n);
	if (n == 5) {
		c->sec = 1;		/* second 0 */
		star[0] = false;
	}
	for (i = 0; i < n; i++) {
		k = i + 6 - n;
		if (parse_field(&fields[k], f[i], flen[i], bits[k], &star[k],
		    err) == -1)
			return -1;
	}
	c->dom_star = star[3];
	c->dow_star = star[5];
	/* Vixie's HR_STAR: the hour field starts with '*' or '?'. */
	c->fixed = !(f[n - 4][0] == '*' || f[n - 4][0] == '?');
	for (i = 0; i < 7; i++)
		for (k = 1; k <= 31; k++)
			if (c->dow >> ((i + k - 1) % 7) & 1)
				c->dowdays[i] |= UINT64_C(1) << k;
	return 0;
}

struct cron *
cron_parse(const char *expr, const char *default_tz, struct bk_err *err)
{
	struct cron *c;
	const char *s = expr, *eq, *sp;
	char zname[64], *rest = NULL;
	size_t len;
	int rc;

	if (expr == NULL || *expr == '\0') {
		bk_err_set(err, BK_ECONFIG, "the schedule is empty");
		return NULL;
	}
	if (strlen(expr) > 1024) {
		bk_err_set(err, BK_ECONFIG, "the schedule is longer than 1024 "
		    "characters");
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	if (strncmp(s, "TZ=", 3) == 0 || strncmp(s, "CRON_TZ=", 8) == 0) {
		eq = strchr(s, '=');
		if ((sp = strchr(s, ' ')) == NULL) {
			bk_err_set(err, BK_ECONFIG, "time zone prefix \"%s\" "
			    "must be followed by a space and the schedule", s);
			goto fail;
		}
		len = (size_t)(sp - eq - 1);
		if (len == 0 || len >= sizeof(zname)) {
			bk_err_set(err, BK_ECONFIG, "time zone prefix \"%.*s\": "
			    "%s zone name", (int)(sp - s), s,
			    len == 0 ? "empty" : "too long a");
			goto fail;
		}
		memcpy(zname, eq + 1, len);
		zname[len] = '\0';
		if ((c->zone = zone_get(zname, err)) == NULL)
			goto fail;
		snprintf(c->zname, sizeof(c->zname), "%s", zname);
		/* robfig: strings.TrimSpace of the rest */
		while (isspace((unsigned char)*sp))
			sp++;
		rest = xstrdup(sp);
		len = strlen(rest);
		while (len > 0 && isspace((unsigned char)rest[len - 1]))
			rest[--len] = '\0';
		s = rest;
	} else {
		if ((c->zone = zone_get(default_tz, err)) == NULL)
			goto fail;
		if (default_tz != NULL && strcmp(default_tz, "Local") != 0)
			snprintf(c->zname, sizeof(c->zname), "%s",
			    default_tz[0] == '\0' ? "UTC" : default_tz);
	}
	if (strcmp(c->zname, "Local") == 0)
		c->zname[0] = '\0';
	if (*s == '@') {
		rc = parse_descriptor(c, s, err);
		if (rc == -1)
			goto fail;
		if (rc < -1 && parse_fields(c, descriptor_specs[-2 - rc],
		    err) == -1)
			goto fail;
	} else if (parse_fields(c, s, err) == -1)
		goto fail;
	free(rest);
	return c;
fail:
	free(rest);
	free(c);
	return NULL;
}

void
cron_free(struct cron *c)
{
	free(c);
}

const char *
cron_zone(const struct cron *c)
{
	return c->zname;
}

int64_t
cron_every(const struct cron *c)
{
	return c->every;
}

/* --- evaluation ---------------------------------------------------- */

static uint64_t
day_mask(const struct cron *c, int64_t y, int m)
{
	int64_t first = days_from_civil(y, m, 1);
	uint64_t valid, dm, dw;

	valid = (UINT64_C(2) << days_in_month(y, m)) - 2;	/* 1..dim */
	dm = c->dom & valid;
	dw = c->dowdays[weekday(first)] & valid;
	return c->dom_star || c->dow_star ? dm & dw : dm | dw;
}

/* The first matching wall time in [w, hi), or -1.  Each step jumps to
 * the start of the next candidate month, day, hour, minute or second. */
static int64_t
next_wall(const struct cron *c, int64_t w, int64_t hi)
{
	int64_t days, y, base;
	int mo, d, h, mi, sec, sod;
	uint64_t m;

	while (w < hi) {
		days = floordiv(w, DAY);
		sod = (int)(w - days * DAY);
		civil_from_days(days, &y, &mo, &d);
		base = days * DAY;
		if (!(c->month >> mo & 1)) {
			m = c->month & (~UINT64_C(0) << mo);
			w = (m != 0 ? days_from_civil(y, __builtin_ctzll(m), 1) :
			    days_from_civil(y + 1, __builtin_ctzll(c->month),
			    1)) * DAY;
			continue;
		}
		m = day_mask(c, y, mo) & (~UINT64_C(0) << d);
		if (m == 0) {
			w = (mo == 12 ? days_from_civil(y + 1, 1, 1) :
			    days_from_civil(y, mo + 1, 1)) * DAY;
			continue;
		}
		if (__builtin_ctzll(m) != d) {
			w = base + (__builtin_ctzll(m) - d) * DAY;
			continue;
		}
		h = sod / 3600;
		if ((m = c->hour & (~UINT64_C(0) << h)) == 0) {
			w = base + DAY;
			continue;
		}
		if (__builtin_ctzll(m) != h) {
			w = base + __builtin_ctzll(m) * 3600;
			continue;
		}
		mi = sod / 60 % 60;
		if ((m = c->min & (~UINT64_C(0) << mi)) == 0) {
			w = base + (h + 1) * 3600;
			continue;
		}
		if (__builtin_ctzll(m) != mi) {
			w = base + h * 3600 + __builtin_ctzll(m) * 60;
			continue;
		}
		sec = sod % 60;
		if ((m = c->sec & (~UINT64_C(0) << sec)) == 0) {
			w = base + h * 3600 + (mi + 1) * 60;
			continue;
		}
		w = base + h * 3600 + mi * 60 + __builtin_ctzll(m);
		return w < hi ? w : -1;
	}
	return -1;
}

time_t
cron_next(const struct cron *c, time_t t)
{
	int64_t u = (int64_t)t + 1, limit, lo, w;
	struct seg s;

	if (c->every > 0)
		return t <= TMAX ? t + c->every : -1;
	if (t < -TMAX || t > TMAX)
		return -1;
	limit = (int64_t)t + HORIZON;
	for (;;) {
		zone_seg(c->zone, u, &s);
		lo = u + s.off;
		/* Fixed-hour: this segment's wall times start where the
		 * previous segment's ended (gap times included, repeated
		 * ones excluded). */
		if (c->fixed && s.start > -FAR) {
			if (u == s.start || lo < s.start + s.prev)
				lo = s.start + s.prev;
		}
		w = next_wall(c, lo, (s.end < limit ? s.end : limit) + s.off);
		if (w != -1) {
			w -= s.off;
			return w < s.start ? s.start : w;
		}
		if (s.end >= limit)
			return -1;
		u = s.end;
	}
}

time_t
cron_next_anchored(const struct cron *c, time_t anchor, time_t t)
{
	int64_t k;

	if (c->every == 0)
		return cron_next(c, t);
	if (t < anchor)
		return anchor;
	k = ((int64_t)t - anchor) / c->every + 1;
	return anchor + k * c->every;
}

int64_t
cron_min_interval(const struct cron *c, time_t t)
{
	int64_t best = -1, end = (int64_t)t + 366 * DAY;
	time_t prev, next;
	int n = 0;

	if (c->every > 0)
		return c->every;
	if ((prev = cron_next(c, t)) == -1)
		return -1;
	/* A year of firings, up to 200,000 of them: a schedule that fires
	 * that often has shown gaps of at most 158 s by then. */
	while ((next = cron_next(c, prev)) != -1 && next <= end &&
	    n++ < 200000) {
		if (best == -1 || next - prev < best)
			best = next - prev;
		if (best <= 1)
			break;
		prev = next;
	}
	return best;
}

int
cron_utc_offset(const struct cron *c, time_t t)
{
	struct seg s;

	zone_seg(c->zone, (int64_t)t, &s);
	return s.off;
}

char *
cron_format(const struct cron *c, time_t t, char *buf, size_t len)
{
	int off = cron_utc_offset(c, t), d, m, ao;
	int64_t w = (int64_t)t + off, days = floordiv(w, DAY), y;
	int sod = (int)(w - days * DAY);
	char zs[16];

	civil_from_days(days, &y, &m, &d);
	ao = off < 0 ? -off : off;
	if (off == 0)
		snprintf(zs, sizeof(zs), "Z");
	else	/* LMT's odd seconds: RFC 3339 offsets have none */
		snprintf(zs, sizeof(zs), "%c%02d:%02d", off < 0 ? '-' : '+',
		    ao / 3600, ao / 60 % 60);
	snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d%s", (long long)y,
	    m, d, sod / 3600, sod / 60 % 60, sod % 60, zs);
	return buf;
}

/* The earliest instant showing wall time w, or the end of the gap
 * that skips it. */
static int64_t
wall_to_utc(const struct zone *z, int64_t w)
{
	struct seg s;
	int64_t u = w - 2 * DAY;

	for (;;) {
		zone_seg(z, u, &s);
		if (w < s.start + s.off)
			return s.start;
		if (w < s.end + s.off)
			return w - s.off;
		u = s.end;
	}
}

static const char *
num(const char *p, int digits, int lo, int hi, int *out)
{
	int i;

	for (*out = 0, i = 0; i < digits; i++, p++) {
		if (!isdigit((unsigned char)*p))
			return NULL;
		*out = *out * 10 + (*p - '0');
	}
	return *out < lo || *out > hi ? NULL : p;
}

int
cron_parse_time(const struct cron *c, const char *s, time_t *out,
    struct bk_err *err)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om;
	int64_t w;

	if ((p = num(p, 4, 0, 9999, &y)) == NULL || *p++ != '-' ||
	    (p = num(p, 2, 1, 12, &mo)) == NULL || *p++ != '-' ||
	    (p = num(p, 2, 1, 31, &d)) == NULL)
		goto bad;
	if (d > days_in_month(y, mo))
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((p = num(p, 2, 0, 23, &h)) == NULL || *p++ != ':' ||
		    (p = num(p, 2, 0, 59, &mi)) == NULL || *p++ != ':' ||
		    (p = num(p, 2, 0, 60, &sec)) == NULL)
			goto bad;
		if (sec == 60)		/* a leap second: the next one */
			sec = 59;
		if (*p == '.' && isdigit((unsigned char)p[1]))
			for (p++; isdigit((unsigned char)*p); p++)
				;
	} else if (*p != '\0')
		goto bad;
	w = days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + sec;
	if (*p == '\0') {
		*out = (time_t)wall_to_utc(c->zone, w);
		return 0;
	}
	if (*p == 'Z' || *p == 'z') {
		if (p[1] != '\0')
			goto bad;
		*out = (time_t)w;
		return 0;
	}
	if ((*p != '+' && *p != '-') || num(p + 1, 2, 0, 23, &oh) == NULL ||
	    p[3] != ':' || num(p + 4, 2, 0, 59, &om) == NULL || p[6] != '\0')
		goto bad;
	*out = (time_t)(w - (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60));
	return 0;
bad:
	return bk_err_set(err, BK_ECONFIG, "\"%s\" is not an RFC 3339 time "
	    "(e.g. 2026-03-29T02:30:00+01:00, 2026-03-29T01:30:00Z)", s);
}
