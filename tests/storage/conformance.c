/*
 * conformance.c - the storage contract of storage/storage.h, as tests.
 *
 * Every case cleans up what it made, so the suite can run against a
 * destination holding other objects, and runs in a fixed order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"
#include "err.h"
#include "storage.h"
#include "tap.h"
#include "xmalloc.h"

struct seen {
	const char	*want;
	int		 count;
	unsigned long long size;
	int		 total;
	int		 stop_after;
	char		 prefix[32];
	int		 prefixed;
};

static unsigned char *
pattern(size_t n, unsigned int seed)
{
	unsigned char *p = xmalloc(n == 0 ? 1 : n);
	unsigned int x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
	return p;
}

static int
put(struct storage *st, const char *name, const unsigned char *data,
    size_t n, size_t chunk, struct bk_err *err)
{
	struct storage_upload *up;
	size_t off, take;

	if (storage_begin(st, name, &up, err) == -1)
		return -1;
	for (off = 0; off < n; off += take) {
		take = n - off < chunk ? n - off : chunk;
		if (storage_write(up, data + off, take, err) == -1) {
			storage_abort(up);
			return -1;
		}
	}
	return storage_commit(up, err);
}

struct dl {
	unsigned char	*buf;
	size_t		 len;
	size_t		 cap;
};

static int
dl_sink(const void *p, size_t n, void *arg, struct bk_err *err)
{
	struct dl *d = arg;

	(void)err;
	if (d->len + n > d->cap) {
		d->cap = (d->len + n) * 2;
		d->buf = xrealloc(d->buf, d->cap);
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return 0;
}

static int
fail_sink(const void *p, size_t n, void *arg, struct bk_err *err)
{
	(void)p;
	(void)n;
	(void)arg;
	return bk_err_set(err, BK_EIO, "sink refused");
}

static int
list_cb(const struct storage_obj *o, void *arg)
{
	struct seen *s = arg;

	s->total++;
	if (s->want != NULL && strcmp(o->name, s->want) == 0) {
		s->count++;
		s->size = o->size;
	}
	if (s->prefix[0] != '\0' &&
	    strncmp(o->name, s->prefix, strlen(s->prefix)) == 0)
		s->prefixed++;
	if (s->stop_after > 0 && s->total >= s->stop_after)
		return 42;
	return 0;
}

static int
count_named(struct storage *st, const char *name, unsigned long long *size)
{
	struct seen s = { .want = name };
	struct bk_err err;

	if (storage_list(st, list_cb, &s, &err) != 0)
		return -1;
	if (size != NULL)
		*size = s.size;
	return s.count;
}

static void
round_trip(struct storage *st, const char *name, size_t n, size_t chunk,
    unsigned int seed)
{
	unsigned char *data = pattern(n, seed);
	struct dl d = { 0 };
	unsigned long long size = 0;
	struct bk_err err;
	int rc;

	rc = put(st, name, data, n, chunk, &err);
	ok(rc == 0, "upload of %zu bytes as %s (%s)", n, name,
	    rc == 0 ? "ok" : err.msg);
	ok(count_named(st, name, &size) == 1 && size == n,
	    "listing shows %s once with size %zu (got %llu)", name, n, size);
	rc = storage_download(st, name, dl_sink, &d, &err);
	ok(rc == 0 && d.len == n && (n == 0 || memcmp(d.buf, data, n) == 0),
	    "download of %s returns the same %zu bytes (%s, got %zu)", name, n,
	    rc == 0 ? "ok" : err.msg, d.len);
	rc = storage_delete(st, name, &err);
	ok(rc == 0 && count_named(st, name, NULL) == 0,
	    "delete of %s removes it (%s)", name, rc == 0 ? "ok" : err.msg);
	free(d.buf);
	free(data);
}

static void
atomic_visibility(struct storage *st, size_t chunk)
{
	unsigned char *data = pattern(300000, 7);
	struct storage_upload *up;
	struct bk_err err;
	struct seen s = { .want = "conf-atomic.tar.gz" };
	int before, rc;

	if (storage_list(st, list_cb, &s, &err) != 0) {
		ok(0, "listing before the atomic case (%s)", err.msg);
		free(data);
		return;
	}
	before = s.total;
	rc = storage_begin(st, "conf-atomic.tar.gz", &up, &err);
	ok(rc == 0, "begin an upload (%s)", rc == 0 ? "ok" : err.msg);
	if (rc == 0) {
		storage_write(up, data, chunk, &err);
		storage_write(up, data + chunk, 200000, &err);
		ok(count_named(st, "conf-atomic.tar.gz", NULL) == 0,
		    "an upload in progress is not visible under its name");
		storage_abort(up);
	}
	ok(count_named(st, "conf-atomic.tar.gz", NULL) == 0,
	    "an aborted upload leaves nothing under its name");
	memset(&s, 0, sizeof(s));
	storage_list(st, list_cb, &s, &err);
	ok(s.total == before, "an aborted upload leaves no other visible "
	    "object (%d before, %d after)", before, s.total);
	free(data);
}

static void
listing(struct storage *st, size_t many)
{
	struct seen s = { 0 };
	struct bk_err err;
	char name[64];
	size_t i, made = 0;
	int rc;

	for (i = 0; i < many; i++) {
		snprintf(name, sizeof(name), "conf-many-%05zu.tar", i);
		if (put(st, name, (const unsigned char *)name, strlen(name),
		    4096, &err) == 0)
			made++;
	}
	ok(made == many, "%zu small uploads (%zu made)", many, made);
	snprintf(s.prefix, sizeof(s.prefix), "conf-many-");
	rc = storage_list(st, list_cb, &s, &err);
	ok(rc == 0 && (size_t)s.prefixed == many, "listing returns each of "
	    "%zu objects exactly once across pages (got %d)", many,
	    s.prefixed);
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	rc = storage_list(st, list_cb, &s, &err);
	ok(rc == 42 && s.total == 3, "a listing callback's non-zero return "
	    "stops the listing and is returned (rc %d after %d)", rc,
	    s.total);
	for (i = 0; i < many; i++) {
		snprintf(name, sizeof(name), "conf-many-%05zu.tar", i);
		storage_delete(st, name, &err);
	}
	memset(&s, 0, sizeof(s));
	snprintf(s.prefix, sizeof(s.prefix), "conf-many-");
	storage_list(st, list_cb, &s, &err);
	ok(s.prefixed == 0, "all listed objects deleted (%d left)",
	    s.prefixed);
}

static void
missing(struct storage *st)
{
	struct dl d = { 0 };
	struct bk_err err;
	int rc;

	rc = storage_delete(st, "conf-does-not-exist.tar", &err);
	ok(rc == -1 && err.code == BK_ENOENT, "delete of a missing name "
	    "fails with not_found (got %s)", bk_code_name(err.code));
	rc = storage_download(st, "conf-does-not-exist.tar", dl_sink, &d,
	    &err);
	ok(rc == -1 && err.code == BK_ENOENT, "download of a missing name "
	    "fails with not_found (got %s)", bk_code_name(err.code));
	free(d.buf);
}

static void
bad_names(struct storage *st)
{
	static const char *const bad[] = { "a/b.tar", "..", ".", "" };
	struct storage_upload *up;
	struct bk_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		up = NULL;
		ok(storage_begin(st, bad[i], &up, &err) == -1 && up == NULL,
		    "the name \"%s\" is refused", bad[i]);
	}
}

static void
sink_error(struct storage *st)
{
	unsigned char *data = pattern(100000, 3);
	struct bk_err err;
	int rc;

	if (put(st, "conf-sink.tar", data, 100000, 65536, &err) == -1) {
		ok(0, "upload for the sink case (%s)", err.msg);
		free(data);
		return;
	}
	rc = storage_download(st, "conf-sink.tar", fail_sink, NULL, &err);
	ok(rc == -1 && strstr(err.msg, "sink refused") != NULL,
	    "a download sink's error stops the download and is returned");
	storage_delete(st, "conf-sink.tar", &err);
	free(data);
}

/* [off, off + len) of name as the backend gives it; -1 on error. */
static long long
range_of(struct storage *st, const char *name, uint64_t off, uint64_t len,
    struct dl *d, struct bk_err *err)
{
	d->len = 0;
	if (storage_download_range(st, name, off, len, dl_sink, d, err) == -1)
		return -1;
	return (long long)d->len;
}

