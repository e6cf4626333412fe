/*
 * sigv4.h - AWS Signature Version 4 (header-based), written out step by
 * step so each step can be checked against the published test vectors:
 * canonical request -> string to sign -> signature -> Authorization.
 *
 * Every function is pure (no clock, no I/O): the caller passes the
 * timestamp.  Thread-safe.
 */
#ifndef BK_SIGV4_H
#define BK_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

struct sigv4_header {
	const char	*name;		/* any case; lower-cased when signed */
	const char	*value;		/* trimmed, inner blanks folded */
};

struct sigv4_req {
	const char			*method;
	const char			*path;	/* URI-encoded, as sent */
	const char			*query;	/* encoded pairs, any order, or "" */
	const struct sigv4_header	*headers;	/* all signed */
	size_t				 nheaders;
	const char			*payload_hash;	/* hex or UNSIGNED-PAYLOAD */
};

struct sigv4_cred {
	const char	*access_key;
	const char	*secret;
	const char	*region;
	const char	*service;
};

#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Lower-case hex SHA-256 of data into out[65]. */
void	 sigv4_sha256_hex(const void *, size_t, char out[65]);
/* RFC 3986 encoding AWS's way: unreserved kept, the rest %XX upper-case;
 * '/' kept when keep_slash (object paths), encoded otherwise (query). */
void	 sigv4_uri_encode(struct buf *, const char *, bool keep_slash);
/* Sort "a=1&b&c=3" pairs by name then value, giving "b=" for a bare
 * name.  Allocated. */
char	*sigv4_canonical_query(const char *);
/* The canonical request; *signed_headers (may be NULL) gets "a;b;c". */
char	*sigv4_canonical_request(const struct sigv4_req *,
	    char **signed_headers);
/* "AWS4-HMAC-SHA256\n" amzdate "\n" scope "\n" hex(sha256(canonical)). */
char	*sigv4_string_to_sign(const char *amzdate,
	    const struct sigv4_cred *, const char *canonical);
/* Hex signature of string_to_sign with the key derived for the day. */
void	 sigv4_signature(const struct sigv4_cred *, const char *amzdate,
	    const char *string_to_sign, char out[65]);
/* The whole Authorization header value for req at amzdate
 * ("20150830T123600Z").  Allocated. */
char	*sigv4_authorization(const struct sigv4_req *,
	    const struct sigv4_cred *, const char *amzdate);

#endif
