/*
 * notify_url.c - the service URL parser and the query ("props") helpers.
 *
 * Follows Go net/url exactly where shoutrrr users depend on it
 * (notifications.md §1.2): the userinfo ends at the last '@' of the
 * authority and splits at its first ':'; the host keeps its case; the
 * path is decoded before services split it; a query pair holding ';' is
 * dropped; '+' in the query is a space.  Written for fuzzing: any input
 * gives 0 with a filled nurl or -1 with a message, never a crash.
 * No globals; safe from any thread.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "notify_int.h"
#include "secret.h"
#include "settings.h"
#include "xmalloc.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX (and '+' as space when plus); NULL on a bad escape. */
static char *
unescape(const char *s, size_t n, bool plus, bool hostmode)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n)
				goto bad;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			if (hostmode && hi * 16 + lo < 0x80 &&
			    hi * 16 + lo != '%')
				goto bad;
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else if (plus && s[i] == '+')
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static bool
valid_userinfo(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || strchr("-._~!$&'()*+,;=:@%", c) != NULL)
			continue;
		return false;
	}
	return true;
}

static bool
valid_host(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c >= 0x80 ||
		    strchr("-._~!$&'()*+,;=:[]<>\"%", c) != NULL)
			continue;
		return false;
	}
	return true;
}

static int
split_host(struct nurl *u, const char *h, size_t n, struct bk_err *err)
{
	const char *colon = NULL, *p;
	size_t i;

	if (!valid_host(h, n))
		return bk_err_set(err, BK_ECONFIG, "invalid character in host");
	if ((u->host = unescape(h, n, false, true)) == NULL)
		return bk_err_set(err, BK_ECONFIG, "invalid escape in host");
	if (n > 0 && h[0] == '[') {
		p = memchr(h, ']', n);
		if (p == NULL)
			return bk_err_set(err, BK_ECONFIG,
			    "missing ']' in host");
		u->hostname = xstrndup(h + 1, (size_t)(p - h - 1));
		if ((size_t)(p + 1 - h) < n) {
			if (p[1] != ':')
				return bk_err_set(err, BK_ECONFIG,
				    "invalid port after host");
			colon = p + 1;
		}
	} else {
		colon = memrchr(h, ':', n);
		u->hostname = unescape(h, colon != NULL ? (size_t)(colon - h) :
		    n, false, true);
	}
	u->port = xstrdup("");
	if (colon != NULL) {
		for (i = 1; colon + i < h + n; i++)
			if (!isdigit((unsigned char)colon[i]))
				return bk_err_set(err, BK_ECONFIG,
				    "port is not a number");
		free(u->port);
		u->port = xstrndup(colon + 1, (size_t)(h + n - colon - 1));
	}
	return 0;
}

