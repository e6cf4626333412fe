/*
 * queue.h - the Redis protocol of the job system (docs/redis-protocol.md).
 *
 * Every state change is one call of a Redis 7 function of the library
 * bk_v1 (queue_lua.c), so it is atomic on the server and reads the Redis
 * clock.  Reads are plain commands.  All keys of one node share the hash
 * tag {NODE}: bk:{NODE}:q, bk:{NODE}:job:<id>, ...
 *
 * A struct queue is one connection; it is not thread-safe.  Calls that
 * find the connection broken try one reconnect first; BK_EUNREACH means
 * Redis could not be reached (exit status 3).
 */
#ifndef BK_QUEUE_H
#define BK_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

struct bk_err;
struct settings;
struct queue;

#define QUEUE_LIB_VERSION	"4"
#define QUEUE_TOKEN_LEN		32	/* hex chars of a fencing token */

/* Connect to REDIS_URL of admin, name the client "role@host:pid" and make
 * sure the function library is loaded.  node NULL: NODE of admin. */
struct queue	*queue_open(const struct settings *admin, const char *role,
		    struct bk_err *);
/* The same for a program's main: on failure print "prog: why" (secrets
 * redacted) and set *status to the exit status (2 or 3). */
struct queue	*queue_open_report(const struct settings *admin,
		    const char *prog, const char *role, int *status);
void		 queue_close(struct queue *);
/* Reconnect if the last command broke the connection. */
int		 queue_ensure(struct queue *, struct bk_err *);
/* Reconnect if needed and PING: 0 when Redis answers (health checks). */
int		 queue_ping(struct queue *, struct bk_err *);
/* "host:port" or the socket path, for messages. */
const char	*queue_where(const struct queue *);
const char	*queue_node(const struct queue *);
/* Socket timeout for blocking reads (ms). */
void		 queue_set_timeout(struct queue *, int ms);

/* A job as a worker takes it. */
struct queue_job {
	char	*id;
	char	*user;
	char	*token;
	int	 attempt;
	int	 max_attempts;
	char	*kind;		/* backup, restore, verify */
	char	*target;	/* restore, verify: the backup's name */
	char	*only;		/* restore: JSON array of paths, or "" */
	char	*to;		/* restore: target folder, or "" (default) */
};
void	queue_job_free(struct queue_job *);

/* Policy knobs read from the admin settings at queue_open. */
struct queue_policy {
	int64_t		lease_ms;
	int64_t		backoff_ms;
	int64_t		retention_ms;
	int		max_attempts;
};
const struct queue_policy *queue_policy(const struct queue *);

/* Enqueue a manual backup of user on node (NULL: own node).  *id gets the
 * job id: a new one, or the waiting job this request joined (*created
 * false).  (queue_panel.c) */
int	queue_enqueue(struct queue *, const char *node, const char *user,
	    char **id, bool *created, struct bk_err *);
/* What a job does besides a backup. */
struct queue_request {
	const char	*kind;		/* "backup" (NULL), "restore", "verify" */
	const char	*target;	/* the backup's name */
	const char	*only;		/* restore: JSON array of paths, or NULL */
	const char	*to;		/* restore: folder, or NULL (default) */
};
int	queue_enqueue_req(struct queue *, const char *node, const char *user,
	    const struct queue_request *, char **id, bool *created,
	    struct bk_err *);
/* Publish the node's policy (bk:{N}:settings): the defaults the functions
 * use for what a caller leaves empty. */
int	queue_publish_settings(struct queue *, struct bk_err *);
/* Pin (or unpin) backup name of user on node (NULL: own node): pruning
 * never deletes a pinned backup. */
int	queue_pin(struct queue *, const char *node, const char *user,
	    const char *name, bool pin, struct bk_err *);
/* The names user pinned on the own node (the worker's prune keeps them). */
int	queue_pinned_list(struct queue *, const char *user, char ***names,
	    size_t *n, struct bk_err *);
/* Record the user's current backups at the destinations (JSON array of
 * {name, destination, size, time, kind}) and the bytes they take. */
int	queue_backups_set(struct queue *, const char *user, const char *json,
	    uint64_t bytes, struct bk_err *);

/* Block up to timeout_ms for a wake token of the own node (0 is fine). */
int	queue_wait_wake(struct queue *, int timeout_ms, struct bk_err *);
/* Take the next runnable job; returns 1 with *job filled, 0 if none. */
int	queue_dequeue(struct queue *, const char *worker,
	    struct queue_job *, struct bk_err *);

enum queue_hb { QHB_OK, QHB_CANCEL, QHB_LOST };
int	queue_heartbeat(struct queue *, const struct queue_job *,
	    const char *phase, uint64_t bytes_in, uint64_t bytes_out,
	    uint64_t expected, enum queue_hb *, struct bk_err *);

enum queue_outcome { QOUT_OK, QOUT_ERROR, QOUT_CANCELED };
/* Record the end of an attempt.  *state gets succeeded, retrying, failed
 * or stale (the job moved on: the lease was lost). */
int	queue_finish(struct queue *, const struct queue_job *,
	    enum queue_outcome, bool retryable, const char *error,
	    const char *backups_json, uint64_t bytes_in, uint64_t bytes_out,
	    char *state, size_t statesz, struct bk_err *);
/* The same with the record of what a restore or verify did (JSON text,
 * the job's "result"; NULL: none). */
int	queue_finish_result(struct queue *, const struct queue_job *,
	    enum queue_outcome, bool retryable, const char *error,
	    const char *backups_json, const char *result_json,
	    uint64_t bytes_in, uint64_t bytes_out, char *state,
	    size_t statesz, struct bk_err *);
