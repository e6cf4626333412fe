/*
 * crypt_bench.c - drive our age and gpg encoders from stdin to stdout, so
 * bench/crypt.sh can time them against `age` and `gpg` on the same input.
 *
 *   crypt_bench age RECIPIENT     (age1..., ssh-ed25519 ...)
 *   crypt_bench gpg PASSFILE      (symmetric, AES-256)
 *
 * Built by bench/crypt.sh against build/opt/libpanelbackup.a.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypt_age.h"
#include "crypt_gpg.h"
#include "err.h"

static int
out(void *ctx, const void *p, size_t n, struct bk_err *err)
{
	const char *c = p;
	ssize_t w;

	(void)ctx;
	while (n > 0) {
		if ((w = write(1, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			return bk_err_sys(err, BK_EIO, "write");
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static char buf[1024 * 1024];
	struct bk_err err = { 0 };
	struct age_recipients *r = NULL;
	struct age_enc *a = NULL;
	struct gpg_stream *g = NULL;
	struct gpg_keys k = { 0 };
	char pass[256] = "";
	ssize_t n;
	FILE *f;
	int rc;

	if (argc != 3 || sodium_init() < 0) {
		fprintf(stderr, "usage: crypt_bench age RECIPIENT | gpg PASSFILE\n");
		return 2;
	}
	if (strcmp(argv[1], "age") == 0) {
		r = age_recipients_new();
		if (age_recipients_add(r, argv[2], &err) != 0 ||
		    (a = age_enc_new(r, out, NULL, &err)) == NULL)
			goto fail;
	} else {
		if ((f = fopen(argv[2], "r")) == NULL ||
		    fgets(pass, sizeof(pass), f) == NULL)
			return 2;
		fclose(f);
		pass[strcspn(pass, "\n")] = '\0';
		k.passphrase = pass;
		if ((g = gpg_stream_new(false, &k, out, NULL, &err)) == NULL)
			goto fail;
	}
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		rc = a != NULL ? age_enc_write(a, buf, (size_t)n, &err) :
		    gpg_stream_write(g, buf, (size_t)n, &err);
		if (rc != 0)
			goto fail;
	}
	rc = a != NULL ? age_enc_finish(a, &err) : gpg_stream_finish(g, &err);
	if (rc != 0)
		goto fail;
	age_enc_free(a);
	age_recipients_free(r);
	gpg_stream_free(g);
	return 0;
fail:
	fprintf(stderr, "crypt_bench: %s\n", err.msg);
	gpg_stream_free(g);
	return 1;
}
