/*
 * secret.h - the process-wide registry of secret strings.
 *
 * Whoever reads a secret (a password, key, token, passphrase) registers it;
 * from then on every log line and every error message is scrubbed of it.
 * A second, shape-based pass hides any URL's userinfo and signature-like
 * query values, so even a secret nobody registered does not leak through
 * a URL.
 */
#ifndef BK_SECRET_H
#define BK_SECRET_H

#include <stddef.h>

/* Register a secret (copied); strings shorter than 4 bytes are ignored. */
void	secret_register(const char *);
/* Forget every registered secret (between jobs in a long-lived process). */
void	secret_clear(void);
/* Replace, in place, every secret in buf (NUL-terminated, size bytes). */
void	secret_redact(char *buf, size_t size);
/* Write a copy of url with its userinfo and secret-looking query values
 * (sig, signature, X-Amz-*, token, key, password, secret) hidden: the
 * same as secret_redact() on a copy.  Returns dst. */
char	*secret_redact_url(const char *url, char *dst, size_t size);

#endif
