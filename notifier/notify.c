/*
 * notify.c - the notification dispatcher: NOTIFICATION_URLS -> services.
 *
 * For one event: pick the URLs (NOTIFICATION_LEVEL), render the title and
 * body (templates), then send to every URL at once, one thread each, each
 * with its own curl handle, NOTIFICATION_TIMEOUT per request and retries
 * (notify_http.c).  A URL that fails (bad URL, refused, timed out) never
 * stops the others; results come back in URL order; notify_event() logs
 * each failure once with the URL redacted.  The registry below is the only
 * place services are named.
 *
 * URL list: NOTIFICATION_URLS is comma-separated, but a URL's own query
 * may hold commas (smtp to=a,b; join devices=x,y): an item that does not
 * begin with "scheme://" continues the previous URL.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "http.h"
#include "log.h"
#include "notify_int.h"
#include "secret.h"
#include "settings.h"
#include "template.h"
#include "xmalloc.h"

static const struct notify_service *const services[] = {
	&notify_service_bark,
	&notify_service_discord,
	&notify_service_smtp,
	&notify_service_generic,
	&notify_service_googlechat,
	&notify_service_gotify,
	&notify_service_ifttt,
	&notify_service_join,
	&notify_service_matrix,
	&notify_service_mattermost,
	&notify_service_ntfy,
	&notify_service_opsgenie,
	&notify_service_pushbullet,
	&notify_service_pushover,
	&notify_service_rocketchat,
	&notify_service_slack,
	&notify_service_teams,
	&notify_service_telegram,
	&notify_service_zulip,
	NULL,
};

#define ATTEMPTS	3
#define MAX_WAIT_S	60

struct target {
	const char			*url;
	char				 redacted[512];
	const struct notify_service	*svc;
	void				*priv;
	const struct settings		*admin;
	const struct notify_msg		*msg;
	long				 timeout_ms;
	struct bk_err			 err;
	int				 rc;
};

static bool
has_scheme(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' ||
	    *s == '.')
		s++;
	return strncmp(s, "://", 3) == 0;
}

char **
notify_split_urls(const char *value)
{
	char **items, **out, *joined;
	size_t n, i, k = 0;

	items = split_list(value != NULL ? value : "", &n);
	out = xcalloc(n + 1, sizeof(*out));
	for (i = 0; i < n; i++) {
		if (k > 0 && !has_scheme(items[i])) {
			xasprintf(&joined, "%s,%s", out[k - 1], items[i]);
			xfree_secret(out[k - 1]);
			out[k - 1] = joined;
		} else
			out[k++] = xstrdup(items[i]);
	}
	for (i = 0; i < n; i++)
		xfree_secret(items[i]);
	free(items);
	return out;
}

static const struct notify_service *
lookup(const char *name)
{
	size_t i, j;

	for (i = 0; services[i] != NULL; i++)
		for (j = 0; services[i]->schemes[j] != NULL; j++)
			if (strcmp(services[i]->schemes[j], name) == 0)
				return services[i];
	return NULL;
}

/* Parse url into t (svc, priv); -1 with t->err naming what is wrong. */
static int
target_parse(struct target *t, const char *url)
{
	struct nurl u;
	int rc = -1;

	t->url = url;
	if (nurl_parse(url, &u, &t->err) == -1)
		goto out;
	if ((t->svc = lookup(u.service)) == NULL) {
		bk_err_set(&t->err, BK_ECONFIG, "unknown service \"%s\"",
		    u.service);
		goto out;
	}
	if (u.custom && !t->svc->custom) {
		bk_err_set(&t->err, BK_ECONFIG, "custom URLs are not "
		    "supported by '%s' service", t->svc->name);
		goto out;
	}
	rc = t->svc->parse(&u, &t->priv, &t->err);
out:
	/* Redact only now: parse() registered the URL's secrets. */
	secret_redact_url(url, t->redacted, sizeof(t->redacted));
	nurl_free(&u);
	return rc;
}

static void
target_free(struct target *t)
{
	if (t->svc != NULL && t->priv != NULL)
		t->svc->free(t->priv);
	t->priv = NULL;
}

int
notify_check_url(const char *url, char *why, size_t size)
{
	struct target t;
	int rc;

	memset(&t, 0, sizeof(t));
	rc = target_parse(&t, url);
	if (rc == -1 && why != NULL)
		snprintf(why, size, "%s", t.err.msg);
	target_free(&t);
	return rc;
}

int
notify_check_urls(const struct settings *user, struct diag *diag)
{
	struct target t;
	char **urls;
	int bad = 0;
	size_t i;

	urls = notify_split_urls(settings_get(user, "NOTIFICATION_URLS"));
	for (i = 0; urls[i] != NULL; i++) {
		memset(&t, 0, sizeof(t));
		if (target_parse(&t, urls[i]) == -1) {
			diag_add(diag, DIAG_WARN, "NOTIFICATION_URLS",
			    "%s: %s; no notification is sent there, the "
			    "backup still runs", t.redacted, t.err.msg);
			bad++;
		}
		target_free(&t);
	}
	strv_free(urls);
	return bad;
}

