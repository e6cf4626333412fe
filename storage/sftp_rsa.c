/*
 * sftp_rsa.c - RSA public-key login signed as rsa-sha2-256, with libssh2.
 *
 * Debian 12's libssh2 1.10 signs with an RSA key only as "ssh-rsa"
 * (SHA-1), which OpenSSH 8.8 and later refuse by default; yet RSA is the
 * key type the panel docs name.  So this module signs the login itself,
 * through libssh2_userauth_publickey() and a sign callback that makes an
 * RSASSA-PKCS1-v1_5 SHA-256 signature with libcrypto.
 *
 * The algorithm name: libssh2 1.10 (src/userauth.c,
 * _libssh2_userauth_publickey) takes the name it puts in the request,
 * and in front of the signature, from the first string of the public key
 * blob it is given; the callback cannot change it.  So the blob given is
 * string "rsa-sha2-256", mpint e, mpint n: the request then names
 * rsa-sha2-256 and carries that blob.  OpenSSH parses a key blob by the
 * type names it knows, and "rsa-sha2-256" is one of them for an RSA key
 * (sshkey_type_from_name), so the key matches authorized_keys as usual;
 * the signature covers the blob as sent.  tests/regress/sftp_keys.sh
 * proves it against Debian's stock sshd.  Where it fails (another server,
 * or one without rsa-sha2), the caller still tries libssh2's own ssh-rsa.
 *
 * Keys read here: PEM (PKCS#1 or PKCS#8, with or without passphrase)
 * through OpenSSL, and OpenSSH-format keys through a parser of the
 * "openssh-key-v1" layout (PROTOCOL.key): plain, or with a passphrase as
 * ssh-keygen writes them (aes256-ctr under bcrypt_pbkdf, bcrypt_pbkdf.c).
 * aes256-gcm@openssh.com (ssh-keygen -Z) too; other ciphers are left to
 * libssh2, which signs them as ssh-rsa only.
 *
 * Invariants: private key material lives only in the EVP_PKEY and in
 * buffers wiped before they are freed.
 *
 * Threads: none of its own; the caller's session thread.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "bcrypt_pbkdf.h"
#include "sftp_rsa.h"
#include "xmalloc.h"

#define SIGALG		"rsa-sha2-256"

/* A reader over the fields of an SSH wire-format buffer. */
struct rd {
	const unsigned char	*p;
	size_t			 left;
	int			 bad;
};

static uint32_t
rd_u32(struct rd *r)
{
	uint32_t v;

	if (r->left < 4) {
		r->bad = 1;
		return 0;
	}
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return v;
}

static const unsigned char *
rd_str(struct rd *r, size_t *len)
{
	const unsigned char *s;
	uint32_t n = rd_u32(r);

	if (r->bad || n > r->left) {
		r->bad = 1;
		*len = 0;
		return NULL;
	}
	s = r->p;
	r->p += n;
	r->left -= n;
	*len = n;
	return s;
}

static int
rd_is(struct rd *r, const char *want)
{
	size_t n;
	const unsigned char *s = rd_str(r, &n);

	return s != NULL && n == strlen(want) && memcmp(s, want, n) == 0;
}

/* Whether a field already read (r over its bytes) is the name want. */
static int
rd_is_name(const struct rd *r, const char *want)
{
	return r->p != NULL && r->left == strlen(want) &&
	    memcmp(r->p, want, r->left) == 0;
}

static BIGNUM *
rd_bn(struct rd *r)
{
	size_t n;
	const unsigned char *s = rd_str(r, &n);

	return s == NULL ? NULL : BN_bin2bn(s, (int)n, NULL);
}

