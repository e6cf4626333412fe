/*
 * test_pipeline.c - the streaming engine and the compression stages.
 *
 * gzip output is read by gzip and pigz, zstd output by zstd; the gzip
 * stage gives byte-identical output for 1 and 4 threads at the edge sizes;
 * our readers round-trip and refuse truncated input; a stage that fails
 * mid-stream aborts the whole pipeline with its error, leaving nothing
 * under the final name at the destination.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "err.h"
#include "pipeline.h"
#include "settings.h"
#include "storage.h"
#include "tap.h"
#include "upload.h"
#include "xmalloc.h"

struct capture {
	unsigned char	*buf;
	size_t		 len;
	size_t		 cap;
};

static int
cap_write(struct stage *st, const void *p, size_t n, struct bk_err *err)
{
	struct capture *c = stage_arg(st);

	(void)err;
	if (c->len + n > c->cap) {
		c->cap = (c->len + n) * 2;
		c->buf = xrealloc(c->buf, c->cap);
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	return 0;
}

static const struct stage_type stage_capture = {
	.name = "capture",
	.write = cap_write,
};

struct failer {
	size_t	seen;
	size_t	limit;
};

static int
fail_write(struct stage *st, const void *p, size_t n, struct bk_err *err)
{
	struct failer *f = stage_arg(st);

	f->seen += n;
	if (f->seen > f->limit)
		return bk_err_set(err, BK_EIO, "test stage broke at %zu bytes",
		    f->limit);
	return stage_emit(st, p, n, err);
}

static const struct stage_type stage_failer = {
	.name = "failer",
	.write = fail_write,
};

/* Half compressible text, half random: like a hosting account. */
static unsigned char *
corpus(size_t n)
{
	unsigned char *p = xmalloc(n == 0 ? 1 : n);
	unsigned int x = 12345;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (i / 4096) % 2 ? (unsigned char)(x >> 16) :
		    (unsigned char)("lorem ipsum dolor sit amet\n"[i % 27]);
	}
	return p;
}

static int
run(const struct stage_type *a, void *aarg, const struct stage_type *b,
    void *barg, const unsigned char *in, size_t n, size_t chunk,
    struct capture *out, struct bk_err *err)
{
	struct pipeline *p = pipeline_new();
	size_t off, take;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (a != NULL)
		pipeline_add(p, a, aarg);
	if (b != NULL)
		pipeline_add(p, b, barg);
	pipeline_add(p, &stage_capture, out);
	if (pipeline_start(p, err) == -1)
		goto out;
	for (off = 0; off < n; off += take) {
		take = n - off < chunk ? n - off : chunk;
		if (pipeline_write(p, in + off, take, err) == -1) {
			pipeline_abort(p, err);
			goto out;
		}
	}
	rc = pipeline_finish(p, err);
out:
	pipeline_free(p);
	return rc;
}

static int
save(const char *path, const struct capture *c)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	fwrite(c->buf, 1, c->len, f);
	return fclose(f);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int
sh(const char *fmt, const char *a, const char *b)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}
#pragma GCC diagnostic pop

static void
gzip_case(const char *dir, size_t n)
{
	struct compress_cfg one = { 6, 1 }, four = { 6, 4 };
	struct capture c1, c4, back;
	unsigned char *in = corpus(n);
	char gz[600], raw[600];
	struct bk_err err;

	snprintf(gz, sizeof(gz), "%s/t.gz", dir);
	snprintf(raw, sizeof(raw), "%s/t.raw", dir);
	ok(run(&stage_gzip, &one, NULL, NULL, in, n, 65536, &c1, &err) == 0 &&
	    run(&stage_gzip, &four, NULL, NULL, in, n, 7777, &c4, &err) == 0,
	    "gzip %zu bytes with 1 and 4 threads", n);
	ok(c1.len == c4.len && c1.len > 0 &&
	    memcmp(c1.buf, c4.buf, c1.len) == 0,
	    "gzip %zu bytes: 1 and 4 threads give byte-identical output", n);
	save(gz, &c4);
	save(raw, &(struct capture){ in, n, n });
	ok(sh("gzip -t '%s' && pigz -t '%s'", gz, gz) == 0,
	    "gzip %zu bytes: gzip -t and pigz -t accept it", n);
	ok(sh("gzip -dc '%s' | cmp -s - '%s'", gz, raw) == 0,
	    "gzip %zu bytes: gzip -d gives back the input", n);
	ok(run(&stage_gunzip, NULL, NULL, NULL, c4.buf, c4.len, 3333, &back,
	    &err) == 0 && back.len == n &&
	    (n == 0 || memcmp(back.buf, in, n) == 0),
	    "gzip %zu bytes: our reader gives back the input", n);
	free(back.buf);
	free(c1.buf);
	free(c4.buf);
	free(in);
}