/* Hand a job back without spending its attempt (shutdown). */
int	queue_requeue(struct queue *, const struct queue_job *,
	    struct bk_err *);
/* Retry or fail the jobs of expired leases, promote due retries and
 * drop finished jobs past retention.  *n gets the leases reaped. */
int	queue_reap(struct queue *, int *n, struct bk_err *);
/* Cancel a job: queued ones at once, running ones through the worker. */
int	queue_cancel(struct queue *, const char *id, char *state,
	    size_t statesz, struct bk_err *);

/* Scheduler side. */
enum queue_fire { QFIRE_QUEUED, QFIRE_COALESCED, QFIRE_MISSED, QFIRE_STALE };
/* One scheduler call; queue_sched_batch pipelines many of them (a busy
 * minute or a start-up with 100,000 users is a few round trips). */
struct queue_sched_op {
	enum { QS_SET, QS_ERROR, QS_DEL, QS_FIRE } kind;
	const char	*user;
	const char	*expr;		/* SET, ERROR: expression as stored */
	const char	*msg;		/* ERROR: why it is refused */
	time_t		 due;		/* FIRE: the due time it fires */
	time_t		 next;		/* SET, FIRE: the next due time */
	bool		 missed;	/* FIRE: older than MISFIRE_GRACE */
	enum queue_fire	 fired;		/* FIRE: the answer */
};
/* Run n calls in pipelined chunks.  Every reply is read even after an
 * error reply; returns -1 (err: the first problem) if any call failed.
 * SET: a changed expression moves the next due time, an unchanged one
 * keeps the stored time.  ERROR: an "error" event once per distinct
 * message. */
int	queue_sched_batch(struct queue *, struct queue_sched_op *, size_t n,
	    struct bk_err *);
int	queue_sched_set(struct queue *, const char *user, const char *expr,
	    time_t next, struct bk_err *);
int	queue_sched_error(struct queue *, const char *user, const char *expr,
	    const char *msg, struct bk_err *);
int	queue_sched_del(struct queue *, const char *user, struct bk_err *);
/* Users with a due time <= now, skipping the first offset ones: arrays of
 * user names and due times. */
int	queue_sched_due(struct queue *, time_t now, size_t offset, size_t max,
	    char ***users, time_t **due, size_t *n, struct bk_err *);
/* Users that have a schedule in Redis (for removing stale ones). */
int	queue_sched_users(struct queue *, char ***users, size_t *n,
	    struct bk_err *);
int	queue_fire(struct queue *, const char *user, time_t due, time_t next,
	    bool missed, enum queue_fire *, struct bk_err *);

/* Redis clock (seconds and ms). */
int	queue_time(struct queue *, int64_t *ms, struct bk_err *);

/* Reads.  Jobs as SPEC.md JSON objects (new references). */
json_t	*queue_job_get(struct queue *, const char *id, struct bk_err *);
/* All known jobs of every node, newest first, filtered (NULL: any).  With
 * a user: that user's job index (bk:{N}:ujobs:<u>), complete within
 * retention and its bound; *truncated (may be NULL) tells whether the
 * answer is not all of the user's history: the index was ever trimmed
 * (retention, the bound), a job it names is no longer held, or more
 * matched than limit. */
json_t	*queue_jobs(struct queue *, const char *user, const char *state,
	    size_t limit, bool *truncated, struct bk_err *);
/* {"nodes": [...]} as SPEC.md. */
json_t	*queue_stats(struct queue *, struct bk_err *);
/* The Prometheus text exposition of every node (queue_metrics.c): jobs by
 * state, 24 h results, queue depth, oldest wait, workers, totals, a
 * duration histogram, bytes, and each user's last success. */
int	queue_metrics_write(struct queue *, FILE *, struct bk_err *);
/* The same into an allocated buffer of *len bytes. */
char	*queue_metrics_text(struct queue *, size_t *len, struct bk_err *);
/* One user's health for the panel (queue_health.c): the node that holds
 * the user, last success and failure, last error, next run, schedule
 * problem, running and waiting job, and "status" (ok, failing,
 * schedule_error, never, unknown). */
json_t	*queue_user_health(struct queue *, const char *user, struct bk_err *);

/* Worker registry. */
int	queue_worker_beat(struct queue *, const char *wid, int slots,
	    const char *const *jobs, size_t njobs, int ttl_s,
	    struct bk_err *);
int	queue_worker_gone(struct queue *, const char *wid, struct bk_err *);
json_t	*queue_workers(struct queue *, struct bk_err *);

/* Events of own node's stream through consumer group "notifier". */
struct queue_event {
	char	*id;		/* stream id */
	json_t	*fields;	/* object of strings */
};
/* Read up to max new (or, with pending, own unacked) events. */
int	queue_events_read(struct queue *, const char *consumer, bool pending,
	    int block_ms, struct queue_event **, size_t *n, struct bk_err *);
void	queue_events_free(struct queue_event *, size_t n);
/* 1 if evid was handled before (a restart re-reads unacked events). */
int	queue_event_seen(struct queue *, const char *evid, struct bk_err *);
/* Record evid as handled (kept 7 days) and acknowledge it. */
int	queue_event_done(struct queue *, const char *evid, struct bk_err *);

/* The function library source (queue_lua.c). */
extern const char queue_lua_src[];

/* Time helpers for job JSON. */
void	queue_rfc3339(int64_t ms, char *buf, size_t size);

#endif
