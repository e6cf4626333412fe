/*
 * crypt_gpg.h - OpenPGP encryption and decryption through gpgme, as a
 * push stream (write pieces, get output through a callback).
 *
 * Encryption: a passphrase (symmetric, AES-256, binary) or an armored
 * public key ring (every key a recipient; expired, revoked, disabled or
 * encryption-incapable keys are refused naming their fingerprint).
 * Decryption: a passphrase and/or an armored or binary private key ring.
 * Everything runs in a private temporary GNUPGHOME (mode 0700, no network
 * lookups, trust-model always) whose agent is stopped and which is
 * removed by gpg_stream_free().  No temporary file ever holds payload.
 */
#ifndef BK_CRYPT_GPG_H
#define BK_CRYPT_GPG_H

#include <stdbool.h>
#include <stddef.h>

struct bk_err;
struct gpg_stream;

/* Keys for one stream; borrowed, must outlive the stream.  setting names
 * the user's setting for error messages (may be NULL). */
struct gpg_keys {
	const char	*passphrase;	/* NUL-terminated, or NULL */
	const char	*ring;		/* armored (or binary) keys, or NULL */
	size_t		 ringlen;
	const char	*setting;
};

typedef int	gpg_out_fn(void *ctx, const void *, size_t, struct bk_err *);

/* Starts gpg.  BK_ECONFIG for unusable keys, BK_EFAIL if gpg is missing. */
struct gpg_stream *gpg_stream_new(bool decrypt, const struct gpg_keys *,
	    gpg_out_fn *, void *, struct bk_err *);
/* Import and check keys->ring (encryption) without running anything. */
int	gpg_keys_check(const struct gpg_keys *, struct bk_err *);
int	gpg_stream_write(struct gpg_stream *, const void *, size_t,
	    struct bk_err *);
/* End of input: waits for gpg; 0 only if the operation succeeded (for
 * decryption: integrity-protected data that authenticated). */
int	gpg_stream_finish(struct gpg_stream *, struct bk_err *);
/* Stops gpg if still running, kills the agent, removes the home. */
void	gpg_stream_free(struct gpg_stream *);

/* Does the start of a file look like OpenPGP (binary packet or armor)? */
bool	gpg_is_pgp(const void *, size_t);

#endif
