/*
 * test_gpg.c - our gpgme streams against the stock gpg 2.2 tool.
 *
 * A private GNUPGHOME for the test holds keys made by gpg itself (a good
 * one, an expired one, a revoked one, a signing-only one).  We encrypt,
 * gpg decrypts (passphrase and private key); gpg encrypts, we decrypt.
 * Damaged files, wrong passphrases and unusable keys fail with clear
 * errors; no private home or agent of ours survives a stream.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "crypt_gpg.h"
#include "err.h"
#include "tap.h"
#include "testutil.h"
#include "xmalloc.h"

static const char *tmp;
static char gh[192];	/* the test's own gpg home */

#define GPG "gpg --homedir %s --batch --yes --pinentry-mode loopback"

/* Run a whole stream over data in uneven pieces. */
static int
run(bool decrypt, const struct gpg_keys *k, const char *data, size_t n,
    struct buf *out, struct bk_err *err)
{
	struct gpg_stream *s;
	size_t off = 0, step = 1000;
	int rc = 0;

	buf_init(out, (size_t)1 << 30);
	if ((s = gpg_stream_new(decrypt, k, tu_collect, out, err)) == NULL)
		return -1;
	while (off < n && rc == 0) {
		step = step * 2 > n - off ? n - off : step * 2;
		rc = gpg_stream_write(s, data + off, step, err);
		off += step;
	}
	if (rc == 0)
		rc = gpg_stream_finish(s, err);
	gpg_stream_free(s);
	return rc;
}

static char *
export(const char *what, const char *uid, size_t *n)
{
	tu_sh(GPG " --passphrase '' --armor %s '%s' > %s 2>/dev/null", gh, what,
	    uid, tu_path("export.asc"));
	return tu_slurp(tu_path("export.asc"), n);
}

