/*
 * crypt_age_ident.c - age identities: AGE-SECRET-KEY-1 lines, OpenSSH
 * (openssh-key-v1, unencrypted) ed25519 and RSA keys, PEM RSA keys, and
 * passphrases; and unwrapping the file key from a parsed header.
 *
 * Invariants: secrets are copied into sodium_malloc'd memory at once and
 * temporaries are wiped; a stanza of one of our types that is malformed
 * (argument count, non-canonical base64, wrong body length, low-order
 * share, scrypt work factor above AGE_SCRYPT_MAX_FACTOR) is an error, as
 * in the reference implementation, while one that does not open with our
 * keys is skipped.  Threads: none.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "crypt_age.h"
#include "crypt_age_int.h"
#include "err.h"
#include "xmalloc.h"

struct age_identities *
age_identities_new(void)
{
	return xcalloc(1, sizeof(struct age_identities));
}

size_t
age_identities_count(const struct age_identities *ids)
{
	return ids->n;
}

void
age_identities_free(struct age_identities *ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < ids->n; i++)
		age_key_clear(&ids->v[i]);
	free(ids->v);
	free(ids);
}

int
age_identities_add_passphrase(struct age_identities *ids, const char *pw,
    size_t len, struct bk_err *err)
{
	struct age_key k = { .kind = K_SCRYPT };

	if (len == 0)
		return bk_err_set(err, BK_ECONFIG, "age: empty passphrase");
	if ((k.secret = sodium_malloc(len)) == NULL)
		return bk_err_set(err, BK_EFAIL, "age: out of locked memory");
	memcpy(k.secret, pw, len);
	k.secretlen = len;
	age_key_push(&ids->v, &ids->n, &k);
	return 0;
}

static int
add_x25519(struct age_identities *ids, const char *line, size_t len,
    struct bk_err *err)
{
	struct age_key k = { .kind = K_X25519 };
	char *s;
	int rc;

	if ((s = sodium_malloc(len + 1)) == NULL ||
	    (k.secret = sodium_malloc(32)) == NULL) {
		if (s != NULL)
			sodium_free(s);
		return bk_err_set(err, BK_EFAIL, "age: out of locked memory");
	}
	memcpy(s, line, len);
	s[len] = '\0';
	rc = age_b32_decode(s, "age-secret-key-", k.secret, 32);
	if (rc == 0 && isupper((unsigned char)s[0]) == 0)
		rc = -1;	/* identities are upper case */
	sodium_free(s);
	if (rc != 0) {
		age_key_clear(&k);
		return bk_err_set(err, BK_ECONFIG, "age identity: malformed "
		    "AGE-SECRET-KEY-1 line");
	}
	k.secretlen = 32;
	crypto_scalarmult_base(k.pk, k.secret);
	age_key_push(&ids->v, &ids->n, &k);
	return 0;
}

static int
add_rsa_parts(struct age_identities *ids, EVP_PKEY *pkey, struct bk_err *err)
{
	struct age_key k = { .kind = K_RSA, .rsa = pkey };
	BIGNUM *n = NULL, *e = NULL;
	unsigned char blob[2048], *p = blob;
	int nl, el;

	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) ||
	    (nl = BN_num_bytes(n)) > 1024 || (el = BN_num_bytes(e)) > 64) {
		BN_free(n);
		BN_free(e);
		EVP_PKEY_free(pkey);
		return bk_err_set(err, BK_ECONFIG, "age identity: unusable "
		    "RSA key");
	}
	/* ssh wire form "ssh-rsa", mpint e, mpint n: the tag is its hash. */
	memcpy(p, "\0\0\0\7ssh-rsa", 11);
	p += 11;
	*p++ = 0; *p++ = 0; *p++ = 0;
	*p++ = (unsigned char)(el + (BN_num_bits(e) % 8 == 0));
	if (BN_num_bits(e) % 8 == 0)
		*p++ = 0;
	p += BN_bn2bin(e, p);
	*p++ = (unsigned char)((nl + (BN_num_bits(n) % 8 == 0)) >> 24);
	*p++ = (unsigned char)((nl + (BN_num_bits(n) % 8 == 0)) >> 16);
	*p++ = (unsigned char)((nl + (BN_num_bits(n) % 8 == 0)) >> 8);
	*p++ = (unsigned char)(nl + (BN_num_bits(n) % 8 == 0));
	if (BN_num_bits(n) % 8 == 0)
		*p++ = 0;
	p += BN_bn2bin(n, p);
	age_ssh_tag(blob, (size_t)(p - blob), k.tag);
	BN_free(n);
	BN_free(e);
	age_key_push(&ids->v, &ids->n, &k);
	return 0;
}

