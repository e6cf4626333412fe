/*
 * crypt_age_keys.c - age recipient and identity types: X25519 (bech32
 * age1.../AGE-SECRET-KEY-1...), scrypt passphrases, ssh-ed25519 and
 * ssh-rsa, following age-encryption.org/v1 and the reference agessh.
 *
 * Invariants: every private scalar, ed25519 seed and passphrase is held in
 * sodium_malloc'd memory and wiped on free; an RSA private key lives in an
 * OpenSSL EVP_PKEY (which clears its own memory on free).  Parsing is
 * strict: a stanza addressed to one of our types but malformed is an error
 * (BK_ECORRUPT), one that simply does not open is "no match".
 * Threads: none; the sets are read-only once built and may be shared.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "buf.h"
#include "crypt_age.h"
#include "crypt_age_int.h"
#include "err.h"
#include "xmalloc.h"

static const char b32chars[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
b32_polymod(const unsigned char *v, size_t n)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
	    0x3d4233dd, 0x2a1462b3 };
	uint32_t chk = 1, top;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		top = chk >> 25;
		chk = ((chk & 0x1ffffff) << 5) ^ v[i];
		for (j = 0; j < 5; j++)
			if ((top >> j) & 1)
				chk ^= gen[j];
	}
	return chk;
}

/* hrp-expanded values followed by data; caller frees. */
static unsigned char *
b32_expand(const char *hrp, const unsigned char *data, size_t n, size_t *len)
{
	size_t hl = strlen(hrp), i;
	unsigned char *v = xmalloc(hl * 2 + 1 + n + 6);

	for (i = 0; i < hl; i++) {
		v[i] = (unsigned char)hrp[i] >> 5;
		v[hl + 1 + i] = (unsigned char)hrp[i] & 31;
	}
	v[hl] = 0;
	memcpy(v + 2 * hl + 1, data, n);
	*len = 2 * hl + 1 + n;
	return v;
}

/* Encode 8-bit data as bech32 (lower case) with hrp. */
char *
age_b32_encode(const char *hrp, const unsigned char *data, size_t n)
{
	unsigned char d5[128] = { 0 };
	size_t nd = 0, len, i, hl = strlen(hrp);
	unsigned char *v;
	uint32_t acc = 0, chk;
	int bits = 0;
	char *s;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			d5[nd++] = (acc >> bits) & 31;
		}
	}
	if (bits > 0)
		d5[nd++] = (acc << (5 - bits)) & 31;
	v = b32_expand(hrp, d5, nd, &len);
	memset(v + len, 0, 6);
	chk = b32_polymod(v, len + 6) ^ 1;
	free(v);
	s = xmalloc(hl + 1 + nd + 6 + 1);
	memcpy(s, hrp, hl);
	s[hl] = '1';
	for (i = 0; i < nd; i++)
		s[hl + 1 + i] = b32chars[d5[i]];
	for (i = 0; i < 6; i++)
		s[hl + 1 + nd + i] = b32chars[(chk >> (5 * (5 - i))) & 31];
	s[hl + 1 + nd + 6] = '\0';
	return s;
}

/* Decode bech32 str (one case only) with the expected hrp into exactly
 * want bytes.  0 or -1. */
int
age_b32_decode(const char *str, const char *hrp, unsigned char *out, size_t want)
{
	size_t n = strlen(str), hl = strlen(hrp), i, nd, len, no = 0;
	unsigned char d5[128] = { 0 }, *v;
	bool lower = false, upper = false;
	uint32_t acc = 0;
	int bits = 0, rc = -1;
	const char *p;

	for (i = 0; i < n; i++) {
		if (str[i] < 33 || str[i] > 126)
			return -1;
		lower |= islower((unsigned char)str[i]) != 0;
		upper |= isupper((unsigned char)str[i]) != 0;
	}
	if ((lower && upper) || n < hl + 7 || str[hl] != '1' ||
	    strncasecmp(str, hrp, hl) != 0 || (nd = n - hl - 1) > sizeof(d5))
		return -1;
	for (i = 0; i < nd; i++) {
		p = strchr(b32chars, tolower((unsigned char)str[hl + 1 + i]));
		if (p == NULL || *p == '\0')
			return -1;
		d5[i] = (unsigned char)(p - b32chars);
	}
	v = b32_expand(hrp, d5, nd, &len);
	if (b32_polymod(v, len) != 1)
		goto out;
	for (i = 0; i < nd - 6; i++) {
		acc = (acc << 5) | d5[i];
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (no == want)
				goto out;
			out[no++] = (acc >> bits) & 0xff;
		}
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0 || no != want)
		goto out;
	rc = 0;
