/*
 * sftp_session.c - the SFTP backend's connection to its server.
 *
 * One attempt at a session is: TCP connect with a deadline, the SSH
 * handshake, the host key check, login, the SFTP subsystem.  Callers
 * retry connection failures with sftp_retry_wait(); sftp_session_fail()
 * drops a session that failed below SFTP so the next attempt reconnects.
 *
 * Invariants:
 *  - The host key is checked before any credential is sent: a pinned
 *    SSH_HOST_KEY_FINGERPRINT, else trust on first use recorded in
 *    STATE_DIR/known_hosts/<user> (sftp_hostkey.c).
 *  - The private key is read once, from inside the user's files
 *    (path_resolve_in), and wiped when the session is cleaned up; the
 *    password and passphrase stay in the settings (registered secrets).
 *  - Failures the user must fix (key unusable, login refused, no SFTP
 *    subsystem, permission denied, no space) are not retryable.
 *
 * Threads: a session belongs to one struct storage, used by one thread;
 * libssh2_init() runs once through pthread_once.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "err.h"
#include "netpolicy.h"
#include "partial.h"
#include "path.h"
#include "settings.h"
#include "sftp_hostkey.h"
#include "sftp_rsa.h"
#include "sftp_session.h"
#include "storage.h"
#include "userfile.h"
#include "buf.h"
#include "xmalloc.h"

#define CONNECT_MS	15000
#define IO_TIMEOUT_MS	120000
#define ATTEMPTS	3
#define KEY_MAX		(64 * 1024)

static pthread_once_t ssh2_once = PTHREAD_ONCE_INIT;

static void
ssh2_global_init(void)
{
	(void)libssh2_init(0);
}

static const char *
ssh_msg(struct sftp_session *s)
{
	char *msg = NULL;

	if (s->ss == NULL)
		return "no session";
	libssh2_session_last_error(s->ss, &msg, NULL, 0);
	return msg != NULL && *msg != '\0' ? msg : "unknown error";
}

void
sftp_session_disconnect(struct sftp_session *s)
{
	if (s->sftp != NULL)
		libssh2_sftp_shutdown(s->sftp);
	s->sftp = NULL;
	if (s->ss != NULL) {
		libssh2_session_disconnect(s->ss, "panel-backup done");
		libssh2_session_free(s->ss);
	}
	s->ss = NULL;
	if (s->sock != -1)
		close(s->sock);
	s->sock = -1;
}

/*
 * TCP connect with a deadline, through the outbound policy: every address
 * SSH_HOST_NAME resolves to is checked before a socket is made for it.
 * BK_EUNREACH on failure, the policy's BK_ECONFIG when it refused all.
 */
static int
tcp_connect(struct sftp_session *s, struct bk_err *err)
{
	int fd;

	fd = netpolicy_connect(s->np, "SSH_HOST_NAME", s->host, s->port,
	    CONNECT_MS, err);
	if (fd == -1)
		return -1;
	s->sock = fd;
	return 0;
}

static const char *
hostkey_type(int type)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:		return "ssh-rsa";
	case LIBSSH2_HOSTKEY_TYPE_DSS:		return "ssh-dss";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:	return "ecdsa-sha2-nistp256";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:	return "ecdsa-sha2-nistp384";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:	return "ecdsa-sha2-nistp521";
	case LIBSSH2_HOSTKEY_TYPE_ED25519:	return "ssh-ed25519";
	default:				return "unknown";
	}
}

static int
check_hostkey(struct sftp_session *s, struct bk_err *err)
{
	const unsigned char *hash;
	char fp[64];
	size_t len;
	int type = 0;

	hash = (const unsigned char *)libssh2_hostkey_hash(s->ss,
	    LIBSSH2_HOSTKEY_HASH_SHA256);
	if (hash == NULL ||
	    libssh2_session_hostkey(s->ss, &len, &type) == NULL)
		return bk_err_set(err, BK_EPROTO, "%s:%d: no host key",
		    s->host, s->port);
	sftp_fingerprint(hash, fp, sizeof(fp));
	return sftp_hostkey_check(s->known_file, s->host, s->port,
	    hostkey_type(type), fp, s->pin, err);
}

/*
 * libssh2 1.10 signs with RSA only as "ssh-rsa" (SHA-1), which current
 * OpenSSH refuses; say so instead of a bare "login refused".  PEM keys
 * say RSA in their armour, OpenSSH-format keys in their base64 body.
 */
