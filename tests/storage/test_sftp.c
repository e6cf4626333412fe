/*
 * test_sftp.c - the SFTP destination against a real OpenSSH sshd.
 *
 * Run without arguments (as tests/run.sh does), it re-executes itself
 * under tests/servers/sshd.sh, which starts sshd on a free loopback port
 * with its own host key and a test login, and then checks what a user
 * would notice: the backup arrives whole under its name and only after
 * commit, list shows size and time, download gives the bytes back, an
 * aborted or dead upload leaves nothing, missing folders are created, the
 * host key is recorded on first use.  The server's files are read
 * directly from disk as the independent reader.
 *
 * "test_sftp drive ADMIN ENV USER ACTION [NAME]" is a small command-line
 * driver for the black-box tests (tests/regress/sftp_*.sh) until
 * `backupctl run` covers them: put|abort|crash read stdin, get writes
 * stdout, ls, rm, cleanup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "conformance.h"
#include "config.h"
#include "err.h"
#include "settings.h"
#include "storage.h"
#include "tap.h"
#include "xmalloc.h"

/* ---- the command-line driver (shared shape with test_webdav.c) ---- */

static int
sink_stdout(const void *p, size_t n, void *arg, struct bk_err *err)
{
	if (fwrite(p, 1, n, stdout) != n)
		return bk_err_sys(err, BK_EIO, "stdout");
	return 0;
}

static int
print_obj(const struct storage_obj *o, void *arg)
{
	printf("%s %llu %lld\n", o->name, (unsigned long long)o->size,
	    (long long)o->mtime);
	return 0;
}

static int
drive(int argc, char **argv)
{
	struct settings admin, user;
	struct storage_config cfg;
	struct storage_upload *up = NULL;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	const char *names[8], *act, *name, *be;
	static char buf[65536];
	size_t n;
	int rc = -1;

	if (argc < 4) {
		fprintf(stderr, "usage: drive ADMIN ENV USER ACTION [NAME]\n");
		return 2;
	}
	act = argv[3];
	name = argc > 4 ? argv[4] : "";
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (config_load_admin(argv[0], &admin, NULL, &err) == -1)
		goto done;
	if (config_load_user(&admin, argv[2], argv[1], &user, NULL,
	    &err) == -1) {
		settings_free(&admin);
		goto done;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.user = &user;
	cfg.admin = &admin;
	cfg.user_name = argv[2];
	cfg.files_root = user.files_root;
	cfg.state_dir = settings_get(&admin, "STATE_DIR");
	be = getenv("PB_BACKEND");
	if (be == NULL && storage_enabled(&user, names, 8) > 0)
		be = names[0];
	if (be == NULL) {
		bk_err_set(&err, BK_ECONFIG, "no destination set");
		goto out;
	}
	if (storage_open(&st, be, &cfg, &err) == -1)
		goto out;
	if (strcmp(act, "put") == 0 || strcmp(act, "abort") == 0 ||
	    strcmp(act, "crash") == 0) {
		if (storage_begin(st, name, &up, &err) == -1)
			goto out;
		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
			if (storage_write(up, buf, n, &err) == -1) {
				storage_abort(up);
				goto out;
			}
		if (strcmp(act, "crash") == 0)
			_exit(0);	/* a worker that died mid-upload */
		if (strcmp(act, "abort") == 0) {
			storage_abort(up);
			rc = 0;
		} else
			rc = storage_commit(up, &err);
		if (rc == 0)
			printf("%s/%s\n", storage_location(st), name);
	} else if (strcmp(act, "get") == 0)
		rc = storage_download(st, name, sink_stdout, NULL, &err);
	else if (strcmp(act, "ls") == 0)
		rc = storage_list(st, print_obj, NULL, &err);
	else if (strcmp(act, "rm") == 0)
		rc = storage_delete(st, name, &err);
	else if (strcmp(act, "cleanup") == 0)
		rc = storage_cleanup(st, &err);
	else
		bk_err_set(&err, BK_ECONFIG, "unknown action %s", act);
out:
	storage_close(st);
	settings_free(&user);
	settings_free(&admin);
done:
	fflush(stdout);
	if (rc == 0)
		return 0;
	fprintf(stderr, "error: %s\n", err.msg);
	return bk_err_exit_status(&err);
}

/* ---- the self-test against the server of tests/servers/sshd.sh ---- */

struct cmpsink {
	const unsigned char	*want;
	size_t			 len, off;
	int			 bad;
};

static int
sink_cmp(const void *p, size_t n, void *arg, struct bk_err *err)
{
	struct cmpsink *c = arg;

	if (c->off + n > c->len || memcmp(c->want + c->off, p, n) != 0)
		c->bad = 1;
	c->off += n;
	return 0;
}

struct found {
	const char	*name;
	int		 seen, partials;
	uint64_t	 size;
	time_t		 mtime;
};

static int
find_obj(const struct storage_obj *o, void *arg)
{
	struct found *f = arg;
	size_t l = strlen(o->name);

	if (l > 8 && strcmp(o->name + l - 8, ".partial") == 0)
		f->partials++;
	if (strcmp(o->name, f->name) == 0) {
		f->seen++;
		f->size = o->size;
		f->mtime = o->mtime;
	}
	return 0;
}

static struct found
lookup(struct storage *st, const char *name)
{
	struct found f = { .name = name };
	struct bk_err err;

	if (storage_list(st, find_obj, &f, &err) == -1)
		f.seen = -1;
	return f;
}

static int
on_disk(const char *dir, const char *name, struct stat *sb)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, sb) == 0;
}

