/*
 * worker_main.c - backup-worker: runs jobs of this node's queue.
 *
 *	backup-worker [--config FILE] [--concurrency N] [--noop]
 *
 * One event loop on one thread.  Each job runs in a child process
 * (worker_child.c); the loop reads the children's progress lines, renews
 * each job's lease with a heartbeat carrying phase and bytes, reaps the
 * leases of dead workers, and takes new jobs when a slot is free: it
 * blocks on the node's wake list (BLPOP, on its own connection) so a
 * manual job starts at once.
 *
 * A heartbeat answered "lost" means the job moved on (our lease expired):
 * the child is killed and nothing more is written for it.  If Redis stays
 * unreachable for half a lease, running children are killed too, since
 * another worker will take their jobs.  Redis errors reconnect with
 * exponential backoff (1 s .. 20 s); a finished job's result is kept until
 * it could be written.
 *
 * SIGTERM/SIGINT: take no new job, let running ones finish within
 * WORKER_SHUTDOWN_GRACE, then SIGTERM them and hand them back without
 * spending an attempt; a second signal skips the grace.
 *
 * The load gate (worker/yield.c): a job taken while the node is above
 * WORKER_MAX_LOAD or WORKER_MAX_IO_PRESSURE waits in its slot, phase
 * "waiting-load", its lease renewed, until the gate opens (checked every
 * second); no further job is taken meanwhile, so the rest stay queued for
 * other workers.
 *
 * --noop (benchmarks only): finish each job at once without a child, to
 * measure the queue itself.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "queue.h"
#include "settings.h"
#include "job_restore.h"
#include "worker_child.h"
#include "yield.h"
#include "xmalloc.h"

struct slot {
	bool		 used;
	struct queue_job job;
	pid_t		 pid;		/* 0 once reaped */
	int		 fd;
	char		 line[16384];
	size_t		 len;
	char		 phase[16];
	uint64_t	 bytes_in, bytes_out, expected;
	struct child_msg res;		/* is_result once the child reported */
	int		 status;	/* wait status */
	bool		 lost;		/* lease lost: write nothing */
	bool		 handback;	/* shutdown: requeue unless done */
	int64_t		 hb_ok_ms;	/* last successful heartbeat */
	int64_t		 killed_ms;
	int64_t		 started_ms;
	bool		 overtime;	/* killed past JOB_TIMEOUT */
	bool		 waiting;	/* held by the load gate, no child */
	int64_t		 gate_ms;	/* next gate check */
};

static volatile sig_atomic_t	got_term;
static struct settings		admin;
static struct queue		*qc, *qb;	/* commands, blocking */
static struct slot		*slots;
static int			 nslots;
static char			 wid[200];
static struct backoff		bo;

#define mono_ms	daemon_mono_ms

static void
usage(FILE *f)
{
	fprintf(f, "usage: backup-worker [--config FILE] [--concurrency N] "
	    "[--noop]\n\n"
	    "Runs backup jobs of this server's queue (NODE) from Redis.\n"
	    "  --config FILE     admin config (default $PANEL_BACKUP_CONFIG, "
	    "else %s)\n"
	    "  --concurrency N   jobs at once (default WORKER_CONCURRENCY)\n"
	    "  --noop            benchmarks only: finish jobs at once, no "
	    "backup\n"
	    "SIGTERM: finish running jobs within WORKER_SHUTDOWN_GRACE, then "
	    "hand them back.\n", CONFIG_DEFAULT_PATH);
}

/* A Redis call failed: back off before the next one. */
static void
redis_failed(const struct bk_err *err)
{
	if (!bo.down || err->code != BK_EUNREACH)
		log_warn("%s", err->msg);
	if (err->code == BK_EUNREACH)
		backoff_fail(&bo);
}

static bool
redis_ready(void)
{
	struct bk_err err;

	if (!bo.down)
		return true;
	if (!backoff_ready(&bo))
		return false;
	if (queue_ensure(qc, &err) == -1 || queue_ensure(qb, &err) == -1) {
		redis_failed(&err);
		return false;
	}
	if (backoff_ok(&bo))
		log_info("reconnected to Redis at %s", queue_where(qc));
	return true;
}

