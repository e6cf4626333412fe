/*
 * crypt_age.c - the age v1 file format: header (version line, recipient
 * stanzas, HMAC), and the STREAM payload (ChaCha20-Poly1305 over 64 KiB
 * chunks, 11-byte big-endian counter, last-chunk flag), as push encoder
 * and decoder.  The header's parser and MAC are in crypt_age_header.c,
 * recipient and identity types in crypt_age_keys.c and crypt_age_ident.c.
 *
 * Invariants: the decoder parses the header strictly (canonical base64,
 * 64-column stanza bodies, exact MAC line) before it releases a byte; it
 * releases plaintext only chunk by chunk after authentication, holds back
 * the last full chunk until it knows whether more follows, and finish()
 * fails on a missing, empty (after the first) or unauthenticated final
 * chunk.  Errors are sticky.  The file key lives in sodium_malloc'd
 * memory.  Threads: an encoder or decoder belongs to one thread.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "buf.h"
#include "crypt_age.h"
#include "crypt_age_int.h"
#include "err.h"
#include "xmalloc.h"

#define CHUNK		(64 * 1024)
#define TAG		crypto_aead_chacha20poly1305_ietf_ABYTES
#define NONCE		16

/* Payload keys and nonce state shared by both directions. */
struct stream {
	unsigned char	*file_key;	/* sodium_malloc: file key, then */
	unsigned char	*payload_key;	/* ... the payload key after it */
	uint64_t	 counter;
	EVP_CIPHER_CTX	*aead;		/* payload cipher, made on first use */
};

struct age_enc {
	const struct age_recipients *rcpt;
	age_out_fn	*out;
	void		*ctx;
	struct stream	 s;
	bool		 started, failed;
	size_t		 plen;
	unsigned char	 pbuf[CHUNK];
	unsigned char	 cbuf[CHUNK + TAG];
};

enum dec_state { D_HEADER, D_NONCE, D_PAYLOAD, D_DONE, D_FAILED };
/* ASCII armor (strict PEM): what the next line must be. */
enum armor_state { A_NONE, A_LEAD, A_BODY, A_TRAIL };

#define ARMOR_BEGIN	"-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END	"-----END AGE ENCRYPTED FILE-----"

struct age_dec {
	const struct age_identities *ids;
	age_out_fn	*out;
	void		*ctx;
	enum dec_state	 state;
	struct stream	 s;
	struct buf	 hdr;
	size_t		 scanned;	/* header bytes already looked at */
	bool		 sniffed;
	enum armor_state armor;
	bool		 armor_last;	/* a short or padded line was seen */
	size_t		 alines;
	char		 aline[80];
	size_t		 alen;
	unsigned char	 nonce[NONCE];
	size_t		 nlen;
	size_t		 clen;
	unsigned char	 cbuf[CHUNK + TAG];
	unsigned char	 pbuf[CHUNK];
};

void
age_hkdf(const unsigned char *ikm, size_t ikmlen, const unsigned char *salt,
    size_t saltlen, const char *info, unsigned char out[32])
{
	static const unsigned char empty[1];
	crypto_auth_hmacsha256_state st;
	unsigned char prk[32], one = 1;

	/* Empty salt or ikm: never hand libsodium a NULL pointer. */
	if (salt == NULL)
		salt = empty;
	if (ikm == NULL)
		ikm = empty;
	crypto_auth_hmacsha256_init(&st, salt, saltlen);
	crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
	crypto_auth_hmacsha256_final(&st, prk);
	crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)info,
	    strlen(info));
	crypto_auth_hmacsha256_update(&st, &one, 1);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(&st, sizeof(st));
}

