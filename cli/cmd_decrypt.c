/*
 * cmd_decrypt.c - `backupctl decrypt [--identity FILE] [--passphrase-file
 * FILE] [IN [OUT]]`: decrypt an age or OpenPGP file, recognised by its
 * first bytes; stdin and stdout by default.
 *
 * An OUT file is written as OUT.partial-XXXXXX next to it and renamed only
 * when decryption authenticated to the end, so a damaged or truncated
 * input never leaves a plausible-looking OUT behind.  On stdout the
 * plaintext streams; a failure still exits non-zero after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "crypt.h"
#include "err.h"

static int
write_all(void *ctx, const void *p, size_t n, struct bk_err *err)
{
	const char *c = p;
	int fd = *(int *)ctx;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			return bk_err_sys(err, BK_EIO, "decrypt: writing the "
			    "output");
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
decrypt_fd(const struct crypt_keys *keys, int in, int out, struct bk_err *err)
{
	struct crypt_dec *d = crypt_dec_new(keys, write_all, &out);
	static char buf[256 * 1024];
	ssize_t r;
	int rc = 0;

	while (rc == 0 && (r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = bk_err_sys(err, BK_EIO, "decrypt: reading the input");
			break;
		}
		rc = crypt_dec_write(d, buf, (size_t)r, err);
	}
	if (rc == 0)
		rc = crypt_dec_finish(d, err);
	crypt_dec_free(d);
	return rc;
}

static int
cmd_decrypt_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *identity = NULL, *passfile = NULL, *inpath, *outpath;
	struct bk_err err = { 0 };
	struct crypt_keys *keys;
	char *tmp = NULL;
	int ch, in = 0, out = 1, rc;

	(void)ctx;
	while ((ch = getopt_long(argc, argv, "i:p:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			identity = optarg;
			break;
		case 'p':
			passfile = optarg;
			break;
		case 'h':
			printf("usage: backupctl %s\n", cmd_decrypt.usage);
			return 0;
		default:
			return cli_usage(&cmd_decrypt);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 2)
		return cli_usage(&cmd_decrypt);
	if (identity == NULL && passfile == NULL)
		return cli_fail(2, "decrypt: give --identity FILE or "
		    "--passphrase-file FILE");
	inpath = argc > 0 && strcmp(argv[0], "-") != 0 ? argv[0] : NULL;
	outpath = argc > 1 && strcmp(argv[1], "-") != 0 ? argv[1] : NULL;
	if ((keys = crypt_keys_new(NULL, identity, passfile, &err)) == NULL)
		return cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	if (inpath != NULL && (in = open(inpath, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = cli_fail(1, "decrypt: %s: %s", inpath, strerror(errno));
		goto out;
	}
	if (outpath != NULL) {
		if (asprintf(&tmp, "%s.partial-XXXXXX", outpath) < 0 ||
		    (out = mkstemp(tmp)) < 0) {
			rc = cli_fail(1, "decrypt: %s: %s", outpath,
			    strerror(errno));
			goto out;
		}
	}
	rc = decrypt_fd(keys, in, out, &err);
	if (rc == 0 && outpath != NULL && (fsync(out) != 0 ||
	    rename(tmp, outpath) != 0)) {
		rc = bk_err_sys(&err, BK_EIO, "decrypt: %s", outpath);
	}
	if (rc != 0) {
		if (outpath != NULL && tmp != NULL)
			unlink(tmp);
		rc = cli_fail(bk_err_exit_status(&err), "%s", err.msg);
	}
out:
	if (in > 0)
		close(in);
	if (outpath != NULL && out > 1)
		close(out);
	free(tmp);
	crypt_keys_free(keys);
	return rc;
}

const struct cli_cmd cmd_decrypt = {
	.name = "decrypt",
	.usage = "decrypt [--identity FILE] [--passphrase-file FILE] "
	    "[IN [OUT]]",
	.summary = "decrypt an age or gpg file (stdin/stdout by default)",
	.exec = cmd_decrypt_exec,
};
