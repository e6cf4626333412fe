/*
 * test_webdav.c - the WebDAV destination against Apache mod_dav and
 * `rclone serve webdav`, over HTTP and over HTTPS with a private CA given
 * through HTTP_CA_FILE.
 *
 * Run without arguments, it re-executes itself under
 * tests/servers/apache.sh, which starts both servers on free loopback
 * ports.  For each server it checks what a user would notice: the backup
 * arrives whole under its name only after commit, the missing WEBDAV_PATH
 * is created, list shows size and time, download gives the bytes back,
 * abort and dead uploads leave nothing, a wrong password is one clear
 * error without the password.  Apache's /nochunk answers 411 to chunked
 * bodies: the spooled fallback must still deliver; /digest asks for
 * HTTP Digest authentication instead of basic.  The served folders
 * are read directly from disk as the independent reader.
 *
 * (The command-line driver of the black-box tests is test_sftp's "drive"
 * mode; it serves every backend.)
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "conformance.h"
#include "err.h"
#include "settings.h"
#include "storage.h"
#include "tap.h"
#include "testenv.h"
#include "xmalloc.h"

static size_t
count_entries(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static unsigned char *data;
static size_t datalen = (1u << 20) + 4321;

/* One server: url is the WEBDAV_URL, root the folder it serves. */
static void
check_server(const char *label, const char *url, const char *root,
    struct settings *admin, bool conformance)
{
	struct settings user;
	struct storage_config cfg = { 0 };
	struct storage_upload *up;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	struct te_cmp cs;
	struct te_found f;
	char dir[4096], host[512];
	size_t off, k;
	int rc;

	settings_defaults(&user, SET_USER);
	settings_set(&user, "WEBDAV_URL", url);
	settings_set(&user, "WEBDAV_PATH", "/backups/alice/daily");
	settings_set(&user, "WEBDAV_USERNAME", getenv("DAV_USER"));
	settings_set(&user, "WEBDAV_PASSWORD", getenv("DAV_PASSWORD"));
	cfg.user = &user;
	cfg.admin = admin;
	cfg.user_name = "alice";
	snprintf(dir, sizeof(dir), "%s/backups/alice/daily", root);

	rc = storage_open(&st, "webdav", &cfg, &err);
	ok(rc == 0, "%s: opens (%s)", label, rc ? err.msg : "");
	if (rc != 0)
		goto out;
	f = te_lookup(st, "x");
	ok(f.seen == 0, "%s: a missing folder lists as empty", label);
	rc = storage_begin(st, "backup-1.tar.zst", &up, &err);
	ok(rc == 0, "%s: upload starts (%s)", label, rc ? err.msg : "");
	if (rc != 0)
		goto out;
	ok(count_entries(root) > 0 && access(dir, F_OK) == 0,
	    "%s: WEBDAV_PATH was created level by level", label);
	for (off = 0, k = 1; off < datalen; off += k, k = k * 5 + 3) {
		if (k > datalen - off)
			k = datalen - off;
		if (storage_write(up, data + off, k, &err) == -1)
			break;
	}
	ok(off >= datalen, "%s: 1 MiB streamed in odd-sized writes (%s)",
	    label, off >= datalen ? "" : err.msg);
	f = te_lookup(st, "backup-1.tar.zst");
	ok(f.seen == 0 && !te_on_disk(dir, "backup-1.tar.zst"),
	    "%s: nothing under the final name before commit", label);
	ok(f.partials == 0, "%s: list never shows .partial files", label);
	rc = storage_commit(up, &err);
	ok(rc == 0, "%s: commit succeeds (%s)", label, rc ? err.msg : "");
	ok(te_file_equals(dir, "backup-1.tar.zst", data, datalen),
	    "%s: the served file holds exactly the bytes sent", label);
	ok(!te_on_disk(dir, "backup-1.tar.zst.partial"),
	    "%s: no .partial left after commit", label);
	f = te_lookup(st, "backup-1.tar.zst");
	ok(f.seen == 1 && f.size == datalen && llabs((long long)(f.mtime -
	    time(NULL))) < 300, "%s: list shows it once with size %llu and "
	    "its time", label, (unsigned long long)f.size);

	memset(&cs, 0, sizeof(cs));
	cs.want = data;
	cs.len = datalen;
	rc = storage_download(st, "backup-1.tar.zst", te_sink_cmp, &cs, &err);
	ok(rc == 0 && !cs.bad && cs.off == datalen,
	    "%s: download gives back the same bytes", label);

	/* Same name again: the new upload replaces it whole. */
	rc = storage_begin(st, "backup-1.tar.zst", &up, &err);
	if (rc == 0 && storage_write(up, data, 1000, &err) == 0)
		rc = storage_commit(up, &err);
	else if (rc == 0) {
		storage_abort(up);
		rc = -1;
	}
	ok(rc == 0 && te_file_equals(dir, "backup-1.tar.zst", data, 1000),
	    "%s: uploading an existing name replaces it (%s)", label,
	    rc ? err.msg : "");

	rc = storage_begin(st, "backup-2.tar.zst", &up, &err);
	if (rc == 0) {
		(void)storage_write(up, data, 70000, &err);
		storage_abort(up);
	}
	ok(rc == 0 && !te_on_disk(dir, "backup-2.tar.zst") &&
	    !te_on_disk(dir, "backup-2.tar.zst.partial"),
	    "%s: an aborted upload leaves nothing behind", label);

