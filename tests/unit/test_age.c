/*
 * test_age.c - our age encoder and decoder against the stock age 1.1.1
 * tool (the CCTV vectors are in test_age_cctv.c).
 *
 * Forward: what we encrypt (X25519, ssh-ed25519, ssh-rsa, passphrase)
 * is opened by `age -d`.  Backward: what `age -r/-R/-p` writes is opened
 * by our decoder.  Damage: truncation anywhere and flipped bits fail with
 * an error, never silently.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zlib.h>

#include "buf.h"
#include "crypt_age.h"
#include "err.h"
#include "tap.h"
#include "testutil.h"
#include "xmalloc.h"

static const char *tmp;

/* Encrypt data in uneven pieces; returns the ciphertext. */
static char *
encrypt(struct age_recipients *r, const char *data, size_t n, size_t *outlen)
{
	struct bk_err err = { 0 };
	struct age_enc *e;
	struct buf out;
	size_t off = 0, step = 1;

	buf_init(&out, (size_t)1 << 30);
	e = age_enc_new(r, tu_collect, &out, &err);
	while (off < n) {
		step = step * 3 + 7;
		if (step > n - off)
			step = n - off;
		age_enc_write(e, data + off, step, &err);
		off += step;
	}
	if (age_enc_finish(e, &err) != 0)
		printf("# encrypt: %s\n", err.msg);
	age_enc_free(e);
	*outlen = out.len;
	return buf_take(&out);
}

/* Decrypt; 0 or -1 with err.  Output collected in *out. */
static int
decrypt(struct age_identities *ids, const char *c, size_t n, struct buf *out,
    struct bk_err *err)
{
	struct age_dec *d = age_dec_new(ids, tu_collect, out);
	size_t off = 0, step;
	int rc = 0;

	buf_init(out, (size_t)1 << 30);
	while (off < n && rc == 0) {
		step = n - off < 40000 ? n - off : 40000;
		rc = age_dec_write(d, c + off, step, err);
		off += step;
	}
	if (rc == 0)
		rc = age_dec_finish(d, err);
	age_dec_free(d);
	return rc;
}

static struct age_identities *
ids_file(const char *file)
{
	struct age_identities *ids = age_identities_new();
	struct bk_err err = { 0 };
	size_t n;
	char *s = tu_slurp(file, &n);

	if (age_identities_add_data(ids, s, n, &err) != 0)
		printf("# identity %s: %s\n", file, err.msg);
	free(s);
	return ids;
}

