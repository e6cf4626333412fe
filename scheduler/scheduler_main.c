/*
 * scheduler_main.c - backup-scheduler: turns every user's
 * BACKUP_CRON_EXPRESSION into jobs of this node's queue.
 *
 *	backup-scheduler [--config FILE]
 *
 * It reads every USERS_DIR/<user>.env at start; afterwards only the files
 * inotify names, and every RESCAN_SECONDS a stat of each file (inotify can
 * overflow, and NFS sends nothing) re-reads those whose inode, size or
 * mtime changed.  Next due times live in Redis (bk:{NODE}:sched), so a
 * restart finds what it missed: a due time at most MISFIRE_GRACE old fires
 * once, an older one becomes a "missed" event.  Each second (on the Redis
 * clock) it fires what is due with bk_fire, a compare-and-set in Redis:
 * any number of replicas make exactly one job per (user, due time).
 *
 * Scale: the users are a sorted table (sched_table.c); schedules are
 * published and due jobs fired in pipelined batches (queue_sched_batch),
 * so 100,000 users start in a few seconds and 20,000 jobs due in the same
 * second are queued in well under two (figures: docs/scaling.md).
 *
 * An invalid schedule (or one firing more often than
 * MIN_SCHEDULE_INTERVAL_SECONDS) is recorded with an "error" event, once
 * per distinct problem, and skipped; it never stops the daemon.  Only the
 * schedule and the time zone are read from a user's file: the scheduler
 * holds no storage secrets.
 *
 * Main thread: everything above, and reaping expired leases (so jobs of
 * dead workers come back even when no worker is idle).  With
 * METRICS_LISTEN, libmicrohttpd serves /metrics and /healthz (sched_http.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "path.h"
#include "queue.h"
#include "sched_http.h"
#include "sched_table.h"
#include "settings.h"
#include "xmalloc.h"

#define RESCAN_SECONDS	60
#define FIRE_BATCH	2000

static volatile sig_atomic_t	 stop;
static struct settings		 admin;
static struct queue		*q;
static struct sched_table	 tab;
static size_t			 ndirty;
static bool			 reconcile = true;	/* against Redis */

static void
usage(FILE *f)
{
	fprintf(f, "usage: backup-scheduler [--config FILE]\n\n"
	    "Enqueues due backups of every USERS_DIR/<user>.env into this "
	    "node's queue.\n  --config FILE  admin config (default "
	    "$PANEL_BACKUP_CONFIG, else %s)\n"
	    "METRICS_LISTEN=ADDR:PORT in the config serves GET /metrics.\n",
	    CONFIG_DEFAULT_PATH);
}

static bool
env_name(const char *f, char *user, size_t size)
{
	size_t n = strlen(f);

	if (n <= 4 || strcmp(f + n - 4, ".env") != 0 || n - 4 >= size)
		return false;
	memcpy(user, f, n - 4);
	user[n - 4] = '\0';
	return path_valid_user(user);
}

/* Look at one file of USERS_DIR; returns false when it is gone. */
static bool
visit(int dfd, const char *fname, const char *user, time_t now)
{
	struct sched_user *u;
	struct stat st;
	char *file;

	if (fstatat(dfd, fname, &st, 0) == -1 || !S_ISREG(st.st_mode))
		return false;
	u = sched_table_find(&tab, user);
	if (u == NULL)
		u = sched_table_add(&tab, user);
	else if (!sched_user_changed(u, &st)) {
		u->seen = true;
		return true;
	}
	u->seen = true;
	if (!u->dirty)
		ndirty++;
	file = config_user_file(&admin, user);
	sched_user_load(u, &admin, file, &st, now);
	free(file);
	return true;
}

/* Publish dirty schedules and the given deletions in pipelined batches. */
static int
publish(char **gone, size_t ngone, time_t now, struct bk_err *err)
{
	struct queue_sched_op *ops;
	struct sched_user *u;
	size_t i, n = 0;
	int rc;

	if (ndirty == 0 && ngone == 0)
		return 0;
	ops = xcalloc(ndirty + ngone + 1, sizeof(*ops));
	for (i = 0; i < tab.n && n < ndirty; i++) {
		u = tab.v[i];
		if (!u->dirty)
			continue;
		ops[n].user = u->name;
		ops[n].expr = u->key;
		if (u->cron != NULL) {
			ops[n].kind = QS_SET;
			ops[n].next = sched_user_next(u, now);
		} else {
			ops[n].kind = QS_ERROR;
			ops[n].msg = u->error;
		}
		n++;
	}
	for (i = 0; i < ngone; i++) {
		ops[n].kind = QS_DEL;
		ops[n++].user = gone[i];
		log_kv(LOG_INFO, "schedule removed", "user", gone[i], NULL);
	}
	rc = queue_sched_batch(q, ops, n, err);
	free(ops);
	if (rc == 0) {
		for (i = 0; i < tab.n; i++)
			tab.v[i]->dirty = false;
		ndirty = 0;
	}
	return rc;
}

