/*
 * crypt_age_seek.c - random access to an age file's payload, for restore
 * --only: the header is opened once from the file's first bytes, then
 * any run of STREAM chunks is decrypted on its own.
 *
 * Layout (age v1): header lines up to and including "--- MAC\n", a
 * 16-byte nonce, then chunks of 64 KiB plaintext + 16-byte tag; only the
 * last may be shorter, and it alone carries the last-chunk flag.  So
 * plaintext offset p lies in chunk p / 64 KiB, whose ciphertext starts at
 * header + 16 + chunk x (64 KiB + 16).  The file size (from the
 * destination) fixes which chunk is last; a file cut at a chunk boundary
 * makes the new last chunk fail authentication, so truncation is caught
 * here too.
 *
 * Invariants: nothing is released unless its chunk authenticated; the
 * file and payload keys live in sodium_malloc'd memory.  Threads: one
 * struct age_seek belongs to one thread.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "crypt_age.h"
#include "crypt_age_int.h"
#include "err.h"
#include "xmalloc.h"

#define AGE_V1		"age-encryption.org/v1\n"
#define NONCE		16

struct age_seek {
	unsigned char	*keys;		/* file key, then payload key */
	uint64_t	 payload_off;	/* of chunk 0 */
	uint64_t	 nchunks;
	uint64_t	 plain_size;
	uint64_t	 file_size;
};

/* Bytes of the header (through the MAC line's LF), or 0 when head holds
 * no complete one. */
static size_t
header_len(const char *h, size_t len)
{
	const char *p = h, *end = h + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl - p >= 3 && memcmp(p, "---", 3) == 0)
			return (size_t)(nl + 1 - h);
		p = nl + 1;
	}
	return 0;
}

int
age_seek_open(const struct age_identities *ids, const void *head,
    size_t len, uint64_t file_size, struct age_seek **out,
    struct bk_err *err)
{
	const char *h = head;
	struct age_seek *s;
	uint64_t payload, last;
	size_t hlen;

	*out = NULL;
	if (len < sizeof(AGE_V1) - 1 || memcmp(h, AGE_V1,
	    sizeof(AGE_V1) - 1) != 0 || (hlen = header_len(h, len)) == 0 ||
	    len - hlen < NONCE || file_size < hlen + NONCE)
		return 0;
	payload = file_size - hlen - NONCE;
	if (payload < 16)
		return bk_err_set(err, BK_ECORRUPT, "age: truncated payload");
	s = xcalloc(1, sizeof(*s));
	if ((s->keys = sodium_malloc(AGE_FILE_KEY + 32)) == NULL) {
		free(s);
		return bk_err_set(err, BK_EFAIL, "age: out of locked memory");
	}
	if (age_header_open(ids, h, hlen, s->keys, err) == -1) {
		age_seek_free(s);
		return -1;
	}
	age_payload_key(s->keys, (const unsigned char *)h + hlen,
	    s->keys + AGE_FILE_KEY);
	s->payload_off = hlen + NONCE;
	s->nchunks = (payload + AGE_CHUNK_CT - 1) / AGE_CHUNK_CT;
	last = payload - (s->nchunks - 1) * AGE_CHUNK_CT;
	if (last < 16 || (last == 16 && s->nchunks > 1)) {
		age_seek_free(s);
		return bk_err_set(err, BK_ECORRUPT, "age: the payload's size "
		    "is no sequence of chunks (truncated file)");
	}
	s->plain_size = (s->nchunks - 1) * AGE_CHUNK + (last - 16);
	s->file_size = file_size;
	*out = s;
	return 1;
}

uint64_t
age_seek_plain_size(const struct age_seek *s)
{
	return s->plain_size;
}

void
age_seek_range(const struct age_seek *s, uint64_t off, uint64_t len,
    uint64_t *first, uint64_t *coff, uint64_t *clen)
{
	uint64_t a, b, end;

	if (off > s->plain_size)
		off = s->plain_size;
	if (len > s->plain_size - off)
		len = s->plain_size - off;
	a = off / AGE_CHUNK;
	b = len == 0 ? a : (off + len - 1) / AGE_CHUNK;
	if (b >= s->nchunks)
		b = s->nchunks - 1;
	if (a > b)
		a = b;
	*first = a;
	*coff = s->payload_off + a * AGE_CHUNK_CT;
	end = s->payload_off + (b + 1) * AGE_CHUNK_CT;
	if (end > s->file_size)
		end = s->file_size;
	*clen = end - *coff;
}

int
age_seek_decrypt(struct age_seek *s, uint64_t first, const void *ct,
    size_t ctlen, void *out, size_t *outlen, struct bk_err *err)
{
	const unsigned char *c = ct;
	unsigned char *o = out;
	uint64_t i = first;
	size_t n, plen, done = 0;
	bool last;

	while (ctlen > 0) {
		n = ctlen < AGE_CHUNK_CT ? ctlen : AGE_CHUNK_CT;
		last = i == s->nchunks - 1;
		if (i >= s->nchunks || (n < AGE_CHUNK_CT && !last) ||
		    age_chunk_open(s->keys + AGE_FILE_KEY, i, last, c, n,
		    o + done, &plen) == -1)
			return bk_err_set(err, BK_ECORRUPT, "age: payload chunk "
			    "%llu failed authentication (damaged or truncated "
			    "file)", (unsigned long long)i);
		done += plen;
		c += n;
		ctlen -= n;
		i++;
	}
	*outlen = done;
	return 0;
}

void
age_seek_free(struct age_seek *s)
{
	if (s == NULL)
		return;
	if (s->keys != NULL)
		sodium_free(s->keys);
	free(s);
}
