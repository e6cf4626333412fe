/*
 * sftp_hostkey.c - host key checks of the SFTP destination.
 *
 * The tool panel-backup replaces accepted any host key.  We check one of
 * two ways: a pinned fingerprint (SSH_HOST_KEY_FINGERPRINT), or trust on
 * first use, recorded in STATE_DIR/known_hosts/<user>, one line per host:
 *
 *	[host]:port ssh-ed25519 SHA256:base64
 *
 * Fingerprints rather than whole keys: they are what a user compares with
 * `ssh-keygen -lf`, and what the error message must show.  The file is
 * per panel user so that one user's first contact cannot vouch for a host
 * another user connects to.  Readers and the appending writer hold an
 * flock, so two jobs meeting a new host at once record it once.
 *
 * Threads: no shared state; the flock serialises processes and threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "err.h"
#include "path.h"
#include "sftp_hostkey.h"
#include "xmalloc.h"

void
sftp_fingerprint(const unsigned char *sha256, char *out, size_t size)
{
	unsigned char b64[64];
	int n;

	n = EVP_EncodeBlock(b64, sha256, 32);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(out, size, "SHA256:%.*s", n, (const char *)b64);
}

/* Compare fingerprints, tolerating a missing "SHA256:" and padding. */
static int
fp_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (strncmp(a, "SHA256:", 7) == 0)
		a += 7;
	if (strncmp(b, "SHA256:", 7) == 0)
		b += 7;
	la = strcspn(a, "= \t\r\n");
	lb = strcspn(b, "= \t\r\n");
	return la == lb && la > 0 && memcmp(a, b, la) == 0;
}

/* Find host's recorded fingerprint in f; copies it to out. */
static int
known_lookup(FILE *f, const char *hostport, char *out, size_t size)
{
	char line[512], h[300], t[64], fp[128];

	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%299s %63s %127s", h, t, fp) != 3)
			continue;
		if (strcmp(h, hostport) == 0) {
			snprintf(out, size, "%s", fp);
			return 1;
		}
	}
	return 0;
}

static char *
dir_of(const char *file)
{
	char *d = xstrdup(file), *s = strrchr(d, '/');

	if (s != NULL && s != d)
		*s = '\0';
	return d;
}

int
sftp_hostkey_check(const char *known_file, const char *host, int port,
    const char *keytype, const char *fp, const char *pin,
    struct bk_err *err)
{
	char hostport[300], known[128];
	FILE *f = NULL;
	char *dir;
	int fd, rc = -1;

	if (pin != NULL && *pin != '\0') {
		if (fp_equal(pin, fp))
			return 0;
		bk_err_set(err, BK_EAUTH, "%s:%d: host key mismatch: the "
		    "server offered %s but SSH_HOST_KEY_FINGERPRINT pins %s",
		    host, port, fp, pin);
		err->retryable = false;
		return -1;
	}
	snprintf(hostport, sizeof(hostport), "[%s]:%d", host, port);
	dir = dir_of(known_file);
	if (path_mkdirs(dir, 0700, err) == -1) {
		bk_err_prefix(err, "known SSH hosts (STATE_DIR)");
		free(dir);
		return -1;
	}
	free(dir);
	fd = open(known_file, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1)
		return bk_err_sys(err, BK_EIO, "known SSH hosts: %s",
		    known_file);
	if (flock(fd, LOCK_EX) == -1 || (f = fdopen(fd, "a+")) == NULL) {
		bk_err_sys(err, BK_EIO, "known SSH hosts: %s", known_file);
		close(fd);
		return -1;
	}
	if (known_lookup(f, hostport, known, sizeof(known))) {
		if (fp_equal(known, fp))
			rc = 0;
		else {
			bk_err_set(err, BK_EAUTH, "%s:%d: host key changed: "
			    "the server now offers %s %s, but %s was recorded "
			    "on first use in %s; if the change is expected, "
			    "delete that line or set SSH_HOST_KEY_FINGERPRINT",
			    host, port, keytype, fp, known, known_file);
			err->retryable = false;
		}
		goto out;
	}
	if (fprintf(f, "%s %s %s\n", hostport, keytype, fp) < 0 ||
	    fflush(f) != 0) {
		bk_err_sys(err, BK_EIO, "known SSH hosts: %s", known_file);
		goto out;
	}
	rc = 0;
out:
	fclose(f);	/* drops the lock */
	return rc;
}