static char *
fpr_of(const char *uid)
{
	char line[512] = "";
	FILE *p;

	snprintf(line, sizeof(line), "gpg --homedir %s --with-colons "
	    "--list-keys '%s' 2>/dev/null | awk -F: '/^fpr/{print $10; "
	    "exit}'", gh, uid);
	p = popen(line, "r");
	line[0] = '\0';
	if (p != NULL) {
		if (fgets(line, sizeof(line), p) == NULL)
			line[0] = '\0';
		pclose(p);
	}
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

static bool
leftovers(void)
{
	DIR *d = opendir(tmp);
	struct dirent *de;
	bool found = false;

	while (d != NULL && (de = readdir(d)) != NULL)
		found |= strncmp(de->d_name, "pb-gnupg.", 9) == 0;
	if (d != NULL)
		closedir(d);
	/* [p] keeps pgrep from matching the shell that runs it. */
	return found || tu_sh("pgrep -f '%s/[p]b-gnupg' >/dev/null", tmp) == 0;
}

static void
make_keys(void)
{
	char *fpr;

	tu_sh("mkdir -m 700 %s && printf 'no-auto-key-retrieve\\n"
	    "auto-key-locate local\\ndisable-dirmngr\\ntrust-model always\\n' "
	    "> %s/gpg.conf", gh, gh);
	tu_sh(GPG " --passphrase '' --quick-gen-key "
	    "'Alice <alice@example.org>' future-default default never "
	    "2>/dev/null", gh);
	tu_sh(GPG " --passphrase '' --quick-gen-key 'Bob <bob@example.org>' "
	    "future-default default never 2>/dev/null", gh);
	tu_sh(GPG " --passphrase '' --faked-system-time 20200101T000000 "
	    "--quick-gen-key 'Old <old@example.org>' future-default default "
	    "1d 2>/dev/null", gh);
	tu_sh(GPG " --passphrase '' --quick-gen-key 'Signer <sig@example.org>' "
	    "ed25519 sign never 2>/dev/null", gh);
	tu_sh(GPG " --passphrase '' --quick-gen-key 'Gone <gone@example.org>' "
	    "future-default default never 2>/dev/null", gh);
	fpr = fpr_of("gone@example.org");
	tu_sh("sed 's/^:-----/-----/' %s/openpgp-revocs.d/%s.rev > %s",
	    gh, fpr, tu_path("rev.asc"));
	tu_sh(GPG " --import %s 2>/dev/null", gh, tu_path("rev.asc"));
	free(fpr);
}

static void
test_encrypt(const char *plain, size_t plen)
{
	struct gpg_keys k = { .setting = "GPG_PASSPHRASE" };
	struct bk_err err = { 0 };
	struct buf out;
	char *ring, *back, *a, *b, *fpr;
	size_t n, blen;

	k.passphrase = "s3cret pass";
	ok(run(false, &k, plain, plen, &out, &err) == 0,
	    "symmetric encryption runs (%s)", err.msg);
	ok(gpg_is_pgp(out.data, out.len), "the output is binary OpenPGP");
	tu_spit(tu_path("sym.gpg"), out.data, out.len);
	buf_free(&out);
	ok(tu_sh(GPG " --passphrase 's3cret pass' -o %s -d %s 2>/dev/null", gh,
	    tu_path("sym.out"), tu_path("sym.gpg")) == 0,
	    "gpg -d with the passphrase opens our file");
	back = tu_slurp(tu_path("sym.out"), &blen);
	ok(blen == plen && memcmp(back, plain, plen) == 0,
	    "gpg gives back our payload");
	free(back);
	ok(tu_sh(GPG " --list-packets %s 2>/dev/null | grep -q 'symkey enc "
	    "packet: version [0-9], cipher 9'", gh, tu_path("sym.gpg")) == 0,
	    "the session key is AES-256 (cipher 9)");
	tu_sh("gpgconf --homedir %s --kill gpg-agent", gh);
	ok(tu_sh(GPG " --passphrase 'wrong' -o %s -d %s 2>/dev/null", gh,
	    tu_path("sym2.out"), tu_path("sym.gpg")) != 0,
	    "gpg -d with a wrong passphrase fails");
	ok(!leftovers(), "no private home or agent of ours is left");

	/* Public keys: Alice and Bob in one armored ring. */
	a = export("--export", "alice@example.org", &n);
	b = export("--export", "bob@example.org", &blen);
	ring = xmalloc(n + blen + 1);
	memcpy(ring, a, n);
	memcpy(ring + n, b, blen);
	free(a);
	free(b);
	k.passphrase = NULL;
	k.ring = ring;
	k.ringlen = n + blen;
	k.setting = "GPG_PUBLIC_KEY_RING";
	ok(run(false, &k, plain, plen, &out, &err) == 0,
	    "public key encryption runs (%s)", err.msg);
	tu_spit(tu_path("pub.gpg"), out.data, out.len);
	buf_free(&out);
	ok(tu_sh(GPG " -o %s -d %s 2>/dev/null", gh, tu_path("pub.out"),
	    tu_path("pub.gpg")) == 0, "gpg -d with the private key opens it");
	back = tu_slurp(tu_path("pub.out"), &blen);
	ok(blen == plen && memcmp(back, plain, plen) == 0,
	    "gpg gives back our payload");
	free(back);
	ok(tu_sh(GPG " --list-packets %s 2>/dev/null | grep -c 'pubkey enc "
	    "packet' | grep -qx 2", gh, tu_path("pub.gpg")) == 0,
	    "both keys of the ring are recipients");
	free(ring);

	/* Unusable keys are named by fingerprint. */
	const char *bad[][2] = { { "old@example.org", "expired" },
	    { "gone@example.org", "revoked" },
	    { "sig@example.org", "encryption subkey" } };
	for (size_t i = 0; i < 3; i++) {
		ring = export("--export", bad[i][0], &n);
		fpr = fpr_of(bad[i][0]);
		k.ring = ring;
		k.ringlen = n;
		ok(run(false, &k, plain, 10, &out, &err) == -1 &&
		    err.code == BK_ECONFIG && strlen(fpr) == 40 &&
		    strstr(err.msg, fpr) != NULL &&
		    strstr(err.msg, "GPG_PUBLIC_KEY_RING") != NULL &&
		    strstr(err.msg, bad[i][1]) != NULL,
		    "a %s key is refused naming its fingerprint: %s",
		    bad[i][1], err.msg);
		buf_free(&out);
		free(ring);
		free(fpr);
	}
	k.ring = "not a key";
	k.ringlen = 9;
	ok(run(false, &k, plain, 10, &out, &err) == -1 &&
	    err.code == BK_ECONFIG, "garbage as a key ring is refused: %s",
	    err.msg);
	buf_free(&out);
	ok(!leftovers(), "no private home or agent is left after failures");
}

static void
test_decrypt(const char *plain, size_t plen)
{
	struct gpg_keys k = { .setting = "--passphrase-file" };
	struct bk_err err = { 0 };
	struct buf out;
	char *c, *sec;
	size_t clen, n;
	int rc;

	tu_spit(tu_path("plain"), plain, plen);
	tu_sh(GPG " --passphrase 'pw 2' -c -o %s %s", gh, tu_path("c.gpg"),
	    tu_path("plain"));
	c = tu_slurp(tu_path("c.gpg"), &clen);
	k.passphrase = "pw 2";
	rc = run(true, &k, c, clen, &out, &err);
	ok(rc == 0 && out.len == plen && memcmp(out.data, plain, plen) == 0,
	    "we decrypt gpg -c output with the passphrase (%s)",
	    rc ? err.msg : "ok");
	buf_free(&out);
	k.passphrase = "pw 3";
	ok(run(true, &k, c, clen, &out, &err) == -1 && err.code == BK_EAUTH,
	    "a wrong passphrase is refused: %s", err.msg);
	buf_free(&out);
	k.passphrase = "pw 2";
	ok(run(true, &k, c, clen - 10, &out, &err) == -1,
	    "a truncated file fails: %s", err.msg);
	buf_free(&out);
	c[clen - 30] ^= 0x04;
	ok(run(true, &k, c, clen, &out, &err) == -1,
	    "a flipped bit fails: %s", err.msg);
	buf_free(&out);
	free(c);

	tu_sh(GPG " -e -r alice@example.org -o %s %s", gh, tu_path("e.gpg"),
	    tu_path("plain"));
	c = tu_slurp(tu_path("e.gpg"), &clen);
	sec = export("--export-secret-keys", "alice@example.org", &n);
	k.passphrase = NULL;
	k.ring = sec;
	k.ringlen = n;
	rc = run(true, &k, c, clen, &out, &err);
	ok(rc == 0 && out.len == plen && memcmp(out.data, plain, plen) == 0,
	    "we decrypt gpg -e output with the exported private key (%s)",
	    rc ? err.msg : "ok");
	buf_free(&out);
	free(sec);
	sec = export("--export-secret-keys", "bob@example.org", &n);
	k.ring = sec;
	k.ringlen = n;
	ok(run(true, &k, c, clen, &out, &err) == -1 && err.code == BK_EAUTH,
	    "another private key is refused: %s", err.msg);
	buf_free(&out);
	free(sec);
	free(c);
	ok(!leftovers(), "no private home or agent is left after decrypting");
}

int
main(void)
{
	char *plain;
	size_t plen = 700000;

	if (sodium_init() < 0)
		return 1;
	if ((tmp = tu_tmpdir("test_gpg")) == NULL)
		return 1;
	setenv("TMPDIR", tmp, 1);
	snprintf(gh, sizeof(gh), "%s/gh", tmp);
	make_keys();
	plain = xmalloc(plen);
	randombytes_buf(plain, plen);
	test_encrypt(plain, plen);
	test_decrypt(plain, plen);
	free(plain);
	tu_sh("gpgconf --homedir %s --kill all", gh);
	tu_sh("rm -rf %s", tmp);
	return tap_done();
}