int
age_b64_decode(const char *s, size_t len, unsigned char *out, size_t max,
    size_t *outlen)
{
	const char *end;

	/* libsodium rejects padding and non-zero trailing bits here. */
	if (sodium_base642bin(out, max, s, len, NULL, outlen, &end,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
	    end != s + len)
		return -1;
	return 0;
}

void
age_b64_append(struct buf *b, const unsigned char *data, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	char *s = xmalloc(n);

	sodium_bin2base64(s, n, data, len,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	buf_puts(b, s);
	free(s);
}

void
age_stanza_append(struct buf *b, const char *args, const unsigned char *body,
    size_t bodylen)
{
	struct buf enc;
	size_t off;

	buf_printf(b, "-> %s\n", args);
	buf_init(&enc, AGE_HEADER_MAX);
	age_b64_append(&enc, body, bodylen);
	/* Full 64-column lines, then a shorter (maybe empty) final line. */
	for (off = 0; enc.len - off >= 64; off += 64) {
		buf_append(b, enc.data + off, 64);
		buf_puts(b, "\n");
	}
	buf_append(b, enc.data + off, enc.len - off);
	buf_puts(b, "\n");
	buf_free(&enc);
}

static int
stream_keys(struct stream *s, const unsigned char nonce[NONCE])
{
	age_hkdf(s->file_key, AGE_FILE_KEY, nonce, NONCE, "payload",
	    s->payload_key);
	s->counter = 0;
	return 0;
}

static void
stream_nonce(const struct stream *s, bool last, unsigned char n[12])
{
	int i;

	memset(n, 0, 12);
	for (i = 0; i < 8; i++)
		n[10 - i] = (unsigned char)(s->counter >> (8 * i));
	n[11] = last ? 1 : 0;
}

struct age_enc *
age_enc_new(const struct age_recipients *r, age_out_fn *out, void *ctx,
    struct bk_err *err)
{
	struct age_enc *e;

	if (age_recipients_count(r) == 0) {
		bk_err_set(err, BK_ECONFIG, "age: no recipients");
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	if ((e->s.file_key = sodium_malloc(AGE_FILE_KEY + 32)) == NULL) {
		free(e);
		bk_err_set(err, BK_EFAIL, "age: out of locked memory");
		return NULL;
	}
	e->s.payload_key = e->s.file_key + AGE_FILE_KEY;
	e->rcpt = r;
	e->out = out;
	e->ctx = ctx;
	return e;
}

static int
enc_start(struct age_enc *e, struct bk_err *err)
{
	unsigned char mac[32], nonce[NONCE];
	struct buf h;
	int rc = -1;

	randombytes_buf(e->s.file_key, AGE_FILE_KEY);
	buf_init(&h, AGE_HEADER_MAX);
	buf_puts(&h, AGE_V1);
	if (age_recipients_wrap(e->rcpt, e->s.file_key, &h, err) != 0)
		goto out;
	buf_puts(&h, "---");
	age_header_mac(e->s.file_key, h.data, h.len, mac);
	buf_puts(&h, " ");
	age_b64_append(&h, mac, sizeof(mac));
	buf_puts(&h, "\n");
	randombytes_buf(nonce, sizeof(nonce));
	buf_append(&h, nonce, sizeof(nonce));
	stream_keys(&e->s, nonce);
	if (e->out(e->ctx, h.data, h.len, err) != 0)
		goto out;
	e->started = true;
	rc = 0;
out:
	buf_free(&h);
	return rc;
}

/*
 * The payload's ChaCha20-Poly1305 (RFC 8439, the construction libsodium
 * calls _ietf) through OpenSSL's libcrypto: the payload is nearly all of
 * an encrypted backup's CPU, and libcrypto's AVX-512 code runs it about 3x
 * faster than libsodium 1.0.18 here (measured in bench/crypt.sh).  Header
 * crypto stays with libsodium.  One cipher context per stream, reused.
 */
static EVP_CIPHER_CTX *
payload_ctx(struct stream *s)
{
	if (s->aead == NULL)
		s->aead = EVP_CIPHER_CTX_new();
	return s->aead;
}

/* out = ciphertext || 16-byte tag.  0 or -1. */
static int
payload_seal(struct stream *s, unsigned char *out, const unsigned char *in,
    size_t len, const unsigned char nonce[12])
{
	EVP_CIPHER_CTX *c = payload_ctx(s);
	const unsigned char *key = s->payload_key;
	int n = 0, fin = 0;

	if (c == NULL || len > INT_MAX ||
	    EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce) !=
	    1 || (len > 0 && EVP_EncryptUpdate(c, out, &n, in, (int)len) !=
	    1) || EVP_EncryptFinal_ex(c, out + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG, out + len) != 1)
		return -1;
	return 0;
}

/* Like crypto_aead_chacha20poly1305_ietf_decrypt: 0, or -1 when the tag
 * does not authenticate (nothing of out may then be used). */
static int
payload_open(struct stream *s, unsigned char *out,
    unsigned long long *outlen, const unsigned char *in, size_t inlen,
    const unsigned char nonce[12])
{
	EVP_CIPHER_CTX *c = payload_ctx(s);
	const unsigned char *key = s->payload_key;
	size_t len;
	int n = 0, fin = 0;

	if (c == NULL || inlen < TAG || inlen - TAG > INT_MAX)
		return -1;
	len = inlen - TAG;
	if (EVP_DecryptInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce) !=
	    1 || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG,
	    (void *)(uintptr_t)(in + len)) != 1 ||
	    (len > 0 && EVP_DecryptUpdate(c, out, &n, in, (int)len) != 1) ||
	    EVP_DecryptFinal_ex(c, out + n, &fin) != 1)
		return -1;
	*outlen = len;
	return 0;
}

