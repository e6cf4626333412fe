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
 * Zones come from tz.c, which reads the system tzdata itself (TZif files
 * and their POSIX footer rules) because setenv("TZ") + tzset() is not
 * thread-safe; a schedule only points to its shared, immutable zone.
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
 *   - wildcard-hour schedules (the hour field starts with '*' or '?', a
 *     step or not) follow real time: nothing fires for wall times that do
 *     not exist, and the repeated hour runs again (hourly stays hourly).
 * @every d fires at t + d (robfig) or at anchor + k*d (cron_next_anchored).
 *
 * Threads: any.  A struct cron and the zone it points to are immutable.
 */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "err.h"
#include "tz.h"
#include "xmalloc.h"

#define TMAX		(INT64_C(1) << 40)	/* |t| we evaluate (~35000 y) */
#define HORIZON		(INT64_C(5) * 366 * 86400)	/* robfig: 5 years */
#define DAY		INT64_C(86400)

struct cron {
	uint64_t	 sec, min, hour, dom, month, dow;
	uint64_t	 dowdays[7];	/* day-of-month bits, by weekday of 1st */
	bool		 dom_star, dow_star;
	bool		 fixed;		/* fixed-hour DST policy */
	int64_t		 every;		/* @every period, or 0 */
	int64_t		 min_gap;	/* no two wall times closer */
	const struct tz *zone;
	char		 zname[64];
};

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
	for (v = lo; v <= hi; v += step) {
		*bits |= UINT64_C(1) << v;
		if (step > hi - v)
			break;		/* v + step would overflow an int */
	}
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

/* The smallest distance between two values of a field of n values,
 * counting the wrap to the next minute, hour or day; 0 for one value.
 * Two firings can be no closer (in wall time) than this of the finest
 * field with several values. */
static int64_t
cyclic_gap(uint64_t bits, int n)
{
	int v, prev = -1, first = -1, gap = n;

	for (v = 0; v < n; v++) {
		if (!(bits >> v & 1))
			continue;
		if (prev >= 0 && v - prev < gap)
			gap = v - prev;
		if (first < 0)
			first = v;
		prev = v;
	}
	if (prev == first)
		return 0;
	return n - prev + first < gap ? n - prev + first : gap;
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
	c->min_gap = cyclic_gap(c->sec, 60);
	if (c->min_gap == 0)
		c->min_gap = 60 * cyclic_gap(c->min, 60);
	if (c->min_gap == 0)
		c->min_gap = 3600 * cyclic_gap(c->hour, 24);
	if (c->min_gap == 0)
		c->min_gap = DAY;	/* one time a day: days apart */
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
		if ((c->zone = tz_get(zname, err)) == NULL)
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
		if ((c->zone = tz_get(default_tz, err)) == NULL)
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
	int64_t first = tz_days_from_civil(y, m, 1);
	uint64_t valid, dm, dw;

	valid = (UINT64_C(2) << tz_days_in_month(y, m)) - 2;	/* 1..dim */
	dm = c->dom & valid;
	dw = c->dowdays[tz_weekday(first)] & valid;
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
		days = tz_floordiv(w, DAY);
		sod = (int)(w - days * DAY);
		tz_civil_from_days(days, &y, &mo, &d);
		base = days * DAY;
		if (!(c->month >> mo & 1)) {
			m = c->month & (~UINT64_C(0) << mo);
			w = (m != 0 ? tz_days_from_civil(y, __builtin_ctzll(m), 1) :
			    tz_days_from_civil(y + 1, __builtin_ctzll(c->month),
			    1)) * DAY;
			continue;
		}
		m = day_mask(c, y, mo) & (~UINT64_C(0) << d);
		if (m == 0) {
			w = (mo == 12 ? tz_days_from_civil(y + 1, 1, 1) :
			    tz_days_from_civil(y, mo + 1, 1)) * DAY;
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
	struct tz_seg s;

	if (c->every > 0)
		return t <= TMAX ? t + c->every : -1;
	if (t < -TMAX || t > TMAX)
		return -1;
	limit = (int64_t)t + HORIZON;
	for (;;) {
		tz_segment(c->zone, u, &s);
		lo = u + s.off;
		/* Fixed-hour: this segment's wall times start where the
		 * previous segment's ended (gap times included, repeated
		 * ones excluded). */
		if (c->fixed && s.start > -TZ_FAR) {
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

/* Consecutive firings in (from, to]: the smallest gap into *best. */
static void
scan_gaps(const struct cron *c, time_t from, time_t to, int64_t *best,
    int *budget)
{
	time_t p, q;

	if ((p = cron_next(c, from)) == -1)
		return;
	while (*best != 1 && (q = cron_next(c, p)) != -1 && q <= to &&
	    (*budget)-- > 0) {
		if (*best == -1 || q - p < *best)
			*best = q - p;
		p = q;
	}
}

int64_t
cron_min_interval(const struct cron *c, time_t t)
{
	int64_t best = -1, end = (int64_t)t + 366 * DAY, to;
	int budget = 200000;	/* firings: by then gaps of <= 158 s seen */
	time_t p, q;
	struct tz_seg s;

	if (c->every > 0)
		return c->every;
	if ((p = cron_next(c, t)) == -1)
		return -1;
	while (best != 1 && (q = cron_next(c, p)) != -1 && q <= end &&
	    budget-- > 0) {
		if (best == -1 || q - p < best)
			best = q - p;
		p = q;
		if (best <= c->min_gap)
			break;
	}
	if (best != c->min_gap || best <= 1)
		return best;
	/* As small as the fields allow in wall time: only a DST change can
	 * bring two firings closer, so look near each of the year's
	 * transitions (a gap moved to its end, a repeated hour) and skip
	 * the rest. */
	for (;;) {
		tz_segment(c->zone, p, &s);
		if (s.end > end)
			break;
		to = s.end + 2 * DAY < end ? s.end + 2 * DAY : end;
		scan_gaps(c, (time_t)(s.end - 2 * DAY), (time_t)to, &best,
		    &budget);
		p = (time_t)s.end;
	}
	return best;
}

int
cron_utc_offset(const struct cron *c, time_t t)
{
	struct tz_seg s;

	tz_segment(c->zone, (int64_t)t, &s);
	return s.off;
}

char *
cron_format(const struct cron *c, time_t t, char *buf, size_t len)
{
	int off = cron_utc_offset(c, t), d, m, ao;
	int64_t w = (int64_t)t + off, days = tz_floordiv(w, DAY), y;
	int sod = (int)(w - days * DAY);
	char zs[16];

	tz_civil_from_days(days, &y, &m, &d);
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
	if (d > tz_days_in_month(y, mo))
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
	w = tz_days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + sec;
	if (*p == '\0') {
		*out = (time_t)tz_wall_to_utc(c->zone, w);
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
