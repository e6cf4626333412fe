/*
 * test_age_stage.c - the encryption stages as the job runs them: chosen
 * by crypt_stage_for() from a user's settings, run through the real
 * pipeline engine, read back by the stock tools and by stage_decrypt.
 * Also the rules on settings: at most one encryption setting (the error
 * names both), bad keys fail before any data flows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "crypt.h"
#include "crypt_age.h"
#include "err.h"
#include "pipeline.h"
#include "settings.h"
#include "tap.h"
#include "testutil.h"
#include "xmalloc.h"

static const char *tmp;

/* The last stage: collect everything into the struct buf of its arg. */
static int
sink_write(struct stage *s, const void *p, size_t n, struct bk_err *err)
{
	if (buf_append(stage_arg(s), p, n) != 0)
		return bk_err_set(err, BK_EFAIL, "sink full");
	return 0;
}

static const struct stage_type sink = {
	.name = "sink",
	.write = sink_write,
};

/* Push data through type(arg) into out, in uneven writes. */
static int
run(const struct stage_type *type, void *arg, const char *data, size_t n,
    struct buf *out, struct bk_err *err)
{
	struct pipeline *p = pipeline_new();
	size_t off = 0, step = 3;
	int rc;

	bk_err_clear(err);
	buf_init(out, (size_t)1 << 30);
	pipeline_add(p, type, arg);
	pipeline_add(p, &sink, out);
	rc = pipeline_start(p, err);
	while (rc == 0 && off < n) {
		step = step * 5 > n - off ? n - off : step * 5;
		rc = pipeline_write(p, data + off, step, err);
		off += step;
	}
	if (rc == 0)
		rc = pipeline_finish(p, err);
	else
		pipeline_abort(p, err);
	pipeline_free(p);
	return rc;
}

static void
test_rules(void)
{
	const struct stage_type *type;
	struct settings us;
	struct bk_err err = { 0 };
	const char *suffix;
	void *arg;

	settings_defaults(&us, SET_USER);
	ok(crypt_stage_for(&us, &type, &arg, &suffix, &err) == 0 &&
	    type == NULL && arg == NULL && strcmp(suffix, "") == 0,
	    "no encryption setting: no stage, no suffix");
	settings_set(&us, "GPG_PASSPHRASE", "abcdefgh");
	settings_set(&us, "AGE_PUBLIC_KEYS", "age1xyz");
	ok(crypt_stage_for(&us, &type, &arg, &suffix, &err) == -1 &&
	    err.code == BK_ECONFIG && strstr(err.msg, "GPG_PASSPHRASE") &&
	    strstr(err.msg, "AGE_PUBLIC_KEYS") && type == NULL,
	    "two encryption settings: a config error naming both: %s",
	    err.msg);
	settings_free(&us);
	settings_defaults(&us, SET_USER);
	settings_set(&us, "AGE_PUBLIC_KEYS", "age1abc, ssh-dss AAAA");
	ok(crypt_stage_for(&us, &type, &arg, &suffix, &err) == -1 &&
	    err.code == BK_ECONFIG && strstr(err.msg, "AGE_PUBLIC_KEYS"),
	    "a bad AGE_PUBLIC_KEYS entry fails before any data: %s", err.msg);
	settings_free(&us);
	settings_defaults(&us, SET_USER);
	settings_set(&us, "GPG_PUBLIC_KEY_RING", "-----BEGIN PGP PUBLIC KEY "
	    "BLOCK-----\n\nnonsense\n-----END PGP PUBLIC KEY BLOCK-----\n");
	ok(crypt_stage_for(&us, &type, &arg, &suffix, &err) == -1 &&
	    err.code == BK_ECONFIG && strstr(err.msg, "GPG_PUBLIC_KEY_RING"),
	    "a broken GPG_PUBLIC_KEY_RING fails before any data: %s",
	    err.msg);
	settings_free(&us);
}

