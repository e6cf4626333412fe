/*
 * yield.c - what a backup job may take from the server it runs on.
 *
 * Priority: nice and the I/O class are per thread on Linux and inherited
 * by threads and processes created later, so yield_job_init runs first
 * thing in the job process and covers the pipeline threads, the privsep
 * children and the dump tools (mysqldump, pg_dump, ...) alike.
 *
 * Rates: one pacer is a virtual clock ("the time the bytes sent so far
 * may have left"): each chunk advances it by n / rate and the caller
 * sleeps until it.  A clock that fell behind real time is pulled up to
 * at most BURST_NS before now: that much lag is kept so the time the
 * writes themselves take overlaps the pacing (else the rate would be
 * 1 / (1/limit + 1/link speed)), and an idle pause earns a burst of at
 * most BURST_NS worth of bytes.  The upload tee paces every
 * destination at once (S3, WebDAV, Azure, Dropbox, SFTP, local), against
 * the job's pacer and the node's; libcurl's CURLOPT_MAX_SEND_SPEED_LARGE
 * holds each HTTP connection to the job's rate as well, so parts in
 * flight cannot burst past it.  The node pacer lives in an anonymous
 * shared mapping made by backup-worker before it forks job processes:
 * every slot advances the same clock with a compare-and-swap, so the
 * slots share one budget.
 *
 * Threads: pacers are lock-free (atomics) and may be used from any
 * thread; init functions run before threads exist.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "settings.h"
#include "yield.h"

#define BURST_NS		250000000LL
#define IOPRIO_WHO_PROCESS	1
#define IOPRIO_CLASS_SHIFT	13
#define IOPRIO_CLASS_BE		2
#define IOPRIO_CLASS_IDLE	3

struct pacer {
	int64_t		rate;		/* bytes per second; 0: none */
	int64_t		next_ns;	/* virtual clock, CLOCK_MONOTONIC */
};

static struct pacer	 job_up, job_read;
static struct pacer	*node_up;	/* shared mapping, or NULL */

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
pace(struct pacer *p, size_t n)
{
	int64_t now, old, start, next, cost;
	struct timespec ts;

	if (p == NULL || p->rate <= 0 || n == 0)
		return;
	cost = (int64_t)((double)n * 1e9 / (double)p->rate);
	now = now_ns();
	old = __atomic_load_n(&p->next_ns, __ATOMIC_RELAXED);
	do {
		start = old > now - BURST_NS ? old : now - BURST_NS;
		next = start + cost;
	} while (!__atomic_compare_exchange_n(&p->next_ns, &old, next, false,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	if (next <= now)
		return;
	ts.tv_sec = next / 1000000000;
	ts.tv_nsec = next % 1000000000;
	/* EINTR: SIGTERM is a cancel; the pipeline sees it next. */
	(void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int64_t
kbps(const struct settings *admin, const char *name)
{
	return (int64_t)settings_int(admin, name) * 1024;
}

void
yield_node_init(const struct settings *admin)
{
	int64_t rate = kbps(admin, "NODE_UPLOAD_LIMIT_KBPS");
	const char *ml = settings_get(admin, "WORKER_MAX_LOAD");
	char *end;
	void *m;

	if (ml != NULL && (strtod(ml, &end) < 0 || end == ml || *end != '\0'))
		log_warn("WORKER_MAX_LOAD: \"%s\" is not a number: no load "
		    "gate", ml);

	if (rate <= 0)
		return;
	m = mmap(NULL, sizeof(*node_up), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		log_warn("NODE_UPLOAD_LIMIT_KBPS: cannot share the budget "
		    "between slots: %s", strerror(errno));
		return;
	}
	node_up = m;
	node_up->rate = rate;
	node_up->next_ns = 0;
}

static void
set_priority(const struct settings *admin)
{
	long long nice = settings_int(admin, "JOB_NICE");
	const char *cls = settings_get(admin, "JOB_IO_CLASS");
	int prio;

	if (nice != 0 && setpriority(PRIO_PROCESS, 0, (int)nice) == -1)
		log_warn("JOB_NICE=%lld: setpriority: %s", nice,
		    strerror(errno));
	if (cls == NULL || strcmp(cls, "none") == 0)
		return;
	if (strcmp(cls, "idle") == 0)
		prio = IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT;
	else
		prio = IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT |
		    (int)settings_int(admin, "JOB_IO_LEVEL");
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) == -1)
		log_warn("JOB_IO_CLASS=%s: ioprio_set: %s", cls,
		    strerror(errno));
}

void
yield_job_init(const struct settings *admin)
{
	set_priority(admin);
	job_up.rate = kbps(admin, "JOB_UPLOAD_LIMIT_KBPS");
	job_read.rate = kbps(admin, "JOB_READ_LIMIT_KBPS");
	if (job_up.rate > 0)
		http_set_max_send_speed(job_up.rate);
}

void
yield_job_user(const struct settings *us)
{
	int64_t rate = kbps(us, "BACKUP_UPLOAD_LIMIT_KBPS");
	long long nice = settings_int(us, "BACKUP_NICE");

	/* Within the admin's limits: only slower, only nicer. */
	if (rate > 0 && (job_up.rate == 0 || rate < job_up.rate)) {
		job_up.rate = rate;
		http_set_max_send_speed(rate);
	}
	errno = 0;
	if (nice > getpriority(PRIO_PROCESS, 0) && errno == 0 &&
	    setpriority(PRIO_PROCESS, 0, (int)nice) == -1)
		log_warn("BACKUP_NICE=%lld: setpriority: %s", nice,
		    strerror(errno));
}

void
yield_pace_upload(size_t n)
{
	pace(&job_up, n);
	pace(node_up, n);
}

void
yield_pace_read(size_t n)
{
	pace(&job_read, n);
}

/* "some avg10=1.23 avg60=..." of a PSI file: the avg10 of "some". */
static int
pressure_avg10(const char *path, double *v)
{
	char line[256];
	FILE *f = fopen(path, "r");
	int rc = -1;
	char *p;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "some ", 5) == 0 &&
		    (p = strstr(line, "avg10=")) != NULL) {
			*v = strtod(p + 6, NULL);
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

bool
yield_gate_closed(const struct settings *admin, char *why, size_t whysz)
{
	const char *ml = settings_get(admin, "WORKER_MAX_LOAD");
	long long mp = settings_int(admin, "WORKER_MAX_IO_PRESSURE");
	const char *pf = settings_get(admin, "WORKER_IO_PRESSURE_FILE");
	double max = ml != NULL ? strtod(ml, NULL) : 0, load[1], io;

	if (max > 0 && getloadavg(load, 1) == 1 && load[0] > max) {
		snprintf(why, whysz, "load average %.2f above "
		    "WORKER_MAX_LOAD=%s", load[0], ml);
		return true;
	}
	if (mp > 0 && pf != NULL && pressure_avg10(pf, &io) == 0 &&
	    io > (double)mp) {
		snprintf(why, whysz, "I/O pressure %.2f%% (%s) above "
		    "WORKER_MAX_IO_PRESSURE=%lld", io, pf, mp);
		return true;
	}
	return false;
}
