/*
 * scheduler_main.c - backup-scheduler: turns every user's
 * BACKUP_CRON_EXPRESSION into jobs of this node's queue.
 *
 *	backup-scheduler [--config FILE]
 *
 * It reads every USERS_DIR/<user>.env at start, again whenever inotify reports a
 * change in the folder, and every RESCAN_SECONDS anyway (inotify can
 * overflow, and NFS sends nothing).  Next due times live in Redis
 * (bk:{NODE}:sched), so a restart finds what it missed: a due time at most
 * MISFIRE_GRACE old fires once, an older one becomes a "missed" event.
 * Each second it fires what is due with bk_fire, a compare-and-set in
 * Redis: any number of replicas make exactly one job per (user, due time).
 *
 * An invalid schedule (or one firing more often than
 * MIN_SCHEDULE_INTERVAL_SECONDS) is recorded with an "error" event, once
 * per distinct problem, and skipped; it never stops the daemon.  Only the
 * schedule and the time zone are read from a user's file: the scheduler
 * holds no storage secrets.
 *
 * Single-threaded.  It also reaps expired leases, so jobs of dead workers
 * come back even when no worker is idle.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "cron.h"
#include "dotenv.h"
#include "err.h"
#include "log.h"
#include "path.h"
#include "queue.h"
#include "settings.h"
#include "xmalloc.h"

#define RESCAN_SECONDS	60
#define FIRE_BATCH	500

struct sched_user {
	char		*name;
	char		*key;	/* expression and zone as stored in Redis */
	struct cron	*cron;	/* NULL: invalid */
};

static volatile sig_atomic_t	 stop;
static struct settings		 admin;
static struct queue		*q;
static struct sched_user	*users;
static size_t			 nusers;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: backup-scheduler [--config FILE]\n\n"
	    "Enqueues due backups of every USERS_DIR/<user>.env into this "
	    "node's queue.\n  --config FILE  admin config (default "
	    "$PANEL_BACKUP_CONFIG, else %s)\n", CONFIG_DEFAULT_PATH);
}

static void
users_free(void)
{
	size_t i;

	for (i = 0; i < nusers; i++) {
		free(users[i].name);
		free(users[i].key);
		cron_free(users[i].cron);
	}
	free(users);
	users = NULL;
	nusers = 0;
}

static struct sched_user *
user_find(const char *name)
{
	size_t i;

	for (i = 0; i < nusers; i++)
		if (strcmp(users[i].name, name) == 0)
			return &users[i];
	return NULL;
}