/* Encrypt len bytes at p (the buffered chunk, or input in place). */
static int
enc_chunk_from(struct age_enc *e, const unsigned char *p, size_t len,
    bool last, struct bk_err *err)
{
	unsigned char n[12];

	stream_nonce(&e->s, last, n);
	if (payload_seal(&e->s, e->cbuf, p, len, n) == -1)
		return bk_err_set(err, BK_EFAIL, "age: encryption failed");
	e->s.counter++;
	return e->out(e->ctx, e->cbuf, len + TAG, err);
}

static int
enc_chunk(struct age_enc *e, bool last, struct bk_err *err)
{
	if (enc_chunk_from(e, e->pbuf, e->plen, last, err) != 0)
		return -1;
	e->plen = 0;
	return 0;
}

int
age_enc_write(struct age_enc *e, const void *data, size_t len,
    struct bk_err *err)
{
	const unsigned char *p = data;
	size_t n;

	if (e->failed)
		return bk_err_set(err, BK_EFAIL, "age: encoder failed before");
	if (!e->started && enc_start(e, err) != 0)
		goto fail;
	while (len > 0) {
		/* A full chunk goes out only once more data proves it is
		 * not the last one. */
		if (e->plen == CHUNK && enc_chunk(e, false, err) != 0)
			goto fail;
		/* Whole chunks with more input behind them: no copy. */
		if (e->plen == 0 && len > CHUNK) {
			if (enc_chunk_from(e, p, CHUNK, false, err) != 0)
				goto fail;
			p += CHUNK;
			len -= CHUNK;
			continue;
		}
		n = CHUNK - e->plen < len ? CHUNK - e->plen : len;
		memcpy(e->pbuf + e->plen, p, n);
		e->plen += n;
		p += n;
		len -= n;
	}
	return 0;
fail:
	e->failed = true;
	return -1;
}

int
age_enc_finish(struct age_enc *e, struct bk_err *err)
{
	if (e->failed)
		return bk_err_set(err, BK_EFAIL, "age: encoder failed before");
	if ((!e->started && enc_start(e, err) != 0) ||
	    enc_chunk(e, true, err) != 0) {
		e->failed = true;
		return -1;
	}
	e->failed = true;	/* nothing more may be written */
	return 0;
}

void
age_enc_free(struct age_enc *e)
{
	if (e == NULL)
		return;
	sodium_free(e->s.file_key);
	EVP_CIPHER_CTX_free(e->s.aead);
	sodium_memzero(e->pbuf, sizeof(e->pbuf));
	free(e);
}

int
age_is_age(const void *p, size_t len)
{
	static const char armor[] = "-----BEGIN AGE ENCRYPTED FILE-----";
	size_t n = sizeof(AGE_V1) - 1;

	if (len >= n && memcmp(p, AGE_V1, n) == 0)
		return 1;
	return len >= sizeof(armor) - 1 &&
	    memcmp(p, armor, sizeof(armor) - 1) == 0;
}

