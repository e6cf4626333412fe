/*
 * job.c - one backup of one user, end to end (see job.h).
 *
 * Order: settings -> checks -> name -> destinations opened and their
 * leftovers cleaned -> uploads begun -> pipeline (compress, encrypt, tee)
 * -> sources archived -> pipeline finished -> uploads committed -> pruned.
 * Nothing becomes visible at a destination before the whole stream went
 * through every stage without error; on any failure every upload is
 * aborted, so a failed attempt leaves nothing under a backup's name.
 *
 * Limits (admin): JOB_TIMEOUT stops a job that runs too long (deadline.c
 * kills its source reader and dump tools; the stream fails and every
 * upload is aborted), MAX_BACKUP_SIZE caps the tar stream (tarw.c).  Both
 * fail the job for good: a retry would hit the same limit again, holding
 * a worker slot as long; the next scheduled run tries afresh.
 *
 * Threads: the caller's thread is the producer (tar writer); pipeline
 * stages run on their own; the deadline watcher.  A job may set TZ for the process (the user's
 * zone for file names): jobs run one per process (the worker forks a child
 * per job; backupctl run is one job).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compress.h"
#include "config.h"
#include "crypt.h"
#include "deadline.h"
#include "err.h"
#include "exclude.h"
#include "job.h"
#include "job_chain.h"
#include "job_check.h"
#include "log.h"
#include "names.h"
#include "pipeline.h"
#include "privsep.h"
#include "prune.h"
#include "restore.h"
#include "settings.h"
#include "sources.h"
#include "storage.h"
#include "tarw.h"
#include "upload.h"
#include "xmalloc.h"
#include "userfile.h"
#include "yield.h"

#define MAX_DESTS	8

struct job {
	const struct job_spec	*spec;
	struct job_result	*res;
	struct settings		 us;
	bool			 us_loaded;
	char			*files_root;
	char			*tmpl;
	const char		*name_ext;	/* tar.gz, tar.zst, tar */
	char			*name_suffix;	/* .gpg, .age or "" */
	struct exclude		*ex;
	struct privsep		*ps;		/* reads path sources */
	struct storage		*st[MAX_DESTS];
	struct storage_upload	*up[MAX_DESTS];
	struct bk_err		 errs[MAX_DESTS];
	size_t			 n;
	struct pipeline		*p;
	struct compress_cfg	 ccfg;
	const struct stage_type	*crypt_type;
	void			*crypt_arg;
	struct upload_tee	 tee;
	struct timespec		 t0;
	struct deadline		*dl;
	volatile int		 stop;		/* cancel or JOB_TIMEOUT */
	unsigned int		 cfg_warnings;	/* settings worked around */
	struct job_chain	 ch;		/* BACKUP_INCREMENTAL */
};

const char *
job_phase_name(enum job_phase ph)
{
	switch (ph) {
	case PHASE_PREPARE:
		return "prepare";
	case PHASE_ARCHIVE:
		return "archive";
	case PHASE_PRUNE:
		return "prune";
	case PHASE_DONE:
		break;
	}
	return "done";
}

static void
report(struct job *j, enum job_phase ph, const struct tarw_stats *ts)
{
	struct job_progress pr = { .phase = ph };

	if (j->spec->progress == NULL)
		return;
	if (ts != NULL) {
		pr.bytes_in = ts->bytes;
		pr.files = ts->files;
	}
	if (j->p != NULL)
		pr.bytes_out = pipeline_bytes_out(j->p);
	j->spec->progress(&pr, j->spec->progress_arg);
}

static void
tick(const struct tarw_stats *ts, void *arg)
{
	report(arg, PHASE_ARCHIVE, ts);
}

static void
job_note(struct job_result *res, const char *setting, const char *msg)
{
	res->notes = xreallocarray(res->notes, res->nnotes + 1,
	    sizeof(*res->notes));
	if (setting != NULL && *setting != '\0' && strncmp(msg, setting,
	    strlen(setting)) != 0)
		xasprintf(&res->notes[res->nnotes++], "%s: %s", setting, msg);
	else
		res->notes[res->nnotes++] = xstrdup(msg);
}