static int
used_slots(void)
{
	int i, n = 0;

	for (i = 0; i < nslots; i++)
		n += slots[i].used;
	return n;
}

static void
slot_clear(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	worker_child_msg_free(&s->res);
	queue_job_free(&s->job);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static void
handle_line(struct slot *s, const char *line)
{
	struct child_msg m;

	if (worker_child_parse(line, &m) == -1)
		return;
	if (m.is_result) {
		worker_child_msg_free(&s->res);
		s->res = m;
		return;
	}
	snprintf(s->phase, sizeof(s->phase), "%s", m.phase);
	s->bytes_in = m.bytes_in;
	s->bytes_out = m.bytes_out;
	if (m.expected > 0)
		s->expected = m.expected;
}

static void
read_child(struct slot *s)
{
	ssize_t r;
	char *nl;

	while (s->fd >= 0) {
		r = read(s->fd, s->line + s->len, sizeof(s->line) - 1 - s->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0) {
				close(s->fd);
				s->fd = -1;
			}
			return;
		}
		s->len += (size_t)r;
		s->line[s->len] = '\0';
		while ((nl = strchr(s->line, '\n')) != NULL) {
			*nl = '\0';
			handle_line(s, s->line);
			s->len -= (size_t)(nl + 1 - s->line);
			memmove(s->line, nl + 1, s->len + 1);
		}
		if (s->len == sizeof(s->line) - 1)
			s->len = 0;	/* an absurd line: drop it */
	}
}

/* The child is gone: write the outcome.  Returns true when the slot is
 * free again (false: Redis is away, try later). */
static bool
settle(struct slot *s)
{
	struct bk_err err;
	char state[32] = "", why[128];
	bool retryable;

	if (s->lost) {
		log_warn("job %s: lease lost, result dropped", s->job.id);
		return true;
	}
	if (!redis_ready())
		return false;
	if (s->handback && !(s->res.is_result && s->res.ok)) {
		if (queue_requeue(qc, &s->job, &err) == -1) {
			redis_failed(&err);
			return false;
		}
		log_kv(LOG_INFO, "job handed back", "job", s->job.id, "user",
		    s->job.user, NULL);
		return true;
	}
	if (s->res.is_result) {
		if (queue_finish_result(qc, &s->job, s->res.ok ? QOUT_OK :
		    s->res.canceled ? QOUT_CANCELED : QOUT_ERROR,
		    s->res.retryable, s->res.error, s->res.backups,
		    s->res.result, s->res.bytes_in, s->res.bytes_out, state,
		    sizeof(state), &err) == -1) {
			redis_failed(&err);
			return false;
		}
	} else {
		/* Died without a word: a crash or a kill is worth a retry,
		 * unless it was killed for running past JOB_TIMEOUT. */
		retryable = !s->overtime;
		if (s->overtime)
			snprintf(why, sizeof(why), "JOB_TIMEOUT: the job ran "
			    "longer than %s and was killed",
			    settings_get(&admin, "JOB_TIMEOUT"));
		else if (WIFSIGNALED(s->status))
			snprintf(why, sizeof(why), "job process killed by "
			    "signal %d", WTERMSIG(s->status));
		else
			snprintf(why, sizeof(why), "job process exited with "
			    "status %d without a result",
			    WEXITSTATUS(s->status));
		if (queue_finish(qc, &s->job, QOUT_ERROR, retryable, why, "[]",
		    s->bytes_in, s->bytes_out, state, sizeof(state),
		    &err) == -1) {
			redis_failed(&err);
			return false;
		}
	}
	if (s->res.is_result && s->res.catalog != NULL &&
	    queue_backups_set(qc, s->job.user, s->res.catalog, s->res.stored,
	    &err) == -1)
		log_warn("job %s: recording the backups: %s", s->job.id,
		    err.msg);
	log_kv(s->res.ok ? LOG_INFO : LOG_WARN, "job finished", "job",
	    s->job.id, "user", s->job.user, "state", state, "error",
	    s->res.is_result && !s->res.ok ? s->res.error : NULL, NULL);
	return true;
}