/* One stanza: arg line at line (after "-> "), body lines after *p. */
void
age_payload_key(const unsigned char *file_key, const unsigned char nonce[16],
    unsigned char *payload_key)
{
	age_hkdf(file_key, AGE_FILE_KEY, nonce, NONCE, "payload", payload_key);
}

int
age_chunk_open(const unsigned char *payload_key, uint64_t counter,
    bool last, const unsigned char *in, size_t inlen, unsigned char *out,
    size_t *outlen)
{
	struct stream s = { .payload_key = (unsigned char *)(uintptr_t)
	    payload_key, .counter = counter };
	unsigned long long n = 0;
	unsigned char nonce[12];
	int rc;

	stream_nonce(&s, last, nonce);
	rc = payload_open(&s, out, &n, in, inlen, nonce);
	EVP_CIPHER_CTX_free(s.aead);
	*outlen = (size_t)n;
	return rc;
}

struct age_dec *
age_dec_new(const struct age_identities *ids, age_out_fn *out, void *ctx)
{
	struct age_dec *d = xcalloc(1, sizeof(*d));

	d->ids = ids;
	d->out = out;
	d->ctx = ctx;
	buf_init(&d->hdr, AGE_HEADER_MAX);
	return d;
}

/* The header is complete: find the file key and check the MAC. */
static int
dec_header(struct age_dec *d, size_t hlen, struct bk_err *err)
{
	struct age_stanza *st = NULL;
	unsigned char mac[32], want[32];
	size_t n = 0, maclen = 0;
	int rc;

	if (age_parse_header(d->hdr.data, hlen, &st, &n, mac, &maclen, err) != 0)
		return -1;
	if ((d->s.file_key = sodium_malloc(AGE_FILE_KEY + 32)) == NULL) {
		age_stanzas_free(st, n);
		return bk_err_set(err, BK_EFAIL, "age: out of locked memory");
	}
	d->s.payload_key = d->s.file_key + AGE_FILE_KEY;
	rc = age_identities_unwrap(d->ids, st, n, d->s.file_key, err);
	age_stanzas_free(st, n);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return bk_err_set(err, BK_EAUTH, "age: no identity matched "
		    "any of the file's recipients");
	age_header_mac(d->s.file_key, d->hdr.data, maclen, want);
	if (sodium_memcmp(mac, want, sizeof(mac)) != 0)
		return bk_err_set(err, BK_ECORRUPT, "age: header MAC mismatch "
		    "(the file was modified)");
	return 0;
}

static int
open_chunk(struct age_dec *d, bool last, unsigned long long *plen)
{
	unsigned char n[12];

	stream_nonce(&d->s, last, n);
	return payload_open(&d->s, d->pbuf, plen, d->cbuf, d->clen, n);
}

/*
 * Decrypt the buffered chunk.  more: bytes follow it.  A full chunk is
 * tried as the flag says first and then the other way round, as the
 * reference does, so the error names what is wrong (data after the final
 * chunk, or no final chunk) after releasing what did authenticate.
 */
static int
dec_chunk(struct age_dec *d, bool more, struct bk_err *err)
{
	unsigned long long plen;
	bool last = !more, full = d->clen == sizeof(d->cbuf);
	int rc;

	if (d->clen < TAG)
		return bk_err_set(err, BK_ECORRUPT, "age: truncated payload "
		    "chunk");
	if (open_chunk(d, last, &plen) != 0) {
		if (!full || open_chunk(d, !last, &plen) != 0)
			return bk_err_set(err, BK_ECORRUPT, "age: payload "
			    "chunk %llu failed authentication (damaged or "
			    "truncated file)", (unsigned long long)d->s.counter);
		last = !last;
	}
	if (last && plen == 0 && d->s.counter > 0)
		return bk_err_set(err, BK_ECORRUPT, "age: empty final chunk");
	d->s.counter++;
	d->clen = 0;
	if (plen > 0 && (rc = d->out(d->ctx, d->pbuf, (size_t)plen, err)) != 0)
		return rc;
	if (last && more)
		return bk_err_set(err, BK_ECORRUPT, "age: data after the final "
		    "chunk");
	if (!last && !more)
		return bk_err_set(err, BK_ECORRUPT, "age: payload ends "
		    "without a final chunk (truncated file)");
	return 0;
}

