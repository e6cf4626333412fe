/*
 * tz.c - IANA time zones from the system tzdata, without TZ or tzset().
 *
 * glibc converts times in one process-wide zone (TZ), and setenv("TZ") +
 * tzset() is not safe while other threads convert times, so cron
 * schedules in many zones cannot use localtime_r/mktime.  This file reads
 * the tzdata itself: TZif files (RFC 8536) under /usr/share/zoneinfo,
 * their transition table, and the POSIX TZ rule of the footer for
 * instants after the table (Debian's files stop in 2037, slim ones much
 * earlier).  The local zone is TZ (a zone name, a file or a POSIX rule
 * string such as "EST5EDT,M3.2.0,M11.1.0") or /etc/localtime.
 *
 * A zone is seen as segments of UTC time with one offset each
 * (tz_segment); the segment also gives the offset before it, which is all
 * cron.c needs to place wall times in DST gaps and folds.  Transitions
 * that change only the name or isdst flag are dropped.  Leap-second
 * ("right/") zones are refused.
 *
 * Threads: any.  A loaded zone is immutable and kept for the life of the
 * process in a small cache under tz_mu, so 100,000 schedules in one zone
 * share one copy; nothing is ever freed.
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

#include "err.h"
#include "tz.h"
#include "xmalloc.h"

#define ZONEINFO	"/usr/share/zoneinfo"
#define TMAX		(INT64_C(1) << 40)	/* |t| we handle (~35000 y) */
#define DAY		INT64_C(86400)

struct tzrule {
	char		 kind;		/* 'J' (1-365, no Feb 29), 'D', 'M' */
	int		 mon, week, day;
	int32_t		 secs;		/* after local midnight */
};

struct tz {
	struct tz	*next;		/* in the cache */
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

static pthread_mutex_t tz_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tz *tz_cache;
static const struct tz tz_utc = { .key = (char *)"UTC" };

/* --- calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms) */

int64_t
tz_floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t
tz_days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = tz_floordiv(y, 400);
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = tz_floordiv(z, 146097);
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

int
tz_days_in_month(int64_t y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int
tz_weekday(int64_t days)		/* 0 = Sunday; 1970-01-01 was a Thursday */
{
	return (int)(((days % 7) + 11) % 7);
}

/* --- zones: TZif files and POSIX TZ rules -------------------------- */

static const char *
posix_name(const char *p)
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
posix_secs(const char *p, int maxh, int32_t *out)
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
posix_num(const char *p, int lo, int hi, int *out)
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
posix_rule(const char *p, struct tzrule *r)
{
	r->secs = 7200;
	if (*p == 'M') {
		r->kind = 'M';
		if ((p = posix_num(p + 1, 1, 12, &r->mon)) == NULL || *p != '.' ||
		    (p = posix_num(p + 1, 1, 5, &r->week)) == NULL || *p != '.' ||
		    (p = posix_num(p + 1, 0, 6, &r->day)) == NULL)
			return NULL;
	} else if (*p == 'J') {
		r->kind = 'J';
		if ((p = posix_num(p + 1, 1, 365, &r->day)) == NULL)
			return NULL;
	} else {
		r->kind = 'D';
		if ((p = posix_num(p, 0, 365, &r->day)) == NULL)
			return NULL;
	}
	if (*p == '/' && (p = posix_secs(p + 1, 167, &r->secs)) == NULL)
		return NULL;
	return p;
}

/* A POSIX TZ string, as in a TZif footer: "CET-1CEST,M3.5.0,M10.5.0/3". */
static int
posix_parse(const char *s, struct tz *z)
{
	const char *p;
	int32_t o;

	if ((p = posix_name(s)) == NULL || (p = posix_secs(p, 167, &o)) == NULL)
		return -1;
	z->footer = true;
	z->std_off = -o;	/* POSIX offsets count west */
	if (*p == '\0')
		return 0;
	if ((p = posix_name(p)) == NULL)
		return -1;
	z->dst = true;
	z->dst_off = z->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = posix_secs(p, 167, &o)) == NULL)
			return -1;
		z->dst_off = -o;
	}
	if (*p == '\0')		/* POSIX default: US rules */
		p = ",M3.2.0,M11.1.0";
	if (*p != ',' || (p = posix_rule(p + 1, &z->start)) == NULL ||
	    *p != ',' || (p = posix_rule(p + 1, &z->end)) == NULL || *p != '\0')
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
tzif_parse(const unsigned char *b, size_t len, struct tz *z)
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
			if (posix_parse(footer, z) == -1)
				return -1;
		}
	}
	return 0;
}

