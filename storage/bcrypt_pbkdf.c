/*
 * bcrypt_pbkdf.c - the key derivation of passphrase-protected OpenSSH
 * private keys ("openssh-key-v1" with kdf "bcrypt"), on libcrypto.
 *
 * OpenSSH derives the key and IV that encrypt a private key with
 * bcrypt_pbkdf (OpenBSD, 2013): PBKDF2's structure with SHA-512 and a
 * "bcrypt hash" in place of HMAC, where the bcrypt hash is Blowfish's
 * expensive key schedule (EksBlowfish) keyed by both the hashed
 * passphrase and the hashed salt, then 64 encryptions of a fixed text.
 * libcrypto has Blowfish (BF_encrypt over a public BF_KEY) but neither
 * the salted key schedule nor bcrypt_pbkdf; libssh2 has one inside but
 * exports neither it nor the keys it opens; so the schedule and the PBKDF
 * are here, Blowfish itself is libcrypto's.
 *
 * Blowfish's initial state is the fractional part of pi, 1042 words.
 * libcrypto keeps its copy private, and copying the table would put 1042
 * unreviewable numbers here; so the digits are computed once, with BN
 * and Machin's formula (pi = 16 atan(1/5) - 4 atan(1/239)), and checked
 * against the first and last words every Blowfish description gives.
 *
 * Invariants: every buffer that held the passphrase or state derived
 * from it is wiped before it is freed or goes out of scope.
 *
 * Threads: the pi table is made under pthread_once; the rest is
 * reentrant.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* BF_encrypt: low-level on purpose */

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/blowfish.h>
#include <openssl/bn.h>
#include <openssl/sha.h>

#include "bcrypt_pbkdf.h"

#define PI_WORDS	(BF_ROUNDS + 2 + 4 * 256)	/* 1042 */
#define GUARD_BITS	64
#define HASH_WORDS	8
#define HASH_SIZE	(HASH_WORDS * 4)

static BF_LONG		pi_words[PI_WORDS];
static int		pi_ok;
static pthread_once_t	pi_once = PTHREAD_ONCE_INIT;

/* acc += atan(1/x) * 2^bits, by its Taylor series. */
static int
add_atan_inv(BIGNUM *acc, BN_ULONG x, int bits)
{
	BIGNUM *term = BN_new(), *t = BN_new();
	BN_ULONG k;
	int rc = -1, neg = 0;

	if (term == NULL || t == NULL || !BN_one(term) ||
	    !BN_lshift(term, term, bits) || BN_div_word(term, x) ==
	    (BN_ULONG)-1)
		goto out;
	for (k = 1; !BN_is_zero(term); k += 2) {
		if (BN_copy(t, term) == NULL || BN_div_word(t, k) ==
		    (BN_ULONG)-1)
			goto out;
		if (!(neg ? BN_sub(acc, acc, t) : BN_add(acc, acc, t)))
			goto out;
		neg = !neg;
		if (BN_div_word(term, x * x) == (BN_ULONG)-1)
			goto out;
	}
	rc = 0;
out:
	BN_free(term);
	BN_free(t);
	return rc;
}

static void
make_pi(void)
{
	int bits = PI_WORDS * 32 + GUARD_BITS;
	unsigned char bin[PI_WORDS * 4];
	BIGNUM *a = BN_new(), *b = BN_new(), *three = BN_new();
	size_t i;

	if (a == NULL || b == NULL || three == NULL)
		goto out;
	BN_zero(a);
	BN_zero(b);
	if (add_atan_inv(a, 5, bits) == -1 ||
	    add_atan_inv(b, 239, bits) == -1 ||
	    !BN_lshift(a, a, 4) || !BN_lshift(b, b, 2) ||
	    !BN_sub(a, a, b) ||			/* pi * 2^bits */
	    !BN_set_word(three, 3) || !BN_lshift(three, three, bits) ||
	    !BN_sub(a, a, three) ||		/* its fraction */
	    !BN_rshift(a, a, GUARD_BITS) ||
	    BN_bn2binpad(a, bin, sizeof(bin)) != (int)sizeof(bin))
		goto out;
	for (i = 0; i < PI_WORDS; i++)
		pi_words[i] = (BF_LONG)bin[4 * i] << 24 |
		    (BF_LONG)bin[4 * i + 1] << 16 |
		    (BF_LONG)bin[4 * i + 2] << 8 | bin[4 * i + 3];
	/* P[0], S[0][0], S[3][255] as Schneier's paper gives them. */
	pi_ok = pi_words[0] == 0x243f6a88 && pi_words[18] == 0xd1310ba6 &&
	    pi_words[PI_WORDS - 1] == 0x3ac372e6;
out:
	BN_free(a);
	BN_free(b);
	BN_free(three);
}

/* The next big-endian word of data, cycling (Blowfish_stream2word). */
static BF_LONG
stream_word(const unsigned char *data, size_t len, size_t *at)
{
	BF_LONG w = 0;
	int i;

	for (i = 0; i < 4; i++) {
		w = w << 8 | data[*at];
		*at = (*at + 1) % len;
	}
	return w;
}