static void
zstd_case(const char *dir, size_t n)
{
	struct compress_cfg cfg = { 3, 2 };
	struct capture c, back;
	unsigned char *in = corpus(n);
	char zs[600], raw[600];
	struct bk_err err;

	snprintf(zs, sizeof(zs), "%s/t.zst", dir);
	snprintf(raw, sizeof(raw), "%s/t.raw", dir);
	ok(run(&stage_zstd, &cfg, NULL, NULL, in, n, 65536, &c, &err) == 0,
	    "zstd %zu bytes", n);
	save(zs, &c);
	save(raw, &(struct capture){ in, n, n });
	ok(sh("zstd -q -t '%s' && zstd -q -dc '%s' > /dev/null", zs, zs) == 0,
	    "zstd %zu bytes: zstd -t accepts it", n);
	ok(sh("zstd -lv '%s' 2>/dev/null | grep -q 'Check: XXH64' && "
	    "zstd -q -dc '%s' >/dev/null", zs, zs) == 0,
	    "zstd %zu bytes: the frame carries its checksum", n);
	ok(run(&stage_unzstd, NULL, NULL, NULL, c.buf, c.len, 3333, &back,
	    &err) == 0 && back.len == n &&
	    (n == 0 || memcmp(back.buf, in, n) == 0),
	    "zstd %zu bytes: our reader gives back the input", n);
	free(back.buf);
	if (c.len > 10) {
		ok(run(&stage_unzstd, NULL, NULL, NULL, c.buf, c.len - 5, 3333,
		    &back, &err) == -1 && err.code == BK_ECORRUPT,
		    "zstd %zu bytes: truncated input is refused (%s)", n,
		    err.msg);
		free(back.buf);
	}
	free(c.buf);
	free(in);
}

static void
truncated_gzip(void)
{
	struct compress_cfg cfg = { 6, 2 };
	unsigned char *in = corpus(3 << 20);
	struct capture c, back;
	struct bk_err err;

	run(&stage_gzip, &cfg, NULL, NULL, in, 3 << 20, 65536, &c, &err);
	ok(run(&stage_gunzip, NULL, NULL, NULL, c.buf, c.len - 9, 65536, &back,
	    &err) == -1 && err.code == BK_ECORRUPT,
	    "gzip: a truncated file is refused (%s)", err.msg);
	free(back.buf);
	c.buf[c.len / 2] ^= 0x40;
	ok(run(&stage_gunzip, NULL, NULL, NULL, c.buf, c.len, 65536, &back,
	    &err) == -1 && err.code == BK_ECORRUPT,
	    "gzip: a flipped bit is refused (%s)", err.msg);
	free(back.buf);
	free(c.buf);
	free(in);
}

/* A stage failing mid-stream: first error wins, nothing is committed. */
static void
failing_stage(const char *dir)
{
	struct compress_cfg cfg = { 1, 2 };
	struct failer f = { 0, 2 << 20 };
	struct storage_config scfg = { 0 };
	struct storage_upload *up = NULL;
	struct upload_tee tee = { 0 };
	struct bk_err err, uerr;
	struct storage *st = NULL;
	struct pipeline *p;
	struct settings us, admin;
	unsigned char *in = corpus(8 << 20);
	char path[512];
	struct stat sb;
	size_t off;
	int rc = 0;

	settings_defaults(&us, SET_USER);
	settings_defaults(&admin, SET_ADMIN);
	settings_set(&admin, "ARCHIVE_ROOT", dir);
	settings_set(&us, "BACKUP_ARCHIVE", "/");
	scfg.user = &us;
	scfg.admin = &admin;
	scfg.user_name = "alice";
	storage_open(&st, "local", &scfg, &err);
	storage_begin(st, "doomed.tar.gz", &up, &err);
	memset(&uerr, 0, sizeof(uerr));
	tee.ups = &up;
	tee.errs = &uerr;
	tee.n = 1;
	p = pipeline_new();
	pipeline_add(p, &stage_failer, &f);
	pipeline_add(p, &stage_gzip, &cfg);
	pipeline_add(p, &stage_upload, &tee);
	pipeline_start(p, &err);
	for (off = 0; off < (8u << 20) && rc == 0; off += 65536)
		rc = pipeline_write(p, in + off, 65536, &err);
	if (rc == 0)
		rc = pipeline_finish(p, &err);
	else
		pipeline_finish(p, &err);
	ok(rc == -1 && strstr(err.msg, "test stage broke") != NULL,
	    "a stage failing mid-stream fails the pipeline with its own "
	    "error (%s)", err.msg);
	pipeline_free(p);
	storage_abort(up);
	snprintf(path, sizeof(path), "%s/doomed.tar.gz", dir);
	ok(stat(path, &sb) == -1, "nothing is left under the final name");
	snprintf(path, sizeof(path), "%s/.doomed.tar.gz.partial", dir);
	ok(stat(path, &sb) == -1, "nor under the temporary name");
	storage_close(st);
	settings_free(&us);
	settings_free(&admin);
	free(in);
}

int
main(void)
{
	char dir[] = "/tmp/pb-pipe.XXXXXX", cmd[256];
	static const size_t sizes[] = { 0, 1, COMPRESS_GZ_BLOCK,
	    COMPRESS_GZ_BLOCK + 1, 5 * COMPRESS_GZ_BLOCK / 2 + 17 };
	size_t i;

	if (mkdtemp(dir) == NULL)
		return 1;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		gzip_case(dir, sizes[i]);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		zstd_case(dir, sizes[i]);
	truncated_gzip();
	failing_stage(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
	return tap_done();
}