static int
zone_read(const char *path, struct tz *z)
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
const struct tz *
tz_get(const char *name, struct bk_err *err)
{
	const char *tz = NULL, *what;
	char key[256], path[512];
	struct tz *z, nz = { 0 };
	int rc;

	if (name != NULL && (strcmp(name, "UTC") == 0 || name[0] == '\0'))
		return &tz_utc;
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
	pthread_mutex_lock(&tz_mu);
	for (z = tz_cache; z != NULL; z = z->next)
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
			rc = posix_parse(tz, &nz);
			nz.off0 = nz.std_off;
		}
	}
	if (rc == -1) {
		free(nz.at);
		free(nz.off);
		pthread_mutex_unlock(&tz_mu);
		bk_err_set(err, BK_ECONFIG, "time zone \"%s\": unknown "
		    "(not in %s)", what, ZONEINFO);
		return NULL;
	}
	z = xmalloc(sizeof(*z));
	*z = nz;
	z->key = xstrdup(key);
	z->next = tz_cache;
	tz_cache = z;
out:
	pthread_mutex_unlock(&tz_mu);
	return z;
}

/* The instant a POSIX rule fires in year y, given the offset in force
 * just before it. */
static int64_t
rule_at(const struct tzrule *r, int64_t y, int32_t before)
{
	int64_t d, first;
	int dim;

	first = tz_days_from_civil(y, 1, 1);
	if (r->kind == 'J')
		d = first + r->day - 1 + (is_leap(y) && r->day >= 60);
	else if (r->kind == 'D')
		d = first + r->day;
	else {
		first = tz_days_from_civil(y, r->mon, 1);
		dim = tz_days_in_month(y, r->mon);
		d = first + (r->day - tz_weekday(first) + 7) % 7 +
		    (int64_t)(r->week - 1) * 7;
		while (d >= first + dim)
			d -= 7;
	}
	return d * DAY + r->secs - before;
}

/* Segment after the table, from the footer's DST rule. */
static void
rule_seg(const struct tz *z, int64_t u, int64_t base, int32_t baseoff,
    int32_t baseprev, struct tz_seg *s)
{
	int64_t at[7], y, yy, a;
	int32_t off[7], o;
	int n = 0, i, j, m, d;

	tz_civil_from_days(tz_floordiv(u + z->std_off, DAY), &y, &m, &d);
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
	s->end = i + 1 < m ? at[i + 1] : TZ_FAR;
	s->off = off[i];
	s->prev = i > 0 ? off[i - 1] : baseprev;
}

void
tz_segment(const struct tz *z, int64_t u, struct tz_seg *s)
{
	size_t lo, hi, mid;
	int32_t last, prev;

	if (z->n == 0 || u < z->at[0]) {
		s->start = -TZ_FAR;
		s->end = z->n > 0 ? z->at[0] : TZ_FAR;
		s->off = s->prev = z->off0;
		if (z->n == 0 && z->footer) {
			s->off = s->prev = z->std_off;
			if (z->dst)
				rule_seg(z, u, -TZ_FAR, z->std_off, z->std_off, s);
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
	s->end = TZ_FAR;
	s->off = last;
	s->prev = prev;
}

/* The earliest instant showing wall time w, or the end of the gap
 * that skips it. */
int64_t
tz_wall_to_utc(const struct tz *z, int64_t w)
{
	struct tz_seg s;
	int64_t u = w - 2 * DAY;

	for (;;) {
		tz_segment(z, u, &s);
		if (w < s.start + s.off)
			return s.start;
		if (w < s.end + s.off)
			return w - s.off;
		u = s.end;
	}
}