/*
 * The salted key schedule (Blowfish_expandstate); salt NULL is the plain
 * one (Blowfish_expand0state).  Keys and salts here are 64 bytes.
 */
static void
expand(BF_KEY *st, const unsigned char *salt, const unsigned char *key)
{
	BF_LONG d[2] = { 0, 0 }, *dst;
	size_t i, j = 0, k = 0;

	for (i = 0; i < BF_ROUNDS + 2; i++)
		st->P[i] ^= stream_word(key, SHA512_DIGEST_LENGTH, &j);
	for (i = 0; i < PI_WORDS; i += 2) {
		if (salt != NULL) {
			d[0] ^= stream_word(salt, SHA512_DIGEST_LENGTH, &k);
			d[1] ^= stream_word(salt, SHA512_DIGEST_LENGTH, &k);
		}
		BF_encrypt(d, st);
		dst = i < BF_ROUNDS + 2 ? &st->P[i] :
		    &st->S[i - (BF_ROUNDS + 2)];
		dst[0] = d[0];
		dst[1] = d[1];
	}
}

static void
bcrypt_hash(const unsigned char *pass, const unsigned char *salt,
    unsigned char out[HASH_SIZE])
{
	static const char text[HASH_SIZE + 1] =
	    "OxychromaticBlowfishSwatDynamite";
	BF_KEY st;
	BF_LONG c[HASH_WORDS];
	size_t i, j = 0;

	memcpy(st.P, pi_words, sizeof(st.P));
	memcpy(st.S, pi_words + BF_ROUNDS + 2, sizeof(st.S));
	expand(&st, salt, pass);
	for (i = 0; i < 64; i++) {
		expand(&st, NULL, salt);
		expand(&st, NULL, pass);
	}
	for (i = 0; i < HASH_WORDS; i++)
		c[i] = stream_word((const unsigned char *)text, HASH_SIZE, &j);
	for (i = 0; i < 64; i++)
		for (j = 0; j < HASH_WORDS; j += 2)
			BF_encrypt(c + j, &st);
	for (i = 0; i < HASH_WORDS; i++) {	/* little-endian out */
		out[4 * i] = (unsigned char)c[i];
		out[4 * i + 1] = (unsigned char)(c[i] >> 8);
		out[4 * i + 2] = (unsigned char)(c[i] >> 16);
		out[4 * i + 3] = (unsigned char)(c[i] >> 24);
	}
	explicit_bzero(&st, sizeof(st));
	explicit_bzero(c, sizeof(c));
}

int
bcrypt_pbkdf(const char *pass, size_t passlen, const unsigned char *salt,
    size_t saltlen, unsigned char *key, size_t keylen, unsigned int rounds)
{
	unsigned char sha2pass[SHA512_DIGEST_LENGTH];
	unsigned char sha2salt[SHA512_DIGEST_LENGTH];
	unsigned char out[HASH_SIZE], tmp[HASH_SIZE], *countsalt;
	size_t stride, amt, left = keylen, i, dest;
	uint32_t count;
	unsigned int r;

	pthread_once(&pi_once, make_pi);
	if (!pi_ok || rounds < 1 || keylen == 0 || keylen > HASH_SIZE *
	    HASH_SIZE || saltlen == 0 || saltlen > 1024)
		return -1;
	stride = (keylen + HASH_SIZE - 1) / HASH_SIZE;
	amt = (keylen + stride - 1) / stride;
	countsalt = malloc(saltlen + 4);
	if (countsalt == NULL)
		return -1;
	memcpy(countsalt, salt, saltlen);
	SHA512((const unsigned char *)pass, passlen, sha2pass);
	/* Each block's bytes are spread over the key with this stride, so
	 * every key byte costs the full number of rounds. */
	for (count = 1; left > 0; count++) {
		countsalt[saltlen] = (unsigned char)(count >> 24);
		countsalt[saltlen + 1] = (unsigned char)(count >> 16);
		countsalt[saltlen + 2] = (unsigned char)(count >> 8);
		countsalt[saltlen + 3] = (unsigned char)count;
		SHA512(countsalt, saltlen + 4, sha2salt);
		bcrypt_hash(sha2pass, sha2salt, tmp);
		memcpy(out, tmp, sizeof(out));
		for (r = 1; r < rounds; r++) {
			SHA512(tmp, sizeof(tmp), sha2salt);
			bcrypt_hash(sha2pass, sha2salt, tmp);
			for (i = 0; i < sizeof(out); i++)
				out[i] ^= tmp[i];
		}
		if (amt > left)
			amt = left;
		for (i = 0; i < amt; i++) {
			dest = i * stride + (count - 1);
			if (dest >= keylen)
				break;
			key[dest] = out[i];
		}
		left -= i;
	}
	explicit_bzero(sha2pass, sizeof(sha2pass));
	explicit_bzero(sha2salt, sizeof(sha2salt));
	explicit_bzero(out, sizeof(out));
	explicit_bzero(tmp, sizeof(tmp));
	free(countsalt);
	return 0;
}