static void
ranges(struct storage *st, size_t chunk)
{
	static const struct { uint64_t off, len; } cases[] = {
		{ 0, 1 }, { 0, 100 }, { 1000, 5000 }, { 65535, 65537 },
		{ 1048575, 10 }, { 1048575, 1000 }, { 1048580, 1 },
		{ 500, STORAGE_TO_END },
	};
	const size_t n = 1048581;	/* 1 MiB + 5 */
	unsigned char *data = pattern(n, 77);
	struct storage_obj o;
	struct dl d = { 0 };
	struct bk_err err;
	uint64_t want, off;
	long long got;
	size_t i;
	int rc, same = 1;

	rc = put(st, "conf-range.tar", data, n, chunk, &err);
	ok(rc == 0, "upload of %zu bytes for ranges (%s)", n,
	    rc == 0 ? "ok" : err.msg);
	rc = storage_stat(st, "conf-range.tar", &o, &err);
	ok(rc == 0 && o.size == n && strcmp(o.name, "conf-range.tar") == 0,
	    "stat gives its size %zu (%s, got %llu)", n, rc == 0 ? "ok" :
	    err.msg, (unsigned long long)o.size);
	rc = storage_stat(st, "conf-does-not-exist.tar", &o, &err);
	ok(rc == -1 && err.code == BK_ENOENT, "stat of a missing name fails "
	    "with ENOENT (%s)", rc == -1 ? err.msg : "succeeded");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		want = cases[i].len == STORAGE_TO_END || cases[i].off +
		    cases[i].len > n ? n - cases[i].off : cases[i].len;
		got = range_of(st, "conf-range.tar", cases[i].off,
		    cases[i].len, &d, &err);
		ok(got == (long long)want && memcmp(d.buf, data +
		    cases[i].off, (size_t)want) == 0, "range [%llu, +%llu) "
		    "gives the %llu bytes there (%s, got %lld)",
		    (unsigned long long)cases[i].off,
		    (unsigned long long)cases[i].len,
		    (unsigned long long)want, got >= 0 ? "ok" : err.msg, got);
	}
	got = range_of(st, "conf-range.tar", n, 10, &d, &err);
	ok(got == 0, "a range at the end gives nothing, no error (%s, %lld)",
	    got >= 0 ? "ok" : err.msg, got);
	got = range_of(st, "conf-range.tar", n + 1000, 10, &d, &err);
	ok(got == 0, "a range past the end gives nothing, no error (%s, "
	    "%lld)", got >= 0 ? "ok" : err.msg, got);
	got = range_of(st, "conf-range.tar", 10, 0, &d, &err);
	ok(got == 0, "an empty range gives nothing (%s)", got >= 0 ? "ok" :
	    err.msg);
	for (off = 0; off < n && same; off += 300000) {
		got = range_of(st, "conf-range.tar", off, 300000, &d, &err);
		same = got >= 0 && memcmp(d.buf, data + off, (size_t)got) == 0 &&
		    (uint64_t)got == (n - off < 300000 ? n - off : 300000);
	}
	ok(same, "the object read in ranges of 300,000 equals the whole");
	got = range_of(st, "conf-does-not-exist.tar", 0, 10, &d, &err);
	ok(got == -1 && err.code == BK_ENOENT, "a range of a missing name "
	    "fails with ENOENT (%s)", got == -1 ? err.msg : "succeeded");
	storage_delete(st, "conf-range.tar", &err);
	free(d.buf);
	free(data);
}

