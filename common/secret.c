/*
 * secret.c - the secret registry behind every log line and error message.
 *
 * Invariant: once secret_register(s) returned, no string passed through
 * secret_redact() contains s.  Threads: the registry is guarded by one
 * mutex; redaction copies nothing shared out of it.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "secret.h"
#include "xmalloc.h"

#define REDACTED "[redacted]"

static pthread_mutex_t	 secret_mtx = PTHREAD_MUTEX_INITIALIZER;
static char		**secrets;	/* protected by secret_mtx */
static size_t		 nsecrets;	/* protected by secret_mtx */

void
secret_register(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) < 4)
		return;
	pthread_mutex_lock(&secret_mtx);
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0)
			goto out;
	secrets = xreallocarray(secrets, nsecrets + 1, sizeof(*secrets));
	secrets[nsecrets++] = xstrdup(s);
out:
	pthread_mutex_unlock(&secret_mtx);
}

void
secret_clear(void)
{
	size_t i;

	pthread_mutex_lock(&secret_mtx);
	for (i = 0; i < nsecrets; i++) {
		memset(secrets[i], 0, strlen(secrets[i]));
		free(secrets[i]);
	}
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
	pthread_mutex_unlock(&secret_mtx);
}

/* Replace every occurrence of needle in buf, in place, keeping the NUL. */
static void
replace_all(char *buf, size_t size, const char *needle, const char *with)
{
	size_t nlen = strlen(needle), wlen = strlen(with), blen;
	char *p = buf;

	while ((p = strstr(p, needle)) != NULL) {
		blen = strlen(buf);
		if (wlen > nlen && blen + wlen - nlen + 1 > size) {
			/* No room to grow: blank the secret out instead. */
			memset(p, '*', nlen);
			p += nlen;
			continue;
		}
		memmove(p + wlen, p + nlen, blen - (size_t)(p - buf) - nlen + 1);
		memcpy(p, with, wlen);
		p += wlen;
	}
}

/* Hide the password of every "scheme://user:password@" in buf. */
static void
redact_userinfo(char *buf, size_t size)
{
	char *p = buf, *start, *colon, *at, *end, *more;

	while ((p = strstr(p, "://")) != NULL) {
		start = p + 3;
		end = start + strcspn(start, "/?# \t\"'\n");
		at = memchr(start, '@', (size_t)(end - start));
		if (at == NULL) {
			p = start;
			continue;
		}
		/* The last '@' of the authority ends the userinfo. */
		while ((more = memchr(at + 1, '@', (size_t)(end - at - 1))) !=
		    NULL)
			at = more;
		colon = memchr(start, ':', (size_t)(at - start));
		if (colon == NULL || colon + 1 == at ||
		    strncmp(colon + 1, REDACTED, strlen(REDACTED)) == 0) {
			p = at;
			continue;
		}
		{
			char saved = *at;
			char *secret;

			*at = '\0';
			secret = xstrdup(colon + 1);
			*at = saved;
			replace_all(colon + 1, size - (size_t)(colon + 1 - buf),
			    secret, REDACTED);
			free(secret);
		}
		p = colon + 1;
	}
}

void
secret_redact(char *buf, size_t size)
{
	size_t i;

	if (buf == NULL || size == 0)
		return;
	pthread_mutex_lock(&secret_mtx);
	for (i = 0; i < nsecrets; i++)
		replace_all(buf, size, secrets[i], REDACTED);
	pthread_mutex_unlock(&secret_mtx);
	redact_userinfo(buf, size);
}

static bool
secret_param(const char *name, size_t len)
{
	static const char *const words[] = { "token", "key", "pass", "secret",
	    "signature", "sig", "auth", "credential" };
	size_t i, wl;
	const char *p;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		wl = strlen(words[i]);
		for (p = name; p + wl <= name + len; p++)
			if (strncasecmp(p, words[i], wl) == 0)
				return true;
	}
	return false;
}

char *
secret_redact_url(const char *url, char *dst, size_t size)
{
	char *q, *amp, *eq;

	snprintf(dst, size, "%s", url);
	redact_userinfo(dst, size);
	if ((q = strchr(dst, '?')) == NULL) {
		secret_redact(dst, size);
		return dst;
	}
	for (q = q + 1; *q != '\0'; q = amp + 1) {
		amp = q + strcspn(q, "&#");
		eq = memchr(q, '=', (size_t)(amp - q));
		if (eq != NULL && secret_param(q, (size_t)(eq - q)) &&
		    eq + 1 < amp) {
			size_t tail = strlen(amp) + 1, rl = strlen(REDACTED);
			size_t off = (size_t)(eq + 1 - dst);

			if (off + rl + tail > size)
				break;
			memmove(eq + 1 + rl, amp, tail);
			memcpy(eq + 1, REDACTED, rl);
			amp = eq + 1 + rl;
		}
		if (*amp == '\0' || *amp == '#')
			break;
	}
	secret_redact(dst, size);
	return dst;
}