static bool
key_is_rsa(const struct sftp_session *s)
{
	const char *b, *e;
	unsigned char *bin;
	char *b64;
	size_t i, n = 0;
	bool rsa = false;
	int len;

	if (s->key == NULL)
		return false;
	if (strstr(s->key, "BEGIN RSA PRIVATE KEY") != NULL)
		return true;
	if ((b = strstr(s->key, "PRIVATE KEY-----")) == NULL ||
	    (e = strstr(b + 16, "-----END")) == NULL)
		return false;
	b64 = xmalloc((size_t)(e - b));
	for (i = 16; b + i < e; i++)
		if (b[i] != '\n' && b[i] != '\r')
			b64[n++] = b[i];
	n -= n % 4;
	bin = xmalloc(n + 1);
	len = EVP_DecodeBlock(bin, (unsigned char *)b64, (int)n);
	if (len > 0 && memmem(bin, (size_t)len, "ssh-rsa", 7) != NULL)
		rsa = true;
	explicit_bzero(bin, n + 1);
	free(bin);
	free(b64);
	return rsa;
}

/*
 * libssh2 1.10 reports a PEM key it cannot decrypt (wrong or missing
 * passphrase) as a protocol error ("Error parsing PEM"), having tried it
 * as an OpenSSH-format key as well.  Ask OpenSSL, which read it for
 * libssh2 in the first place, whether the key opens with the passphrase.
 */
static bool
pem_key_opens(const struct sftp_session *s)
{
	EVP_PKEY *pk;
	BIO *bio;

	if (strstr(s->key, "BEGIN OPENSSH PRIVATE KEY") != NULL)
		return true;		/* not PEM: libssh2's own parser */
	if ((bio = BIO_new_mem_buf(s->key, (int)s->keylen)) == NULL)
		return true;
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)(s->passphrase
	    != NULL ? s->passphrase : ""));
	BIO_free(bio);
	EVP_PKEY_free(pk);
	ERR_clear_error();	/* this thread's queue: nobody else's business */
	return pk != NULL;
}

static int
key_unusable(struct sftp_session *s, struct bk_err *err, const char *why)
{
	bk_err_set(err, BK_ECONFIG, "SSH_IDENTITY_FILE: %s: cannot use the "
	    "key (%s): wrong or missing SSH_IDENTITY_PASSPHRASE, or an "
	    "unsupported key format", s->key_path, why);
	err->retryable = false;
	return -1;
}

static int
authenticate(struct sftp_session *s, struct bk_err *err)
{
	const char *methods;
	unsigned int ulen = (unsigned int)strlen(s->user);
	bool sha2 = false;
	int rc;

	methods = libssh2_userauth_list(s->ss, s->user, ulen);
	if (methods == NULL) {
		if (libssh2_userauth_authenticated(s->ss))
			return 0;
		return bk_err_set(err, BK_EUNREACH, "%s:%d: %s", s->host,
		    s->port, ssh_msg(s));
	}
	if (s->key != NULL && strstr(methods, "publickey") != NULL) {
		/* An RSA key signs as rsa-sha2-256 first (sftp_rsa.c): this
		 * libssh2 signs it only as SHA-1 ssh-rsa, which is left as
		 * the fallback for servers without rsa-sha2. */
		if (sftp_rsa_login(s->ss, s->user, s->key, s->keylen,
		    s->passphrase, &rc) == 1) {
			if (rc == 0)
				return 0;
			sha2 = true;
		}
		rc = libssh2_userauth_publickey_frommemory(s->ss, s->user,
		    ulen, NULL, 0, s->key, s->keylen, s->passphrase != NULL ?
		    s->passphrase : "");
		if (rc == 0)
			return 0;
		if (rc == LIBSSH2_ERROR_FILE ||
		    rc == LIBSSH2_ERROR_KEYFILE_AUTH_FAILED ||
		    rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED)
			return key_unusable(s, err, ssh_msg(s));
		if (rc == LIBSSH2_ERROR_PROTO && !pem_key_opens(s))
			return key_unusable(s, err, "PEM key does not open");
		if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED &&
		    rc != LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
			return bk_err_set(err, BK_EIO, "%s:%d: %s", s->host,
			    s->port, ssh_msg(s));
	}
	if (s->password != NULL && *s->password != '\0' &&
	    strstr(methods, "password") != NULL) {
		rc = libssh2_userauth_password_ex(s->ss, s->user, ulen,
		    s->password, (unsigned int)strlen(s->password), NULL);
		if (rc == 0)
			return 0;
		if (rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED)
			return bk_err_set(err, BK_EIO, "%s:%d: %s", s->host,
			    s->port, ssh_msg(s));
	}
	bk_err_set(err, BK_EAUTH, "%s@%s:%d: login refused (tried:%s%s; "
	    "server accepts: %s): check SSH_USER, SSH_PASSWORD, "
	    "SSH_IDENTITY_FILE%s", s->user, s->host, s->port,
	    s->key != NULL ? " publickey" : "",
	    s->password != NULL && *s->password != '\0' ? " password" : "",
	    methods, !sha2 && key_is_rsa(s) ? " (this RSA key's format, "
	    "e.g. OpenSSH's with cipher aes128-ctr, can only be signed "
	    "with SHA-1 \"ssh-rsa\", which OpenSSH 8.8 and later refuse: "
	    "convert it with ssh-keygen -p -m PEM, or use an ed25519 or "
	    "ECDSA key)" : "");
	err->retryable = false;
	return -1;
}

