/*
 * test_bcrypt_pbkdf.c - our bcrypt_pbkdf against vectors: OpenBSD's
 * published one ("password", "salt", 4 rounds, 32 bytes) and two made by
 * an independent implementation (python3-bcrypt's bcrypt.kdf), one of
 * them the shape OpenSSH uses for a key (16-byte salt, 16 rounds, 48
 * bytes: aes256-ctr key and IV).  A wrong byte here means no passphrase-
 * protected OpenSSH key would ever open.
 */
#include <stdio.h>
#include <string.h>

#include "bcrypt_pbkdf.h"
#include "tap.h"

static int
kdf_is(const char *pass, const unsigned char *salt, size_t saltlen,
    unsigned int rounds, size_t keylen, const char *want_hex)
{
	unsigned char key[64];
	char hex[129];
	size_t i;

	if (bcrypt_pbkdf(pass, strlen(pass), salt, saltlen, key, keylen,
	    rounds) == -1)
		return 0;
	for (i = 0; i < keylen; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	return strcmp(hex, want_hex) == 0;
}

int
main(void)
{
	unsigned char salt16[16], zero16[16] = { 0 }, key[8];
	size_t i;

	for (i = 0; i < 16; i++)
		salt16[i] = (unsigned char)i;
	ok(kdf_is("password", (const unsigned char *)"salt", 4, 4, 32,
	    "5bbf0cc293587f1c3635555c27796598"
	    "d47e579071bf427e9d8fbe842aba34d9"),
	    "OpenBSD's vector: password/salt, 4 rounds, 32 bytes");
	ok(kdf_is("correct horse battery staple", salt16, 16, 16, 48,
	    "800e37c007983f658e60a0bb3d6d9da43b1adf37371d89ce9a5506d6ed3efcf9"
	    "1f79d8b9d7617ea8f98bf45c362a3153"),
	    "OpenSSH's shape: 16-byte salt, 16 rounds, 48 bytes (key and IV)");
	ok(kdf_is("p", zero16, 16, 1, 1, "83"), "one round, one byte");
	ok(bcrypt_pbkdf("p", 1, zero16, 16, key, sizeof(key), 0) == -1,
	    "zero rounds refused");
	ok(bcrypt_pbkdf("p", 1, zero16, 0, key, sizeof(key), 4) == -1,
	    "an empty salt refused");
	return tap_done();
}
