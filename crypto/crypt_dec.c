/*
 * crypt_dec.c - decryption keys and a push decryptor that recognises age
 * or OpenPGP data by its first bytes (restore, verify, backupctl decrypt).
 *
 * Invariants: key files and passphrases are read straight into
 * sodium_malloc'd memory and registered with the secret registry, so they
 * are wiped on free and never appear in a message.  The decryptor holds
 * back at most SNIFF bytes until it knows the scheme.  Threads: one
 * decryptor belongs to one thread; keys are read-only once built.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypt.h"
#include "crypt_age.h"
#include "crypt_gpg.h"
#include "err.h"
#include "secret.h"
#include "settings.h"
#include "xmalloc.h"

#define SNIFF		64
#define KEYFILE_MAX	(1024 * 1024)

struct crypt_keys {
	struct age_identities	*ids;
	struct gpg_keys		 gk;
	char			*pass;		/* sodium_malloc'd */
	char			*ring;		/* sodium_malloc'd */
};

struct crypt_dec {
	const struct crypt_keys	*keys;
	crypt_out_fn		*out;
	void			*ctx;
	unsigned char		 sniff[SNIFF];
	size_t			 nsniff;
	bool			 started, failed;
	struct age_dec		*age;
	struct gpg_stream	*gpg;
};

enum crypt_scheme
crypt_scheme_of_name(const char *name)
{
	size_t n = strlen(name);

	if (n > 4 && strcmp(name + n - 4, ".age") == 0)
		return CRYPT_AGE;
	if (n > 4 && (strcmp(name + n - 4, ".gpg") == 0 ||
	    strcmp(name + n - 4, ".pgp") == 0 ||
	    strcmp(name + n - 4, ".asc") == 0))
		return CRYPT_GPG;
	return CRYPT_NONE;
}

enum crypt_scheme
crypt_scheme_of_data(const void *p, size_t n)
{
	if (age_is_age(p, n))
		return CRYPT_AGE;
	if (gpg_is_pgp(p, n))
		return CRYPT_GPG;
	return CRYPT_NONE;
}