/* Bytes of the header once its MAC line is complete, else 0. */
static size_t
header_end(struct age_dec *d)
{
	const char *p = d->hdr.data + d->scanned, *end = d->hdr.data +
	    d->hdr.len, *line;
	size_t ll;

	while (age_next_line(&p, end, &line, &ll) == 0) {
		d->scanned = (size_t)(p - d->hdr.data);
		if (ll >= 3 && memcmp(line, "---", 3) == 0)
			return d->scanned;
	}
	return 0;
}

static int
dec_payload(struct age_dec *d, const unsigned char *p, size_t len,
    struct bk_err *err)
{
	size_t n;

	if (d->state == D_NONCE) {
		n = NONCE - d->nlen < len ? NONCE - d->nlen : len;
		memcpy(d->nonce + d->nlen, p, n);
		d->nlen += n;
		p += n;
		len -= n;
		if (d->nlen < NONCE)
			return 0;
		stream_keys(&d->s, d->nonce);
		d->state = D_PAYLOAD;
	}
	while (len > 0) {
		if (d->clen == sizeof(d->cbuf) && dec_chunk(d, true, err) != 0)
			return -1;
		n = sizeof(d->cbuf) - d->clen < len ? sizeof(d->cbuf) -
		    d->clen : len;
		memcpy(d->cbuf + d->clen, p, n);
		d->clen += n;
		p += n;
		len -= n;
	}
	return 0;
}

static int
binary_write(struct age_dec *d, const void *data, size_t len,
    struct bk_err *err)
{
	const unsigned char *p = data;
	size_t hlen, check, piece;

