/*
 * worker_child.c - the process that runs one job for backup-worker.
 *
 * Why a process: a job may hang in a library call or leak; the worker
 * must be able to kill it and stay healthy.  The child dies with its
 * parent (PR_SET_PDEATHSIG, checked against a race with getppid), turns
 * SIGTERM into job_run's cancel flag, and reports progress and the result
 * as JSON lines on a pipe.  It never touches the parent's Redis
 * connections and leaves with _exit().
 *
 * Single-threaded apart from what job_run starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <jansson.h>

#include "err.h"
#include "job.h"
#include "catalog.h"
#include "config.h"
#include "job_restore.h"
#include "settings.h"
#include "log.h"
#include "userfile.h"
#include "worker_child.h"
#include "yield.h"
#include "xmalloc.h"

static volatile int child_cancel;

static void
on_term(int sig)
{
	(void)sig;
	child_cancel = 1;
}

static void
send_line(int fd, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	size_t len = strlen(s), off = 0;
	ssize_t w;

	s = xrealloc(s, len + 2);
	s[len++] = '\n';
	while (off < len) {
		w = write(fd, s + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(s);
	json_decref(o);
}

static void
on_progress(const struct job_progress *p, void *arg)
{
	send_line(*(int *)arg, json_pack("{s:s, s:I, s:I}", "phase",
	    job_phase_name(p->phase), "in", (json_int_t)p->bytes_in, "out",
	    (json_int_t)p->bytes_out));
}

/* The bytes a task downloaded, from its result record. */
static uint64_t
stored_of(const char *result)
{
	json_t *o = json_loads(result, 0, NULL);
	uint64_t n = (uint64_t)json_integer_value(json_object_get(o,
	    "stored"));

	json_decref(o);
	return n;
}

struct task_tick {
	int		 fd;
	const char	*kind;
};

/* restore_run's progress, about once a second: bytes downloaded of the
 * backup's size, which becomes the job's expected total. */
static void
on_task_tick(uint64_t done, uint64_t total, void *arg)
{
	struct task_tick *tt = arg;

	send_line(tt->fd, json_pack("{s:s, s:I, s:I, s:I}", "phase", tt->kind,
	    "in", (json_int_t)done, "out", (json_int_t)0, "expected",
	    (json_int_t)total));
}

/* A restore or verify job: restore_run does the work; the phase is the
 * kind, the progress the bytes downloaded. */
static int
task_main(const struct settings *admin, const char *user,
    const struct job_task *t, int fd)
{
	struct task_tick tt = { fd, t->kind };
	struct bk_err err;
	char *result = NULL;
	json_t *o;
	int rc;

	bk_err_clear(&err);
	send_line(fd, json_pack("{s:s, s:I, s:I}", "phase", t->kind, "in",
	    (json_int_t)0, "out", (json_int_t)0));
	rc = job_restore_run(admin, user, t, on_task_tick, &tt, &result,
	    &err);
	o = json_pack("{s:b, s:b, s:b, s:s, s:[], s:I, s:I}", "result", 1,
	    "ok", rc == 0, "retryable", rc != 0 && err.retryable, "error",
	    rc == 0 ? "" : err.msg, "backups", "in", (json_int_t)(result !=
	    NULL ? stored_of(result) : 0), "out", (json_int_t)0);
	json_object_set_new(o, "canceled", json_boolean(rc != 0 &&
	    (child_cancel || err.code == BK_ECANCELED)));
	if (result != NULL)
		json_object_set_new(o, "task", json_loads(result, 0, NULL));
	send_line(fd, o);
	free(result);
	return rc;
}

/* After a backup and its prune: the user's backups at every destination
 * as they are now, for bk:{N}:backups:<user> (a panel lists them without
 * a shell; `backupctl list` stays the live truth).  Best effort: a
 * listing that fails leaves the last record. */
