/*
 * sigv4.c - AWS Signature Version 4, header-based.
 *
 * Follows the four published steps literally so the unit tests can hold
 * each intermediate string against the AWS test-suite vectors.  Hashing
 * and HMAC come from OpenSSL's libcrypto; the derived signing key lives
 * on the stack and is wiped after use.
 *
 * Threads: pure functions, no shared state.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "buf.h"
#include "sigv4.h"
#include "xmalloc.h"

#define MAX_SIGNED	1024 * 1024	/* a canonical request is small */

static void
to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	to_hex(md, sizeof(md), out);
}

static void
hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int olen = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	    strlen(msg), out, &olen);
}

void
sigv4_uri_encode(struct buf *b, const char *s, bool keep_slash)
{
	static const char hx[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char e[3];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' ||
		    c == '~' || (c == '/' && keep_slash)) {
			buf_append(b, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hx[c >> 4];
		e[2] = hx[c & 15];
		buf_append(b, e, 3);
	}
}

/* Order "name=value" strings by name, then by value. */
static int
cmp_pair(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
	int c = strncmp(x, y, nx < ny ? nx : ny);

	if (c != 0)
		return c;
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x + nx, y + ny);
}

char *
sigv4_canonical_query(const char *q)
{
	char *copy, *p, *tok, **v = NULL;
	size_t n = 0, i;
	struct buf b;

	buf_init(&b, MAX_SIGNED);
	if (q == NULL || *q == '\0')
		return buf_take(&b);
	copy = xstrdup(q);
	for (p = copy; (tok = strsep(&p, "&")) != NULL;) {
		if (*tok == '\0')
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		if (strchr(tok, '=') == NULL)
			xasprintf(&v[n], "%s=", tok);
		else
			v[n] = xstrdup(tok);
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_pair);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&b, "&");
		buf_puts(&b, v[i]);
		free(v[i]);
	}
	free(v);
	free(copy);
	return buf_take(&b);
}

struct hdr {
	char		*name;
	const char	*value;
};

static int
cmp_hdr(const void *a, const void *b)
{
	return strcmp(((const struct hdr *)a)->name,
	    ((const struct hdr *)b)->name);
}

/* Value with leading/trailing blanks removed and runs folded to one. */
static void
put_value(struct buf *b, const char *v)
{
	int space = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t') {
			space = 1;
			continue;
		}
		if (space)
			buf_puts(b, " ");
		space = 0;
		buf_append(b, v, 1);
	}
}

char *
sigv4_canonical_request(const struct sigv4_req *r, char **signed_headers)
{
	struct hdr *h = xcalloc(r->nheaders + 1, sizeof(*h));
	struct buf b, sh;
	char *query;
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		h[i].name = xstrdup(r->headers[i].name);
		for (char *c = h[i].name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		h[i].value = r->headers[i].value;
	}
	qsort(h, r->nheaders, sizeof(*h), cmp_hdr);
	buf_init(&b, MAX_SIGNED);
	buf_init(&sh, MAX_SIGNED);
	query = sigv4_canonical_query(r->query);
	buf_printf(&b, "%s\n%s\n%s\n", r->method,
	    *r->path != '\0' ? r->path : "/", query);
	free(query);
	for (i = 0; i < r->nheaders; i++) {
		buf_printf(&b, "%s:", h[i].name);
		put_value(&b, h[i].value);
		buf_puts(&b, "\n");
		buf_printf(&sh, "%s%s", i > 0 ? ";" : "", h[i].name);
		free(h[i].name);
	}
	free(h);
	buf_printf(&b, "\n%s\n%s", sh.data != NULL ? sh.data : "",
	    r->payload_hash);
	if (signed_headers != NULL)
		*signed_headers = buf_take(&sh);
	else
		buf_free(&sh);
	return buf_take(&b);
}

char *
sigv4_string_to_sign(const char *amzdate, const struct sigv4_cred *c,
    const char *canonical)
{
	char hash[65], *s;

	sigv4_sha256_hex(canonical, strlen(canonical), hash);
	xasprintf(&s, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s",
	    amzdate, amzdate, c->region, c->service, hash);
	return s;
}

void
sigv4_signature(const struct sigv4_cred *c, const char *amzdate,
    const char *sts, char out[65])
{
	unsigned char k[32], sig[32];
	char date[9], *seed;

	memcpy(date, amzdate, 8);
	date[8] = '\0';
	xasprintf(&seed, "AWS4%s", c->secret);
	hmac(seed, strlen(seed), date, k);
	xfree_secret(seed);
	hmac(k, sizeof(k), c->region, k);
	hmac(k, sizeof(k), c->service, k);
	hmac(k, sizeof(k), "aws4_request", k);
	hmac(k, sizeof(k), sts, sig);
	OPENSSL_cleanse(k, sizeof(k));
	to_hex(sig, sizeof(sig), out);
}

char *
sigv4_authorization(const struct sigv4_req *r, const struct sigv4_cred *c,
    const char *amzdate)
{
	char *canon, *sh, *sts, *auth, sig[65];

	canon = sigv4_canonical_request(r, &sh);
	sts = sigv4_string_to_sign(amzdate, c, canon);
	sigv4_signature(c, amzdate, sts, sig);
	xasprintf(&auth, "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/"
	    "aws4_request, SignedHeaders=%s, Signature=%s", c->access_key,
	    amzdate, c->region, c->service, sh, sig);
	free(canon);
	free(sh);
	free(sts);
	return auth;
}
