/*
 * job_restore.c - restore and verify as queued jobs (`backupctl enqueue
 * USER --restore NAME [--only PATH]... [--to DIR]`, `--verify NAME`).
 *
 * Runs in the job's child process (worker_child.c) and only calls
 * restore_run (restore.h), which does the download, decryption and
 * extraction with the user's privileges; this file decides where a
 * restore goes.  Invariants: the target is always beside the user's
 * Files source (its parent folder), never outside it; a restore never
 * writes into a folder that already holds anything, so nothing is
 * overwritten unless the user names an empty folder on purpose.
 *
 * Single-threaded (restore_run starts its own stage threads).
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "err.h"
#include "job_restore.h"
#include "path.h"
#include "restore.h"
#include "settings.h"
#include "storage.h"
#include "xmalloc.h"

#define MAX_ONLY	256

/* The folder holding the user's Files source: every restore goes in it. */
static char *
files_parent(const struct settings *admin, const char *user, char **files)
{
	const char *t = settings_get(admin, "SOURCE_FILES");
	char *f = path_template(t != NULL ? t : "/home/{user}/files", user);
	char *tmp = xstrdup(f), *par = xstrdup(dirname(tmp));

	free(tmp);
	*files = f;
	return par;
}

/* 1 when dir does not exist or is an empty folder, 0 when it holds
 * something (or is not a folder). */
static int
free_dir(const char *dir)
{
	struct dirent *d;
	DIR *dp;
	int n = 0;

	if ((dp = opendir(dir)) == NULL)
		return errno == ENOENT;
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n == 0;
}

char *
job_restore_default_dir(const struct settings *admin, const char *user,
    const char *name, struct bk_err *err)
{
	char *files, *par = files_parent(admin, user, &files), *dir = NULL;
	char *base = xstrdup(name), *dot;
	int i;

	/* backup-2026-12-02T10-00-00.tar.zst -> backup-2026-12-02T10-00-00 */
	if ((dot = strstr(base, ".tar")) != NULL)
		*dot = '\0';
	for (i = 1; i <= 100; i++) {
		free(dir);
		if (i == 1)
			xasprintf(&dir, "%s-restore-%s", files, base);
		else
			xasprintf(&dir, "%s-restore-%s-%d", files, base, i);
		if (access(dir, F_OK) != 0)
			break;
	}
	if (i > 100) {
		bk_err_set(err, BK_EEXIST, "no free folder for the restore "
		    "beside %s", files);
		free(dir);
		dir = NULL;
	}
	free(base);
	free(files);
	free(par);
	return dir;
}

/* Does dir (existing or not) stay inside par once symlinks are resolved?
 * The deepest existing ancestor decides: a user's symlink in their home
 * must not send a restore elsewhere. */
static bool
stays_inside(const char *par, const char *dir)
{
	char *probe = xstrdup(dir), *rp = NULL, *rpar = realpath(par, NULL);
	char *slash;
	bool in = false;
	size_t n;

	while ((rp = realpath(probe, NULL)) == NULL &&
	    (slash = strrchr(probe, '/')) != NULL && slash != probe)
		*slash = '\0';
	if (rp != NULL && rpar != NULL) {
		n = strlen(rpar);
		in = strncmp(rp, rpar, n) == 0 && (rp[n] == '/' ||
		    rp[n] == '\0');
	}
	free(probe);
	free(rp);
	free(rpar);
	return in;
}

/* The target of a restore: the default, or to inside the Files source's
 * parent ("restores/x" or an absolute path below it), never climbing
 * out and never a folder that holds anything. */
