/*
 * notifier_main.c - backup-notifier: sends users' notifications for the
 * events of this node's queue.
 *
 *	backup-notifier [--config FILE]
 *
 * Reads bk:{NODE}:events through the consumer group "notifier" (any number
 * of notifiers share the work).  Delivery is at least once: at start it
 * first re-reads its own entries that were delivered but not acknowledged,
 * and an event is acknowledged only after it was handled.  Handled event
 * ids are recorded in Redis (kept 7 days), so an event read again after a
 * crash between sending and acknowledging is not sent twice.
 *
 * Notified: "failed" (for good), "missed" and "succeeded" (sent only at
 * NOTIFICATION_LEVEL=info, which notify_event decides).  Every event is
 * logged.  Only the user's notification settings are used.
 *
 * Threads: the main thread reads events, checks and acknowledges them in
 * Redis (the only user of the connection); NOTIFIER_CONCURRENCY senders
 * (notify_pool.c) handle them at once, one at a time per user, so one
 * user's hung service never delays another user's notifications.  An
 * event is acknowledged only after its sender finished with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <jansson.h>

#include "config.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "notify_pool.h"
#include "queue.h"
#include "settings.h"
#include "userfile.h"
#include "xmalloc.h"

static volatile sig_atomic_t	stop;
static struct settings		admin;

static void
usage(FILE *f)
{
	fprintf(f, "usage: backup-notifier [--config FILE]\n\n"
	    "Sends notifications for backup results of this node's queue.\n"
	    "  --config FILE  admin config (default $PANEL_BACKUP_CONFIG, "
	    "else %s)\n", CONFIG_DEFAULT_PATH);
}

static const char *
get(json_t *f, const char *key)
{
	return json_string_value(json_object_get(f, key));
}

static long long
num(json_t *f, const char *key)
{
	const char *s = get(f, key);

	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

/* The hosting company's channel (ADMIN_NOTIFICATION_URLS): every user's
 * events at ADMIN_NOTIFICATION_LEVEL, sent through the same notify code
 * as a user's, as if it were a user whose URLs and level are the admin's.
 * Independent of the user's own settings (even unreadable ones). */
static void
notify_admin(const struct notify_event *ev)
{
	struct settings as;

	if (!settings_is_set(&admin, "ADMIN_NOTIFICATION_URLS") ||
	    *settings_get(&admin, "ADMIN_NOTIFICATION_URLS") == '\0')
		return;
	settings_defaults(&as, SET_USER);
	settings_set(&as, "NOTIFICATION_URLS", settings_get(&admin,
	    "ADMIN_NOTIFICATION_URLS"));
	settings_set(&as, "NOTIFICATION_LEVEL", settings_get(&admin,
	    "ADMIN_NOTIFICATION_LEVEL"));
	notify_event(&admin, &as, ev);
	settings_free(&as);
}

/* Send what an event asks for; failures of a service are logged by
 * notify.  Runs on a sender thread: everything here is its own but the
 * admin settings, which nothing changes after start. */
