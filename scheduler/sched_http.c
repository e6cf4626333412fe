/*
 * sched_http.c - a tiny HTTP/1.0 responder for Prometheus: GET /metrics
 * answers the text of `backupctl metrics`; anything else is 404 (405 for
 * other methods).  One connection at a time, on its own thread with its
 * own struct queue (a connection is not shared between threads), so a
 * scrape never delays the scheduler's firing.  A client gets 5 s to send
 * its request; the response is written with MSG_NOSIGNAL.
 *
 * When Redis is away the answer is 503 with panel_backup_redis_up 0, so
 * an alert can tell "Redis down" from "scheduler down".
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "queue.h"
#include "sched_http.h"
#include "xmalloc.h"

struct sched_http {
	int		 fd;
	struct queue	*q;
	pthread_t	 thread;
	atomic_bool	 stop;
};

static int
listen_on(const char *spec, struct bk_err *err)
{
	struct addrinfo hints, *ai = NULL;
	char host[256];
	const char *orig = spec, *colon = strrchr(spec, ':');
	size_t hl;
	int fd = -1, one = 1, rc;

	if (colon == NULL || colon[1] == '\0')
		return bk_err_set(err, BK_ECONFIG, "METRICS_LISTEN: expected "
		    "ADDR:PORT, got \"%s\"", spec);
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return bk_err_set(err, BK_ECONFIG, "METRICS_LISTEN: address "
		    "too long");
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(hl > 0 ? host : NULL, colon + 1, &hints, &ai);
	if (rc != 0)
		return bk_err_set(err, BK_ECONFIG, "METRICS_LISTEN: \"%s\": %s",
		    orig, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || bind(fd, ai->ai_addr, ai->ai_addrlen) ==
	    -1 || listen(fd, 16) == -1) {
		bk_err_set(err, BK_ECONFIG, "METRICS_LISTEN: cannot listen on "
		    "%s: %s", orig, strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void
respond(int fd, const char *status, const char *body, size_t len)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: "
	    "text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: %zu"
	    "\r\nConnection: close\r\n\r\n", status, len);
	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

static void
serve(struct sched_http *h, int fd)
{
	struct timeval tv = { 5, 0 };
	char req[4096], *text;
	struct bk_err err;
	size_t len = 0;
	ssize_t r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < sizeof(req) - 1) {
		r = recv(fd, req + len, sizeof(req) - 1 - len, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL ||
		    strstr(req, "\n\n") != NULL)
			break;
	}
	req[len] = '\0';
	if (strncmp(req, "GET ", 4) != 0) {
		respond(fd, "405 Method Not Allowed", "GET only\n", 9);
		return;
	}
	if (strncmp(req + 4, "/metrics", 8) != 0 || (req[12] != ' ' &&
	    req[12] != '?' && req[12] != '\r' && req[12] != '\n')) {
		respond(fd, "404 Not Found", "see /metrics\n", 13);
		return;
	}
	text = queue_metrics_text(h->q, &len, &err);
	if (text == NULL) {
		static const char down[] = "# TYPE panel_backup_redis_up gauge\n"
		    "panel_backup_redis_up 0\n";

		log_warn("/metrics: %s", err.msg);
		respond(fd, "503 Service Unavailable", down, sizeof(down) - 1);
		return;
	}
	respond(fd, "200 OK", text, len);
	free(text);
}

static void *
loop(void *arg)
{
	struct sched_http *h = arg;
	struct pollfd pfd;
	int c;

	while (!atomic_load(&h->stop)) {
		pfd.fd = h->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 300) <= 0)
			continue;
		c = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c == -1)
			continue;
		serve(h, c);
		close(c);
	}
	return NULL;
}

struct sched_http *
sched_http_start(const struct settings *admin, const char *listen_spec,
    struct bk_err *err)
{
	struct sched_http *h = xcalloc(1, sizeof(*h));

	h->fd = listen_on(listen_spec, err);
	if (h->fd == -1)
		goto fail;
	h->q = queue_open(admin, "backup-scheduler-metrics", err);
	if (h->q == NULL)
		goto fail;
	if (pthread_create(&h->thread, NULL, loop, h) != 0) {
		bk_err_set(err, BK_EIO, "METRICS_LISTEN: cannot start the "
		    "listener thread");
		goto fail;
	}
	return h;
fail:
	if (h->fd >= 0)
		close(h->fd);
	queue_close(h->q);
	free(h);
	return NULL;
}

void
sched_http_stop(struct sched_http *h)
{
	if (h == NULL)
		return;
	atomic_store(&h->stop, true);
	pthread_join(h->thread, NULL);
	close(h->fd);
	queue_close(h->q);
	free(h);
}
