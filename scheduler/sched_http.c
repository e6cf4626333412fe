/*
 * sched_http.c - backup-scheduler's HTTP endpoint for Prometheus and load
 * balancers, on libmicrohttpd: GET /metrics answers the text of
 * `backupctl metrics`, GET /healthz 200 while Redis answers PING and 503
 * otherwise; other paths are 404, other methods 405.
 *
 * The address is parsed and bound here (so METRICS_LISTEN errors read as
 * before) and the socket handed to the daemon.  The daemon runs one
 * internal poll thread (epoll or poll, as libmicrohttpd picks): idle or
 * slow clients only hold a connection slot, never the thread, so a scrape
 * is answered while they hang.  Connections are limited (HTTP_MAX_CONN)
 * and each is dropped after HTTP_IDLE_S seconds without progress.  The
 * scheduler's firing runs on main's thread and never waits for this one.
 *
 * Threads: the handler runs only on the daemon's thread, so the one
 * struct queue of this endpoint (its own Redis connection, a connection
 * is not shared between threads) needs no lock.
 *
 * When Redis is away /metrics answers 503 with panel_backup_redis_up 0,
 * so an alert can tell "Redis down" from "scheduler down".
 */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "err.h"
#include "log.h"
#include "queue.h"
#include "sched_http.h"
#include "xmalloc.h"

#define HTTP_MAX_CONN	256	/* beyond: refused at accept */
#define HTTP_IDLE_S	10	/* a connection's idle timeout */

struct sched_http {
	int			 fd;
	struct queue		*q;
	struct MHD_Daemon	*d;
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
	    -1 || listen(fd, 128) == -1) {
		bk_err_set(err, BK_ECONFIG, "METRICS_LISTEN: cannot listen on "
		    "%s: %s", orig, strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Queue a text/plain answer; body is taken over (freed by the library
 * when must_free, else static). */
static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, const char *body,
    size_t len, bool must_free)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, (void *)body, must_free ?
	    MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (must_free)
			free((void *)body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; version=0.0.4; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
metrics(struct sched_http *h, struct MHD_Connection *c)
{
	static const char down[] = "# TYPE panel_backup_redis_up gauge\n"
	    "panel_backup_redis_up 0\n";
	struct bk_err err;
	size_t len;
	char *text;

	if ((text = queue_metrics_text(h->q, &len, &err)) == NULL) {
		log_warn("/metrics: %s", err.msg);
		return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, down,
		    sizeof(down) - 1, false);
	}
	return answer(c, MHD_HTTP_OK, text, len, true);
}

static enum MHD_Result
healthz(struct sched_http *h, struct MHD_Connection *c)
{
	static const char up[] = "ok\n", down[] = "redis unreachable\n";
	struct bk_err err;

	if (queue_ping(h->q, &err) == -1) {
		log_warn("/healthz: %s", err.msg);
		return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, down,
		    sizeof(down) - 1, false);
	}
	return answer(c, MHD_HTTP_OK, up, sizeof(up) - 1, false);
}

/*
 * libmicrohttpd calls this when the request line and headers are in
 * (first call: *req_cls NULL) and again for any body.  GET has no body:
 * the first call only marks the request, the second answers it.
 */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	static int seen;
	struct sched_http *h = cls;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n", 9,
		    false);
	if (*req_cls == NULL) {
		*req_cls = &seen;
		return MHD_YES;
	}
	if (*upload_size != 0) {	/* a GET with a body: ignore it */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0)
		return metrics(h, c);
	if (strcmp(url, "/healthz") == 0)
		return healthz(h, c);
	return answer(c, MHD_HTTP_NOT_FOUND, "see /metrics or /healthz\n",
	    25, false);
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
	h->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
	    handle, h,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONN,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_S,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		bk_err_set(err, BK_EIO, "METRICS_LISTEN: cannot start the "
		    "HTTP daemon on %s", listen_spec);
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
	/* Stops the thread and closes the connections and the listening
	 * socket handed over at start. */
	MHD_stop_daemon(h->d);
	queue_close(h->q);
	free(h);
}