/* The base64 body between the armour lines; NULL if there is none. */
static unsigned char *
unarmour(const char *key, size_t *len)
{
	const char *b, *e;
	unsigned char *bin;
	char *b64;
	size_t i, n = 0;
	int got, pad = 0;

	if ((b = strstr(key, "PRIVATE KEY-----")) == NULL ||
	    (e = strstr(b + 16, "-----END")) == NULL)
		return NULL;
	b64 = xmalloc((size_t)(e - b));
	for (i = 16; b + i < e; i++)
		if (b[i] != '\n' && b[i] != '\r' && b[i] != ' ')
			b64[n++] = b[i];
	while (pad < (int)n && pad < 2 && b64[n - 1 - pad] == '=')
		pad++;
	bin = xmalloc(n + 1);
	got = n % 4 == 0 ? EVP_DecodeBlock(bin, (unsigned char *)b64,
	    (int)n) : -1;
	explicit_bzero(b64, n);
	free(b64);
	if (got < pad) {
		free(bin);
		return NULL;
	}
	*len = (size_t)(got - pad);
	return bin;
}

/* An RSA EVP_PKEY from its parts; dP and dQ are computed. */
static EVP_PKEY *
rsa_from_parts(BIGNUM *n, BIGNUM *e, BIGNUM *d, BIGNUM *iqmp, BIGNUM *p,
    BIGNUM *q)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BN_CTX *bc = BN_CTX_new();
	BIGNUM *dp = BN_new(), *dq = BN_new(), *t = BN_new();

	if (bld == NULL || bc == NULL || dp == NULL || dq == NULL ||
	    t == NULL ||
	    !BN_sub(t, p, BN_value_one()) || !BN_mod(dp, d, t, bc) ||
	    !BN_sub(t, q, BN_value_one()) || !BN_mod(dq, d, t, bc))
		goto out;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	    iqmp) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) != 1)
		pk = NULL;
out:
	OSSL_PARAM_free(params);	/* clears: it held private parts */
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_CTX_free(bc);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(t);
	return pk;
}

/*
 * The private section of an OpenSSH-format key, decrypted in place: with
 * cipher "none" and kdf "none" as it is; with kdf "bcrypt" (kdf options:
 * string salt, uint32 rounds) under the key and IV bcrypt_pbkdf derives
 * from the passphrase, for the two ciphers ssh-keygen writes:
 * "aes256-ctr" (its default) and "aes256-gcm@openssh.com" (-Z; a 12-byte
 * IV, and the 16-byte tag follows the section, in tag).  -1 for anything
 * else, a tag that does not match, or no passphrase for an encrypted key.
 */
static int
openssh_open(const struct rd *cipher, const struct rd *kdf, struct rd *opts,
    unsigned char *priv, size_t plen, const unsigned char *tag,
    const char *passphrase)
{
	unsigned char kiv[32 + 16];
	const unsigned char *salt;
	const EVP_CIPHER *alg;
	EVP_CIPHER_CTX *c = NULL;
	size_t saltlen;
	uint32_t rounds;
	int outl, gcm, rc = -1;

	if (rd_is_name(cipher, "none"))
		return rd_is_name(kdf, "none") ? 0 : -1;
	gcm = rd_is_name(cipher, "aes256-gcm@openssh.com");
	alg = gcm ? EVP_aes_256_gcm() : EVP_aes_256_ctr();
	if ((!gcm && !rd_is_name(cipher, "aes256-ctr")) || (gcm &&
	    tag == NULL) || !rd_is_name(kdf, "bcrypt") || passphrase == NULL ||
	    *passphrase == '\0' || plen > INT32_MAX)
		return -1;
	salt = rd_str(opts, &saltlen);
	/* The key is the tenant's: rounds cost ~2.5 ms each per 32 bytes,
	 * so a hostile count is capped (ssh-keygen writes 16 unless -a);
	 * the job's nice and JOB_TIMEOUT bound the rest. */
	rounds = rd_u32(opts);
	if (opts->bad || rounds > 1u << 12 || bcrypt_pbkdf(passphrase,
	    strlen(passphrase), salt, saltlen, kiv, gcm ? 32 + 12 : 32 + 16,
	    rounds) == -1)
		goto out;
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(c, alg, NULL, NULL, NULL) != 1 ||
	    (gcm && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12,
	    NULL) != 1) ||
	    EVP_DecryptInit_ex(c, NULL, NULL, kiv, kiv + 32) != 1 ||
	    EVP_DecryptUpdate(c, priv, &outl, priv, (int)plen) != 1 ||
	    (size_t)outl != plen)
		goto out;
	if (gcm && (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16,
	    (void *)tag) != 1 || EVP_DecryptFinal_ex(c, kiv, &outl) != 1))
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	explicit_bzero(kiv, sizeof(kiv));
	return rc;
}