static void
reap_children(void)
{
	int i, status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < nslots; i++)
			if (slots[i].used && slots[i].pid == pid) {
				read_child(&slots[i]);
				slots[i].pid = 0;
				slots[i].status = status;
			}
	for (i = 0; i < nslots; i++)
		if (slots[i].used && slots[i].pid == 0 && !slots[i].waiting &&
		    settle(&slots[i]))
			slot_clear(&slots[i]);
}

static void
kill_slot(struct slot *s, int sig)
{
	if (s->pid > 0) {
		kill(s->pid, sig);
		if (s->killed_ms == 0)
			s->killed_ms = mono_ms();
	}
}

/* Renew leases, report progress, register, reap dead workers' jobs. */
static void
heartbeat(int64_t lease_ms)
{
	const char *jobs[256];
	struct bk_err err;
	enum queue_hb hb;
	int i, n = 0, reaped;
	int64_t now = mono_ms();
	int64_t timeout_ms = settings_duration_ms(&admin, "JOB_TIMEOUT");

	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];

		if (!s->used || s->lost || (s->pid == 0 && !s->waiting))
			continue;
		if (redis_ready() && queue_heartbeat(qc, &s->job,
		    s->phase[0] ? s->phase : "prepare", s->bytes_in,
		    s->bytes_out, s->expected, &hb, &err) == 0) {
			s->hb_ok_ms = now;
			if (hb == QHB_LOST) {
				log_warn("job %s: lease lost, stopping it",
				    s->job.id);
				s->lost = true;
				kill_slot(s, SIGKILL);
			} else if (hb == QHB_CANCEL && s->killed_ms == 0) {
				log_info("job %s: canceled, stopping it",
				    s->job.id);
				kill_slot(s, SIGTERM);
			}
		} else {
			if (!bo.down)
				redis_failed(&err);
			if (now - s->hb_ok_ms > lease_ms / 2) {
				log_warn("job %s: no heartbeat for half the "
				    "lease, stopping it", s->job.id);
				s->lost = true;
				kill_slot(s, SIGKILL);
			}
		}
		/* The job stops itself at JOB_TIMEOUT (deadline.c); one stuck
		 * where it cannot (a hung connect) is killed a minute later. */
		if (timeout_ms > 0 && !s->overtime &&
		    now - s->started_ms > timeout_ms + 60000) {
			log_warn("job %s: past JOB_TIMEOUT, killing it",
			    s->job.id);
			s->overtime = true;
			kill_slot(s, SIGKILL);
		}
		if (n < 256)
			jobs[n++] = s->job.id;
	}
	if (!redis_ready())
		return;
	if (queue_worker_beat(qc, wid, nslots, jobs, (size_t)n,
	    (int)(lease_ms / 1000 > 10 ? lease_ms / 1000 : 10), &err) == -1 ||
	    queue_reap(qc, &reaped, &err) == -1) {
		redis_failed(&err);
		return;
	}
	if (reaped > 0)
		log_info("reaped %d job(s) of workers that stopped "
		    "heartbeating", reaped);
}

static void	spawn_slot(struct slot *);

static void
start_job(struct slot *s, struct queue_job *job, bool noop)
{
	struct bk_err err;
	char state[32], why[160];

	if (noop) {
		if (queue_finish(qc, job, QOUT_OK, false, NULL, "[]", 0, 0,
		    state, sizeof(state), &err) == -1)
			redis_failed(&err);
		queue_job_free(job);
		return;
	}
	s->used = true;
	s->job = *job;
	s->hb_ok_ms = s->started_ms = mono_ms();
	if (yield_gate_closed(&admin, why, sizeof(why))) {
		s->waiting = true;
		s->gate_ms = mono_ms() + 1000;
		snprintf(s->phase, sizeof(s->phase), "waiting-load");
		log_kv(LOG_INFO, "job waits for the load gate", "job",
		    job->id, "user", job->user, "why", why, NULL);
		return;
	}
	spawn_slot(s);
}

