/*
 * crypt.h - encryption stages chosen from a user's settings, and the
 * decrypting counterpart for restore, verify and `backupctl decrypt`.
 *
 * Encryption: GPG_PASSPHRASE, GPG_PUBLIC_KEY_RING (gpg, ".gpg"),
 * AGE_PASSPHRASE, AGE_PUBLIC_KEYS (age, ".age"); at most one.
 * Decryption: the scheme is recognised from the data's first bytes (age
 * header or armor, OpenPGP packet or armor), with the stored name's
 * suffix as a cross-check; keys come from --identity / --passphrase-file
 * or else from the user's passphrase settings.
 */
#ifndef BK_CRYPT_H
#define BK_CRYPT_H

#include <stddef.h>

struct age_identities;
struct bk_err;
struct settings;
struct stage_type;

/* From the user's settings: *type NULL when no encryption is set; else the
 * encrypting stage, its arg (free with crypt_stage_free) and the file
 * suffix ".gpg" or ".age".  The four settings are mutually exclusive (two
 * set: BK_ECONFIG naming both).  ALLOW_ENCRYPTION is checked by the
 * caller. */
int	crypt_stage_for(const struct settings *user,
	    const struct stage_type **type, void **arg, const char **suffix,
	    struct bk_err *err);
void	crypt_stage_free(void *arg);

enum crypt_scheme { CRYPT_NONE, CRYPT_AGE, CRYPT_GPG };

/* By a backup's name: ".age", ".gpg" (also ".pgp", ".asc"), else none. */
enum crypt_scheme crypt_scheme_of_name(const char *name);
/* By the first bytes of the data (at least 64 when available). */
enum crypt_scheme crypt_scheme_of_data(const void *, size_t);

/*
 * Decryption keys.  identity_file: an age identity file (AGE-SECRET-KEY-1
 * lines, an OpenSSH ed25519/RSA key) or an OpenPGP private key ring;
 * passphrase_file: its first line is the passphrase (age scrypt or gpg).
 * Without either, AGE_PASSPHRASE and GPG_PASSPHRASE of user (may be NULL)
 * are used.  Key material is kept in locked memory.
 */
struct crypt_keys *crypt_keys_new(const struct settings *user,
	    const char *identity_file, const char *passphrase_file,
	    struct bk_err *err);
void	crypt_keys_free(struct crypt_keys *);
/* The age identities among the keys (restore --only's chunk reader). */
const struct age_identities *crypt_keys_age(const struct crypt_keys *);

typedef int	crypt_out_fn(void *ctx, const void *, size_t, struct bk_err *);

/* A push decryptor that recognises age or OpenPGP by the first bytes. */
struct crypt_dec *crypt_dec_new(const struct crypt_keys *, crypt_out_fn *,
	    void *ctx);
int	crypt_dec_write(struct crypt_dec *, const void *, size_t,
	    struct bk_err *);
int	crypt_dec_finish(struct crypt_dec *, struct bk_err *);
void	crypt_dec_free(struct crypt_dec *);

/* The same as a pipeline stage (restore, verify): arg is a struct
 * crypt_keys *, borrowed. */
extern const struct stage_type stage_decrypt;

#endif
