/*
 * test_s3_parts.c - the part planner of the object stores (objstore.c)
 * for streams of unknown length: S3 (10,000 parts, 5 GiB at most) and
 * Azure (50,000 blocks, 4000 MiB at most) hold a 5 TiB stream without
 * running into the part limit, small backups keep the configured part
 * size (and so their memory), sizes never shrink nor pass the cap; and
 * the pool really cuts a stream the way the planner says.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "objstore.h"
#include "tap.h"
#include "xmalloc.h"

#define MiB	((size_t)1 << 20)
#define GiB	((uint64_t)1 << 30)
#define TiB	((uint64_t)1 << 40)

struct plan {
	uint64_t	 total;		/* bytes max_parts parts hold */
	unsigned	 parts_5t;	/* parts a 5 TiB stream takes, or 0 */
	size_t		 top_5t;	/* part size when it ends */
	unsigned	 first_growth;	/* first part larger than base */
	int		 monotone, capped;
};

static void
plan(size_t base, unsigned max, size_t cap, struct plan *p)
{
	size_t prev = 0, s;
	unsigned n;

	memset(p, 0, sizeof(*p));
	p->monotone = p->capped = 1;
	for (n = 1; n <= max; n++) {
		s = objstore_part_size(base, n, max, cap, OBJ_MAX_STREAM);
		if (s < prev)
			p->monotone = 0;
		if (s > cap)
			p->capped = 0;
		if (s > base && p->first_growth == 0)
			p->first_growth = n;
		p->total += s;
		if (p->parts_5t == 0 && p->total >= 5 * TiB) {
			p->parts_5t = n;
			p->top_5t = s;
		}
		prev = s;
	}
}

static void
check(const char *what, size_t base, unsigned max, size_t cap,
    uint64_t small)
{
	struct plan p;

	plan(base, max, cap, &p);
	ok(p.parts_5t != 0 && p.parts_5t <= max, "%s: a 5 TiB stream of "
	    "unknown length fits in %u parts (takes %u, last part %zu MiB)",
	    what, max, p.parts_5t, p.top_5t / MiB);
	ok(p.monotone && p.capped, "%s: part sizes never shrink and never "
	    "pass the %zu MiB cap", what, cap / MiB);
	ok(p.first_growth != 0 && (uint64_t)(p.first_growth - 1) * base >=
	    small, "%s: the first %llu GiB go in %zu MiB parts (growth "
	    "from part %u)", what, (unsigned long long)(small / GiB),
	    base / MiB, p.first_growth);
}

struct seen {
	unsigned	 n;
	size_t		 len[64];
	uint64_t	 bytes;
};

static int
part(void *ctx, int worker, unsigned n, const char *data, size_t len,
    struct bk_err *err)
{
	struct seen *s = ctx;

	/* One worker: parts arrive in order. */
	if (n == s->n + 1 && n <= 64)
		s->len[n - 1] = len;
	s->n = n;
	s->bytes += len;
	return 0;
}

static void
test_pool(void)
{
	struct seen s = { 0 };
	struct bk_err err = { 0 };
	struct obj_pool *p;
	char buf[1000];
	const char *d;
	size_t len, want;
	uint64_t total = 0;
	unsigned i, bad = 0;
	int rc;

	/* 10 parts of at most 64 KiB, base 1 KiB, 100 KiB to hold: */
	memset(buf, 'x', sizeof(buf));
	p = objstore_pool_new(1, 1024, 10, 65536, 100 * 1024, NULL, part,
	    &s);
	for (i = 0; i < 100; i++)
		if (objstore_pool_write(p, buf, sizeof(buf), &err) == -1)
			break;
	rc = objstore_pool_finish(p, &d, &len, &err);
	ok(rc == 0 && s.bytes == 100000, "pool: 100000 bytes of unknown "
	    "length go out in parts (rc %d, %llu bytes, %s)", rc,
	    (unsigned long long)s.bytes, err.msg);
	ok(s.n <= 10, "pool: within its 10-part limit (%u parts)", s.n);
	for (i = 0; i + 1 < s.n; i++) {
		want = objstore_part_size(1024, i + 1, 10, 65536, 100 * 1024);
		if (s.len[i] != want)
			bad++;
		total += s.len[i];
	}
	ok(bad == 0 && s.len[0] == 1024 && s.len[s.n - 2] > 1024,
	    "pool: every full part has the planned size, growing from 1 KiB "
	    "to %zu", s.n > 1 ? s.len[s.n - 2] : 0);
	objstore_pool_free(p);

	/* Without growth the same stream would not fit: the limit is
	 * reported, not overrun. */
	memset(&s, 0, sizeof(s));
	p = objstore_pool_new(1, 1024, 10, 1024, 100 * 1024, NULL, part, &s);
	for (i = 0, rc = 0; i < 100 && rc == 0; i++)
		rc = objstore_pool_write(p, buf, sizeof(buf), &err);
	ok(rc == -1 && strstr(err.msg, "10 parts") != NULL && s.n <= 10,
	    "pool: a stream past the limit fails clearly: %s", err.msg);
	objstore_pool_free(p);
}

int
main(void)
{
	check("S3 default 16 MiB", 16 * MiB, 10000, (size_t)5 << 30,
	    16 * GiB);
	check("S3 smallest 5 MiB", 5 * MiB, 10000, (size_t)5 << 30,
	    4 * GiB);
	check("S3 AWS_PART_SIZE=100", 100 * MiB, 10000, (size_t)5 << 30,
	    100 * GiB);
	check("Azure 8 MiB blocks", 8 * MiB, 50000, (size_t)4000 << 20,
	    50 * GiB);
	check("Azure 4 MiB blocks", 4 * MiB, 50000, (size_t)4000 << 20,
	    20 * GiB);
	test_pool();
	return tap_done();
}
