/*
 * restore.c - restore and verify: storage download -> decrypt ->
 * decompress -> tar reader, streaming all the way.
 *
 * The pipeline is push-based, libarchive's reader pulls: the last stage
 * writes into a pipe and a reader thread runs libarchive on the other end
 * (bounded by the pipe, so memory stays flat).  Each layer names itself in
 * its errors ("age: ...", "gzip layer: ...", "tar layer: ..."), so a
 * corrupt backup says where it broke.
 *
 * Extraction refuses absolute names, ".." and paths through symlinks
 * (libarchive's SECURE flags) after stripping one leading "/" (archives of
 * the tool we replace have them), relative to DIR: the reader thread
 * fchdir()s into DIR, so restore is one per process (backupctl).
 *
 * Threads: the caller's (download, the producer), the pipeline's stages,
 * the reader.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "compress.h"
#include "config.h"
#include "crypt.h"
#include "err.h"
#include "path.h"
#include "pipeline.h"
#include "restore.h"
#include "settings.h"
#include "storage.h"
#include "tarw.h"
#include "xmalloc.h"

struct reader {
	int			 fd;		/* pipe read end */
	int			 dirfd;		/* -1: verify only */
	const struct restore_opts *opts;
	struct restore_result	*res;
	struct bk_err		 err;
	int			 failed;
};

struct producer {
	struct pipeline		*p;
	EVP_MD_CTX		*md;
	uint64_t		 bytes;
	uint64_t		 total;
	bool			 bar;
	time_t			 last;
};