static void
test_forward(const char *plain, size_t plen)
{
	static const size_t sizes[] = { 0, 1, 65536, 131072, 200001 };
	struct age_recipients *r;
	struct bk_err err = { 0 };
	char *id, *rc, *c, line[256], *back;
	size_t clen, blen, i;
	FILE *f;

	age_keygen(&id, &rc);
	f = fopen(tu_path("id.txt"), "w");
	fprintf(f, "# created by test_age\n%s\n", id);
	fclose(f);
	sodium_free(id);
	r = age_recipients_new();
	ok(age_recipients_add(r, rc, &err) == 0, "age1 recipient accepted");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		c = encrypt(r, plain, sizes[i], &clen);
		tu_spit(tu_path("x.age"), c, clen);
		free(c);
		unlink(tu_path("x.out"));
		ok(tu_sh("age -d -i %s -o %s %s", tu_path("id.txt"),
		    tu_path("x.out"), tu_path("x.age")) == 0, "age -d opens "
		    "our X25519 file of %zu bytes", sizes[i]);
		back = tu_slurp(tu_path("x.out"), &blen);
		ok(blen == sizes[i] && memcmp(back, plain, blen) == 0,
		    "age -d gives back the %zu bytes we encrypted", sizes[i]);
		free(back);
	}
	age_recipients_free(r);
	free(rc);

	/* ssh-ed25519 and ssh-rsa recipients, opened by age -i key. */
	tu_sh("ssh-keygen -q -t ed25519 -N '' -f %s", tu_path("ed"));
	tu_sh("ssh-keygen -q -t rsa -b 2048 -N '' -f %s", tu_path("rsa"));
	for (i = 0; i < 2; i++) {
		const char *k = i == 0 ? "ed" : "rsa";

		snprintf(line, sizeof(line), "%s.pub", tu_path(k));
		back = tu_slurp(line, &blen);
		r = age_recipients_new();
		ok(age_recipients_add(r, back, &err) == 0, "%s public key "
		    "accepted as a recipient", k);
		free(back);
		c = encrypt(r, plain, plen, &clen);
		tu_spit(tu_path("s.age"), c, clen);
		free(c);
		age_recipients_free(r);
		unlink(tu_path("s.out"));
		ok(tu_sh("age -d -i %s -o %s %s", tu_path(k), tu_path("s.out"),
		    tu_path("s.age")) == 0, "age -d -i %s opens our file", k);
		back = tu_slurp(tu_path("s.out"), &blen);
		ok(blen == plen && memcmp(back, plain, plen) == 0,
		    "age -d -i %s gives back our payload", k);
		free(back);
	}

	/* Passphrase (work factor 18), typed into age through a pty. */
	r = age_recipients_new();
	age_recipients_add_passphrase(r, "correct horse", 13,
	    AGE_SCRYPT_WORK_FACTOR, &err);
	c = encrypt(r, plain, 100000, &clen);
	ok(memmem(c, 200, "-> scrypt ", 10) != NULL &&
	    memmem(c, 200, " 18\n", 4) != NULL,
	    "passphrase files use an scrypt stanza with work factor 18");
	tu_spit(tu_path("p.age"), c, clen);
	free(c);
	age_recipients_free(r);
	ok(tu_sh("printf 'correct horse\\n' | script -qec \"age -d -o %s %s\" "
	    "/dev/null >/dev/null", tu_path("p.out"), tu_path("p.age")) == 0,
	    "age -d with the passphrase typed on a terminal opens our file");
	back = tu_slurp(tu_path("p.out"), &blen);
	ok(blen == 100000 && memcmp(back, plain, blen) == 0,
	    "age -d gives back our passphrase-encrypted payload");
	free(back);
	ok(tu_sh("printf 'wrong horse\\n' | script -qec \"age -d -o %s %s\" "
	    "/dev/null >/dev/null", tu_path("p2.out"), tu_path("p.age")) != 0,
	    "age -d refuses our file with a wrong passphrase");
}

