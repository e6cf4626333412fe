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
#include "testenv.h"
#include "xmalloc.h"

/* ---- the self-test against the server of tests/servers/sshd.sh ---- */

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
	struct te_cmp cs;
	struct te_found f;
	struct stat sb;
	char state[1024], dir[1024], known[1200], line[1200];
	size_t len = (3u << 20) + 12345, off, k;
	unsigned char *data;
	FILE *kf;
	int rc;

	settings_defaults(&admin, SET_ADMIN);
	settings_set(&admin, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
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
	f = te_lookup(st, "backup-1.tar.gz");
	ok(f.seen == 0 && !te_on_disk(dir, "backup-1.tar.gz"),
	    "nothing is visible under the final name before commit");
	ok(f.partials == 0, "list never shows the .partial file");
	rc = storage_commit(up, &err);
	ok(rc == 0, "commit succeeds (%s)", rc ? err.msg : "");
	ok(te_file_equals(dir, "backup-1.tar.gz", data, len),
	    "the server's file holds exactly the bytes sent");
	ok(!te_on_disk(dir, "backup-1.tar.gz.partial"),
	    "no .partial file is left after commit");
	f = te_lookup(st, "backup-1.tar.gz");
	ok(f.seen == 1 && f.size == len, "list shows it once with its size "
	    "(%llu)", (unsigned long long)f.size);
	ok(llabs((long long)(f.mtime - time(NULL))) < 300,
	    "list gives its modification time");

	memset(&cs, 0, sizeof(cs));
	cs.want = data;
	cs.len = len;
	rc = storage_download(st, "backup-1.tar.gz", te_sink_cmp, &cs, &err);
	ok(rc == 0 && !cs.bad && cs.off == len,
	    "download gives back the same bytes");

	rc = storage_begin(st, "backup-2.tar.gz", &up, &err);
	if (rc == 0) {
		(void)storage_write(up, data, 100000, &err);
		storage_abort(up);
	}
	ok(rc == 0 && !te_on_disk(dir, "backup-2.tar.gz") &&
	    !te_on_disk(dir, "backup-2.tar.gz.partial"),
	    "an aborted upload leaves nothing behind");

	/* A partial left by a worker that died. */
	snprintf(line, sizeof(line), "%s/backup-0.tar.gz.partial", dir);
	kf = fopen(line, "w");
	if (kf != NULL)
		fclose(kf);
	rc = storage_cleanup(st, &err);
	ok(rc == 0 && !te_on_disk(dir, "backup-0.tar.gz.partial") &&
	    te_on_disk(dir, "backup-1.tar.gz"),
	    "cleanup removes a dead upload's .partial and keeps backups");

	rc = storage_delete(st, "backup-1.tar.gz", &err);
	ok(rc == 0 && !te_on_disk(dir, "backup-1.tar.gz"),
	    "delete removes the backup");
	rc = storage_delete(st, "backup-1.tar.gz", &err);
	ok(rc == -1 && err.code == BK_ENOENT, "deleting it again is ENOENT");
	rc = storage_download(st, "backup-1.tar.gz", te_sink_cmp, &cs, &err);
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
		f = te_lookup(st, "x");
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
	if (argc > 1 && strcmp(argv[1], "drive") == 0)
		return te_drive(argc - 2, argv + 2, NULL, 65536);
	if (getenv("SSHD_PORT") == NULL)
		return te_run_under("sshd.sh", "run", argv[0]);
	return self_test();
}
