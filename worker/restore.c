/*
 * restore.c - restore and verify: storage download -> decrypt ->
 * decompress -> tar stream, streaming all the way.
 *
 * The pipeline is push-based: its last stage writes the plain tar stream
 * into a pipe to the extraction process (privsep/extract.c), which has
 * become the user before it parses a byte of it, and extracts into DIR
 * (or, for verify, only reads it through).  So a hostile archive is
 * parsed, and its members created, with the user's reach only; download,
 * keys and decryption stay here.  The pipe bounds memory.  Each layer
 * names itself in its errors ("age: ...", "gzip layer: ...", "tar layer:
 * ..."), so a corrupt backup says where it broke.
 *
 * --only of an archive with a tail index goes by ranged reads instead
 * (restore_seek.c, one call in restore_run, before the whole download);
 * it falls back here when it cannot.
 *
 * Threads: the caller's (download, the producer) and the pipeline's
 * stages; the extraction process is forked before the stages start.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "catalog.h"
#include "compress.h"
#include "config.h"
#include "crypt.h"
#include "err.h"
#include "extract.h"
#include "path.h"
#include "pipeline.h"
#include "restore.h"
#include "restore_seek.h"
#include "settings.h"
#include "storage.h"
#include "tarw.h"
#include "xmalloc.h"
#include "userfile.h"

struct producer {
	struct pipeline		*p;
	struct extract		*x;
	EVP_MD_CTX		*md;
	uint64_t		 bytes;
	uint64_t		 total;
	restore_tick_fn		*tick;
	void			*tick_arg;
	time_t			 last;
};

/* The last stage: into the extraction process. */
static int
pipe_write(struct stage *st, const void *data, size_t len, struct bk_err *err)
{
	return extract_write(stage_arg(st), data, len, err);
}

static int
pipe_finish(struct stage *st, struct bk_err *err)
{
	(void)err;
	extract_close_input(stage_arg(st));
	return 0;
}

static void
pipe_abort(struct stage *st)
{
	extract_close_input(stage_arg(st));
}

static const struct stage_type stage_pipe = {
	.name = "tar-pipe",
	.write = pipe_write,
	.finish = pipe_finish,
	.abort = pipe_abort,
};

/* Database dumps, for the commands that load them (backupctl). */
static bool
is_dump(const char *path)
{
	size_t n = strlen(path);

	return (strncmp(path, "mysql/", 6) == 0 && n > 4 &&
	    strcmp(path + n - 4, ".sql") == 0) ||
	    (strncmp(path, "postgres/", 9) == 0 && n > 5 &&
	    strcmp(path + n - 5, ".dump") == 0) ||
	    (strncmp(path, "mssql/", 6) == 0 && n > 4 &&
	    strcmp(path + n - 4, ".bak") == 0);
}

static void
progress(struct producer *pr, bool last)
{
	time_t now = time(NULL);

	if (pr->tick == NULL || (!last && now == pr->last))
		return;
	pr->last = now;
	pr->tick(pr->bytes, pr->total, pr->tick_arg);
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

/* Compare one archive (stored bytes, sha256) with the job's record, when
 * there is one: 1 matched, 0 no record, -1 with err. */
static int
manifest_check(const struct settings *admin, const char *user,
    const char *name, uint64_t stored, const char *sha256,
    struct bk_err *err)
{
	char path[4096], line[1024], want[65] = "";
	unsigned long long size = 0;
	const char *p;
	FILE *f;

	manifest_path(admin, user, name, path, sizeof(path));
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) != NULL) {
		if ((p = strstr(line, "\"size\":")) != NULL)
			size = strtoull(p + 7, NULL, 10);
		if ((p = strstr(line, "\"sha256\":\"")) != NULL)
			snprintf(want, sizeof(want), "%.64s", p + 10);
	}
	fclose(f);
	if (size != stored || strcmp(want, sha256) != 0)
		return bk_err_set(err, BK_ECORRUPT, "stored object %s: %llu "
		    "bytes with SHA-256 %.12s..., but the backup job wrote "
		    "%llu bytes with SHA-256 %.12s...", name,
		    (unsigned long long)stored, sha256, size, want);
	return 1;
}

/* DIR as an absolute path: the extraction process starts from "/". */
static char *
absolute_dir(const char *dir, struct bk_err *err)
{
	char cwd[4096], *abs;

	if (*dir == '/')
		return xstrdup(dir);
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		bk_err_sys(err, BK_EIO, "--to %s: the current folder", dir);
		return NULL;
	}
	xasprintf(&abs, "%s/%s", cwd, dir);
	return abs;
}

/*
 * One archive through the layers into the extraction process's current
 * input, which is closed at the end.  pr carries the progress over a
 * chain; sha256 is this archive's.
 */
