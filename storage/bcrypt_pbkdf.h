/*
 * bcrypt_pbkdf.h - OpenSSH's key derivation for passphrase-protected
 * private keys (openssh-key-v1, kdf "bcrypt").
 */
#ifndef BK_BCRYPT_PBKDF_H
#define BK_BCRYPT_PBKDF_H

#include <stddef.h>

/* Derive keylen (1..1024) bytes into key from pass and salt with rounds
 * (>= 1) rounds.  0, or -1 on bad arguments or a failed set-up. */
int	bcrypt_pbkdf(const char *pass, size_t passlen,
	    const unsigned char *salt, size_t saltlen, unsigned char *key,
	    size_t keylen, unsigned int rounds);

#endif