static void
names_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Schedules in Redis of users we do not know (files removed while no
 * scheduler ran, or a republish after Redis lost its data). */
static int
stale_in_redis(char ***gone, size_t *ngone, struct bk_err *err)
{
	char **known;
	size_t n, i;

	if (queue_sched_users(q, &known, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (sched_table_find(&tab, known[i]) == NULL) {
			*gone = xreallocarray(*gone, *ngone + 1,
			    sizeof(char *));
			(*gone)[(*ngone)++] = known[i];
		} else
			free(known[i]);
	}
	free(known);
	return 0;
}

/* Stat every file of USERS_DIR, read the changed ones, drop the gone. */
static int
rescan(time_t now, struct bk_err *err)
{
	const char *dir = settings_get(&admin, "USERS_DIR");
	char name[256], **gone = NULL;
	size_t i, ngone = 0;
	struct dirent *de;
	DIR *d;
	int rc;

	d = opendir(dir);
	if (d == NULL) {
		/* Never drop schedules because the folder is unreadable. */
		log_warn("USERS_DIR %s: %s", dir, strerror(errno));
		return publish(NULL, 0, now, err);
	}
	for (i = 0; i < tab.n; i++)
		tab.v[i]->seen = false;
	while ((de = readdir(d)) != NULL)
		if (env_name(de->d_name, name, sizeof(name)))
			visit(dirfd(d), de->d_name, name, now);
	closedir(d);
	for (i = tab.n; i-- > 0;)
		if (!tab.v[i]->seen) {
			gone = xreallocarray(gone, ngone + 1, sizeof(char *));
			gone[ngone++] = xstrdup(tab.v[i]->name);
			if (tab.v[i]->dirty)
				ndirty--;
			sched_table_remove(&tab, tab.v[i]->name);
		}
	if (reconcile && stale_in_redis(&gone, &ngone, err) == -1) {
		names_free(gone, ngone);
		return -1;
	}
	rc = publish(gone, ngone, now, err);
	names_free(gone, ngone);
	if (rc == 0 && reconcile)
		log_info("%zu user schedule(s) loaded from %s", tab.n, dir);
	if (rc == 0)
		reconcile = false;
	return rc;
}

/* Files inotify named: read the changed, drop the removed. */
static int
rescan_some(char **names, size_t n, time_t now, struct bk_err *err)
{
	const char *dir = settings_get(&admin, "USERS_DIR");
	char user[256], **gone = NULL;
	size_t i, ngone = 0;
	struct sched_user *u;
	int dfd, rc;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return publish(NULL, 0, now, err);
	for (i = 0; i < n; i++) {
		if (!env_name(names[i], user, sizeof(user)))
			continue;
		if (visit(dfd, names[i], user, now))
			continue;
		u = sched_table_find(&tab, user);
		if (u == NULL)
			continue;
		if (u->dirty)
			ndirty--;
		sched_table_remove(&tab, user);
		gone = xreallocarray(gone, ngone + 1, sizeof(char *));
		gone[ngone++] = xstrdup(user);
	}
	close(dfd);
	rc = publish(gone, ngone, now, err);
	names_free(gone, ngone);
	return rc;
}

/* Fire everything due; a due time long past becomes "missed". */
static int
fire_due(time_t now, struct bk_err *err)
{
	int64_t grace = settings_duration_ms(&admin, "MISFIRE_GRACE") / 1000;
	struct queue_sched_op *ops;
	struct sched_user *u;
	size_t n, i, k, offset = 0, queued = 0;
	char **names;
	time_t *due;
	int rc = 0, round;

	for (round = 0; round < 1000 && rc == 0; round++) {
		if (queue_sched_due(q, now, offset, FIRE_BATCH, &names, &due,
		    &n, err) == -1)
			return -1;
		ops = xcalloc(n + 1, sizeof(*ops));
		for (i = k = 0; i < n; i++) {
			u = sched_table_find(&tab, names[i]);
			if (u == NULL || u->cron == NULL) {
				offset++;	/* not ours (yet) */
				continue;
			}
			ops[k].kind = QS_FIRE;
			ops[k].user = names[i];
			ops[k].due = due[i];
			ops[k].next = sched_user_next(u, due[i] > now ?
			    due[i] : now);
			if (ops[k].next == -1)
				ops[k].next = now + 86400 * 366;
			ops[k].missed = now - due[i] > grace;
			k++;
		}
		rc = queue_sched_batch(q, ops, k, err);
		for (i = 0; rc == 0 && i < k; i++) {
			if (ops[i].fired == QFIRE_QUEUED) {
				queued++;
				log_kv(LOG_INFO, "backup due: queued", "user",
				    ops[i].user, NULL);
			} else if (ops[i].fired == QFIRE_MISSED)
				log_kv(LOG_WARN, "backup time missed (older "
				    "than MISFIRE_GRACE)", "user",
				    ops[i].user, NULL);
		}
		free(ops);
		names_free(names, n);
		free(due);
		if (n < FIRE_BATCH)
			break;
	}
	if (queued > 100)
		log_info("%zu backups queued", queued);
	return rc;
}

static int
watch_dir(void)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd == -1)
		return -1;
	if (inotify_add_watch(fd, settings_get(&admin, "USERS_DIR"),
	    IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_TO |
	    IN_MOVED_FROM | IN_MODIFY | IN_ATTRIB) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Drain inotify: the names it reports, or *overflow. */
static void
read_inotify(int fd, char ***names, size_t *n, bool *overflow)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct
	    inotify_event))));
	const struct inotify_event *ev;
	ssize_t len;
	char *p;

	while ((len = read(fd, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + len; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				*overflow = true;
			else if (ev->len > 0 && *n < 100000) {
				*names = xreallocarray(*names, *n + 1,
				    sizeof(char *));
				(*names)[(*n)++] = xstrdup(ev->name);
			}
		}
}

static int
run(void)
{
	struct backoff bo;
	struct pollfd pfd;
	struct bk_err err;
	char **names = NULL;
	size_t nnames = 0, i;
	int64_t now_ms, last_scan = 0;
	time_t now;
	bool full = true;
	int reaped, ino = watch_dir();

	backoff_init(&bo, 1000, 20000);
	if (ino == -1)
		log_warn("USERS_DIR %s: no inotify watch (%s); rescanning "
		    "every %ds", settings_get(&admin, "USERS_DIR"),
		    strerror(errno), RESCAN_SECONDS);
	while (!stop) {
		if (queue_time(q, &now_ms, &err) == -1)
			goto redis_err;
		now = (time_t)(now_ms / 1000);
		/* The rescan period runs on the monotonic clock: a jump of
		 * Redis's clock must not pause it. */
		if (full || daemon_mono_ms() - last_scan >=
		    RESCAN_SECONDS * 1000) {
			if (rescan(now, &err) == -1)
				goto redis_err;
			last_scan = daemon_mono_ms();
			full = false;
		} else if (nnames > 0 || ndirty > 0) {
			if (rescan_some(names, nnames, now, &err) == -1)
				goto redis_err;
		}
		names_free(names, nnames);
		names = NULL;
		nnames = 0;
		if (fire_due(now, &err) == -1 ||
		    queue_reap(q, &reaped, &err) == -1)
			goto redis_err;
		if (backoff_ok(&bo))
			log_info("reconnected to Redis at %s", queue_where(q));
		/* Sleep to the next second of the Redis clock, or until a
		 * user file changes. */
		pfd.fd = ino;
		pfd.events = POLLIN;
		if (queue_time(q, &now_ms, &err) == -1)
			goto redis_err;
		if (poll(&pfd, ino >= 0 ? 1 : 0, 1000 - (int)(now_ms % 1000))
		    > 0)
			read_inotify(ino, &names, &nnames, &full);
		continue;
redis_err:
		if (backoff_fail(&bo))
			log_warn("%s", err.msg);
		/* Redis may have lost what we published: all again. */
		full = reconcile = true;
		for (i = 0; i < tab.n; i++)
			tab.v[i]->dirty = true;
		ndirty = tab.n;
		backoff_sleep(&bo, &stop);
	}
	names_free(names, nnames);
	if (ino >= 0)
		close(ino);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sched_http *http = NULL;
	struct daemon_args a;
	struct bk_err err;
	const char *listen_spec;
	int rc;

	log_init("backup-scheduler");
	if (daemon_args(argc, argv, NULL, 0, usage, &a, &rc) == -1 ||
	    daemon_config("backup-scheduler", a.config, &admin, &rc) == -1)
		return rc;
	if ((q = queue_open_report(&admin, "backup-scheduler",
	    "backup-scheduler", &rc)) == NULL) {
		settings_free(&admin);
		return rc;
	}
	/* the functions' defaults for the panel's calls (bk_settings) */
	if (queue_publish_settings(q, &err) == -1)
		log_warn("publishing the node settings: %s", err.msg);
	listen_spec = settings_get(&admin, "METRICS_LISTEN");
	if (listen_spec != NULL && *listen_spec != '\0' &&
	    (http = sched_http_start(&admin, listen_spec, &err)) == NULL) {
		fprintf(stderr, "backup-scheduler: %s\n", err.msg);
		queue_close(q);
		settings_free(&admin);
		return bk_err_exit_status(&err);
	}
	daemon_signals(&stop);
	log_kv(LOG_INFO, "scheduler started", "node", queue_node(q), "redis",
	    queue_where(q), "users_dir", settings_get(&admin, "USERS_DIR"),
	    "metrics", http != NULL ? listen_spec : "off", NULL);
	rc = run();
	log_info("stopped");
	sched_http_stop(http);
	sched_table_free(&tab);
	queue_close(q);
	settings_free(&admin);
	return rc;
}