static int
run_stream(struct storage *st, const char *name, struct crypt_keys *keys,
    struct producer *pr, char sha256[65], struct bk_err *err)
{
	const struct stage_type *dec;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	int rc = -1;

	pr->p = pipeline_new();
	EVP_DigestInit_ex(pr->md, EVP_sha256(), NULL);
	if (crypt_scheme_of_name(name) != CRYPT_NONE)
		pipeline_add(pr->p, &stage_decrypt, keys);
	if ((dec = decompressor(name)) != NULL)
		pipeline_add(pr->p, dec, NULL);
	pipeline_add(pr->p, &stage_pipe, pr->x);
	if (pipeline_start(pr->p, err) == -1)
		goto out;
	if (storage_download(st, name, download_sink, pr, err) == -1) {
		if (!pipeline_failed(pr->p))
			bk_err_prefix(err, "download");
		pipeline_abort(pr->p, err);
		(void)pipeline_finish(pr->p, err);
		goto out;
	}
	progress(pr, true);
	if (pipeline_finish(pr->p, err) == -1)
		goto out;
	rc = 0;
out:
	extract_close_input(pr->x);
	EVP_DigestFinal_ex(pr->md, md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(sha256 + 2 * i, 3, "%02x", md[i]);
	pipeline_free(pr->p);
	pr->p = NULL;
	return rc;
}

/*
 * Is archive i of the chain v what its own .panel-backup/chain says it
 * is?  A chain whose full was overwritten by a newer one of the same name
 * mixes two chains: applying it would restore a tree that never was.
 */
static int
chain_meta_check(const char *meta, const struct catalog_entry *const *v,
    size_t i, char **id, struct bk_err *err)
{
	json_t *j = meta != NULL ? json_loads(meta, 0, NULL) : NULL;
	const char *chain = json_string_value(json_object_get(j, "chain"));
	const char *prev = json_string_value(json_object_get(j, "prev"));
	const char *cid = json_string_value(json_object_get(j, "id"));
	json_t *seq = json_object_get(j, "seq");
	bool ok;

	ok = chain != NULL && strcmp(chain, v[0]->name) == 0 &&
	    json_is_integer(seq) && json_integer_value(seq) == (json_int_t)i &&
	    (i == 0 ? prev == NULL : prev != NULL &&
	    strcmp(prev, v[i - 1]->name) == 0) && cid != NULL &&
	    (i == 0 || (*id != NULL && strcmp(cid, *id) == 0));
	if (ok && i == 0)
		*id = xstrdup(cid);
	json_decref(j);
	if (ok)
		return 0;
	return bk_err_set(err, BK_ECORRUPT, "%s: %s; the chain is broken "
	    "(restore an older point of it, or a full backup)", v[i]->name,
	    meta == NULL ? "it has no .panel-backup/chain record" : "its "
	    ".panel-backup/chain record says it is not the next archive of "
	    "this chain (a newer backup of the same name replaced part of "
	    "it)");
}

struct seek_check {
	const struct catalog_entry *const *v;
	char		*id;
};

static int
seek_check(const char *meta, size_t i, void *arg, struct bk_err *err)
{
	struct seek_check *sc = arg;

	return chain_meta_check(meta, sc->v, i, &sc->id, err);
}

/*
 * Every archive of the chain into one extraction process, full first.
 * A layer's own error (age's tag, gzip's CRC, zstd's checksum) names the
 * damage better than the tar reader choking on garbage, and wins when it
 * fired: the extraction process drains its input even after it failed.
 */
static int
run_chain(const struct settings *admin, const struct restore_opts *o,
    struct storage *st, const struct catalog_entry *const *v, size_t n,
    struct crypt_keys *keys, struct extract *x, struct restore_result *res,
    struct bk_err *err)
{
	struct producer pr = { .x = x, .tick = o->tick,
	    .tick_arg = o->tick_arg, .last = time(NULL) };
	struct bk_err xerr;
	char *meta = NULL, *chain_id = NULL;
	size_t i, checked = 0;
	bool last, finished = false;
	int rc = -1, xrc, m;

