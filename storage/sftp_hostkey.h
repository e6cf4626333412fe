/*
 * sftp_hostkey.h - SSH host key checks for the SFTP destination: a pinned
 * fingerprint, or trust on first use recorded per panel user and host.
 */
#ifndef BK_SFTP_HOSTKEY_H
#define BK_SFTP_HOSTKEY_H

#include <stddef.h>

struct bk_err;

/* "SHA256:<base64 without padding>" of a 32-byte digest, as OpenSSH
 * prints it.  out must hold 64 bytes. */
void	sftp_fingerprint(const unsigned char *sha256, char *out, size_t size);

/*
 * Check fp (the server's "SHA256:..." fingerprint) for host:port.  With a
 * pin (SSH_HOST_KEY_FINGERPRINT) only the pin counts.  Otherwise the known
 * hosts file (known_file, created 0600 with its folder 0700) is consulted:
 * an unknown host is recorded, a known one must match.  A mismatch is
 * BK_EAUTH (not retryable) naming both fingerprints and the file.
 */
int	sftp_hostkey_check(const char *known_file, const char *host, int port,
	    const char *keytype, const char *fp, const char *pin,
	    struct bk_err *);

#endif
