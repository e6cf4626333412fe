/*
 * test_dropbox.c - the Dropbox destination against tests/servers/
 * dropbox_double.py, reached through the production path: HTTPS to
 * api.dropboxapi.com and content.dropboxapi.com, redirected with
 * HTTP_CONNECT_TO, trusted through HTTP_CA_FILE.
 *
 * Run without arguments (as tests/run.sh does) it starts the double on a
 * kernel-chosen port, runs the storage conformance suite, then what a
 * Dropbox user would notice: the bytes arrive whole (the double's SHA-256
 * and Dropbox content_hash), appends really overlap above level 1, 429,
 * 5xx, lost answers (incorrect_offset) and tokens that die early are
 * survived, and wrong credentials, conflicts and a full Dropbox are one
 * clear line without a secret in it.  The double's state is read through
 * its control endpoint, as the independent view.
 *
 * "test_dropbox drive ADMIN ENV USER ACTION [NAME]" is the command-line
 * driver of tests/regress/dropbox_*.sh and bench/dropbox.sh: put|abort
 * read stdin, get writes stdout, ls, rm.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "buf.h"
#include "config.h"
#include "conformance.h"
#include "err.h"
#include "http.h"
#include "settings.h"
#include "storage.h"
#include "tap.h"
#include "testenv.h"
#include "xmalloc.h"

#define MiB	(1024u * 1024u)

/* ---- the double and its control endpoint ---- */

static char	 tmpdir[] = "/tmp/pb-dropbox.XXXXXX";
static pid_t	 double_pid = -1;
static struct settings admin;