static void
handle(const char *id, json_t *fields)
{
	const struct queue_event ev0 = { (char *)id, fields }, *e = &ev0;
	const char *kind = get(e->fields, "event"), *user;
	struct notify_event ev;
	struct settings us;
	struct bk_err err;
	json_t *b;
	char *names = NULL;

	log_kv(LOG_INFO, "event", "id", e->id, "event", kind, "user",
	    get(e->fields, "user"), "job", get(e->fields, "job"), "error",
	    get(e->fields, "error") != NULL ? get(e->fields, "error") : "",
	    NULL);
	if (kind == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	if (strcmp(kind, "failed") == 0)
		ev.kind = NOTIFY_FAILED;
	else if (strcmp(kind, "missed") == 0)
		ev.kind = NOTIFY_MISSED;
	else if (strcmp(kind, "succeeded") == 0)
		ev.kind = NOTIFY_SUCCEEDED;
	else
		return;	/* canceled: the user asked for it, nobody to tell */
	/* a restore or verify is worded as one, never as a backup run */
	if (get(e->fields, "kind") != NULL &&
	    strcmp(get(e->fields, "kind"), "backup") != 0) {
		if (ev.kind == NOTIFY_MISSED)
			return;
		ev.task = get(e->fields, "kind");
	}
	user = get(e->fields, "user");
	if (user == NULL || *user == '\0')
		return;
	ev.user = user;
	ev.job_id = get(e->fields, "job");
	ev.error = get(e->fields, "error");
	if (userfile_load_settings(&admin, user, NULL, NULL, &us, NULL,
	    &err) == -1) {
		log_kv(LOG_WARN, "cannot notify: user settings unreadable",
		    "user", user, "error", err.msg, NULL);
		notify_admin(&ev);
		return;
	}
	b = get(e->fields, "backups") != NULL ? json_loads(get(e->fields,
	    "backups"), 0, NULL) : NULL;
	if (json_is_array(b) && json_array_size(b) > 0) {
		ev.backup_name = json_string_value(json_array_get(b, 0));
		names = json_dumps(b, JSON_COMPACT);
	}
	ev.size = (uint64_t)num(e->fields, "bytes_out");
	if (ev.task != NULL) {
		/* what it read: the backup named by the job, its bytes */
		ev.backup_name = get(e->fields, "target");
		ev.size = (uint64_t)num(e->fields, "bytes_in");
	}
	ev.started = (time_t)(num(e->fields, "started_at") / 1000);
	ev.finished = (time_t)(num(e->fields, "finished_at") / 1000);
	if (ev.started > 0 && ev.finished >= ev.started)
		ev.seconds = (double)(ev.finished - ev.started);
	if (ev.kind == NOTIFY_MISSED)
		ev.started = (time_t)num(e->fields, "scheduled_for");
	notify_event(&admin, &us, &ev);
	notify_admin(&ev);
	free(names);
	json_decref(b);
	settings_free(&us);
}

/* Move the ids of more (a strv, freed) to the end of *acks. */
static void
strv_move(char ***acks, char **more)
{
	size_t n = 0, m = 0, i;

	while (*acks != NULL && (*acks)[n] != NULL)
		n++;
	while (more != NULL && more[m] != NULL)
		m++;
	*acks = xreallocarray(*acks, n + m + 1, sizeof(**acks));
	for (i = 0; i < m; i++)
		(*acks)[n++] = more[i];
	(*acks)[n] = NULL;
	free(more);
}

/* Acknowledge what the senders finished; ids that could not be
 * acknowledged stay in *acks for the next round. */
static int
ack_done(struct queue *q, struct npool *pool, char ***acks,
    struct bk_err *err)
{
	char **v;
	size_t n, i, j;

	if (pool != NULL)
		strv_move(acks, npool_done(pool, 0));
	v = *acks;
	for (n = 0; v != NULL && v[n] != NULL; n++)
		;
	for (i = 0; i < n; i++)
		if (queue_event_done(q, v[i], err) == -1) {
			for (j = 0; j < i; j++)
				free(v[j]);
			memmove(v, v + i, (n - i + 1) * sizeof(*v));
			return -1;
		}
	strv_free(v);
	*acks = NULL;
	return 0;
}

/* Hand new events to the senders; one handled before is acknowledged. */
static int
dispatch(struct queue *q, struct npool *pool, struct queue_event *evs,
    size_t n, struct bk_err *err)
{
	size_t i;
	int seen;

	for (i = 0; i < n; i++) {
		if (npool_has(pool, evs[i].id))
			continue;	/* a re-read of one in flight */
		if ((seen = queue_event_seen(q, evs[i].id, err)) == -1)
			return -1;
		if (seen == 1) {
			if (queue_event_done(q, evs[i].id, err) == -1)
				return -1;
			continue;
		}
		npool_submit(pool, evs[i].id, get(evs[i].fields, "user"),
		    evs[i].fields);
	}
	return 0;
}

static int
run(struct queue *q, struct npool *pool)
{
	struct queue_event *evs;
	struct backoff bo;
	struct bk_err err;
	char consumer[128], host[64], **acks = NULL;
	bool pending = true;
	size_t n;
	int rc;

	backoff_init(&bo, 1000, 20000);

	if (gethostname(host, sizeof(host)) == -1)
		strcpy(host, "host");
	host[sizeof(host) - 1] = '\0';
	/* Stable across restarts, so a restart re-reads its own pending. */
	snprintf(consumer, sizeof(consumer), "%s", host);
	while (!stop) {
		/* A short block: finished events are acknowledged soon. */
		if (ack_done(q, pool, &acks, &err) == -1 ||
		    queue_events_read(q, consumer, pending, 250, &evs, &n,
		    &err) == -1)
			goto redis_err;
		if (pending && n == 0)
			pending = false;
		rc = dispatch(q, pool, evs, n, &err);
		queue_events_free(evs, n);
		if (rc == -1)
			goto redis_err;
		if (backoff_ok(&bo))
			log_info("reconnected to Redis at %s", queue_where(q));
		continue;
redis_err:
		if (backoff_fail(&bo))
			log_warn("%s", err.msg);
		pending = true;
		backoff_sleep(&bo, &stop);
	}
	/* Finish what the senders hold; acknowledge what is done. */
	strv_move(&acks, npool_stop(pool, 5000));
	if (ack_done(q, NULL, &acks, &err) == -1)
		log_warn("%s", err.msg);
	strv_free(acks);
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon_args a;
	struct npool *pool;
	struct queue *q;
	int rc;

	log_init("backup-notifier");
	/* Before any sodium_malloc (crypt stages, SMTP/Matrix secrets). */
	if (sodium_init() == -1) {
		fprintf(stderr, "backup-notifier: libsodium failed to start\n");
		return 1;
	}
	if (daemon_args(argc, argv, NULL, 0, usage, &a, &rc) == -1 ||
	    daemon_config("backup-notifier", a.config, &admin, &rc) == -1)
		return rc;
	if ((q = queue_open_report(&admin, "backup-notifier",
	    "backup-notifier", &rc)) == NULL) {
		settings_free(&admin);
		return rc;
	}
	daemon_signals(&stop);
	log_kv(LOG_INFO, "notifier started", "node", queue_node(q), "redis",
	    queue_where(q), NULL);
	if ((pool = npool_new((int)settings_int(&admin,
	    "NOTIFIER_CONCURRENCY"), 256, handle)) == NULL) {
		log_error("NOTIFIER_CONCURRENCY: cannot start the sender "
		    "threads");
		queue_close(q);
		settings_free(&admin);
		return 1;
	}
	rc = run(q, pool);
	log_info("stopped");
	queue_close(q);
	settings_free(&admin);
	return rc;
}
