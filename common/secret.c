/*
 * secret.c - the secret registry behind every log line and error message.
 *
 * Two passes, both in secret_redact(), which every error message, log
 * line, event and job status goes through: registered secrets are
 * replaced wherever they occur; then, by shape, the userinfo of every
 * "scheme://user:password@" and the value of every signature-like query
 * parameter ("?sig=", "&X-Amz-Signature=", "&token=", ...) are hidden,
 * so a URL-valued setting (AZURE_STORAGE_ENDPOINT with a SAS, a WebDAV
 * URL with a password) is safe to print even though nobody registered
 * its parts.  secret_redact_url() is the same function for one URL.
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

/* Replace buf[off, off+len) with REDACTED if it fits, else stars. */
static size_t
splice(char *buf, size_t size, size_t off, size_t len)
{
	size_t blen = strlen(buf), rl = strlen(REDACTED);

	if (blen - len + rl + 1 > size) {
		memset(buf + off, '*', len);
		return len;
	}
	memmove(buf + off + rl, buf + off + len, blen - off - len + 1);
	memcpy(buf + off, REDACTED, rl);
	return rl;
}

/* Hide the whole userinfo of every "scheme://user:password@" in buf: a
 * user part alone is often a token too (discord://TOKEN@id). */
static void
redact_userinfo(char *buf, size_t size)
{
	char *p = buf, *start, *at, *end, *more;

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
		if ((size_t)(at - start) == strlen(REDACTED) &&
		    strncmp(start, REDACTED, strlen(REDACTED)) == 0) {
			p = at;
			continue;
		}
		p = start + splice(buf, size, (size_t)(start - buf),
		    (size_t)(at - start));
	}
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

/* Hide the value of every secret-looking "?name=" or "&name=" in buf. */
static void
redact_params(char *buf, size_t size)
{
	static const char namech[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t i, n, v;

	for (i = 0; buf[i] != '\0'; i++) {
		if (buf[i] != '?' && buf[i] != '&')
			continue;
		n = strspn(buf + i + 1, namech);
		if (n == 0 || buf[i + 1 + n] != '=' ||
		    !secret_param(buf + i + 1, n))
			continue;
		v = strcspn(buf + i + n + 2, "&# \t\r\n\"'<>");
		if (v == 0 || (v == strlen(REDACTED) && strncmp(buf + i + n + 2,
		    REDACTED, v) == 0))
			continue;
		i += n + 1 + splice(buf, size, i + n + 2, v);
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
	redact_params(buf, size);
}

char *
secret_redact_url(const char *url, char *dst, size_t size)
{
	snprintf(dst, size, "%s", url);
	secret_redact(dst, size);
	return dst;
}
