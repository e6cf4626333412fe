/*
 * test_extract_hostile.c - the root side of a restore against an
 * extraction child that is compromised (it runs as the tenant, and
 * parses the tenant's archive): every frame it can send that breaks the
 * protocol (lengths past the limits, wrong types, a second META, a DONE
 * of the wrong size, a message without its NUL), sent and then the child
 * left running (or gone half-way through a frame).  The parent answers
 * each with an error within seconds: it neither crashes nor waits for the
 * child forever.
 *
 * The child's work (unpack.c, unpack_chain.c) is replaced here by a
 * double that writes the scenario's bytes on the result socket; the
 * protocol side (extract.c) is the real one.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "err.h"
#include "extract.h"
#include "tap.h"
#include "unpack.h"
#include "unpack_chain.h"

#define SOCK_FD	3	/* extract.c's CHILD_FD */

/* extract.c's frame types. */
enum { F_READY = 1, F_NOTE, F_KEPT, F_DONE, F_META, F_STEP, F_NEXT };

struct frame {
	uint32_t	type;
	uint32_t	len;
};

/* What the double sends after the stream, then it sleeps. */
static const char *scenario;

static void
put(uint32_t type, uint32_t len, const void *p, size_t n)
{
	struct frame f = { type, len };

	if (write(SOCK_FD, &f, sizeof(f)) != sizeof(f) ||
	    (n > 0 && write(SOCK_FD, p, n) != (ssize_t)n))
		_exit(3);
}

/* The child's half, as a compromised child would play it. */
static void
misbehave(void)
{
	static char big[70000];

	memset(big, 'A', sizeof(big));
	if (strcmp(scenario, "note-huge") == 0)
		put(F_NOTE, 0xffffffffu, NULL, 0);
	else if (strcmp(scenario, "note-past-frame") == 0)
		put(F_NOTE, sizeof(big), big, sizeof(big));
	else if (strcmp(scenario, "unknown-type") == 0)
		put(99, 4, "abcd", 4);
	else if (strcmp(scenario, "done-short") == 0)
		put(F_DONE, 8, big, 8);
	else if (strcmp(scenario, "cut") == 0) {
		/* Half a frame, then gone.  (Half a frame and then silence,
		 * like a child the tenant stopped with SIGSTOP, is waited
		 * for: JOB_TIMEOUT bounds it in the worker.) */
		put(F_NOTE, 100, big, 10);
		_exit(0);
	}
	else if (strcmp(scenario, "meta-huge") == 0)
		put(F_META, 70000, big, 70000);
	else if (strcmp(scenario, "meta-twice") == 0) {
		put(F_META, 2, "{}", 2);
		put(F_META, 2, "{}", 2);
	} else if (strcmp(scenario, "step-short") == 0)
		put(F_STEP, 4, big, 4);
	else if (strcmp(scenario, "ready-again") == 0)
		put(F_READY, 4, big, 4);
	else if (strcmp(scenario, "flood") == 0)
		for (;;)
			put(F_KEPT, 60000, big, 60000);
	else if (strcmp(scenario, "done-garbage") == 0) {
		/* A DONE of the right size: rc -1, code 12345, a message of
		 * escapes without a NUL.  Answered with its error, cleaned. */
		char d[4096];
		int32_t w[4] = { -1, 12345, 0, 1 };

		memset(d, 0x1b, sizeof(d));
		memcpy(d, w, sizeof(w));
		put(F_DONE, (uint32_t)(sizeof(w) + 512 +
		    sizeof(struct unpack_counts)), d, sizeof(w) + 512 +
		    sizeof(struct unpack_counts));
		_exit(0);
	}
	for (;;)
		pause();
}

/* The double of unpack.c and unpack_chain.c. */
void
unpack_init(struct unpack *c, const struct extract_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->root = -1;
}

int
unpack_root(struct unpack *c, const char *dir, const struct account *a)
{
	(void)c;
	(void)dir;
	(void)a;
	return 0;
}

int
unpack_stream(struct unpack *c, int fd)
{
	char b[4096];

	(void)c;
	while (read(fd, b, sizeof(b)) > 0)
		;
	misbehave();
	return 0;
}

int
unpack_chain_step(struct unpack *c)
{
	(void)c;
	return 0;
}

char *
unpack_chain_meta_take(struct unpack *c, size_t *len)
{
	(void)c;
	(void)len;
	return NULL;
}

void
unpack_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One scenario: the parent's answer is an error, in time. */
static void
one(const char *name, bool chain)
{
	struct extract_opts o = { .chain = chain, .nstreams = chain ? 2 : 1 };
	struct account a = { .drop = false };
	struct extract_result res;
	struct extract *x;
	struct bk_err err = { 0 };
	char *meta = NULL;
	double t0 = now();
	int rc;
	pid_t pid;

	scenario = name;
	/* The whole of one scenario in a process of its own: a parent that
	 * hangs is killed by the alarm and fails the check. */
	if ((pid = fork()) == 0) {
		alarm(10);
		if ((x = extract_start(&a, &o, &err)) == NULL)
			_exit(4);
		if (chain) {
			rc = extract_next(x, &meta, &err);
			free(meta);
			if (rc == 0) {
				extract_free(x);
				_exit(5);
			}
		}
		rc = extract_finish(x, &res, &err);
		if (rc == 0)
			extract_result_free(&res);
		if (rc == 0 || err.msg[0] == '\0' ||
		    strchr(err.msg, 0x1b) != NULL)
			_exit(6);
		_exit(0);
	}
	rc = -1;
	if (pid > 0)
		(void)waitpid(pid, &rc, 0);
	ok(pid > 0 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0,
	    "a child sending %s%s: the parent fails it in %.1f s (status %d)",
	    name, chain ? " in a chain" : "", now() - t0, rc);
}

int
main(void)
{
	static const char *const plain[] = { "note-huge", "note-past-frame",
	    "unknown-type", "done-short", "cut", "meta-huge", "ready-again",
	    "flood", "done-garbage" };
	static const char *const chained[] = { "meta-huge", "meta-twice",
	    "step-short", "note-huge", "unknown-type" };
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		one(plain[i], false);
	for (i = 0; i < sizeof(chained) / sizeof(chained[0]); i++)
		one(chained[i], true);
	return tap_done();
}
