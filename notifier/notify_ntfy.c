/*
 * notify_ntfy.c - ntfy: ntfy://[user:password@]host[:port]/topic[?...].
 * notifications.md §3.11: the message is the raw body, everything else
 * travels in headers.  ';' in the query separates actions, so the raw
 * query is re-read with ';' escaped.  Basic auth only with a password
 * (ntfy://:token@host/topic for access tokens).  Content-Type is
 * text/plain; charset=utf-8 (the fork's choice) rather than none.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "notify_int.h"
#include "settings.h"
#include "xmalloc.h"

#define NHDR	10

struct ntfy {
	char			*url, *user, *pass, *title;
	struct curl_slist	*headers;
};

static const char *const keys[] = { "title", "priority", "tags", "actions",
    "click", "attach", "filename", "delay|at|in", "email", "icon", "cache",
    "firebase", "scheme", NULL };
static const char *const schemes[] = { "ntfy", NULL };
static const char *const prio[] = { "Min", "Low", "Default", "High",
    "Max" };

static int
ntfy_parse(const struct nurl *u0, void **priv, struct bk_err *err)
{
	static const char *const hk[][2] = { { "tags", "Tags" },
	    { "actions", "Actions" }, { "click", "Click" },
	    { "attach", "Attach" }, { "filename", "Filename" },
	    { "delay|at|in", "Delay" }, { "email", "Email" },
	    { "icon", "X-Icon" } };
	struct nurl u = *u0;
	struct ntfy *n;
	struct buf b;
	const char *p, *v;
	bool cache, fb;
	int pr, sch;
	size_t i;

	nsecret(u0->pass);
	n = xcalloc(1, sizeof(*n));
	*priv = n;
	buf_init(&b, 1 << 16);
	for (p = u0->rawquery; *p != '\0'; p++)
		buf_puts(&b, *p == ';' ? "%3b" : (char[]){ *p, 0 });
	nq_parse(b.data, &u.q, &u.nq);
	buf_free(&b);
	if (nurl_known_keys(&u, keys, "ntfy", err) == -1 ||
	    nurl_enum(&u, "priority", "min,low,default,high,max",
	    "1=0,2=1,3=2,4=3,5=4,urgent=4", 2, &pr, "ntfy", err) == -1 ||
	    nurl_bool(&u, "cache", true, &cache, "ntfy", err) == -1 ||
	    nurl_bool(&u, "firebase", true, &fb, "ntfy", err) == -1 ||
	    nurl_enum(&u, "scheme", "http,https", NULL, 1, &sch, "ntfy",
	    err) == -1)
		goto fail;
	if (*u.host == '\0' || u.path[0] == '\0' || strcmp(u.path, "/") == 0) {
		bk_err_set(err, BK_ECONFIG, "ntfy: host or topic missing "
		    "(ntfy://host/topic)");
		goto fail;
	}
	xasprintf(&n->url, "%s://%s/%s", sch == 0 ? "http" : "https", u.host,
	    u.path + 1);
	n->title = xstrdup(nurl_str(&u, "title", ""));
	n->headers = nhdr(NULL, "Content-Type", "text/plain; charset=utf-8");
	n->headers = nhdr(n->headers, "Priority", prio[pr]);
	for (i = 0; i < sizeof(hk) / sizeof(hk[0]); i++)
		if ((v = nurl_get(&u, hk[i][0])) != NULL && *v != '\0')
			n->headers = nhdr(n->headers, hk[i][1], v);
	if (!cache)
		n->headers = nhdr(n->headers, "Cache", "no");
	if (!fb)
		n->headers = nhdr(n->headers, "Firebase", "no");
	if (*u.pass != '\0') {
		n->user = xstrdup(u.user);
		n->pass = xstrdup(u.pass);
	}
	nq_free(u.q, u.nq);
	return 0;
fail:
	nq_free(u.q, u.nq);
	return -1;
}

static int
ntfy_send(void *priv, const struct notify_msg *m, struct nctx *ctx,
    struct bk_err *err)
{
	struct ntfy *n = priv;
	const char *title = *m->title != '\0' ? m->title : n->title;
	struct curl_slist *hd = NULL, *e;
	struct nreq rq = { 0 };
	struct nresp r;
	json_t *je;
	int rc;

	for (e = n->headers; e != NULL; e = e->next)
		hd = curl_slist_append(hd, e->data);
	if (*title != '\0')
		hd = nhdr(hd, "Title", title);
	rq.method = "POST";
	rq.url = n->url;
	rq.headers = hd;
	rq.body = m->body;
	rq.len = strlen(m->body);
	rq.user = n->user;
	rq.pass = n->pass;
	if ((rc = nhttp_do(ctx, &rq, &r, err)) == 0 && !nresp_json_ok(&r)) {
		je = r.json != NULL ? json_object_get(r.json, "error") : NULL;
		if (je != NULL)
			rc = bk_err_set(err, BK_EPROTO, "ntfy: server response: "
			    "%s (%lld), see: %s", json_string_value(je),
			    (long long)json_integer_value(json_object_get(
			    r.json, "code")), json_string_value(
			    json_object_get(r.json, "link")) != NULL ?
			    json_string_value(json_object_get(r.json,
			    "link")) : "");
		else
			rc = nresp_fail(err, "ntfy", &r);
	}
	nresp_free(&r);
	curl_slist_free_all(hd);
	return rc;
}

static void
ntfy_free(void *priv)
{
	struct ntfy *n = priv;

	free(n->url);
	free(n->user);
	xfree_secret(n->pass);
	free(n->title);
	curl_slist_free_all(n->headers);
	free(n);
}

const struct notify_service notify_service_ntfy = {
	.name = "ntfy",
	.schemes = schemes,
	.parse = ntfy_parse,
	.send = ntfy_send,
	.free = ntfy_free,
};