/*
 * An OpenSSH-format RSA key: "openssh-key-v1\0", cipher, kdf, kdf
 * options, one key, its public blob, then the private section (encrypted
 * unless the cipher is "none"): two equal check words (a wrong passphrase
 * makes them differ), "ssh-rsa", n, e, d, iqmp, p, q, comment, padding.
 * NULL for anything else.
 */
static EVP_PKEY *
openssh_rsa(const char *key, const char *passphrase)
{
	static const char magic[] = "openssh-key-v1";
	struct rd r, priv, opts, cipher, kdf;
	unsigned char *bin, *sec = NULL;
	const unsigned char *tag;
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *iqmp = NULL, *p = NULL;
	BIGNUM *q = NULL;
	EVP_PKEY *pk = NULL;
	size_t len, plen, slen = 0;
	uint32_t check;

	if ((bin = unarmour(key, &len)) == NULL)
		return NULL;
	r.p = bin;
	r.left = len;
	r.bad = 0;
	if (len < sizeof(magic) || memcmp(bin, magic, sizeof(magic)) != 0)
		goto out;
	r.p += sizeof(magic);
	r.left -= sizeof(magic);
	cipher.p = rd_str(&r, &cipher.left);
	kdf.p = rd_str(&r, &kdf.left);
	opts.p = rd_str(&r, &opts.left);
	opts.bad = 0;
	if (rd_u32(&r) != 1)
		goto out;
	(void)rd_str(&r, &plen);		/* public blob */
	priv.p = rd_str(&r, &slen);
	if (r.bad || priv.p == NULL)
		goto out;
	tag = r.left >= 16 ? r.p : NULL;	/* aes256-gcm's */
	sec = xmalloc(slen + 1);
	memcpy(sec, priv.p, slen);
	if (openssh_open(&cipher, &kdf, &opts, sec, slen, tag,
	    passphrase) == -1)
		goto out;
	priv.p = sec;
	priv.left = slen;
	priv.bad = 0;
	check = rd_u32(&priv);
	if (rd_u32(&priv) != check || priv.bad || !rd_is(&priv, "ssh-rsa"))
		goto out;
	n = rd_bn(&priv);
	e = rd_bn(&priv);
	d = rd_bn(&priv);
	iqmp = rd_bn(&priv);
	p = rd_bn(&priv);
	q = rd_bn(&priv);
	if (!priv.bad && n != NULL && e != NULL && d != NULL &&
	    iqmp != NULL && p != NULL && q != NULL)
		pk = rsa_from_parts(n, e, d, iqmp, p, q);
out:
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(iqmp);
	BN_clear_free(p);
	BN_clear_free(q);
	if (sec != NULL)
		explicit_bzero(sec, slen);
	free(sec);
	explicit_bzero(bin, len);
	free(bin);
	return pk;
}

