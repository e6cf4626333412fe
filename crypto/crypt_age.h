/*
 * crypt_age.h - the age v1 file format (age-encryption.org/v1, C2SP),
 * implemented with libsodium and, for ssh-rsa, OpenSSL's libcrypto.
 *
 * Recipients (encryption): age1... (X25519), "ssh-ed25519 ..." and
 * "ssh-rsa ..." authorized_keys lines, or one passphrase (scrypt, which
 * must then be the only recipient).  Identities (decryption):
 * AGE-SECRET-KEY-1... lines, unencrypted OpenSSH ed25519 and RSA private
 * keys (and PEM RSA keys), passphrases.  The decoder also reads the
 * strict ASCII armor (age -a); the encoder writes binary only.
 *
 * Both directions are push APIs: the caller writes bytes in pieces of any
 * size and the output callback receives the result in pieces; memory is one
 * 64 KiB STREAM chunk plus the header.  Plaintext is released only after
 * its chunk authenticated; finish() fails unless a valid final chunk ended
 * the stream, so truncation is always an error.
 *
 * Secrets (file keys, scalars, passphrases) live in sodium_malloc'd memory
 * and are wiped when freed.  Errors never contain key material.
 */
#ifndef BK_CRYPT_AGE_H
#define BK_CRYPT_AGE_H

#include <stddef.h>

struct bk_err;
struct age_recipients;
struct age_identities;
struct age_enc;
struct age_dec;

#define AGE_SCRYPT_WORK_FACTOR	18	/* what age -p uses */
#define AGE_SCRYPT_MAX_FACTOR	22	/* decryption refuses more */

/* Receives output; returns 0, or -1 with err set to stop the stream. */
typedef int	age_out_fn(void *ctx, const void *, size_t, struct bk_err *);

struct age_recipients *age_recipients_new(void);
/* One recipient: "age1...", "ssh-ed25519 AAAA... [comment]" or
 * "ssh-rsa AAAA... [comment]".  BK_ECONFIG on anything else. */
int	age_recipients_add(struct age_recipients *, const char *,
	    struct bk_err *);
/* A passphrase recipient (copied into locked memory). */
int	age_recipients_add_passphrase(struct age_recipients *, const char *,
	    size_t, int work_factor, struct bk_err *);
size_t	age_recipients_count(const struct age_recipients *);
void	age_recipients_free(struct age_recipients *);

struct age_identities *age_identities_new(void);
/* The contents of an identity file: AGE-SECRET-KEY-1 lines (# comments
 * and blank lines allowed) or one OpenSSH/PEM private key. */
int	age_identities_add_data(struct age_identities *, const char *, size_t,
	    struct bk_err *);
int	age_identities_add_passphrase(struct age_identities *, const char *,
	    size_t, struct bk_err *);
size_t	age_identities_count(const struct age_identities *);
void	age_identities_free(struct age_identities *);

/* Encryption: the header is emitted by the first write or by finish. */
struct age_enc *age_enc_new(const struct age_recipients *, age_out_fn *,
	    void *, struct bk_err *);
int	age_enc_write(struct age_enc *, const void *, size_t,
	    struct bk_err *);
int	age_enc_finish(struct age_enc *, struct bk_err *);
void	age_enc_free(struct age_enc *);

/* Decryption: BK_ECORRUPT for malformed or tampered files, BK_EAUTH when
 * no identity opens the file. */
struct age_dec *age_dec_new(const struct age_identities *, age_out_fn *,
	    void *);
int	age_dec_write(struct age_dec *, const void *, size_t,
	    struct bk_err *);
int	age_dec_finish(struct age_dec *, struct bk_err *);
void	age_dec_free(struct age_dec *);

/* Does the start of a file look like age (binary or armored)? */
int	age_is_age(const void *, size_t);

/* Key helpers (tests, bench): a fresh identity and its recipient, as the
 * NUL-terminated strings AGE-SECRET-KEY-1... (sodium_malloc'd; free with
 * sodium_free) and age1... (xmalloc'd). */
int	age_keygen(char **identity, char **recipient);

#endif