static void *
target_run(void *arg)
{
	struct target *t = arg;
	struct nctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.admin = t->admin;
	ctx.timeout_ms = t->timeout_ms;
	ctx.attempts = ATTEMPTS;
	ctx.max_wait_s = MAX_WAIT_S;
	if ((ctx.h = http_easy(t->admin, NULL, &t->err)) == NULL) {
		t->rc = -1;
		return NULL;
	}
	t->rc = t->svc->send(t->priv, t->msg, &ctx, &t->err);
	if (t->rc != 0 && strncmp(t->err.msg, t->svc->name,
	    strlen(t->svc->name)) != 0)
		bk_err_prefix(&t->err, "%s", t->svc->name);
	http_easy_free(ctx.h);
	return NULL;
}

/* Replace bytes that are not UTF-8 (JSON services need valid text). */
static void
utf8_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;
	int n, i;

	while (*p != '\0') {
		n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 :
		    (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		for (i = 1; n > 0 && i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				n = -1;
		if (n < 0 || (n == 1 && *p < 0xc2)) {
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

int
notify_send(const struct settings *admin, const struct settings *user,
    const struct notify_event *ev, struct notify_result **res, size_t *nres)
{
	struct notify_msg msg;
	struct target *t;
	pthread_t *tid;
	char **urls, *title = NULL, *body = NULL;
	size_t n, i;
	long timeout_ms = 30000;
	int failed = 0;

	urls = notify_split_urls(settings_get(user, "NOTIFICATION_URLS"));
	for (n = 0; urls[n] != NULL; n++)
		;
	*res = xcalloc(n + 1, sizeof(**res));
	*nres = n;
	if (n == 0) {
		strv_free(urls);
		return 0;
	}
	if (admin != NULL && settings_get(admin, "NOTIFICATION_TIMEOUT"))
		timeout_ms = (long)settings_duration_ms(admin,
		    "NOTIFICATION_TIMEOUT");
	if (timeout_ms <= 0)
		timeout_ms = 30000;
	notify_render(admin, ev, &title, &body);
	utf8_clean(title);
	utf8_clean(body);
	msg.title = title;
	msg.body = body;
	t = xcalloc(n, sizeof(*t));
	tid = xcalloc(n, sizeof(*tid));
	for (i = 0; i < n; i++) {
		t[i].admin = admin;
		t[i].msg = &msg;
		t[i].timeout_ms = timeout_ms;
		if ((t[i].rc = target_parse(&t[i], urls[i])) == 0 &&
		    pthread_create(&tid[i], NULL, target_run, &t[i]) != 0) {
			t[i].rc = bk_err_set(&t[i].err, BK_EIO,
			    "cannot start a thread");
			tid[i] = 0;
		} else if (t[i].rc == -1)
			tid[i] = 0;
	}
	for (i = 0; i < n; i++) {
		if (t[i].rc == 0 && tid[i] != 0)
			pthread_join(tid[i], NULL);
		(*res)[i].url = xstrdup(t[i].redacted);
		(*res)[i].service = xstrdup(t[i].svc != NULL ?
		    t[i].svc->name : "");
		(*res)[i].ok = t[i].rc == 0;
		if (t[i].rc != 0) {
			snprintf((*res)[i].error, sizeof((*res)[i].error),
			    "%s", t[i].err.msg);
			secret_redact((*res)[i].error,
			    sizeof((*res)[i].error));
			failed++;
		}
		target_free(&t[i]);
	}
	free(tid);
	free(t);
	free(title);
	free(body);
	strv_free(urls);
	return failed;
}

void
notify_results_free(struct notify_result *r, size_t n)
{
	size_t i;

	for (i = 0; r != NULL && i < n; i++) {
		free(r[i].url);
		free(r[i].service);
	}
	free(r);
}

bool
notify_wanted(const struct settings *user, enum notify_kind kind)
{
	const char *level = settings_get(user, "NOTIFICATION_LEVEL");

	if (kind != NOTIFY_SUCCEEDED)
		return true;
	return level != NULL && strcmp(level, "info") == 0;
}

int
notify_event(const struct settings *admin, const struct settings *user,
    const struct notify_event *ev)
{
	struct notify_result *r;
	size_t n, i;
	int failed;

	if (!notify_wanted(user, ev->kind))
		return 0;
	failed = notify_send(admin, user, ev, &r, &n);
	for (i = 0; i < n; i++)
		if (!r[i].ok)
			log_kv(LOG_WARN, "notification failed",
			    "service", r[i].service, "url", r[i].url,
			    "error", r[i].error, (char *)NULL);
	notify_results_free(r, n);
	return failed;
}