/* Settings, checks, the name: everything that can fail before I/O. */
static int
job_prepare(struct job *j, struct bk_err *err)
{
	const struct settings *admin = j->spec->admin;
	const char *tz, *comp, *suffix = "";
	struct diag diag;
	char *base = NULL, *full = NULL, *ext = NULL;
	size_t i;
	int rc = -1;

	diag_init(&diag);
	if (userfile_load_settings(admin, j->spec->user, j->spec->env_file,
	    NULL, &j->us, &diag, err) == -1)
		goto out;
	j->us_loaded = true;
	job_check_settings(admin, &j->us, j->spec->user, &diag);
	for (i = 0; i < diag.n; i++)
		if (diag.v[i].level == DIAG_WARN) {
			log_kv(LOG_WARN, diag.v[i].msg, "setting",
			    diag.v[i].setting, (char *)NULL);
			j->cfg_warnings++;
			job_note(j->res, diag.v[i].setting, diag.v[i].msg);
		}
	if (diag_to_err(&diag, err) == -1)
		goto out;
	yield_job_user(&j->us);
	if ((tz = settings_get(&j->us, "TZ")) != NULL ||
	    (tz = settings_get(admin, "TZ")) != NULL) {
		setenv("TZ", tz, 1);
		tzset();
	}
	comp = settings_get(&j->us, "BACKUP_COMPRESSION");
	j->tmpl = xstrdup(names_template(admin, &j->us));
	if ((base = names_render(j->tmpl, names_extension(comp),
	    j->spec->start, NULL, err)) == NULL)
		goto out;
	if (crypt_stage_for(&j->us, &j->crypt_type, &j->crypt_arg, &suffix,
	    err) == -1)
		goto out;
	j->name_ext = names_extension(comp);
	j->name_suffix = xstrdup(suffix);
	xasprintf(&full, "%s%s", base, suffix);
	xasprintf(&ext, "%s%s", names_extension(comp), suffix);
	job_chain_prepare(&j->ch, admin, &j->us, j->spec->user, full, ext,
	    j->spec->start);
	j->res->name = xstrdup(job_chain_name(&j->ch));
	if (settings_is_set(&j->us, "BACKUP_EXCLUDE_REGEXP") &&
	    (j->ex = exclude_new(settings_get(&j->us,
	    "BACKUP_EXCLUDE_REGEXP"), err)) == NULL)
		goto out;
	j->ccfg.threads = compress_threads(settings_int(&j->us,
	    "GZIP_PARALLELISM"));
	if (strcmp(comp, "zst") == 0) {
		j->ccfg.level = (int)settings_int(&j->us, "ZSTD_LEVEL");
		if (!settings_is_set(&j->us, "ZSTD_LEVEL"))
			j->ccfg.level = (int)settings_int(admin, "ZSTD_LEVEL");
		j->ccfg.threads = compress_threads(0);
	} else {
		j->ccfg.level = (int)settings_int(&j->us, "GZIP_LEVEL");
		if (!settings_is_set(&j->us, "GZIP_LEVEL"))
			j->ccfg.level = (int)settings_int(admin, "GZIP_LEVEL");
	}
	j->files_root = config_source_path(admin, "SOURCE_FILES",
	    j->spec->user);
	rc = 0;
out:
	if (rc == -1 && err->code == BK_ECONFIG)
		err->retryable = false;
	diag_free(&diag);
	free(base);
	free(full);
	free(ext);
	return rc;
}

/* The BACKUP_FILENAME name at t, encryption suffix included: the name
 * of a full backup written at t (job_chain_check_dests asks again with a
 * later t while a destination holds that name). */
static char *
job_full_name(void *arg, time_t t)
{
	struct job *j = arg;
	struct bk_err e;
	char *base, *full;

	if ((base = names_render(j->tmpl, j->name_ext, t, NULL, &e)) == NULL)
		return NULL;
	xasprintf(&full, "%s%s", base, j->name_suffix);
	free(base);
	return full;
}

