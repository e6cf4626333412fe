/*
 * crypt_gpg.c - OpenPGP streams through gpgme in a private GNUPGHOME.
 *
 * gpgme operations are synchronous and pull their input, so each stream
 * runs its gpgme_op_encrypt/decrypt on a helper thread whose data objects
 * are gpgme_data_new_from_cbs callbacks: the read callback takes bytes
 * straight from the buffer the caller is writing (the caller waits until
 * it is consumed), the write callback fills one bounded output buffer that
 * the caller's thread drains into the output function.  So output is only
 * ever delivered on the caller's thread, memory is one buffer, and no
 * payload touches the disk.
 *
 * Invariants: the home directory is mode 0700, its gpg.conf forbids key
 * lookups and dirmngr, its agent is killed and the directory removed on
 * free.  The passphrase is handed to gpg through the loopback pinentry
 * callback only, never on a command line or in the environment.
 * Threads: the caller's thread and one helper per stream; the shared
 * state is guarded by one mutex.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gpgme.h>

#include "crypt_gpg.h"
#include "err.h"
#include "xmalloc.h"

#define OUTCAP	(256 * 1024)

struct gpg_stream {
	bool			 decrypt;
	const struct gpg_keys	*keys;
	gpg_out_fn		*out;
	void			*octx;
	char			 home[64];
	gpgme_ctx_t		 ctx;
	gpgme_key_t		*rcpt;		/* NULL-terminated */
	gpgme_data_t		 din, dout;
	pthread_t		 thread;
	bool			 started;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	const unsigned char	*in;		/* caller's current buffer */
	size_t			 inlen;
	bool			 eof, cancel, done;
	gpgme_error_t		 result;
	unsigned char		*obuf, *spare;
	size_t			 olen;
};

static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;

static void
gpgme_setup(void)
{
	/* Also sets SIGPIPE to SIG_IGN when it is SIG_DFL. */
	gpgme_check_version(NULL);
}

static const char gpg_conf[] =
    "# written by panel-backup: a private, offline home\n"
    "no-auto-key-retrieve\n"
    "auto-key-locate local\n"
    "disable-dirmngr\n"
    "trust-model always\n"
    "no-symkey-cache\n"
    "s2k-cipher-algo AES256\n"
    "s2k-digest-algo SHA512\n"
    "s2k-count 65011712\n"
    "personal-cipher-preferences AES256 AES192 AES\n"
    "compress-algo none\n"
    "no-greeting\n";