static int
add_pem(struct age_identities *ids, const char *data, size_t len,
    struct bk_err *err)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	EVP_PKEY *pkey;

	if (bio == NULL)
		return bk_err_set(err, BK_EFAIL, "age identity: out of memory");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	if (pkey == NULL || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		return bk_err_set(err, BK_ECONFIG, "age identity: cannot read "
		    "the PEM private key (encrypted keys are not supported; "
		    "remove the passphrase with ssh-keygen -p)");
	}
	return add_rsa_parts(ids, pkey, err);
}

static EVP_PKEY *
openssh_rsa(struct wire *w)
{
	const unsigned char *s[6];
	size_t l[6];
	BIGNUM *bn[8] = { NULL }, *t = NULL;
	BN_CTX *bctx = BN_CTX_new();
	EVP_PKEY *pkey = NULL;
	int i;

	/* n, e, d, iqmp, p, q */
	for (i = 0; i < 6; i++)
		if (age_wire_str(w, &s[i], &l[i]) != 0)
			goto out;
	bn[0] = BN_bin2bn(s[0], (int)l[0], NULL);
	bn[1] = BN_bin2bn(s[1], (int)l[1], NULL);
	bn[2] = BN_secure_new();
	BN_bin2bn(s[2], (int)l[2], bn[2]);
	bn[7] = BN_bin2bn(s[3], (int)l[3], NULL);
	bn[3] = BN_bin2bn(s[4], (int)l[4], NULL);
	bn[4] = BN_bin2bn(s[5], (int)l[5], NULL);
	bn[5] = BN_secure_new();
	bn[6] = BN_secure_new();
	t = BN_new();
	if (bctx == NULL || t == NULL || bn[5] == NULL || bn[6] == NULL)
		goto out;
	/* OpenSSH stores no CRT exponents: d mod (p-1), d mod (q-1). */
	if (!BN_sub(t, bn[3], BN_value_one()) ||
	    !BN_mod(bn[5], bn[2], t, bctx) ||
	    !BN_sub(t, bn[4], BN_value_one()) ||
	    !BN_mod(bn[6], bn[2], t, bctx))
		goto out;
	pkey = age_rsa_from_bn(bn, 1);
out:
	for (i = 0; i < 8; i++)
		BN_clear_free(bn[i]);
	BN_free(t);
	BN_CTX_free(bctx);
	return pkey;
}

/* openssh-key-v1: magic, cipher, kdf, kdfopts, nkeys, pubkey, private. */
static int
add_openssh(struct age_identities *ids, const char *data, size_t len,
    struct bk_err *err)
{
	static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
	static const char end[] = "-----END OPENSSH PRIVATE KEY-----";
	const char *b = strstr(data, begin), *e;
	const unsigned char *cipher, *kdf, *opts, *pub, *priv, *type, *pk, *sk;
	size_t cl, kl, ol, pl, privl, tl, pkl, skl, binlen;
	unsigned char *bin = NULL;
	struct age_key k = { 0 };
	struct wire w, pw;
	EVP_PKEY *pkey;
	int rc = -1;

