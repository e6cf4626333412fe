/*
 * fuzz_age_header.c - libFuzzer harness of the age decoder: the header
 * parser (version line, recipient stanzas, canonical base64, MAC line),
 * the ASCII armor reader and the STREAM payload, fed through the push
 * decryptor (age_dec_new/write/finish) with a fixed X25519 identity -
 * what `backupctl decrypt`, restore and verify do with a downloaded file.
 *
 * The first input byte picks the piece size the data is pushed in (the
 * decoder must not care how its input is cut).  No passphrase identity:
 * scrypt at work factor 22 would turn every input into a timeout.
 * Check: plaintext is released only when the stream authenticated, so a
 * failing finish() after output means output came before authentication
 * of its chunk - impossible unless the file was cut after a good chunk.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypt_age.h"
#include "err.h"
#include "fuzz.h"

/* age-keygen; recipient age1l9kne5ev4y48ecyhmvfqzcf9ag6xv740cf0anst4uhnfjsgfk5ssvt55xq.
 * A test key, public in this repository, protecting nothing. */
static const char fuzz_identity[] =
    "AGE-SECRET-KEY-17YMTDFLGS68R4HZQG88NDJEY2NKN0DG00FTT69SVCHJRXDRM9AFQP7KK4H\n";

static int
sink(void *ctx, const void *p, size_t n, struct bk_err *err)
{
	size_t *total = ctx;

	(void)p;
	(void)err;
	*total += n;
	return 0;
}

int	FUZZ_ENTRY(const uint8_t *, size_t);

int
FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	static struct age_identities *ids;
	struct bk_err err = { 0 };
	struct age_dec *d;
	size_t piece, off, n, total = 0;
	int rc = 0;

	if (ids == NULL) {
		if (sodium_init() == -1)
			abort();
		ids = age_identities_new();
		if (age_identities_add_data(ids, fuzz_identity,
		    strlen(fuzz_identity), &err) == -1)
			abort();
	}
	if (size < 1)
		return 0;
	piece = data[0] == 0 ? size : data[0];
	data++;
	size--;
	(void)age_is_age(data, size);
	if ((d = age_dec_new(ids, sink, &total)) == NULL)
		abort();
	for (off = 0; off < size && rc == 0; off += n) {
		n = size - off < piece ? size - off : piece;
		rc = age_dec_write(d, data + off, n, &err);
	}
	if (rc == 0)
		rc = age_dec_finish(d, &err);
	if (rc == -1 && err.msg[0] == '\0')
		abort();	/* a refusal must say why */
	age_dec_free(d);
	return 0;
}
