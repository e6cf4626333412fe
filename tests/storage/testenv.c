/*
 * testenv.c - helpers the storage drivers' tests share (see testenv.h).
 * No state; single-threaded like the tests that call them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "settings.h"
#include "storage.h"
#include "tap.h"
#include "testenv.h"
#include "xmalloc.h"
#include "userfile.h"

void
te_fill(unsigned char *p, size_t n, size_t off)
{
	uint32_t x;

	for (size_t i = 0; i < n; i++) {
		x = (uint32_t)(off + i) * 2654435761u;
		p[i] = (unsigned char)(x >> 24);
	}
}

int
te_upload(struct storage *st, const char *name, size_t size, size_t chunk,
    struct bk_err *err)
{
	struct storage_upload *up;
	unsigned char *b = xmalloc(chunk);
	size_t off;

	if (storage_begin(st, name, &up, err) == -1) {
		free(b);
		return -1;
	}
	for (off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;

		te_fill(b, n, off);
		if (storage_write(up, b, n, err) == -1) {
			storage_abort(up);
			free(b);
			return -1;
		}
	}
	free(b);
	return storage_commit(up, err);
}

int
te_sink(const void *p, size_t n, void *arg, struct bk_err *err)
{
	struct te_collect *c = arg;
	unsigned char want[65536];
	const unsigned char *q = p;

	(void)err;
	while (n > 0) {
		size_t k = n < sizeof(want) ? n : sizeof(want);

		te_fill(want, k, c->off);
		if (memcmp(q, want, k) != 0)
			c->ok = 0;
		c->off += k;
		q += k;
		n -= k;
	}
	return 0;
}

int
te_count_obj(const struct storage_obj *o, void *arg)
{
	struct te_collect *c = arg;

	c->n++;
	c->bytes += o->size;
	return 0;
}

json_t *
te_ctl(const char *base, const char *what, const char *post)
{
	char *cmd;
	json_t *j;
	FILE *p;

	xasprintf(&cmd, "curl -s %s%s%s '%s/__ctl/%s'", post ?
	    "-X POST --data-binary '" : "", post ? post : "", post ? "'" : "",
	    base, what);
	p = popen(cmd, "r");
	j = json_loadf(p, JSON_DISABLE_EOF_CHECK, NULL);
	pclose(p);
	free(cmd);
	return j;
}

json_t *
te_fp_ctl(const char *what, const char *post)
{
	char base[64];

	snprintf(base, sizeof(base), "http://127.0.0.1:%s", getenv("FP_PORT"));
	return te_ctl(base, what, post);
}

int
te_run_under(const char *script, const char *arg, const char *argv0)
{
	const char *root = getenv("PB_ROOT");
	char *path;

	xasprintf(&path, "%s/tests/servers/%s", root != NULL ? root : ".",
	    script);
	if (arg != NULL)
		execl("/bin/sh", "sh", path, arg, argv0, (char *)NULL);
	else
		execl("/bin/sh", "sh", path, argv0, (char *)NULL);
	printf("not ok 1 - cannot run %s: %s\n", path, strerror(errno));
	free(path);
	return 1;
}

size_t
te_fp_count(json_t *log, const char *method, const char *sub, int faulted)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(log, i, e) {
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *t = json_string_value(json_object_get(e, "target"));

		if (method != NULL && (m == NULL || strcmp(m, method) != 0))
			continue;
		if (t != NULL && strstr(t, sub) != NULL && (faulted < 0 ||
		    faulted == json_is_string(json_object_get(e, "fault"))))
			n++;
	}
	return n;
}

void
te_wait_until(time_t t)
{
	while (time(NULL) <= t)
		usleep(100000);
}

static int
sink_stdout(const void *p, size_t n, void *arg, struct bk_err *err)
{
	(void)arg;
	if (fwrite(p, 1, n, stdout) != n)
		return bk_err_sys(err, BK_EIO, "stdout");
	return 0;
}

static int
print_obj(const struct storage_obj *o, void *arg)
{
	(void)arg;
	printf("%s %llu %lld\n", o->name, (unsigned long long)o->size,
	    (long long)o->mtime);
	return 0;
}

/* put, abort or crash: stdin to name. */
static int
drive_put(struct storage *st, const char *act, const char *name,
    size_t chunk, struct bk_err *err)
{
	struct storage_upload *up = NULL;
	char *buf = xmalloc(chunk);
	size_t n;
	int rc = -1;

	if (storage_begin(st, name, &up, err) == -1)
		goto out;
	while ((n = fread(buf, 1, chunk, stdin)) > 0)
		if (storage_write(up, buf, n, err) == -1) {
			storage_abort(up);
			goto out;
		}
	if (strcmp(act, "crash") == 0)
		_exit(0);	/* a worker that died mid-upload */
	if (strcmp(act, "abort") == 0) {
		storage_abort(up);
		rc = 0;
	} else
		rc = storage_commit(up, err);
	if (rc == 0)
		printf("%s/%s\n", storage_location(st), name);
out:
	free(buf);
	return rc;
}