static void
test_roundtrip(const char *plain, size_t plen)
{
	const struct stage_type *type;
	struct crypt_keys *keys;
	struct settings us;
	struct bk_err err = { 0 };
	struct buf out, back;
	const char *suffix;
	char *id, *rcpt, path[256], cmd[1024], *got;
	size_t glen;
	void *arg;
	FILE *f;
	int rc;

	/* age, X25519: opened by age -d and by our decrypting stage. */
	age_keygen(&id, &rcpt);
	snprintf(path, sizeof(path), "%s/id", tmp);
	f = fopen(path, "w");
	fprintf(f, "%s\n", id);
	fclose(f);
	sodium_free(id);
	settings_defaults(&us, SET_USER);
	settings_set(&us, "AGE_PUBLIC_KEYS", rcpt);
	ok(crypt_stage_for(&us, &type, &arg, &suffix, &err) == 0 &&
	    type != NULL && strcmp(suffix, ".age") == 0,
	    "AGE_PUBLIC_KEYS: an age stage and the .age suffix");
	ok(run(type, arg, plain, plen, &out, &err) == 0,
	    "the age stage runs in the pipeline (%s)", err.msg);
	crypt_stage_free(arg);
	settings_free(&us);
	snprintf(path, sizeof(path), "%s/x.age", tmp);
	tu_spit(path, out.data, out.len);
	snprintf(cmd, sizeof(cmd), "age -d -i %s/id -o %s/x.out %s", tmp, tmp,
	    path);
	ok(system(cmd) == 0, "age -d opens the stage's output");
	snprintf(path, sizeof(path), "%s/x.out", tmp);
	got = tu_slurp(path, &glen);
	ok(glen == plen && memcmp(got, plain, plen) == 0,
	    "age -d gives back the pipeline's input");
	free(got);
	snprintf(path, sizeof(path), "%s/id", tmp);
	keys = crypt_keys_new(NULL, path, NULL, &err);
	ok(keys != NULL, "the identity file loads as decryption keys");
	ok(run(&stage_decrypt, keys, out.data, out.len, &back, &err) == 0 &&
	    back.len == plen && memcmp(back.data, plain, plen) == 0,
	    "stage_decrypt gives back the plaintext (%s)", err.msg);
	buf_free(&back);
	out.data[out.len - 5] ^= 1;
	ok(run(&stage_decrypt, keys, out.data, out.len, &back, &err) == -1 &&
	    err.code == BK_ECORRUPT,
	    "stage_decrypt fails the pipeline on a flipped bit: %s", err.msg);
	buf_free(&back);
	crypt_keys_free(keys);
	buf_free(&out);
	free(rcpt);

	/* AGE_PASSPHRASE and GPG_PASSPHRASE: restore keys from settings. */
	for (int i = 0; i < 2; i++) {
		const char *name = i == 0 ? "AGE_PASSPHRASE" : "GPG_PASSPHRASE";

		settings_defaults(&us, SET_USER);
		settings_set(&us, name, "a passphrase");
		/* suffix is read after the call, not as an argument of ok(). */
		rc = crypt_stage_for(&us, &type, &arg, &suffix, &err);
		ok(rc == 0 && strcmp(suffix, i == 0 ? ".age" : ".gpg") == 0,
		    "%s: suffix %s", name, suffix);
		ok(run(type, arg, plain, plen, &out, &err) == 0,
		    "%s: the stage runs (%s)", name, err.msg);
		crypt_stage_free(arg);
		ok(crypt_scheme_of_data(out.data, out.len) ==
		    (i == 0 ? CRYPT_AGE : CRYPT_GPG),
		    "%s: the output is recognised by its first bytes", name);
		keys = crypt_keys_new(&us, NULL, NULL, &err);
		ok(run(&stage_decrypt, keys, out.data, out.len, &back,
		    &err) == 0 && back.len == plen &&
		    memcmp(back.data, plain, plen) == 0,
		    "%s: stage_decrypt with the user's setting gives the "
		    "plaintext back (%s)", name, err.msg);
		buf_free(&back);
		crypt_keys_free(keys);
		settings_free(&us);
		settings_defaults(&us, SET_USER);
		keys = crypt_keys_new(&us, NULL, NULL, &err);
		ok(run(&stage_decrypt, keys, out.data, out.len, &back,
		    &err) == -1 && err.code == BK_ECONFIG,
		    "%s: without keys, restore says what to give: %s", name,
		    err.msg);
		buf_free(&back);
		crypt_keys_free(keys);
		settings_free(&us);
		buf_free(&out);
	}
}

int
main(void)
{
	char *plain;
	size_t plen = 3 * 1024 * 1024 + 12345;

	if (sodium_init() < 0)
		return 1;
	if ((tmp = tu_tmpdir("test_age_stage")) == NULL)
		return 1;
	setenv("TMPDIR", tmp, 1);
	plain = xmalloc(plen);
	randombytes_buf(plain, plen);
	test_rules();
	test_roundtrip(plain, plen);
	free(plain);
	snprintf(plain = xmalloc(256), 256, "rm -rf %s", tmp);
	if (system(plain) != 0)
		return 1;
	free(plain);
	return tap_done();
}