static int
connect_once(struct sftp_session *s, struct bk_err *err)
{
	if (tcp_connect(s, err) == -1)
		return -1;
	if ((s->ss = libssh2_session_init()) == NULL) {
		bk_err_set(err, BK_EIO, "cannot create an SSH session");
		goto fail;
	}
	libssh2_session_set_blocking(s->ss, 1);
	libssh2_session_set_timeout(s->ss, IO_TIMEOUT_MS);
	if (libssh2_session_handshake(s->ss, s->sock) != 0) {
		bk_err_set(err, BK_EUNREACH, "%s:%d: SSH handshake failed: "
		    "%s", s->host, s->port, ssh_msg(s));
		goto fail;
	}
	libssh2_keepalive_config(s->ss, 0, 30);
	if (check_hostkey(s, err) == -1 || authenticate(s, err) == -1)
		goto fail;
	if ((s->sftp = libssh2_sftp_init(s->ss)) == NULL) {
		bk_err_set(err, BK_EPROTO, "%s:%d: the server refused the "
		    "SFTP subsystem (%s): SFTP must be enabled for %s",
		    s->host, s->port, ssh_msg(s), s->user);
		err->retryable = false;
		goto fail;
	}
	return 0;
fail:
	sftp_session_disconnect(s);
	return -1;
}

int
sftp_session_connect(struct sftp_session *s, struct bk_err *err)
{
	int next;

	if (s->sftp == NULL)
		return connect_once(s, err);
	(void)libssh2_keepalive_send(s->ss, &next);
	return 0;
}

bool
sftp_retry_wait(const struct bk_err *err, int *attempt)
{
	if (!err->retryable || ++*attempt >= ATTEMPTS)
		return false;
	partial_backoff(*attempt);
	return true;
}

int
sftp_session_fail(struct sftp_session *s, struct bk_err *err,
    const char *what, const char *path)
{
	unsigned long fx;
	int e = libssh2_session_last_errno(s->ss);

	if (e != LIBSSH2_ERROR_SFTP_PROTOCOL) {
		bk_err_set(err, e == LIBSSH2_ERROR_TIMEOUT ? BK_ETIMEDOUT :
		    BK_EIO, "%s:%d: %s %s: %s", s->host, s->port, what, path,
		    ssh_msg(s));
		sftp_session_disconnect(s);
		return -1;
	}
	fx = libssh2_sftp_last_error(s->sftp);
	switch (fx) {
	case LIBSSH2_FX_NO_SUCH_FILE:
	case LIBSSH2_FX_NO_SUCH_PATH:
		return bk_err_set(err, BK_ENOENT, "%s:%d: %s %s: no such "
		    "file or folder", s->host, s->port, what, path);
	case LIBSSH2_FX_PERMISSION_DENIED:
	case LIBSSH2_FX_WRITE_PROTECT:
		bk_err_set(err, BK_EFAIL, "%s:%d: %s %s: permission denied",
		    s->host, s->port, what, path);
		break;
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		bk_err_set(err, BK_EFAIL, "%s:%d: %s %s: no space left or "
		    "quota exceeded", s->host, s->port, what, path);
		break;
	default:
		bk_err_set(err, BK_EFAIL, "%s:%d: %s %s: SFTP status %lu",
		    s->host, s->port, what, path, fx);
		return -1;
	}
	err->retryable = false;
	return -1;
}

