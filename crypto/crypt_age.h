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
#include <stdint.h>

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

/*
 * Random access to a binary age file (crypt_age_seek.c): open it from its
 * first bytes (the header and the payload nonce must be complete in
 * them) and its size, then decrypt any run of 64 KiB chunks, each
 * authenticated as itself (counter, and the last-chunk flag for the
 * file's last).  age_seek_open: 1 opened, 0 when the head is no binary
 * age header it can read whole (armored, or a header longer than head:
 * read the file through instead), -1 with err (no identity matched, a
 * bad MAC, a size no age file can have).
 */
struct age_seek;
#define AGE_CHUNK	(64 * 1024)
#define AGE_CHUNK_CT	(AGE_CHUNK + 16)
int	age_seek_open(const struct age_identities *, const void *head,
	    size_t len, uint64_t file_size, struct age_seek **,
	    struct bk_err *);
uint64_t age_seek_plain_size(const struct age_seek *);
/* Chunks holding plain [off, off + len): the first one's number, and the
 * ciphertext range [*coff, *coff + *clen) to fetch. */
void	age_seek_range(const struct age_seek *, uint64_t off, uint64_t len,
	    uint64_t *first, uint64_t *coff, uint64_t *clen);
/* ct: whole chunks from chunk first on; out (room for ctlen bytes) gets
 * their plaintext.  BK_ECORRUPT when one does not authenticate. */
int	age_seek_decrypt(struct age_seek *, uint64_t first, const void *ct,
	    size_t ctlen, void *out, size_t *outlen, struct bk_err *);
void	age_seek_free(struct age_seek *);

/* Does the start of a file look like age (binary or armored)? */
int	age_is_age(const void *, size_t);

/* Key helpers (tests, bench): a fresh identity and its recipient, as the
 * NUL-terminated strings AGE-SECRET-KEY-1... (sodium_malloc'd; free with
 * sodium_free) and age1... (xmalloc'd). */
int	age_keygen(char **identity, char **recipient);

#endif