static void
test_backward(const char *plain, size_t plen)
{
	struct age_identities *ids;
	struct bk_err err = { 0 };
	struct buf out;
	char *c;
	size_t clen;
	int rc;

	tu_spit(tu_path("plain"), plain, plen);
	tu_sh("age-keygen -o %s 2>/dev/null", tu_path("ref.key"));
	ok(tu_sh("age -r $(age-keygen -y %s) -o %s %s", tu_path("ref.key"),
	    tu_path("r.age"), tu_path("plain")) == 0, "age -r encrypts");
	c = tu_slurp(tu_path("r.age"), &clen);
	ids = ids_file(tu_path("ref.key"));
	rc = decrypt(ids, c, clen, &out, &err);
	ok(rc == 0 && out.len == plen && memcmp(out.data, plain, plen) == 0,
	    "we decrypt age -r output with its identity file (%s)",
	    rc ? err.msg : "ok");
	buf_free(&out);

	/* Damage: every truncation point class and a flipped bit. */
	rc = decrypt(ids, c, clen - 1, &out, &err);
	ok(rc == -1 && err.code == BK_ECORRUPT, "one byte short fails: %s",
	    err.msg);
	buf_free(&out);
	rc = decrypt(ids, c, clen - (plen % 65536) - 16, &out, &err);
	ok(rc == -1 && err.code == BK_ECORRUPT,
	    "cut at a chunk boundary fails: %s", err.msg);
	buf_free(&out);
	rc = decrypt(ids, c, 60, &out, &err);
	ok(rc == -1 && err.code == BK_ECORRUPT, "cut in the header fails: "
	    "%s", err.msg);
	buf_free(&out);
	c[clen / 2] ^= 0x10;
	rc = decrypt(ids, c, clen, &out, &err);
	ok(rc == -1 && err.code == BK_ECORRUPT && out.len < plen,
	    "a flipped payload bit fails: %s", err.msg);
	buf_free(&out);
	c[clen / 2] ^= 0x10;
	c[40] ^= 0x01;
	rc = decrypt(ids, c, clen, &out, &err);
	ok(rc == -1 && out.len == 0, "a flipped header bit fails before any "
	    "output: %s", err.msg);
	buf_free(&out);
	free(c);
	age_identities_free(ids);

	/* Another identity: no match. */
	tu_sh("age-keygen -o %s 2>/dev/null", tu_path("other.key"));
	ids = ids_file(tu_path("other.key"));
	c = tu_slurp(tu_path("r.age"), &clen);
	rc = decrypt(ids, c, clen, &out, &err);
	ok(rc == -1 && err.code == BK_EAUTH, "a wrong identity is refused: %s",
	    err.msg);
	buf_free(&out);
	free(c);
	age_identities_free(ids);

	/* ssh keys made by ssh-keygen in test_forward, files by age -R. */
	for (int i = 0; i < 2; i++) {
		const char *k = i == 0 ? "ed" : "rsa";

		ok(tu_sh("age -R %s.pub -o %s %s", tu_path(k), tu_path("R.age"),
		    tu_path("plain")) == 0, "age -R %s.pub encrypts", k);
		c = tu_slurp(tu_path("R.age"), &clen);
		ids = ids_file(tu_path(k));
		rc = decrypt(ids, c, clen, &out, &err);
		ok(rc == 0 && out.len == plen &&
		    memcmp(out.data, plain, plen) == 0,
		    "we decrypt age -R %s output with the private key (%s)",
		    k, rc ? err.msg : "ok");
		buf_free(&out);
		free(c);
		age_identities_free(ids);
	}

	ok(tu_sh("printf 'pw\\npw\\n' | script -qec \"age -p -o %s %s\" "
	    "/dev/null >/dev/null", tu_path("P.age"), tu_path("plain")) == 0,
	    "age -p encrypts with a typed passphrase");
	c = tu_slurp(tu_path("P.age"), &clen);
	ids = age_identities_new();
	age_identities_add_passphrase(ids, "pw", 2, &err);
	rc = decrypt(ids, c, clen, &out, &err);
	ok(rc == 0 && out.len == plen && memcmp(out.data, plain, plen) == 0,
	    "we decrypt age -p output with the passphrase (%s)",
	    rc ? err.msg : "ok");
	buf_free(&out);
	age_identities_free(ids);
	ids = age_identities_new();
	age_identities_add_passphrase(ids, "px", 2, &err);
	rc = decrypt(ids, c, clen, &out, &err);
	ok(rc == -1 && err.code == BK_EAUTH, "a wrong passphrase is refused");
	buf_free(&out);
	age_identities_free(ids);
	free(c);
}


int
main(void)
{
	struct age_recipients *r;
	struct bk_err err = { 0 };
	char *plain;
	size_t plen = 300000;

	if (sodium_init() < 0)
		return 1;
	if ((tmp = tu_tmpdir("test_age")) == NULL)
		return 1;
	plain = xmalloc(plen);
	randombytes_buf(plain, plen);

	r = age_recipients_new();
	ok(age_recipients_add(r, "age1notakey", &err) == -1 &&
	    err.code == BK_ECONFIG && strstr(err.msg, "AGE_PUBLIC_KEYS"),
	    "a bad age1 key is a config error naming the setting: %s",
	    err.msg);
	ok(age_recipients_add(r, "pgp-key xyz", &err) == -1 &&
	    strstr(err.msg, "unknown recipient type"),
	    "an unknown recipient type is refused: %s", err.msg);
	ok(age_recipients_add(r, "ssh-ed25519 AAAAbad", &err) == -1,
	    "a broken ssh key is refused: %s", err.msg);
	age_recipients_free(r);

	test_forward(plain, plen);
	test_backward(plain, plen);
	free(plain);
	tu_sh("rm -rf %s", tmp);
	return tap_done();
}
