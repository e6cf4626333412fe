/*
 * sched_http.h - backup-scheduler's optional /metrics and /healthz listener
 * (METRICS_LISTEN=ADDR:PORT).
 */
#ifndef BK_SCHED_HTTP_H
#define BK_SCHED_HTTP_H

struct bk_err;
struct settings;
struct sched_http;

/* Bind listen ("127.0.0.1:9187", "[::1]:9187", ":9187") and serve
 * GET /metrics and GET /healthz (libmicrohttpd, a thread of its own,
 * its own Redis connection).
 * BK_ECONFIG naming METRICS_LISTEN when the address is bad or taken. */
struct sched_http	*sched_http_start(const struct settings *admin,
			    const char *listen, struct bk_err *);
void			 sched_http_stop(struct sched_http *);

#endif
