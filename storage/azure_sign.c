/*
 * azure_sign.c - SharedKey string to sign and HMAC for Azure Blob.
 *
 * The string to sign is the verb, the twelve standard headers in their
 * fixed order (Content-Length empty when zero, as versions >= 2015-02-21
 * require), the x-ms-* headers lower-cased and sorted, and the
 * canonicalized resource: "/" account, the encoded URL path, then each
 * query parameter as "\nname:value", names lower-cased and sorted.
 *
 * Threads: pure functions.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "azure_sign.h"
#include "buf.h"
#include "xmalloc.h"

static const char *const std_headers[] = {
	"content-encoding", "content-language", "content-length",
	"content-md5", "content-type", "date", "if-modified-since",
	"if-match", "if-none-match", "if-unmodified-since", "range",
};

struct kv {
	char		*name;
	const char	*value;
};

static int
cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->name,
	    ((const struct kv *)b)->name);
}

static char *
lower(const char *s)
{
	char *l = xstrdup(s);

	for (char *c = l; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return l;
}

/* Lower-cased, sorted copies of the pairs accepted by keep(). */
static struct kv *
sorted(const struct azure_kv *v, size_t n, int xms_only, size_t *out)
{
	struct kv *k = xcalloc(n + 1, sizeof(*k));
	size_t i, m = 0;

	for (i = 0; i < n; i++) {
		if (xms_only && strncasecmp(v[i].name, "x-ms-", 5) != 0)
			continue;
		k[m].name = lower(v[i].name);
		k[m].value = v[i].value;
		m++;
	}
	qsort(k, m, sizeof(*k), cmp_kv);
	*out = m;
	return k;
}

char *
azure_string_to_sign(const struct azure_req *r)
{
	struct buf b;
	struct kv *k;
	size_t i, j, n;

	buf_init(&b, 1 << 20);
	buf_printf(&b, "%s\n", r->method);
	for (i = 0; i < sizeof(std_headers) / sizeof(std_headers[0]); i++) {
		const char *v = "";

		for (j = 0; j < r->nheaders; j++)
			if (strcasecmp(r->headers[j].name, std_headers[i]) == 0)
				v = r->headers[j].value;
		if (i == 2 && strcmp(v, "0") == 0)
			v = "";
		buf_printf(&b, "%s\n", v);
	}
	k = sorted(r->headers, r->nheaders, 1, &n);
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%s:%s\n", k[i].name, k[i].value);
		free(k[i].name);
	}
	free(k);
	buf_printf(&b, "/%s%s", r->account, r->path);
	k = sorted(r->query, r->nquery, 0, &n);
	for (i = 0; i < n; i++) {
		buf_printf(&b, "\n%s:%s", k[i].name, k[i].value);
		free(k[i].name);
	}
	free(k);
	return buf_take(&b);
}

int
azure_b64_decode(const char *s, unsigned char *out, size_t max, size_t *len)
{
	size_t n = strlen(s);
	int got;

	while (n > 0 && (s[n - 1] == '=' || s[n - 1] == '\n'))
		n--;
	if (n == 0 || (n * 3) / 4 > max)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '/')
			return -1;
	{
		/* EVP_DecodeBlock wants padded input. */
		char *p = xcalloc(1, n + 4);
		unsigned char *tmp = xmalloc(n + 4);
		size_t padded = (n + 3) / 4 * 4;

		memcpy(p, s, n);
		memset(p + n, '=', padded - n);
		got = EVP_DecodeBlock(tmp, (unsigned char *)p, (int)padded);
		free(p);
		if (got < 0) {
			free(tmp);
			return -1;
		}
		got -= (int)(padded - n);
		if ((size_t)got > max) {
			free(tmp);
			return -1;
		}
		memcpy(out, tmp, (size_t)got);
		OPENSSL_cleanse(tmp, n + 4);
		free(tmp);
	}
	*len = (size_t)got;
	return 0;
}

void
azure_b64_encode(const unsigned char *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

int
azure_signature(const char *key_b64, const char *sts, char out[64])
{
	unsigned char key[256], mac[32];
	unsigned int mlen = sizeof(mac);
	size_t klen;

	if (azure_b64_decode(key_b64, key, sizeof(key), &klen) == -1)
		return -1;
	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)sts,
	    strlen(sts), mac, &mlen);
	OPENSSL_cleanse(key, sizeof(key));
	azure_b64_encode(mac, sizeof(mac), out);
	return 0;
}

char *
azure_authorization(const struct azure_req *r, const char *key_b64)
{
	char *sts = azure_string_to_sign(r), sig[64], *auth;

	if (azure_signature(key_b64, sts, sig) == -1) {
		free(sts);
		return NULL;
	}
	free(sts);
	xasprintf(&auth, "SharedKey %s:%s", r->account, sig);
	return auth;
}
