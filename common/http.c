/*
 * http.c - shared libcurl set-up: connect-to, CA bundle, timeouts, the
 * outbound policy.
 *
 * The CA bundle is the system's plus HTTP_CA_FILE plus a per-destination
 * PEM (AWS_ENDPOINT_CA_CERT), handed to libcurl as one in-memory blob:
 * CURLOPT_CAINFO would replace the system bundle, not extend it.
 *
 * The policy check sits in the open-socket callback rather than the
 * pre-request one: it runs before the socket exists, so a refused
 * address never sees even a TCP handshake.  Handles for users also speak
 * only http(s) and smtp(s), follow redirects only to http(s), and ignore
 * proxy environment variables (a proxy would connect where the check
 * cannot see).  Threads: last_refusal is per thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "netpolicy.h"
#include "settings.h"
#include "xmalloc.h"

#define SYSTEM_BUNDLE	"/etc/ssl/certs/ca-certificates.crt"

struct easy_priv {
	struct curl_slist	*connect_to;
	char			*bundle;
	struct netpolicy	*np;	/* NULL: an admin endpoint */
	CURL			*h;
};

/* The last connection the policy refused in this thread, until a socket
 * is allowed or a new handle is made. */
static __thread struct {
	bool	set;
	char	msg[sizeof(((struct bk_err *)0)->msg)];
} last_refusal;

/* The host of the URL being fetched (after redirects), for messages. */
static void
url_host(CURL *h, char *dst, size_t size)
{
	const char *url = NULL, *p, *at, *end, *c;

	dst[0] = '\0';
	if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK ||
	    url == NULL || (p = strstr(url, "://")) == NULL)
		return;
	p += 3;
	end = p + strcspn(p, "/?#");
	while ((at = memchr(p, '@', (size_t)(end - p))) != NULL)
		p = at + 1;	/* never print userinfo */
	if (*p == '[' && (c = memchr(p, ']', (size_t)(end - p))) != NULL)
		end = c + 1;
	else if (*p != '[' && (c = memchr(p, ':', (size_t)(end - p))) != NULL)
		end = c;
	snprintf(dst, size, "%.*s", (int)(end - p), p);
}

static curl_socket_t
open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct easy_priv *p = clientp;
	struct bk_err e;
	char host[256];

	(void)purpose;
	if (p->np != NULL) {
		url_host(p->h, host, sizeof(host));
		if (netpolicy_check(p->np, host[0] != '\0' ? host : NULL,
		    &a->addr, a->addrlen, &e) == -1) {
			snprintf(last_refusal.msg, sizeof(last_refusal.msg),
			    "%s", e.msg);
			last_refusal.set = true;
			return CURL_SOCKET_BAD;
		}
	}
	last_refusal.set = false;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static int
read_into(struct buf *b, const char *path)
{
	char chunk[8192];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) == -1)
			break;
	fclose(f);
	buf_puts(b, "\n");
	return 0;
}

static struct curl_slist *
connect_to_list(const char *spec)
{
	struct curl_slist *l = NULL;
	char **items;
	size_t i;

	items = split_list(spec, NULL);
	for (i = 0; items[i] != NULL; i++)
		l = curl_slist_append(l, items[i]);
	strv_free(items);
	return l;
}

/* JOB_UPLOAD_LIMIT_KBPS of the job process (worker/yield.c); 0: none. */
static curl_off_t max_send_speed;

void
http_set_max_send_speed(long long bytes_per_s)
{
	max_send_speed = (curl_off_t)bytes_per_s;
}

CURL *
http_easy(const struct settings *admin, const struct http_tls *tls,
    struct bk_err *err)
{
	struct easy_priv *p;
	const char *ct = NULL, *ca = NULL;
	struct curl_blob blob;
	struct buf b;
	CURL *h;

