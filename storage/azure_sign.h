/*
 * azure_sign.h - Azure Storage SharedKey signing (Blob service, version
 * 2009-09-19 and later), in checkable steps: string to sign, signature,
 * Authorization header.  Pure functions; thread-safe.
 */
#ifndef BK_AZURE_SIGN_H
#define BK_AZURE_SIGN_H

#include <stddef.h>

struct azure_kv {
	const char	*name;
	const char	*value;		/* query values: decoded */
};

struct azure_req {
	const char		*method;
	const char		*account;
	const char		*path;		/* URL path as sent (encoded) */
	const struct azure_kv	*query;		/* any order */
	size_t			 nquery;
	const struct azure_kv	*headers;	/* standard and x-ms-* */
	size_t			 nheaders;
};

char	*azure_string_to_sign(const struct azure_req *);
/* base64(HMAC-SHA256(key, sts)); returns -1 if key is not base64. */
int	 azure_signature(const char *key_b64, const char *sts, char out[64]);
/* "SharedKey account:signature", or NULL for a bad key.  Allocated. */
char	*azure_authorization(const struct azure_req *, const char *key_b64);
/* Decode base64 (standard alphabet, padding optional); -1 on junk. */
int	 azure_b64_decode(const char *, unsigned char *out, size_t max,
	    size_t *len);
void	 azure_b64_encode(const unsigned char *, size_t, char *out);

#endif
