/*
 * storage_sftp.c - the SFTP destination (SSH_*), over libssh2.
 *
 * Invariants:
 *  - The host key is checked before any credential is sent: a pinned
 *    SSH_HOST_KEY_FINGERPRINT, else trust on first use recorded in
 *    STATE_DIR/known_hosts/<user> (sftp_hostkey.c).
 *  - An upload goes to "NAME.partial" in SSH_REMOTE_PATH and is renamed
 *    into place only by commit, so a final name always holds a whole
 *    backup.  list() never shows ".partial" files; cleanup() removes those
 *    not being written through this handle (jobs of one user run one at a
 *    time, so any other one was left by an attempt that died).
 *  - Writes are gathered into a large buffer handed to libssh2_sftp_write()
 *    in one call: libssh2 1.10 splits it into many SFTP write requests in
 *    flight at once (its write pipelining), which is what makes SFTP fast
 *    on a link with latency.
 *  - Connection failures are retried with backoff (open, list, delete,
 *    download before the first byte); a broken upload is not: the stream
 *    is gone, the job retries.
 *
 * Threads: one struct storage per thread (a libssh2 session is not shared);
 * libssh2_init() runs once through pthread_once.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <openssl/evp.h>

#include "err.h"
#include "path.h"
#include "settings.h"
#include "sftp_hostkey.h"
#include "storage_int.h"
#include "xmalloc.h"

#define PARTIAL_SUFFIX	".partial"
#define WBUF_SIZE	(2u << 20)	/* ~70 SFTP writes in flight */
#define RBUF_SIZE	(1u << 20)
#define CONNECT_MS	15000
#define IO_TIMEOUT_MS	120000
#define ATTEMPTS	3
#define KEY_MAX		(64 * 1024)

struct sftp {
	char			*host;
	int			 port;
	char			*user;
	const char		*password;	/* borrowed from settings */
	const char		*passphrase;
	char			*key;		/* private key text */
	size_t			 keylen;
	char			*key_path;
	char			*dir;		/* remote folder, no trailing / */
	char			*pin;
	char			*known_file;
	int			 sock;
	LIBSSH2_SESSION		*ss;
	LIBSSH2_SFTP		*sftp;
	bool			 dir_ready;
	char			*active;	/* partial name being written */
};

struct sftp_upload {
	LIBSSH2_SFTP_HANDLE	*h;
	char			*tmp;		/* full remote path */
	char			*dst;
	unsigned char		*buf;
	size_t			 len;
};

static pthread_once_t ssh2_once = PTHREAD_ONCE_INIT;

static void
ssh2_global_init(void)
{
	(void)libssh2_init(0);
}

static void
backoff(int attempt)
{
	struct timespec ts;
	long ms = 250L << attempt;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static const char *
ssh_msg(struct sftp *s)
{
	char *msg = NULL;

	if (s->ss == NULL)
		return "no session";
	libssh2_session_last_error(s->ss, &msg, NULL, 0);
	return msg != NULL && *msg != '\0' ? msg : "unknown error";
}

static void
sftp_disconnect(struct sftp *s)
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

/* TCP connect with a deadline; BK_EUNREACH on failure. */
static int
tcp_connect(struct sftp *s, struct bk_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	char port[16];
	int fd = -1, rc, soerr = 0;
	socklen_t sl = sizeof(soerr);

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->port);
	if ((rc = getaddrinfo(s->host, port, &hints, &res)) != 0)
		return bk_err_set(err, BK_EUNREACH, "SSH_HOST_NAME: %s: %s",
		    s->host, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, CONNECT_MS) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &sl) == 0 && soerr == 0)
				break;
			errno = soerr != 0 ? soerr : ETIMEDOUT;
		}
		soerr = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		errno = soerr;
		return bk_err_sys(err, BK_EUNREACH, "%s:%d: cannot connect",
		    s->host, s->port);
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
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
check_hostkey(struct sftp *s, struct bk_err *err)
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
key_is_rsa(const struct sftp *s)
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