int
te_drive(int argc, char **argv, const char *backend, size_t chunk)
{
	struct settings admin, user;
	struct storage_config cfg;
	struct storage *st = NULL;
	struct bk_err err = { 0 };
	const char *names[8], *act, *name, *be = backend;
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
	if (userfile_load_settings(&admin, argv[2], argv[1],
	    NULL, &user, NULL, &err) == -1) {
		settings_free(&admin);
		goto done;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.user = &user;
	cfg.admin = &admin;
	cfg.user_name = argv[2];
	cfg.files_root = user.files_root;
	cfg.state_dir = settings_get(&admin, "STATE_DIR");
	if (be == NULL)
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
	    strcmp(act, "crash") == 0)
		rc = drive_put(st, act, name, chunk, &err);
	else if (strcmp(act, "get") == 0)
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

int
te_sink_cmp(const void *p, size_t n, void *arg, struct bk_err *err)
{
	struct te_cmp *c = arg;

	(void)err;
	if (c->off + n > c->len || memcmp(c->want + c->off, p, n) != 0)
		c->bad = 1;
	c->off += n;
	return 0;
}

static int
find_obj(const struct storage_obj *o, void *arg)
{
	struct te_found *f = arg;
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

struct te_found
te_lookup(struct storage *st, const char *name)
{
	struct te_found f = { .name = name };
	struct bk_err err;

	if (storage_list(st, find_obj, &f, &err) == -1)
		f.seen = -1;
	return f;
}

int
te_on_disk(const char *dir, const char *name)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &sb) == 0;
}

int
te_file_equals(const char *dir, const char *name, const unsigned char *d,
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

/* Bytes forwarded by the proxy for GETs whose target holds sub. */
static long long
fp_get_bytes(json_t *log, const char *sub, size_t *gets, int *ranged)
{
	long long n = 0;
	size_t i;
	json_t *e;

	*gets = 0;
	*ranged = 1;
	json_array_foreach(log, i, e) {
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *t = json_string_value(json_object_get(e, "target"));

		if (m == NULL || strcmp(m, "GET") != 0 || t == NULL ||
		    strstr(t, sub) == NULL)
			continue;
		(*gets)++;
		n += json_integer_value(json_object_get(e, "bytes"));
		if (!json_is_string(json_object_get(e, "fault")) &&
		    !json_is_string(json_object_get(e, "range")))
			*ranged = 0;	/* a faulted one was not forwarded */
	}
	return n;
}

static int
collect_sink(const void *p, size_t n, void *arg, struct bk_err *err)
{
	struct buf *b = arg;

	(void)err;
	return buf_append(b, p, n);
}

void
te_ranged_wire(struct storage *st, const char *name)
{
	const size_t size = 8 << 20, off = (4 << 20) + 1, len = 4096;
	unsigned char want[4096];
	struct bk_err err = { 0 };
	struct buf got;
	json_t *log;
	long long bytes;
	size_t gets;
	int ranged, rc, attempt;

	te_fill(want, len, off);
	ok(te_upload(st, name, size, 1 << 20, &err) == 0, "ranged: upload "
	    "of 8 MiB (%s)", err.msg);
	for (attempt = 0; attempt < 2; attempt++) {
		buf_init(&got, 1 << 20);
		json_decref(te_fp_ctl("reset", ""));
		if (attempt == 1)
			json_decref(te_fp_ctl("faults", "[{\"match\": "
			    "\"^GET \", \"count\": 1, \"action\": "
			    "\"reset\"}]"));
		rc = storage_download_range(st, name, off, len, collect_sink,
		    &got, &err);
		log = te_fp_ctl("log", NULL);
		bytes = fp_get_bytes(log, "", &gets, &ranged);
		ok(rc == 0 && got.len == len && memcmp(got.data, want, len) ==
		    0, "ranged%s: 4 KiB from the middle of 8 MiB are the bytes "
		    "there (%s, got %zu)", attempt ? ", first GET reset" : "",
		    rc == 0 ? "ok" : err.msg, got.len);
		ok(ranged && gets == (size_t)(attempt + 1) && bytes <=
		    (long long)len, "ranged%s: %zu GET(s) with a Range "
		    "header; the server sent %lld bytes for the 4096 asked",
		    attempt ? ", first GET reset" : "", gets, bytes);
		json_decref(log);
		buf_free(&got);
	}
	json_decref(te_fp_ctl("reset", ""));
	(void)storage_delete(st, name, &err);
}