static void
stop_double(void)
{
	char cmd[64];

	if (double_pid > 0) {
		kill(double_pid, SIGTERM);
		waitpid(double_pid, NULL, 0);
		double_pid = -1;
	}
	if (getenv("KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		(void)!system(cmd);
	}
}

static int
start_double(void)
{
	const char *root = getenv("PB_ROOT");
	char script[4096], dir[64], portf[96], spec[256], ca[96], log[96];
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	unsigned int port = 0;
	FILE *f;
	int i;

	snprintf(script, sizeof(script), "%s/tests/servers/dropbox_double.py",
	    root != NULL ? root : ".");
	snprintf(dir, sizeof(dir), "%s/double", tmpdir);
	snprintf(log, sizeof(log), "%s/double.log", tmpdir);
	if ((double_pid = fork()) == 0) {
		execl("/usr/bin/python3", "python3", script, "--dir", dir,
		    "--page-size", "10", "--append-delay", "0.05", "--log",
		    log, (char *)NULL);
		_exit(127);
	}
	snprintf(portf, sizeof(portf), "%s/port", dir);
	for (i = 0; i < 400 && port == 0; i++) {	/* 20 s: makes a CA */
		if ((f = fopen(portf, "r")) != NULL) {
			if (fscanf(f, "%u", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port == 0)
			nanosleep(&ts, NULL);
	}
	if (port == 0)
		return -1;
	snprintf(spec, sizeof(spec), "api.dropboxapi.com:443:127.0.0.1:%u,"
	    "content.dropboxapi.com:443:127.0.0.1:%u", port, port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	settings_defaults(&admin, SET_ADMIN);
	settings_set(&admin, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	settings_set(&admin, "HTTP_CONNECT_TO", spec);
	settings_set(&admin, "HTTP_CA_FILE", ca);
	return 0;
}

static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	return buf_append(arg, p, sz * n) == -1 ? 0 : sz * n;
}

/* POST body (or GET when NULL) to the control endpoint; its JSON. */
static json_t *
control(const char *body)
{
	struct curl_slist *h = NULL;
	struct bk_err err;
	json_t *j = NULL;
	struct buf b;
	CURL *c;

	if ((c = http_easy(&admin, NULL, &err)) == NULL)
		return NULL;
	buf_init(&b, 16 * MiB);
	curl_easy_setopt(c, CURLOPT_URL, "https://api.dropboxapi.com/__control");
	if (body != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) == CURLE_OK)
		j = json_loadb(b.data, b.len, 0, NULL);
	curl_slist_free_all(h);
	http_easy_free(c);
	buf_free(&b);
	return j;
}

/* A control change; its answer is not needed. */
static void
ctl(const char *body)
{
	json_decref(control(body));
}

static long long
state_int(const char *key)
{
	json_t *j = control(NULL);
	long long v = json_integer_value(json_object_get(j, key));

	json_decref(j);
	return v;
}

static long long
route_count(const char *route)
{
	json_t *j = control(NULL);
	long long v = json_integer_value(json_object_get(json_object_get(j,
	    "counts"), route));

	json_decref(j);
	return v;
}

/* The double's record of path: size, sha256; 0 if it has no such file. */
static int
stored(const char *path, long long *size, char *sha, size_t shalen)
{
	json_t *j = control(NULL), *f;
	int found = 0;

	f = json_object_get(json_object_get(j, "files"), path);
	if (f != NULL) {
		found = 1;
		*size = json_integer_value(json_object_get(f, "size"));
		snprintf(sha, shalen, "%s", json_string_value(
		    json_object_get(f, "sha256")));
	}
	json_decref(j);
	return found;
}

/* ---- helpers ---- */

/* After a failed case: the double's last requests, as TAP comments. */
static void
log_tail(int lines)
{
	char path[96], line[512], (*ring)[512];
	int n = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/double.log", tmpdir);
	if ((f = fopen(path, "r")) == NULL)
		return;
	ring = xcalloc((size_t)lines, sizeof(*ring));
	while (fgets(line, sizeof(line), f) != NULL)
		snprintf(ring[n++ % lines], sizeof(*ring), "%s", line);
	fclose(f);
	for (i = n > lines ? n - lines : 0; i < n; i++)
		printf("#   double: %s", ring[i % lines]);
	free(ring);
}

static void
sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0, i;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static unsigned char *
pattern(size_t n, unsigned int seed)
{
	unsigned char *d = xmalloc(n > 0 ? n : 1);
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		d[i] = (unsigned char)x;
	}
	return d;
}

static void
user_settings(struct settings *u, const char *remote, const char *level)
{
	settings_defaults(u, SET_USER);
	settings_set(u, "DROPBOX_APP_KEY", "testkey");
	settings_set(u, "DROPBOX_APP_SECRET", "testsecret");
	settings_set(u, "DROPBOX_REFRESH_TOKEN", "test-refresh-token");
	settings_set(u, "DROPBOX_REMOTE_PATH", remote);
	settings_set(u, "DROPBOX_CONCURRENCY_LEVEL", level);
}

static int
open_with(struct storage **st, struct settings *u, struct bk_err *err)
{
	struct storage_config cfg = { .user = u, .admin = &admin,
	    .user_name = "alice" };

	return storage_open(st, "dropbox", &cfg, err);
}

/* Upload n bytes of data in 100000-byte writes; 0 or -1 with err. */
static int
put(struct storage *st, const char *name, const unsigned char *d, size_t n,
    struct bk_err *err)
{
	struct storage_upload *up;
	size_t off, k;

	if (storage_begin(st, name, &up, err) == -1)
		return -1;
	for (off = 0; off < n; off += k) {
		k = n - off < 100000 ? n - off : 100000;
		if (storage_write(up, d + off, k, err) == -1) {
			storage_abort(up);
			return -1;
		}
	}
	return storage_commit(up, err);
}

/* Uploaded, and the double holds exactly these bytes at path. */
static int
arrived(const char *path, const unsigned char *d, size_t n)
{
	char want[65], got[80];
	long long size = -1;

	sha256_hex(d, n, want);
	return stored(path, &size, got, sizeof(got)) && size == (long long)n &&
	    strcmp(want, got) == 0;
}

static int
no_secret(const char *msg)
{
	return strstr(msg, "test-refresh-token") == NULL &&
	    strstr(msg, "testsecret") == NULL && strstr(msg, "sl.") == NULL;
}

/* ---- the cases ---- */

static void
concurrency(void)
{
	size_t n = 5 * 8 * MiB + 12345;
	unsigned char *d = pattern(n, 7);
	struct settings u;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	struct te_cmp c = { d, n, 0, 0 };
	int rc;

	user_settings(&u, "/Conc", "4");
	if (open_with(&st, &u, &err) == -1) {
		ok(0, "open at level 4 (%s)", err.msg);
		goto out;
	}
	ctl("{\"faults\": []}");
	rc = put(st, "big.tar.zst", d, n, &err);
	ok(rc == 0 && arrived("/Conc/big.tar.zst", d, n), "level 4: %zu bytes "
	    "arrive whole (%s)", n, rc == 0 ? "sha256 checked" : err.msg);
	ok(state_int("max_inflight") >= 3, "level 4: appends overlap (%lld in "
	    "flight at once)", state_int("max_inflight"));
	rc = storage_download(st, "big.tar.zst", te_sink_cmp, &c, &err);
	ok(rc == 0 && !c.bad && c.off == n, "download returns the same bytes");
	storage_close(st);
out:
	settings_free(&u);
	free(d);
}

/* A download whose connection drops halfway resumes from the byte it
 * reached: the sink sees each byte once, whole or ranged. */
static void
cut_download(void)
{
	size_t n = 3 * MiB + 333, off = 100001;
	unsigned char *d = pattern(n, 5);
	struct settings u;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	struct te_cmp c = { d, n, 0, 0 };
	struct te_cmp r = { d + off, n - off - 7, 0, 0 };
	struct te_cmp w = { d + off, 4096, 0, 0 };
	long long served;
	int rc;

	user_settings(&u, "/Cut", "1");
	if (open_with(&st, &u, &err) == -1) {
		ok(0, "open (%s)", err.msg);
		goto out;
	}
	ctl("{\"faults\": []}");
	if (!ok(put(st, "cut.tar", d, n, &err) == 0, "cut: upload (%s)",
	    err.msg))
		goto out;
	ctl("{\"faults\": [{\"route\": \"files/download\", \"kind\": "
	    "\"cut\"}]}");
	rc = storage_download(st, "cut.tar", te_sink_cmp, &c, &err);
	ok(rc == 0 && !c.bad && c.off == n && state_int("faults_left") == 0,
	    "a download cut halfway resumes: each byte once (%s, %zu of %zu "
	    "bytes%s)", rc == 0 ? "ok" : err.msg, c.off, n,
	    c.bad ? ", differing" : "");
	served = state_int("download_bytes");
	rc = storage_download_range(st, "cut.tar", off, 4096, te_sink_cmp,
	    &w, &err);
	ok(rc == 0 && !w.bad && w.off == 4096 && state_int("download_bytes") -
	    served == 4096, "a ranged download of 4 KiB moves 4096 file bytes "
	    "(%s, %lld served)", rc == 0 ? "ok" : err.msg,
	    state_int("download_bytes") - served);
	ctl("{\"faults\": [{\"route\": \"files/download\", \"kind\": "
	    "\"cut\"}]}");
	rc = storage_download_range(st, "cut.tar", off, r.len, te_sink_cmp, &r,
	    &err);
	ok(rc == 0 && !r.bad && r.off == r.len && state_int("faults_left") ==
	    0, "a ranged download cut halfway resumes: each byte once (%s, "
	    "%zu of %zu bytes%s)", rc == 0 ? "ok" : err.msg, r.off, r.len,
	    r.bad ? ", differing" : "");
out:
	storage_close(st);
	ctl("{\"faults\": []}");
	settings_free(&u);
	free(d);
}

/* Faults on every route of an upload; the result must be intact. */
static void
faults(const char *level, const char *fault_json, const char *what)
{
	size_t n = 3 * 8 * MiB + 777;
	unsigned char *d = pattern(n, 11);
	struct settings u;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	char name[64], path[80];
	long long left;
	int rc;

	user_settings(&u, "/Faults", level);
	snprintf(name, sizeof(name), "f-%s-%ld.tar", level, (long)random());
	snprintf(path, sizeof(path), "/Faults/%s", name);
	if (open_with(&st, &u, &err) == -1) {
		ok(0, "open (%s)", err.msg);
		goto out;
	}
	ctl(fault_json);
	rc = put(st, name, d, n, &err);
	left = state_int("faults_left");
	if (!ok(rc == 0 && arrived(path, d, n) && left == 0, "level %s, %s: "
	    "the backup arrives whole (%s; %lld faults unused)", level, what,
	    rc == 0 ? "ok" : err.msg, left))
		log_tail(20);
	storage_close(st);
out:
	ctl("{\"faults\": []}");
	settings_free(&u);
	free(d);
}

static void
visibility(void)
{
	unsigned char *d = pattern(9 * MiB, 3);
	struct storage_upload *up = NULL;
	struct settings u;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	long long size;
	char sha[80];

	user_settings(&u, "/Vis", "2");
	if (open_with(&st, &u, &err) == -1 ||
	    storage_begin(st, "v.tar", &up, &err) == -1 ||
	    storage_write(up, d, 9 * MiB, &err) == -1) {
		ok(0, "upload started (%s)", err.msg);
		goto out;
	}
	ok(!stored("/Vis/v.tar", &size, sha, sizeof(sha)) &&
	    state_int("sessions") >= 1, "mid-upload: an open session, no file "
	    "under the name");
	storage_abort(up);
	ok(!stored("/Vis/v.tar", &size, sha, sizeof(sha)), "after abort: no "
	    "file under the name");
	ok(storage_begin(st, "v.tar", &up, &err) == 0 &&
	    storage_write(up, d, 9 * MiB, &err) == 0 &&
	    storage_commit(up, &err) == 0 && arrived("/Vis/v.tar", d, 9 * MiB),
	    "commit makes it visible whole");
	ok(put(st, "v.tar", d, 10, &err) == -1 && err.code == BK_EEXIST &&
	    strstr(err.msg, "v.tar") != NULL && arrived("/Vis/v.tar", d,
	    9 * MiB), "a second backup under the same name is a path conflict "
	    "(%s); the first stays intact", err.msg);
out:
	storage_close(st);
	settings_free(&u);
	free(d);
}

static void
errors(void)
{
	struct settings u;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	unsigned char *d = pattern(1000, 5);
	long long size;
	char sha[80];
	json_t *j, *args;
	int rc, escaped = 0;
	size_t i;

	user_settings(&u, "/Err", "2");
	settings_set(&u, "DROPBOX_REFRESH_TOKEN", "wrong-refresh-token");
	rc = open_with(&st, &u, &err);
	ok(rc == -1 && err.code == BK_EAUTH && strstr(err.msg,
	    "DROPBOX_REFRESH_TOKEN") != NULL && no_secret(err.msg) &&
	    strstr(err.msg, "wrong-refresh-token") == NULL, "a wrong refresh "
	    "token: %s", err.msg);
	settings_free(&u);

	user_settings(&u, "/Err", "2");
	settings_set(&u, "DROPBOX_APP_SECRET", "not-the-secret");
	rc = open_with(&st, &u, &err);
	ok(rc == -1 && err.code == BK_EAUTH && strstr(err.msg,
	    "DROPBOX_APP_SECRET") != NULL && strstr(err.msg,
	    "not-the-secret") == NULL, "a wrong app secret: %s", err.msg);
	settings_free(&u);

	user_settings(&u, "/Err", "2");
	settings_set(&u, "DROPBOX_APP_KEY", NULL);
	rc = open_with(&st, &u, &err);
	ok(rc == -1 && err.code == BK_ECONFIG && strstr(err.msg,
	    "DROPBOX_APP_KEY") != NULL, "no app key: %s", err.msg);
	settings_free(&u);

	user_settings(&u, "/a/../b", "2");
	rc = open_with(&st, &u, &err);
	ok(rc == -1 && err.code == BK_ECONFIG && strstr(err.msg,
	    "DROPBOX_REMOTE_PATH") != NULL, "a remote path with ..: %s",
	    err.msg);
	settings_free(&u);

	/* A full Dropbox: refused at finish, nothing under the name. */
	user_settings(&u, "/Full", "1");
	if (open_with(&st, &u, &err) == 0) {
		ctl("{\"quota\": 1}");
		rc = put(st, "full.tar", d, 1000, &err);
		ctl("{\"quota\": null}");
		ok(rc == -1 && strstr(err.msg, "full") != NULL &&
		    no_secret(err.msg) && !stored("/Full/full.tar", &size, sha,
		    sizeof(sha)), "a full Dropbox: %s", err.msg);
		storage_close(st);
	} else
		ok(0, "open for the full case (%s)", err.msg);
	settings_free(&u);

	/* Non-ASCII folder names: escaped in Dropbox-API-Arg. */
	user_settings(&u, "/Sauvegardes \xc3\xa9t\xc3\xa9 \xe2\x9c\x93", "2");
	rc = -1;
	if (open_with(&st, &u, &err) == 0) {
		rc = put(st, "u.tar", d, 1000, &err);
		storage_close(st);
	}
	j = control(NULL);
	args = json_object_get(j, "args_seen");
	for (i = 0; i < json_array_size(args); i++)
		escaped |= strcasestr(json_string_value(json_array_get(args, i)),
		    "\\u00e9") != NULL;
	json_decref(j);
	ok(rc == 0 && escaped && arrived("/Sauvegardes \xc3\xa9t\xc3\xa9 "
	    "\xe2\x9c\x93/u.tar", d, 1000), "a non-ASCII DROPBOX_REMOTE_PATH "
	    "works, escaped as \\u00e9 in Dropbox-API-Arg (%s)",
	    rc == 0 ? "ok" : err.msg);
	settings_free(&u);

	/* A revoked refresh token: next open says so. */
	ctl("{\"revoke\": true}");
	user_settings(&u, "/Err", "2");
	rc = open_with(&st, &u, &err);
	ok(rc == -1 && err.code == BK_EAUTH && strstr(err.msg,
	    "DROPBOX_REFRESH_TOKEN") != NULL && no_secret(err.msg),
	    "a revoked refresh token: %s", err.msg);
	settings_free(&u);
	free(d);
}

/*
 * Wait until the double's counter key reaches want (a readiness check:
 * the upload's threads get there on their own); its last value.
 */
static long long
state_reaches(const char *key, long long want)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	long long v;
	int i;

	for (i = 0; (v = state_int(key)) < want && i < 1200; i++)
		nanosleep(&tick, NULL);
	return v;
}

/*
 * Tokens die early, twice, mid-upload.  The second death comes only
 * once the upload has refreshed after the first (the double issued a
 * new token), so each death meets a token the upload really uses: two
 * refreshes, whatever the threads' timing.
 */
static void
tokens(void)
{
	size_t n = 4 * 8 * MiB;
	unsigned char *d = pattern(n, 13);
	struct storage_upload *up = NULL;
	struct settings u;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	long long issued, refused, mid = -1, got;
	size_t off;
	int rc = -1;

	user_settings(&u, "/Tok", "2");
	if (open_with(&st, &u, &err) == -1 ||
	    storage_begin(st, "t.tar", &up, &err) == -1) {
		ok(0, "open (%s)", err.msg);
		goto out;
	}
	issued = state_int("tokens_issued");
	refused = state_int("refused_expired");
	for (off = 0; off < n; off += MiB) {
		/* 9 MiB: the first 8 MiB piece is on its way; pieces sent
		 * after this (16 and 24 MiB) meet the dead token. */
		if (off == 9 * MiB)
			ctl("{\"expire_tokens\": true}");
		/* 25 MiB: the last piece goes at commit, after this. */
		if (off == 25 * MiB) {
			mid = state_reaches("tokens_issued", issued + 1) -
			    issued;
			ctl("{\"expire_tokens\": true}");
		}
		if ((rc = storage_write(up, d + off, MiB, &err)) == -1)
			break;
	}
	rc = rc == 0 ? storage_commit(up, &err) : (storage_abort(up), -1);
	got = state_int("tokens_issued") - issued;
	if (!ok(rc == 0 && arrived("/Tok/t.tar", d, n) && mid == 1 &&
	    got == 2 && state_int("refused_expired") >= refused + 2, "access "
	    "tokens that expire mid-upload are refreshed, once per death (%s, "
	    "%lld new tokens, %lld after the first death)", rc == 0 ?
	    "intact" : err.msg, got, mid))
		log_tail(30);
	storage_close(st);
out:
	settings_free(&u);
	free(d);
}

/* Short-lived tokens are replaced before they run out: no 401 at all. */
static void
proactive(void)
{
	struct timespec second = { 1, 0 };
	unsigned char *d = pattern(8 * MiB, 17);
	struct storage_upload *up = NULL;
	struct settings u;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	long long issued, refused;
	int i, rc = -1;

	ctl("{\"token_life\": 3}");
	refused = state_int("refused_expired");
	user_settings(&u, "/Pro", "1");
	if (open_with(&st, &u, &err) == 0 &&
	    storage_begin(st, "p.tar", &up, &err) == 0) {
		issued = state_int("tokens_issued");
		/* Time passing is the point here: 5 s of a 3 s token life. */
		for (i = 0, rc = 0; i < 5 && rc == 0; i++) {
			nanosleep(&second, NULL);
			rc = storage_write(up, d, 8 * MiB, &err);
		}
		rc = rc == 0 ? storage_commit(up, &err) :
		    (storage_abort(up), -1);
		if (!ok(rc == 0 && state_int("tokens_issued") > issued &&
		    state_int("refused_expired") == refused, "a token is "
		    "renewed before expires_in runs out (%s, %lld renewals, "
		    "%lld refused)", rc == 0 ? "ok" : err.msg,
		    state_int("tokens_issued") - issued,
		    state_int("refused_expired") - refused))
			log_tail(20);
	} else
		ok(0, "open (%s)", err.msg);
	storage_close(st);
	ctl("{\"token_life\": 14400}");
	settings_free(&u);
	free(d);
}

static void
folders(void)
{
	struct settings u;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	unsigned char *d = pattern(10, 1);
	json_t *j;
	int rc, seen = 0;
	size_t i;

	user_settings(&u, "new/deep/", "2");
	rc = open_with(&st, &u, &err);
	ok(rc == 0 && strcmp(storage_location(st), "dropbox:/new/deep") == 0,
	    "DROPBOX_REMOTE_PATH new/deep/ means /new/deep (%s)",
	    rc == 0 ? storage_location(st) : err.msg);
	if (rc == 0) {
		rc = put(st, "x.tar", d, 10, &err);
		j = control(NULL);
		for (i = 0; i < json_array_size(json_object_get(j, "folders"));
		    i++)
			seen |= strcmp(json_string_value(json_array_get(
			    json_object_get(j, "folders"), i)),
			    "/new/deep") == 0;
		json_decref(j);
		ok(rc == 0 && seen && route_count("files/create_folder_v2") > 0,
		    "a missing folder is created");
		storage_close(st);
	}
	settings_free(&u);
	free(d);
}

int
main(int argc, char **argv)
{
	struct conformance_opts o = { .large = 17 * MiB + 3, .many = 25 };
	struct storage_config cfg = { 0 };
	struct settings u;

	if (argc > 1 && strcmp(argv[1], "drive") == 0)
		return te_drive(argc - 2, argv + 2, "dropbox", 256 * 1024);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	srandom((unsigned)getpid());
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	atexit(stop_double);
	if (start_double() == -1) {
		ok(0, "the Dropbox double starts");
		return tap_done();
	}
	user_settings(&u, "/Backups", "2");
	cfg.user = &u;
	cfg.admin = &admin;
	cfg.user_name = "alice";
	conformance_run("dropbox", &cfg, &o);
	settings_free(&u);

	concurrency();
	cut_download();
	visibility();
	faults("1", "{\"faults\": [{\"route\": \"files/upload_session/"
	    "append_v2\", \"kind\": \"lost\", \"skip\": 1}]}",
	    "an append whose answer is lost (incorrect_offset)");
	faults("3", "{\"faults\": [{\"route\": \"files/upload_session/"
	    "append_v2\", \"kind\": \"lost\", \"skip\": 1}]}",
	    "an append whose answer is lost (incorrect_offset)");
	faults("2", "{\"faults\": [{\"route\": \"files/upload_session/"
	    "append_v2\", \"kind\": \"429\", \"count\": 2}, {\"route\": "
	    "\"files/upload_session/finish\", \"kind\": \"429\"}]}",
	    "429 with Retry-After");
	faults("2", "{\"faults\": [{\"route\": \"files/upload_session/"
	    "start\", \"kind\": \"503\"}, {\"route\": \"files/upload_session/"
	    "append_v2\", \"kind\": \"500\", \"skip\": 1}, {\"route\": "
	    "\"files/upload_session/append_v2\", \"kind\": \"reset\", "
	    "\"skip\": 1}]}", "5xx and a dropped connection");
	faults("1", "{\"faults\": [{\"route\": \"files/upload_session/"
	    "append_v2\", \"kind\": \"expire\", \"skip\": 1}]}",
	    "401 expired_access_token");
	faults("2", "{\"faults\": [{\"route\": \"files/upload_session/"
	    "append_v2\", \"kind\": \"lost\", \"skip\": 3}, {\"route\": "
	    "\"files/upload_session/finish\", \"kind\": \"lost\"}]}",
	    "lost answers to the closing append and to finish");
	faults("1", "{\"faults\": [{\"route\": \"files/upload_session/"
	    "finish\", \"kind\": \"lost\"}]}", "a lost answer to a finish "
	    "carrying the last bytes");
	faults("1", "{\"faults\": [{\"route\": \"files/upload_session/"
	    "finish\", \"kind\": \"uncommitted\"}]}", "a finish that "
	    "stored its bytes, then failed before the commit");
	tokens();
	proactive();
	folders();
	errors();
	settings_free(&admin);
	return tap_done();
}
