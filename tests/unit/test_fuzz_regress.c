/*
 * test_fuzz_regress.c - replays what the fuzzers found, in the normal
 * (gcc, and under `make test SAN=1` sanitized) build.
 *
 * Every harness of tests/fuzz/ is compiled in here with its entry point
 * renamed, and every file under tests/fuzz/regress/<name>/ (inputs that
 * once crashed) and tests/fuzz/corpus/<name>/ (the seeds) is fed through
 * it.  A harness aborts on a broken invariant and the sanitizers stop
 * the program on memory errors, so a returning call is the pass.  Plus
 * the user-visible side of each fixed crash, checked directly.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "secret.h"
#include "tap.h"

#define FUZZ_ENTRY	fuzz_dotenv_one
#include "../fuzz/fuzz_dotenv.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY	fuzz_cron_one
#include "../fuzz/fuzz_cron.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY	fuzz_notify_url_one
#include "../fuzz/fuzz_notify_url.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY	fuzz_age_header_one
#include "../fuzz/fuzz_age_header.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY	fuzz_job_msg_one
#include "../fuzz/fuzz_job_msg.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY	fuzz_xml_one
#include "../fuzz/fuzz_xml.c"
#undef FUZZ_ENTRY

static const struct {
	const char	*name;
	int		(*entry)(const uint8_t *, size_t);
} harness[] = {
	{ "dotenv", fuzz_dotenv_one },
	{ "cron", fuzz_cron_one },
	{ "notify_url", fuzz_notify_url_one },
	{ "age_header", fuzz_age_header_one },
	{ "job_msg", fuzz_job_msg_one },
	{ "xml", fuzz_xml_one },
};

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return p;
}

/* Feed every file of root/kind/name; returns how many were replayed. */
static int
replay(const char *root, const char *kind, size_t h)
{
	char dir[4096], path[8192];
	struct dirent *de;
	unsigned char *p;
	size_t len;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s/%s", root, kind,
	    harness[h].name);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((p = slurp(path, &len)) == NULL) {
			ok(0, "%s/%s/%s is readable", kind, harness[h].name,
			    de->d_name);
			continue;
		}
		harness[h].entry(p, len);
		free(p);
		n++;
		if (strcmp(kind, "regress") == 0)
			ok(1, "fuzz_%s: %s replays without a crash",
			    harness[h].name, de->d_name);
	}
	closedir(d);
	return n;
}

/* Found by fuzz_cron and fuzz_notify_url: an error naming a URL with two
 * '@' in its authority read past the end of the message while hiding the
 * password.  The whole userinfo password must still be hidden. */
static void
test_userinfo_two_at(void)
{
	struct bk_err err = { 0 };
	char red[256];

	bk_err_set(&err, BK_ECONFIG, "NOTIFICATION_URLS: bad URL "
	    "smtp://user:pa@ss@mail.example.com:587/");
	ok(strstr(err.msg, "ss@") == NULL && strstr(err.msg, "pa@") == NULL,
	    "a password holding '@' is hidden in errors: %s", err.msg);
	ok(strstr(err.msg, "mail.example.com:587") != NULL,
	    "the host stays visible in the error");
	secret_redact_url("smtp://u:x@y@z@host/?to=a@b.c", red, sizeof(red));
	ok(strstr(red, "x@y@z") == NULL && strstr(red, "@host/") != NULL,
	    "redacted URL hides the whole password: %s", red);
}

/* Found by fuzz_cron: a step above INT_MAX - lo overflowed the loop that
 * sets the field's bits (UB; with -O2 anything).  A huge step means "only
 * the start", as in robfig/cron. */
static void
test_cron_huge_step(void)
{
	struct bk_err err = { 0 };
	struct cron *c = cron_parse("5/99999999999 * * * *", "UTC", &err);
	time_t t0 = 1767225600;		/* 2026-01-01T00:00:00Z */

	ok(c != NULL, "a huge minute step is accepted (%s)", err.msg);
	if (c == NULL)
		return;
	ok(cron_next(c, t0) == t0 + 5 * 60 &&
	    cron_next(c, t0 + 5 * 60) == t0 + 3600 + 5 * 60,
	    "it fires at minute 5 of every hour only");
	cron_free(c);
}

int
main(void)
{
	const char *root = getenv("PB_ROOT");
	size_t h;
	int seeds;

	if (root == NULL)
		root = ".";
	test_userinfo_two_at();
	test_cron_huge_step();
	for (h = 0; h < sizeof(harness) / sizeof(harness[0]); h++) {
		replay(root, "regress", h);
		seeds = replay(root, "corpus", h);
		ok(seeds > 0, "fuzz_%s: %d seeds replay without a crash",
		    harness[h].name, seeds);
	}
	return tap_done();
}
