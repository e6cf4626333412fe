/*
 * crypt_age_header.c - the age v1 header: its strict parser (version
 * line, recipient stanzas with canonical 64-column base64 bodies, the MAC
 * line), its HMAC, and opening it with identities (for the seekable
 * reader, crypt_age_seek.c, which reads a header on its own).
 *
 * Invariants: nothing malformed is accepted (BK_ECORRUPT); the file key
 * leaves only after the header's MAC matched.  Threads: none of its own.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "crypt_age.h"
#include "crypt_age_int.h"
#include "err.h"
#include "xmalloc.h"

void
age_header_mac(const unsigned char *file_key, const char *hdr, size_t len,
    unsigned char mac[32])
{
	unsigned char key[32];
	crypto_auth_hmacsha256_state st;

	age_hkdf(file_key, AGE_FILE_KEY, NULL, 0, "header", key);
	crypto_auth_hmacsha256_init(&st, key, sizeof(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)hdr, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(key, sizeof(key));
}

bool
age_is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

void
age_stanzas_free(struct age_stanza *st, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < st[i].nargs; j++)
			free(st[i].args[j]);
		free(st[i].body);
	}
	free(st);
}

/* The next line of [*p, end) without its LF; -1 if there is no LF. */
int
age_next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (nl == NULL)
		return -1;
	*line = *p;
	*len = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

static int
parse_stanza(const char *line, size_t len, const char **p, const char *end,
    struct age_stanza *st)
{
	const char *a = line + 3, *aend = line + len, *sp, *body, *l;
	size_t i, ll, blen;
	struct buf b;
	int rc = -1;

	if (len < 4 || line[2] != ' ')
		return -1;
	while (a <= aend) {
		if ((sp = memchr(a, ' ', (size_t)(aend - a))) == NULL)
			sp = aend;
		if (sp == a || st->nargs == AGE_MAX_ARGS)
			return -1;
		for (l = a; l < sp; l++)
			if (*l < 0x21 || *l > 0x7e)
				return -1;
		st->args[st->nargs++] = xstrndup(a, (size_t)(sp - a));
		a = sp + 1;
	}
	buf_init(&b, AGE_HEADER_MAX);
	for (;;) {
		if (age_next_line(p, end, &body, &ll) != 0 || ll > 64)
			goto out;
		for (i = 0; i < ll; i++)
			if (!age_is_b64(body[i]))
				goto out;
		buf_append(&b, body, ll);
		if (ll < 64)
			break;
	}
	st->body = xmalloc(b.len + 1);
	if (age_b64_decode(b.data, b.len, st->body, b.len + 1, &blen) != 0)
		goto out;
	st->bodylen = blen;
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/*
 * Parse a complete header (ending with the MAC line).  maclen: bytes the
 * MAC covers.  BK_ECORRUPT on anything malformed.
 */
int
age_parse_header(const char *h, size_t len, struct age_stanza **stp, size_t *np,
    unsigned char mac[32], size_t *maclen, struct bk_err *err)
{
	const char *p = h, *end = h + len, *line;
	struct age_stanza *st = NULL;
	size_t n = 0, ll, ml;

	if (len < sizeof(AGE_V1) - 1 || memcmp(h, AGE_V1, sizeof(AGE_V1) - 1))
		return bk_err_set(err, BK_ECORRUPT, "age: unsupported "
		    "version line");
	p += sizeof(AGE_V1) - 1;
	while (age_next_line(&p, end, &line, &ll) == 0) {
		if (ll >= 3 && memcmp(line, "---", 3) == 0) {
			if (ll != 4 + 43 || line[3] != ' ' || p != end ||
			    n == 0 || age_b64_decode(line + 4, 43, mac, 32,
			    &ml) != 0 || ml != 32)
				break;
			*maclen = (size_t)(line + 3 - h);
			*stp = st;
			*np = n;
			return 0;
		}
		if (ll < 2 || memcmp(line, "->", 2) != 0)
			break;
		st = xreallocarray(st, n + 1, sizeof(*st));
		memset(&st[n], 0, sizeof(*st));
		n++;
		if (parse_stanza(line, ll, &p, end, &st[n - 1]) != 0)
			break;
	}
	age_stanzas_free(st, n);
	return bk_err_set(err, BK_ECORRUPT, "age: malformed header");
}

int
age_header_open(const struct age_identities *ids, const char *hdr,
    size_t hlen, unsigned char *file_key, struct bk_err *err)
{
	struct age_stanza *st = NULL;
	unsigned char mac[32], want[32];
	size_t n = 0, maclen = 0;
	int rc;

	if (age_parse_header(hdr, hlen, &st, &n, mac, &maclen, err) != 0)
		return -1;
	rc = age_identities_unwrap(ids, st, n, file_key, err);
	age_stanzas_free(st, n);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return bk_err_set(err, BK_EAUTH, "age: no identity matched "
		    "any of the file's recipients");
	age_header_mac(file_key, hdr, maclen, want);
	if (sodium_memcmp(mac, want, sizeof(mac)) != 0)
		return bk_err_set(err, BK_ECORRUPT, "age: header MAC mismatch "
		    "(the file was modified)");
	return 0;
}