/* Read a whole key file into locked memory (NUL-terminated). */
static char *
read_secret_file(const char *path, const char *what, size_t *len,
    struct bk_err *err)
{
	char *b;
	ssize_t r;
	size_t n = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		bk_err_sys(err, BK_ECONFIG, "%s %s", what, path);
		return NULL;
	}
	if ((b = sodium_malloc(KEYFILE_MAX + 1)) == NULL) {
		close(fd);
		bk_err_set(err, BK_EFAIL, "%s: out of locked memory", what);
		return NULL;
	}
	while ((r = read(fd, b + n, KEYFILE_MAX - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (r < 0 || n == KEYFILE_MAX) {
		sodium_free(b);
		bk_err_set(err, BK_ECONFIG, "%s %s: unreadable or larger "
		    "than 1 MiB", what, path);
		return NULL;
	}
	b[n] = '\0';
	*len = n;
	return b;
}

static int
add_passphrase(struct crypt_keys *k, const char *pw, struct bk_err *err)
{
	if (k->pass == NULL) {
		if ((k->pass = sodium_malloc(strlen(pw) + 1)) == NULL)
			return bk_err_set(err, BK_EFAIL, "out of locked memory");
		memcpy(k->pass, pw, strlen(pw) + 1);
		k->gk.passphrase = k->pass;
	}
	return age_identities_add_passphrase(k->ids, pw, strlen(pw), err);
}

struct crypt_keys *
crypt_keys_new(const struct settings *user, const char *identity_file,
    const char *passphrase_file, struct bk_err *err)
{
	struct crypt_keys *k = xcalloc(1, sizeof(*k));
	size_t n;
	char *b;

	k->ids = age_identities_new();
	k->gk.setting = "--identity";
	if (passphrase_file != NULL) {
		if ((b = read_secret_file(passphrase_file, "--passphrase-file",
		    &n, err)) == NULL)
			goto fail;
		/* The first line; a trailing CR or LF is not part of it. */
		b[strcspn(b, "\r\n")] = '\0';
		if (b[0] == '\0') {
			sodium_free(b);
			bk_err_set(err, BK_ECONFIG, "--passphrase-file %s: empty "
			    "passphrase", passphrase_file);
			goto fail;
		}
		secret_register(b);
		n = add_passphrase(k, b, err);
		sodium_free(b);
		if (n != 0)
			goto fail;
	} else if (user != NULL) {
		if (settings_is_set(user, "AGE_PASSPHRASE") && add_passphrase(k,
		    settings_get(user, "AGE_PASSPHRASE"), err) != 0)
			goto fail;
		if (settings_is_set(user, "GPG_PASSPHRASE") && k->pass == NULL) {
			k->pass = sodium_malloc(strlen(settings_get(user,
			    "GPG_PASSPHRASE")) + 1);
			if (k->pass == NULL)
				goto fail;
			strcpy(k->pass, settings_get(user, "GPG_PASSPHRASE"));
			k->gk.passphrase = k->pass;
		}
	}
	if (identity_file != NULL) {
		if ((b = read_secret_file(identity_file, "--identity", &n,
		    err)) == NULL)
			goto fail;
		if (strstr(b, "-----BEGIN PGP PRIVATE KEY BLOCK-----") != NULL ||
		    (n > 0 && (b[0] & 0x80) != 0)) {
			k->ring = b;
			k->gk.ring = b;
			k->gk.ringlen = n;
		} else {
			n = (size_t)age_identities_add_data(k->ids, b, n, err);
			sodium_free(b);
			if (n != 0) {
				bk_err_prefix(err, "--identity %s",
				    identity_file);
				goto fail;
			}
		}
	}
	return k;
fail:
	crypt_keys_free(k);
	return NULL;
}

void
crypt_keys_free(struct crypt_keys *k)
{
	if (k == NULL)
		return;
	age_identities_free(k->ids);
	if (k->pass != NULL)
		sodium_free(k->pass);
	if (k->ring != NULL)
		sodium_free(k->ring);
	free(k);
}

const struct age_identities *
crypt_keys_age(const struct crypt_keys *k)
{
	return k->ids;
}

struct crypt_dec *
crypt_dec_new(const struct crypt_keys *keys, crypt_out_fn *out, void *ctx)
{
	struct crypt_dec *d = xcalloc(1, sizeof(*d));

	d->keys = keys;
	d->out = out;
	d->ctx = ctx;
	return d;
}

static int
dec_feed(struct crypt_dec *d, const void *p, size_t n, struct bk_err *err)
{
	if (n == 0)
		return 0;
	return d->age != NULL ? age_dec_write(d->age, p, n, err) :
	    gpg_stream_write(d->gpg, p, n, err);
}

/* Decide the scheme from the sniffed bytes and start the decoder. */
static int
dec_start(struct crypt_dec *d, struct bk_err *err)
{
	const struct crypt_keys *k = d->keys;

	d->started = true;
	switch (crypt_scheme_of_data(d->sniff, d->nsniff)) {
	case CRYPT_AGE:
		if (age_identities_count(k->ids) == 0)
			return bk_err_set(err, BK_ECONFIG, "the data is "
			    "age-encrypted: give --identity or "
			    "--passphrase-file");
		d->age = age_dec_new(k->ids, d->out, d->ctx);
		break;
	case CRYPT_GPG:
		if (k->gk.passphrase == NULL && k->gk.ring == NULL)
			return bk_err_set(err, BK_ECONFIG, "the data is "
			    "OpenPGP-encrypted: give --identity (a private key) "
			    "or --passphrase-file");
		if ((d->gpg = gpg_stream_new(true, &k->gk, d->out, d->ctx,
		    err)) == NULL)
			return -1;
		break;
	default:
		return bk_err_set(err, BK_ECORRUPT, d->nsniff == 0 ?
		    "decrypt: empty input" : "decrypt: the data is neither "
		    "age nor OpenPGP encrypted");
	}
	return dec_feed(d, d->sniff, d->nsniff, err);
}

int
crypt_dec_write(struct crypt_dec *d, const void *data, size_t n,
    struct bk_err *err)
{
	const unsigned char *p = data;
	size_t take;

	if (d->failed)
		return bk_err_set(err, BK_EFAIL, "decrypt: failed before");
	if (!d->started) {
		take = SNIFF - d->nsniff < n ? SNIFF - d->nsniff : n;
		memcpy(d->sniff + d->nsniff, p, take);
		d->nsniff += take;
		p += take;
		n -= take;
		if (d->nsniff < SNIFF)
			return 0;
		if (dec_start(d, err) != 0)
			goto fail;
	}
	if (dec_feed(d, p, n, err) == 0)
		return 0;
fail:
	d->failed = true;
	return -1;
}

int
crypt_dec_finish(struct crypt_dec *d, struct bk_err *err)
{
	if (d->failed)
		return bk_err_set(err, BK_EFAIL, "decrypt: failed before");
	if ((!d->started && dec_start(d, err) != 0) ||
	    (d->age != NULL ? age_dec_finish(d->age, err) :
	    gpg_stream_finish(d->gpg, err)) != 0) {
		d->failed = true;
		return -1;
	}
	return 0;
}

void
crypt_dec_free(struct crypt_dec *d)
{
	if (d == NULL)
		return;
	age_dec_free(d->age);
	gpg_stream_free(d->gpg);
	free(d);
}