/* Start the job process of a slot taken by start_job. */
static void
spawn_slot(struct slot *s)
{
	struct queue_job *job = &s->job;

	s->waiting = false;
	s->started_ms = mono_ms();	/* JOB_TIMEOUT counts from here */
	snprintf(s->phase, sizeof(s->phase), "prepare");
	{
		struct job_task t = { s->job.kind, s->job.target, s->job.only,
		    s->job.to, NULL };
		struct bk_err perr;
		char **pins = NULL;
		size_t npins = 0, k;

		/* the child is a fork: the list only has to outlive the fork */
		if (queue_pinned_list(qc, job->user, &pins, &npins, &perr) ==
		    -1) {
			/* unknown pins: this run prunes nothing */
			log_warn("job %s: reading pins: %s", job->id, perr.msg);
			pins = xcalloc(2, sizeof(char *));
			pins[0] = xstrdup("*");
			npins = 1;
		}
		t.pinned = (const char *const *)pins;
		s->pid = worker_child_spawn(&admin, job->user, job->id, &t,
		    &s->fd);
		for (k = 0; k < npins; k++)
			free(pins[k]);
		free(pins);
	}
	if (s->pid == -1) {
		s->pid = 0;
		s->status = 0;
		s->res.is_result = true;
		s->res.retryable = true;
		s->res.error = xstrdup("cannot start the job process");
		s->res.backups = xstrdup("[]");
		return;
	}
	log_kv(LOG_INFO, "job started", "job", job->id, "user", job->user,
	    NULL);
}

/* Waiting slots: start their job once the gate opens; on shutdown hand
 * them back at once (they have not started). */
static void
gate_check(bool stopping)
{
	char why[160];
	int i;

	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];

		if (!s->used || !s->waiting)
			continue;
		if (stopping || s->lost) {
			s->waiting = false;	/* settle: hand back or drop */
			s->handback = true;
			continue;
		}
		if (mono_ms() < s->gate_ms)
			continue;
		s->gate_ms = mono_ms() + 1000;
		if (!yield_gate_closed(&admin, why, sizeof(why))) {
			log_kv(LOG_INFO, "load gate open", "job", s->job.id,
			    NULL);
			spawn_slot(s);
		}
	}
}

static bool
any_waiting(void)
{
	int i;

	for (i = 0; i < nslots; i++)
		if (slots[i].used && slots[i].waiting)
			return true;
	return false;
}

static void
wait_io(int timeout_ms)
{
	struct pollfd pfd[256];
	int i, n = 0;

	for (i = 0; i < nslots && n < 256; i++)
		if (slots[i].used && slots[i].fd >= 0) {
			pfd[n].fd = slots[i].fd;
			pfd[n].events = POLLIN;
			n++;
		}
	poll(pfd, (nfds_t)n, timeout_ms);
}

