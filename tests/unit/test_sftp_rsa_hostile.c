/*
 * test_sftp_rsa_hostile.c - OpenSSH-format keys a hostile tenant writes
 * (SSH_IDENTITY_FILE is theirs) against the key reader of sftp_rsa.c:
 * every one is refused cleanly (no crash, no ASan report under SAN=1),
 * while the well-formed controls (plain, aes256-ctr and aes256-gcm under
 * bcrypt) open.  The keys are built here from a fresh RSA key, then
 * broken one field at a time; every prefix and every byte flipped too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "bcrypt_pbkdf.h"
#include "sftp_rsa.h"
#include "tap.h"

struct w {
	unsigned char	b[8192];
	size_t		n;
};

static void
w_u32(struct w *w, uint32_t v)
{
	w->b[w->n++] = (unsigned char)(v >> 24);
	w->b[w->n++] = (unsigned char)(v >> 16);
	w->b[w->n++] = (unsigned char)(v >> 8);
	w->b[w->n++] = (unsigned char)v;
}

static void
w_str(struct w *w, const void *s, size_t n)
{
	w_u32(w, (uint32_t)n);
	memcpy(w->b + w->n, s, n);
	w->n += n;
}

static void
w_cstr(struct w *w, const char *s)
{
	w_str(w, s, strlen(s));
}

static void
w_bn(struct w *w, const BIGNUM *b)
{
	unsigned char tmp[1024];
	int n = BN_bn2bin(b, tmp + 1);

	tmp[0] = 0;
	if (n > 0 && (tmp[1] & 0x80) != 0)
		w_str(w, tmp, (size_t)n + 1);
	else
		w_str(w, tmp + 1, (size_t)n);
}

/* The RSA parts, in the private section's order: n e d iqmp p q. */
static BIGNUM *part[6];
static const char *const part_name[6] = { OSSL_PKEY_PARAM_RSA_N,
    OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_COEFFICIENT1, OSSL_PKEY_PARAM_RSA_FACTOR1,
    OSSL_PKEY_PARAM_RSA_FACTOR2 };

/* How to build (and break) one key. */
struct spec {
	const char	*cipher, *kdf;
	int		 saltlen;	/* -1: no kdf options at all */
	uint32_t	 rounds;
	uint32_t	 nkeys;
	const char	*pass;		/* encrypting passphrase */
	int		 notag;		/* gcm: leave the tag off */
	int		 badtag;
	int		 badcheck;	/* check words differ */
	int		 extra;		/* padding bytes added */
	const BIGNUM	*over[6];	/* replacements for parts */
};

static int
sign_pad_blocks(const struct spec *s)
{
	return strcmp(s->cipher, "none") == 0 ? 8 : 16;
}

/* The binary of the key s describes. */
static void
build(const struct spec *s, struct w *out)
{
	unsigned char salt[16] = "0123456789abcdef", kiv[48], tag[16];
	struct w priv = { .n = 0 }, opts = { .n = 0 };
	int gcm = strcmp(s->cipher, "aes256-gcm@openssh.com") == 0, i, outl;
	size_t bs = (size_t)sign_pad_blocks(s);

	out->n = 0;
	memcpy(out->b, "openssh-key-v1", 15);
	out->n = 15;
	w_cstr(out, s->cipher);
	w_cstr(out, s->kdf);
	if (s->saltlen >= 0) {
		w_str(&opts, salt, (size_t)s->saltlen);
		w_u32(&opts, s->rounds);
	}
	w_str(out, opts.b, opts.n);
	w_u32(out, s->nkeys);
	w_cstr(out, "ssh-rsa-public-blob");
	w_u32(&priv, 0x12345678);
	w_u32(&priv, s->badcheck ? 0x87654321 : 0x12345678);
	w_cstr(&priv, "ssh-rsa");
	for (i = 0; i < 6; i++)
		w_bn(&priv, s->over[i] != NULL ? s->over[i] : part[i]);
	w_cstr(&priv, "comment");
	for (i = 1; priv.n % bs != 0; i++)
		priv.b[priv.n++] = (unsigned char)i;
	for (i = 0; i < s->extra; i++)
		priv.b[priv.n++] = (unsigned char)i;
	memset(tag, 0, sizeof(tag));
	if (s->pass != NULL) {
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

		bcrypt_pbkdf(s->pass, strlen(s->pass), salt, 16, kiv,
		    gcm ? 44 : 48, s->rounds);
		EVP_EncryptInit_ex(c, gcm ? EVP_aes_256_gcm() :
		    EVP_aes_256_ctr(), NULL, NULL, NULL);
		if (gcm)
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL);
		EVP_EncryptInit_ex(c, NULL, NULL, kiv, kiv + 32);
		EVP_EncryptUpdate(c, priv.b, &outl, priv.b, (int)priv.n);
		EVP_EncryptFinal_ex(c, kiv, &outl);
		if (gcm)
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
		EVP_CIPHER_CTX_free(c);
		if (s->badtag)
			tag[3] ^= 1;
	}
	w_str(out, priv.b, priv.n);
	if (gcm && !s->notag) {
		memcpy(out->b + out->n, tag, 16);
		out->n += 16;
	}
}

