/*
 * http.h - the libcurl set-up every outgoing connection shares.
 *
 * The one place that applies the admin's HTTP_CONNECT_TO (curl's
 * --connect-to, for every libcurl connection: S3, Azure, WebDAV, Dropbox,
 * notifications including SMTP) and HTTP_CA_FILE (an extra CA bundle
 * trusted besides the system's).  Deviation from "common uses libc only",
 * on purpose: storage/ and notifier/ must not each carry a copy.
 *
 * It is also where the outbound policy (netpolicy.h) meets libcurl: every
 * socket a handle opens is checked first, in CURLOPT_OPENSOCKETFUNCTION,
 * on the address about to be connected, so a name that resolves
 * differently later (DNS rebinding), a redirect, or an HTTP_CONNECT_TO
 * mapping is judged by where the bytes would really go.  Only handles for
 * endpoints the admin chose (instance metadata) skip it.
 *
 * Threads: http_easy() may be called from any thread once http_init() ran
 * in main before threads started.  A refusal is remembered per thread
 * (curl calls the socket callback in the thread running the transfer)
 * until http_curl_err() reports it.
 */
#ifndef BK_HTTP_H
#define BK_HTTP_H

#include <stdbool.h>

#include <curl/curl.h>

struct bk_err;
struct settings;

struct http_tls {
	bool		 insecure;	/* skip verification */
	const char	*ca_pem;	/* extra CA as PEM text, or NULL */
	bool		 admin_endpoint; /* the admin chose it: no policy */
};

/*
 * A new easy handle with connect-to, the CA bundle (system + HTTP_CA_FILE
 * + tls->ca_pem), TCP keepalive, NOSIGNAL and a connect timeout.  admin
 * and tls may be NULL.  The handle owns the lists it was given; free it
 * with http_easy_free().
 */
CURL	*http_easy(const struct settings *admin, const struct http_tls *tls,
	    struct bk_err *);
void	 http_easy_free(CURL *);
/* Every handle made later sends at most this many bytes per second
 * (CURLOPT_MAX_SEND_SPEED_LARGE); 0: no limit. */
void	 http_set_max_send_speed(long long bytes_per_s);

/* Map a curl failure to a bk_err naming what was being done; connection
 * failures are BK_EUNREACH, timeouts BK_ETIMEDOUT, TLS problems
 * BK_ECONFIG, a connection the outbound policy refused BK_ECONFIG (not
 * retryable, naming host, address and OUTBOUND_ALLOW).  Returns -1. */
int	 http_curl_err(struct bk_err *, CURLcode, const char *what);

/* rc is the outbound policy's refusal (so do not retry). */
bool	 http_refused(CURLcode rc);

/* A 5xx, 408 or 429 answer: the same request may succeed later. */
bool	 http_status_transient(long status);

/* Retry-After header value (seconds or HTTP date) -> seconds, or -1. */
long	 http_retry_after(const char *value);

#endif