static void
add_catalog(const struct settings *admin, const char *user, json_t *o)
{
	struct settings us;
	struct catalog cat;
	struct bk_err err;
	char when[40];
	json_t *arr;
	json_int_t total = 0;
	struct tm tm;
	size_t i;

	memset(&cat, 0, sizeof(cat));
	if (userfile_load_settings(admin, user, NULL, NULL, &us, NULL,
	    &err) == -1)
		return;
	if (catalog_load(admin, &us, user, &cat, &err) == 0 &&
	    cat.nerrors == 0) {
		arr = json_array();
		for (i = 0; i < cat.n; i++) {
			gmtime_r(&cat.v[i].time, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			json_array_append_new(arr, json_pack("{s:s, s:s, s:I, "
			    "s:s, s:s, s:s}", "name", cat.v[i].name,
			    "destination", cat.v[i].destination, "size",
			    (json_int_t)cat.v[i].size, "time", when, "kind",
			    cat.v[i].kind, "chain", cat.v[i].chain));
			total += (json_int_t)cat.v[i].size;
		}
		json_object_set_new(o, "catalog", arr);
		json_object_set_new(o, "stored", json_integer(total));
	}
	catalog_free(&cat);
	settings_free(&us);
}

/* What the job worked around goes to the job record's result, where a
 * panel shows it beside the outcome: "warnings": ["SETTING: what", ...] */
static void
add_notes(const struct job_result *res, json_t *o)
{
	json_t *w, *t;
	size_t i;

	if (res->nnotes == 0)
		return;
	w = json_array();
	for (i = 0; i < res->nnotes; i++)
		json_array_append_new(w, json_string(res->notes[i]));
	if ((t = json_object_get(o, "task")) == NULL) {
		t = json_object();
		json_object_set_new(o, "task", t);
	}
	json_object_set_new(t, "warnings", w);
}

static void
child_main(const struct settings *admin, const char *user,
    const char *job_id, const struct job_task *task, int fd, pid_t parent)
{
	struct job_spec spec;
	struct job_result res;
	struct bk_err err;
	struct sigaction sa;
	json_t *backups, *o;
	unsigned long long pruned = 0, kept = 0;
	size_t i;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	log_set_context(user, job_id);
	if (task != NULL && task->kind != NULL &&
	    strcmp(task->kind, "backup") != 0)
		_exit(task_main(admin, user, task, fd) == 0 ? 0 : 1);
	yield_job_init(admin);	/* before any thread or dump tool */

	memset(&spec, 0, sizeof(spec));
	memset(&res, 0, sizeof(res));
	bk_err_clear(&err);
	spec.user = user;
	spec.admin = admin;
	spec.job_id = job_id;
	spec.progress = on_progress;
	spec.progress_arg = &fd;
	spec.cancel = &child_cancel;
	spec.pinned = task != NULL ? task->pinned : NULL;
	rc = job_run(&spec, &res, &err);

	backups = json_array();
	for (i = 0; i < res.ndests; i++)
		if (res.dests[i].name != NULL)
			json_array_append_new(backups,
			    json_string(res.dests[i].name));
	if (json_array_size(backups) == 0 && rc == 0 && res.name != NULL)
		json_array_append_new(backups, json_string(res.name));
	o = json_pack("{s:b, s:b, s:b, s:s, s:o, s:I, s:I}", "result", 1,
	    "ok", rc == 0, "retryable", rc != 0 && err.retryable, "error",
	    rc == 0 ? "" : err.msg, "backups", backups, "in",
	    (json_int_t)res.bytes_in, "out", (json_int_t)res.bytes_out);
	json_object_set_new(o, "canceled", json_boolean(rc != 0 &&
	    (child_cancel || err.code == BK_ECANCELED)));
	/* The job record's result: what kind of backup this run made. */
	if (res.kind != NULL) {
		/* pruned, and kept because a kept restore point needs them
		 * (pruning counts restore points: prune_plan.c). */
		for (i = 0; i < res.ndests; i++) {
			pruned += res.dests[i].pruned;
			kept += res.dests[i].prune_kept;
		}
		json_object_set_new(o, "task", json_pack("{s:s, s:s, s:i, s:s, "
		    "s:I, s:I}", "kind", res.kind, "chain", res.chain != NULL ?
		    res.chain : "", "seq", (int)res.seq, "note", res.note !=
		    NULL ? res.note : "", "pruned", (json_int_t)pruned,
		    "kept_for_chain", (json_int_t)kept));
	}
	if (rc == 0)
		add_catalog(admin, user, o);
	add_notes(&res, o);
	send_line(fd, o);
	job_result_free(&res);
	_exit(rc == 0 ? 0 : 1);
}

pid_t
worker_child_spawn(const struct settings *admin, const char *user,
    const char *job_id, const struct job_task *task, int *fd)
{
	pid_t parent = getpid(), pid;
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	pid = fork();
	if (pid == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		child_main(admin, user, job_id, task, p[1], parent);
		_exit(1);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	*fd = p[0];
	return pid;
}

int
worker_child_parse(const char *line, struct child_msg *m)
{
	json_t *o = json_loads(line, 0, NULL), *b;
	const char *s;

	memset(m, 0, sizeof(*m));
	if (o == NULL)
		return -1;
	m->bytes_in = (uint64_t)json_integer_value(json_object_get(o, "in"));
	m->bytes_out = (uint64_t)json_integer_value(json_object_get(o,
	    "out"));
	m->expected = (uint64_t)json_integer_value(json_object_get(o,
	    "expected"));
	if (json_is_true(json_object_get(o, "result"))) {
		m->is_result = true;
		m->ok = json_is_true(json_object_get(o, "ok"));
		m->retryable = json_is_true(json_object_get(o, "retryable"));
		m->canceled = json_is_true(json_object_get(o, "canceled"));
		s = json_string_value(json_object_get(o, "error"));
		m->error = xstrdup(s != NULL ? s : "");
		b = json_object_get(o, "backups");
		m->backups = b != NULL ? json_dumps(b, JSON_COMPACT) :
		    xstrdup("[]");
		b = json_object_get(o, "catalog");
		m->catalog = json_is_array(b) ? json_dumps(b, JSON_COMPACT) :
		    NULL;
		m->stored = (uint64_t)json_integer_value(json_object_get(o,
		    "stored"));
		b = json_object_get(o, "task");
		m->result = json_is_object(b) ? json_dumps(b, JSON_COMPACT) :
		    NULL;
	} else {
		s = json_string_value(json_object_get(o, "phase"));
		snprintf(m->phase, sizeof(m->phase), "%s", s != NULL ? s :
		    "prepare");
	}
	json_decref(o);
	return 0;
}

void
worker_child_msg_free(struct child_msg *m)
{
	free(m->error);
	free(m->backups);
	free(m->result);
	free(m->catalog);
	m->error = m->backups = m->result = m->catalog = NULL;
}
