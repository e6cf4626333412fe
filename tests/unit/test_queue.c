/*
 * test_queue.c - the queue client (queue.h) against a real redis-server
 * started on a free loopback port: enqueue, dequeue, heartbeat with
 * progress, finish, the SPEC.md job object, fencing, stats.
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "queue.h"
#include "settings.h"
#include "tap.h"

static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int
main(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	struct settings admin;
	struct queue_job job;
	struct bk_err err;
	struct queue *q = NULL;
	enum queue_hb hb;
	char url[64], portstr[16], state[32], *id = NULL, *id2 = NULL;
	json_t *j, *s;
	bool created;
	pid_t pid;
	int port = free_port(), i;

	snprintf(portstr, sizeof(portstr), "%d", port);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", port);
	settings_defaults(&admin, SET_ADMIN);
	settings_set(&admin, "REDIS_URL", url);
	settings_set(&admin, "NODE", "unit");

	q = queue_open(&admin, "test", &err);
	ok(q == NULL && err.code == BK_EUNREACH &&
	    strstr(err.msg, portstr) != NULL,
	    "no Redis: BK_EUNREACH naming the host (%s)", err.msg);

	pid = fork();
	if (pid == 0) {
		execlp("redis-server", "redis-server", "--port", portstr,
		    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		    "--dir", "/tmp", "--logfile", "/dev/null", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && q == NULL; i++) {
		q = queue_open(&admin, "test", &err);
		if (q == NULL)
			nanosleep(&ts, NULL);
	}
	ok(q != NULL, "queue_open connects and loads bk_v1");
	if (q == NULL)
		goto out;

	ok(queue_enqueue(q, NULL, "alice", &id, &created, &err) == 0 &&
	    created, "enqueue makes a job");
	ok(queue_enqueue(q, NULL, "alice", &id2, &created, &err) == 0 &&
	    !created && strcmp(id, id2) == 0,
	    "a second request joins the waiting job");
	ok(queue_dequeue(q, "w", &job, &err) == 1 && strcmp(job.id, id) ==
	    0 && job.attempt == 1 && strlen(job.token) == QUEUE_TOKEN_LEN,
	    "dequeue hands it out with attempt 1 and a fencing token");
	ok(queue_heartbeat(q, &job, "archive", 1000, 400, 0, &hb, &err) == 0 &&
	    hb == QHB_OK, "heartbeat renews the lease");
	j = queue_job_get(q, id, &err);
	ok(j != NULL && strcmp(json_string_value(json_object_get(j, "state")),
	    "running") == 0 && strcmp(json_string_value(json_object_get(j,
	    "phase")), "archive") == 0 && json_integer_value(json_object_get(j,
	    "bytes_in")) == 1000, "the job record shows running, phase and "
	    "bytes live");
	json_decref(j);
	ok(queue_finish(q, &job, QOUT_OK, false, NULL,
	    "[\"backup-x.tar.gz\"]", 1000, 500, state, sizeof(state), &err) ==
	    0 && strcmp(state, "succeeded") == 0, "finish ok: succeeded");
	ok(queue_finish(q, &job, QOUT_OK, false, NULL, "[]", 0, 0, state,
	    sizeof(state), &err) == 0 && strcmp(state, "stale") == 0,
	    "a repeated finish is a no-op (stale)");
	j = queue_job_get(q, id, &err);
	ok(j != NULL && strcmp(json_string_value(json_array_get(
	    json_object_get(j, "backups"), 0)), "backup-x.tar.gz") == 0 &&
	    json_is_string(json_object_get(j, "finished_at")) &&
	    json_is_null(json_object_get(j, "error")) &&
	    strcmp(json_string_value(json_object_get(j, "trigger")), "manual")
	    == 0, "status JSON: backups, finished_at, trigger, no error");
	json_decref(j);
	s = queue_stats(q, &err);
	ok(s != NULL && json_integer_value(json_object_get(json_array_get(
	    json_object_get(s, "nodes"), 0), "succeeded_24h")) == 1,
	    "stats counts the success");
	json_decref(s);
	ok(queue_job_get(q, "m.nobody.1", &err) == NULL &&
	    err.code == BK_ENOENT, "an unknown job is BK_ENOENT");
	queue_job_free(&job);
out:
	free(id);
	free(id2);
	queue_close(q);
	settings_free(&admin);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	return tap_done();
}