out:
	free(v);
	return rc;
}

int
age_wire_str(struct wire *w, const unsigned char **s, size_t *len)
{
	uint32_t l;

	if (w->n < 4)
		return -1;
	l = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 |
	    (uint32_t)w->p[2] << 8 | w->p[3];
	if (l > w->n - 4)
		return -1;
	*s = w->p + 4;
	*len = l;
	w->p += 4 + l;
	w->n -= 4 + l;
	return 0;
}

bool
age_wire_is(struct wire *w, const char *want)
{
	const unsigned char *s;
	size_t l;

	return age_wire_str(w, &s, &l) == 0 && l == strlen(want) &&
	    memcmp(s, want, l) == 0;
}

void
age_ssh_tag(const unsigned char *blob, size_t n, char tag[8])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, blob, n);
	sodium_bin2base64(tag, 8, h, 4, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

void
age_key_clear(struct age_key *k)
{
	if (k->secret != NULL)
		sodium_free(k->secret);
	EVP_PKEY_free(k->rsa);
	sodium_memzero(k, sizeof(*k));
}

/* Set up the ed25519 parts from the wire blob (pk taken from it). */
int
age_ed25519_setup(struct age_key *k, const unsigned char *blob, size_t n)
{
	struct wire w = { blob, n };
	const unsigned char *pk;
	size_t pklen;

	if (!age_wire_is(&w, "ssh-ed25519") || age_wire_str(&w, &pk, &pklen) != 0 ||
	    pklen != 32 || w.n != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(k->pk, pk) != 0)
		return -1;
	age_hkdf(NULL, 0, blob, n, LABEL_ED25519, k->tweak);
	age_ssh_tag(blob, n, k->tag);
	k->kind = K_ED25519;
	return 0;
}

EVP_PKEY *
age_rsa_from_bn(BIGNUM *bn[], int private)
{
	static const char *names[] = { OSSL_PKEY_PARAM_RSA_N,
	    OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
	    OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
	    OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
	    OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int i, nparams = private ? 8 : 2;

	if (bld == NULL)
		return NULL;
	for (i = 0; i < nparams; i++)
		if (!OSSL_PARAM_BLD_push_BN(bld, names[i], bn[i]))
			goto out;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, private ? EVP_PKEY_KEYPAIR :
	    EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* ssh-rsa public blob: string "ssh-rsa", mpint e, mpint n. */
static int
rsa_pub_setup(struct age_key *k, const unsigned char *blob, size_t n)
{
	struct wire w = { blob, n };
	const unsigned char *e, *m;
	size_t el, ml;
	BIGNUM *bn[2] = { NULL, NULL };
	int rc = -1;

	if (!age_wire_is(&w, "ssh-rsa") || age_wire_str(&w, &e, &el) != 0 ||
	    age_wire_str(&w, &m, &ml) != 0 || w.n != 0 || ml < 128)
		return -1;
	bn[0] = BN_bin2bn(m, (int)ml, NULL);
	bn[1] = BN_bin2bn(e, (int)el, NULL);
	if (bn[0] != NULL && bn[1] != NULL &&
	    (k->rsa = age_rsa_from_bn(bn, 0)) != NULL) {
		age_ssh_tag(blob, n, k->tag);
		k->kind = K_RSA;
		rc = 0;
	}
	BN_free(bn[0]);
	BN_free(bn[1]);
	return rc;
}

void
age_key_push(struct age_key **v, size_t *n, struct age_key *k)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = *k;
}

struct age_recipients *
age_recipients_new(void)
{
	return xcalloc(1, sizeof(struct age_recipients));
}

int
age_recipients_add(struct age_recipients *r, const char *s,
    struct bk_err *err)
{
	struct age_key k = { 0 };
	unsigned char blob[2048];
	char b64[4096];
	size_t bloblen, len;
	const char *sp;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (strncmp(s, "age1", 4) == 0 && len < 128) {
		memcpy(b64, s, len);
		b64[len] = '\0';
		if (age_b32_decode(b64, "age", k.pk, 32) != 0)
			return bk_err_set(err, BK_ECONFIG, "AGE_PUBLIC_KEYS: "
			    "\"%.12s...\" is not a valid age1 public key", s);
		k.kind = K_X25519;
	} else if (strncmp(s, "ssh-ed25519 ", 12) == 0 ||
	    strncmp(s, "ssh-rsa ", 8) == 0) {
		sp = strchr(s, ' ') + 1;
		len = strcspn(sp, " \t\r\n");
		if (len >= sizeof(b64))
			goto bad_ssh;
		memcpy(b64, sp, len);
		b64[len] = '\0';
		if (sodium_base642bin(blob, sizeof(blob), b64, len, NULL,
		    &bloblen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
			goto bad_ssh;
		if (s[4] == 'e' ? age_ed25519_setup(&k, blob, bloblen) != 0 :
		    rsa_pub_setup(&k, blob, bloblen) != 0)
			goto bad_ssh;
	} else
		return bk_err_set(err, BK_ECONFIG, "AGE_PUBLIC_KEYS: unknown "
		    "recipient type \"%.12s...\" (want age1..., ssh-ed25519 or "
		    "ssh-rsa)", s);
	age_key_push(&r->v, &r->n, &k);
	return 0;
bad_ssh:
	age_key_clear(&k);
	return bk_err_set(err, BK_ECONFIG, "AGE_PUBLIC_KEYS: \"%.20s...\" is "
	    "not a valid ssh public key", s);
}

int
age_recipients_add_passphrase(struct age_recipients *r, const char *pw,
    size_t len, int wf, struct bk_err *err)
{
	struct age_key k = { .kind = K_SCRYPT, .work_factor = wf };

	if (len == 0)
		return bk_err_set(err, BK_ECONFIG, "AGE_PASSPHRASE: empty");
	if (wf < 1 || wf > AGE_SCRYPT_MAX_FACTOR)
		return bk_err_set(err, BK_ECONFIG, "age: scrypt work factor "
		    "%d out of range", wf);
	if ((k.secret = sodium_malloc(len)) == NULL)
		return bk_err_set(err, BK_EFAIL, "age: out of locked memory");
	memcpy(k.secret, pw, len);
	k.secretlen = len;
	age_key_push(&r->v, &r->n, &k);
	return 0;
}

size_t
age_recipients_count(const struct age_recipients *r)
{
	return r->n;
}

void
age_recipients_free(struct age_recipients *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		age_key_clear(&r->v[i]);
	free(r->v);
	free(r);
}

static int
aead_seal_key(const unsigned char key[32], const unsigned char *file_key,
    unsigned char body[AGE_FILE_KEY + 16])
{
	static const unsigned char zero[12];

	return crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key,
	    AGE_FILE_KEY, NULL, 0, NULL, zero, key);
}

/* X25519 and ssh-ed25519 share everything but the tweak and label. */
static int
wrap_x25519(const struct age_key *k, const unsigned char *file_key,
    struct buf *hdr)
{
	unsigned char *eph, *shared, *key, salt[64], *raw;
	unsigned char body[AGE_FILE_KEY + 16];
	struct buf args;
	int rc = -1;

	eph = sodium_malloc(128);
	if (eph == NULL)
		return -1;
	shared = eph + 32;
	key = eph + 64;
	raw = eph + 96;
	randombytes_buf(eph, 32);
	if (crypto_scalarmult_base(salt, eph) != 0 ||
	    crypto_scalarmult(raw, eph, k->pk) != 0)
		goto out;
	if (k->kind != K_ED25519)
		memcpy(shared, raw, 32);
	else if (crypto_scalarmult(shared, k->tweak, raw) != 0)
		goto out;
	memcpy(salt + 32, k->pk, 32);
	age_hkdf(shared, 32, salt, 64, k->kind == K_ED25519 ? LABEL_ED25519 :
	    LABEL_X25519, key);
	aead_seal_key(key, file_key, body);
	buf_init(&args, 4096);
	if (k->kind == K_ED25519)
		buf_printf(&args, "ssh-ed25519 %s ", k->tag);
	else
		buf_puts(&args, "X25519 ");
	age_b64_append(&args, salt, 32);
	age_stanza_append(hdr, args.data, body, sizeof(body));
	buf_free(&args);
	rc = 0;
out:
	sodium_free(eph);
	return rc;
}

int
age_scrypt_key(const unsigned char *pw, size_t pwlen, const unsigned char salt[16],
    int wf, unsigned char key[32])
{
	unsigned char s[sizeof(LABEL_SCRYPT) - 1 + 16];

	memcpy(s, LABEL_SCRYPT, sizeof(LABEL_SCRYPT) - 1);
	memcpy(s + sizeof(LABEL_SCRYPT) - 1, salt, 16);
	return crypto_pwhash_scryptsalsa208sha256_ll(pw, pwlen, s, sizeof(s),
	    (uint64_t)1 << wf, 8, 1, key, 32);
}

static int
wrap_scrypt(const struct age_key *k, const unsigned char *file_key,
    struct buf *hdr)
{
	unsigned char salt[16], *key, body[AGE_FILE_KEY + 16];
	struct buf args;

	if ((key = sodium_malloc(32)) == NULL)
		return -1;
	randombytes_buf(salt, sizeof(salt));
	if (age_scrypt_key(k->secret, k->secretlen, salt, k->work_factor,
	    key) != 0) {
		sodium_free(key);
		return -1;
	}
	aead_seal_key(key, file_key, body);
	sodium_free(key);
	buf_init(&args, 4096);
	buf_puts(&args, "scrypt ");
	age_b64_append(&args, salt, 16);
	buf_printf(&args, " %d", k->work_factor);
	age_stanza_append(hdr, args.data, body, sizeof(body));
	buf_free(&args);
	return 0;
}

static int
wrap_rsa(const struct age_key *k, const unsigned char *file_key,
    struct buf *hdr)
{
	EVP_PKEY_CTX *ctx;
	unsigned char out[1024];
	size_t outlen = sizeof(out);
	char *label = NULL, args[32];
	int rc = -1;

	if ((ctx = EVP_PKEY_CTX_new(k->rsa, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_encrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
	    (label = OPENSSL_strdup(LABEL_RSA)) == NULL ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label,
	    (int)strlen(LABEL_RSA)) <= 0)
		goto out;
	label = NULL;
	if (EVP_PKEY_encrypt(ctx, out, &outlen, file_key, AGE_FILE_KEY) <= 0)
		goto out;
	snprintf(args, sizeof(args), "ssh-rsa %s", k->tag);
	age_stanza_append(hdr, args, out, outlen);
	rc = 0;
out:
	OPENSSL_free(label);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int
age_recipients_wrap(const struct age_recipients *r,
    const unsigned char *file_key, struct buf *hdr, struct bk_err *err)
{
	size_t i;
	int rc;

	if (r->n == 0)
		return bk_err_set(err, BK_ECONFIG, "age: no recipients");
	for (i = 0; i < r->n; i++) {
		if (r->v[i].kind == K_SCRYPT && r->n > 1)
			return bk_err_set(err, BK_ECONFIG, "age: a passphrase "
			    "must be the only recipient");
		switch (r->v[i].kind) {
		case K_SCRYPT:
			rc = wrap_scrypt(&r->v[i], file_key, hdr);
			break;
		case K_RSA:
			rc = wrap_rsa(&r->v[i], file_key, hdr);
			break;
		default:
			rc = wrap_x25519(&r->v[i], file_key, hdr);
			break;
		}
		if (rc != 0)
			return bk_err_set(err, BK_EFAIL, "age: cannot wrap the "
			    "file key for recipient %zu", i + 1);
	}
	return 0;
}

