/*
 * cmd_cron.c - `backupctl cron next EXPR [-n N] [--from TIME]`.
 *
 * Prints the next N (default 5) times EXPR fires strictly after TIME
 * (RFC 3339, default now), one RFC 3339 time a line, in the zone of the
 * expression's CRON_TZ=/TZ= prefix, else of TZ (else /etc/localtime).
 * A TIME without an offset is a wall time in that zone.  The words of an
 * unquoted expression are joined with spaces.
 *
 * Exit status: 0 printed, 1 the schedule never fires (within 5 years of
 * TIME, as robfig/cron gives up), 2 bad expression or usage.
 *
 * For the differential tests there is a batch mode, --stdin: each input
 * line "TIME<TAB>EXPR" gives one output line, the N times separated by
 * spaces, "never", or "error: <message>".  It runs the same code as the
 * single form, without a process per expression.  Single-threaded.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cron.h"
#include "err.h"
#include "xmalloc.h"

#define MAX_N	10000

/* Up to n times after from, each formatted into out (separated by sep).
 * Returns how many were found. */
static int
cron_times(const struct cron *c, time_t from, int n, FILE *out,
    const char *sep)
{
	char buf[40];
	time_t t = from;
	int i;

	for (i = 0; i < n; i++) {
		if ((t = cron_next(c, t)) == -1)
			break;
		fprintf(out, "%s%s", i > 0 ? sep : "",
		    cron_format(c, t, buf, sizeof(buf)));
	}
	return i;
}

static int
cron_batch(int n)
{
	struct bk_err err;
	struct cron *c;
	char *line = NULL, *tab;
	size_t cap = 0;
	ssize_t len;
	time_t from;

	while ((len = getline(&line, &cap, stdin)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if ((tab = strchr(line, '\t')) == NULL) {
			printf("error: no TAB between TIME and EXPR\n");
			continue;
		}
		*tab = '\0';
		if ((c = cron_parse(tab + 1, NULL, &err)) == NULL) {
			printf("error: %s\n", err.msg);
			continue;
		}
		if (cron_parse_time(c, line, &from, &err) == -1)
			printf("error: %s\n", err.msg);
		else if (cron_times(c, from, n, stdout, " ") == 0)
			printf("never\n");
		else
			printf("\n");
		cron_free(c);
	}
	free(line);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
cron_next_cmd(int argc, char **argv)
{
	const char *from_s = NULL, *a;
	char *expr = NULL, *end;
	struct bk_err err;
	struct cron *c = NULL;
	size_t elen = 0, l;
	time_t from;
	long n = 5;
	bool batch = false, opts = true;
	int i, rc;

	for (i = 2; i < argc; i++) {
		a = argv[i];
		if (opts && strcmp(a, "--") == 0) {
			opts = false;
		} else if (opts && (strcmp(a, "-n") == 0 ||
		    strncmp(a, "--count=", 8) == 0 || strcmp(a, "--count") == 0 ||
		    (strncmp(a, "-n", 2) == 0 && a[2] != '\0'))) {
			const char *v = a[1] == 'n' ? a + 2 : strchr(a, '=');

			if (v != NULL && *v == '=')
				v++;
			if (v == NULL || *v == '\0') {
				if (++i == argc) {
					rc = cli_fail(2, "cron next: -n needs "
					    "a number");
					goto out;
				}
				v = argv[i];
			}
			n = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || n < 1 || n > MAX_N) {
				rc = cli_fail(2, "cron next: -n \"%s\": not a "
				    "whole number from 1 to %d", v, MAX_N);
				goto out;
			}
		} else if (opts && strncmp(a, "--from", 6) == 0 &&
		    (a[6] == '\0' || a[6] == '=')) {
			if (a[6] == '=')
				from_s = a + 7;
			else if (++i == argc) {
				rc = cli_fail(2, "cron next: --from needs an "
				    "RFC 3339 time");
				goto out;
			} else
				from_s = argv[i];
		} else if (opts && strcmp(a, "--stdin") == 0) {
			batch = true;
		} else if (opts && a[0] == '-' && a[1] != '\0') {
			rc = cli_fail(2, "cron next: unknown option \"%s\" "
			    "(usage: backupctl %s)", a, cmd_cron.usage);
			goto out;
		} else {
			l = strlen(a);
			expr = xrealloc(expr, elen + l + 2);
			if (elen > 0)
				expr[elen++] = ' ';
			memcpy(expr + elen, a, l + 1);
			elen += l;
		}
	}
	if (batch) {
		rc = cron_batch((int)n);
		goto out;
	}
	if (expr == NULL) {
		rc = cli_usage(&cmd_cron);
		goto out;
	}
	if ((c = cron_parse(expr, NULL, &err)) == NULL) {
		rc = cli_fail(2, "cron expression \"%s\": %s", expr, err.msg);
		goto out;
	}
	from = time(NULL);
	if (from_s != NULL && cron_parse_time(c, from_s, &from, &err) == -1) {
		rc = cli_fail(2, "cron next: --from %s", err.msg);
		goto out;
	}
	rc = 0;
	if (cron_times(c, from, (int)n, stdout, "\n") == 0)
		rc = cli_fail(1, "cron expression \"%s\" never fires (nothing "
		    "within 5 years)", expr);
	else
		printf("\n");
	if (fflush(stdout) != 0)
		rc = cli_fail(1, "cron next: cannot write the output");
out:
	cron_free(c);
	free(expr);
	return rc;
}

static int
cmd_cron_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc >= 2 && strcmp(argv[1], "next") == 0)
		return cron_next_cmd(argc, argv);
	return cli_usage(&cmd_cron);
}

const struct cli_cmd cmd_cron = {
	.name = "cron",
	.usage = "cron next EXPR [-n N] [--from TIME]",
	.summary = "print the next N (5) times EXPR fires after TIME (now)",
	.exec = cmd_cron_exec,
};
