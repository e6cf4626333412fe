/*
 * stage_crypt.c - the encrypting pipeline stages (age, gpg) built from a
 * user's settings, and the decrypting stage of restore and verify.
 *
 * Invariants: at most one of GPG_PASSPHRASE, GPG_PUBLIC_KEY_RING,
 * AGE_PASSPHRASE and AGE_PUBLIC_KEYS is set, else the job fails before any
 * I/O naming both; keys are parsed and checked in crypt_stage_for(), so a
 * bad key fails the job before archiving starts.  Passphrases are copied
 * into sodium_malloc'd memory, wiped on crypt_stage_free().  Output is
 * emitted on the stage's own thread (the gpg helper thread never calls
 * stage_emit).  Threads: a stage's functions run on its pipeline thread;
 * the config (arg) is read-only once built.
 */
#include <string.h>

#include <sodium.h>

#include "crypt.h"
#include "crypt_age.h"
#include "crypt_gpg.h"
#include "err.h"
#include "pipeline.h"
#include "settings.h"
#include "xmalloc.h"

static const char *const crypt_settings[] = {
	"GPG_PASSPHRASE", "GPG_PUBLIC_KEY_RING", "AGE_PASSPHRASE",
	"AGE_PUBLIC_KEYS",
};

struct crypt_cfg {
	bool			 gpg;
	struct age_recipients	*rcpt;
	struct gpg_keys		 keys;
	char			*secret;	/* sodium_malloc'd copy */
	char			*ring;
	size_t			 secretlen;
};

struct crypt_priv {
	struct age_enc		*age;
	struct gpg_stream	*gpg;
};

static int
emit(void *ctx, const void *p, size_t n, struct bk_err *err)
{
	return stage_emit(ctx, p, n, err);
}

static int
enc_open(struct stage *s, struct bk_err *err)
{
	struct crypt_cfg *c = stage_arg(s);
	struct crypt_priv *p = stage_priv(s);

	if (c->gpg)
		p->gpg = gpg_stream_new(false, &c->keys, emit, s, err);
	else
		p->age = age_enc_new(c->rcpt, emit, s, err);
	return p->gpg == NULL && p->age == NULL ? -1 : 0;
}

static int
enc_write(struct stage *s, const void *data, size_t n, struct bk_err *err)
{
	struct crypt_priv *p = stage_priv(s);

	return p->gpg != NULL ? gpg_stream_write(p->gpg, data, n, err) :
	    age_enc_write(p->age, data, n, err);
}

static int
enc_finish(struct stage *s, struct bk_err *err)
{
	struct crypt_priv *p = stage_priv(s);

	return p->gpg != NULL ? gpg_stream_finish(p->gpg, err) :
	    age_enc_finish(p->age, err);
}

static void
enc_close(struct stage *s)
{
	struct crypt_priv *p = stage_priv(s);

	gpg_stream_free(p->gpg);
	age_enc_free(p->age);
	p->gpg = NULL;
	p->age = NULL;
}

static const struct stage_type stage_age = {
	.name = "age",
	.priv_size = sizeof(struct crypt_priv),
	.open = enc_open,
	.write = enc_write,
	.finish = enc_finish,
	.abort = enc_close,
	.close = enc_close,
};

static const struct stage_type stage_gpg = {
	.name = "gpg",
	.priv_size = sizeof(struct crypt_priv),
	.open = enc_open,
	.write = enc_write,
	.finish = enc_finish,
	.abort = enc_close,
	.close = enc_close,
};

void
crypt_stage_free(void *arg)
{
	struct crypt_cfg *c = arg;

	if (c == NULL)
		return;
	age_recipients_free(c->rcpt);
	free(c->ring);
	if (c->secret != NULL)
		sodium_free(c->secret);
	free(c);
}

static int
copy_secret(struct crypt_cfg *c, const char *v, struct bk_err *err)
{
	c->secretlen = strlen(v);
	if ((c->secret = sodium_malloc(c->secretlen + 1)) == NULL)
		return bk_err_set(err, BK_EFAIL, "encryption: out of locked "
		    "memory");
	memcpy(c->secret, v, c->secretlen + 1);
	return 0;
}

int
crypt_stage_for(const struct settings *user, const struct stage_type **type,
    void **arg, const char **suffix, struct bk_err *err)
{
	const char *set[4], *v;
	struct crypt_cfg *c;
	char **keys;
	size_t i, n = 0, nk;

	*type = NULL;
	*arg = NULL;
	*suffix = "";
	for (i = 0; i < 4; i++)
		if (settings_is_set(user, crypt_settings[i]))
			set[n++] = crypt_settings[i];
	if (n == 0)
		return 0;
	if (n > 1)
		return bk_err_set(err, BK_ECONFIG, "%s and %s are both set: use "
		    "only one encryption setting", set[0], set[1]);
	c = xcalloc(1, sizeof(*c));
	v = settings_get(user, set[0]);
	if (strcmp(set[0], "AGE_PUBLIC_KEYS") == 0) {
		c->rcpt = age_recipients_new();
		keys = split_list(v, &nk);
		for (i = 0; i < nk; i++)
			if (age_recipients_add(c->rcpt, keys[i], err) != 0)
				break;
		strv_free(keys);
		if (i < nk)
			goto fail;
		if (nk == 0) {
			bk_err_set(err, BK_ECONFIG, "AGE_PUBLIC_KEYS: no key");
			goto fail;
		}
	} else if (strcmp(set[0], "AGE_PASSPHRASE") == 0) {
		c->rcpt = age_recipients_new();
		if (age_recipients_add_passphrase(c->rcpt, v, strlen(v),
		    AGE_SCRYPT_WORK_FACTOR, err) != 0)
			goto fail;
	} else {
		c->gpg = true;
		c->keys.setting = set[0];
		if (strcmp(set[0], "GPG_PASSPHRASE") == 0) {
			if (copy_secret(c, v, err) != 0)
				goto fail;
			c->keys.passphrase = c->secret;
		} else {
			c->ring = xstrdup(v);
			c->keys.ring = c->ring;
			c->keys.ringlen = strlen(v);
			if (gpg_keys_check(&c->keys, err) != 0)
				goto fail;
		}
	}
	*type = c->gpg ? &stage_gpg : &stage_age;
	*arg = c;
	*suffix = c->gpg ? ".gpg" : ".age";
	return 0;
fail:
	crypt_stage_free(c);
	return -1;
}

/* The decrypting stage: a crypt_dec per run, output to the next stage. */
static int
dec_open(struct stage *s, struct bk_err *err)
{
	struct crypt_dec **d = stage_priv(s);

	*d = crypt_dec_new(stage_arg(s), emit, s);
	return 0;
}

static int
dec_write(struct stage *s, const void *data, size_t n, struct bk_err *err)
{
	return crypt_dec_write(*(struct crypt_dec **)stage_priv(s), data, n,
	    err);
}

static int
dec_finish(struct stage *s, struct bk_err *err)
{
	return crypt_dec_finish(*(struct crypt_dec **)stage_priv(s), err);
}

static void
dec_close(struct stage *s)
{
	struct crypt_dec **d = stage_priv(s);

	crypt_dec_free(*d);
	*d = NULL;
}

const struct stage_type stage_decrypt = {
	.name = "decrypt",
	.priv_size = sizeof(struct crypt_dec *),
	.open = dec_open,
	.write = dec_write,
	.finish = dec_finish,
	.abort = dec_close,
	.close = dec_close,
};