static int
authenticate(struct sftp *s, struct bk_err *err)
{
	const char *methods;
	unsigned int ulen = (unsigned int)strlen(s->user);
	int rc;

	methods = libssh2_userauth_list(s->ss, s->user, ulen);
	if (methods == NULL) {
		if (libssh2_userauth_authenticated(s->ss))
			return 0;
		return bk_err_set(err, BK_EUNREACH, "%s:%d: %s", s->host,
		    s->port, ssh_msg(s));
	}
	if (s->key != NULL && strstr(methods, "publickey") != NULL) {
		rc = libssh2_userauth_publickey_frommemory(s->ss, s->user,
		    ulen, NULL, 0, s->key, s->keylen, s->passphrase != NULL ?
		    s->passphrase : "");
		if (rc == 0)
			return 0;
		if (rc == LIBSSH2_ERROR_FILE ||
		    rc == LIBSSH2_ERROR_KEYFILE_AUTH_FAILED ||
		    rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED) {
			bk_err_set(err, BK_ECONFIG, "SSH_IDENTITY_FILE: %s: "
			    "cannot use the key (%s): wrong or missing "
			    "SSH_IDENTITY_PASSPHRASE, or an unsupported key "
			    "format", s->key_path, ssh_msg(s));
			err->retryable = false;
			return -1;
		}
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
	    methods, key_is_rsa(s) ? " (an RSA key is signed with SHA-1 "
	    "\"ssh-rsa\" by this libssh2, which OpenSSH 8.8 and later "
	    "refuse: use an ed25519 or ECDSA key)" : "");
	err->retryable = false;
	return -1;
}

static int
connect_once(struct sftp *s, struct bk_err *err)
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
	sftp_disconnect(s);
	return -1;
}

/* Connect when there is no session (one attempt; callers retry). */
static int
sftp_connect(struct sftp *s, struct bk_err *err)
{
	int next;

	if (s->sftp == NULL)
		return connect_once(s, err);
	(void)libssh2_keepalive_send(s->ss, &next);
	return 0;
}

/* After a failure: 1 (having waited) if another attempt is worth it. */
static int
retry_wait(const struct bk_err *err, int *attempt)
{
	if (!err->retryable || ++*attempt >= ATTEMPTS)
		return 0;
	backoff(*attempt);
	return 1;
}

/*
 * Turn the last libssh2 failure into err.  SFTP status codes map to
 * ENOENT and friends; a session failure drops the connection so the next
 * attempt reconnects.
 */