/* Whether the binary, armoured, opens with pass. */
static int
opens(const unsigned char *bin, size_t n, const char *pass)
{
	static char text[16384];
	unsigned char b64[12000];
	int k = EVP_EncodeBlock(b64, bin, (int)n);

	snprintf(text, sizeof(text), "-----BEGIN OPENSSH PRIVATE KEY-----\n"
	    "%.*s\n-----END OPENSSH PRIVATE KEY-----\n", k, (char *)b64);
	return sftp_rsa_key_opens(text, strlen(text), pass);
}

static int
spec_opens(const struct spec *s, const char *pass)
{
	struct w w;

	build(s, &w);
	return opens(w.b, w.n, pass);
}

static const struct spec plain = { "none", "none", -1, 0, 1, NULL, 0, 0, 0,
    0, { NULL } };

int
main(void)
{
	EVP_PKEY *pk = EVP_RSA_gen(1024);
	struct spec s;
	struct w w;
	BIGNUM *zero = BN_new(), *one = BN_new();
	size_t i, bad;
	int j;
	time_t t0;
	const char *texts[] = { "", "-----BEGIN OPENSSH PRIVATE KEY-----",
	    "-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE "
	    "KEY-----\n", "-----BEGIN OPENSSH PRIVATE KEY-----\n====\n-----END "
	    "OPENSSH PRIVATE KEY-----\n", "-----BEGIN OPENSSH PRIVATE KEY-----"
	    "\nb3BlbnNzaC1rZXktdjEA!!!!\n-----END OPENSSH PRIVATE KEY-----\n",
	    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n"
	    "-----END OPENSSH PRIVATE KEY-----\n" };

	BN_zero(zero);
	BN_one(one);
	for (j = 0; j < 6; j++)
		EVP_PKEY_get_bn_param(pk, part_name[j], &part[j]);
	EVP_PKEY_free(pk);

	/* Controls: the well-formed keys open. */
	ok(spec_opens(&plain, NULL), "a plain OpenSSH RSA key opens");
	s = plain;
	s.cipher = "aes256-ctr";
	s.kdf = "bcrypt";
	s.saltlen = 16;
	s.rounds = 2;
	s.pass = "pw";
	ok(spec_opens(&s, "pw"), "an aes256-ctr key opens with its passphrase");
	ok(!spec_opens(&s, "wrong"), "... not with another one");
	ok(!spec_opens(&s, NULL) && !spec_opens(&s, ""), "... nor without");
	s.cipher = "aes256-gcm@openssh.com";
	ok(spec_opens(&s, "pw"), "an aes256-gcm key opens with its passphrase");
	ok(!spec_opens(&s, "wrong"), "... not with another one");
	s.notag = 1;
	ok(!spec_opens(&s, "pw"), "aes256-gcm without its tag: refused");
	s.notag = 0;
	s.badtag = 1;
	ok(!spec_opens(&s, "pw"), "aes256-gcm with a wrong tag: refused");
	s.badtag = 0;
	s.extra = 7;
	ok(!spec_opens(&s, "pw") || 1, "aes256-gcm, a section that is not "
	    "whole blocks: no crash");

	/* The kdf options. */
	s = plain;
	s.cipher = "aes256-ctr";
	s.kdf = "bcrypt";
	s.saltlen = 0;
	s.rounds = 2;
	ok(!spec_opens(&s, "pw"), "a zero-length salt: refused");
	s.saltlen = -1;
	ok(!spec_opens(&s, "pw"), "no kdf options: refused");
	s.saltlen = 16;
	s.rounds = 0;
	ok(!spec_opens(&s, "pw"), "0 rounds: refused");
	t0 = time(NULL);
	s.rounds = UINT32_MAX;
	ok(!spec_opens(&s, "pw"), "2^32-1 rounds: refused ...");
	s.rounds = 1u << 20;
	ok(!spec_opens(&s, "pw") && time(NULL) - t0 < 5, "... and 2^20, at "
	    "once (%lld s)", (long long)(time(NULL) - t0));
	s = plain;
	s.kdf = "bcrypt";
	ok(!spec_opens(&s, "pw"), "cipher none with kdf bcrypt: refused");
	s = plain;
	s.cipher = "3des-cbc";
	s.kdf = "bcrypt";
	s.saltlen = 16;
	s.rounds = 2;
	ok(!spec_opens(&s, "pw"), "another cipher: refused (left to libssh2)");

	/* The layout. */
	s = plain;
	s.nkeys = 0;
	ok(!spec_opens(&s, NULL), "0 keys: refused");
	s.nkeys = 2;
	ok(!spec_opens(&s, NULL), "2 keys: refused");
	s.nkeys = UINT32_MAX;
	ok(!spec_opens(&s, NULL), "2^32-1 keys: refused");
	s = plain;
	s.badcheck = 1;
	ok(!spec_opens(&s, NULL), "check words that differ: refused");
	s = plain;
	s.extra = 3;
	ok(spec_opens(&s, NULL) || 1, "a section that is not whole blocks: "
	    "no crash");

	/* Bogus numbers. */
	for (j = 0; j < 6; j++) {
		s = plain;
		s.over[j] = zero;
		ok(!spec_opens(&s, NULL), "part %d (%s) = 0: refused", j,
		    part_name[j]);
		s.over[j] = one;
		ok(!spec_opens(&s, NULL) || j == 3, "part %d (%s) = 1: refused "
		    "or still a working key", j, part_name[j]);
	}
	s = plain;
	for (j = 0; j < 6; j++)
		s.over[j] = zero;
	ok(!spec_opens(&s, NULL), "every part 0: refused");
	s.over[0] = part[0];
	ok(!spec_opens(&s, NULL), "only the modulus real: refused");

	/* Every prefix, and every byte flipped, of a plain and an
	 * encrypted key: no crash; a prefix never opens. */
	build(&plain, &w);
	for (i = bad = 0; i < w.n; i++)
		bad += opens(w.b, i, NULL);
	ok(bad == 0, "none of %zu prefixes of a plain key opens (%zu did)",
	    w.n, bad);
	for (i = 0; i < w.n; i++) {
		w.b[i] ^= 0xff;
		(void)opens(w.b, w.n, NULL);
		w.b[i] ^= 0xff;
	}
	ok(1, "every byte of a plain key flipped: no crash");
	s = plain;
	s.cipher = "aes256-gcm@openssh.com";
	s.kdf = "bcrypt";
	s.saltlen = 16;
	s.rounds = 1;
	s.pass = "pw";
	build(&s, &w);
	for (i = bad = 0; i < w.n; i++)
		bad += opens(w.b, i, "pw");
	ok(bad == 0, "none of %zu prefixes of an aes256-gcm key opens (%zu "
	    "did)", w.n, bad);

	for (j = 0; j < (int)(sizeof(texts) / sizeof(texts[0])); j++)
		ok(!sftp_rsa_key_opens(texts[j], strlen(texts[j]), NULL),
		    "armour case %d: refused", j);

	BN_free(zero);
	BN_free(one);
	for (j = 0; j < 6; j++)
		BN_clear_free(part[j]);
	return tap_done();
}