/* Open every destination and begin its upload.  One that cannot be
 * opened is recorded and skipped; it is an error only if none is left. */
static int
job_open_dests(struct job *j, struct bk_err *err)
{
	const char *names[MAX_DESTS];
	struct storage_config cfg = {
		.user = &j->us,
		.admin = j->spec->admin,
		.user_name = j->spec->user,
		.files_root = j->files_root,
		.state_dir = settings_get(j->spec->admin, "STATE_DIR"),
	};
	size_t i, live = 0;
	bool was_full;

	j->n = storage_enabled(&j->us, names, MAX_DESTS);
	j->res->dests = xcalloc(j->n, sizeof(*j->res->dests));
	j->res->ndests = j->n;
	for (i = 0; i < j->n; i++) {
		j->res->dests[i].destination = xstrdup(names[i]);
		if (storage_open(&j->st[i], names[i], &cfg, &j->errs[i]) ==
		    -1)
			continue;
		j->res->dests[i].location = xstrdup(storage_location(j->st[i]));
		if (storage_cleanup(j->st[i], &j->errs[i]) == -1)
			j->errs[i].code = j->errs[i].code != BK_OK ?
			    j->errs[i].code : BK_EFAIL;
	}
	was_full = j->ch.plan.full;
	job_chain_check_dests(&j->ch, j->st, j->n, job_full_name, j,
	    j->spec->start);
	if (!was_full && j->ch.plan.full)
		/* An archive of the chain is gone: a full, read in full. */
		privsep_chain_full(j->ps);
	if (strcmp(job_chain_name(&j->ch), j->res->name) != 0) {
		free(j->res->name);
		j->res->name = xstrdup(job_chain_name(&j->ch));
	}
	j->res->kind = j->ch.plan.full ? "full" : "incremental";
	j->res->chain = xstrdup(j->ch.plan.chain);
	j->res->seq = j->ch.plan.seq;
	j->res->note = xstrdup(job_chain_note(&j->ch));
	for (i = 0; i < j->n; i++) {
		if (j->st[i] == NULL || j->errs[i].code != BK_OK ||
		    storage_begin(j->st[i], j->res->name, &j->up[i],
		    &j->errs[i]) == -1)
			continue;
		live++;
	}
	if (live == 0) {
		for (i = 0; i < j->n; i++)
			if (j->errs[i].code != BK_OK) {
				*err = j->errs[i];
				return -1;
			}
		return bk_err_set(err, BK_ECONFIG, "no destination is set");
	}
	return 0;
}