static int
parse_into(const char *s, struct nurl *u, struct bk_err *err)
{
	const char *p, *rest, *end, *auth, *authend, *at, *c;
	size_t i;

	memset(u, 0, sizeof(*u));
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return bk_err_set(err, BK_ECONFIG,
			    "invalid control character in URL");
	if (!isalpha((unsigned char)s[0]))
		return bk_err_set(err, BK_ECONFIG, "missing service scheme");
	for (p = s; isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.'; p++)
		;
	if (*p != ':')
		return bk_err_set(err, BK_ECONFIG, "missing service scheme");
	u->scheme = xstrndup(s, (size_t)(p - s));
	for (i = 0; u->scheme[i] != '\0'; i++)
		u->scheme[i] = (char)tolower((unsigned char)u->scheme[i]);
	c = strchr(u->scheme, '+');
	u->custom = c != NULL;
	u->service = xstrndup(u->scheme, c != NULL ? (size_t)(c - u->scheme) :
	    strlen(u->scheme));
	rest = p + 1;
	end = rest + strlen(rest);
	if ((p = strchr(rest, '#')) != NULL) {
		u->has_fragment = true;
		if ((u->fragment = unescape(p + 1, strlen(p + 1), false,
		    false)) == NULL)
			return bk_err_set(err, BK_ECONFIG,
			    "invalid escape in fragment");
		end = p;
	} else
		u->fragment = xstrdup("");
	p = memchr(rest, '?', (size_t)(end - rest));
	u->rawquery = p != NULL ? xstrndup(p + 1, (size_t)(end - p - 1)) :
	    xstrdup("");
	if (p != NULL)
		end = p;
	if (end - rest < 2 || rest[0] != '/' || rest[1] != '/')
		return bk_err_set(err, BK_ECONFIG,
		    "missing // after the scheme");
	auth = rest + 2;
	authend = memchr(auth, '/', (size_t)(end - auth));
	if (authend == NULL)
		authend = end;
	at = memrchr(auth, '@', (size_t)(authend - auth));
	if (at != NULL) {
		if (!valid_userinfo(auth, (size_t)(at - auth)))
			return bk_err_set(err, BK_ECONFIG,
			    "invalid character in userinfo");
		u->has_user = true;
		c = memchr(auth, ':', (size_t)(at - auth));
		u->has_pass = c != NULL;
		u->user = unescape(auth, (size_t)((c != NULL ? c : at) - auth),
		    false, false);
		u->pass = c != NULL ? unescape(c + 1, (size_t)(at - c - 1),
		    false, false) : xstrdup("");
		if (u->user == NULL || u->pass == NULL)
			return bk_err_set(err, BK_ECONFIG,
			    "invalid escape in userinfo");
		auth = at + 1;
	} else {
		u->user = xstrdup("");
		u->pass = xstrdup("");
	}
	if (split_host(u, auth, (size_t)(authend - auth), err) == -1)
		return -1;
	if ((u->path = unescape(authend, (size_t)(end - authend), false,
	    false)) == NULL)
		return bk_err_set(err, BK_ECONFIG, "invalid escape in path");
	nq_parse(u->rawquery, &u->q, &u->nq);
	return 0;
}

/* On failure nothing stays allocated (nurl_free is then a no-op). */
int
nurl_parse(const char *s, struct nurl *u, struct bk_err *err)
{
	if (parse_into(s, u, err) == 0)
		return 0;
	nurl_free(u);
	return -1;
}

void
nurl_free(struct nurl *u)
{
	free(u->scheme);
	free(u->service);
	xfree_secret(u->user);
	xfree_secret(u->pass);
	free(u->host);
	free(u->hostname);
	free(u->port);
	free(u->path);
	free(u->rawquery);
	free(u->fragment);
	nq_free(u->q, u->nq);
	memset(u, 0, sizeof(*u));
}

void
nq_parse(const char *raw, struct nq **out, size_t *n)
{
	const char *seg, *amp, *eq;
	char *k, *v;
	size_t len;

	*out = NULL;
	*n = 0;
	for (seg = raw; seg != NULL && *seg != '\0'; seg = amp + 1) {
		amp = strchr(seg, '&');
		if (amp == NULL)
			amp = seg + strlen(seg);
		len = (size_t)(amp - seg);
		if (len > 0 && memchr(seg, ';', len) == NULL) {
			eq = memchr(seg, '=', len);
			k = unescape(seg, eq != NULL ? (size_t)(eq - seg) : len,
			    true, false);
			v = eq != NULL ? unescape(eq + 1,
			    (size_t)(amp - eq - 1), true, false) : xstrdup("");
			if (k != NULL && v != NULL) {
				*out = xreallocarray(*out, *n + 1,
				    sizeof(**out));
				(*out)[*n].key = k;
				(*out)[(*n)++].val = v;
			} else {
				free(k);
				free(v);
			}
		}
		if (*amp == '\0')
			break;
	}
}

void
nq_free(struct nq *q, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(q[i].key);
		xfree_secret(q[i].val);
	}
	free(q);
}

void
nq_escape(struct buf *b, const char *s, bool path)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' ||
		    c == '~' || (path && strchr("$&+:=@", c) != NULL))
			buf_append(b, s, 1);
		else if (c == ' ' && !path)
			buf_puts(b, "+");
		else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			buf_append(b, e, 3);
		}
	}
}

static int
nq_cmp(const void *a, const void *b)
{
	const struct nq *x = *(const struct nq *const *)a;
	const struct nq *y = *(const struct nq *const *)b;
	int r = strcmp(x->key, y->key);

	if (r != 0)
		return r;
	return x < y ? -1 : x > y;	/* stable: keep URL order */
}

char *
nq_encode(const struct nq *q, size_t n)
{
	const struct nq **v;
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = &q[i];
	qsort(v, n, sizeof(*v), nq_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&b, "&");
		nq_escape(&b, v[i]->key, false);
		buf_puts(&b, "=");
		nq_escape(&b, v[i]->val, false);
	}
	free(v);
	return buf_take(&b);
}

/* Does key match one spelling of spec ("a|b|c"), case-insensitively? */
static bool
spec_match(const char *spec, const char *key)
{
	const char *p = spec, *bar;
	size_t len;

	for (;;) {
		bar = strchr(p, '|');
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (strlen(key) == len && strncasecmp(p, key, len) == 0)
			return true;
		if (bar == NULL)
			return false;
		p = bar + 1;
	}
}

