/*
 * test_s3.c - the S3 backend against a real s3rver (it verifies SigV4),
 * read back with Debian's /usr/bin/aws as the independent client.
 *
 * Run without S3_ENDPOINT, it re-runs itself under
 * tests/servers/with_s3rver.sh, which starts an HTTP and an HTTPS server
 * (private CA) on free ports and stops them afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conformance.h"
#include "err.h"
#include "settings.h"
#include "storage.h"
#include "tap.h"
#include "testenv.h"
#include "xmalloc.h"

static const char *tmp;

static void
user_settings(struct settings *u, const char *endpoint)
{
	settings_defaults(u, SET_USER);
	settings_set(u, "AWS_S3_BUCKET_NAME", getenv("S3_BUCKET"));
	settings_set(u, "AWS_ENDPOINT", endpoint);
	settings_set(u, "AWS_ENDPOINT_PROTO", "http");
	settings_set(u, "AWS_ACCESS_KEY_ID", getenv("S3_AK"));
	settings_set(u, "AWS_SECRET_ACCESS_KEY", getenv("S3_SK"));
	settings_set(u, "AWS_S3_PATH", "backups/alice");
}

static int
open_s3(struct storage **st, struct settings *u, struct settings *a,
    struct bk_err *err)
{
	struct storage_config cfg = { u, a, "alice", tmp, tmp };

	return storage_open(st, "s3", &cfg, err);
}

/* Run the aws CLI; its stdout into out (may be NULL).  Exit status. */
static int
aws(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
aws(char *out, size_t size, const char *fmt, ...)
{
	char *args, *cmd;
	va_list ap;
	FILE *p;
	size_t n = 0;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) == -1)
		abort();
	va_end(ap);
	xasprintf(&cmd, "AWS_ACCESS_KEY_ID='%s' AWS_SECRET_ACCESS_KEY='%s' "
	    "AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE='%s' "
	    "/usr/bin/aws --endpoint-url http://%s %s 2>/dev/null",
	    getenv("S3_AK"), getenv("S3_SK"), getenv("S3_AWS_CONFIG"),
	    getenv("S3_ENDPOINT"), args);
	p = popen(cmd, "r");
	if (out != NULL) {
		n = fread(out, 1, size - 1, p);
		out[n] = '\0';
	} else {
		char sink[4096];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	rc = pclose(p);
	free(cmd);
	free(args);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Does the file aws downloaded hold exactly te_fill(size)? */
static int
file_matches(const char *path, size_t size)
{
	unsigned char b[65536], want[65536];
	size_t off = 0, n;
	FILE *f = fopen(path, "re");
	int same = f != NULL;

	while (same && (n = fread(b, 1, sizeof(b), f)) > 0) {
		te_fill(want, n, off);
		same = memcmp(b, want, n) == 0;
		off += n;
	}
	if (f != NULL)
		fclose(f);
	return same && off == size;
}

static void
test_roundtrip(struct storage *st)
{
	struct bk_err err = { 0 };
	struct storage_upload *up;
	struct te_collect c = { .ok = 1 };
	char out[8192], path[512];
	unsigned char b[1000];

	ok(te_upload(st, "small.tar.gz", 1000, 1000, &err) == 0,
	    "a 1000-byte backup uploads (%s)", err.msg);
	snprintf(path, sizeof(path), "%s/small.out", tmp);
	ok(aws(NULL, 0, "s3 cp s3://%s/backups/alice/small.tar.gz %s",
	    getenv("S3_BUCKET"), path) == 0 && file_matches(path, 1000),
	    "aws s3 cp reads it back byte for byte under AWS_S3_PATH");

	/* 2.3 MB with 256 KiB parts: multipart, parts in parallel. */
	setenv("PB_TEST_S3_PART_BYTES", "262144", 1);
	{
		struct settings u, a;
		struct storage *mp;

		user_settings(&u, getenv("S3_ENDPOINT"));
		settings_defaults(&a, SET_ADMIN);
		settings_set(&a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
		ok(open_s3(&mp, &u, &a, &err) == 0, "open with small parts");
		ok(storage_begin(mp, "big.tar.zst", &up, &err) == 0, "begin");
		for (size_t off = 0; off < 2400000; off += 1000) {
			te_fill(b, 1000, off);
			storage_write(up, b, 1000, &err);
			if (off == 1200000)
				ok(aws(out, sizeof(out), "s3 ls s3://%s/backups"
				    "/alice/", getenv("S3_BUCKET")) == 0 &&
				    strstr(out, "big.tar.zst") == NULL,
				    "half-way through a multipart upload, "
				    "nothing is visible");
		}
		ok(storage_commit(up, &err) == 0, "multipart commit (%s)",
		    err.msg);
		storage_close(mp);
		settings_free(&u);
		settings_free(&a);
	}
	unsetenv("PB_TEST_S3_PART_BYTES");
	snprintf(path, sizeof(path), "%s/big.out", tmp);
	ok(aws(NULL, 0, "s3 cp s3://%s/backups/alice/big.tar.zst %s",
	    getenv("S3_BUCKET"), path) == 0 && file_matches(path, 2400000),
	    "aws reads the 10-part object back intact");
	ok(storage_download(st, "big.tar.zst", te_sink, &c, &err) == 0 &&
	    c.ok && c.off == 2400000, "our download streams it back intact");
	c = (struct te_collect){ .ok = 1 };
	ok(storage_download(st, "nope.tar", te_sink, &c, &err) == -1 &&
	    err.code == BK_ENOENT, "download of a missing name: BK_ENOENT");

	/* Aborted upload: nothing under the name. */
	ok(storage_begin(st, "aborted.tar", &up, &err) == 0, "begin");
	te_fill(b, 1000, 0);
	storage_write(up, b, 1000, &err);
	storage_abort(up);
	ok(aws(out, sizeof(out), "s3 ls s3://%s/backups/alice/",
	    getenv("S3_BUCKET")) == 0 && strstr(out, "aborted.tar") == NULL,
	    "an aborted upload leaves nothing");
}

static void
test_list_delete(struct storage *st)
{
	struct bk_err err = { 0 };
	struct te_collect c = { 0 };
	char out[8192];
	const char *names[] = { "a b+c&d=\xc3\xa9.tar.gz", "x%20y.tar",
	    "2024-01-01.tar.gz" };
	size_t i;

	for (i = 0; i < 3; i++)
		ok(te_upload(st, names[i], 10 + i, 64, &err) == 0,
		    "awkward name uploads: %s (%s)", names[i], err.msg);
	/* A key in a sub-folder is not part of the folder's listing. */
	aws(NULL, 0, "s3 cp /etc/hostname s3://%s/backups/alice/sub/x",
	    getenv("S3_BUCKET"));
	setenv("PB_TEST_LIST_PAGE", "2", 1);
	ok(storage_list(st, te_count_obj, &c, &err) == 0, "list with pages of "
	    "2 (%s)", err.msg);
	unsetenv("PB_TEST_LIST_PAGE");
	ok(c.n == 5, "each of the 5 objects listed exactly once (got %zu)",
	    c.n);
	ok(c.bytes == 1000 + 2400000 + 10 + 11 + 12,
	    "listed sizes add up (%zu)", c.bytes);
	ok(storage_delete(st, names[0], &err) == 0, "delete (%s)", err.msg);
	ok(aws(out, sizeof(out), "s3api list-objects-v2 --bucket %s "
	    "--prefix backups/alice/a", getenv("S3_BUCKET")) == 0 &&
	    strstr(out, "d=") == NULL, "aws no longer sees the deleted key");
	ok(storage_delete(st, names[0], &err) == -1 && err.code == BK_ENOENT,
	    "deleting it again: BK_ENOENT");
}

static void
test_errors(void)
{
	struct settings u, a;
	struct storage *st;
	struct bk_err err = { 0 };
	int rc;

	settings_defaults(&a, SET_ADMIN);
	settings_set(&a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	user_settings(&u, getenv("S3_ENDPOINT"));
	settings_set(&u, "AWS_SECRET_ACCESS_KEY", "wrongSecretKeyValue12345");
	open_s3(&st, &u, &a, &err);
	rc = te_upload(st, "x.tar", 10, 10, &err);
	ok(rc == -1 && err.code == BK_EAUTH && strstr(err.msg,
	    "AWS_SECRET_ACCESS_KEY") && strstr(err.msg, "127.0.0.1") &&
	    strstr(err.msg, "wrongSecretKeyValue12345") == NULL,
	    "wrong secret: auth error naming the setting and host, secret "
	    "not shown: %s", err.msg);
	storage_close(st);
	settings_set(&u, "AWS_SECRET_ACCESS_KEY", getenv("S3_SK"));
	settings_set(&u, "AWS_S3_BUCKET_NAME", "no-such-bucket");
	open_s3(&st, &u, &a, &err);
	rc = te_upload(st, "x.tar", 10, 10, &err);
	ok(rc == -1 && err.code == BK_ECONFIG &&
	    strstr(err.msg, "AWS_S3_BUCKET_NAME") &&
	    strstr(err.msg, "no-such-bucket"),
	    "missing bucket: %s", err.msg);
	storage_close(st);
	settings_free(&u);

	user_settings(&u, "127.0.0.1:1");
	open_s3(&st, &u, &a, &err);
	rc = te_upload(st, "x.tar", 10, 10, &err);
	ok(rc == -1 && err.code == BK_EUNREACH && bk_err_exit_status(&err)
	    == 3 && strstr(err.msg, "AWS_ENDPOINT") &&
	    strstr(err.msg, "127.0.0.1:1"),
	    "unreachable endpoint: exit 3, names host and setting: %s",
	    err.msg);
	storage_close(st);
	settings_free(&u);

	user_settings(&u, "http://x");
	ok(open_s3(&st, &u, &a, &err) == -1 && err.code == BK_ECONFIG &&
	    strstr(err.msg, "AWS_ENDPOINT"), "scheme in AWS_ENDPOINT: %s",
	    err.msg);
	settings_free(&u);
	user_settings(&u, getenv("S3_ENDPOINT"));
	settings_set(&u, "AWS_SECRET_ACCESS_KEY", "");
	ok(open_s3(&st, &u, &a, &err) == -1 && err.code == BK_ECONFIG &&
	    strstr(err.msg, "AWS_SECRET_ACCESS_KEY"),
	    "half the static keys: %s", err.msg);
	settings_free(&u);
	settings_free(&a);
}

static void
test_tls(void)
{
	struct settings u, a;
	struct storage *st;
	struct bk_err err = { 0 };
	char *pem = NULL, cmd[1024];
	FILE *f;
	long n;

	settings_defaults(&a, SET_ADMIN);
	settings_set(&a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	user_settings(&u, getenv("S3_TLS_ENDPOINT"));
	settings_set(&u, "AWS_ENDPOINT_PROTO", "https");
	open_s3(&st, &u, &a, &err);
	ok(te_upload(st, "tls.tar", 100, 100, &err) == -1 &&
	    err.code == BK_ECONFIG && strstr(err.msg, "AWS_ENDPOINT"),
	    "https with an unknown CA is refused: %s", err.msg);
	storage_close(st);

	/* The CA as a path inside the user's files. */
	snprintf(cmd, sizeof(cmd), "cp %s %s/ca.pem", getenv("S3_CA_PEM"),
	    tmp);
	ok(system(cmd) == 0, "CA copied into the files root");
	settings_set(&u, "AWS_ENDPOINT_CA_CERT", "ca.pem");
	bk_err_clear(&err);
	ok(open_s3(&st, &u, &a, &err) == 0 &&
	    te_upload(st, "tls.tar", 100, 100, &err) == 0,
	    "AWS_ENDPOINT_CA_CERT as a path in the user's files (%s)",
	    err.msg);
	storage_close(st);

	/* The CA as PEM text. */
	f = fopen(getenv("S3_CA_PEM"), "re");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	pem = xcalloc(1, (size_t)n + 1);
	if (fread(pem, 1, (size_t)n, f) != (size_t)n)
		pem[0] = '\0';
	fclose(f);
	settings_set(&u, "AWS_ENDPOINT_CA_CERT", pem);
	bk_err_clear(&err);
	ok(open_s3(&st, &u, &a, &err) == 0 &&
	    te_upload(st, "tls2.tar", 70000, 4096, &err) == 0,
	    "AWS_ENDPOINT_CA_CERT as PEM text (%s)", err.msg);
	storage_close(st);
	free(pem);

	/* The admin's HTTP_CA_FILE instead. */
	settings_set(&u, "AWS_ENDPOINT_CA_CERT", "");
	settings_set(&a, "HTTP_CA_FILE", getenv("S3_CA_PEM"));
	ok(open_s3(&st, &u, &a, &err) == 0 &&
	    te_upload(st, "tls3.tar", 100, 100, &err) == 0,
	    "the admin's HTTP_CA_FILE is trusted (%s)", err.msg);
	storage_close(st);
	settings_set(&a, "HTTP_CA_FILE", "");
	settings_set(&u, "AWS_ENDPOINT_INSECURE", "true");
	ok(open_s3(&st, &u, &a, &err) == 0 &&
	    te_upload(st, "tls4.tar", 100, 100, &err) == 0,
	    "AWS_ENDPOINT_INSECURE skips verification (%s)", err.msg);
	storage_close(st);
	settings_free(&u);
	settings_free(&a);
}

static long
imds_stat(const char *name)
{
	json_t *j = te_ctl(getenv("IMDS_URL"), "stats", NULL);
	long n = json_integer_value(json_object_get(j, name));

	json_decref(j);
	return n;
}

static void
imds_ttl(const char *ttls)
{
	json_decref(te_ctl(getenv("IMDS_URL"), "ttl", ttls));
}

/* Settings that reach s3rver through faultproxy, as production reaches
 * a server through the admin's HTTP_CONNECT_TO. */
static void
proxied(struct settings *a)
{
	char ct[256];

	settings_defaults(a, SET_ADMIN);
	settings_set(a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	snprintf(ct, sizeof(ct), "%s:127.0.0.1:%s", getenv("S3_ENDPOINT"),
	    getenv("FP_PORT"));
	settings_set(a, "HTTP_CONNECT_TO", ct);
}

static void
test_iam(void)
{
	struct settings u, a;
	struct storage *st;
	struct storage_upload *up;
	struct bk_err err = { 0 };
	unsigned char b[4096];
	json_t *log, *e;
	size_t i, reqs = 0, signed_ok = 0, first_key = 0, second_key = 0;
	size_t sent = 0;
	long gets;
	char path[512];
	const char *ak0 = NULL, *tok0 = NULL;
	time_t t0;
	int rc;

	/* Instance profile only: no static keys anywhere.  The role is the
	 * host's: the admin turns it on and names both the metadata
	 * endpoint and the S3 endpoint; the user sets neither. */
	user_settings(&u, "");
	settings_set(&u, "AWS_ACCESS_KEY_ID", "");
	settings_set(&u, "AWS_SECRET_ACCESS_KEY", "");
	proxied(&a);
	settings_set(&a, "AWS_ENDPOINT", getenv("S3_ENDPOINT"));
	settings_set(&a, "ALLOW_INSTANCE_CREDENTIALS", "true");
	settings_set(&a, "AWS_IAM_ROLE_ENDPOINT", getenv("IMDS_URL"));
	gets = imds_stat("cred_gets");
	settings_set(&u, "AWS_IAM_ROLE_ENDPOINT", getenv("IMDS_URL"));
	ok(open_s3(&st, &u, &a, &err) == -1 && err.code == BK_ECONFIG &&
	    strstr(err.msg, "AWS_IAM_ROLE_ENDPOINT") &&
	    imds_stat("cred_gets") == gets,
	    "a user's AWS_IAM_ROLE_ENDPOINT is refused: %s", err.msg);
	settings_set(&u, "AWS_IAM_ROLE_ENDPOINT", "");
	settings_set(&u, "AWS_ENDPOINT", "127.0.0.1:1");
	ok(open_s3(&st, &u, &a, &err) == -1 && err.code == BK_ECONFIG &&
	    strstr(err.msg, "AWS_ENDPOINT") &&
	    imds_stat("cred_gets") == gets,
	    "no instance role for a user's own AWS_ENDPOINT: %s", err.msg);
	settings_set(&u, "AWS_ENDPOINT", "");
	settings_set(&a, "ALLOW_INSTANCE_CREDENTIALS", "false");
	ok(open_s3(&st, &u, &a, &err) == -1 && err.code == BK_ECONFIG &&
	    strstr(err.msg, "ALLOW_INSTANCE_CREDENTIALS") &&
	    imds_stat("cred_gets") == gets,
	    "the instance role is off by default: %s", err.msg);
	settings_set(&a, "ALLOW_INSTANCE_CREDENTIALS", "true");
	json_decref(te_fp_ctl("reset", ""));
	imds_ttl("3600");
	gets = imds_stat("cred_gets");
	setenv("PB_TEST_S3_PART_BYTES", "262144", 1);
	rc = open_s3(&st, &u, &a, &err);
	for (i = 0; rc == 0 && i < 3; i++) {
		snprintf(path, sizeof(path), "iam-%zu.tar", i);
		rc = te_upload(st, path, 1000 + i, 1000, &err);
	}
	if (rc == 0)
		rc = te_upload(st, "iam-big.tar", 1200000, 4096, &err);
	ok(rc == 0, "instance profile only (AWS_IAM_ROLE_ENDPOINT): 3 small "
	    "and one 5-part backup upload (%s)", err.msg);
	snprintf(path, sizeof(path), "%s/iam.out", tmp);
	ok(aws(NULL, 0, "s3 cp s3://%s/backups/alice/iam-big.tar %s",
	    getenv("S3_BUCKET"), path) == 0 && file_matches(path, 1200000),
	    "aws reads the instance-profile backup back intact");
	ok(imds_stat("cred_gets") - gets == 1, "credentials cached: one "
	    "fetch from the metadata service for all of them (%ld)",
	    imds_stat("cred_gets") - gets);
	log = te_fp_ctl("log", NULL);
	json_array_foreach(log, i, e) {
		const char *k = json_string_value(json_object_get(e, "ak"));
		const char *t = json_string_value(json_object_get(e,
		    "amz_token"));
		const char *sh = json_string_value(json_object_get(e,
		    "signed"));

		reqs++;
		if (ak0 == NULL) {
			ak0 = k;
			tok0 = t;
		}
		if (k != NULL && t != NULL && strcmp(k, getenv("IMDS_AK")) ==
		    0 && tok0 != NULL && strcmp(t, tok0) == 0 && sh != NULL &&
		    strstr(sh, "x-amz-security-token") != NULL &&
		    strstr(t, "pb-session-token-") == t && json_integer_value(
		    json_object_get(e, "status")) / 100 == 2)
			signed_ok++;
	}
	ok(reqs >= 10 && signed_ok == reqs, "every request (%zu) signed with "
	    "the role's key, its session token sent and signed as "
	    "x-amz-security-token, and s3rver accepted it (%zu)", reqs,
	    signed_ok);
	json_decref(log);
	storage_close(st);

	/* A short-lived key pair expires during a long upload: the next
	 * request fetches new keys, once; later parts are signed with them. */
	json_decref(te_fp_ctl("reset", ""));
	imds_ttl("302,3600");
	gets = imds_stat("cred_gets");
	rc = open_s3(&st, &u, &a, &err);
	t0 = time(NULL);
	if (rc == 0)
		rc = storage_begin(st, "iam-long.tar", &up, &err);
	for (i = 0; rc == 0 && i < 1200000; i += sizeof(b)) {
		if (i / sizeof(b) == 600000 / sizeof(b))
			te_wait_until(t0 + 3);	/* 2 parts out; expiry */
		te_fill(b, sizeof(b), i);
		rc = storage_write(up, b, sizeof(b), &err);
		sent = i + sizeof(b);
	}
	if (rc == 0)
		rc = storage_commit(up, &err);
	else
		storage_abort(up);
	ok(rc == 0, "an upload across the expiry of its keys completes (%s)",
	    err.msg);
	ok(imds_stat("cred_gets") - gets == 2, "the keys were fetched again "
	    "before they expired, once (%ld fetches)",
	    imds_stat("cred_gets") - gets);
	log = te_fp_ctl("log", NULL);
	ak0 = NULL;
	json_array_foreach(log, i, e) {
		const char *k = json_string_value(json_object_get(e, "ak"));

		if (ak0 == NULL)
			ak0 = k;
		if (k != NULL && strcmp(k, ak0) != 0)
			second_key++;
		else if (k != NULL && second_key == 0)
			first_key++;
	}
	ok(first_key >= 2 && second_key >= 2 && first_key + second_key ==
	    json_array_size(log), "the first requests used the first keys, "
	    "every one after the refresh the new ones (%zu, %zu)", first_key,
	    second_key);
	json_decref(log);
	storage_close(st);
	snprintf(path, sizeof(path), "%s/iam-long.out", tmp);
	ok(aws(NULL, 0, "s3 cp s3://%s/backups/alice/iam-long.tar %s",
	    getenv("S3_BUCKET"), path) == 0 && file_matches(path, sent),
	    "aws reads it back intact (%zu bytes)", sent);
	unsetenv("PB_TEST_S3_PART_BYTES");

	/* Nothing listens: one line naming the setting and the URL. */
	settings_set(&a, "AWS_IAM_ROLE_ENDPOINT", "http://127.0.0.1:1");
	bk_err_clear(&err);
	rc = open_s3(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "iam-x.tar", 10, 10, &err);
	ok(rc == -1 && err.code == BK_EUNREACH && bk_err_exit_status(&err) ==
	    3 && strstr(err.msg, "AWS_IAM_ROLE_ENDPOINT") &&
	    strstr(err.msg, "127.0.0.1:1") && strchr(err.msg, '\n') == NULL,
	    "unreachable AWS_IAM_ROLE_ENDPOINT: exit 3, one line: %s",
	    err.msg);
	storage_close(st);
	settings_free(&u);
	settings_free(&a);
}

static void
test_faults(void)
{
	struct settings u, a;
	struct storage *st;
	struct bk_err err = { 0 };
	char out[8192], path[512];
	json_t *log;
	int rc;

	/* 5 parts of 256 KiB through faultproxy: part 2 answered 503 once,
	 * part 3 500 once, part 4's connection reset twice. */
	user_settings(&u, getenv("S3_ENDPOINT"));
	proxied(&a);
	setenv("PB_TEST_S3_PART_BYTES", "262144", 1);
	json_decref(te_fp_ctl("reset", ""));
	json_decref(te_fp_ctl("faults", "["
	    "{\"match\": \"^PUT .*[?]partNumber=2&\", \"action\": \"503\"},"
	    "{\"match\": \"^PUT .*[?]partNumber=3&\", \"action\": \"500\"},"
	    "{\"match\": \"^PUT .*[?]partNumber=4&\", \"count\": 2, "
	    "\"action\": \"reset\"}]"));
	rc = open_s3(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "faults.tar", 1200000, 4096, &err);
	ok(rc == 0, "transient faults on 3 of 5 parts (503, 500, two resets): "
	    "the backup still uploads (%s)", err.msg);
	snprintf(path, sizeof(path), "%s/faults.out", tmp);
	ok(aws(NULL, 0, "s3 cp s3://%s/backups/alice/faults.tar %s",
	    getenv("S3_BUCKET"), path) == 0 && file_matches(path, 1200000),
	    "aws reads it back whole");
	log = te_fp_ctl("log", NULL);
	ok(te_fp_count(log, "PUT", "?partNumber=1&", -1) == 1 &&
	    te_fp_count(log, "PUT", "?partNumber=2&", -1) == 2 &&
	    te_fp_count(log, "PUT", "?partNumber=3&", -1) == 2 &&
	    te_fp_count(log, "PUT", "?partNumber=4&", -1) == 3 &&
	    te_fp_count(log, "PUT", "?partNumber=5&", -1) == 1 &&
	    te_fp_count(log, "POST", "?uploads", -1) == 1,
	    "each failed part was sent again on its own, the others once, "
	    "one multipart upload");
	json_decref(log);
	storage_close(st);

	/* Part 3 fails every time: the upload gives up with a clear error
	 * and aborts; nothing appears. */
	json_decref(te_fp_ctl("reset", ""));
	json_decref(te_fp_ctl("faults",
	    "[{\"match\": \"^PUT .*[?]partNumber=3&\","
	    " \"count\": -1, \"action\": \"503\"}]"));
	rc = open_s3(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "doomed.tar", 1200000, 4096, &err);
	ok(rc == -1 && strstr(err.msg, "503") != NULL &&
	    strstr(err.msg, "127.0.0.1") != NULL && strchr(err.msg, '\n') ==
	    NULL, "a part failing every time: the upload fails, one line "
	    "naming the host and the answer: %s", err.msg);
	log = te_fp_ctl("log", NULL);
	ok(te_fp_count(log, "PUT", "?partNumber=3&", 1) == 5 &&
	    te_fp_count(log, "DELETE", "?uploadId=", 0) == 1,
	    "it was tried 5 times, then the multipart upload was aborted "
	    "(%zu tries)", te_fp_count(log, "PUT", "?partNumber=3&", 1));
	json_decref(log);
	ok(aws(out, sizeof(out), "s3 ls s3://%s/backups/alice/",
	    getenv("S3_BUCKET")) == 0 && strstr(out, "doomed.tar") == NULL,
	    "no object under its name");
	storage_close(st);

	/* A front proxy's body limit below the part size (413): only a
	 * smaller AWS_PART_SIZE helps, so it is said and not retried. */
	json_decref(te_fp_ctl("reset", ""));
	json_decref(te_fp_ctl("faults",
	    "[{\"match\": \"^PUT .*[?]partNumber=2&\","
	    " \"count\": -1, \"action\": \"413\"}]"));
	rc = open_s3(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "big-parts.tar", 1200000, 4096, &err);
	ok(rc == -1 && strstr(err.msg, "AWS_PART_SIZE") != NULL &&
	    strstr(err.msg, "lower") != NULL && !err.retryable,
	    "a 413 names AWS_PART_SIZE and says to lower it, not retryable: "
	    "%s", err.msg);
	log = te_fp_ctl("log", NULL);
	ok(te_fp_count(log, "PUT", "?partNumber=2&", 1) == 1,
	    "the refused part was not sent again (%zu tries)",
	    te_fp_count(log, "PUT", "?partNumber=2&", 1));
	json_decref(log);
	json_decref(te_fp_ctl("reset", ""));
	unsetenv("PB_TEST_S3_PART_BYTES");
	storage_close(st);
	settings_free(&u);
	settings_free(&a);
}

static void
test_storage_class(void)
{
	struct settings u, a;
	struct storage *st;
	struct bk_err err = { 0 };
	char out[8192];

	settings_defaults(&a, SET_ADMIN);
	settings_set(&a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	user_settings(&u, getenv("S3_ENDPOINT"));
	settings_set(&u, "AWS_STORAGE_CLASS", "STANDARD_IA");
	ok(open_s3(&st, &u, &a, &err) == 0 &&
	    te_upload(st, "ia.tar", 100, 100, &err) == 0, "upload with a "
	    "storage class (%s)", err.msg);
	ok(aws(out, sizeof(out), "s3api head-object --bucket %s --key "
	    "backups/alice/ia.tar", getenv("S3_BUCKET")) == 0 &&
	    strstr(out, "STANDARD_IA") != NULL,
	    "aws head-object shows AWS_STORAGE_CLASS");
	storage_close(st);
	settings_free(&u);
	settings_free(&a);
}

/* Only the range asked crosses the wire (the proxy counts it). */
static void
test_ranged(void)
{
	struct settings u, a;
	struct storage *st;
	struct bk_err err = { 0 };

	user_settings(&u, getenv("S3_ENDPOINT"));
	proxied(&a);
	ok(open_s3(&st, &u, &a, &err) == 0, "open s3 through the proxy (%s)",
	    err.msg);
	te_ranged_wire(st, "ranged.tar");
	storage_close(st);
	settings_free(&u);
	settings_free(&a);
}

int
main(int argc, char **argv)
{
	struct settings u, a;
	struct storage *st = NULL;
	struct bk_err err = { 0 };

	if (getenv("S3_ENDPOINT") == NULL)
		return te_run_under("with_s3rver.sh", NULL, argv[0]);
	tmp = getenv("S3_TMP");
	settings_defaults(&a, SET_ADMIN);
	settings_set(&a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	user_settings(&u, getenv("S3_ENDPOINT"));
	ok(open_s3(&st, &u, &a, &err) == 0, "open s3 (%s)", err.msg);
	ok(strcmp(storage_location(st), "s3://pb-bucket/backups/alice/") == 0,
	    "location without secrets: %s", storage_location(st));
	test_roundtrip(st);
	test_list_delete(st);
	storage_close(st);
	settings_free(&u);
	settings_free(&a);
	test_errors();
	test_tls();
	test_storage_class();
	test_iam();
	test_faults();
	test_ranged();

	/* The shared suite in its own folder: 1 MiB parts so the large
	 * case is a multipart upload, pages of 10 so listing pages. */
	setenv("PB_TEST_S3_PART_BYTES", "1048576", 1);
	setenv("PB_TEST_LIST_PAGE", "10", 1);
	user_settings(&u, getenv("S3_ENDPOINT"));
	settings_set(&u, "AWS_S3_PATH", "conformance");
	settings_defaults(&a, SET_ADMIN);
	settings_set(&a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	{
		struct storage_config cfg = { &u, &a, "alice", tmp, tmp };
		struct conformance_opts o = { .large = (3 << 20) + 3,
		    .many = 25 };

		conformance_run("s3", &cfg, &o);
	}
	settings_free(&u);
	settings_free(&a);
	return tap_done();
}
