/*
 * sftp_rsa.h - public-key login with an RSA key signed as rsa-sha2-256
 * (RFC 8332), for libssh2 versions that sign RSA only as SHA-1 ssh-rsa.
 */
#ifndef BK_SFTP_RSA_H
#define BK_SFTP_RSA_H

#include <stddef.h>

#include <libssh2.h>

/*
 * Try to log in as user with the private key text key (PEM: PKCS#1 or
 * PKCS#8; OpenSSH format, plain or aes256-ctr/-gcm under bcrypt; with or
 * without passphrase).
 * Returns 1 when the key is such an RSA key and the login was tried:
 * *rc is then libssh2's result (0: logged in).  Returns 0 when the key is
 * not one this module signs with (another type, a key that does not open
 * with the passphrase given): the caller logs in
 * through libssh2's own key handling, which also reports those errors.
 */
int	sftp_rsa_login(LIBSSH2_SESSION *, const char *user, const char *key,
	    size_t keylen, const char *passphrase, int *rc);

/*
 * Whether key (text as for sftp_rsa_login) opens with passphrase as an
 * RSA key this module signs with, and signs: 1 yes, 0 no.  What
 * sftp_rsa_login does before it talks to the server; for tests.
 */
int	sftp_rsa_key_opens(const char *key, size_t keylen,
	    const char *passphrase);

#endif