/* The last stage: into the pipe. */
static int
pipe_write(struct stage *st, const void *data, size_t len, struct bk_err *err)
{
	int *fd = stage_arg(st);
	const char *c = data;
	ssize_t n;

	while (len > 0) {
		n = write(*fd, c, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return bk_err_sys(err, BK_ECORRUPT, "tar layer: the "
			    "reader stopped");
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
pipe_finish(struct stage *st, struct bk_err *err)
{
	int *fd = stage_arg(st);

	(void)err;
	close(*fd);
	*fd = -1;
	return 0;
}

static void
pipe_abort(struct stage *st)
{
	int *fd = stage_arg(st);

	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

static const struct stage_type stage_pipe = {
	.name = "tar-pipe",
	.write = pipe_write,
	.finish = pipe_finish,
	.abort = pipe_abort,
};

static bool
wanted(const struct restore_opts *o, const char *path)
{
	size_t i, n;

	if (o->nonly == 0)
		return true;
	for (i = 0; i < o->nonly; i++) {
		n = strlen(o->only[i]);
		while (n > 0 && o->only[i][n - 1] == '/')
			n--;
		if (strncmp(path, o->only[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

static void
note_dump(struct restore_result *res, const char *path)
{
	size_t n = strlen(path);

	if ((strncmp(path, "mysql/", 6) == 0 && n > 4 &&
	    strcmp(path + n - 4, ".sql") == 0) ||
	    (strncmp(path, "postgres/", 9) == 0 && n > 5 &&
	    strcmp(path + n - 5, ".dump") == 0) ||
	    (strncmp(path, "mssql/", 6) == 0 && n > 4 &&
	    strcmp(path + n - 4, ".bak") == 0)) {
		res->dumps = xreallocarray(res->dumps, res->ndumps + 1,
		    sizeof(*res->dumps));
		res->dumps[res->ndumps++] = xstrdup(path);
	}
}

static int
extract_entry(struct reader *r, struct archive *a, struct archive *disk,
    struct archive_entry *e)
{
	const char *path = archive_entry_pathname(e), *link;
	int rc;

	while (*path == '/')
		path++;
	if (*path == '\0' || !wanted(r->opts, path))
		return archive_read_data_skip(a) == ARCHIVE_OK ? 0 :
		    bk_err_set(&r->err, BK_ECORRUPT, "tar layer: %s",
		    archive_error_string(a));
	archive_entry_copy_pathname(e, path);
	if ((link = archive_entry_hardlink(e)) != NULL) {
		while (*link == '/')
			link++;
		archive_entry_copy_hardlink(e, link);
	}
	rc = archive_read_extract2(a, e, disk);
	if (rc < ARCHIVE_WARN)
		return bk_err_set(&r->err, archive_errno(a) == 0 ? BK_ECORRUPT :
		    BK_EIO, "restore refused or failed: %s: %s", path,
		    archive_error_string(a) != NULL ?
		    archive_error_string(a) : archive_error_string(disk));
	note_dump(r->res, path);
	return 0;
}

static int
verify_entry(struct reader *r, struct archive *a)
{
	char buf[65536];
	la_ssize_t n;

	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
		r->res->bytes += (uint64_t)n;
	if (n < 0)
		return bk_err_set(&r->err, BK_ECORRUPT, "tar layer: %s",
		    archive_error_string(a));
	return 0;
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct archive *a = archive_read_new(), *disk = NULL;
	struct archive_entry *e;
	char drain[65536];
	int rc;

	/* pax paths are UTF-8: read them in C.UTF-8 (this thread is the
	 * reader's own), or every non-ASCII name costs a warning. */
	uselocale(tarw_utf8_locale());
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, r->fd, 65536) != ARCHIVE_OK) {
		bk_err_set(&r->err, BK_ECORRUPT, "tar layer: %s",
		    archive_error_string(a));
		goto out;
	}
	if (r->dirfd != -1) {
		if (fchdir(r->dirfd) == -1) {
			bk_err_sys(&r->err, BK_EIO, "restore folder");
			goto out;
		}
		disk = archive_write_disk_new();
		archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_TIME |
		    ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
		    ARCHIVE_EXTRACT_UNLINK |
		    (geteuid() == 0 ? ARCHIVE_EXTRACT_OWNER : 0));
		archive_write_disk_set_standard_lookup(disk);
	}
	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	    rc == ARCHIVE_WARN) {
		r->res->members++;
		if (disk != NULL) {
			r->res->bytes += (uint64_t)archive_entry_size(e);
			if (extract_entry(r, a, disk, e) == -1)
				goto out;
		} else if (verify_entry(r, a) == -1)
			goto out;
	}
	if (rc != ARCHIVE_EOF) {
		bk_err_set(&r->err, BK_ECORRUPT, "tar layer: %s",
		    archive_error_string(a));
		goto out;
	}
	if (r->res->members == 0) {
		bk_err_set(&r->err, BK_ECORRUPT, "tar layer: no members");
		goto out;
	}
	goto done;
out:
	r->failed = 1;
done:
	/* Read what is left so the writer never blocks on a full pipe. */
	while (read(r->fd, drain, sizeof(drain)) > 0)
		;
	if (disk != NULL)
		archive_write_free(disk);
	archive_read_free(a);
	return NULL;
}

static void
progress(struct producer *pr, bool last)
{
	time_t now = time(NULL);
	int pct;

	if (!pr->bar || (!last && now == pr->last))
		return;
	pr->last = now;
	pct = pr->total > 0 ? (int)(pr->bytes * 100 / pr->total) : 100;
	fprintf(stderr, "\r[%-40.*s] %3d%% %llu/%llu bytes%s",
	    pct * 40 / 100, "########################################", pct,
	    (unsigned long long)pr->bytes, (unsigned long long)pr->total,
	    last ? "\n" : "");
}

static int
download_sink(const void *p, size_t n, void *arg, struct bk_err *err)
{
	struct producer *pr = arg;

	EVP_DigestUpdate(pr->md, p, n);
	pr->bytes += n;
	progress(pr, false);
	return pipeline_write(pr->p, p, n, err);
}

static const struct stage_type *
decompressor(const char *name)
{
	if (strstr(name, ".tar.gz") != NULL || strstr(name, ".tgz") != NULL)
		return &stage_gunzip;
	if (strstr(name, ".tar.zst") != NULL)
		return &stage_unzstd;
	return NULL;
}

static void
manifest_path(const struct settings *admin, const char *user,
    const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/manifests/%s/%s.json",
	    settings_get(admin, "STATE_DIR"), user, name);
}

void
restore_manifest_write(const struct settings *admin, const char *user,
    const char *name, uint64_t size, const char *sha256)
{
	char path[4096], dir[4096], tmp[4200];
	struct bk_err err;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/manifests/%s",
	    settings_get(admin, "STATE_DIR"), user);
	if (path_mkdirs(dir, 0700, &err) == -1)
		return;
	manifest_path(admin, user, name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "we")) == NULL)
		return;
	fprintf(f, "{\"name\":\"%s\",\"size\":%llu,\"sha256\":\"%s\","
	    "\"created\":%lld}\n", name, (unsigned long long)size, sha256,
	    (long long)time(NULL));
	if (fclose(f) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

/* Compare with the job's record, when there is one. */
static int
manifest_check(const struct settings *admin, const struct restore_opts *o,
    struct restore_result *res, struct bk_err *err)
{
	char path[4096], line[1024], want[65] = "";
	unsigned long long size = 0;
	const char *p;
	FILE *f;

	manifest_path(admin, o->user, o->name, path, sizeof(path));
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) != NULL) {
		if ((p = strstr(line, "\"size\":")) != NULL)
			size = strtoull(p + 7, NULL, 10);
		if ((p = strstr(line, "\"sha256\":\"")) != NULL)
			snprintf(want, sizeof(want), "%.64s", p + 10);
	}
	fclose(f);
	if (size != res->stored || strcmp(want, res->sha256) != 0)
		return bk_err_set(err, BK_ECORRUPT, "stored object: %llu "
		    "bytes with SHA-256 %.12s..., but the backup job wrote "
		    "%llu bytes with SHA-256 %.12s...",
		    (unsigned long long)res->stored, res->sha256, size, want);
	res->manifest_checked = true;
	return 0;
}

static int
open_target(const char *dir, struct bk_err *err)
{
	int fd;

	if (path_mkdirs(dir, 0700, err) == -1)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		bk_err_sys(err, BK_EIO, "%s", dir);
	return fd;
}

static int
run_stream(struct storage *st, const struct catalog_entry *ce,
    struct crypt_keys *keys, const struct restore_opts *o,
    struct restore_result *res, int dirfd, struct bk_err *err)
{
	struct reader r = { .fd = -1, .dirfd = dirfd, .opts = o, .res = res };
	struct producer pr = { 0 };
	const struct stage_type *dec;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	pthread_t thr;
	int fds[2] = { -1, -1 }, wfd, rc = -1;
	bool started = false;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return bk_err_sys(err, BK_EIO, "pipe");
	r.fd = fds[0];
	wfd = fds[1];
	pr.p = pipeline_new();
	pr.md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(pr.md, EVP_sha256(), NULL);
	pr.total = ce->size;
	pr.bar = o->progress && isatty(STDERR_FILENO);
	if (crypt_scheme_of_name(o->name) != CRYPT_NONE)
		pipeline_add(pr.p, &stage_decrypt, keys);
	if ((dec = decompressor(o->name)) != NULL)
		pipeline_add(pr.p, dec, NULL);
	pipeline_add(pr.p, &stage_pipe, &wfd);
	if (pthread_create(&thr, NULL, reader_main, &r) != 0) {
		bk_err_set(err, BK_EIO, "cannot start the tar reader");
		goto out;
	}
	started = true;
	if (pipeline_start(pr.p, err) == -1)
		goto out;
	if (storage_download(st, o->name, download_sink, &pr, err) == -1) {
		if (!pipeline_failed(pr.p))
			bk_err_prefix(err, "download");
		pipeline_abort(pr.p, err);
		(void)pipeline_finish(pr.p, err);
		goto out;
	}
	progress(&pr, true);
	if (pipeline_finish(pr.p, err) == -1)
		goto out;
	rc = 0;
out:
	if (wfd != -1)
		close(wfd);	/* the reader sees the end */
	if (started)
		pthread_join(thr, NULL);
	/*
	 * The reader drains the pipe even after it failed, so every layer
	 * above it sees all the data: a layer's own check (age's tag,
	 * gzip's CRC, zstd's checksum) names the damage better than the
	 * tar reader choking on garbage, and wins when it fired.
	 */
	if (r.failed && rc == 0) {
		*err = r.err;
		rc = -1;
	}
	EVP_DigestFinal_ex(pr.md, md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(res->sha256 + 2 * i, 3, "%02x", md[i]);
	res->stored = pr.bytes;
	EVP_MD_CTX_free(pr.md);
	pipeline_free(pr.p);
	close(fds[0]);
	return rc;
}

int
restore_run(const struct settings *admin, const struct restore_opts *o,
    struct restore_result *res, struct bk_err *err)
{
	const struct catalog_entry *ce;
	struct crypt_keys *keys = NULL;
	struct storage *st = NULL;
	struct catalog cat = { 0 };
	struct settings us;
	bool us_loaded = false;
	int dirfd = -1, rc = -1;

	memset(res, 0, sizeof(*res));
	if (config_load_user(admin, o->user, o->env_file, &us, NULL, err) ==
	    -1)
		goto out;
	us_loaded = true;
	if (catalog_load(admin, &us, o->user, &cat, err) == -1 ||
	    catalog_open(admin, &us, o->user, &cat, o->name, &st, &ce, err) ==
	    -1)
		goto out;
	res->location = xstrdup(ce->location);
	if (crypt_scheme_of_name(o->name) != CRYPT_NONE &&
	    (keys = crypt_keys_new(&us, o->identity_file, o->passphrase_file,
	    err)) == NULL)
		goto out;
	if (o->to_dir != NULL && (dirfd = open_target(o->to_dir, err)) == -1)
		goto out;
	if (run_stream(st, ce, keys, o, res, dirfd, err) == -1)
		goto out;
	/* A restore too: a plain tar has no layer of its own to notice. */
	if (manifest_check(admin, o, res, err) == -1) {
		if (o->to_dir != NULL)
			bk_err_prefix(err, "the files restored into %s may be "
			    "damaged", o->to_dir);
		goto out;
	}
	rc = 0;
out:
	if (dirfd != -1)
		close(dirfd);
	crypt_keys_free(keys);
	storage_close(st);
	catalog_free(&cat);
	if (us_loaded)
		settings_free(&us);
	return rc;
}

void
restore_result_free(struct restore_result *res)
{
	size_t i;

	for (i = 0; i < res->ndumps; i++)
		free(res->dumps[i]);
	free(res->dumps);
	free(res->location);
	memset(res, 0, sizeof(*res));
}