int
nurl_known_keys(const struct nurl *u, const char *const *specs,
    const char *svc, struct bk_err *err)
{
	size_t i, j;

	for (i = 0; i < u->nq; i++) {
		for (j = 0; specs[j] != NULL; j++)
			if (spec_match(specs[j], u->q[i].key))
				break;
		if (specs[j] == NULL)
			return bk_err_set(err, BK_ECONFIG,
			    "%s: \"%s\" is not a valid config key", svc,
			    u->q[i].key);
	}
	return 0;
}

const char *
nurl_get(const struct nurl *u, const char *spec)
{
	size_t i;

	for (i = 0; i < u->nq; i++)
		if (spec_match(spec, u->q[i].key))
			return u->q[i].val;
	return NULL;
}

const char *
nurl_get_exact(const struct nurl *u, const char *key)
{
	size_t i;

	for (i = 0; i < u->nq; i++)
		if (strcmp(u->q[i].key, key) == 0)
			return u->q[i].val;
	return NULL;
}

const char *
nurl_str(const struct nurl *u, const char *spec, const char *def)
{
	const char *v = nurl_get(u, spec);

	return v != NULL ? v : def;
}

static const char *
first_name(const char *spec, char *dst, size_t size)
{
	size_t len = strcspn(spec, "|");

	snprintf(dst, size, "%.*s", (int)len, spec);
	return dst;
}

int
nurl_bool(const struct nurl *u, const char *spec, bool def, bool *out,
    const char *svc, struct bk_err *err)
{
	static const char *const yes[] = { "true", "1", "yes", "y", NULL };
	static const char *const no[] = { "false", "0", "no", "n", NULL };
	const char *v = nurl_get(u, spec);
	char name[64];
	size_t i;

	*out = def;
	if (v == NULL)
		return 0;
	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	return bk_err_set(err, BK_ECONFIG, "%s: %s: accepted values are 1, "
	    "true, yes or 0, false, no", svc, first_name(spec, name,
	    sizeof(name)));
}

bool
parse_go_int(const char *s, long long *out)
{
	const char *p = s;
	bool neg = false;
	int base = 10;
	char *end;

	if (*p == '#') {
		base = 16;
		p++;
	} else {
		if (*p == '+' || *p == '-')
			neg = *p++ == '-';
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			base = 16, p += 2;
		else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
			base = 8, p += 2;
		else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
			base = 2, p += 2;
		else if (p[0] == '0' && p[1] != '\0')
			base = 8, p++;
	}
	if (*p == '\0' || !isalnum((unsigned char)*p))
		return false;
	errno = 0;
	*out = strtoll(p, &end, base);
	if (errno != 0 || *end != '\0')
		return false;
	if (neg)
		*out = -*out;
	return true;
}

int
nurl_int(const struct nurl *u, const char *spec, long long def,
    long long min, long long max, long long *out, const char *svc,
    struct bk_err *err)
{
	const char *v = nurl_get(u, spec);
	char name[64];

	*out = def;
	if (v == NULL)
		return 0;
	if (!parse_go_int(v, out) || *out < min || *out > max)
		return bk_err_set(err, BK_ECONFIG, "%s: %s: \"%s\" is not an "
		    "integer from %lld to %lld", svc,
		    first_name(spec, name, sizeof(name)), v, min, max);
	return 0;
}

int
nurl_enum(const struct nurl *u, const char *spec, const char *choices,
    const char *aliases, int def, int *out, const char *svc,
    struct bk_err *err)
{
	const char *v = nurl_get(u, spec), *p, *q;
	char name[64];
	size_t len;
	int i;

	*out = def;
	if (v == NULL)
		return 0;
	len = strlen(v);
	for (i = 0, p = choices; *p != '\0'; i++) {
		q = p + strcspn(p, ",");
		if ((size_t)(q - p) == len && strncasecmp(p, v, len) == 0) {
			*out = i;
			return 0;
		}
		p = *q == ',' ? q + 1 : q;
	}
	for (p = aliases; p != NULL && *p != '\0';) {
		q = p + strcspn(p, ",");
		if ((size_t)(strchr(p, '=') - p) == len &&
		    strncmp(p, v, len) == 0) {
			*out = atoi(strchr(p, '=') + 1);
			return 0;
		}
		p = *q == ',' ? q + 1 : q;
	}
	return bk_err_set(err, BK_ECONFIG, "%s: %s: \"%s\" is not one of %s",
	    svc, first_name(spec, name, sizeof(name)), v, choices);
}

char **
nurl_list(const char *s, char sep)
{
	char **v = NULL;
	const char *p, *q;
	size_t n = 0;

	for (p = s;; p = q + 1) {
		q = strchr(p, sep);
		if (q == NULL)
			q = p + strlen(p);
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = xstrndup(p, (size_t)(q - p));
		if (*q == '\0')
			break;
	}
	v[n] = NULL;
	return v;
}

void
nsecret(const char *s)
{
	if (s != NULL)
		secret_register(s);
}