	if ((h = curl_easy_init()) == NULL) {
		bk_err_set(err, BK_EIO, "cannot create an HTTP handle");
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->h = h;
	last_refusal.set = false;
	if (tls == NULL || !tls->admin_endpoint) {
		p->np = netpolicy_from(admin);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
		    "http,https,smtp,smtps");
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h, CURLOPT_PROXY, "");
	}
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, p);
	if (admin != NULL) {
		ct = settings_get(admin, "HTTP_CONNECT_TO");
		ca = settings_get(admin, "HTTP_CA_FILE");
	}
	if (ct != NULL && *ct != '\0') {
		p->connect_to = connect_to_list(ct);
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, p->connect_to);
	}
	if ((ca != NULL && *ca != '\0') || (tls != NULL && tls->ca_pem)) {
		buf_init(&b, 16 * 1024 * 1024);
		(void)read_into(&b, SYSTEM_BUNDLE);
		if (ca != NULL && *ca != '\0' && read_into(&b, ca) == -1) {
			bk_err_sys(err, BK_ECONFIG, "HTTP_CA_FILE: %s", ca);
			buf_free(&b);
			http_easy_free(h);
			curl_slist_free_all(p->connect_to);
			netpolicy_free(p->np);
			free(p);
			return NULL;
		}
		if (tls != NULL && tls->ca_pem != NULL) {
			buf_puts(&b, tls->ca_pem);
			buf_puts(&b, "\n");
		}
		p->bundle = buf_take(&b);
		blob.data = p->bundle;
		blob.len = strlen(p->bundle);
		blob.flags = CURL_BLOB_NOCOPY;
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (tls != NULL && tls->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(h, CURLOPT_PRIVATE, p);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "panel-backup/1");
	if (max_send_speed > 0)
		curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE,
		    max_send_speed);
	return h;
}

void
http_easy_free(CURL *h)
{
	struct easy_priv *p = NULL;

	if (h == NULL)
		return;
	curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&p);
	curl_easy_cleanup(h);
	if (p != NULL) {
		curl_slist_free_all(p->connect_to);
		netpolicy_free(p->np);
		free(p->bundle);
		free(p);
	}
}

int
http_curl_err(struct bk_err *err, CURLcode rc, const char *what)
{
	if (http_refused(rc)) {
		bk_err_set(err, BK_ECONFIG, "%s: %s", what, last_refusal.msg);
		if (err != NULL)
			err->retryable = false;
		return -1;
	}
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return bk_err_set(err, BK_EUNREACH, "%s: %s", what,
		    curl_easy_strerror(rc));
	case CURLE_OPERATION_TIMEDOUT:
		return bk_err_set(err, BK_ETIMEDOUT, "%s: %s", what,
		    curl_easy_strerror(rc));
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CONNECT_ERROR:
		return bk_err_set(err, BK_ECONFIG, "%s: TLS: %s", what,
		    curl_easy_strerror(rc));
	case CURLE_LOGIN_DENIED:
		return bk_err_set(err, BK_EAUTH, "%s: %s", what,
		    curl_easy_strerror(rc));
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_WRITE_ERROR:
	case CURLE_READ_ERROR:
		return bk_err_set(err, BK_ECANCELED, "%s: %s", what,
		    curl_easy_strerror(rc));
	default:
		return bk_err_set(err, BK_EIO, "%s: %s", what,
		    curl_easy_strerror(rc));
	}
}

bool
http_refused(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT && last_refusal.set;
}

bool
http_status_transient(long status)
{
	return status >= 500 || status == 408 || status == 429;
}

long
http_retry_after(const char *v)
{
	struct tm tm;
	char *end;
	long n;

	if (v == NULL)
		return -1;
	while (*v == ' ')
		v++;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno == 0 && end != v && (*end == '\0' || *end == '\r' ||
	    *end == '\n' || *end == ' '))
		return n < 0 ? 0 : n;
	memset(&tm, 0, sizeof(tm));
	if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL) {
		n = (long)(timegm(&tm) - time(NULL));
		return n < 0 ? 0 : n;
	}
	return -1;
}