	if (b == NULL || (e = strstr(b, end)) == NULL)
		goto bad;
	b += sizeof(begin) - 1;
	if ((bin = sodium_malloc((size_t)(e - b))) == NULL)
		return bk_err_set(err, BK_EFAIL, "age: out of locked memory");
	if (sodium_base642bin(bin, (size_t)(e - b), b, (size_t)(e - b),
	    " \t\r\n", &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    binlen < 15 || memcmp(bin, "openssh-key-v1", 15) != 0)
		goto bad;
	w.p = bin + 15;
	w.n = binlen - 15;
	if (age_wire_str(&w, &cipher, &cl) != 0 ||
	    age_wire_str(&w, &kdf, &kl) != 0 ||
	    age_wire_str(&w, &opts, &ol) != 0 || w.n < 4)
		goto bad;
	if (cl != 4 || memcmp(cipher, "none", 4) != 0) {
		rc = bk_err_set(err, BK_ECONFIG, "age identity: the OpenSSH "
		    "key is encrypted; remove its passphrase (ssh-keygen -p) "
		    "for use as an identity");
		goto out;
	}
	w.p += 4;
	w.n -= 4;
	if (age_wire_str(&w, &pub, &pl) != 0 ||
	    age_wire_str(&w, &priv, &privl) != 0 || privl < 8 ||
	    memcmp(priv, priv + 4, 4) != 0)
		goto bad;
	pw.p = priv + 8;
	pw.n = privl - 8;
	if (age_wire_str(&pw, &type, &tl) != 0)
		goto bad;
	if (tl == 11 && memcmp(type, "ssh-ed25519", 11) == 0) {
		if (age_wire_str(&pw, &pk, &pkl) != 0 || pkl != 32 ||
		    age_wire_str(&pw, &sk, &skl) != 0 || skl != 64 ||
		    age_ed25519_setup(&k, pub, pl) != 0)
			goto bad;
		if ((k.secret = sodium_malloc(32)) == NULL) {
			rc = bk_err_set(err, BK_EFAIL, "age: out of memory");
			goto out;
		}
		k.secretlen = 32;
		crypto_sign_ed25519_sk_to_curve25519(k.secret, sk);
		age_key_push(&ids->v, &ids->n, &k);
		rc = 0;
	} else if (tl == 7 && memcmp(type, "ssh-rsa", 7) == 0) {
		if ((pkey = openssh_rsa(&pw)) == NULL)
			goto bad;
		rc = add_rsa_parts(ids, pkey, err);
	} else
		rc = bk_err_set(err, BK_ECONFIG, "age identity: unsupported "
		    "OpenSSH key type (want ssh-ed25519 or ssh-rsa)");
	goto out;
bad:
	age_key_clear(&k);
	rc = bk_err_set(err, BK_ECONFIG, "age identity: malformed OpenSSH "
	    "private key");
out:
	if (bin != NULL)
		sodium_free(bin);
	return rc;
}

int
age_identities_add_data(struct age_identities *ids, const char *data,
    size_t len, struct bk_err *err)
{
	const char *p = data, *end = data + len, *nl;
	size_t l;
	int n = 0;

	if (memmem(data, len, "-----BEGIN OPENSSH PRIVATE KEY-----", 35))
		return add_openssh(ids, data, len, err);
	if (memmem(data, len, "-----BEGIN", 10) != NULL)
		return add_pem(ids, data, len, err);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		while (p < nl && isspace((unsigned char)*p))
			p++;
		l = (size_t)(nl - p);
		while (l > 0 && isspace((unsigned char)p[l - 1]))
			l--;
		if (l == 0 || *p == '#')
			continue;
		if (l > 19 && strncmp(p, "AGE-SECRET-KEY-PQ-1", 19) == 0)
			return bk_err_set(err, BK_ENOTSUP, "age identity: "
			    "post-quantum identities are not supported");
		if (l < 16 || strncmp(p, "AGE-SECRET-KEY-1", 16) != 0)
			return bk_err_set(err, BK_ECONFIG, "age identity: "
			    "line %d is not an AGE-SECRET-KEY-1 identity",
			    n + 1);
		if (add_x25519(ids, p, l, err) != 0)
			return -1;
		n++;
	}
	if (n == 0)
		return bk_err_set(err, BK_ECONFIG, "age identity: no identity "
		    "found");
	return 0;
}

static int
aead_open_key(const unsigned char key[32], const unsigned char *body,
    unsigned char *file_key)
{
	static const unsigned char zero[12];

	return crypto_aead_chacha20poly1305_ietf_decrypt(file_key, NULL, NULL,
	    body, AGE_FILE_KEY + 16, NULL, 0, zero, key);
}

/* ^[1-9][0-9]*$, at most two digits. */
static int
parse_wf(const char *s)
{
	if (s[0] < '1' || s[0] > '9')
		return -1;
	if (s[1] == '\0')
		return s[0] - '0';
	if (s[1] < '0' || s[1] > '9' || s[2] != '\0')
		return -1;
	return (s[0] - '0') * 10 + s[1] - '0';
}