static char *
target_dir(const struct settings *admin, const char *user,
    const struct job_task *t, struct bk_err *err)
{
	char *files, *par, *dir;
	size_t n;

	if (t->to == NULL || *t->to == '\0')
		return job_restore_default_dir(admin, user, t->target, err);
	par = files_parent(admin, user, &files);
	free(files);
	n = strlen(par);
	if (strstr(t->to, "..") != NULL || (*t->to == '/' &&
	    (strncmp(t->to, par, n) != 0 || t->to[n] != '/'))) {
		bk_err_set(err, BK_ECONFIG, "restore target %s: must be a "
		    "folder inside %s", t->to, par);
		free(par);
		return NULL;
	}
	if (*t->to == '/')
		dir = xstrdup(t->to);
	else
		xasprintf(&dir, "%s/%s", par, t->to);
	if (!stays_inside(par, dir)) {
		bk_err_set(err, BK_ECONFIG, "restore target %s: leads outside "
		    "%s", t->to, par);
		free(par);
		free(dir);
		return NULL;
	}
	free(par);
	if (!free_dir(dir)) {
		bk_err_set(err, BK_EEXIST, "restore target %s is not empty: a "
		    "restore never overwrites; name a new folder", dir);
		free(dir);
		return NULL;
	}
	return dir;
}

int
job_restore_run(const struct settings *admin, const char *user,
    const struct job_task *t, restore_tick_fn *tick, void *tick_arg,
    char **result_json, struct bk_err *err)
{
	struct restore_opts o;
	struct restore_result res;
	char *only[MAX_ONLY], *dir = NULL;
	json_t *arr = NULL, *out;
	size_t i, n = 0;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	*result_json = NULL;
	o.user = user;
	o.name = t->target;
	o.tick = tick;
	o.tick_arg = tick_arg;
	/* A backup is one object directly in its destination folder: a name
	 * with '/' or ".." is a tenant's key, and would make root probe
	 * paths of its choosing when the default target is built from it. */
	if (t->target == NULL || !storage_name_ok(t->target)) {
		bk_err_set(err, BK_ECONFIG, "not a backup name: %s",
		    t->target != NULL ? t->target : "");
		err->retryable = false;
		goto out;
	}
	if (strcmp(t->kind, "restore") == 0) {
		if (t->only != NULL && *t->only != '\0') {
			arr = json_loads(t->only, 0, NULL);
			for (i = 0; i < json_array_size(arr) && n < MAX_ONLY;
			    i++)
				if (json_is_string(json_array_get(arr, i)))
					only[n++] = (char *)json_string_value(
					    json_array_get(arr, i));
			o.only = only;
			o.nonly = n;
		}
		if ((dir = target_dir(admin, user, t, err)) == NULL)
			goto out;
		o.to_dir = dir;
	} else if (strcmp(t->kind, "verify") != 0) {
		bk_err_set(err, BK_ECONFIG, "unknown job kind %s", t->kind);
		goto out;
	}
	if (restore_run(admin, &o, &res, err) == -1)
		goto out;
	/* An entry the user's reach refused is a restore that is not whole:
	 * the job fails, naming the count and the first entry. */
	if (res.ex.skipped + res.ex.refused > 0) {
		bk_err_set(err, BK_EFAIL, "restored with %llu skipped "
		    "(%llu skipped, %llu refused)%s%s",
		    (unsigned long long)(res.ex.skipped + res.ex.refused),
		    (unsigned long long)res.ex.skipped,
		    (unsigned long long)res.ex.refused,
		    res.ex.nnotes > 0 ? ": " : "",
		    res.ex.nnotes > 0 ? res.ex.notes[0] : "");
		err->retryable = false;
		goto out;
	}
	out = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "kind", t->kind,
	    "name", t->target, "members", (json_int_t)res.ex.members, "files",
	    (json_int_t)res.ex.files, "changed", (json_int_t)res.ex.changed,
	    "bytes", (json_int_t)res.ex.bytes, "stored",
	    (json_int_t)res.stored);
	json_object_set_new(out, "to", dir != NULL ? json_string(dir) :
	    json_null());
	json_object_set_new(out, "location", res.location != NULL ?
	    json_string(res.location) : json_null());
	json_object_set_new(out, "manifest_checked",
	    json_boolean(res.manifest_checked));
	/* An incremental's chain: how many archives it took, what the later
	 * ones deleted. */
	json_object_set_new(out, "archives", json_integer(res.archives));
	json_object_set_new(out, "removed", json_integer(
	    (json_int_t)res.ex.removed));
	json_object_set_new(out, "ranged", json_boolean(res.seeked));
	if (res.note != NULL)
		json_object_set_new(out, "note", json_string(res.note));
	*result_json = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	rc = 0;
out:
	restore_result_free(&res);
	json_decref(arr);
	free(dir);
	return rc;
}
