/*
 * test_cron.c - cron schedules against a hand-written table: DST in
 * America/New_York, Europe/Berlin, America/Sao_Paulo (a midnight that does
 * not exist) and Australia/Lord_Howe (a 30-minute shift), the POSIX rule
 * after the tzdata table (2040), zones and prefixes, names, '?', steps,
 * the day-of-month/day-of-week rule, @every, never-firing specs, every
 * error naming its field and token, cron_min_interval, and threads.
 *
 * Expected times are written out by hand (the DST policy is ours, see
 * common/cron.c); the differential test against croniter is
 * tests/regress/cron_diff.sh.  Prints the measured cost of cron_next as a
 * TAP comment (never asserted).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "err.h"
#include "tap.h"

#define MAXN	8

struct seq {
	const char	*expr;
	const char	*tz;		/* default zone passed to cron_parse */
	const char	*from;
	const char	*want[MAXN];	/* "never" ends a sequence early */
};

static const struct seq seqs[] = {
	/* America/New_York 2024: spring forward Mar 10 02:00 -> 03:00. */
	{ "30 2 * * *", "America/New_York", "2024-03-09T12:00:00-05:00",
	  { "2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00" } },
	{ "0 2 * * *", "America/New_York", "2024-03-09T12:00:00-05:00",
	  { "2024-03-10T03:00:00-04:00", "2024-03-11T02:00:00-04:00" } },
	/* two slots in the gap and one at its end fire once */
	{ "0,30 2,3 * * *", "America/New_York", "2024-03-10T00:00:00-05:00",
	  { "2024-03-10T03:00:00-04:00", "2024-03-10T03:30:00-04:00",
	    "2024-03-11T02:00:00-04:00" } },
	{ "* 2 * * *", "America/New_York", "2024-03-10T01:59:00-05:00",
	  { "2024-03-10T03:00:00-04:00", "2024-03-11T02:00:00-04:00" } },
	/* wildcard hours follow real time */
	{ "0 * * * *", "America/New_York", "2024-03-10T00:30:00-05:00",
	  { "2024-03-10T01:00:00-05:00", "2024-03-10T03:00:00-04:00",
	    "2024-03-10T04:00:00-04:00" } },
	{ "45 * * * *", "America/New_York", "2024-03-10T01:00:00-05:00",
	  { "2024-03-10T01:45:00-05:00", "2024-03-10T03:45:00-04:00" } },
	/* Fall back Nov 3 02:00 -> 01:00: fixed hours fire once ... */
	{ "30 1 * * *", "America/New_York", "2024-11-02T12:00:00-04:00",
	  { "2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00" } },
	{ "0 1,2 * * *", "America/New_York", "2024-11-03T00:00:00-04:00",
	  { "2024-11-03T01:00:00-04:00", "2024-11-03T02:00:00-05:00",
	    "2024-11-04T01:00:00-05:00" } },
	/* ... asked from inside the repeated hour, nothing is pending */
	{ "30 1 * * *", "America/New_York", "2024-11-03T01:10:00-05:00",
	  { "2024-11-04T01:30:00-05:00" } },
	/* ... and wildcard hours run the repeated hour again */
	{ "0 * * * *", "America/New_York", "2024-11-03T00:30:00-04:00",
	  { "2024-11-03T01:00:00-04:00", "2024-11-03T01:00:00-05:00",
	    "2024-11-03T02:00:00-05:00" } },
	{ "*/30 * * * *", "America/New_York", "2024-11-03T00:45:00-04:00",
	  { "2024-11-03T01:00:00-04:00", "2024-11-03T01:30:00-04:00",
	    "2024-11-03T01:00:00-05:00", "2024-11-03T01:30:00-05:00",
	    "2024-11-03T02:00:00-05:00" } },
	/* Europe/Berlin 2026: Mar 29 02:00 -> 03:00, Oct 25 03:00 -> 02:00 */
	{ "30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00+01:00",
	  { "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00" } },
	{ "0 3 * * *", "Europe/Berlin", "2026-03-28T12:00:00+01:00",
	  { "2026-03-29T03:00:00+02:00", "2026-03-30T03:00:00+02:00" } },
	{ "30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00",
	  { "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00" } },
	{ "CRON_TZ=Europe/Berlin 0 0 2 * * *", NULL, "2026-10-25T00:00:00Z",
	  { "2026-10-26T02:00:00+01:00" } },
	{ "TZ=Europe/Berlin 0 2 * * *", "UTC", "2026-10-24T23:00:00Z",
	  { "2026-10-25T02:00:00+02:00", "2026-10-26T02:00:00+01:00" } },
	/* Sao Paulo 2018-11-04: midnight does not exist (00:00 -> 01:00) */
	{ "0 0 * * *", "America/Sao_Paulo", "2018-11-03T12:00:00-03:00",
	  { "2018-11-04T01:00:00-02:00", "2018-11-05T00:00:00-02:00" } },
	{ "@daily", "America/Sao_Paulo", "2018-11-03T00:00:00-03:00",
	  { "2018-11-04T01:00:00-02:00" } },
	/* Lord Howe 2026-10-04: 02:00 -> 02:30 */
	{ "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00+10:30",
	  { "2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00" } },
	/* after Debian's table ends (2037): the zone's POSIX rule */
	{ "30 2 * * *", "America/New_York", "2040-03-10T12:00:00-05:00",
	  { "2040-03-11T03:00:00-04:00", "2040-03-12T02:30:00-04:00" } },
	{ "30 1 * * *", "America/New_York", "2040-11-03T12:00:00-04:00",
	  { "2040-11-04T01:30:00-04:00", "2040-11-05T01:30:00-05:00" } },
	{ "30 2 * * *", "Australia/Sydney", "2045-10-01T00:00:00+10:00",
	  { "2045-10-01T03:00:00+11:00", "2045-10-02T02:30:00+11:00" } },
	{ "0 12 * * *", "Australia/Sydney", "2045-04-01T13:00:00+11:00",
	  { "2045-04-02T12:00:00+10:00" } },
	/* zones */
	{ "CRON_TZ=Asia/Tokyo 0 9 * * *", "UTC", "2025-12-31T12:00:00Z",
	  { "2026-01-01T09:00:00+09:00", "2026-01-02T09:00:00+09:00" } },
	{ "TZ=Asia/Tokyo @daily", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-02T00:00:00+09:00" } },
	{ "TZ=Asia/Kolkata  0 9 * * *  ", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-01T09:00:00+05:30" } },
	{ "0 9 * * *", "America/Los_Angeles", "2026-07-01T00:00:00Z",
	  { "2026-07-01T09:00:00-07:00" } },
	{ "CRON_TZ=UTC 0 9 * * *", "Asia/Tokyo", "2026-07-01T00:00:00Z",
	  { "2026-07-01T09:00:00Z" } },
	/* names, any case; '?' anywhere */
	{ "0 0 * JAN,jul MON-fri", "UTC", "2026-01-30T00:00:00Z",
	  { "2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z",
	    "2026-07-03T00:00:00Z", "2026-07-06T00:00:00Z" } },
	{ "0 0 ? * sun", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z" } },
	{ "? ? ? ? ?", "UTC", "2026-01-01T00:00:30Z",
	  { "2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z" } },
	{ "0 0 * * mon/2", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-02T00:00:00Z", "2026-01-05T00:00:00Z",	/* F M W */
	    "2026-01-07T00:00:00Z", "2026-01-09T00:00:00Z" } },
	/* steps and lists: N/step runs to the field's end */
	{ "5/15 * * * *", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-01T00:05:00Z", "2026-01-01T00:20:00Z",
	    "2026-01-01T00:35:00Z", "2026-01-01T00:50:00Z",
	    "2026-01-01T01:05:00Z" } },
	{ "1-30/2 0 * * *", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-01T00:01:00Z", "2026-01-01T00:03:00Z" } },
	{ "0 0 1-30/2 * *", "UTC", "2026-01-28T00:00:00Z",
	  { "2026-01-29T00:00:00Z", "2026-02-01T00:00:00Z" } },
	{ "*/8,* 0 1 1 *", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-01T00:01:00Z" } },
	{ "1,,2 0 1 1 *", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z",
	    "2027-01-01T00:01:00Z" } },
	/* 6 fields: seconds first */
	{ "*/20 * * * * *", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z",
	    "2026-01-01T00:01:00Z" } },
	{ "30 0 0 1 1 *", "UTC", "2026-06-01T00:00:00Z",
	  { "2027-01-01T00:00:30Z" } },
	{ "0\t0\t12  * *  *", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-01T12:00:00Z" } },
	/* descriptors */
	{ "@yearly", "UTC", "2026-05-05T00:00:00Z",
	  { "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z" } },
	{ "@annually", "UTC", "2026-05-05T00:00:00Z",
	  { "2027-01-01T00:00:00Z" } },
	{ "@monthly", "UTC", "2026-01-31T00:00:00Z",
	  { "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z" } },
	{ "@weekly", "UTC", "2026-01-01T00:00:00Z",	/* a Thursday */
	  { "2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z" } },
	{ "@daily", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z" } },
	{ "@midnight", "UTC", "2026-01-01T23:59:59Z",
	  { "2026-01-02T00:00:00Z" } },
	{ "@hourly", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z" } },
	/* @every: t + d, whole seconds */
	{ "@every 1h30m", "UTC", "2026-01-01T00:00:10Z",
	  { "2026-01-01T01:30:10Z", "2026-01-01T03:00:10Z" } },
	{ "@every 1.5s", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-01T00:00:01Z" } },
	{ "@every 2h", "Europe/Berlin", "2026-03-29T00:30:00+01:00",
	  { "2026-03-29T03:30:00+02:00" } },
	/* day-of-month / day-of-week */
	{ "0 0 1 * 1", "UTC", "2026-01-30T00:00:00Z",	/* 1st OR Monday */
	  { "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z",
	    "2026-02-09T00:00:00Z" } },
	{ "0 0 */2 * 1", "UTC", "2026-02-02T00:00:00Z",	/* odd OR Monday */
	  { "2026-02-03T00:00:00Z", "2026-02-05T00:00:00Z",
	    "2026-02-07T00:00:00Z", "2026-02-09T00:00:00Z",
	    "2026-02-11T00:00:00Z" } },
	{ "0 0 3 * 0-6", "UTC", "2026-01-01T00:00:00Z",	/* every day */
	  { "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z" } },
	{ "0 0 30 2 1", "UTC", "2026-01-01T00:00:00Z",	/* Feb Mondays */
	  { "2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z" } },
	{ "0 0 * * 1", "UTC", "2026-01-01T00:00:00Z",	/* AND: Mondays */
	  { "2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z" } },
	{ "0 0 13 * fri", "UTC", "2026-01-01T00:00:00Z",
	  { "2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z",
	    "2026-01-13T00:00:00Z" } },
	/* short months, leap days, never */
	{ "0 0 31 * *", "UTC", "2026-01-31T00:00:00Z",
	  { "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z" } },
	{ "0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z",
	  { "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z" } },
	{ "0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", { "never" } },
	{ "0 0 5 31 2 ?", "UTC", "2026-01-01T00:00:00Z", { "never" } },
	{ "0 0 31 4,6,9,11 *", "Europe/Berlin", "2026-01-01T00:00:00Z",
	  { "never" } },
	/* strictly after: from a fire time, the next one */
	{ "0 12 * * *", "UTC", "2026-01-01T12:00:00Z",
	  { "2026-01-02T12:00:00Z" } },
	{ "0 12 * * *", "UTC", "2026-01-01T11:59:59.999Z",
	  { "2026-01-01T12:00:00Z" } },
};

static const struct {
	const char	*expr;
	const char	*msg;		/* the whole message */
} errs[] = {
	{ "", "the schedule is empty" },
	{ "0 25 * * *", "hour field: \"25\" is above 23" },
	{ "60 * * * *", "minute field: \"60\" is above 59" },
	{ "60 0 * * * *", "second field: \"60\" is above 59" },
	{ "0 0 0 * *", "day-of-month field: \"0\" is below 1" },
	{ "0 0 32 * *", "day-of-month field: \"32\" is above 31" },
	{ "0 0 * 13 *", "month field: \"13\" is above 12" },
	{ "0 0 * 0 *", "month field: \"0\" is below 1" },
	{ "0 0 * * 7", "day-of-week field: \"7\" is above 6 (Sunday is 0)" },
	{ "0 0 * * 0-7", "day-of-week field: \"7\" is above 6 (Sunday is 0)" },
	{ "0 0 * * sun,7", "day-of-week field: \"7\" is above 6 (Sunday is 0)" },
	{ "0 0 * * FRI-MON", "day-of-week field: range \"FRI-MON\" starts "
	  "after it ends" },
	{ "30-10 * * * *", "minute field: range \"30-10\" starts after it "
	  "ends" },
	{ "0 0 * * MONDAY", "day-of-week field: \"MONDAY\" is not a number or "
	  "a day name (SUN-SAT)" },
	{ "0 0 * FOO *", "month field: \"FOO\" is not a number or a month "
	  "name (JAN-DEC)" },
	{ "0 x * * *", "hour field: \"x\" is not a number" },
	{ "*/0 * * * *", "minute field: \"*/0\": the step must be 1 or more" },
	{ "*/x * * * *", "minute field: step \"x\" is not a number" },
	{ "5/ * * * *", "minute field: \"5/\": the step is missing" },
	{ "1/2/3 * * * *", "minute field: \"1/2/3\": too many slashes" },
	{ "1-2-3 * * * *", "minute field: \"1-2-3\": too many hyphens" },
	{ "5- * * * *", "minute field: \"5-\": a number is missing" },
	{ "-5 * * * *", "minute field: \"-5\": a number is missing" },
	{ "*-5 * * * *", "minute field: \"*-5\": * cannot start a range" },
	{ "0 0 , * *", "day-of-month field: \",\" has no values" },
	{ "0 0 L * *", "day-of-month field: \"L\" is not a number" },
	{ "0 0 * * 1#2", "day-of-week field: \"1#2\" is not a number or a "
	  "day name (SUN-SAT)" },
	{ "0 0 ? * 5L", "day-of-week field: \"5L\" is not a number or a day "
	  "name (SUN-SAT)" },
	{ "H 0 * * *", "minute field: \"H\" is not a number" },
	{ "0 0 * * *  2026", "day-of-week field: \"2026\" is above 6" },
	{ "0 0 * *", "expected 5 fields (minute hour day-of-month month "
	  "day-of-week) or 6 with seconds first, found 4" },
	{ "0 0 0 * * * * *", "expected 5 fields (minute hour day-of-month "
	  "month day-of-week) or 6 with seconds first, found more than 6" },
	{ "@DAILY", "unknown descriptor \"@DAILY\" (use @yearly, @annually, "
	  "@monthly, @weekly, @daily, @midnight, @hourly or @every "
	  "<duration>; lower case)" },
	{ "@daily ", "unknown descriptor \"@daily \"" },
	{ "@every", "@every: the duration is missing (e.g. @every 6h)" },
	{ "@every 1d", "@every: \"1d\": unknown unit (use h, m, s, ms, us or "
	  "ns) (Go syntax: 90s, 15m, 1h30m)" },
	{ "@every 10", "@every: \"10\": a unit is missing (h, m or s)" },
	{ "@every -1h", "@every: \"-1h\" is not a positive duration of 1s or "
	  "more" },
	{ "@every 500ms", "@every: \"500ms\" is not a positive duration of 1s "
	  "or more" },
	{ "@every 0", "@every: \"0\" is not a positive duration" },
	{ "CRON_TZ=UTC", "time zone prefix \"CRON_TZ=UTC\" must be followed "
	  "by a space and the schedule" },
	{ "TZ=", "time zone prefix \"TZ=\" must be followed by a space" },
	{ "TZ=0", "time zone prefix \"TZ=0\" must be followed by a space" },
	{ "TZ= 0 0 * * *", "time zone prefix \"TZ=\": empty zone name" },
	{ "TZ=Mars/Base 0 0 * * *", "time zone \"Mars/Base\": unknown (not "
	  "in /usr/share/zoneinfo)" },
	{ "CRON_TZ=../../etc/passwd 0 0 * * *", "time zone "
	  "\"../../etc/passwd\": not a zone name like Europe/Berlin" },
	{ "TZ=/etc/passwd 0 0 * * *", "time zone \"/etc/passwd\": not a zone "
	  "name" },
	{ "TZ=zone.tab 0 0 * * *", "time zone \"zone.tab\": unknown" },
	{ "TZ=America 0 0 * * *", "time zone \"America\": unknown" },
	{ "TZ=Europe/Berlin\t0 0 * * *", "time zone \"Europe/Berlin\t0\": "
	  "not a zone name" },
	{ " TZ=UTC 0 0 * * *", "second field: \"TZ=UTC\": a CRON_TZ= or TZ= "
	  "prefix must come first, followed by one space" },
	{ "TZ=UTC", "time zone prefix \"TZ=UTC\" must be followed" },
	{ "TZ=UTC ", "expected 5 fields" },
};

static void
test_seqs(void)
{
	struct bk_err err;
	struct cron *c;
	char got[MAXN][40], all[MAXN * 40], *p;
	size_t i, j, n;
	time_t t;
	int good;

	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		const struct seq *s = &seqs[i];

		if ((c = cron_parse(s->expr, s->tz, &err)) == NULL) {
			ok(0, "%s parses (%s)", s->expr, err.msg);
			continue;
		}
		if (cron_parse_time(c, s->from, &t, &err) == -1) {
			ok(0, "from %s parses (%s)", s->from, err.msg);
			cron_free(c);
			continue;
		}
		good = 1;
		p = all;
		*p = '\0';
		for (n = 0; n < MAXN && s->want[n] != NULL; n++) {
			if (strcmp(s->want[n], "never") == 0) {
				good &= cron_next(c, t) == -1;
				snprintf(got[n], sizeof(got[n]), "%s",
				    cron_next(c, t) == -1 ? "never" :
				    "a time");
			} else {
				t = cron_next(c, t);
				if (t == -1)
					snprintf(got[n], sizeof(got[n]),
					    "never");
				else
					cron_format(c, t, got[n],
					    sizeof(got[n]));
				good &= strcmp(got[n], s->want[n]) == 0;
			}
			p += sprintf(p, " %s", got[n]);
		}
		ok(good, "\"%s\" in %s from %s fires:%s", s->expr,
		    s->tz != NULL ? s->tz : "local", s->from, all);
		if (!good)
			for (j = 0; j < n; j++)
				printf("#   want %s\n", s->want[j]);
		cron_free(c);
	}
}

static void
test_errors(void)
{
	struct bk_err err;
	struct cron *c;
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		memset(&err, 0, sizeof(err));
		c = cron_parse(errs[i].expr, "UTC", &err);
		ok(c == NULL && err.code == BK_ECONFIG &&
		    strncmp(err.msg, errs[i].msg, strlen(errs[i].msg)) == 0,
		    "\"%s\" is refused: %s", errs[i].expr,
		    c == NULL ? err.msg : "(accepted)");
		cron_free(c);
	}
}

static void
test_zones(void)
{
	struct bk_err err;
	struct cron *c;
	char buf[40];
	time_t t;

	c = cron_parse("CRON_TZ=Europe/Berlin @daily", "UTC", &err);
	ok(c != NULL && strcmp(cron_zone(c), "Europe/Berlin") == 0,
	    "cron_zone reports the prefix's zone");
	cron_free(c);
	c = cron_parse("@daily", "Asia/Tokyo", &err);
	ok(c != NULL && strcmp(cron_zone(c), "Asia/Tokyo") == 0 &&
	    cron_utc_offset(c, 0) == 9 * 3600,
	    "the default zone applies without a prefix (+09:00 in Tokyo)");
	cron_free(c);
	/* The local zone comes from TZ: a zone name or a POSIX rule. */
	setenv("TZ", "America/New_York", 1);
	c = cron_parse("30 2 * * *", NULL, &err);
	ok(c != NULL && strcmp(cron_zone(c), "") == 0 &&
	    cron_parse_time(c, "2024-03-09T12:00:00", &t, &err) == 0 &&
	    strcmp(cron_format(c, cron_next(c, t), buf, sizeof(buf)),
	    "2024-03-10T03:00:00-04:00") == 0,
	    "TZ=America/New_York is the local zone: %s", buf);
	cron_free(c);
	setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
	c = cron_parse("30 2 * * *", NULL, &err);
	ok(c != NULL && cron_parse_time(c, "2024-03-09T12:00:00", &t,
	    &err) == 0 && strcmp(cron_format(c, cron_next(c, t), buf,
	    sizeof(buf)), "2024-03-10T03:00:00-04:00") == 0,
	    "TZ as a POSIX rule string: %s", buf);
	cron_free(c);
	setenv("TZ", "<+0330>-3:30", 1);
	c = cron_parse("0 9 * * *", NULL, &err);
	ok(c != NULL && cron_parse_time(c, "2026-01-01T00:00:00Z", &t,
	    &err) == 0 && strcmp(cron_format(c, cron_next(c, t), buf,
	    sizeof(buf)), "2026-01-01T09:00:00+03:30") == 0,
	    "TZ=<+0330>-3:30: %s", buf);
	cron_free(c);
	setenv("TZ", "Nowhere/Land", 1);
	c = cron_parse("@daily", NULL, &err);
	ok(c == NULL && strstr(err.msg, "Nowhere/Land") != NULL,
	    "an unknown TZ is an error naming it: %s",
	    c == NULL ? err.msg : "accepted");
	cron_free(c);
	unsetenv("TZ");
	c = cron_parse("@daily", "Local", &err);
	ok(c != NULL && strcmp(cron_zone(c), "") == 0,
	    "without TZ, /etc/localtime (or UTC) is the local zone");
	cron_free(c);
	/* A wall time that DST skips means the end of the gap. */
	c = cron_parse("@daily", "Europe/Berlin", &err);
	ok(c != NULL && cron_parse_time(c, "2026-03-29T02:30:00", &t,
	    &err) == 0 && strcmp(cron_format(c, t, buf, sizeof(buf)),
	    "2026-03-29T03:00:00+02:00") == 0,
	    "wall time 02:30 on 2026-03-29 in Berlin is %s", buf);
	ok(cron_parse_time(c, "2026-10-25T02:30:00", &t, &err) == 0 &&
	    strcmp(cron_format(c, t, buf, sizeof(buf)),
	    "2026-10-25T02:30:00+02:00") == 0,
	    "a repeated wall time is its first instance: %s", buf);
	ok(cron_parse_time(c, "2026-02-30T00:00:00Z", &t, &err) == -1 &&
	    cron_parse_time(c, "yesterday", &t, &err) == -1 &&
	    cron_parse_time(c, "2026-01-01T00:00:00+2", &t, &err) == -1 &&
	    strstr(err.msg, "RFC 3339") != NULL,
	    "bad times are refused: %s", err.msg);
	cron_free(c);
}

static void
test_min_interval(void)
{
	static const struct {
		const char	*expr, *tz;
		int64_t		 want;
	} mi[] = {
		{ "*/5 * * * *", "UTC", 300 },
		{ "*/15 * * * *", "America/New_York", 900 },
		{ "0 */6 * * *", "UTC", 6 * 3600 },
		{ "@daily", "UTC", 86400 },
		{ "@daily", "America/New_York", 23 * 3600 },	/* Mar 10 */
		{ "@every 2h", "UTC", 7200 },
		{ "* * * * * *", "UTC", 1 },
		{ "*/2 * * * * *", "UTC", 2 },
		{ "0,1 0 1 1 *", "UTC", 60 },
		{ "0 0 30 2 *", "UTC", -1 },
		{ "0 0 29 2 *", "UTC", -1 },
		{ "@yearly", "UTC", -1 },	/* once within the sample */
		{ "0,59 * * * * *", "UTC", 1 },
		{ "0 0,45 * * * *", "Europe/Berlin", 900 },
		{ "0 5,55 */3 * * *", "UTC", 3000 },	/* 55 -> 05 never wraps */
		/* fixed hours: the DST gap moves 02:50 to 03:00 */
		{ "10,50 2,3 * * *", "Europe/Berlin", 600 },
		{ "10,50 2,3 * * *", "UTC", 1200 },
		/* wildcard hours follow real time through the repeated hour */
		{ "0 */2 * * *", "Europe/Berlin", 3600 },	/* 02:00 twice */
		{ "0 */2 * * *", "UTC", 7200 },
		{ "31,59 * * * *", "Australia/Lord_Howe", 120 },  /* 30 min */
	};
	struct bk_err err;
	struct cron *c;
	time_t from = 1767225600;	/* 2026-01-01T00:00:00Z */
	int64_t got;
	size_t i;

	for (i = 0; i < sizeof(mi) / sizeof(mi[0]); i++) {
		c = cron_parse(mi[i].expr, mi[i].tz, &err);
		got = c != NULL ? cron_min_interval(c, from) : -2;
		ok(got == mi[i].want, "min interval of \"%s\" in %s is %lld "
		    "(want %lld)", mi[i].expr, mi[i].tz, (long long)got,
		    (long long)mi[i].want);
		cron_free(c);
	}
	c = cron_parse("@every 6h", "UTC", &err);
	ok(c != NULL && cron_every(c) == 21600 &&
	    cron_next_anchored(c, 1000, 1000) == 1000 + 21600 &&
	    cron_next_anchored(c, 1000, 1000 + 5 * 21600 + 7) ==
	    1000 + 6 * 21600 && cron_next_anchored(c, 1000, 10) == 1000,
	    "@every 6h anchored: anchor + k*period, strictly after t");
	cron_free(c);
}

/* Zones are loaded and cached under a mutex while other threads use
 * them: every thread must get the answers of the single-threaded run. */
static const char *const thread_exprs[] = {
	"CRON_TZ=Pacific/Auckland 30 2 * * *", "CRON_TZ=America/Chicago @daily",
	"CRON_TZ=Europe/London 0 1 * * *", "CRON_TZ=Asia/Kathmandu */7 * * * *",
};

static void *
thread_run(void *arg)
{
	struct bk_err err;
	struct cron *c;
	time_t t, *out = arg;
	size_t i, k;

	for (i = 0; i < 4; i++) {
		c = cron_parse(thread_exprs[i], NULL, &err);
		t = 1700000000;
		for (k = 0; k < 500; k++)
			t = c != NULL ? cron_next(c, t) : -1;
		out[i] = t;
		cron_free(c);
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t th[4];
	time_t res[5][4];
	int i, same = 1;

	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, thread_run, res[i]);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	thread_run(res[4]);
	for (i = 0; i < 4; i++)
		same &= memcmp(res[i], res[4], sizeof(res[4])) == 0;
	ok(same && res[4][0] != -1, "four threads in four zones agree with "
	    "one thread");
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Measured, never asserted (HACKING.md): 100,000 users' next times. */
static void
measure(void)
{
	static const char *const zones[] = { "UTC", "Europe/Berlin",
	    "America/New_York", "Australia/Sydney" };
	struct bk_err err;
	struct cron *c[64];
	char expr[64];
	double t0, t1;
	time_t t = 1767225600, x = 0;
	int i, ncron = 0;

	for (i = 0; i < 64; i++) {
		snprintf(expr, sizeof(expr), "%d %d * * %s", i % 60, i % 24,
		    i % 3 == 0 ? "*" : i % 3 == 1 ? "1-5" : "sun");
		if ((c[ncron] = cron_parse(expr, zones[i % 4], &err)) != NULL)
			ncron++;
	}
	if (ncron == 0)
		return;
	t0 = now_s();
	for (i = 0; i < 100000; i++)
		x += cron_next(c[i % ncron], t + i * 37);
	t1 = now_s();
	printf("# cron_next: 100000 calls in %.1f ms (%.0f ns each; %lld)\n",
	    (t1 - t0) * 1e3, (t1 - t0) * 1e9 / 100000, (long long)(x & 1));
	for (i = 0; i < 3; i++) {
		static const char *const mi[] = { "@daily", "*/5 * * * *",
		    "* 1-22 * * *" };
		struct cron *m = cron_parse(mi[i], "Europe/Berlin", &err);

		if (m == NULL)
			continue;
		t0 = now_s();
		x += cron_min_interval(m, t);
		t1 = now_s();
		printf("# cron_min_interval(\"%s\"): %.2f ms\n", mi[i],
		    (t1 - t0) * 1e3);
		cron_free(m);
	}
	for (i = 0; i < ncron; i++)
		cron_free(c[i]);
	if ((c[0] = cron_parse("0 0 30 2 *", "Europe/Berlin", &err)) == NULL)
		return;
	t0 = now_s();
	for (i = 0; i < 1000; i++)
		x += cron_next(c[0], t + i);
	t1 = now_s();
	printf("# cron_next of a never-firing spec (5-year search): %.1f us\n",
	    (t1 - t0) * 1e6 / 1000);
	cron_free(c[0]);
}

int
main(void)
{
	test_seqs();
	test_errors();
	test_zones();
	test_min_interval();
	test_threads();
	measure();
	return tap_done();
}
