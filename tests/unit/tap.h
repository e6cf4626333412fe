/*
 * tap.h - the tiny TAP harness of our C tests (header only).
 *
 *	ok(cond, "what a user would notice: %s", x);
 *	return tap_done();
 *
 * tests/run.sh counts "ok" and "not ok" lines.
 */
#ifndef BK_TAP_H
#define BK_TAP_H

#include <stdarg.h>
#include <stdio.h>

/* Weak definitions: one counter shared by every file of a test program. */
__attribute__((weak)) int tap_count;
__attribute__((weak)) int tap_failed;

__attribute__((format(printf, 4, 5), unused)) static int
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...)	tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((unused)) static int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed > 0 ? 1 : 0;
}

#endif
