/*
 * test_azure.c - the Azure backend against a real Azurite (it checks
 * SharedKey signatures and Content-MD5), read back with Microsoft's
 * @azure/storage-blob SDK as the independent client.
 *
 * Run without AZ_ENDPOINT, it re-runs itself under
 * tests/servers/with_azurite.sh, which starts Azurite on a free port and
 * stops it afterwards.
 */
#include <errno.h>
#include <stdarg.h>
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

static void
user_settings(struct settings *u)
{
	char *ep;

	settings_defaults(u, SET_USER);
	settings_set(u, "AZURE_STORAGE_ACCOUNT_NAME", getenv("AZ_ACCOUNT"));
	settings_set(u, "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY", getenv("AZ_KEY"));
	settings_set(u, "AZURE_STORAGE_CONTAINER_NAME", getenv("AZ_CONTAINER"));
	settings_set(u, "AZURE_STORAGE_PATH", "backups/alice/");
	xasprintf(&ep, "http://127.0.0.1:%s/{{ .AccountName }}",
	    getenv("AZ_PORT"));
	settings_set(u, "AZURE_STORAGE_ENDPOINT", ep);
	free(ep);
}

static int
open_az(struct storage **st, struct settings *u, struct settings *a,
    struct bk_err *err)
{
	struct storage_config cfg = { u, a, "alice", getenv("AZ_TMP"),
	    getenv("AZ_TMP") };

	return storage_open(st, "azure", &cfg, err);
}

/* Environment the SDK runs with: "" (the plain Azurite) or the HTTPS
 * one's endpoint and CA. */
static char *sdk_env = "";

/* The SDK: its stdout into out (may be NULL); exit status. */
static int
sdk(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
sdk(char *out, size_t size, const char *fmt, ...)
{
	char *args, *cmd, sink[4096];
	va_list ap;
	FILE *p;
	size_t n;
	int rc;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) == -1)
		abort();
	va_end(ap);
	xasprintf(&cmd, "%snode %s/tests/servers/azure_sdk.js %s 2>/dev/null",
	    sdk_env, getenv("PB_ROOT") ? getenv("PB_ROOT") : ".", args);
	p = popen(cmd, "r");
	if (out != NULL) {
		n = fread(out, 1, size - 1, p);
		out[n] = '\0';
	} else
		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	rc = pclose(p);
	free(cmd);
	free(args);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int
sdk_matches(const char *blob, size_t size)
{
	char *cmd;
	unsigned char b[65536], want[65536];
	size_t off = 0, n;
	FILE *p;
	int same = 1;

	xasprintf(&cmd, "%snode %s/tests/servers/azure_sdk.js get %s '%s' "
	    "2>/dev/null", sdk_env, getenv("PB_ROOT") ? getenv("PB_ROOT") :
	    ".",
	    getenv("AZ_CONTAINER"), blob);
	p = popen(cmd, "r");
	while ((n = fread(b, 1, sizeof(b), p)) > 0) {
		te_fill(want, n, off);
		if (memcmp(b, want, n) != 0)
			same = 0;
		off += n;
	}
	same = pclose(p) == 0 && same && off == size;
	free(cmd);
	return same;
}

