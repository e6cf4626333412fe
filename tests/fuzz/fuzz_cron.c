/*
 * fuzz_cron.c - libFuzzer harness of the cron parser (cron_parse) and the
 * next-time search (cron_next, cron_next_anchored, cron_format,
 * cron_parse_time): users write BACKUP_CRON_EXPRESSION, the scheduler
 * evaluates it for every user.
 *
 * Input: the expression, optionally followed by a NUL or newline and an
 * RFC 3339 time to start from.  Checks: cron_next is strictly after its
 * argument (or -1) and never goes backwards.
 */
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "err.h"
#include "fuzz.h"

int	FUZZ_ENTRY(const uint8_t *, size_t);

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *from = NULL, buf[64];
	struct bk_err err = { 0 };
	struct cron *c;
	time_t t = 1767225600, n;	/* 2026-01-01T00:00:00Z */
	int i;

	if ((from = strpbrk(s, "\n")) != NULL)
		*from++ = '\0';
	c = cron_parse(s, "UTC", &err);
	if (c == NULL) {
		if (err.msg[0] == '\0')
			abort();
		free(s);
		return 0;
	}
	if (from != NULL && cron_parse_time(c, from, &n, NULL) == 0 &&
	    n > 0 && n < 4102444800)	/* before 2100 */
		t = n;
	for (i = 0; i < 3; i++) {
		n = cron_next(c, t);
		if (n == -1)
			break;
		if (n <= t)
			abort();
		cron_format(c, n, buf, sizeof(buf));
		t = n;
	}
	n = cron_next_anchored(c, 1767225600, t);
	if (n != -1 && n <= t)
		abort();
	(void)cron_zone(c);
	(void)cron_every(c);
	(void)cron_utc_offset(c, t);
	cron_free(c);
	free(s);
	return 0;
}