static int
read_key(struct sftp_session *s, const struct storage_config *cfg,
    const char *path, struct bk_err *err)
{
	struct buf b;

	if (cfg->files_root == NULL)
		return bk_err_set(err, BK_ECONFIG, "SSH_IDENTITY_FILE: no "
		    "Files source to look in");
	if (path_resolve_in(cfg->files_root, path, &s->key_path, err) == -1) {
		bk_err_prefix(err, "SSH_IDENTITY_FILE");
		if (err->code == BK_ENOENT)
			err->code = BK_ECONFIG;
		err->retryable = false;
		return -1;
	}
	/* The key is the user's: read as the user (privsep/userfile.c). */
	buf_init(&b, KEY_MAX);
	if (userfile_read_for(cfg->admin, cfg->user_name, "SSH_IDENTITY_FILE",
	    s->key_path, KEY_MAX, &b, err) == -1) {
		buf_free(&b);
		if (err->code == BK_ENOENT)
			err->code = BK_ECONFIG;
		return -1;
	}
	s->keylen = b.len;
	s->key = buf_take(&b);
	return 0;
}

int
sftp_session_init(struct sftp_session *s, const struct storage_config *cfg,
    struct bk_err *err)
{
	const struct settings *u = cfg->user;
	const char *v, *state;

	s->sock = -1;
	pthread_once(&ssh2_once, ssh2_global_init);
	s->np = netpolicy_from(cfg->admin);
	v = settings_get(u, "SSH_HOST_NAME");
	if (v == NULL || *v == '\0')
		return bk_err_set(err, BK_ECONFIG, "SSH_HOST_NAME: not set");
	s->host = xstrdup(v);
	s->port = (int)settings_int(u, "SSH_PORT");
	if (s->port <= 0 || s->port > 65535)
		return bk_err_set(err, BK_ECONFIG, "SSH_PORT: out of range");
	v = settings_get(u, "SSH_USER");
	if (v == NULL || *v == '\0')
		return bk_err_set(err, BK_ECONFIG, "SSH_USER: not set (the "
		    "login on %s)", s->host);
	s->user = xstrdup(v);
	s->password = settings_get(u, "SSH_PASSWORD");
	s->passphrase = settings_get(u, "SSH_IDENTITY_PASSPHRASE");
	v = settings_get(u, "SSH_IDENTITY_FILE");
	if (v != NULL && *v != '\0' && read_key(s, cfg, v, err) == -1)
		return -1;
	if (s->key == NULL && (s->password == NULL || *s->password == '\0'))
		return bk_err_set(err, BK_ECONFIG, "SSH_PASSWORD or "
		    "SSH_IDENTITY_FILE: one of them is needed to log in to "
		    "%s", s->host);
	v = settings_get(u, "SSH_HOST_KEY_FINGERPRINT");
	if (v != NULL && *v != '\0')
		s->pin = xstrdup(v);
	state = cfg->admin != NULL ? settings_get(cfg->admin, "STATE_DIR") :
	    NULL;
	if (cfg->state_dir != NULL)
		state = cfg->state_dir;
	if (s->pin == NULL && (state == NULL || *state == '\0'))
		return bk_err_set(err, BK_ECONFIG, "STATE_DIR: not set (needed "
		    "to remember SSH host keys)");
	if (cfg->user_name != NULL && !path_valid_user(cfg->user_name))
		return bk_err_set(err, BK_ECONFIG, "invalid user name");
	xasprintf(&s->known_file, "%s/known_hosts/%s", state != NULL ?
	    state : "", cfg->user_name != NULL ? cfg->user_name : "_");
	return 0;
}

void
sftp_session_cleanup(struct sftp_session *s)
{
	sftp_session_disconnect(s);
	netpolicy_free(s->np);
	s->np = NULL;
	free(s->host);
	free(s->user);
	if (s->key != NULL)
		explicit_bzero(s->key, s->keylen);
	free(s->key);
	free(s->key_path);
	free(s->pin);
	free(s->known_file);
}