/* 1 opened, 0 not ours, -1 malformed. */
static int
unwrap_one(const struct age_key *k, struct age_stanza *st,
    unsigned char *file_key, struct bk_err *err)
{
	unsigned char share[32], salt[64], *shared, *key, *raw;
	unsigned char salt16[16], rsaout[512];
	size_t len, outlen = sizeof(rsaout);
	EVP_PKEY_CTX *ctx;
	char *label;
	int wf, rc = 0;

	switch (k->kind) {
	case K_X25519:
	case K_ED25519:
		if (strcmp(st->args[0], k->kind == K_X25519 ? "X25519" :
		    "ssh-ed25519") != 0)
			return 0;
		if (k->kind == K_ED25519 &&
		    (st->nargs != 3 || strcmp(st->args[1], k->tag) != 0))
			return st->nargs != 3 ? bk_err_set(err, BK_ECORRUPT,
			    "age: malformed ssh-ed25519 stanza") : 0;
		if ((k->kind == K_X25519 && st->nargs != 2) ||
		    age_b64_decode(st->args[st->nargs - 1],
		    strlen(st->args[st->nargs - 1]), share, 32, &len) != 0 ||
		    len != 32 || st->bodylen != AGE_FILE_KEY + 16)
			return bk_err_set(err, BK_ECORRUPT, "age: malformed %s "
			    "stanza", st->args[0]);
		if ((shared = sodium_malloc(96)) == NULL)
			return bk_err_set(err, BK_EFAIL, "age: out of memory");
		key = shared + 32;
		raw = shared + 64;
		if (crypto_scalarmult(raw, k->secret, share) != 0 ||
		    (k->kind == K_ED25519 ? crypto_scalarmult(shared,
		    k->tweak, raw) : (memcpy(shared, raw, 32), 0)) != 0) {
			sodium_free(shared);
			return bk_err_set(err, BK_ECORRUPT, "age: %s stanza "
			    "with a low-order share", st->args[0]);
		}
		memcpy(salt, share, 32);
		memcpy(salt + 32, k->pk, 32);
		age_hkdf(shared, 32, salt, 64, k->kind == K_X25519 ?
		    LABEL_X25519 : LABEL_ED25519, key);
		rc = aead_open_key(key, st->body, file_key) == 0;
		sodium_free(shared);
		return rc;
	case K_SCRYPT:
		if (strcmp(st->args[0], "scrypt") != 0)
			return 0;
		if (st->nargs != 3 || age_b64_decode(st->args[1],
		    strlen(st->args[1]), salt16, 16, &len) != 0 || len != 16 ||
		    (wf = parse_wf(st->args[2])) < 0 ||
		    st->bodylen != AGE_FILE_KEY + 16)
			return bk_err_set(err, BK_ECORRUPT, "age: malformed "
			    "scrypt stanza");
		if (wf > AGE_SCRYPT_MAX_FACTOR)
			return bk_err_set(err, BK_ECORRUPT, "age: scrypt work "
			    "factor %d is above the limit of %d", wf,
			    AGE_SCRYPT_MAX_FACTOR);
		if ((key = sodium_malloc(32)) == NULL)
			return bk_err_set(err, BK_EFAIL, "age: out of memory");
		if (age_scrypt_key(k->secret, k->secretlen, salt16, wf,
		    key) != 0)
			rc = bk_err_set(err, BK_EFAIL, "age: scrypt failed "
			    "(out of memory?)");
		else
			rc = aead_open_key(key, st->body, file_key) == 0;
		sodium_free(key);
		return rc;
	case K_RSA:
		if (strcmp(st->args[0], "ssh-rsa") != 0)
			return 0;
		if (st->nargs != 2)
			return bk_err_set(err, BK_ECORRUPT, "age: malformed "
			    "ssh-rsa stanza");
		if (strcmp(st->args[1], k->tag) != 0)
			return 0;
		if ((ctx = EVP_PKEY_CTX_new(k->rsa, NULL)) == NULL)
			return bk_err_set(err, BK_EFAIL, "age: out of memory");
		label = OPENSSL_strdup(LABEL_RSA);
		if (label != NULL && EVP_PKEY_decrypt_init(ctx) > 0 &&
		    EVP_PKEY_CTX_set_rsa_padding(ctx,
		    RSA_PKCS1_OAEP_PADDING) > 0 &&
		    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0 &&
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0 &&
		    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label,
		    (int)strlen(LABEL_RSA)) > 0) {
			label = NULL;
			if (EVP_PKEY_decrypt(ctx, rsaout, &outlen, st->body,
			    st->bodylen) > 0 && outlen == AGE_FILE_KEY) {
				memcpy(file_key, rsaout, AGE_FILE_KEY);
				rc = 1;
			}
		}
		sodium_memzero(rsaout, sizeof(rsaout));
		OPENSSL_free(label);
		EVP_PKEY_CTX_free(ctx);
		return rc;
	}
	return 0;
}

int
age_identities_unwrap(const struct age_identities *ids,
    struct age_stanza *st, size_t n, unsigned char *file_key,
    struct bk_err *err)
{
	size_t i, j;
	int rc;

	for (j = 0; j < n; j++)
		if (strcmp(st[j].args[0], "scrypt") == 0 && n > 1)
			return bk_err_set(err, BK_ECORRUPT, "age: an scrypt "
			    "stanza must be the only one in the header");
	for (i = 0; i < ids->n; i++)
		for (j = 0; j < n; j++)
			if ((rc = unwrap_one(&ids->v[i], &st[j], file_key,
			    err)) != 0)
				return rc;
	return 0;
}

int
age_keygen(char **identity, char **recipient)
{
	unsigned char sk[32], pk[32];
	char *s;
	size_t i, len;

	randombytes_buf(sk, sizeof(sk));
	crypto_scalarmult_base(pk, sk);
	s = age_b32_encode("age-secret-key-", sk, 32);
	sodium_memzero(sk, sizeof(sk));
	len = strlen(s);
	if ((*identity = sodium_malloc(len + 1)) == NULL) {
		sodium_memzero(s, len);
		free(s);
		return -1;
	}
	for (i = 0; i <= len; i++)
		(*identity)[i] = (char)toupper((unsigned char)s[i]);
	sodium_memzero(s, len);
	free(s);
	*recipient = age_b32_encode("age", pk, 32);
	return 0;
}