	/* A partial left by a worker that died, put there through the
	 * server (rclone caches listings and would not see a file made
	 * behind its back). */
	rc = storage_begin(st, "backup-0.tar.zst.partial", &up, &err);
	if (rc == 0 && storage_write(up, data, 5000, &err) == 0)
		rc = storage_commit(up, &err);
	rc = rc == 0 ? storage_cleanup(st, &err) : -1;
	ok(rc == 0 && !te_on_disk(dir, "backup-0.tar.zst.partial") &&
	    te_on_disk(dir, "backup-1.tar.zst"),
	    "%s: cleanup removes a dead upload's .partial, keeps backups",
	    label);

	rc = storage_delete(st, "backup-1.tar.zst", &err);
	ok(rc == 0 && !te_on_disk(dir, "backup-1.tar.zst"),
	    "%s: delete removes the backup", label);
	rc = storage_delete(st, "backup-1.tar.zst", &err);
	ok(rc == -1 && err.code == BK_ENOENT, "%s: deleting it again is "
	    "ENOENT", label);
	rc = storage_download(st, "backup-1.tar.zst", te_sink_cmp, &cs, &err);
	ok(rc == -1 && err.code == BK_ENOENT, "%s: downloading a missing "
	    "backup is ENOENT", label);
	storage_close(st);
	st = NULL;

	/*
	 * The suite every backend passes, in a folder of its own.  Not on
	 * rclone 1.60: it intermittently breaks off a listing of a folder
	 * where a file is being written (500 after a truncated document),
	 * which the suite's "in progress is invisible" case provokes; the
	 * backend retries such listings, and the rclone cases above cover
	 * the rest.
	 */
	if (conformance) {
		settings_set(&user, "WEBDAV_PATH", "/conformance");
		conformance_run("webdav", &cfg, NULL);
		settings_set(&user, "WEBDAV_PATH", "/backups/alice/daily");
	}

	/* A wrong password: one clear error, without the password. */
	settings_set(&user, "WEBDAV_PASSWORD", "Wrong-Secret-123");
	rc = storage_open(&st, "webdav", &cfg, &err);
	if (rc == 0)
		rc = storage_begin(st, "backup-3.tar.zst", &up, &err);
	if (rc == 0)
		storage_abort(up);
	snprintf(host, sizeof(host), "%s", url);
	host[strcspn(host + 8, "/") + 8] = '\0';	/* scheme://host:port */
	ok(rc == -1 && err.code == BK_EAUTH && strstr(err.msg, host)
	    != NULL && strstr(err.msg, "WEBDAV_PASSWORD") != NULL,
	    "%s: a wrong password fails as refused credentials naming host "
	    "and setting: %s", label, err.msg);
	ok(strstr(err.msg, "Wrong-Secret-123") == NULL,
	    "%s: the password is not in the message", label);
out:
	storage_close(st);
	settings_free(&user);
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* The status of a GET of url with the test login sent as `auth`. */
static long
status_with(const char *url, long auth)
{
	long status = 0;
	CURL *h = curl_easy_init();

	if (h == NULL)
		return 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERNAME, getenv("DAV_USER"));
	curl_easy_setopt(h, CURLOPT_PASSWORD, getenv("DAV_PASSWORD"));
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, auth);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

static int
self_test(void)
{
	const char *tmp = getenv("PB_TMP");
	struct settings admin;
	char url[512], ca[1024], spool[1024];
	long basic, digest;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	data = xmalloc(datalen);
	for (size_t i = 0; i < datalen; i++)
		data[i] = (unsigned char)((i * 2654435761u) >> 13);
	settings_defaults(&admin, SET_ADMIN);
	settings_set(&admin, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	snprintf(ca, sizeof(ca), "%s/certs/ca.pem", tmp);
	snprintf(spool, sizeof(spool), "%s/spool", tmp);
	settings_set(&admin, "HTTP_CA_FILE", ca);
	settings_set(&admin, "TEMP_DIR", spool);

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/dav",
	    getenv("APACHE_HTTP"));
	check_server("apache http", url, getenv("APACHE_DATA"), &admin, true);
	snprintf(url, sizeof(url), "https://localhost:%s/dav/",
	    getenv("APACHE_HTTPS"));
	check_server("apache https", url, getenv("APACHE_DATA"), &admin,
	    true);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s",
	    getenv("RCLONE_HTTP"));
	check_server("rclone http", url, getenv("RCLONE_DATA"), &admin,
	    false);
	snprintf(url, sizeof(url), "https://127.0.0.1:%s/",
	    getenv("RCLONE_HTTPS"));
	check_server("rclone https", url, getenv("RCLONE_DATA"), &admin,
	    false);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/nochunk",
	    getenv("APACHE_HTTP"));
	check_server("apache refusing chunked bodies (411)", url,
	    getenv("APACHE_NOCHUNK"), &admin, false);
	/* HTTP Digest: the streamed PUT must not need a second pass. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/digest",
	    getenv("APACHE_HTTP"));
	check_server("apache digest auth", url, getenv("APACHE_DIGEST"),
	    &admin, true);
	strcat(url, "/conformance/");
	basic = status_with(url, CURLAUTH_BASIC);
	digest = status_with(url, CURLAUTH_DIGEST);
	ok(basic == 401 && digest > 0 && digest != 401, "apache digest auth: "
	    "the server takes Digest only (basic: %ld, digest: %ld)", basic,
	    digest);
	ok(count_entries(spool) == 0, "the 411 fallback's spool file is "
	    "gone from TEMP_DIR");
	free(data);
	settings_free(&admin);
	curl_global_cleanup();
	return tap_done();
}

int
main(int argc, char **argv)
{
	if (getenv("APACHE_HTTP") == NULL)
		return te_run_under("apache.sh", "run", argv[0]);
	return self_test();
}