static int
sftp_fail(struct sftp *s, struct bk_err *err, const char *what,
    const char *path)
{
	unsigned long fx;
	int e = libssh2_session_last_errno(s->ss);

	if (e != LIBSSH2_ERROR_SFTP_PROTOCOL) {
		bk_err_set(err, e == LIBSSH2_ERROR_TIMEOUT ? BK_ETIMEDOUT :
		    BK_EIO, "%s:%d: %s %s: %s", s->host, s->port, what, path,
		    ssh_msg(s));
		sftp_disconnect(s);
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

static char *
remote_path(struct sftp *s, const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", s->dir, name);
	return p;
}

static bool
is_dir(struct sftp *s, const char *path)
{
	LIBSSH2_SFTP_ATTRIBUTES a;

	return libssh2_sftp_stat(s->sftp, path, &a) == 0 &&
	    (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
	    LIBSSH2_SFTP_S_ISDIR(a.permissions);
}

/*
 * Create SSH_REMOTE_PATH level by level.  The error names the exact
 * path tried, and for an absolute path that the server refuses, the usual
 * cause: under a chroot (Hetzner Storage Box, Synology) "/" is the chroot.
 */
static int
ensure_dir(struct sftp *s, struct bk_err *err)
{
	char *p, *c, save;
	int rc = 0;

	if (s->dir_ready || is_dir(s, s->dir))
		return s->dir_ready = true, 0;
	p = xstrdup(s->dir);
	for (c = p + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		save = *c;
		*c = '\0';
		if (strcmp(p, ".") != 0 && !is_dir(s, p) &&
		    libssh2_sftp_mkdir(s->sftp, p, 0700) != 0 &&
		    !is_dir(s, p)) {
			if (libssh2_session_last_errno(s->ss) !=
			    LIBSSH2_ERROR_SFTP_PROTOCOL)
				rc = sftp_fail(s, err, "cannot create", p);
			else {
				rc = bk_err_set(err, BK_EFAIL, "SSH_REMOTE_PATH: "
				    "%s@%s:%d: cannot create folder \"%s\" "
				    "(tried \"%s\")%s", s->user, s->host,
				    s->port, s->dir, p, s->dir[0] == '/' ?
				    "; on a chrooted account an absolute path "
				    "starts at the chroot: try a path relative "
				    "to the login folder" : "");
				err->retryable = false;
			}
			break;
		}
		*c = save;
		if (save == '\0')
			break;
	}
	free(p);
	if (rc == 0)
		s->dir_ready = true;
	return rc;
}

static int
read_key(struct sftp *s, const struct storage_config *cfg,
    const char *path, struct bk_err *err)
{
	struct stat sb;
	ssize_t n;
	int fd;

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
	fd = open(s->key_path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1 || sb.st_size > KEY_MAX) {
		if (fd != -1)
			close(fd);
		return bk_err_set(err, BK_ECONFIG, "SSH_IDENTITY_FILE: %s: "
		    "cannot read the key (missing, unreadable or larger "
		    "than 64 KiB)", path);
	}
	s->key = xmalloc((size_t)sb.st_size + 1);
	n = read(fd, s->key, (size_t)sb.st_size);
	close(fd);
	if (n != sb.st_size)
		return bk_err_set(err, BK_ECONFIG, "SSH_IDENTITY_FILE: %s: "
		    "short read", path);
	s->key[n] = '\0';
	s->keylen = (size_t)n;
	return 0;
}

static int
sftp_open_settings(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	struct sftp *s = st->priv;
	const struct settings *u = cfg->user;
	const char *v, *state;
	size_t n;
	int i;

	s->sock = -1;
	pthread_once(&ssh2_once, ssh2_global_init);
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
	v = settings_get(u, "SSH_REMOTE_PATH");
	s->dir = xstrdup(v != NULL && *v != '\0' ? v : ".");
	n = strlen(s->dir);
	while (n > 1 && s->dir[n - 1] == '/')
		s->dir[--n] = '\0';
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
	storage_set_location(st, "sftp://%s@%s:%d/%s", s->user, s->host,
	    s->port, s->dir[0] == '/' ? s->dir + 1 : s->dir);
	for (i = 0;;)
		if (sftp_connect(s, err) == 0 || !retry_wait(err, &i))
			break;
	return s->sftp != NULL ? 0 : -1;
}

static void
sftp_close(struct storage *st)
{
	struct sftp *s = st->priv;

	sftp_disconnect(s);
	free(s->host);
	free(s->user);
	if (s->key != NULL)
		explicit_bzero(s->key, s->keylen);
	free(s->key);
	free(s->key_path);
	free(s->dir);
	free(s->pin);
	free(s->known_file);
	free(s->active);
}

static int
sftp_begin(struct storage *st, struct storage_upload *up,
    struct bk_err *err)
{
	struct sftp *s = st->priv;
	struct sftp_upload *u = up->priv;
	char *tmpname;
	int i;

	xasprintf(&tmpname, "%s" PARTIAL_SUFFIX, up->name);
	u->tmp = remote_path(s, tmpname);
	u->dst = remote_path(s, up->name);
	for (i = 0;;) {
		if (sftp_connect(s, err) == 0 && ensure_dir(s, err) == 0) {
			u->h = libssh2_sftp_open_ex(s->sftp, u->tmp,
			    (unsigned int)strlen(u->tmp), LIBSSH2_FXF_WRITE |
			    LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, 0600,
			    LIBSSH2_SFTP_OPENFILE);
			if (u->h != NULL)
				break;
			sftp_fail(s, err, "cannot create", u->tmp);
		}
		if (!retry_wait(err, &i))
			goto fail;
	}
	free(s->active);
	s->active = tmpname;
	u->buf = xmalloc(WBUF_SIZE);
	return 0;
fail:
	free(tmpname);
	free(u->tmp);
	free(u->dst);
	return -1;
}

/* Hand the whole buffer to libssh2 at once: it pipelines the requests. */
static int
flush_buf(struct storage_upload *up, struct bk_err *err)
{
	struct sftp_upload *u = up->priv;
	struct sftp *s = up->st->priv;
	size_t off = 0;
	ssize_t w;

	while (off < u->len) {
		w = libssh2_sftp_write(u->h, (const char *)u->buf + off,
		    u->len - off);
		if (w < 0)
			return sftp_fail(s, err, "cannot write", u->tmp);
		off += (size_t)w;
	}
	u->len = 0;
	return 0;
}

static int
sftp_write(struct storage_upload *up, const void *p, size_t n,
    struct bk_err *err)
{
	struct sftp_upload *u = up->priv;
	const unsigned char *c = p;
	size_t k;

	while (n > 0) {
		k = WBUF_SIZE - u->len;
		if (k > n)
			k = n;
		memcpy(u->buf + u->len, c, k);
		u->len += k;
		c += k;
		n -= k;
		if (u->len == WBUF_SIZE && flush_buf(up, err) == -1)
			return -1;
	}
	return 0;
}

static void
upload_free(struct storage_upload *up)
{
	struct sftp_upload *u = up->priv;
	struct sftp *s = up->st->priv;

	free(s->active);
	s->active = NULL;
	free(u->buf);
	free(u->tmp);
	free(u->dst);
}

static void
sftp_abort(struct storage_upload *up)
{
	struct sftp_upload *u = up->priv;
	struct sftp *s = up->st->priv;

	if (u->h != NULL && s->sftp != NULL)
		libssh2_sftp_close_handle(u->h);
	if (s->sftp != NULL)
		(void)libssh2_sftp_unlink(s->sftp, u->tmp);
	upload_free(up);
}

/*
 * Rename into place.  libssh2 1.10 lacks posix-rename@openssh.com; the
 * SFTP v3 rename of OpenSSH refuses an existing target, so a target that
 * exists (a retry of the same name) is removed first.  Later libssh2 has
 * the atomic posix rename; use it when built against one.
 */
static int
rename_into_place(struct sftp *s, struct sftp_upload *u, struct bk_err *err)
{
	unsigned int tl = (unsigned int)strlen(u->tmp);
	unsigned int dl = (unsigned int)strlen(u->dst);
	LIBSSH2_SFTP_ATTRIBUTES a;

#if LIBSSH2_VERSION_NUM >= 0x010b01
	if (libssh2_sftp_posix_rename_ex(s->sftp, u->tmp, tl, u->dst,
	    dl) == 0)
		return 0;
#endif
	if (libssh2_sftp_rename_ex(s->sftp, u->tmp, tl, u->dst, dl,
	    LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC |
	    LIBSSH2_SFTP_RENAME_NATIVE) == 0)
		return 0;
	if (s->sftp != NULL && libssh2_sftp_lstat(s->sftp, u->dst, &a) == 0 &&
	    libssh2_sftp_unlink(s->sftp, u->dst) == 0 &&
	    libssh2_sftp_rename_ex(s->sftp, u->tmp, tl, u->dst, dl,
	    LIBSSH2_SFTP_RENAME_NATIVE) == 0)
		return 0;
	return sftp_fail(s, err, "cannot rename into place", u->dst);
}

static int
sftp_commit(struct storage_upload *up, struct bk_err *err)
{
	struct sftp_upload *u = up->priv;
	struct sftp *s = up->st->priv;
	LIBSSH2_SFTP_ATTRIBUTES a;
	int rc;

	if (flush_buf(up, err) == -1)
		goto fail;
	(void)libssh2_sftp_fsync(u->h);		/* fsync@openssh.com */
	rc = libssh2_sftp_close_handle(u->h);
	u->h = NULL;
	if (rc != 0) {
		sftp_fail(s, err, "cannot finish", u->tmp);
		goto fail;
	}
	/* The server's view of the size must be what we sent. */
	if (libssh2_sftp_stat(s->sftp, u->tmp, &a) != 0) {
		sftp_fail(s, err, "cannot check", u->tmp);
		goto fail;
	}
	if ((a.flags & LIBSSH2_SFTP_ATTR_SIZE) && a.filesize != up->bytes) {
		bk_err_set(err, BK_EIO, "%s:%d: %s: the server has %llu "
		    "bytes, %llu were sent", s->host, s->port, u->tmp,
		    (unsigned long long)a.filesize,
		    (unsigned long long)up->bytes);
		goto fail;
	}
	if (rename_into_place(s, u, err) == -1)
		goto fail;
	upload_free(up);
	return 0;
fail:
	sftp_abort(up);
	return -1;
}

static bool
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a > b && strcmp(s + a - b, suf) == 0;
}

/*
 * Walk the remote folder.  partials: report only ".partial" files (for
 * cleanup) instead of only the others.  A missing folder is empty.
 */
static int
walk(struct sftp *s, bool partials, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	LIBSSH2_SFTP_HANDLE *d;
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct storage_obj obj;
	char name[512];
	int n, rc = 0, i;

	for (i = 0;;) {
		if (sftp_connect(s, err) == 0) {
			d = libssh2_sftp_open_ex(s->sftp, s->dir,
			    (unsigned int)strlen(s->dir), 0, 0,
			    LIBSSH2_SFTP_OPENDIR);
			if (d != NULL)
				break;
			sftp_fail(s, err, "cannot list", s->dir);
			if (err->code == BK_ENOENT)
				return 0;
		}
		if (!retry_wait(err, &i))
			return -1;
	}
	for (;;) {
		n = libssh2_sftp_readdir_ex(d, name, sizeof(name), NULL, 0,
		    &a);
		if (n == 0)
			break;
		if (n < 0) {
			rc = sftp_fail(s, err, "cannot list", s->dir);
			break;
		}
		if (name[0] == '.' && (name[1] == '\0' ||
		    (name[1] == '.' && name[2] == '\0')))
			continue;
		if (!(a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) ||
		    !LIBSSH2_SFTP_S_ISREG(a.permissions))
			continue;
		if (has_suffix(name, PARTIAL_SUFFIX) != partials)
			continue;
		obj.name = name;
		obj.size = (a.flags & LIBSSH2_SFTP_ATTR_SIZE) ? a.filesize : 0;
		obj.mtime = (a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) ?
		    (time_t)a.mtime : 0;
		if ((rc = fn(&obj, arg)) != 0)
			break;
	}
	if (s->sftp != NULL)
		libssh2_sftp_closedir(d);
	return rc;
}

static int
sftp_list(struct storage *st, storage_list_fn *fn, void *arg,
    struct bk_err *err)
{
	return walk(st->priv, false, fn, arg, err);
}

static int
sftp_remove(struct storage *st, const char *name, struct bk_err *err)
{
	struct sftp *s = st->priv;
	char *p = remote_path(s, name);
	int i, rc = -1;

	for (i = 0;;) {
		if (sftp_connect(s, err) == 0) {
			if (libssh2_sftp_unlink(s->sftp, p) == 0) {
				rc = 0;
				break;
			}
			sftp_fail(s, err, "cannot delete", p);
		}
		if (!retry_wait(err, &i))
			break;
	}
	free(p);
	return rc;
}

static int
sftp_download(struct storage *st, const char *name, storage_sink_fn *fn,
    void *arg, struct bk_err *err)
{
	struct sftp *s = st->priv;
	LIBSSH2_SFTP_HANDLE *h = NULL;
	char *p = remote_path(s, name), *buf = NULL;
	ssize_t n;
	int i, rc = -1;

	for (i = 0;;) {
		if (sftp_connect(s, err) == 0) {
			h = libssh2_sftp_open_ex(s->sftp, p,
			    (unsigned int)strlen(p), LIBSSH2_FXF_READ, 0,
			    LIBSSH2_SFTP_OPENFILE);
			if (h != NULL)
				break;
			sftp_fail(s, err, "cannot read", p);
		}
		if (!retry_wait(err, &i))
			goto out;
	}
	buf = xmalloc(RBUF_SIZE);
	for (;;) {
		n = libssh2_sftp_read(h, buf, RBUF_SIZE);
		if (n == 0)
			break;
		if (n < 0) {
			sftp_fail(s, err, "cannot read", p);
			goto out;
		}
		if (fn(buf, (size_t)n, arg, err) == -1)
			goto out;
	}
	rc = 0;
out:
	if (h != NULL && s->sftp != NULL)
		libssh2_sftp_close_handle(h);
	free(buf);
	free(p);
	return rc;
}

struct sweep {
	struct sftp	*s;
	char		**names;
	size_t		 n;
};

static int
collect_partial(const struct storage_obj *o, void *arg)
{
	struct sweep *w = arg;

	if (w->s->active != NULL && strcmp(o->name, w->s->active) == 0)
		return 0;
	w->names = xreallocarray(w->names, w->n + 1, sizeof(char *));
	w->names[w->n++] = xstrdup(o->name);
	return 0;
}

/* Remove ".partial" files that no upload of this handle is writing. */
static int
sftp_cleanup(struct storage *st, struct bk_err *err)
{
	struct sweep w = { .s = st->priv };
	size_t i;
	char *p;
	int rc;

	rc = walk(w.s, true, collect_partial, &w, err);
	for (i = 0; i < w.n; i++) {
		if (rc == 0 && w.s->sftp != NULL) {
			p = remote_path(w.s, w.names[i]);
			(void)libssh2_sftp_unlink(w.s->sftp, p);
			free(p);
		}
		free(w.names[i]);
	}
	free(w.names);
	return rc;
}

/* storage.c frees only priv when open fails: release the rest here. */
static int
sftp_open(struct storage *st, const struct storage_config *cfg,
    struct bk_err *err)
{
	if (sftp_open_settings(st, cfg, err) == 0)
		return 0;
	sftp_close(st);
	return -1;
}

const struct storage_backend storage_backend_sftp = {
	.name = "sftp",
	.enable_key = "SSH_HOST_NAME",
	.priv_size = sizeof(struct sftp),
	.upload_size = sizeof(struct sftp_upload),
	.open = sftp_open,
	.close = sftp_close,
	.begin = sftp_begin,
	.write = sftp_write,
	.commit = sftp_commit,
	.abort = sftp_abort,
	.list = sftp_list,
	.remove = sftp_remove,
	.download = sftp_download,
	.cleanup = sftp_cleanup,
};