	if (d->state == D_FAILED || d->state == D_DONE)
		return bk_err_set(err, BK_ECORRUPT, "age: decoder stopped");
	while (d->state == D_HEADER && len > 0) {
		/* Look at the header in small pieces so a large write does
		 * not count payload against the header limit. */
		piece = len < 4096 ? len : 4096;
		if (buf_append(&d->hdr, p, piece) != 0) {
			bk_err_set(err, BK_ECORRUPT, "age: header too large");
			goto fail;
		}
		p += piece;
		len -= piece;
		check = d->hdr.len < sizeof(AGE_V1) - 1 ? d->hdr.len :
		    sizeof(AGE_V1) - 1;
		if (memcmp(d->hdr.data, AGE_V1, check) != 0) {
			bk_err_set(err, BK_ECORRUPT, "age: not an age v1 file");
			goto fail;
		}
		if ((hlen = header_end(d)) == 0)
			continue;
		if (dec_header(d, hlen, err) != 0)
			goto fail;
		d->state = D_NONCE;
		if (dec_payload(d, (unsigned char *)d->hdr.data + hlen,
		    d->hdr.len - hlen, err) != 0)
			goto fail;
		buf_free(&d->hdr);
	}
	if (len == 0)
		return 0;
	if (dec_payload(d, p, len, err) == 0)
		return 0;
fail:
	d->state = D_FAILED;
	return -1;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One armor line (without its LF, and without a CR before it). */
static int
armor_line(struct age_dec *d, const char *l, size_t n, struct bk_err *err)
{
	unsigned char bin[48];
	size_t i, blen;

	if (d->armor == A_LEAD) {
		if (n != sizeof(ARMOR_BEGIN) - 1 || memcmp(l, ARMOR_BEGIN, n))
			return -1;
		d->armor = A_BODY;
		return 0;
	}
	if (d->armor == A_TRAIL)
		return -1;
	if (n == sizeof(ARMOR_END) - 1 && memcmp(l, ARMOR_END, n) == 0) {
		if (d->alines == 0)
			return -1;
		d->armor = A_TRAIL;
		return 0;
	}
	/* 64-column lines, then one shorter or padded final line. */
	if (d->armor_last || n == 0 || n > 64 || n % 4 != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!age_is_b64(l[i]) && l[i] != '=')
			return -1;
	if (n < 64 || l[n - 1] == '=')
		d->armor_last = true;
	if (sodium_base642bin(bin, sizeof(bin), l, n, NULL, &blen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	d->alines++;
	return binary_write(d, bin, blen, err) != 0 ? -2 : 0;
}

static int
armor_write(struct age_dec *d, const char *p, size_t len, struct bk_err *err)
{
	size_t n;
	int rc;

	for (; len > 0; p++, len--) {
		if (d->alen == 0 && (d->armor == A_LEAD || d->armor == A_TRAIL) &&
		    is_space(*p))
			continue;	/* whitespace around the block */
		if (*p != '\n') {
			if (d->alen == sizeof(d->aline))
				goto bad;
			d->aline[d->alen++] = *p;
			continue;
		}
		n = d->alen;
		if (n > 0 && d->aline[n - 1] == '\r')
			n--;
		d->alen = 0;
		if ((rc = armor_line(d, d->aline, n, err)) == -2)
			return -1;
		if (rc != 0)
			goto bad;
	}
	return 0;
bad:
	return bk_err_set(err, BK_ECORRUPT, "age: malformed ASCII armor");
}

int
age_dec_write(struct age_dec *d, const void *data, size_t len,
    struct bk_err *err)
{
	int rc;

	if (d->state == D_FAILED || d->state == D_DONE)
		return bk_err_set(err, BK_ECORRUPT, "age: decoder stopped");
	if (!d->sniffed && len > 0) {
		/* Binary files start with the version line at byte 0. */
		d->sniffed = true;
		if (*(const char *)data == '-' || is_space(*(const char *)data))
			d->armor = A_LEAD;
	}
	rc = d->armor != A_NONE ? armor_write(d, data, len, err) :
	    binary_write(d, data, len, err);
	if (rc != 0)
		d->state = D_FAILED;
	return rc;
}

int
age_dec_finish(struct age_dec *d, struct bk_err *err)
{
	if (d->armor != A_NONE && d->state != D_FAILED) {
		/* The END line may lack its line feed. */
		if (d->armor == A_BODY && d->alen > 0 &&
		    armor_line(d, d->aline, d->alen, err) != 0) {
			d->state = D_FAILED;
			return bk_err_set(err, BK_ECORRUPT, "age: malformed "
			    "ASCII armor");
		}
		d->alen = 0;
		if (d->armor != A_TRAIL) {
			d->state = D_FAILED;
			return bk_err_set(err, BK_ECORRUPT, "age: ASCII armor "
			    "without its END line (truncated file)");
		}
	}
	switch (d->state) {
	case D_HEADER:
		bk_err_set(err, BK_ECORRUPT, d->hdr.len == 0 ? "age: empty "
		    "input" : "age: truncated header");
		break;
	case D_NONCE:
		bk_err_set(err, BK_ECORRUPT, "age: truncated payload nonce");
		break;
	case D_PAYLOAD:
		if (d->clen == 0 && d->s.counter > 0)
			bk_err_set(err, BK_ECORRUPT, "age: payload ends "
			    "without a final chunk (truncated file)");
		else if (d->clen == 0)
			bk_err_set(err, BK_ECORRUPT, "age: payload has no "
			    "chunks (truncated file)");
		else if (dec_chunk(d, false, err) == 0) {
			d->state = D_DONE;
			return 0;
		}
		break;
	case D_DONE:
	case D_FAILED:
		bk_err_set(err, BK_ECORRUPT, "age: decoder stopped");
		break;
	}
	d->state = D_FAILED;
	return -1;
}

void
age_dec_free(struct age_dec *d)
{
	if (d == NULL)
		return;
	if (d->s.file_key != NULL)
		sodium_free(d->s.file_key);
	EVP_CIPHER_CTX_free(d->s.aead);
	buf_free(&d->hdr);
	sodium_memzero(d->pbuf, sizeof(d->pbuf));
	free(d);
}