static int
file_equals(const char *dir, const char *name, const unsigned char *d,
    size_t len)
{
	char p[4096];
	unsigned char *b;
	size_t n;
	FILE *f;
	int eq;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "rb")) == NULL)
		return 0;
	b = xmalloc(len + 1);
	n = fread(b, 1, len + 1, f);
	fclose(f);
	eq = n == len && memcmp(b, d, len) == 0;
	free(b);
	return eq;
}

static void
fill_random(unsigned char *p, size_t n)
{
	FILE *f = fopen("/dev/urandom", "rb");

	if (f == NULL || fread(p, 1, n, f) != n)
		abort();
	fclose(f);
}

static int
self_test(void)
{
	const char *tmp = getenv("PB_TMP"), *home = getenv("SFTP_HOME");
	struct settings admin, user;
	struct storage_config cfg = { 0 };
	struct storage_upload *up;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	struct cmpsink cs;
	struct found f;
	struct stat sb;
	char state[1024], dir[1024], known[1200], line[1200];
	size_t len = (3u << 20) + 12345, off, k;
	unsigned char *data;
	FILE *kf;
	int rc;

	settings_defaults(&admin, SET_ADMIN);
	settings_defaults(&user, SET_USER);
	snprintf(state, sizeof(state), "%s/state", tmp);
	snprintf(dir, sizeof(dir), "%s/backups/nested/deep", home);
	settings_set(&admin, "STATE_DIR", state);
	settings_set(&user, "SSH_HOST_NAME", "127.0.0.1");
	settings_set(&user, "SSH_PORT", getenv("SSHD_PORT"));
	settings_set(&user, "SSH_USER", getenv("SFTP_USER"));
	settings_set(&user, "SSH_PASSWORD", getenv("SFTP_PASSWORD"));
	settings_set(&user, "SSH_REMOTE_PATH", dir);
	cfg.user = &user;
	cfg.admin = &admin;
	cfg.user_name = "alice";
	cfg.state_dir = state;

	rc = storage_open(&st, "sftp", &cfg, &err);
	ok(rc == 0, "password login to sshd works (%s)", rc ? err.msg : "");
	if (rc != 0)
		return tap_done();
	snprintf(known, sizeof(known), "%s/known_hosts/alice", state);
	kf = fopen(known, "r");
	ok(kf != NULL && fgets(line, sizeof(line), kf) != NULL &&
	    getenv("SSHD_FP") != NULL && strstr(line, getenv("SSHD_FP")),
	    "the host key fingerprint is recorded on first use, as "
	    "ssh-keygen -l prints it");
	if (kf != NULL)
		fclose(kf);
	ok(strncmp(storage_location(st), "sftp://", 7) == 0,
	    "location is an sftp:// URL: %s", storage_location(st));
	ok(strstr(storage_location(st), getenv("SFTP_PASSWORD")) == NULL,
	    "the location holds no password");

	data = xmalloc(len);
	fill_random(data, len);
	rc = storage_begin(st, "backup-1.tar.gz", &up, &err);
	ok(rc == 0, "upload starts, creating the missing folder (%s)",
	    rc ? err.msg : "");
	if (rc != 0)
		return tap_done();
	ok(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode),
	    "SSH_REMOTE_PATH was created level by level");
	for (off = 0, k = 1; off < len; off += k, k = k * 3 + 7) {
		if (k > len - off)
			k = len - off;
		if (storage_write(up, data + off, k, &err) == -1)
			break;
	}
	ok(off >= len, "3 MiB streamed in odd-sized writes");
	f = lookup(st, "backup-1.tar.gz");
	ok(f.seen == 0 && !on_disk(dir, "backup-1.tar.gz", &sb),
	    "nothing is visible under the final name before commit");
	ok(f.partials == 0, "list never shows the .partial file");
	rc = storage_commit(up, &err);
	ok(rc == 0, "commit succeeds (%s)", rc ? err.msg : "");
	ok(file_equals(dir, "backup-1.tar.gz", data, len),
	    "the server's file holds exactly the bytes sent");
	ok(!on_disk(dir, "backup-1.tar.gz.partial", &sb),
	    "no .partial file is left after commit");
	f = lookup(st, "backup-1.tar.gz");
	ok(f.seen == 1 && f.size == len, "list shows it once with its size "
	    "(%llu)", (unsigned long long)f.size);
	ok(llabs((long long)(f.mtime - time(NULL))) < 300,
	    "list gives its modification time");

	memset(&cs, 0, sizeof(cs));
	cs.want = data;
	cs.len = len;
	rc = storage_download(st, "backup-1.tar.gz", sink_cmp, &cs, &err);
	ok(rc == 0 && !cs.bad && cs.off == len,
	    "download gives back the same bytes");

	rc = storage_begin(st, "backup-2.tar.gz", &up, &err);
	if (rc == 0) {
		(void)storage_write(up, data, 100000, &err);
		storage_abort(up);
	}
	ok(rc == 0 && !on_disk(dir, "backup-2.tar.gz", &sb) &&
	    !on_disk(dir, "backup-2.tar.gz.partial", &sb),
	    "an aborted upload leaves nothing behind");

	/* A partial left by a worker that died. */
	snprintf(line, sizeof(line), "%s/backup-0.tar.gz.partial", dir);
	kf = fopen(line, "w");
	if (kf != NULL)
		fclose(kf);
	rc = storage_cleanup(st, &err);
	ok(rc == 0 && !on_disk(dir, "backup-0.tar.gz.partial", &sb) &&
	    on_disk(dir, "backup-1.tar.gz", &sb),
	    "cleanup removes a dead upload's .partial and keeps backups");

	rc = storage_delete(st, "backup-1.tar.gz", &err);
	ok(rc == 0 && !on_disk(dir, "backup-1.tar.gz", &sb),
	    "delete removes the backup");
	rc = storage_delete(st, "backup-1.tar.gz", &err);
	ok(rc == -1 && err.code == BK_ENOENT, "deleting it again is ENOENT");
	rc = storage_download(st, "backup-1.tar.gz", sink_cmp, &cs, &err);
	ok(rc == -1 && err.code == BK_ENOENT,
	    "downloading a missing backup is ENOENT");
	storage_close(st);

	/* The suite every backend passes, in a folder of its own. */
	snprintf(dir, sizeof(dir), "%s/conformance", home);
	settings_set(&user, "SSH_REMOTE_PATH", dir);
	conformance_run("sftp", &cfg, NULL);

	/* Listing a folder that does not exist yet: nothing to prune. */
	snprintf(dir, sizeof(dir), "%s/not-yet", home);
	settings_set(&user, "SSH_REMOTE_PATH", dir);
	rc = storage_open(&st, "sftp", &cfg, &err);
	f.seen = -2;
	if (rc == 0)
		f = lookup(st, "x");
	ok(rc == 0 && f.seen == 0, "a missing folder lists as empty");
	storage_close(st);

	free(data);
	settings_free(&user);
	settings_free(&admin);
	return tap_done();
}

int
main(int argc, char **argv)
{
	const char *root = getenv("PB_ROOT");
	char script[4096];

	if (argc > 1 && strcmp(argv[1], "drive") == 0)
		return drive(argc - 2, argv + 2);
	if (getenv("SSHD_PORT") == NULL) {
		snprintf(script, sizeof(script), "%s/tests/servers/sshd.sh",
		    root != NULL ? root : ".");
		execl("/bin/sh", "sh", script, "run", argv[0], (char *)NULL);
		printf("not ok 1 - cannot run %s: %s\n", script,
		    strerror(errno));
		return 1;
	}
	return self_test();
}