static int
write_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Stop the agent of our private home and remove the home. */
static void
home_remove(const char *home)
{
	char *argv[] = { "gpgconf", "--homedir", (char *)home, "--kill",
	    "all", NULL };
	pid_t pid;
	int st, fd;

	if (home[0] == '\0')
		return;
	/* fork+exec rather than <spawn.h>: worker/spawn.h shadows it. */
	if ((pid = fork()) == 0) {
		/* Never onto our stdout, which may carry plaintext. */
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
	nftw(home, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static gpgme_error_t
passphrase_cb(void *hook, const char *uid_hint, const char *info,
    int prev_bad, int fd)
{
	const struct gpg_stream *s = hook;
	const char *pw = s->keys->passphrase;

	(void)uid_hint;
	(void)info;
	if (pw == NULL || prev_bad)
		return gpg_error(GPG_ERR_BAD_PASSPHRASE);
	if (gpgme_io_writen(fd, pw, strlen(pw)) != 0 ||
	    gpgme_io_writen(fd, "\n", 1) != 0)
		return gpg_error(GPG_ERR_CANCELED);
	return 0;
}

static ssize_t
read_cb(void *h, void *buf, size_t size)
{
	struct gpg_stream *s = h;
	size_t n;

	pthread_mutex_lock(&s->mu);
	while (s->inlen == 0 && !s->eof && !s->cancel)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->cancel) {
		pthread_mutex_unlock(&s->mu);
		errno = ECANCELED;
		return -1;
	}
	if ((n = size < s->inlen ? size : s->inlen) > 0)
		memcpy(buf, s->in, n);
	s->in += n;
	s->inlen -= n;
	if (s->inlen == 0)
		pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return (ssize_t)n;
}

static ssize_t
write_cb(void *h, const void *buf, size_t size)
{
	struct gpg_stream *s = h;
	size_t n;

	pthread_mutex_lock(&s->mu);
	while (s->olen == OUTCAP && !s->cancel)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->cancel) {
		pthread_mutex_unlock(&s->mu);
		errno = ECANCELED;
		return -1;
	}
	n = size < OUTCAP - s->olen ? size : OUTCAP - s->olen;
	memcpy(s->obuf + s->olen, buf, n);
	s->olen += n;
	/* gpgme writes 4 KiB at a time: wake the caller for half a buffer,
	 * not for every piece. */
	if (s->olen >= OUTCAP / 2)
		pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return (ssize_t)n;
}

static struct gpgme_data_cbs in_cbs = { .read = read_cb };
static struct gpgme_data_cbs out_cbs = { .write = write_cb };

static void *
run_op(void *arg)
{
	struct gpg_stream *s = arg;
	gpgme_error_t e;

	if (s->decrypt)
		e = gpgme_op_decrypt(s->ctx, s->din, s->dout);
	else
		e = gpgme_op_encrypt(s->ctx, s->rcpt, s->rcpt == NULL ?
		    GPGME_ENCRYPT_SYMMETRIC | GPGME_ENCRYPT_NO_COMPRESS :
		    GPGME_ENCRYPT_ALWAYS_TRUST | GPGME_ENCRYPT_NO_COMPRESS,
		    s->din, s->dout);
	pthread_mutex_lock(&s->mu);
	s->result = e;
	s->done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static int
gpg_fail(struct bk_err *err, enum bk_code code, const char *what,
    gpgme_error_t e)
{
	return bk_err_set(err, code, "gpg: %s: %s", what, gpgme_strerror(e));
}

/* A key we can encrypt to: a usable encryption subkey. */
static const char *
key_problem(gpgme_key_t k)
{
	gpgme_subkey_t sk;

	if (k->revoked)
		return "is revoked";
	if (k->expired)
		return "has expired";
	if (k->disabled || k->invalid)
		return "is disabled or invalid";
	for (sk = k->subkeys; sk != NULL; sk = sk->next)
		if (sk->can_encrypt && !sk->revoked && !sk->expired &&
		    !sk->disabled && !sk->invalid)
			return NULL;
	return "has no usable encryption subkey (expired, revoked or "
	    "signing only)";
}

static int
import_keys(struct gpg_stream *s, struct bk_err *err)
{
	const char *setting = s->keys->setting != NULL ? s->keys->setting :
	    "key ring";
	gpgme_import_result_t ir;
	gpgme_data_t d;
	gpgme_key_t k;
	gpgme_error_t e;
	size_t n = 0;
	const char *why;
	int rc = -1;

	if ((e = gpgme_data_new_from_mem(&d, s->keys->ring, s->keys->ringlen,
	    0)) != 0)
		return gpg_fail(err, BK_EFAIL, "key ring", e);
	e = gpgme_op_import(s->ctx, d);
	gpgme_data_release(d);
	ir = e == 0 ? gpgme_op_import_result(s->ctx) : NULL;
	if (ir == NULL || ir->considered == 0 || ir->not_imported > 0)
		return bk_err_set(err, BK_ECONFIG, "%s: no usable OpenPGP key "
		    "in it (%d keys read)", setting, ir ? ir->considered : 0);
	if (s->decrypt)
		return 0;
	/* Every key of the ring is a recipient. */
	if ((e = gpgme_op_keylist_start(s->ctx, NULL, 0)) != 0)
		return gpg_fail(err, BK_EFAIL, "listing keys", e);
	while (gpgme_op_keylist_next(s->ctx, &k) == 0) {
		s->rcpt = xreallocarray(s->rcpt, n + 2, sizeof(*s->rcpt));
		s->rcpt[n++] = k;
		s->rcpt[n] = NULL;
		if ((why = key_problem(k)) != NULL) {
			bk_err_set(err, BK_ECONFIG, "%s: key %s %s", setting,
			    k->fpr != NULL ? k->fpr : "?", why);
			goto out;
		}
	}
	if (n == 0) {
		bk_err_set(err, BK_ECONFIG, "%s: no public key in it", setting);
		goto out;
	}
	rc = 0;
out:
	gpgme_op_keylist_end(s->ctx);
	return rc;
}

bool
gpg_is_pgp(const void *p, size_t n)
{
	const unsigned char *b = p;

	if (n >= 27 && memcmp(p, "-----BEGIN PGP MESSAGE-----", 27) == 0)
		return true;
	/* A packet tag: bit 7 set; PKESK (1) or SKESK (3) come first. */
	if (n < 1 || (b[0] & 0x80) == 0)
		return false;
	if (b[0] & 0x40)
		return (b[0] & 0x3f) == 1 || (b[0] & 0x3f) == 3;
	return ((b[0] >> 2) & 0x0f) == 1 || ((b[0] >> 2) & 0x0f) == 3;
}

static struct gpg_stream *
stream_setup(bool decrypt, const struct gpg_keys *keys, struct bk_err *err)
{
	struct gpg_stream *s;
	gpgme_error_t e;

	pthread_once(&gpgme_once, gpgme_setup);
	s = xcalloc(1, sizeof(*s));
	s->decrypt = decrypt;
	s->keys = keys;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	snprintf(s->home, sizeof(s->home), "%s/pb-gnupg.XXXXXX",
	    getenv("TMPDIR") != NULL && strlen(getenv("TMPDIR")) < 30 ?
	    getenv("TMPDIR") : "/tmp");
	if (mkdtemp(s->home) == NULL) {
		s->home[0] = '\0';
		bk_err_sys(err, BK_EIO, "gpg: creating a private home");
		goto fail;
	}
	if (write_file(s->home, "gpg.conf", gpg_conf) != 0 ||
	    write_file(s->home, "gpg-agent.conf", "allow-loopback-pinentry\n"
	    "max-cache-ttl 0\n") != 0) {
		bk_err_sys(err, BK_EIO, "gpg: writing %s/gpg.conf", s->home);
		goto fail;
	}
	if ((e = gpgme_new(&s->ctx)) != 0 ||
	    (e = gpgme_ctx_set_engine_info(s->ctx, GPGME_PROTOCOL_OpenPGP,
	    NULL, s->home)) != 0 ||
	    (e = gpgme_set_pinentry_mode(s->ctx,
	    GPGME_PINENTRY_MODE_LOOPBACK)) != 0) {
		gpg_fail(err, BK_EFAIL, "starting gpgme (is gnupg installed?)",
		    e);
		goto fail;
	}
	gpgme_set_armor(s->ctx, 0);
	gpgme_set_offline(s->ctx, 1);
	gpgme_set_passphrase_cb(s->ctx, passphrase_cb, s);
	if (keys->ring != NULL && keys->ringlen > 0 &&
	    import_keys(s, err) != 0)
		goto fail;
	if (!decrypt && s->rcpt == NULL && keys->passphrase == NULL) {
		bk_err_set(err, BK_ECONFIG, "gpg: no passphrase and no keys");
		goto fail;
	}
	return s;
fail:
	gpg_stream_free(s);
	return NULL;
}

int
gpg_keys_check(const struct gpg_keys *keys, struct bk_err *err)
{
	struct gpg_stream *s;

	if ((s = stream_setup(false, keys, err)) == NULL)
		return -1;
	gpg_stream_free(s);
	return 0;
}

struct gpg_stream *
gpg_stream_new(bool decrypt, const struct gpg_keys *keys, gpg_out_fn *out,
    void *octx, struct bk_err *err)
{
	struct gpg_stream *s;
	gpgme_error_t e;

	if ((s = stream_setup(decrypt, keys, err)) == NULL)
		return NULL;
	s->out = out;
	s->octx = octx;
	s->obuf = xmalloc(OUTCAP);
	s->spare = xmalloc(OUTCAP);
	if ((e = gpgme_data_new_from_cbs(&s->din, &in_cbs, s)) != 0 ||
	    (e = gpgme_data_new_from_cbs(&s->dout, &out_cbs, s)) != 0) {
		gpg_fail(err, BK_EFAIL, "data buffers", e);
		goto fail;
	}
	/* gpgme copies 4 KiB at a time by default: one wake-up of gpg per
	 * 4 KiB is what made a gpgme stream slower than `gpg -c`. */
	gpgme_data_set_flag(s->din, "io-buffer-size", "262144");
	gpgme_data_set_flag(s->dout, "io-buffer-size", "262144");
	gpgme_data_set_flag(decrypt ? s->dout : s->din, "sensitive", "1");
	if (pthread_create(&s->thread, NULL, run_op, s) != 0) {
		bk_err_set(err, BK_EFAIL, "gpg: cannot start a thread");
		goto fail;
	}
	s->started = true;
	return s;
fail:
	gpg_stream_free(s);
	return NULL;
}

/* With mu held: hand the output buffer to the caller's function. */
static int
drain(struct gpg_stream *s, struct bk_err *err)
{
	unsigned char *b = s->obuf;
	size_t n = s->olen;
	int rc;

	s->obuf = s->spare;
	s->spare = b;
	s->olen = 0;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	rc = s->out(s->octx, b, n, err);
	pthread_mutex_lock(&s->mu);
	if (rc != 0) {
		s->cancel = true;
		pthread_cond_broadcast(&s->cv);
	}
	return rc;
}

static int
op_error(struct gpg_stream *s, struct bk_err *err)
{
	gpgme_error_t e = s->result;
	gpgme_err_code_t c = gpgme_err_code(e);

	if (c == GPG_ERR_BAD_PASSPHRASE || c == GPG_ERR_NO_SECKEY)
		return gpg_fail(err, BK_EAUTH, s->decrypt ? "decryption "
		    "refused (wrong passphrase or key)" : "encryption", e);
	if (c == GPG_ERR_NO_DATA && s->decrypt)
		return gpg_fail(err, BK_ECORRUPT, "not OpenPGP data", e);
	return gpg_fail(err, s->decrypt ? BK_ECORRUPT : BK_EFAIL,
	    s->decrypt ? "decryption failed (damaged or truncated file?)" :
	    "encryption failed", e);
}

int
gpg_stream_write(struct gpg_stream *s, const void *p, size_t n,
    struct bk_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	s->in = p;
	s->inlen = n;
	pthread_cond_broadcast(&s->cv);
	while (s->inlen > 0 && !s->done && !s->cancel) {
		if (s->olen >= OUTCAP / 2) {
			if ((rc = drain(s, err)) != 0)
				break;
		} else
			pthread_cond_wait(&s->cv, &s->mu);
	}
	if (rc == 0 && s->inlen > 0) {
		/* gpg stopped before reading everything. */
		rc = s->done && s->result != 0 ? op_error(s, err) :
		    bk_err_set(err, BK_EFAIL, "gpg: stopped reading input");
	}
	s->in = NULL;
	s->inlen = 0;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int
gpg_stream_finish(struct gpg_stream *s, struct bk_err *err)
{
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	s->eof = true;
	pthread_cond_broadcast(&s->cv);
	while ((!s->done || s->olen > 0) && !s->cancel) {
		if (s->olen >= OUTCAP / 2 || (s->done && s->olen > 0)) {
			if ((rc = drain(s, err)) != 0)
				break;
		} else
			pthread_cond_wait(&s->cv, &s->mu);
	}
	if (rc == 0 && s->result != 0)
		rc = op_error(s, err);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void
gpg_stream_free(struct gpg_stream *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->cancel = !s->done;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	for (i = 0; s->rcpt != NULL && s->rcpt[i] != NULL; i++)
		gpgme_key_unref(s->rcpt[i]);
	free(s->rcpt);
	gpgme_data_release(s->din);
	gpgme_data_release(s->dout);
	gpgme_release(s->ctx);
	home_remove(s->home);
	free(s->obuf);
	free(s->spare);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