/* A PEM RSA key that opens with passphrase; NULL for anything else. */
static EVP_PKEY *
pem_rsa(const char *key, size_t keylen, const char *passphrase)
{
	EVP_PKEY *pk = NULL;
	BIO *bio;

	if ((bio = BIO_new_mem_buf(key, (int)keylen)) == NULL)
		return NULL;
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)(passphrase !=
	    NULL ? passphrase : ""));
	BIO_free(bio);
	ERR_clear_error();	/* this thread's queue: nobody else's business */
	if (pk != NULL && EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

/* An SSH string (u32 length, bytes) at *p. */
static void
put_str(unsigned char **p, const void *s, size_t n)
{
	(*p)[0] = (unsigned char)(n >> 24);
	(*p)[1] = (unsigned char)(n >> 16);
	(*p)[2] = (unsigned char)(n >> 8);
	(*p)[3] = (unsigned char)n;
	memcpy(*p + 4, s, n);
	*p += 4 + n;
}

/* An SSH mpint of a positive number: big-endian, a 0 byte in front when
 * the top bit is set (it would read as negative). */
static void
put_mpint(unsigned char **p, const BIGNUM *b)
{
	int n = BN_num_bytes(b);
	unsigned char *tmp = xmalloc((size_t)n + 1);

	tmp[0] = 0;
	BN_bn2bin(b, tmp + 1);
	if (n > 0 && (tmp[1] & 0x80) != 0)
		put_str(p, tmp, (size_t)n + 1);
	else
		put_str(p, tmp + 1, (size_t)n);
	free(tmp);
}

/* The blob whose first string libssh2 uses as the algorithm name. */
static unsigned char *
pub_blob(EVP_PKEY *pk, size_t *len)
{
	BIGNUM *n = NULL, *e = NULL;
	unsigned char *blob = NULL, *p;

	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		goto out;
	p = blob = xmalloc(4 + strlen(SIGALG) + 2 * 5 +
	    (size_t)BN_num_bytes(n) + (size_t)BN_num_bytes(e));
	put_str(&p, SIGALG, strlen(SIGALG));
	put_mpint(&p, e);
	put_mpint(&p, n);
	*len = (size_t)(p - blob);
out:
	BN_free(n);
	BN_free(e);
	return blob;
}

/* libssh2's sign callback: the raw PKCS#1 v1.5 SHA-256 signature, in
 * memory libssh2 frees with its default allocator (free). */
static int
rsa_sign(LIBSSH2_SESSION *ss, unsigned char **sig, size_t *sig_len,
    const unsigned char *data, size_t data_len, void **abstract)
{
	EVP_PKEY *pk = *abstract;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *out = NULL;
	size_t n = 0;
	int rc = -1;

	if (md == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestSign(md, NULL, &n, data, data_len) != 1 ||
	    (out = malloc(n)) == NULL ||
	    EVP_DigestSign(md, out, &n, data, data_len) != 1)
		goto out;
	*sig = out;
	*sig_len = n;
	out = NULL;
	rc = 0;
out:
	free(out);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return rc;
}

/*
 * The RSA key in key (OpenSSH or PEM); NULL for anything else.  Neither
 * reader checks that the numbers make a key (the tenant writes them: an
 * e or d of 0 still "signs"), so the pair is checked: a key that cannot
 * make a valid signature is refused here, not sent to the server.
 */
static EVP_PKEY *
rsa_key_open(const char *key, size_t keylen, const char *passphrase)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk;

	if (strstr(key, "BEGIN OPENSSH PRIVATE KEY") != NULL)
		pk = openssh_rsa(key, passphrase);
	else
		pk = pem_rsa(key, keylen, passphrase);
	if (pk == NULL)
		return NULL;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    EVP_PKEY_pairwise_check(ctx) != 1) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return pk;
}

int
sftp_rsa_key_opens(const char *key, size_t keylen, const char *passphrase)
{
	static const unsigned char data[] = "session id and request";
	EVP_PKEY *pk = rsa_key_open(key, keylen, passphrase);
	unsigned char *blob = NULL, *sig = NULL;
	size_t bloblen = 0, siglen = 0;
	void *abstract = pk;
	int rc = 0;

	if (pk == NULL)
		return 0;
	if ((blob = pub_blob(pk, &bloblen)) != NULL &&
	    rsa_sign(NULL, &sig, &siglen, data, sizeof(data),
	    &abstract) == 0 && siglen > 0)
		rc = 1;
	free(sig);
	free(blob);
	EVP_PKEY_free(pk);
	return rc;
}

int
sftp_rsa_login(LIBSSH2_SESSION *ss, const char *user, const char *key,
    size_t keylen, const char *passphrase, int *rc)
{
	EVP_PKEY *pk;
	unsigned char *blob;
	size_t bloblen = 0;
	void *abstract;

	if ((pk = rsa_key_open(key, keylen, passphrase)) == NULL)
		return 0;
	if ((blob = pub_blob(pk, &bloblen)) == NULL) {
		EVP_PKEY_free(pk);
		return 0;
	}
	abstract = pk;
	*rc = libssh2_userauth_publickey(ss, user, blob, bloblen, rsa_sign,
	    &abstract);
	free(blob);
	EVP_PKEY_free(pk);
	return 1;
}