	for (i = 0; i < n; i++)
		pr.total += v[i]->size;
	pr.md = EVP_MD_CTX_new();
	for (i = 0; i < n; i++) {
		last = i + 1 == n;
		rc = run_stream(st, v[i]->name, keys, &pr, res->sha256, err);
		if (rc == -1 && !last)
			bk_err_prefix(err, "%s", v[i]->name);
		/* The child's verdict on it; the last one's (or, after a
		 * failure, the child's result) comes with the result. */
		xrc = last || rc == -1 ? extract_finish(x, &res->ex, &xerr) :
		    extract_next(x, &meta, &xerr);
		finished = last || rc == -1;
		if (xrc == -1 && rc == 0) {
			*err = xerr;
			if (!last)
				bk_err_prefix(err, "%s", v[i]->name);
			rc = -1;
		}
		if (rc == 0 && n > 1)
			rc = chain_meta_check(last ? res->ex.meta : meta, v, i,
			    &chain_id, err);
		free(meta);
		meta = NULL;
		if (rc == 0 && (m = manifest_check(admin, o->user, v[i]->name,
		    pr.bytes - res->stored, res->sha256, err)) == -1) {
			/* A plain tar has no layer of its own to notice. */
			if (o->to_dir != NULL)
				bk_err_prefix(err, "the files restored into %s "
				    "may be damaged", o->to_dir);
			rc = -1;
		} else if (rc == 0)
			checked += (size_t)m;
		res->stored = pr.bytes;
		if (rc == -1)
			break;
	}
	if (!finished)
		(void)extract_finish(x, &res->ex, &xerr);
	free(chain_id);
	res->archives = (unsigned int)(i < n ? i + 1 : n);
	res->manifest_checked = rc == 0 && checked == n;
	EVP_MD_CTX_free(pr.md);
	return rc;
}

/* --only PATH that matched nothing fails, naming each such PATH. */
static int
only_check(const struct restore_opts *o, const struct restore_result *res,
    struct bk_err *err)
{
	char list[300] = "";
	size_t i, n = 0;

	for (i = 0; i < o->nonly; i++) {
		if (res->ex.only_hits[i] > 0)
			continue;
		if (n++ < 4)
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), "%s%s", n > 1 ? ", " : "",
			    o->only[i]);
	}
	if (n == 0)
		return 0;
	return bk_err_set(err, BK_ENOENT, "--only %s%s matched nothing in "
	    "%s (restored %llu files, %llu folders, %llu links)", list,
	    n > 4 ? ", ..." : "", o->name,
	    (unsigned long long)res->ex.files,
	    (unsigned long long)res->ex.dirs,
	    (unsigned long long)res->ex.links);
}

int
restore_run(const struct settings *admin, const struct restore_opts *o,
    struct restore_result *res, struct bk_err *err)
{
	const struct catalog_entry *ce, **chain = NULL;
	struct seek_check sc = { 0 };
	struct crypt_keys *keys = NULL;
	struct storage *st = NULL;
	struct catalog cat = { 0 };
	struct extract_opts xo = { .only = o->only, .nonly = o->nonly,
	    .overwrite = o->overwrite, .keep = is_dump };
	struct extract *x = NULL;
	struct account acct;
	struct settings us;
	bool us_loaded = false, crypted = false;
	char *dir = NULL;
	size_t i, n = 0;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (userfile_load_settings(admin, o->user, o->env_file,
	    NULL, &us, NULL, err) == -1)
		goto out;
	us_loaded = true;
	if (account_lookup(admin, o->user, &acct, err) == -1)
		goto out;
	/* An incremental is restored as the state at its time: its chain,
	 * full first, from the destination that holds it. */
	if (catalog_load(admin, &us, o->user, &cat, err) == -1 ||
	    catalog_chain(&cat, o->name, &chain, &n, err) == -1 ||
	    catalog_open(admin, &us, o->user, &cat, o->name, &st, &ce, err) ==
	    -1)
		goto out;
	res->location = xstrdup(ce->location);
	for (i = 0; i < n; i++)
		crypted |= crypt_scheme_of_name(chain[i]->name) != CRYPT_NONE;
	if (crypted && (keys = crypt_keys_new(&us, o->identity_file,
	    o->passphrase_file, err)) == NULL)
		goto out;
	if (o->to_dir != NULL && (dir = absolute_dir(o->to_dir, err)) == NULL)
		goto out;
	xo.dir = dir;
	xo.chain = n > 1;
	xo.nstreams = (unsigned int)n;
	sc.v = chain;
	/* Before the pipeline's threads: the child starts from few. */
	if ((x = extract_start(&acct, &xo, err)) == NULL)
		goto out;
	/* --only by ranges when the archives have an index
	 * (restore_seek.c); 1: it did nothing, read the whole backup. */
	rc = restore_seek(st, chain, n, keys, o, seek_check, &sc, res, x, err);
	free(sc.id);
	if (rc != 1) {
		x = NULL;	/* restore_seek finished it */
		if (rc == 0)
			rc = only_check(o, res, err);
		goto out;
	}
	rc = run_chain(admin, o, st, chain, n, keys, x, res, err);
	x = NULL;	/* run_chain finished it */
	if (rc == -1)
		goto out;
	rc = only_check(o, res, err);
out:
	extract_free(x);
	free(chain);
	free(dir);
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
	extract_result_free(&res->ex);
	free(res->location);
	free(res->note);
	memset(res, 0, sizeof(*res));
}