int
conformance_run(const char *backend, const struct storage_config *cfg,
    const struct conformance_opts *opts)
{
	static const char *const awkward[] = {
		"with space.tar.gz", "\xc3\xbc\x6e\xc3\xaf-\xd1\x84.tar",
		"quote'and\"dq.tar", "-dash.tar", "per%25cent+plus&amp;.tar",
		"semi;colon#hash?q.tar",
	};
	struct conformance_opts o = { 5 * 1024 * 1024 + 3, 25, 7777 };
	struct storage *st = NULL;
	struct bk_err err;
	int failed0 = tap_failed, rc;
	size_t i;

	if (opts != NULL) {
		if (opts->large > 0)
			o.large = opts->large;
		if (opts->many > 0)
			o.many = opts->many;
		if (opts->chunk > 0)
			o.chunk = opts->chunk;
	}
	rc = storage_open(&st, backend, cfg, &err);
	ok(rc == 0, "%s: open (%s)", backend, rc == 0 ? "ok" : err.msg);
	if (rc == -1)
		return tap_failed - failed0;
	round_trip(st, "conf-empty.tar", 0, o.chunk, 1);
	round_trip(st, "conf-one.tar", 1, o.chunk, 2);
	round_trip(st, "conf-odd.tar", 4097, o.chunk, 3);
	round_trip(st, "conf-large.tar.gz", o.large, o.chunk, 4);
	for (i = 0; i < sizeof(awkward) / sizeof(awkward[0]); i++)
		round_trip(st, awkward[i], 1000 + i, o.chunk, 10 + (unsigned)i);
	atomic_visibility(st, o.chunk);
	listing(st, o.many);
	missing(st);
	bad_names(st);
	sink_error(st);
	ranges(st, o.chunk);
	storage_close(st);
	return tap_failed - failed0;
}