static int
job_stream(struct job *j, struct bk_err *err)
{
	const char *comp = settings_get(&j->us, "BACKUP_COMPRESSION");
	struct tarw *t = NULL;
	size_t i;
	int rc = -1;

	j->tee.ups = xcalloc(j->n, sizeof(*j->tee.ups));
	j->tee.errs = xcalloc(j->n, sizeof(*j->tee.errs));
	j->tee.n = j->n;
	for (i = 0; i < j->n; i++) {
		j->tee.ups[i] = j->up[i];
		if (j->up[i] == NULL)
			j->tee.errs[i] = j->errs[i];
	}
	j->p = pipeline_new();
	if (strcmp(comp, "gz") == 0)
		pipeline_add(j->p, &stage_gzip, &j->ccfg);
	else if (strcmp(comp, "zst") == 0)
		pipeline_add(j->p, &stage_zstd, &j->ccfg);
	if (j->crypt_type != NULL)
		pipeline_add(j->p, j->crypt_type, j->crypt_arg);
	pipeline_add(j->p, &stage_upload, &j->tee);
	if (pipeline_start(j->p, err) == -1)
		goto out;
	if ((t = tarw_new(j->p, err)) == NULL)
		goto fail;
	tarw_set_tick(t, tick, j);
	tarw_set_cancel(t, &j->stop);
	tarw_set_limit(t, settings_size(j->spec->admin, "MAX_BACKUP_SIZE"),
	    "MAX_BACKUP_SIZE");
	/* Dumps are compared here; path sources in the reader. */
	if (j->ch.on)
		tarw_set_chain(t, j->ch.plan.full ? NULL : &j->ch.prev,
		    &j->ch.seen);
	if (sources_archive(j->spec->admin, &j->us, j->spec->user, t, j->ps,
	    err) == -1 || job_chain_members(&j->ch, t, j->spec->start,
	    err) == -1 || tarw_close(t, err) == -1)
		goto fail;
	report(j, PHASE_ARCHIVE, tarw_stats(t));
	if (pipeline_finish(j->p, err) == -1)
		goto collect;
	rc = 0;
	goto collect;
fail:
	/* The pipeline's own first error explains a failed write best. */
	if (pipeline_failed(j->p))
		(void)pipeline_finish(j->p, err);
	else
		pipeline_abort(j->p, err);
collect:
	if (t != NULL) {
		j->res->files = tarw_stats(t)->files;
		j->res->bytes_in = tarw_stats(t)->bytes;
		j->res->warnings = (unsigned int)tarw_stats(t)->warnings;
	}
	j->res->warnings += j->cfg_warnings;
	j->res->bytes_out = j->tee.bytes;
	memcpy(j->res->sha256, j->tee.sha256, sizeof(j->res->sha256));
	for (i = 0; i < j->n; i++)
		if (j->up[i] != NULL && j->tee.errs[i].code != BK_OK)
			j->errs[i] = j->tee.errs[i];
out:
	tarw_free(t);
	return rc;
}

/* Make the backup visible where the stream went through; abort the rest. */
static void
job_commit(struct job *j, bool ok)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		if (j->up[i] == NULL)
			continue;
		if (ok && j->errs[i].code == BK_OK) {
			if (storage_commit(j->up[i], &j->errs[i]) == 0)
				j->res->dests[i].name = xstrdup(j->res->name);
		} else
			storage_abort(j->up[i]);
		j->up[i] = NULL;
	}
}

static void
job_prune(struct job *j, time_t now)
{
	struct prune_result pr;
	struct bk_err perr;
	size_t i;

	report(j, PHASE_PRUNE, NULL);
	for (i = 0; i < j->n; i++) {
		if (j->res->dests[i].name == NULL)
			continue;
		if (prune_run(j->st[i], &j->us, j->tmpl, j->res->name,
		    j->spec->pinned, now, &pr, &perr) == -1) {
			log_kv(LOG_WARN, "pruning failed", "destination",
			    storage_location(j->st[i]), "error", perr.msg,
			    (char *)NULL);
			j->res->dests[i].prune_failed = 1;
			continue;
		}
		j->res->dests[i].pruned = pr.pruned;
		j->res->dests[i].prune_failed = pr.failed;
		j->res->dests[i].prune_total = pr.candidates;
		j->res->dests[i].prune_kept = pr.kept_needed;
	}
}

/* Every destination has the archive: the chain goes on from it.  A state
 * that cannot be saved is removed, so the next run is a full. */
static void
job_chain_saved(struct job *j)
{
	struct bk_err e;

	if (job_chain_commit(&j->ch, j->spec->start, &e) == 0)
		return;
	log_kv(LOG_WARN, "chain state not saved; the next backup is a full",
	    "user", j->spec->user, "error", e.msg, (char *)NULL);
	(void)chain_state_remove(j->ch.state_dir, j->spec->user, &e);
}

static void
job_free(struct job *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		storage_abort(j->up[i]);
		storage_close(j->st[i]);
	}
	pipeline_free(j->p);
	privsep_free(j->ps);
	if (j->crypt_arg != NULL)
		crypt_stage_free(j->crypt_arg);
	free(j->tee.ups);
	free(j->tee.errs);
	exclude_free(j->ex);
	free(j->tmpl);
	free(j->name_suffix);
	free(j->files_root);
	if (j->us_loaded)
		settings_free(&j->us);
	job_chain_free(&j->ch);
}