static void
test_main(void)
{
	struct settings u, a;
	struct storage *st;
	struct storage_upload *up;
	struct bk_err err = { 0 };
	struct te_collect c = { .ok = 1 };
	unsigned char b[1000];
	char out[8192];

	settings_defaults(&a, SET_ADMIN);
	settings_set(&a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	user_settings(&u);
	ok(open_az(&st, &u, &a, &err) == 0, "open azure (%s)", err.msg);
	ok(strcmp(storage_location(st), "azure://devstoreaccount1/"
	    "pb-container/backups/alice/") == 0, "location: %s",
	    storage_location(st));
	ok(te_upload(st, "small.tar.gz", 1000, 1000, &err) == 0,
	    "a 1000-byte backup uploads as one Put Blob (%s)", err.msg);
	ok(sdk_matches("backups/alice/small.tar.gz", 1000),
	    "the SDK reads it back byte for byte under AZURE_STORAGE_PATH");

	/* 2.4 MB in 256 KiB blocks, several in flight. */
	setenv("PB_TEST_AZ_BLOCK_BYTES", "262144", 1);
	{
		struct storage *bl;

		ok(open_az(&bl, &u, &a, &err) == 0 &&
		    storage_begin(bl, "big.tar.zst", &up, &err) == 0,
		    "begin a block upload");
		for (size_t off = 0; off < 2400000; off += 1000) {
			te_fill(b, 1000, off);
			storage_write(up, b, 1000, &err);
			if (off == 1200000)
				ok(sdk(out, sizeof(out), "ls %s backups/",
				    getenv("AZ_CONTAINER")) == 0 &&
				    strstr(out, "big.tar.zst") == NULL,
				    "half-way through, nothing is visible");
		}
		ok(storage_commit(up, &err) == 0, "Put Block List commits "
		    "(%s)", err.msg);
		storage_close(bl);
	}
	unsetenv("PB_TEST_AZ_BLOCK_BYTES");
	ok(sdk_matches("backups/alice/big.tar.zst", 2400000),
	    "the SDK reads the 10-block blob back intact");
	ok(storage_download(st, "big.tar.zst", te_sink, &c, &err) == 0 &&
	    c.ok && c.off == 2400000, "our download streams it back intact");
	ok(storage_download(st, "nope", te_sink, &c, &err) == -1 &&
	    err.code == BK_ENOENT, "download of a missing blob: BK_ENOENT");

	ok(storage_begin(st, "aborted.tar", &up, &err) == 0, "begin");
	storage_write(up, b, 1000, &err);
	storage_abort(up);
	ok(sdk(out, sizeof(out), "ls %s", getenv("AZ_CONTAINER")) == 0 &&
	    strstr(out, "aborted.tar") == NULL, "an aborted upload leaves "
	    "nothing");

	bk_err_clear(&err);
	ok(te_upload(st, "a b+c&d=\xc3\xa9.tar.gz", 12, 64, &err) == 0,
	    "awkward name uploads (%s)", err.msg);
	ok(te_upload(st, "x%20y.tar", 13, 64, &err) == 0, "x%%20y.tar uploads");
	setenv("PB_TEST_LIST_PAGE", "2", 1);
	ok(storage_list(st, te_count_obj, &c, &err) == 0 && (c.n = 0,
	    c.bytes = 0, storage_list(st, te_count_obj, &c, &err) == 0),
	    "list in pages of 2 (%s)", err.msg);
	unsetenv("PB_TEST_LIST_PAGE");
	ok(c.n == 4 && c.bytes == 1000 + 2400000 + 12 + 13,
	    "each of the 4 blobs listed once with its size (%zu, %zu)", c.n,
	    c.bytes);
	ok(storage_delete(st, "a b+c&d=\xc3\xa9.tar.gz", &err) == 0,
	    "delete (%s)", err.msg);
	ok(sdk(out, sizeof(out), "ls %s", getenv("AZ_CONTAINER")) == 0 &&
	    strstr(out, "d=") == NULL, "the SDK no longer sees it");
	ok(storage_delete(st, "a b+c&d=\xc3\xa9.tar.gz", &err) == -1 &&
	    err.code == BK_ENOENT, "deleting it again: BK_ENOENT");
	storage_close(st);

	settings_set(&u, "AZURE_STORAGE_ACCESS_TIER", "Cool");
	ok(open_az(&st, &u, &a, &err) == 0 &&
	    te_upload(st, "cool.tar", 10, 10, &err) == 0 &&
	    sdk(out, sizeof(out), "tier %s backups/alice/cool.tar",
	    getenv("AZ_CONTAINER")) == 0 && strncmp(out, "Cool", 4) == 0,
	    "AZURE_STORAGE_ACCESS_TIER=Cool is applied (%s)", out);
	storage_close(st);
	settings_free(&u);

	/* A connection string instead of the key. */
	{
		char *cs;

		user_settings(&u);
		settings_set(&u, "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY", "");
		xasprintf(&cs, "DefaultEndpointsProtocol=http;AccountName=%s;"
		    "AccountKey=%s;BlobEndpoint=%s;", getenv("AZ_ACCOUNT"),
		    getenv("AZ_KEY"), getenv("AZ_ENDPOINT"));
		settings_set(&u, "AZURE_STORAGE_CONNECTION_STRING", cs);
		ok(open_az(&st, &u, &a, &err) == 0 &&
		    te_upload(st, "cs.tar", 10, 10, &err) == 0,
		    "AZURE_STORAGE_CONNECTION_STRING works (%s)", err.msg);
		storage_close(st);
		settings_free(&u);
		free(cs);
	}
	settings_free(&a);
}

static void
test_errors(void)
{
	struct settings u, a;
	struct storage *st;
	struct bk_err err = { 0 };
	const char *badkey = "d3JvbmdrZXl3cm9uZ2tleXdyb25na2V5d3Jvbmc=";

	settings_defaults(&a, SET_ADMIN);
	settings_set(&a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	user_settings(&u);
	settings_set(&u, "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY", badkey);
	open_az(&st, &u, &a, &err);
	ok(te_upload(st, "x.tar", 10, 10, &err) == -1 && err.code == BK_EAUTH &&
	    strstr(err.msg, "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY") &&
	    strstr(err.msg, "127.0.0.1") && strstr(err.msg, badkey) == NULL,
	    "wrong key: auth error naming setting and host, key hidden: %s",
	    err.msg);
	storage_close(st);
	settings_set(&u, "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY", getenv("AZ_KEY"));
	settings_set(&u, "AZURE_STORAGE_CONTAINER_NAME", "missing");
	open_az(&st, &u, &a, &err);
	ok(te_upload(st, "x.tar", 10, 10, &err) == -1 &&
	    err.code == BK_ECONFIG && strstr(err.msg,
	    "AZURE_STORAGE_CONTAINER_NAME") && strstr(err.msg, "missing"),
	    "missing container: %s", err.msg);
	storage_close(st);
	settings_set(&u, "AZURE_STORAGE_CONTAINER_NAME", getenv("AZ_CONTAINER"));
	settings_set(&u, "AZURE_STORAGE_ENDPOINT", "http://127.0.0.1:1/x/");
	open_az(&st, &u, &a, &err);
	ok(te_upload(st, "x.tar", 10, 10, &err) == -1 &&
	    err.code == BK_EUNREACH && bk_err_exit_status(&err) == 3 &&
	    strstr(err.msg, "AZURE_STORAGE_ENDPOINT") &&
	    strstr(err.msg, "127.0.0.1:1"), "unreachable: exit 3: %s",
	    err.msg);
	storage_close(st);
	settings_set(&u, "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY", "not base64!");
	ok(open_az(&st, &u, &a, &err) == -1 && err.code == BK_ECONFIG &&
	    strstr(err.msg, "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY"),
	    "a key that is not base64: %s", err.msg);
	settings_free(&u);
	settings_free(&a);
}

static long
az_gets(void)
{
	json_t *j = te_ctl(getenv("IMDS_URL"), "stats", NULL);
	long n = json_integer_value(json_object_get(j, "az_gets"));

	json_decref(j);
	return n;
}

/*
 * The HTTPS Azurite (private CA), with a key or a managed identity.  The
 * host's managed identity is the admin's to give: it is turned on in the
 * admin config, and the endpoint is the admin's too (a user's own would
 * be refused, see test_mi_refused).
 */
static void
tls_settings(struct settings *u, struct settings *a, int mi)
{
	char *ep;

	user_settings(u);
	settings_defaults(a, SET_ADMIN);
	settings_set(a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	settings_set(a, "HTTP_CA_FILE", getenv("AZ_CA_PEM"));
	settings_set(a, "AZURE_IMDS_ENDPOINT", getenv("IMDS_AZ_URL"));
	xasprintf(&ep, "https://127.0.0.1:%s/{{ .AccountName }}",
	    getenv("AZ_TLS_PORT"));
	if (mi) {
		settings_set(u, "AZURE_STORAGE_PRIMARY_ACCOUNT_KEY", "");
		settings_set(u, "AZURE_STORAGE_ENDPOINT", "");
		settings_set(a, "AZURE_STORAGE_ENDPOINT", ep);
		settings_set(a, "ALLOW_INSTANCE_CREDENTIALS", "true");
	} else
		settings_set(u, "AZURE_STORAGE_ENDPOINT", ep);
	free(ep);
}

/* No managed identity for a user's own endpoint, nor unless the admin
 * turned it on: refused before any token is asked for. */
static void
test_mi_refused(void)
{
	struct settings u, a;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	long gets;

	tls_settings(&u, &a, 1);
	settings_set(&u, "AZURE_STORAGE_ENDPOINT", "https://127.0.0.1:1/"
	    "{{ .AccountName }}");
	gets = az_gets();
	ok(open_az(&st, &u, &a, &err) == -1 && err.code == BK_ECONFIG &&
	    strstr(err.msg, "AZURE_STORAGE_ENDPOINT") && az_gets() == gets,
	    "a user's own AZURE_STORAGE_ENDPOINT gets no managed identity "
	    "token: %s", err.msg);
	storage_close(st);
	st = NULL;
	settings_set(&u, "AZURE_STORAGE_ENDPOINT", "");
	settings_set(&a, "ALLOW_INSTANCE_CREDENTIALS", "false");
	ok(open_az(&st, &u, &a, &err) == -1 && err.code == BK_ECONFIG &&
	    strstr(err.msg, "ALLOW_INSTANCE_CREDENTIALS") && az_gets() == gets,
	    "managed identity off by default: %s", err.msg);
	storage_close(st);
	settings_free(&u);
	settings_free(&a);
}

static void
test_tls_mi(void)
{
	struct settings u, a;
	struct storage *st;
	struct storage_upload *up;
	struct bk_err err = { 0 };
	unsigned char b[4096];
	size_t off;
	time_t t0;
	long gets;
	int rc;

	xasprintf(&sdk_env, "AZ_ENDPOINT='%s' NODE_EXTRA_CA_CERTS='%s' ",
	    getenv("AZ_TLS_ENDPOINT"), getenv("AZ_CA_PEM"));
	setenv("PB_TEST_AZ_BLOCK_BYTES", "262144", 1);

	/* HTTPS with the account key: refused without the CA, fine with
	 * the admin's HTTP_CA_FILE. */
	tls_settings(&u, &a, 0);
	settings_set(&a, "HTTP_CA_FILE", "");
	rc = open_az(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "tls.tar", 100, 100, &err);
	ok(rc == -1 && err.code == BK_ECONFIG && strstr(err.msg,
	    "AZURE_STORAGE_ENDPOINT") && strstr(err.msg, "TLS") &&
	    strstr(err.msg, "127.0.0.1"), "https with an unknown CA is "
	    "refused: %s", err.msg);
	storage_close(st);
	settings_set(&a, "HTTP_CA_FILE", getenv("AZ_CA_PEM"));
	bk_err_clear(&err);
	rc = open_az(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "tls.tar", 600000, 4096, &err);
	ok(rc == 0, "https, private CA in HTTP_CA_FILE: a 3-block upload "
	    "(%s)", err.msg);
	ok(sdk_matches("backups/alice/tls.tar", 600000), "the SDK reads it "
	    "back over https");
	storage_close(st);
	settings_free(&u);
	settings_free(&a);

	/* Managed identity only: account, container, endpoint; the token
	 * comes from the admin's AZURE_IMDS_ENDPOINT, and Azurite
	 * (--oauth basic) checks its issuer, audience and lifetime. */
	tls_settings(&u, &a, 1);
	json_decref(te_ctl(getenv("IMDS_URL"), "ttl", "3600"));
	gets = az_gets();
	rc = open_az(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "mi-1.tar", 1000, 1000, &err);
	if (rc == 0)
		rc = te_upload(st, "mi-2.tar", 700000, 4096, &err);
	ok(rc == 0, "managed identity only: a Put Blob and a 3-block "
	    "upload (%s)", err.msg);
	ok(sdk_matches("backups/alice/mi-2.tar", 700000), "the SDK reads "
	    "the managed-identity backup back");
	ok(az_gets() - gets == 1, "the token is cached: one fetch for 5 "
	    "requests (%ld)", az_gets() - gets);
	storage_close(st);

	/* A token about to expire is fetched again mid-upload, once. */
	json_decref(te_ctl(getenv("IMDS_URL"), "ttl", "302,3600"));
	gets = az_gets();
	rc = open_az(&st, &u, &a, &err);
	t0 = time(NULL);
	if (rc == 0)
		rc = storage_begin(st, "mi-long.tar", &up, &err);
	for (off = 0; rc == 0 && off < 40 * sizeof(b) * 8; off += sizeof(b)) {
		if (off == 20 * sizeof(b) * 8)
			te_wait_until(t0 + 3);	/* 2 blocks out */
		te_fill(b, sizeof(b), off);
		rc = storage_write(up, b, sizeof(b), &err);
	}
	if (rc == 0)
		rc = storage_commit(up, &err);
	else
		storage_abort(up);
	ok(rc == 0 && az_gets() - gets == 2, "an upload across the token's "
	    "expiry fetches a new one, once (%ld fetches; %s)", az_gets() -
	    gets, err.msg);
	ok(sdk_matches("backups/alice/mi-long.tar", 40 * sizeof(b) * 8),
	    "and arrives whole");
	storage_close(st);

	/* Azurite really checks the token: an expired one is refused. */
	json_decref(te_ctl(getenv("IMDS_URL"), "ttl", "-100"));
	rc = open_az(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "mi-x.tar", 10, 10, &err);
	ok(rc == -1 && err.code == BK_EAUTH && strstr(err.msg,
	    "AZURE_IMDS_ENDPOINT") && strstr(err.msg, "127.0.0.1") &&
	    strstr(err.msg, "eyJ") == NULL, "an expired token is refused: "
	    "one line naming managed identity and the host, no token: %s",
	    err.msg);
	storage_close(st);
	json_decref(te_ctl(getenv("IMDS_URL"), "ttl", "3600"));

	settings_set(&a, "AZURE_IMDS_ENDPOINT", "http://127.0.0.1:1/token");
	rc = open_az(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "mi-x.tar", 10, 10, &err);
	ok(rc == -1 && err.code == BK_EUNREACH && bk_err_exit_status(&err) ==
	    3 && strstr(err.msg, "AZURE_IMDS_ENDPOINT") &&
	    strstr(err.msg, "127.0.0.1:1") && strchr(err.msg, '\n') == NULL,
	    "unreachable AZURE_IMDS_ENDPOINT: exit 3, one line: %s", err.msg);
	storage_close(st);
	settings_free(&u);
	settings_free(&a);
	unsetenv("PB_TEST_AZ_BLOCK_BYTES");
	free(sdk_env);
	sdk_env = "";
}

/* Put Block through faultproxy (reached with HTTP_CONNECT_TO). */
/* Admin settings that reach Azurite through faultproxy, as production
 * reaches a server through the admin's HTTP_CONNECT_TO. */
static void
proxied(struct settings *a)
{
	char ct[128];

	settings_defaults(a, SET_ADMIN);
	settings_set(a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
	snprintf(ct, sizeof(ct), "127.0.0.1:%s:127.0.0.1:%s",
	    getenv("AZ_PORT"), getenv("FP_PORT"));
	settings_set(a, "HTTP_CONNECT_TO", ct);
}

static void
test_faults(void)
{
	struct settings u, a;
	struct storage *st;
	struct bk_err err = { 0 };
	char out[8192];
	json_t *log;
	int rc;

	user_settings(&u);
	proxied(&a);
	setenv("PB_TEST_AZ_BLOCK_BYTES", "262144", 1);
	json_decref(te_fp_ctl("reset", ""));
	json_decref(te_fp_ctl("faults", "["
	    "{\"match\": \"^PUT .*[?]comp=block&\", \"skip\": 1, "
	    "\"action\": \"503\"},"
	    "{\"match\": \"^PUT .*[?]comp=block&\", \"skip\": 2, "
	    "\"action\": \"500\"},"
	    "{\"match\": \"^PUT .*[?]comp=block&\", \"skip\": 3, "
	    "\"count\": 2, \"action\": \"reset\"}]"));
	rc = open_az(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "faults.tar", 1200000, 4096, &err);
	ok(rc == 0, "transient faults on Put Block (503, 500, two resets): "
	    "the backup still uploads (%s)", err.msg);
	ok(sdk_matches("backups/alice/faults.tar", 1200000), "the SDK reads "
	    "it back whole");
	log = te_fp_ctl("log", NULL);
	ok(te_fp_count(log, NULL, "comp=block&", 1) == 4 &&
	    te_fp_count(log, NULL, "comp=block&", 0) == 5 &&
	    te_fp_count(log, NULL, "comp=blocklist", -1) == 1, "4 faulted Put "
	    "Blocks sent again, 5 blocks stored, one Put Block List (%zu, %zu)",
	    te_fp_count(log, NULL, "comp=block&", 1),
	    te_fp_count(log, NULL, "comp=block&", 0));
	json_decref(log);
	storage_close(st);

	/* Every Put Block after the second fails: a clear error, and no
	 * block list is ever committed. */
	json_decref(te_fp_ctl("reset", ""));
	json_decref(te_fp_ctl("faults",
	    "[{\"match\": \"^PUT .*[?]comp=block&\", "
	    "\"skip\": 2, \"count\": -1, \"action\": \"503\"}]"));
	rc = open_az(&st, &u, &a, &err);
	if (rc == 0)
		rc = te_upload(st, "doomed.tar", 1200000, 4096, &err);
	ok(rc == -1 && strstr(err.msg, "503") != NULL &&
	    strstr(err.msg, "127.0.0.1") != NULL && strchr(err.msg, '\n') ==
	    NULL, "a block failing every time: the upload fails, one line "
	    "naming the host and the answer: %s", err.msg);
	log = te_fp_ctl("log", NULL);
	ok(te_fp_count(log, NULL, "comp=blocklist", -1) == 0 &&
	    te_fp_count(log, NULL, "comp=block&", 1) >= 5, "each failing "
	    "block tried 5 times, no block list committed (%zu failed tries)",
	    te_fp_count(log, NULL, "comp=block&", 1));
	json_decref(log);
	ok(sdk(out, sizeof(out), "ls %s backups/alice/",
	    getenv("AZ_CONTAINER")) == 0 && strstr(out, "doomed.tar") == NULL,
	    "the SDK sees no blob under its name");
	json_decref(te_fp_ctl("reset", ""));
	unsetenv("PB_TEST_AZ_BLOCK_BYTES");
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

	user_settings(&u);
	proxied(&a);
	ok(open_az(&st, &u, &a, &err) == 0, "open azure through the proxy "
	    "(%s)", err.msg);
	te_ranged_wire(st, "ranged.tar");
	storage_close(st);
	settings_free(&u);
	settings_free(&a);
}

int
main(int argc, char **argv)
{
	if (getenv("AZ_ENDPOINT") == NULL)
		return te_run_under("with_azurite.sh", NULL, argv[0]);
	test_main();
	test_errors();
	test_tls_mi();
	test_mi_refused();
	test_faults();
	test_ranged();

	/* The shared suite in its own folder: 1 MiB blocks so the large
	 * case is a block upload, pages of 10 so listing pages. */
	setenv("PB_TEST_AZ_BLOCK_BYTES", "1048576", 1);
	setenv("PB_TEST_LIST_PAGE", "10", 1);
	{
		struct settings u, a;
		struct storage_config cfg = { &u, &a, "alice",
		    getenv("AZ_TMP"), getenv("AZ_TMP") };
		struct conformance_opts o = { .large = (3 << 20) + 3,
		    .many = 25 };

		user_settings(&u);
		settings_set(&u, "AZURE_STORAGE_PATH", "conformance");
		settings_defaults(&a, SET_ADMIN);
		settings_set(&a, "OUTBOUND_ALLOW", "127.0.0.0/8,::1");
		conformance_run("azure", &cfg, &o);
		settings_free(&u);
		settings_free(&a);
	}
	return tap_done();
}