static int
run(bool noop)
{
	const struct queue_policy *pol = queue_policy(qc);
	int64_t hb_every = pol->lease_ms / 3, next_hb = 0, grace_end = 0;
	int64_t grace = settings_duration_ms(&admin, "WORKER_SHUTDOWN_GRACE");
	struct queue_job job;
	struct bk_err err;
	int i, got, seen_term = 0;

	if (hb_every < 500)
		hb_every = 500;
	/* about once a second: the heartbeat carries the live progress a
	 * panel shows (percent, ETA), and renews the lease with room */
	if (hb_every > 1000)
		hb_every = 1000;
	for (;;) {
		if (got_term != seen_term) {
			if (seen_term == 0) {
				log_info("stopping: no new jobs; %d running "
				    "get %lld ms", used_slots(),
				    (long long)grace);
				grace_end = mono_ms() + grace;
			} else
				grace_end = mono_ms();
			seen_term = got_term;
		}
		if (seen_term && mono_ms() >= grace_end)
			for (i = 0; i < nslots; i++)
				if (slots[i].used && !slots[i].handback) {
					slots[i].handback = true;
					kill_slot(&slots[i], SIGTERM);
				}
		for (i = 0; i < nslots; i++)
			if (slots[i].used && slots[i].killed_ms != 0 &&
			    mono_ms() - slots[i].killed_ms > 10000)
				kill_slot(&slots[i], SIGKILL);
		gate_check(seen_term != 0);
		for (i = 0; i < nslots; i++)
			if (slots[i].used)
				read_child(&slots[i]);
		reap_children();
		if (seen_term && used_slots() == 0)
			break;
		if (mono_ms() >= next_hb) {
			heartbeat(pol->lease_ms);
			next_hb = mono_ms() + hb_every;
		}
		if (seen_term || !redis_ready()) {
			wait_io(200);
			continue;
		}
		got = 0;
		if (used_slots() < nslots && !any_waiting()) {
			for (i = 0; i < nslots && slots[i].used; i++)
				;
			got = queue_dequeue(qc, wid, &job, &err);
			if (got == -1)
				redis_failed(&err);
			else if (got == 1) {
				start_job(&slots[i], &job, noop);
				continue;
			}
		}
		if (got == 0 && used_slots() < nslots && !any_waiting()) {
			if (queue_wait_wake(qb, used_slots() > 0 ? 200 : 1000,
			    &err) == -1)
				redis_failed(&err);
		} else
			wait_io(200);
	}
	if (redis_ready())
		queue_worker_gone(qc, wid, &err);
	log_info("stopped");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct daemon_opt extra[] = {
		{ "concurrency", true },
		{ "noop", false },
		{ NULL, false },
	};
	struct daemon_args a;
	long long n;
	int i, rc;

	log_init("backup-worker");
	backoff_init(&bo, 1000, 20000);
	/* Before any sodium_malloc (crypt stages, SMTP/Matrix secrets). */
	if (sodium_init() == -1) {
		fprintf(stderr, "backup-worker: libsodium failed to start\n");
		return 1;
	}
	if (daemon_args(argc, argv, extra, 0, usage, &a, &rc) == -1 ||
	    daemon_config("backup-worker", a.config, &admin, &rc) == -1)
		return rc;
	if (a.val[0] != NULL) {
		if (parse_int(a.val[0], &n) == -1 || n < 1 || n > 256) {
			fprintf(stderr, "backup-worker: --concurrency: "
			    "expected 1..256, got \"%s\"\n", a.val[0]);
			settings_free(&admin);
			return 2;
		}
	} else
		n = settings_int(&admin, "WORKER_CONCURRENCY");
	nslots = (int)n;
	if ((qc = queue_open_report(&admin, "backup-worker", "backup-worker",
	    &rc)) == NULL || (qb = queue_open_report(&admin, "backup-worker",
	    "backup-worker-wait", &rc)) == NULL) {
		queue_close(qc);
		settings_free(&admin);
		return rc;
	}
	{
		char host[64];

		if (gethostname(host, sizeof(host)) == -1)
			strcpy(host, "host");
		host[sizeof(host) - 1] = '\0';
		snprintf(wid, sizeof(wid), "%s.%s.%ld", queue_node(qc), host,
		    (long)getpid());
	}
	{
		struct bk_err err;

		/* the functions' defaults for the panel's calls (bk_settings) */
		if (queue_publish_settings(qc, &err) == -1)
			log_warn("publishing the node settings: %s", err.msg);
	}
	slots = xcalloc((size_t)nslots, sizeof(*slots));
	for (i = 0; i < nslots; i++)
		slots[i].fd = -1;
	daemon_signals(&got_term);
	log_kv(LOG_INFO, "worker started", "node", queue_node(qc), "redis",
	    queue_where(qc), "worker", wid, NULL);
	yield_node_init(&admin);	/* before the first job process */
	rc = run(a.val[1] != NULL);
	free(slots);
	queue_close(qb);
	queue_close(qc);
	settings_free(&admin);
	return rc;
}