/* JOB_TIMEOUT from now on (the reader is forked: threads are fine). */
static void
job_watch(struct job *j)
{
	int64_t ms = settings_duration_ms(j->spec->admin, "JOB_TIMEOUT");
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ms > 0) {
		ms -= (int64_t)(now.tv_sec - j->t0.tv_sec) * 1000 +
		    (now.tv_nsec - j->t0.tv_nsec) / 1000000;
		if (ms < 1)
			ms = 1;
	}
	if (privsep_reader_pid(j->ps) > 0)
		deadline_track(privsep_reader_pid(j->ps));
	if ((j->dl = deadline_start(ms, j->spec->cancel, &j->stop)) == NULL)
		log_warn("JOB_TIMEOUT: cannot start the watcher thread; this "
		    "job runs without a time limit");
}

static void
job_unwatch(struct job *j)
{
	deadline_free(j->dl);
	j->dl = NULL;
	if (privsep_reader_pid(j->ps) > 0)
		deadline_untrack(privsep_reader_pid(j->ps));
}

/* Whatever the stream failed with, the cause is the time limit. */
static void
timeout_err(struct job *j, struct bk_err *err)
{
	bk_err_set(err, BK_ETIMEDOUT, "JOB_TIMEOUT: the backup ran longer "
	    "than %s and was stopped", settings_get(j->spec->admin,
	    "JOB_TIMEOUT"));
	err->retryable = false;
}

int
job_run(const struct job_spec *spec, struct job_result *res,
    struct bk_err *err)
{
	struct job j = { .spec = spec, .res = res };
	struct job_spec local = *spec;
	struct timespec t1;
	size_t i;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	bk_err_clear(err);
	if (local.start == 0)
		local.start = time(NULL);
	j.spec = &local;
	clock_gettime(CLOCK_MONOTONIC, &j.t0);
	report(&j, PHASE_PREPARE, NULL);
	/* The source reader forks while the job has no thread yet. */
	if (job_prepare(&j, err) == -1 || (j.ps = privsep_start_chain(
	    spec->admin, spec->user, j.ex, j.ch.on && !j.ch.plan.full ?
	    &j.ch.prev : NULL, j.ch.on ? &j.ch.seen : NULL, err)) == NULL)
		goto out;
	job_watch(&j);
	if (job_open_dests(&j, err) == -1)
		goto out;
	rc = job_stream(&j, err);
	if (rc == -1 && deadline_expired(j.dl))
		timeout_err(&j, err);
	job_commit(&j, rc == 0);
	if (rc == 0)
		restore_manifest_write(spec->admin, spec->user, res->name,
		    res->bytes_out, res->sha256);
	if (rc == 0) {
		job_prune(&j, local.start);
		/* Success means every destination got the backup. */
		for (i = 0; i < j.n; i++)
			if (j.res->dests[i].name == NULL) {
				*err = j.errs[i];
				rc = -1;
				break;
			}
	}
	if (rc == 0)
		job_chain_saved(&j);
out:
	job_unwatch(&j);
	for (i = 0; i < j.n && i < res->ndests; i++)
		if (j.errs[i].code != BK_OK)
			res->dests[i].error = xstrdup(j.errs[i].msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (double)(t1.tv_sec - j.t0.tv_sec) +
	    (double)(t1.tv_nsec - j.t0.tv_nsec) / 1e9;
	report(&j, PHASE_DONE, NULL);
	job_free(&j);
	return rc;
}

void
job_result_free(struct job_result *res)
{
	size_t i;

	for (i = 0; i < res->ndests; i++) {
		free(res->dests[i].destination);
		free(res->dests[i].location);
		free(res->dests[i].name);
		free(res->dests[i].error);
	}
	free(res->dests);
	for (i = 0; i < res->nnotes; i++)
		free(res->notes[i]);
	free(res->notes);
	free(res->name);
	free(res->chain);
	free(res->note);
	memset(res, 0, sizeof(*res));
}