/* Read one user's schedule and publish it (or its problem) to Redis. */
static int
load_user(const char *name, time_t now, struct bk_err *err)
{
	struct sched_user *u;
	struct kvlist kv;
	struct bk_err perr;
	const char *expr, *tz;
	char *file, msg[700];
	int64_t gap, min;
	int rc = 0;

	kvlist_init(&kv);
	file = config_user_file(&admin, name);
	users = xreallocarray(users, nusers + 1, sizeof(*users));
	u = &users[nusers++];
	memset(u, 0, sizeof(*u));
	u->name = xstrdup(name);
	if (dotenv_load(file, &kv, &perr) == -1) {
		snprintf(msg, sizeof(msg), "%s", perr.msg);
		expr = "";
		u->key = xstrdup("");
		goto bad;
	}
	expr = kvlist_get(&kv, "BACKUP_CRON_EXPRESSION");
	if (expr == NULL || *expr == '\0')
		expr = settings_lookup("BACKUP_CRON_EXPRESSION")->def;
	tz = kvlist_get(&kv, "TZ");
	if (tz == NULL || *tz == '\0')
		tz = settings_get(&admin, "TZ");
	xasprintf(&u->key, "%s%s%s", expr, tz != NULL && *tz ? " @ " : "",
	    tz != NULL ? tz : "");
	u->cron = cron_parse(expr, tz != NULL && *tz ? tz : NULL, &perr);
	if (u->cron == NULL) {
		snprintf(msg, sizeof(msg), "BACKUP_CRON_EXPRESSION: %s",
		    perr.msg);
		goto bad;
	}
	min = settings_int(&admin, "MIN_SCHEDULE_INTERVAL_SECONDS");
	gap = cron_min_interval(u->cron, now);
	if (min > 0 && gap >= 0 && gap < min) {
		snprintf(msg, sizeof(msg), "BACKUP_CRON_EXPRESSION: \"%s\" "
		    "fires every %llds, more often than "
		    "MIN_SCHEDULE_INTERVAL_SECONDS=%lld allows", expr,
		    (long long)gap, (long long)min);
		goto bad;
	}
	if (cron_next(u->cron, now) == -1) {
		snprintf(msg, sizeof(msg), "BACKUP_CRON_EXPRESSION: \"%s\" "
		    "never fires", expr);
		goto bad;
	}
	rc = queue_sched_set(q, name, u->key, cron_next(u->cron, now), err);
	goto out;
bad:
	cron_free(u->cron);
	u->cron = NULL;
	log_kv(LOG_WARN, "schedule skipped", "user", name, "error", msg,
	    NULL);
	rc = queue_sched_error(q, name, u->key, msg, err);
out:
	free(file);
	kvlist_free(&kv);
	return rc;
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

/* Read USERS_DIR again; drop schedules of users whose file is gone. */
static int
rescan(time_t now, struct bk_err *err)
{
	const char *dir = settings_get(&admin, "USERS_DIR");
	char **known, name[256];
	struct dirent *de;
	size_t n, i;
	DIR *d;

	users_free();
	d = opendir(dir);
	if (d == NULL)
		log_warn("USERS_DIR %s: %s", dir, strerror(errno));
	while (d != NULL && (de = readdir(d)) != NULL)
		if (env_name(de->d_name, name, sizeof(name)) &&
		    load_user(name, now, err) == -1) {
			closedir(d);
			return -1;
		}
	if (d != NULL)
		closedir(d);
	if (queue_sched_users(q, &known, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (user_find(known[i]) == NULL && d != NULL) {
			log_kv(LOG_INFO, "schedule removed", "user", known[i],
			    NULL);
			queue_sched_del(q, known[i], err);
		}
		free(known[i]);
	}
	free(known);
	log_info("%zu user schedule(s) loaded from %s", nusers, dir);
	return 0;
}

/* Fire everything due; a due time long past becomes "missed". */
static int
fire_due(time_t now, struct bk_err *err)
{
	int64_t grace = settings_duration_ms(&admin, "MISFIRE_GRACE") / 1000;
	struct sched_user *u;
	enum queue_fire res;
	char **names;
	time_t *due, next;
	size_t n, i;
	int rc = 0;

	if (queue_sched_due(q, now, FIRE_BATCH, &names, &due, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		u = user_find(names[i]);
		if (u == NULL || u->cron == NULL)
			continue;	/* not ours (yet): the owner fires it */
		next = cron_next(u->cron, due[i] > now ? due[i] : now);
		if (next == -1)
			next = now + 86400 * 366;
		if (rc == 0 && queue_fire(q, names[i], due[i], next,
		    now - due[i] > grace, &res, err) == -1)
			rc = -1;
		if (rc == 0 && res == QFIRE_QUEUED)
			log_kv(LOG_INFO, "backup due: queued", "user",
			    names[i], NULL);
		else if (rc == 0 && res == QFIRE_MISSED)
			log_kv(LOG_WARN, "backup time missed (older than "
			    "MISFIRE_GRACE)", "user", names[i], NULL);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(due);
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
	    IN_MOVED_FROM | IN_MODIFY) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
run(void)
{
	struct pollfd pfd;
	struct bk_err err;
	char evbuf[4096];
	int64_t now_ms;
	time_t last_scan = 0, now;
	bool dirty = true, down = false;
	int backoff = 1, reaped, ino = watch_dir();

	if (ino == -1)
		log_warn("USERS_DIR %s: no inotify watch (%s); rescanning "
		    "every %ds", settings_get(&admin, "USERS_DIR"),
		    strerror(errno), RESCAN_SECONDS);
	while (!stop) {
		if (queue_time(q, &now_ms, &err) == -1)
			goto redis_err;
		now = (time_t)(now_ms / 1000);
		if (dirty || now - last_scan >= RESCAN_SECONDS) {
			if (rescan(now, &err) == -1)
				goto redis_err;
			last_scan = now;
			dirty = false;
		}
		if (fire_due(now, &err) == -1 ||
		    queue_reap(q, &reaped, &err) == -1)
			goto redis_err;
		if (down)
			log_info("reconnected to Redis at %s", queue_where(q));
		down = false;
		backoff = 1;
		pfd.fd = ino;
		pfd.events = POLLIN;
		if (poll(&pfd, ino >= 0 ? 1 : 0, 1000 - (int)(now_ms % 1000))
		    > 0) {
			while (read(ino, evbuf, sizeof(evbuf)) > 0)
				;
			dirty = true;
		}
		continue;
redis_err:
		if (!down)
			log_warn("%s", err.msg);
		down = true;
		dirty = true;
		sleep((unsigned int)backoff);
		backoff = backoff * 2 > 20 ? 20 : backoff * 2;
	}
	if (ino >= 0)
		close(ino);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg = NULL;
	struct sigaction sa;
	struct bk_err err;
	int ch, rc;

	log_init("backup-scheduler");
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (config_load_admin(config_path(cfg), &admin, NULL, &err) == -1) {
		fprintf(stderr, "backup-scheduler: %s\n", err.msg);
		return bk_err_exit_status(&err);
	}
	if ((q = queue_open(&admin, "backup-scheduler", &err)) == NULL) {
		fprintf(stderr, "backup-scheduler: %s\n", err.msg);
		settings_free(&admin);
		return bk_err_exit_status(&err);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	log_kv(LOG_INFO, "scheduler started", "node", queue_node(q), "redis",
	    queue_where(q), "users_dir", settings_get(&admin, "USERS_DIR"),
	    NULL);
	rc = run();
	log_info("stopped");
	users_free();
	queue_close(q);
	settings_free(&admin);
	return rc;
}
