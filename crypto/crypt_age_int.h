/*
 * crypt_age_int.h - what crypt_age.c (format, STREAM) and crypt_age_keys.c
 * (recipient and identity types) share.  Not for other modules.
 */
#ifndef BK_CRYPT_AGE_INT_H
#define BK_CRYPT_AGE_INT_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#define LABEL_X25519	"age-encryption.org/v1/X25519"
#define LABEL_SCRYPT	"age-encryption.org/v1/scrypt"
#define LABEL_ED25519	"age-encryption.org/v1/ssh-ed25519"
#define LABEL_RSA	"age-encryption.org/v1/ssh-rsa"

enum age_kind { K_X25519, K_SCRYPT, K_ED25519, K_RSA };

/* One recipient or identity.  secret: the 32-byte X25519 scalar
 * (converted for ed25519) or the passphrase. */
struct age_key {
	enum age_kind	 kind;
	unsigned char	 pk[32];	/* X25519 public (ed25519 converted) */
	unsigned char	 tweak[32];	/* ssh-ed25519 */
	char		 tag[8];	/* ssh: base64 of SHA-256(key)[:4] */
	unsigned char	*secret;	/* sodium_malloc'd */
	size_t		 secretlen;
	int		 work_factor;
	EVP_PKEY	*rsa;
};

struct age_recipients {
	struct age_key	*v;
	size_t		 n;
};

struct age_identities {
	struct age_key	*v;
	size_t		 n;
};

/* The ssh wire format: uint32 length-prefixed strings. */
struct wire {
	const unsigned char	*p;
	size_t			 n;
};

int	age_wire_str(struct wire *, const unsigned char **, size_t *);
bool	age_wire_is(struct wire *, const char *);
void	age_ssh_tag(const unsigned char *blob, size_t, char tag[8]);
/* bech32 (BIP 173) of exactly want bytes; one case only.  0 or -1. */
int	age_b32_decode(const char *, const char *hrp, unsigned char *,
	    size_t want);
char	*age_b32_encode(const char *hrp, const unsigned char *, size_t);
void	age_key_clear(struct age_key *);
void	age_key_push(struct age_key **, size_t *, struct age_key *);
/* ed25519 parts (X25519 pk, tweak, tag) from an ssh wire public key. */
int	age_ed25519_setup(struct age_key *, const unsigned char *, size_t);
/* n, e[, d, p, q, dmp1, dmq1, iqmp] -> an RSA key. */
EVP_PKEY *age_rsa_from_bn(BIGNUM *bn[], int private);
int	age_scrypt_key(const unsigned char *pw, size_t,
	    const unsigned char salt[16], int wf, unsigned char key[32]);

struct buf;
struct bk_err;

#define AGE_FILE_KEY	16
#define AGE_V1		"age-encryption.org/v1\n"
#define AGE_HEADER_MAX	(1024 * 1024)
#define AGE_MAX_ARGS	8

struct age_stanza {
	char		*args[AGE_MAX_ARGS];	/* args[0] is the type */
	size_t		 nargs;
	unsigned char	*body;
	size_t		 bodylen;
};

/* HKDF-SHA-256 with 32 bytes of output. */
void	age_hkdf(const unsigned char *ikm, size_t ikmlen,
	    const unsigned char *salt, size_t saltlen, const char *info,
	    unsigned char out[32]);
/* Canonical unpadded base64; 0 or -1. */
int	age_b64_decode(const char *, size_t, unsigned char *, size_t max,
	    size_t *len);
/* Append the base64 of data, unpadded, to b. */
void	age_b64_append(struct buf *, const unsigned char *, size_t);
/* Append one stanza (arg line and wrapped body). */
void	age_stanza_append(struct buf *, const char *args,
	    const unsigned char *body, size_t bodylen);

/* Wrap the file key for every recipient, appending stanzas to hdr. */
int	age_recipients_wrap(const struct age_recipients *,
	    const unsigned char *file_key, struct buf *hdr, struct bk_err *);
/*
 * Find the file key among the stanzas.  Returns 1 (file_key filled), 0 if
 * no identity matched, -1 on a malformed stanza (err set, BK_ECORRUPT).
 */
int	age_identities_unwrap(const struct age_identities *,
	    struct age_stanza *, size_t n, unsigned char *file_key,
	    struct bk_err *);

/* crypt_age_header.c: the header's parser and MAC.  parse: a complete
 * header (ending with the MAC line); *maclen the bytes the MAC covers;
 * BK_ECORRUPT on anything malformed. */
int	age_parse_header(const char *h, size_t len, struct age_stanza **,
	    size_t *n, unsigned char mac[32], size_t *maclen, struct bk_err *);
void	age_stanzas_free(struct age_stanza *, size_t n);
/* The next line of [*p, end) without its LF; -1 if there is no LF. */
int	age_next_line(const char **p, const char *end, const char **line,
	    size_t *len);
bool	age_is_b64(char);
void	age_header_mac(const unsigned char *file_key, const char *hdr,
	    size_t len, unsigned char mac[32]);
/* For crypt_age_seek.c: open a complete header (parse, unwrap the file
 * key, check the MAC); 0, or -1 with err (BK_EAUTH, BK_ECORRUPT). */
int	age_header_open(const struct age_identities *, const char *hdr,
	    size_t hlen, unsigned char *file_key, struct bk_err *);
void	age_payload_key(const unsigned char *file_key,
	    const unsigned char nonce[16], unsigned char *payload_key);
/* One STREAM chunk (ciphertext and tag); 0, or -1 when it does not
 * authenticate as chunk counter with that last flag. */
int	age_chunk_open(const unsigned char *payload_key, uint64_t counter,
	    bool last, const unsigned char *in, size_t inlen,
	    unsigned char *out, size_t *outlen);

#endif
